package dynamodb

import (
	"slices"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Replica auto scaling (DescribeTableReplicaAutoScaling,
// UpdateTableReplicaAutoScaling). AWS keeps these settings in Application
// Auto Scaling, one scalable target per replica and capacity dimension;
// niwa keeps them on each replica's table record and reports them as AWS
// does. niwa has no capacity to scale (it never throttles), so the settings
// are stored and described, not acted on.

// scalingRole is the service-linked role Application Auto Scaling uses for
// DynamoDB whatever role the caller names (AWS reports this one).
const scalingRole = "role/aws-service-role/dynamodb.application-autoscaling.amazonaws.com/AWSServiceRoleForApplicationAutoScaling_DynamoDBTable"

// scalingRec is one capacity dimension's auto scaling settings.
type scalingRec struct {
	Min, Max int64
	Disabled bool `json:",omitempty"`
	// Policy is the target tracking policy, if any.
	Policy *scalingPolicy `json:",omitempty"`
}

type scalingPolicy struct {
	Name           string
	DisableScaleIn bool `json:",omitempty"`
	In, Out        int32
	Target         float64
}

// tableScaling is a replica's settings: its table's read and write
// capacity, and each GSI's (by index name).
type tableScaling struct {
	Read, Write *scalingRec            `json:",omitempty"`
	GSIRead     map[string]*scalingRec `json:",omitempty"`
	GSIWrite    map[string]*scalingRec `json:",omitempty"`
}

func (r *scalingRec) describe(account string) *dynamodbapi.AutoScalingSettingsDescription {
	if r == nil {
		return &dynamodbapi.AutoScalingSettingsDescription{AutoScalingDisabled: ptr.To(true)}
	}
	d := &dynamodbapi.AutoScalingSettingsDescription{
		MinimumUnits: ptr.To(r.Min), MaximumUnits: ptr.To(r.Max),
		AutoScalingDisabled: ptr.To(r.Disabled),
		AutoScalingRoleArn:  ptr.To("arn:aws:iam::" + account + ":" + scalingRole),
	}
	if p := r.Policy; p != nil {
		d.ScalingPolicies = []dynamodbapi.AutoScalingPolicyDescription{{
			PolicyName: ptr.To(p.Name),
			TargetTrackingScalingPolicyConfiguration: &dynamodbapi.AutoScalingTargetTrackingScalingPolicyConfigurationDescription{
				DisableScaleIn: ptr.To(p.DisableScaleIn), ScaleInCooldown: ptr.To(p.In),
				ScaleOutCooldown: ptr.To(p.Out), TargetValue: ptr.To(p.Target),
			},
		}}
	}
	return d
}

// applyScaling merges an update into cur (nil: no settings yet), checking
// it as Application Auto Scaling does: both bounds at least 1, the minimum
// not above the maximum, a target utilization of 20–90 percent.
func applyScaling(cur *scalingRec, u *dynamodbapi.AutoScalingSettingsUpdate) (*scalingRec, error) {
	if u == nil {
		return cur, nil
	}
	n := scalingRec{}
	if cur != nil {
		n = *cur
		if cur.Policy != nil {
			p := *cur.Policy
			n.Policy = &p
		}
	}
	if u.MinimumUnits != nil {
		n.Min = *u.MinimumUnits
	}
	if u.MaximumUnits != nil {
		n.Max = *u.MaximumUnits
	}
	if u.AutoScalingDisabled != nil {
		n.Disabled = *u.AutoScalingDisabled
	}
	if n.Min < 1 || n.Max < 1 {
		return nil, validation("One or more parameter values were invalid: MinimumUnits and MaximumUnits must be specified and at least 1")
	}
	if n.Min > n.Max {
		return nil, validation("One or more parameter values were invalid: MinimumUnits (%d) cannot be greater than MaximumUnits (%d)", n.Min, n.Max)
	}
	if p := u.ScalingPolicyUpdate; p != nil {
		c := p.TargetTrackingScalingPolicyConfiguration
		if c == nil || c.TargetValue == nil {
			return nil, validation("One or more parameter values were invalid: TargetTrackingScalingPolicyConfiguration.TargetValue is required")
		}
		if *c.TargetValue < 20 || *c.TargetValue > 90 {
			return nil, validation("One or more parameter values were invalid: TargetValue must be between 20 and 90")
		}
		name := ptr.Deref(p.PolicyName)
		if name == "" {
			name = "DynamoDBScalingPolicy"
		}
		n.Policy = &scalingPolicy{Name: name, DisableScaleIn: ptr.Deref(c.DisableScaleIn),
			In: ptr.Deref(c.ScaleInCooldown), Out: ptr.Deref(c.ScaleOutCooldown), Target: *c.TargetValue}
	}
	return &n, nil
}

// replicaRegions is the regions holding a replica of t: every member of a
// current-version global table, or t's own region alone.
func replicaRegions(t *tableRecord) []string {
	if t.Global != nil && t.Global.Version == globalCurrent {
		return t.Global.Regions
	}
	return []string{regionOf(t)}
}

func (s *DynamoDB) scalingDescription(tx storage.Tx, ctx *request.Context, t *tableRecord) (*dynamodbapi.TableAutoScalingDescription, error) {
	d := &dynamodbapi.TableAutoScalingDescription{TableName: ptr.To(t.Name),
		TableStatus: ptr.To(status(t.ActiveAt, ctx.Now(), "ACTIVE")), Replicas: []dynamodbapi.ReplicaAutoScalingDescription{}}
	for _, r := range replicaRegions(t) {
		rt, ok, err := tables.Get(tx, storage.Scope{Account: ctx.Account, Region: r}, t.Name)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		sc := rt.Scaling
		if sc == nil {
			sc = &tableScaling{}
		}
		rd := dynamodbapi.ReplicaAutoScalingDescription{RegionName: ptr.To(r), ReplicaStatus: ptr.To("ACTIVE"),
			GlobalSecondaryIndexes:                             []dynamodbapi.ReplicaGlobalSecondaryIndexAutoScalingDescription{},
			ReplicaProvisionedReadCapacityAutoScalingSettings:  sc.Read.describe(ctx.Account),
			ReplicaProvisionedWriteCapacityAutoScalingSettings: sc.Write.describe(ctx.Account)}
		for _, ix := range rt.GSIs {
			rd.GlobalSecondaryIndexes = append(rd.GlobalSecondaryIndexes, dynamodbapi.ReplicaGlobalSecondaryIndexAutoScalingDescription{
				IndexName: ptr.To(ix.Name), IndexStatus: ptr.To("ACTIVE"),
				ProvisionedReadCapacityAutoScalingSettings:  sc.GSIRead[ix.Name].describe(ctx.Account),
				ProvisionedWriteCapacityAutoScalingSettings: sc.GSIWrite[ix.Name].describe(ctx.Account),
			})
		}
		d.Replicas = append(d.Replicas, rd)
	}
	return d, nil
}

// DescribeTableReplicaAutoScaling reports every replica's auto scaling
// settings (a table that is no global table is its own only replica).
func (s *DynamoDB) DescribeTableReplicaAutoScaling(ctx *request.Context, in *dynamodbapi.DescribeTableReplicaAutoScalingInput) (*dynamodbapi.DescribeTableReplicaAutoScalingOutput, error) {
	name := tableName(in.TableName)
	var out *dynamodbapi.TableAutoScalingDescription
	err := s.store.View(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, scopeOf(ctx), name)
		if err != nil {
			return err
		}
		if !ok || t.Deleting {
			return tableNotFound(name)
		}
		out, err = s.scalingDescription(tx, ctx, &t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.DescribeTableReplicaAutoScalingOutput{TableAutoScalingDescription: out}, nil
}

// UpdateTableReplicaAutoScaling sets auto scaling of write capacity on
// every replica (writes are global) and of read capacity per replica, for
// the table and its GSIs. Only tables billed by provisioned capacity scale.
func (s *DynamoDB) UpdateTableReplicaAutoScaling(ctx *request.Context, in *dynamodbapi.UpdateTableReplicaAutoScalingInput) (*dynamodbapi.UpdateTableReplicaAutoScalingOutput, error) {
	name := tableName(in.TableName)
	var out *dynamodbapi.TableAutoScalingDescription
	err := s.store.Update(func(tx storage.Tx) error {
		t, ok, err := tables.Get(tx, scopeOf(ctx), name)
		if err != nil {
			return err
		}
		if !ok || t.Deleting {
			return tableNotFound(name)
		}
		if t.Billing == "PAY_PER_REQUEST" {
			return validation("AutoScaling is not available for tables with PAY_PER_REQUEST billing mode")
		}
		regions := replicaRegions(&t)
		gsi := func(ix string) error {
			if !slices.ContainsFunc(t.GSIs, func(g indexRecord) bool { return g.Name == ix }) {
				return dynamodbapi.ErrIndexNotFoundException.New("Requested resource not found: Index: %s not found for table: %s", ix, name)
			}
			return nil
		}
		for _, u := range in.GlobalSecondaryIndexUpdates {
			if err := gsi(ptr.Deref(u.IndexName)); err != nil {
				return err
			}
		}
		for _, ru := range in.ReplicaUpdates {
			if !slices.Contains(regions, ptr.Deref(ru.RegionName)) {
				return dynamodbapi.ErrReplicaNotFoundException.New("Replica not found in region %s", ptr.Deref(ru.RegionName))
			}
			for _, gu := range ru.ReplicaGlobalSecondaryIndexUpdates {
				if err := gsi(ptr.Deref(gu.IndexName)); err != nil {
					return err
				}
			}
		}
		for _, r := range regions {
			rsc := storage.Scope{Account: ctx.Account, Region: r}
			rt, ok, err := tables.Get(tx, rsc, name)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			sc := tableScaling{}
			if rt.Scaling != nil {
				sc = *rt.Scaling
			}
			if sc.Write, err = applyScaling(sc.Write, in.ProvisionedWriteCapacityAutoScalingUpdate); err != nil {
				return err
			}
			for _, u := range in.GlobalSecondaryIndexUpdates {
				w, err := applyScaling(sc.GSIWrite[*u.IndexName], u.ProvisionedWriteCapacityAutoScalingUpdate)
				if err != nil {
					return err
				}
				sc.GSIWrite = setScaling(sc.GSIWrite, *u.IndexName, w)
			}
			for _, ru := range in.ReplicaUpdates {
				if ptr.Deref(ru.RegionName) != r {
					continue
				}
				if sc.Read, err = applyScaling(sc.Read, ru.ReplicaProvisionedReadCapacityAutoScalingUpdate); err != nil {
					return err
				}
				for _, gu := range ru.ReplicaGlobalSecondaryIndexUpdates {
					rd, err := applyScaling(sc.GSIRead[*gu.IndexName], gu.ProvisionedReadCapacityAutoScalingUpdate)
					if err != nil {
						return err
					}
					sc.GSIRead = setScaling(sc.GSIRead, *gu.IndexName, rd)
				}
			}
			rt.Scaling = &sc
			if err := tables.Put(tx, rsc, rt, name); err != nil {
				return err
			}
		}
		out, err = s.scalingDescription(tx, ctx, &t)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &dynamodbapi.UpdateTableReplicaAutoScalingOutput{TableAutoScalingDescription: out}, nil
}

// setScaling returns m with m[k] = v, copying m so a stored map is never
// changed in place.
func setScaling(m map[string]*scalingRec, k string, v *scalingRec) map[string]*scalingRec {
	n := make(map[string]*scalingRec, len(m)+1)
	for a, b := range m {
		n[a] = b
	}
	if v != nil {
		n[k] = v
	}
	return n
}

// writeAutoScaled reports whether t's write capacity is auto scaled with a
// scaling policy, which AWS requires of a provisioned table with replicas.
func (t *tableRecord) writeAutoScaled() bool {
	return t.Scaling != nil && t.Scaling.Write != nil && !t.Scaling.Write.Disabled && t.Scaling.Write.Policy != nil
}
