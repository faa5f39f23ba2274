package dynamodb

import (
	"fmt"
	"slices"
	"strings"
	"time"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func scopeOf(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// tableName accepts a table name or a table ARN, as DynamoDB does.
func tableName(s *string) string {
	if s == nil {
		return ""
	}
	n := *s
	if strings.HasPrefix(n, "arn:") {
		if i := strings.Index(n, ":table/"); i >= 0 {
			n = n[i+len(":table/"):]
			if j := strings.IndexByte(n, '/'); j >= 0 {
				n = n[:j]
			}
		}
	}
	return n
}

// loadTable reads a table for an item operation, through the decode
// cache: callers may set the record's own fields (UpdateTimeToLive) but
// must not modify its slices or pointers in place.
func (s *DynamoDB) loadTable(tx storage.Tx, sc storage.Scope, name string) (*tableRecord, error) {
	if err := checkTableName(name); err != nil {
		return nil, err
	}
	t, ok, err := s.tableCache.Get(tx, sc, name)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, notFound()
	}
	return &t, nil
}

func keySchema(hash, rng string) []dynamodbapi.KeySchemaElement {
	ks := []dynamodbapi.KeySchemaElement{{AttributeName: ptr.To(hash), KeyType: ptr.To("HASH")}}
	if rng != "" {
		ks = append(ks, dynamodbapi.KeySchemaElement{AttributeName: ptr.To(rng), KeyType: ptr.To("RANGE")})
	}
	return ks
}

// checkTableName applies DynamoDB's naming rules that the current model no
// longer carries (it types TableName as a name or ARN of 1 to 1024
// characters): at most 255 characters of [a-zA-Z0-9_.-]. The minimum of 3
// characters is not enforced (see docs/dynamodb.md).
func checkTableName(name string) error {
	bad := func(c string) error {
		return validation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must %s", name, c)
	}
	if len(name) > 255 {
		return bad("have length less than or equal to 255")
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return bad("satisfy regular expression pattern: [a-zA-Z0-9_.-]+")
		}
	}
	return nil
}

// parseGSIKeySchema checks a global secondary index's KeySchema: one to
// four HASH attributes, then up to four RANGE attributes (multi-attribute
// keys), no attribute twice.
func parseGSIKeySchema(ks []dynamodbapi.KeySchemaElement) (hashes, ranges []string, err error) {
	if len(ks) == 0 {
		return nil, nil, validation("1 validation error detected: Value '[]' at 'keySchema' failed to satisfy constraint: Member must have length greater than or equal to 1")
	}
	seen := map[string]bool{}
	for i, k := range ks {
		name, typ := ptr.Deref(k.AttributeName), ptr.Deref(k.KeyType)
		switch {
		case i == 0 && typ != "HASH":
			return nil, nil, validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
		case seen[name] && len(ks) == 2:
			return nil, nil, validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		case seen[name]:
			return nil, nil, validation("Invalid KeySchema: Duplicate attribute name in KeySchema: %s", name)
		case typ == "HASH" && len(ranges) > 0:
			return nil, nil, validation("Invalid KeySchema: HASH key elements must precede RANGE key elements")
		}
		seen[name] = true
		if typ == "HASH" {
			hashes = append(hashes, name)
		} else {
			ranges = append(ranges, name)
		}
	}
	if len(hashes) > 4 || len(ranges) > 4 {
		return nil, nil, validation("Invalid KeySchema: A global secondary index key can have at most 4 HASH and 4 RANGE key elements")
	}
	return hashes, ranges, nil
}

