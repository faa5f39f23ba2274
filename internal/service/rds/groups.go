package rds

import (
	"strings"
	"time"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

type subnetRec struct{ ID, AZ string }

type subnetGroupRec struct {
	Name, ARN, Description string
	Subnets                []subnetRec
	Tags                   []rdsapi.Tag
}

type paramGroupRec struct {
	Name, ARN, Family, Description string
	Params                         map[string]string
	Tags                           []rdsapi.Tag
}

// loadSubnetGroup reads a subnet group by name (any case).
func loadSubnetGroup(tx storage.Tx, ctx *request.Context, name string) (subnetGroupRec, error) {
	g, ok, err := subnetGroups.Get(tx, scope(ctx), strings.ToLower(name))
	if err != nil {
		return g, err
	}
	if !ok {
		return g, rdsapi.ErrDBSubnetGroupNotFoundFault.New("DBSubnetGroup '%s' not found.", name)
	}
	return g, nil
}

func (g subnetGroupRec) describe(region string) rdsapi.DBSubnetGroup {
	out := rdsapi.DBSubnetGroup{DBSubnetGroupName: ptr.To(g.Name), DBSubnetGroupArn: ptr.To(g.ARN),
		DBSubnetGroupDescription: ptr.To(g.Description), SubnetGroupStatus: ptr.To("Complete"), SupportedNetworkTypes: []string{"IPV4"},
		Subnets: []rdsapi.Subnet{}}
	for _, sn := range g.Subnets {
		out.Subnets = append(out.Subnets, rdsapi.Subnet{SubnetIdentifier: ptr.To(sn.ID), SubnetStatus: ptr.To("Active"),
			SubnetAvailabilityZone: &rdsapi.AvailabilityZone{Name: ptr.To(sn.AZ)}})
	}
	return out
}

// CreateDBSubnetGroup records the subnets an instance may be placed in.
func (s *RDS) CreateDBSubnetGroup(ctx *request.Context, in *rdsapi.CreateDBSubnetGroupInput) (*rdsapi.CreateDBSubnetGroupOutput, error) {
	name := ptr.Deref(in.DBSubnetGroupName)
	if strings.EqualFold(name, "default") {
		return nil, awserr.InvalidParameterValue.New("DBSubnetGroupName must not be default.")
	}
	if len(in.SubnetIds) == 0 {
		return nil, awserr.InvalidParameterValue.New("Some input subnets are invalid.")
	}
	g := subnetGroupRec{Name: strings.ToLower(name), ARN: arn(ctx, "subgrp", strings.ToLower(name)), Description: ptr.Deref(in.DBSubnetGroupDescription), Tags: in.Tags}
	zones := []string{"a", "b", "c"}
	for i, id := range in.SubnetIds {
		// niwa does not ask EC2 for the subnets' zones: they are spread
		// over the region's zones in order.
		g.Subnets = append(g.Subnets, subnetRec{ID: id, AZ: ctx.Region + zones[i%len(zones)]})
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := subnetGroups.Get(tx, scope(ctx), g.Name); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBSubnetGroupAlreadyExistsFault.New("The DB subnet group '%s' already exists.", name)
		}
		return subnetGroups.Put(tx, scope(ctx), g, g.Name)
	})
	if err != nil {
		return nil, err
	}
	d := g.describe(ctx.Region)
	return &rdsapi.CreateDBSubnetGroupOutput{DBSubnetGroup: &d}, nil
}

