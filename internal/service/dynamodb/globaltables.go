package dynamodb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Global tables. A global table is one table per region, all with the same
// name and keys, every write to one applied to the others. AWS replicates
// asynchronously (usually within a second); niwa applies a write to every
// replica in the same storage transaction, which is one of the orders AWS
// allows (last writer wins, and there is no later writer than "at once").
//
// Version 2019.11.21 (current) is driven by UpdateTable's ReplicaUpdates;
// version 2017.11.29 (legacy) by CreateGlobalTable/UpdateGlobalTable over
// tables the caller created in each region. Both share globalRecord.

const (
	globalCurrent = "2019.11.21"
	globalLegacy  = "2017.11.29"
)

// globalRecord is a table's membership in a global table.
type globalRecord struct {
	Version string `json:"v"`
	// Regions hold a replica each, this table's own included, sorted.
	Regions []string  `json:"r"`
	Created time.Time `json:"c"`
}

// legacyGlobal is a 2017.11.29 global table, kept per account.
type legacyGlobal struct {
	Name    string    `json:"name"`
	Regions []string  `json:"regions"`
	Created time.Time `json:"created"`
}

var legacyGlobals = storage.NewTable[legacyGlobal]("global-table")

// replicationIdentity marks the writes niwa applies to a replica: they are
// not replicated again, and their stream records carry no user identity.
var replicationIdentity = &identity{Type: "Service", Principal: "replication.dynamodb.amazonaws.com"}

var regionName = lazyre.New(`^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$`)

func regionOf(t *tableRecord) string {
	if p := strings.Split(t.ARN, ":"); len(p) > 3 {
		return p[3]
	}
	return ""
}

// replicate applies a write of t in sc to t's other replicas.
func (s *DynamoDB) replicate(tx storage.Tx, sc storage.Scope, t *tableRecord, k itemKey, nw Item, now time.Time) error {
	for _, r := range t.Global.Regions {
		if r == sc.Region {
			continue
		}
		rsc := storage.Scope{Account: sc.Account, Region: r}
		rt, ok, err := tables.Get(tx, rsc, t.Name)
		if err != nil {
			return err
		}
		if !ok || rt.Deleting {
			continue // a replica being removed takes no more writes
		}
		old, err := getItem(tx, rsc, &rt, k)
		if err != nil {
			return err
		}
		if old == nil && nw == nil {
			continue
		}
		if err := s.write(tx, rsc, &rt, k, old, nw, replicationIdentity, now); err != nil {
			return err
		}
	}
	return nil
}

// describeReplicas fills a table description's global table members: the
// version, and the replicas in the other regions (AWS lists those).
func describeReplicas(t *tableRecord, d *dynamodbapi.TableDescription) {
	if t.Global == nil {
		return
	}
	d.GlobalTableVersion = ptr.To(t.Global.Version)
	if t.Global.Version != globalCurrent {
		return
	}
	own := regionOf(t)
	for _, r := range t.Global.Regions {
		if r != own {
			d.Replicas = append(d.Replicas, dynamodbapi.ReplicaDescription{RegionName: ptr.To(r), ReplicaStatus: ptr.To("ACTIVE")})
		}
	}
}