// parseKeySchema checks a KeySchema and returns its hash and range names.
func parseKeySchema(ks []dynamodbapi.KeySchemaElement, what string) (string, string, error) {
	if len(ks) == 0 || len(ks) > 2 {
		return "", "", validation("1 validation error detected: Value '%d' at 'keySchema' failed to satisfy constraint: Member must have length less than or equal to 2", len(ks))
	}
	var hash, rng string
	for i, k := range ks {
		name, typ := ptr.Deref(k.AttributeName), ptr.Deref(k.KeyType)
		switch {
		case i == 0 && typ != "HASH":
			return "", "", validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
		case i == 1 && typ != "RANGE":
			return "", "", validation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		case i == 1 && name == hash:
			return "", "", validation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
		if i == 0 {
			hash = name
		} else {
			rng = name
		}
	}
	_ = what
	return hash, rng, nil
}

func projectionOf(p *dynamodbapi.Projection) (string, []string) {
	if p == nil || p.ProjectionType == nil {
		return "ALL", nil
	}
	return *p.ProjectionType, p.NonKeyAttributes
}

// CreateTable creates a table, ACTIVE at once unless Options.CreateDelay.
func (s *DynamoDB) CreateTable(ctx *request.Context, in *dynamodbapi.CreateTableInput) (*dynamodbapi.CreateTableOutput, error) {
	name := ptr.Deref(in.TableName)
	if err := checkTableName(name); err != nil {
		return nil, err
	}
	now := ctx.Now()
	t := tableRecord{
		Name: name, ID: awsid.UUID(), Created: now,
		ARN:     fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s", ctx.Region, ctx.Account, name),
		Billing: "PROVISIONED", Class: ptr.Deref(in.TableClass), Protected: ptr.Deref(in.DeletionProtectionEnabled),
	}
	if s.opts.CreateDelay > 0 {
		t.ActiveAt = now.Add(s.opts.CreateDelay)
	}
	var err error
	if t.Hash, t.Range, err = parseKeySchema(in.KeySchema, "table"); err != nil {
		return nil, err
	}
	defined := map[string]bool{}
	for _, d := range in.AttributeDefinitions {
		n := ptr.Deref(d.AttributeName)
		if defined[n] {
			return nil, validation("Cannot have two attributes with the same name. Attribute name: %s", n)
		}
		defined[n] = true
		t.AttrDefs = append(t.AttrDefs, attrDef{n, ptr.Deref(d.AttributeType)})
	}
	used := map[string]bool{}
	useKey := func(names ...string) error {
		for _, n := range names {
			if n == "" {
				continue
			}
			if !defined[n] {
				return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(nonEmpty(names), ", "), strings.Join(attrNames(t.AttrDefs), ", "))
			}
			used[n] = true
		}
		return nil
	}
	if err := useKey(t.Hash, t.Range); err != nil {
		return nil, err
	}
	if in.BillingMode != nil {
		t.Billing, t.BillingSet = *in.BillingMode, true
	}
	if err := setThroughput(t.Billing, in.ProvisionedThroughput, &t.RCU, &t.WCU, ""); err != nil {
		return nil, err
	}
	// A present but empty list is refused: clients that build the list
	// conditionally send [] by mistake, and AWS tells them so.
	if in.GlobalSecondaryIndexes != nil && len(in.GlobalSecondaryIndexes) == 0 {
		return nil, validation("One or more parameter values were invalid: List of GlobalSecondaryIndexes is empty")
	}
	if in.LocalSecondaryIndexes != nil && len(in.LocalSecondaryIndexes) == 0 {
		return nil, validation("One or more parameter values were invalid: List of LocalSecondaryIndexes is empty")
	}
	seenIdx := map[string]bool{}
	for _, g := range in.GlobalSecondaryIndexes {
		ix := indexRecord{Name: ptr.Deref(g.IndexName), ActiveAt: t.ActiveAt}
		if seenIdx[ix.Name] {
			return nil, validation("One or more parameter values were invalid: Duplicate index name: %s", ix.Name)
		}
		seenIdx[ix.Name] = true
		hashes, ranges, err := parseGSIKeySchema(g.KeySchema)
		if err != nil {
			return nil, err
		}
		ix.setKey(hashes, ranges)
		if err := useKey(ix.keyNames()...); err != nil {
			return nil, err
		}
		ix.Projection, ix.NonKey = projectionOf(g.Projection)
		if err := setThroughput(t.Billing, g.ProvisionedThroughput, &ix.RCU, &ix.WCU, ix.Name); err != nil {
			return nil, err
		}
		t.GSIs = append(t.GSIs, ix)
	}
	for _, l := range in.LocalSecondaryIndexes {
		ix := indexRecord{Name: ptr.Deref(l.IndexName), Local: true}
		if seenIdx[ix.Name] {
			return nil, validation("One or more parameter values were invalid: Duplicate index name: %s", ix.Name)
		}
		seenIdx[ix.Name] = true
		if t.Range == "" {
			return nil, validation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		if ix.Hash, ix.Range, err = parseKeySchema(l.KeySchema, "index"); err != nil {
			return nil, err
		}
		if ix.Hash != t.Hash || ix.Range == "" {
			return nil, validation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s", ix.Name, ix.Hash, t.Hash)
		}
		if err := useKey(ix.Range); err != nil {
			return nil, err
		}
		ix.Projection, ix.NonKey = projectionOf(l.Projection)
		t.LSIs = append(t.LSIs, ix)
	}
	if len(used) != len(defined) {
		return nil, validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")
	}
	if sp := in.StreamSpecification; sp != nil && ptr.Deref(sp.StreamEnabled) {
		if sp.StreamViewType == nil {
			return nil, validation("One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true")
		}
		t.Stream = newStream(&t, *sp.StreamViewType, now)
	}
	if t.SSE, err = s.sseOf(ctx, in.SSESpecification); err != nil {
		return nil, err
	}
	for _, tg := range in.Tags {
		t.Tags = append(t.Tags, tag{ptr.Deref(tg.Key), ptr.Deref(tg.Value)})
	}
	sc := scopeOf(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok := tx.Get(tables.Key(sc, name)); ok {
			return dynamodbapi.ErrResourceInUseException.New("Table already exists: %s", name)
		}
		return tables.Put(tx, sc, t, name)
	})
	if err != nil {
		return nil, err
	}
	d := s.describe(&t, countRecord{}, now)
	return &dynamodbapi.CreateTableOutput{TableDescription: d}, nil
}