// DescribeDBSubnetGroups lists subnet groups.
func (s *RDS) DescribeDBSubnetGroups(ctx *request.Context, in *rdsapi.DescribeDBSubnetGroupsInput) (*rdsapi.DescribeDBSubnetGroupsOutput, error) {
	var gs []subnetGroupRec
	err := s.store.View(func(tx storage.Tx) error {
		if n := ptr.Deref(in.DBSubnetGroupName); n != "" {
			g, err := loadSubnetGroup(tx, ctx, n)
			if err != nil {
				return err
			}
			gs = append(gs, g)
			return nil
		}
		return subnetGroups.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, g subnetGroupRec) bool {
			gs = append(gs, g)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	page, marker, err := paginate(gs, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeDBSubnetGroupsOutput{Marker: marker, DBSubnetGroups: []rdsapi.DBSubnetGroup{}}
	for _, g := range page {
		out.DBSubnetGroups = append(out.DBSubnetGroups, g.describe(ctx.Region))
	}
	return out, nil
}

// DeleteDBSubnetGroup deletes a subnet group no instance uses.
func (s *RDS) DeleteDBSubnetGroup(ctx *request.Context, in *rdsapi.DeleteDBSubnetGroupInput) (*rdsapi.DeleteDBSubnetGroupOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBSubnetGroupName))
	err := s.store.Update(func(tx storage.Tx) error {
		used := false
		err := instances.List(tx, anywhere, []string{ctx.Account, ctx.Region}, storage.ListOptions{}, func(_ []string, r instanceRec) bool {
			used = used || r.SubnetGroup == name
			return !used
		})
		if err != nil {
			return err
		}
		if used {
			return rdsapi.ErrInvalidDBSubnetGroupStateFault.New("Cannot delete the subnet group '%s' because at least one database instance: is still using it.", name)
		}
		ok, err := subnetGroups.DeleteExisting(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBSubnetGroupNotFoundFault.New("DBSubnetGroup '%s' not found.", ptr.Deref(in.DBSubnetGroupName))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeleteDBSubnetGroupOutput{}, nil
}

// engineParams are the parameters niwa passes to the server when a
// parameter group sets them (names as both engines spell them), with
// their defaults for DescribeDBParameters.
var engineParams = map[string]string{"max_connections": "", "time_zone": "", "character_set_server": "", "work_mem": "", "statement_timeout": ""}

// groupParams is the engine settings of a parameter group (a default.*
// group has none); it errs when the group does not exist.
func (s *RDS) groupParams(tx storage.Tx, ctx *request.Context, name, engine, version string) (map[string]string, error) {
	if strings.HasPrefix(name, "default.") {
		return nil, nil
	}
	g, ok, err := paramGroups.Get(tx, scope(ctx), strings.ToLower(name))
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, rdsapi.ErrDBParameterGroupNotFoundFault.New("DBParameterGroup not found: %s", name)
	}
	out := map[string]string{}
	for k, v := range g.Params {
		if _, known := engineParams[k]; known && forKind(k, engine) {
			out[k] = v
		}
	}
	return out, nil
}

// forKind: which engine knows a parameter by that name.
func forKind(param, engine string) bool {
	switch param {
	case "work_mem", "statement_timeout":
		return kindOf(engine) == dbengine.Postgres
	case "time_zone", "character_set_server":
		return kindOf(engine) != dbengine.Postgres
	}
	return true
}

// CreateDBParameterGroup creates a parameter group of a family.
func (s *RDS) CreateDBParameterGroup(ctx *request.Context, in *rdsapi.CreateDBParameterGroupInput) (*rdsapi.CreateDBParameterGroupOutput, error) {
	name := ptr.Deref(in.DBParameterGroupName)
	fam := ptr.Deref(in.DBParameterGroupFamily)
	if !validFamily(fam) {
		return nil, awserr.InvalidParameterValue.New("ParameterGroupFamily %s is not a valid parameter group family", fam)
	}
	g := paramGroupRec{Name: strings.ToLower(name), ARN: arn(ctx, "pg", strings.ToLower(name)), Family: fam, Description: ptr.Deref(in.Description), Tags: in.Tags, Params: map[string]string{}}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := paramGroups.Get(tx, scope(ctx), g.Name); err != nil {
			return err
		} else if ok {
			return rdsapi.ErrDBParameterGroupAlreadyExistsFault.New("Parameter group %s already exists", name)
		}
		return paramGroups.Put(tx, scope(ctx), g, g.Name)
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.CreateDBParameterGroupOutput{DBParameterGroup: g.describe()}, nil
}

func (g paramGroupRec) describe() *rdsapi.DBParameterGroup {
	return &rdsapi.DBParameterGroup{DBParameterGroupName: ptr.To(g.Name), DBParameterGroupFamily: ptr.To(g.Family),
		Description: ptr.To(g.Description), DBParameterGroupArn: ptr.To(g.ARN)}
}

func validFamily(f string) bool {
	for e, vs := range engineVersions {
		for _, v := range vs {
			if family(e, v) == f {
				return true
			}
		}
	}
	return false
}

// DescribeDBParameterGroups lists parameter groups.
func (s *RDS) DescribeDBParameterGroups(ctx *request.Context, in *rdsapi.DescribeDBParameterGroupsInput) (*rdsapi.DescribeDBParameterGroupsOutput, error) {
	page, marker, err := s.describeGroups(ctx, instanceParams, in.DBParameterGroupName, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeDBParameterGroupsOutput{Marker: marker, DBParameterGroups: []rdsapi.DBParameterGroup{}}
	for _, g := range page {
		out.DBParameterGroups = append(out.DBParameterGroups, *g.describe())
	}
	return out, nil
}

// ModifyDBParameterGroup sets parameters; instances pick them up at
// their next reboot.
func (s *RDS) ModifyDBParameterGroup(ctx *request.Context, in *rdsapi.ModifyDBParameterGroupInput) (*rdsapi.ModifyDBParameterGroupOutput, error) {
	name, err := s.modifyGroup(ctx, instanceParams, in.DBParameterGroupName, in.Parameters)
	if err != nil {
		return nil, err
	}
	return &rdsapi.ModifyDBParameterGroupOutput{DBParameterGroupName: ptr.To(name)}, nil
}

// DescribeDBParameters lists the parameters niwa applies and their
// values in the group.
func (s *RDS) DescribeDBParameters(ctx *request.Context, in *rdsapi.DescribeDBParametersInput) (*rdsapi.DescribeDBParametersOutput, error) {
	page, marker, err := s.describeParams(ctx, instanceParams, in.DBParameterGroupName, in.Source, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	return &rdsapi.DescribeDBParametersOutput{Parameters: page, Marker: marker}, nil
}

// DeleteDBParameterGroup deletes a parameter group.
func (s *RDS) DeleteDBParameterGroup(ctx *request.Context, in *rdsapi.DeleteDBParameterGroupInput) (*rdsapi.DeleteDBParameterGroupOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DBParameterGroupName))
	if strings.HasPrefix(name, "default.") {
		return nil, rdsapi.ErrInvalidDBParameterGroupStateFault.New("Default parameter group cannot be deleted")
	}
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := paramGroups.DeleteExisting(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		if !ok {
			return rdsapi.ErrDBParameterGroupNotFoundFault.New("DBParameterGroup not found: %s", ptr.Deref(in.DBParameterGroupName))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &rdsapi.DeleteDBParameterGroupOutput{}, nil
}

// eventRec is one RDS event.
type eventRec struct {
	Source, Type, Category, Message string
	Date                            time.Time
	ARN                             string
}

func (s *RDS) addEvent(tx storage.Tx, account, region, source, typ, category, msg string, at time.Time) error {
	kind := map[string]string{"db-instance": "db", "db-snapshot": "snapshot", "db-cluster": "cluster", "db-cluster-snapshot": "cluster-snapshot", "db-proxy": "db-proxy"}[typ]
	e := eventRec{Source: source, Type: typ, Category: category, Message: msg, Date: at,
		ARN: "arn:aws:rds:" + region + ":" + account + ":" + kind + ":" + source}
	key := at.UTC().Format("20060102T150405.000000000") + "-" + source + "-" + category
	if err := eventLog.Put(tx, storage.Scope{Account: account, Region: region}, e, key); err != nil {
		return err
	}
	return s.notify(tx, account, region, e)
}

// DescribeEvents lists events of the last hour (Duration minutes, or
// StartTime..EndTime), as RDS does.
func (s *RDS) DescribeEvents(ctx *request.Context, in *rdsapi.DescribeEventsInput) (*rdsapi.DescribeEventsOutput, error) {
	end := now(ctx)
	if in.EndTime != nil {
		end = *in.EndTime
	}
	start := end.Add(-time.Hour)
	if in.Duration != nil {
		start = end.Add(-time.Duration(*in.Duration) * time.Minute)
	}
	if in.StartTime != nil {
		start = *in.StartTime
	}
	var es []eventRec
	err := s.store.View(func(tx storage.Tx) error {
		return eventLog.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, e eventRec) bool {
			if e.Date.Before(start) || e.Date.After(end) {
				return true
			}
			if v := ptr.Deref(in.SourceIdentifier); v != "" && !strings.EqualFold(v, e.Source) {
				return true
			}
			if v := ptr.Deref(in.SourceType); v != "" && v != e.Type {
				return true
			}
			if len(in.EventCategories) > 0 {
				ok := false
				for _, c := range in.EventCategories {
					ok = ok || c == e.Category
				}
				if !ok {
					return true
				}
			}
			es = append(es, e)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	page, marker, err := paginate(es, in.Marker, in.MaxRecords)
	if err != nil {
		return nil, err
	}
	out := &rdsapi.DescribeEventsOutput{Marker: marker, Events: []rdsapi.Event{}}
	for _, e := range page {
		out.Events = append(out.Events, rdsapi.Event{SourceIdentifier: ptr.To(e.Source), SourceType: ptr.To(e.Type),
			Message: ptr.To(e.Message), EventCategories: []string{e.Category}, Date: ptr.To(e.Date), SourceArn: ptr.To(e.ARN)})
	}
	return out, nil
}