// updateReplicas applies UpdateTable's ReplicaUpdates to t (in sc), which
// the caller stores afterwards.
func (s *DynamoDB) updateReplicas(tx storage.Tx, sc storage.Scope, t *tableRecord, ups []dynamodbapi.ReplicationGroupUpdate, now time.Time) error {
	if t.Global != nil && t.Global.Version == globalLegacy {
		return validation("Table %s belongs to a global table of version %s: change its replicas with UpdateGlobalTable", t.Name, globalLegacy)
	}
	for _, u := range ups {
		n := 0
		for _, set := range []bool{u.Create != nil, u.Update != nil, u.Delete != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return validation("One or more parameter values were invalid: Exactly one of Create, Update or Delete must be specified in a ReplicationGroupUpdate")
		}
		var err error
		switch {
		case u.Create != nil:
			err = s.createReplica(tx, sc, t, u.Create, now)
		case u.Update != nil:
			err = s.updateReplica(tx, sc, t, u.Update)
		default:
			err = s.deleteReplica(tx, sc, t, ptr.Deref(u.Delete.RegionName))
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (s *DynamoDB) createReplica(tx storage.Tx, sc storage.Scope, t *tableRecord, c *dynamodbapi.CreateReplicationGroupMemberAction, now time.Time) error {
	region := ptr.Deref(c.RegionName)
	if !regionName.MatchString(region) {
		return validation("One or more parameter values were invalid: Invalid region name: %s", region)
	}
	if region == sc.Region || (t.Global != nil && slices.Contains(t.Global.Regions, region)) {
		return validation("Failed to create a the new replica of table with name: '%s' because one or more replicas already existed as tables.", t.Name)
	}
	if t.Billing != "PAY_PER_REQUEST" && !t.writeAutoScaled() {
		// A provisioned table needs write auto scaling with a scaling
		// policy (UpdateTableReplicaAutoScaling) before it gets replicas.
		return validation("Table write capacity should either be Pay-Per-Request or AutoScaled.")
	}
	switch {
	case t.Stream == nil || !t.Stream.Enabled:
		// AWS turns the stream on for a new global table.
		if t.Stream != nil {
			t.OldStreams = append(t.OldStreams, *t.Stream)
		}
		t.Stream = newStream(t, "NEW_AND_OLD_IMAGES", now)
	case t.Stream.ViewType != "NEW_AND_OLD_IMAGES":
		return validation("One or more parameter values were invalid: Table %s has a stream of view type %s; replicas need NEW_AND_OLD_IMAGES. Disable the stream or enable it with NEW_AND_OLD_IMAGES first.", t.Name, t.Stream.ViewType)
	}
	rsc := storage.Scope{Account: sc.Account, Region: region}
	if _, ok, err := tables.Get(tx, rsc, t.Name); err != nil {
		return err
	} else if ok {
		return validation("Failed to create a the new replica of table with name: '%s' because one or more replicas already existed as tables.", t.Name)
	}
	if t.Global == nil {
		t.Global = &globalRecord{Version: globalCurrent, Regions: []string{sc.Region}, Created: now}
	}
	regions := append(slices.Clone(t.Global.Regions), region)
	slices.Sort(regions)
	rt := *t
	rt.ID = awsid.UUID()
	rt.ARN = fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", region, sc.Account, t.Name)
	rt.Created, rt.ActiveAt, rt.Deleting = now, time.Time{}, false
	rt.Stream = newStream(&rt, "NEW_AND_OLD_IMAGES", now)
	rt.OldStreams, rt.Tags, rt.Policy, rt.PolicyRev, rt.Kinesis, rt.Restore, rt.PITR, rt.Insights = nil, nil, "", "", nil, nil, nil, nil
	rt.Protected = false
	if c.TableClassOverride != nil {
		rt.Class = *c.TableClassOverride
	}
	if c.KMSMasterKeyId != nil {
		rt.SSE = &sseRecord{Enabled: true, Type: "KMS", KMSKey: *c.KMSMasterKeyId}
	}
	rt.Global = &globalRecord{Version: globalCurrent, Regions: regions, Created: t.Global.Created}
	if err := tables.Put(tx, rsc, rt, t.Name); err != nil {
		return err
	}
	if rt.TTLOn {
		if err := ttlTables.Put(tx, globalScope, ttlRef{Account: sc.Account, Region: region, Table: t.Name}, sc.Account, region, t.Name); err != nil {
			return err
		}
	}
	// The new replica starts with the table's items.
	err := s.scanItems(tx, sc.Prefix("item", t.Name), func(it Item) error {
		k, err := rt.keyOfItem(it)
		if err != nil {
			return err
		}
		return s.write(tx, rsc, &rt, k, nil, it, replicationIdentity, now)
	})
	if err != nil {
		return err
	}
	return s.setRegions(tx, sc, t, regions)
}

// setRegions makes regions the replica set of t (which the caller
// stores) and of every other member still in it. A member left alone
// becomes a regular table again; members no longer in regions are the
// caller's to delete or detach.
func (s *DynamoDB) setRegions(tx storage.Tx, sc storage.Scope, t *tableRecord, regions []string) error {
	for _, r := range regions {
		if r == sc.Region {
			continue
		}
		rsc := storage.Scope{Account: sc.Account, Region: r}
		rt, ok, err := tables.Get(tx, rsc, t.Name)
		if err != nil {
			return err
		}
		if !ok || rt.Global == nil {
			continue
		}
		if len(regions) < 2 {
			rt.Global = nil
		} else {
			rt.Global.Regions = regions
		}
		if err := tables.Put(tx, rsc, rt, t.Name); err != nil {
			return err
		}
	}
	if len(regions) < 2 || !slices.Contains(regions, sc.Region) {
		t.Global = nil
	} else {
		t.Global.Regions = regions
	}
	return nil
}

func (s *DynamoDB) updateReplica(tx storage.Tx, sc storage.Scope, t *tableRecord, u *dynamodbapi.UpdateReplicationGroupMemberAction) error {
	region := ptr.Deref(u.RegionName)
	if t.Global == nil || !slices.Contains(t.Global.Regions, region) {
		return validation("Replica specified in the Replica Update or Replica Delete action of the request was not found.")
	}
	apply := func(rt *tableRecord) {
		if u.TableClassOverride != nil {
			rt.Class = *u.TableClassOverride
		}
		if u.KMSMasterKeyId != nil {
			rt.SSE = &sseRecord{Enabled: true, Type: "KMS", KMSKey: *u.KMSMasterKeyId}
		}
	}
	if region == sc.Region {
		apply(t)
		return nil
	}
	rsc := storage.Scope{Account: sc.Account, Region: region}
	rt, ok, err := tables.Get(tx, rsc, t.Name)
	if err != nil || !ok {
		return err
	}
	apply(&rt)
	return tables.Put(tx, rsc, rt, t.Name)
}

func (s *DynamoDB) deleteReplica(tx storage.Tx, sc storage.Scope, t *tableRecord, region string) error {
	if t.Global == nil || !slices.Contains(t.Global.Regions, region) {
		return validation("Replica specified in the Replica Update or Replica Delete action of the request was not found.")
	}
	if region == sc.Region {
		return validation("One or more parameter values were invalid: Cannot delete the replica in the region of the request (%s); call DeleteTable there, or UpdateTable from another replica's region", region)
	}
	rsc := storage.Scope{Account: sc.Account, Region: region}
	if err := s.dropTable(tx, rsc, t.Name); err != nil {
		return err
	}
	var rest []string
	for _, r := range t.Global.Regions {
		if r != region {
			rest = append(rest, r)
		}
	}
	return s.setRegions(tx, sc, t, rest)
}

// leaveGlobal takes a table that is being deleted out of its global table.
func (s *DynamoDB) leaveGlobal(tx storage.Tx, sc storage.Scope, t *tableRecord) error {
	if t.Global == nil {
		return nil
	}
	var rest []string
	for _, r := range t.Global.Regions {
		if r != sc.Region {
			rest = append(rest, r)
		}
	}
	if t.Global.Version == globalLegacy {
		if err := s.setLegacyRegions(tx, sc.Account, t.Name, rest); err != nil {
			return err
		}
	}
	return s.setRegions(tx, sc, t, rest)
}

// ---- Version 2017.11.29 (legacy) ----

func legacyARN(account, name string) string {
	return "arn:aws:dynamodb::" + account + ":global-table/" + name
}

func (g legacyGlobal) describe(account string) *dynamodbapi.GlobalTableDescription {
	d := &dynamodbapi.GlobalTableDescription{
		GlobalTableName: ptr.To(g.Name), GlobalTableArn: ptr.To(legacyARN(account, g.Name)),
		CreationDateTime: ptr.To(g.Created), GlobalTableStatus: ptr.To("ACTIVE"),
		ReplicationGroup: []dynamodbapi.ReplicaDescription{},
	}
	for _, r := range g.Regions {
		d.ReplicationGroup = append(d.ReplicationGroup, dynamodbapi.ReplicaDescription{RegionName: ptr.To(r), ReplicaStatus: ptr.To("ACTIVE")})
	}
	return d
}

func (s *DynamoDB) setLegacyRegions(tx storage.Tx, account, name string, regions []string) error {
	g, ok, err := legacyGlobals.Get(tx, storage.Global(account), name)
	if err != nil || !ok {
		return err
	}
	if len(regions) == 0 {
		return legacyGlobals.Delete(tx, storage.Global(account), name)
	}
	g.Regions = regions
	return legacyGlobals.Put(tx, storage.Global(account), g, name)
}

// legacyMember checks a table that is to join a legacy global table: it
// exists, is empty, streams new and old images, and has ref's keys.
func (s *DynamoDB) legacyMember(tx storage.Tx, account, region, name string, ref *tableRecord) (tableRecord, error) {
	rsc := storage.Scope{Account: account, Region: region}
	t, ok, err := tables.Get(tx, rsc, name)
	if err != nil {
		return t, err
	}
	if !ok {
		return t, dynamodbapi.ErrTableNotFoundException.New("Table: %s not found in region %s", name, region)
	}
	if t.Global != nil {
		return t, dynamodbapi.ErrReplicaAlreadyExistsException.New("Table %s in region %s is already a replica of a global table", name, region)
	}
	if t.Stream == nil || !t.Stream.Enabled || t.Stream.ViewType != "NEW_AND_OLD_IMAGES" {
		return t, validation("One or more parameter values were invalid: Table %s in region %s must have DynamoDB Streams enabled with StreamViewType NEW_AND_OLD_IMAGES", name, region)
	}
	c, _, err := counts.Get(tx, rsc, name)
	if err != nil {
		return t, err
	}
	if c.Items > 0 {
		return t, validation("One or more parameter values were invalid: Table %s in region %s is not empty; a table joining a global table must be empty", name, region)
	}
	if ref != nil && (t.Hash != ref.Hash || t.Range != ref.Range) {
		return t, validation("One or more parameter values were invalid: Table %s in region %s does not have the same key schema as the global table", name, region)
	}
	return t, nil
}

// CreateGlobalTable (2017.11.29) joins same-named tables of several
// regions into a global table.
func (s *DynamoDB) CreateGlobalTable(ctx *request.Context, in *dynamodbapi.CreateGlobalTableInput) (*dynamodbapi.CreateGlobalTableOutput, error) {
	name := ptr.Deref(in.GlobalTableName)
	var g legacyGlobal
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := legacyGlobals.Get(tx, storage.Global(ctx.Account), name); err != nil {
			return err
		} else if ok {
			return dynamodbapi.ErrGlobalTableAlreadyExistsException.New("Global table with this name already exists")
		}
		var regions []string
		for _, r := range in.ReplicationGroup {
			region := ptr.Deref(r.RegionName)
			if slices.Contains(regions, region) {
				return validation("One or more parameter values were invalid: Duplicate region %s in ReplicationGroup", region)
			}
			regions = append(regions, region)
		}
		slices.Sort(regions)
		var ref *tableRecord
		var members []tableRecord
		for _, r := range regions {
			t, err := s.legacyMember(tx, ctx.Account, r, name, ref)
			if err != nil {
				return err
			}
			if ref == nil {
				ref = &t
			}
			members = append(members, t)
		}
		now := ctx.Now()
		for i, t := range members {
			t.Global = &globalRecord{Version: globalLegacy, Regions: regions, Created: now}
			if err := tables.Put(tx, storage.Scope{Account: ctx.Account, Region: regions[i]}, t, name); err != nil {
				return err
			}
		}
		g = legacyGlobal{Name: name, Regions: regions, Created: now}
		return legacyGlobals.Put(tx, storage.Global(ctx.Account), g, name)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.CreateGlobalTableOutput{GlobalTableDescription: g.describe(ctx.Account)}, nil
}

func (s *DynamoDB) legacyGlobal(tx storage.Tx, account, name string) (legacyGlobal, error) {
	g, ok, err := legacyGlobals.Get(tx, storage.Global(account), name)
	if err == nil && !ok {
		err = dynamodbapi.ErrGlobalTableNotFoundException.New("Global table not found: %s", name)
	}
	return g, err
}

// DescribeGlobalTable (2017.11.29).
func (s *DynamoDB) DescribeGlobalTable(ctx *request.Context, in *dynamodbapi.DescribeGlobalTableInput) (*dynamodbapi.DescribeGlobalTableOutput, error) {
	var g legacyGlobal
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		g, err = s.legacyGlobal(tx, ctx.Account, ptr.Deref(in.GlobalTableName))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeGlobalTableOutput{GlobalTableDescription: g.describe(ctx.Account)}, nil
}

// ListGlobalTables (2017.11.29) lists the account's legacy global tables,
// by name, optionally those with a replica in RegionName.
func (s *DynamoDB) ListGlobalTables(ctx *request.Context, in *dynamodbapi.ListGlobalTablesInput) (*dynamodbapi.ListGlobalTablesOutput, error) {
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	out := &dynamodbapi.ListGlobalTablesOutput{GlobalTables: []dynamodbapi.GlobalTable{}}
	opts := storage.ListOptions{}
	if in.ExclusiveStartGlobalTableName != nil {
		opts.After = []string{*in.ExclusiveStartGlobalTableName}
	}
	err := s.store.View(func(tx storage.Tx) error {
		return legacyGlobals.List(tx, storage.Global(ctx.Account), nil, opts, func(_ []string, g legacyGlobal) bool {
			if in.RegionName != nil && !slices.Contains(g.Regions, *in.RegionName) {
				return true
			}
			if len(out.GlobalTables) == limit {
				out.LastEvaluatedGlobalTableName = out.GlobalTables[limit-1].GlobalTableName
				return false
			}
			gt := dynamodbapi.GlobalTable{GlobalTableName: ptr.To(g.Name), ReplicationGroup: []dynamodbapi.Replica{}}
			for _, r := range g.Regions {
				gt.ReplicationGroup = append(gt.ReplicationGroup, dynamodbapi.Replica{RegionName: ptr.To(r)})
			}
			out.GlobalTables = append(out.GlobalTables, gt)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateGlobalTable (2017.11.29) adds or removes regions.
func (s *DynamoDB) UpdateGlobalTable(ctx *request.Context, in *dynamodbapi.UpdateGlobalTableInput) (*dynamodbapi.UpdateGlobalTableOutput, error) {
	name := ptr.Deref(in.GlobalTableName)
	var g legacyGlobal
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if g, err = s.legacyGlobal(tx, ctx.Account, name); err != nil {
			return err
		}
		regions := slices.Clone(g.Regions)
		ref, _, err := tables.Get(tx, storage.Scope{Account: ctx.Account, Region: regions[0]}, name)
		if err != nil {
			return err
		}
		var added, removed []string
		for _, u := range in.ReplicaUpdates {
			switch {
			case u.Create != nil:
				r := ptr.Deref(u.Create.RegionName)
				if slices.Contains(regions, r) {
					return dynamodbapi.ErrReplicaAlreadyExistsException.New("Replica already exists in region %s", r)
				}
				if _, err := s.legacyMember(tx, ctx.Account, r, name, &ref); err != nil {
					return err
				}
				regions = append(regions, r)
				added = append(added, r)
			case u.Delete != nil:
				r := ptr.Deref(u.Delete.RegionName)
				i := slices.Index(regions, r)
				if i < 0 {
					return dynamodbapi.ErrReplicaNotFoundException.New("Replica not found in region %s", r)
				}
				regions = slices.Delete(regions, i, i+1)
				removed = append(removed, r)
			}
		}
		slices.Sort(regions)
		now := ctx.Now()
		for _, r := range append(slices.Clone(regions), removed...) {
			rsc := storage.Scope{Account: ctx.Account, Region: r}
			t, ok, err := tables.Get(tx, rsc, name)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if slices.Contains(removed, r) || len(regions) < 2 {
				t.Global = nil
			} else {
				created := now
				if t.Global != nil {
					created = t.Global.Created
				}
				t.Global = &globalRecord{Version: globalLegacy, Regions: regions, Created: created}
			}
			if err := tables.Put(tx, rsc, t, name); err != nil {
				return err
			}
		}
		_ = added
		g.Regions = regions
		if len(regions) == 0 {
			return legacyGlobals.Delete(tx, storage.Global(ctx.Account), name)
		}
		return legacyGlobals.Put(tx, storage.Global(ctx.Account), g, name)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateGlobalTableOutput{GlobalTableDescription: g.describe(ctx.Account)}, nil
}

// DescribeGlobalTableSettings (2017.11.29) reports each replica's
// capacity settings.
func (s *DynamoDB) DescribeGlobalTableSettings(ctx *request.Context, in *dynamodbapi.DescribeGlobalTableSettingsInput) (*dynamodbapi.DescribeGlobalTableSettingsOutput, error) {
	name := ptr.Deref(in.GlobalTableName)
	out := &dynamodbapi.DescribeGlobalTableSettingsOutput{GlobalTableName: ptr.To(name)}
	err := s.store.View(func(tx storage.Tx) error {
		g, err := s.legacyGlobal(tx, ctx.Account, name)
		if err != nil {
			return err
		}
		out.ReplicaSettings, err = s.replicaSettings(tx, ctx.Account, g)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *DynamoDB) replicaSettings(tx storage.Tx, account string, g legacyGlobal) ([]dynamodbapi.ReplicaSettingsDescription, error) {
	var out []dynamodbapi.ReplicaSettingsDescription
	for _, r := range g.Regions {
		t, ok, err := tables.Get(tx, storage.Scope{Account: account, Region: r}, g.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		rs := dynamodbapi.ReplicaSettingsDescription{
			RegionName: ptr.To(r), ReplicaStatus: ptr.To("ACTIVE"),
			ReplicaBillingModeSummary:            &dynamodbapi.BillingModeSummary{BillingMode: ptr.To(t.Billing)},
			ReplicaProvisionedReadCapacityUnits:  ptr.To(t.RCU),
			ReplicaProvisionedWriteCapacityUnits: ptr.To(t.WCU),
		}
		for _, ix := range t.GSIs {
			rs.ReplicaGlobalSecondaryIndexSettings = append(rs.ReplicaGlobalSecondaryIndexSettings, dynamodbapi.ReplicaGlobalSecondaryIndexSettingsDescription{
				IndexName: ptr.To(ix.Name), IndexStatus: ptr.To("ACTIVE"),
				ProvisionedReadCapacityUnits: ptr.To(ix.RCU), ProvisionedWriteCapacityUnits: ptr.To(ix.WCU),
			})
		}
		out = append(out, rs)
	}
	return out, nil
}

// UpdateGlobalTableSettings (2017.11.29) sets the billing mode and write
// capacity of every replica, and per-replica read capacity.
func (s *DynamoDB) UpdateGlobalTableSettings(ctx *request.Context, in *dynamodbapi.UpdateGlobalTableSettingsInput) (*dynamodbapi.UpdateGlobalTableSettingsOutput, error) {
	name := ptr.Deref(in.GlobalTableName)
	out := &dynamodbapi.UpdateGlobalTableSettingsOutput{GlobalTableName: ptr.To(name)}
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := s.legacyGlobal(tx, ctx.Account, name)
		if err != nil {
			return err
		}
		for _, rs := range in.ReplicaSettingsUpdate {
			if !slices.Contains(g.Regions, ptr.Deref(rs.RegionName)) {
				return dynamodbapi.ErrReplicaNotFoundException.New("Replica not found in region %s", ptr.Deref(rs.RegionName))
			}
		}
		for _, r := range g.Regions {
			rsc := storage.Scope{Account: ctx.Account, Region: r}
			t, ok, err := tables.Get(tx, rsc, name)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			if in.GlobalTableBillingMode != nil {
				t.Billing, t.BillingSet = *in.GlobalTableBillingMode, true
				if t.Billing == "PAY_PER_REQUEST" {
					t.RCU, t.WCU = 0, 0
				}
			}
			if w := in.GlobalTableProvisionedWriteCapacityUnits; w != nil {
				if t.Billing == "PAY_PER_REQUEST" {
					return validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
				}
				t.WCU = *w
			}
			for _, rs := range in.ReplicaSettingsUpdate {
				if ptr.Deref(rs.RegionName) == r && rs.ReplicaProvisionedReadCapacityUnits != nil {
					t.RCU = *rs.ReplicaProvisionedReadCapacityUnits
				}
			}
			if err := tables.Put(tx, rsc, t, name); err != nil {
				return err
			}
		}
		out.ReplicaSettings, err = s.replicaSettings(tx, ctx.Account, g)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