func nonEmpty(l []string) []string {
	var out []string
	for _, s := range l {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func attrNames(defs []attrDef) []string {
	out := make([]string, len(defs))
	for i, d := range defs {
		out[i] = d.Name
	}
	return out
}

func setThroughput(billing string, pt *dynamodbapi.ProvisionedThroughput, rcu, wcu *int64, index string) error {
	if billing == "PAY_PER_REQUEST" {
		if pt != nil {
			return validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		return nil
	}
	if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
		if index != "" {
			return validation("One or more parameter values were invalid: ProvisionedThroughput must be specified for index: %s", index)
		}
		return validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
	}
	if *pt.ReadCapacityUnits < 1 || *pt.WriteCapacityUnits < 1 {
		return validation("One or more parameter values were invalid: Provisioned throughput must be greater than 0")
	}
	*rcu, *wcu = *pt.ReadCapacityUnits, *pt.WriteCapacityUnits
	return nil
}

func newStream(t *tableRecord, viewType string, now time.Time) *streamRecordSpec {
	label := now.UTC().Format("2006-01-02T15:04:05.000")
	return &streamRecordSpec{Enabled: true, ViewType: viewType, Label: label, ARN: t.ARN + "/stream/" + label, Created: now}
}

func status(activeAt, now time.Time, active string) string {
	if !activeAt.IsZero() && now.Before(activeAt) {
		return "CREATING"
	}
	return active
}

// describe renders a table as DescribeTable answers.
func (s *DynamoDB) describe(t *tableRecord, c countRecord, now time.Time) *dynamodbapi.TableDescription {
	d := &dynamodbapi.TableDescription{
		TableName: ptr.To(t.Name), TableArn: ptr.To(t.ARN), TableId: ptr.To(t.ID),
		CreationDateTime: ptr.To(t.Created), KeySchema: keySchema(t.Hash, t.Range),
		TableStatus: ptr.To(status(t.ActiveAt, now, "ACTIVE")),
		ItemCount:   ptr.To(c.Items), TableSizeBytes: ptr.To(c.Bytes),
		ProvisionedThroughput: &dynamodbapi.ProvisionedThroughputDescription{
			NumberOfDecreasesToday: ptr.To(int64(0)), ReadCapacityUnits: ptr.To(t.RCU), WriteCapacityUnits: ptr.To(t.WCU),
		},
		DeletionProtectionEnabled: ptr.To(t.Protected),
	}
	if t.Deleting {
		d.TableStatus = ptr.To("DELETING")
	}
	for _, a := range t.AttrDefs {
		d.AttributeDefinitions = append(d.AttributeDefinitions, dynamodbapi.AttributeDefinition{AttributeName: ptr.To(a.Name), AttributeType: ptr.To(a.Type)})
	}
	switch {
	case t.Billing == "PAY_PER_REQUEST":
		d.BillingModeSummary = &dynamodbapi.BillingModeSummary{BillingMode: ptr.To(t.Billing), LastUpdateToPayPerRequestDateTime: ptr.To(t.Created)}
	case t.BillingSet:
		d.BillingModeSummary = &dynamodbapi.BillingModeSummary{BillingMode: ptr.To(t.Billing)}
	}
	r, w := warmThroughput(t.RCU, t.WCU)
	d.WarmThroughput = &dynamodbapi.TableWarmThroughputDescription{ReadUnitsPerSecond: ptr.To(r), WriteUnitsPerSecond: ptr.To(w), Status: d.TableStatus}
	for _, ix := range t.GSIs {
		r, w := warmThroughput(ix.RCU, ix.WCU)
		ist := status(ix.ActiveAt, now, "ACTIVE")
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, dynamodbapi.GlobalSecondaryIndexDescription{
			WarmThroughput: &dynamodbapi.GlobalSecondaryIndexWarmThroughputDescription{ReadUnitsPerSecond: ptr.To(r), WriteUnitsPerSecond: ptr.To(w), Status: ptr.To(ist)},
			IndexName:      ptr.To(ix.Name), KeySchema: indexKeySchema(ix), Projection: projection(ix),
			IndexStatus: ptr.To(status(ix.ActiveAt, now, "ACTIVE")), IndexArn: ptr.To(t.ARN + "/index/" + ix.Name),
			ProvisionedThroughput: &dynamodbapi.ProvisionedThroughputDescription{NumberOfDecreasesToday: ptr.To(int64(0)), ReadCapacityUnits: ptr.To(ix.RCU), WriteCapacityUnits: ptr.To(ix.WCU)},
			IndexSizeBytes:        ptr.To(int64(0)), ItemCount: ptr.To(int64(0)),
		})
	}
	for _, ix := range t.LSIs {
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, dynamodbapi.LocalSecondaryIndexDescription{
			IndexName: ptr.To(ix.Name), KeySchema: keySchema(ix.Hash, ix.Range), Projection: projection(ix),
			IndexArn: ptr.To(t.ARN + "/index/" + ix.Name), IndexSizeBytes: ptr.To(int64(0)), ItemCount: ptr.To(int64(0)),
		})
	}
	if t.Stream != nil && t.Stream.Enabled {
		d.StreamSpecification = &dynamodbapi.StreamSpecification{StreamEnabled: ptr.To(true), StreamViewType: ptr.To(t.Stream.ViewType)}
		d.LatestStreamLabel, d.LatestStreamArn = ptr.To(t.Stream.Label), ptr.To(t.Stream.ARN)
	}
	if t.SSE != nil {
		d.SSEDescription = &dynamodbapi.SSEDescription{Status: ptr.To("ENABLED"), SSEType: ptr.To("KMS"), KMSMasterKeyArn: ptr.To(t.SSE.KMSKey)}
	}
	if r := t.Restore; r != nil {
		d.RestoreSummary = &dynamodbapi.RestoreSummary{SourceBackupArn: ptr.To(r.BackupARN), SourceTableArn: ptr.To(r.TableARN), RestoreDateTime: ptr.To(r.At), RestoreInProgress: ptr.To(false)}
	}
	if t.Class != "" {
		d.TableClassSummary = &dynamodbapi.TableClassSummary{TableClass: ptr.To(t.Class)}
	}
	describeReplicas(t, d)
	return d
}

// warmThroughput is what a new table or GSI can serve at once: AWS's
// default of 12,000 read and 4,000 write units per second, or the
// provisioned capacity when that is higher.
func warmThroughput(rcu, wcu int64) (int64, int64) {
	return max(rcu, 12000), max(wcu, 4000)
}

func projection(ix indexRecord) *dynamodbapi.Projection {
	return &dynamodbapi.Projection{ProjectionType: ptr.To(ix.Projection), NonKeyAttributes: ix.NonKey}
}

// DescribeTable describes a table.
func (s *DynamoDB) DescribeTable(ctx *request.Context, in *dynamodbapi.DescribeTableInput) (*dynamodbapi.DescribeTableOutput, error) {
	name := tableName(in.TableName)
	sc := scopeOf(ctx)
	var out *dynamodbapi.TableDescription
	var sse *sseRecord
	err := s.store.View(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return tableNotFound(name)
		}
		c, _, err := counts.Get(tx, sc, name)
		if err != nil {
			return err
		}
		out = s.describe(&t, c, ctx.Now())
		sse = t.SSE
		return nil
	})
	if err != nil {
		return nil, err
	}
	// A table whose key DynamoDB cannot use is inaccessible until the key
	// is usable again.
	if code, _ := s.keyState(ctx, &tableRecord{SSE: sse}); code != "" {
		out.TableStatus = ptr.To("INACCESSIBLE_ENCRYPTION_CREDENTIALS")
	}
	return &dynamodbapi.DescribeTableOutput{Table: out}, nil
}

// ListTables lists table names in order, Limit (default 100) at a time.
func (s *DynamoDB) ListTables(ctx *request.Context, in *dynamodbapi.ListTablesInput) (*dynamodbapi.ListTablesOutput, error) {
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	opts := storage.ListOptions{Limit: limit + 1}
	if in.ExclusiveStartTableName != nil {
		opts.After = []string{*in.ExclusiveStartTableName}
	}
	out := &dynamodbapi.ListTablesOutput{TableNames: []string{}}
	err := s.store.View(func(tx storage.Tx) error {
		return tables.List(tx, scopeOf(ctx), nil, opts, func(key []string, t tableRecord) bool {
			out.TableNames = append(out.TableNames, t.Name)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if len(out.TableNames) > limit {
		out.TableNames = out.TableNames[:limit]
		out.LastEvaluatedTableName = ptr.To(out.TableNames[limit-1])
	}
	return out, nil
}

// DeleteTable deletes a table with its items and indexes.
func (s *DynamoDB) DeleteTable(ctx *request.Context, in *dynamodbapi.DeleteTableInput) (*dynamodbapi.DeleteTableOutput, error) {
	name := tableName(in.TableName)
	sc := scopeOf(ctx)
	var d *dynamodbapi.TableDescription
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return tableNotFound(name)
		}
		if t.Protected {
			return dynamodbapi.ErrResourceInUseException.New("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
		}
		c, _, err := counts.Get(tx, sc, name)
		if err != nil {
			return err
		}
		t.Deleting = true
		d = s.describe(&t, c, ctx.Now())
		if err := s.leaveGlobal(tx, sc, &t); err != nil {
			return err
		}
		return s.dropTable(tx, sc, name)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DeleteTableOutput{TableDescription: d}, nil
}

// dropTable deletes a table with its items, indexes and counts.
func (s *DynamoDB) dropTable(tx storage.Tx, sc storage.Scope, name string) error {
	if err := dropHistory(tx, sc, name); err != nil {
		return err
	}
	for _, p := range [][]byte{sc.Prefix("item", name), sc.Prefix("idx", name)} {
		if err := storage.DeletePrefix(tx, p); err != nil {
			return err
		}
	}
	if err := counts.Delete(tx, sc, name); err != nil {
		return err
	}
	if err := ttlTables.Delete(tx, globalScope, sc.Account, sc.Region, name); err != nil {
		return err
	}
	return tables.Delete(tx, sc, name)
}

// UpdateTable changes throughput, billing mode, streams, GSIs and
// deletion protection.
func (s *DynamoDB) UpdateTable(ctx *request.Context, in *dynamodbapi.UpdateTableInput) (*dynamodbapi.UpdateTableOutput, error) {
	name := tableName(in.TableName)
	sc := scopeOf(ctx)
	now := ctx.Now()
	// A new encryption key is checked with KMS before the update.
	var sse *sseRecord
	if in.SSESpecification != nil {
		var err error
		if sse, err = s.sseOf(ctx, in.SSESpecification); err != nil {
			return nil, err
		}
	}
	var d *dynamodbapi.TableDescription
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return tableNotFound(name)
		}
		for _, a := range in.AttributeDefinitions {
			n := ptr.Deref(a.AttributeName)
			if t.attrType(n) == "" {
				t.AttrDefs = append(t.AttrDefs, attrDef{n, ptr.Deref(a.AttributeType)})
			}
		}
		if in.SSESpecification != nil {
			t.SSE = sse
		}
		if in.BillingMode != nil {
			t.Billing, t.BillingSet = *in.BillingMode, true
			if t.Billing == "PAY_PER_REQUEST" {
				t.RCU, t.WCU = 0, 0
			}
		}
		if in.ProvisionedThroughput != nil {
			if err := setThroughput(t.Billing, in.ProvisionedThroughput, &t.RCU, &t.WCU, ""); err != nil {
				return err
			}
		}
		if in.DeletionProtectionEnabled != nil {
			t.Protected = *in.DeletionProtectionEnabled
		}
		if in.TableClass != nil {
			t.Class = *in.TableClass
		}
		if sp := in.StreamSpecification; sp != nil {
			if ptr.Deref(sp.StreamEnabled) {
				if t.Stream != nil && t.Stream.Enabled {
					return validation("Table already has an enabled stream: %s", t.Stream.ARN)
				}
				if sp.StreamViewType == nil {
					return validation("One or more parameter values were invalid: StreamViewType must be specified when StreamEnabled is true")
				}
				if t.Stream != nil {
					t.OldStreams = append(t.OldStreams, *t.Stream)
				}
				t.Stream = newStream(&t, *sp.StreamViewType, now)
			} else {
				if t.Stream == nil || !t.Stream.Enabled {
					return validation("Table already has no stream enabled")
				}
				t.Stream.Enabled = false
				t.Stream.Disabled = now
			}
		}
		for _, u := range in.GlobalSecondaryIndexUpdates {
			if err := s.updateGSI(tx, sc, &t, u, now); err != nil {
				return err
			}
		}
		if len(in.ReplicaUpdates) > 0 {
			if err := s.updateReplicas(tx, sc, &t, in.ReplicaUpdates, now); err != nil {
				return err
			}
		}
		if err := tables.Put(tx, sc, t, name); err != nil {
			return err
		}
		c, _, err := counts.Get(tx, sc, name)
		if err != nil {
			return err
		}
		d = s.describe(&t, c, now)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateTableOutput{TableDescription: d}, nil
}

func (s *DynamoDB) updateGSI(tx storage.Tx, sc storage.Scope, t *tableRecord, u dynamodbapi.GlobalSecondaryIndexUpdate, now time.Time) error {
	switch {
	case u.Create != nil:
		c := u.Create
		ix := indexRecord{Name: ptr.Deref(c.IndexName)}
		if _, exists := t.index(ix.Name); exists {
			return validation("One or more parameter values were invalid: Index with name: %s already exists", ix.Name)
		}
		hashes, ranges, err := parseGSIKeySchema(c.KeySchema)
		if err != nil {
			return err
		}
		ix.setKey(hashes, ranges)
		for _, k := range ix.keyNames() {
			if t.attrType(k) == "" {
				return validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]", strings.Join(ix.keyNames(), ", "), strings.Join(attrNames(t.AttrDefs), ", "))
			}
		}
		ix.Projection, ix.NonKey = projectionOf(c.Projection)
		if err := setThroughput(t.Billing, c.ProvisionedThroughput, &ix.RCU, &ix.WCU, ix.Name); err != nil {
			return err
		}
		if s.opts.CreateDelay > 0 {
			ix.ActiveAt = now.Add(s.opts.CreateDelay)
		}
		t.GSIs = append(t.GSIs, ix)
		// Backfill the new index from the table.
		return s.scanItems(tx, sc.Prefix("item", t.Name), func(it Item) error {
			return putIndexEntry(tx, sc, t, ix, it)
		})
	case u.Delete != nil:
		n := ptr.Deref(u.Delete.IndexName)
		i := slices.IndexFunc(t.GSIs, func(ix indexRecord) bool { return ix.Name == n })
		if i < 0 {
			return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Index: %s not found", n)
		}
		t.GSIs = slices.Delete(t.GSIs, i, i+1)
		return storage.DeletePrefix(tx, sc.Prefix("idx", t.Name, n))
	case u.Update != nil:
		n := ptr.Deref(u.Update.IndexName)
		i := slices.IndexFunc(t.GSIs, func(ix indexRecord) bool { return ix.Name == n })
		if i < 0 {
			return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: Index: %s not found", n)
		}
		return setThroughput(t.Billing, u.Update.ProvisionedThroughput, &t.GSIs[i].RCU, &t.GSIs[i].WCU, n)
	}
	return nil
}

func (s *DynamoDB) scanItems(tx storage.Tx, prefix []byte, fn func(Item) error) error {
	var ferr error
	err := tx.Scan(prefix, storage.ScanOptions{}, func(_, v []byte) bool {
		it, err := decodeItem(v)
		if err == nil {
			err = fn(it)
		}
		ferr = err
		return err == nil
	})
	if err != nil {
		return err
	}
	return ferr
}

// DescribeTimeToLive reports the table's TTL setting.
func (s *DynamoDB) DescribeTimeToLive(ctx *request.Context, in *dynamodbapi.DescribeTimeToLiveInput) (*dynamodbapi.DescribeTimeToLiveOutput, error) {
	name := tableName(in.TableName)
	var t *tableRecord
	err := s.store.View(func(tx storage.Tx) (err error) {
		t, err = s.loadTable(tx, scopeOf(ctx), name)
		return err
	})
	if err != nil {
		return nil, err
	}
	d := &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr.To("DISABLED")}
	if t.TTLOn {
		d = &dynamodbapi.TimeToLiveDescription{TimeToLiveStatus: ptr.To("ENABLED"), AttributeName: ptr.To(t.TTLAttr)}
	}
	return &dynamodbapi.DescribeTimeToLiveOutput{TimeToLiveDescription: d}, nil
}

// UpdateTimeToLive turns TTL on or off for an attribute.
func (s *DynamoDB) UpdateTimeToLive(ctx *request.Context, in *dynamodbapi.UpdateTimeToLiveInput) (*dynamodbapi.UpdateTimeToLiveOutput, error) {
	name := tableName(in.TableName)
	sc := scopeOf(ctx)
	spec := in.TimeToLiveSpecification
	err := s.store.Update(func(tx storage.Tx) error {
		t, err := s.loadTable(tx, sc, name)
		if err != nil {
			return err
		}
		on := ptr.Deref(spec.Enabled)
		switch {
		case on && t.TTLOn:
			return validation("TimeToLive is already enabled")
		case !on && !t.TTLOn:
			return validation("TimeToLive is already disabled")
		case !on && t.TTLAttr != ptr.Deref(spec.AttributeName):
			return validation("The TimeToLive attribute name provided does not match the existing one")
		}
		t.TTLOn, t.TTLAttr = on, ptr.Deref(spec.AttributeName)
		if on {
			if err := ttlTables.Put(tx, globalScope, ttlRef{sc.Account, sc.Region, name}, sc.Account, sc.Region, name); err != nil {
				return err
			}
		} else if err := ttlTables.Delete(tx, globalScope, sc.Account, sc.Region, name); err != nil {
			return err
		}
		return tables.Put(tx, sc, *t, name)
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateTimeToLiveOutput{TimeToLiveSpecification: spec}, nil
}

// Tags.

func (s *DynamoDB) withTableByARN(ctx *request.Context, arn string, write bool, fn func(t *tableRecord) error) error {
	sc := scopeOf(ctx)
	prefix := fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/", ctx.Region, ctx.Account)
	if !strings.HasPrefix(arn, prefix) {
		return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: ResourcArn: %s not found", arn)
	}
	name := strings.TrimPrefix(arn, prefix)
	run := s.store.View
	if write {
		run = s.store.Update
	}
	return run(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return dynamodbapi.ErrResourceNotFoundException.New("Requested resource not found: ResourcArn: %s not found", arn)
		}
		if err := fn(&t); err != nil {
			return err
		}
		if write {
			return tables.Put(tx, sc, t, name)
		}
		return nil
	})
}

// TagResource adds or replaces tags.
func (s *DynamoDB) TagResource(ctx *request.Context, in *dynamodbapi.TagResourceInput) (*dynamodbapi.TagResourceOutput, error) {
	err := s.withTableByARN(ctx, ptr.Deref(in.ResourceArn), true, func(t *tableRecord) error {
		for _, tg := range in.Tags {
			k := ptr.Deref(tg.Key)
			t.Tags = slices.DeleteFunc(t.Tags, func(x tag) bool { return x.Key == k })
			t.Tags = append(t.Tags, tag{k, ptr.Deref(tg.Value)})
		}
		if len(t.Tags) > 50 {
			return dynamodbapi.ErrLimitExceededException.New("Too many tags on resource")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.TagResourceOutput{}, nil
}

// UntagResource removes tags.
func (s *DynamoDB) UntagResource(ctx *request.Context, in *dynamodbapi.UntagResourceInput) (*dynamodbapi.UntagResourceOutput, error) {
	err := s.withTableByARN(ctx, ptr.Deref(in.ResourceArn), true, func(t *tableRecord) error {
		t.Tags = slices.DeleteFunc(t.Tags, func(x tag) bool { return slices.Contains(in.TagKeys, x.Key) })
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UntagResourceOutput{}, nil
}

// ListTagsOfResource lists a table's tags.
func (s *DynamoDB) ListTagsOfResource(ctx *request.Context, in *dynamodbapi.ListTagsOfResourceInput) (*dynamodbapi.ListTagsOfResourceOutput, error) {
	out := &dynamodbapi.ListTagsOfResourceOutput{Tags: []dynamodbapi.Tag{}}
	err := s.withTableByARN(ctx, ptr.Deref(in.ResourceArn), false, func(t *tableRecord) error {
		for _, tg := range t.Tags {
			out.Tags = append(out.Tags, dynamodbapi.Tag{Key: ptr.To(tg.Key), Value: ptr.To(tg.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeEndpoints answers with the regional endpoint, as DynamoDB does.
func (s *DynamoDB) DescribeEndpoints(ctx *request.Context, in *dynamodbapi.DescribeEndpointsInput) (*dynamodbapi.DescribeEndpointsOutput, error) {
	return &dynamodbapi.DescribeEndpointsOutput{Endpoints: []dynamodbapi.Endpoint{{Address: ptr.To("dynamodb." + ctx.Region + ".amazonaws.com"), CachePeriodInMinutes: ptr.To(int64(1440))}}}, nil
}

// DescribeLimits answers with DynamoDB's default quotas.
func (s *DynamoDB) DescribeLimits(ctx *request.Context, in *dynamodbapi.DescribeLimitsInput) (*dynamodbapi.DescribeLimitsOutput, error) {
	return &dynamodbapi.DescribeLimitsOutput{
		AccountMaxReadCapacityUnits: ptr.To(int64(80000)), AccountMaxWriteCapacityUnits: ptr.To(int64(80000)),
		TableMaxReadCapacityUnits: ptr.To(int64(40000)), TableMaxWriteCapacityUnits: ptr.To(int64(40000)),
	}, nil
}
