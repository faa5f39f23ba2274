package ec2

import (
	"errors"
	"math"
	"sort"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// EC2 Fleet at API level. A fleet's On-Demand capacity is launched through
// RunInstances with the fleet's launch template and the chosen override;
// its Spot capacity is never fulfilled, because niwa has no Spot market
// (as its Spot requests stay open): an instant fleet reports AWS's
// InsufficientInstanceCapacity error for it, a request or maintain fleet
// stays pending_fulfillment. A maintain fleet does not replace instances
// terminated outside it.

var fleets = resource[fleetRecord]{table: storage.NewTable[fleetRecord]("fleet"), prefix: "fleet", typ: "fleet", noun: "fleet", notFound: code("InvalidFleetId.NotFound"),
	tags: func(v *fleetRecord) *[]ec2api.Tag { return &v.Data.Tags }, doc: fleetDoc}

type fleetRecord struct {
	Data ec2api.FleetData
	// Launched are the fleet's instances, in launch order, with the
	// instance type each was launched as.
	Launched []fleetInstance
	History  []ec2api.HistoryRecordEntry
}

type fleetInstance struct {
	ID, Type string
}

func fleetDoc(v *fleetRecord) filter.Doc {
	d := &v.Data
	return filter.New(d.Tags).Add("activity-status", ptr.Deref(d.ActivityStatus)).Add("excess-capacity-termination-policy", ptr.Deref(d.ExcessCapacityTerminationPolicy)).
		Add("fleet-state", ptr.Deref(d.FleetState)).Add("replace-unhealthy-instances", boolStr(ptr.Deref(d.ReplaceUnhealthyInstances))).Add("type", ptr.Deref(d.Type))
}

// fleetPool is one launch template and override a fleet launches from.
type fleetPool struct {
	spec     ec2api.FleetLaunchTemplateSpecification
	override ec2api.FleetLaunchTemplateOverrides
	weight   float64
	priority float64
}

// fleetPools flattens the launch template configs: each override is a
// pool, a config without overrides is one pool of the template as it is.
// Pools are ordered by priority (lower first), then as given.
func fleetPools(cfgs []ec2api.FleetLaunchTemplateConfigRequest) ([]fleetPool, error) {
	var out []fleetPool
	for _, c := range cfgs {
		ls := c.LaunchTemplateSpecification
		if ls == nil || (ls.LaunchTemplateId == nil && ls.LaunchTemplateName == nil) {
			return nil, errMissingParameter.New("The request must contain the parameter LaunchTemplateSpecification")
		}
		if ls.LaunchTemplateId != nil && ls.LaunchTemplateName != nil {
			return nil, errInvalidParameterCombo.New("Only one of LaunchTemplateId or LaunchTemplateName may be specified")
		}
		spec := ec2api.FleetLaunchTemplateSpecification{LaunchTemplateId: ls.LaunchTemplateId, LaunchTemplateName: ls.LaunchTemplateName, Version: ls.Version}
		if len(c.Overrides) == 0 {
			out = append(out, fleetPool{spec: spec, weight: 1, priority: math.MaxFloat64})
			continue
		}
		for _, o := range c.Overrides {
			var ov ec2api.FleetLaunchTemplateOverrides
			if err := convertShape(o, &ov); err != nil {
				return nil, err
			}
			w := ptr.Deref(o.WeightedCapacity)
			if o.WeightedCapacity != nil && w <= 0 {
				return nil, errInvalidParameterValue.New("Value (%g) for parameter WeightedCapacity is invalid. Expected a positive number.", w)
			}
			if w == 0 {
				w = 1
			}
			p := math.MaxFloat64
			if o.Priority != nil {
				p = *o.Priority
			}
			out = append(out, fleetPool{spec: spec, override: ov, weight: w, priority: p})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].priority < out[j].priority })
	return out, nil
}

func fleetConfigs(cfgs []ec2api.FleetLaunchTemplateConfigRequest) []ec2api.FleetLaunchTemplateConfig {
	out := []ec2api.FleetLaunchTemplateConfig{}
	for _, c := range cfgs {
		var v ec2api.FleetLaunchTemplateConfig
		if err := convertShape(c, &v); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// splitCapacity is the On-Demand and Spot shares of a target.
func splitCapacity(t ec2api.TargetCapacitySpecification) (onDemand, spot int32) {
	total := ptr.Deref(t.TotalTargetCapacity)
	onDemand, spot = ptr.Deref(t.OnDemandTargetCapacity), ptr.Deref(t.SpotTargetCapacity)
	if rest := total - onDemand - spot; rest > 0 {
		if ptr.Deref(t.DefaultTargetCapacityType) == "spot" {
			spot += rest
		} else {
			onDemand += rest
		}
	}
	return onDemand, spot
}

func validateTarget(t *ec2api.TargetCapacitySpecificationRequest) error {
	if t == nil || t.TotalTargetCapacity == nil {
		return errMissingParameter.New("The request must contain the parameter TargetCapacitySpecification.TotalTargetCapacity")
	}
	if *t.TotalTargetCapacity < 0 {
		return errInvalidParameterValue.New("Value (%d) for parameter TotalTargetCapacity is invalid. Expected a non-negative integer.", *t.TotalTargetCapacity)
	}
	if ptr.Deref(t.OnDemandTargetCapacity)+ptr.Deref(t.SpotTargetCapacity) > *t.TotalTargetCapacity {
		return errInvalidParameterValue.New("The sum of OnDemandTargetCapacity and SpotTargetCapacity cannot exceed TotalTargetCapacity")
	}
	if d := t.DefaultTargetCapacityType; d != nil && *d != "on-demand" && *d != "spot" && *d != "capacity-block" {
		return errInvalidParameterValue.New("Value (%s) for parameter DefaultTargetCapacityType is invalid. Valid values are on-demand, spot, capacity-block.", *d)
	}
	return nil
}

// launchFleet launches On-Demand capacity from the first pool that can
// launch, and answers what it launched and the errors of the pools that
// could not.
func (s *EC2) launchFleet(ctx *request.Context, id string, pools []fleetPool, capacity float64, tags []ec2api.TagSpecification) ([]ec2api.CreateFleetInstance, []ec2api.CreateFleetError, []fleetInstance, float64) {
	fulfilled := 0.0
	var launched []ec2api.CreateFleetInstance
	var errs []ec2api.CreateFleetError
	var recs []fleetInstance
	for _, p := range pools {
		if capacity <= 0 {
			break
		}
		n := int32(math.Ceil(capacity / p.weight))
		ov := p.override
		pl := &ec2api.LaunchTemplateAndOverridesResponse{LaunchTemplateSpecification: ptr.To(p.spec), Overrides: ptr.To(ov)}
		in := &ec2api.RunInstancesRequest{MinCount: ptr.To(n), MaxCount: ptr.To(n), InstanceType: ov.InstanceType, SubnetId: ov.SubnetId, ImageId: ov.ImageId,
			LaunchTemplate: &ec2api.LaunchTemplateSpecification{LaunchTemplateId: p.spec.LaunchTemplateId, LaunchTemplateName: p.spec.LaunchTemplateName, Version: p.spec.Version}}
		if ov.AvailabilityZone != nil {
			in.Placement = &ec2api.Placement{AvailabilityZone: ov.AvailabilityZone}
		}
		for _, t := range tags {
			if ptr.Deref(t.ResourceType) == "instance" || ptr.Deref(t.ResourceType) == "volume" {
				in.TagSpecifications = append(in.TagSpecifications, t)
			}
		}
		res, err := s.RunInstances(ctx, in)
		if err != nil {
			c, m := "UnexpectedError", err.Error()
			var e *awserr.Error
			if errors.As(err, &e) {
				c, m = e.Code.Code, e.Message
			}
			errs = append(errs, ec2api.CreateFleetError{LaunchTemplateAndOverrides: pl, Lifecycle: ptr.To("on-demand"), ErrorCode: ptr.To(c), ErrorMessage: ptr.To(m)})
			continue
		}
		item := ec2api.CreateFleetInstance{LaunchTemplateAndOverrides: pl, Lifecycle: ptr.To("on-demand"), InstanceIds: []string{}}
		for _, i := range res.Instances {
			item.InstanceIds = append(item.InstanceIds, ptr.Deref(i.InstanceId))
			item.InstanceType = i.InstanceType
			if i.Platform != nil {
				item.Platform = i.Platform
			}
			recs = append(recs, fleetInstance{ID: ptr.Deref(i.InstanceId), Type: ptr.Deref(i.InstanceType)})
		}
		launched = append(launched, item)
		capacity -= float64(n) * p.weight
		fulfilled += float64(n) * p.weight
		s.tagFleetInstances(ctx, id, item.InstanceIds)
	}
	return launched, errs, recs, fulfilled
}

// tagFleetInstances adds aws:ec2:fleet-id, the tag EC2 Fleet puts on
// what it launches (a reserved key no caller may set).
func (s *EC2) tagFleetInstances(ctx *request.Context, fleetID string, ids []string) {
	sc := scope(ctx)
	_ = s.store.Update(func(tx storage.Tx) error {
		for _, id := range ids {
			r, ok, err := instances.table.Get(tx, sc, id)
			if err != nil || !ok {
				return err
			}
			r.Tags = mergeTags(r.Tags, []ec2api.Tag{{Key: ptr.To("aws:ec2:fleet-id"), Value: ptr.To(fleetID)}})
			if err := instances.put(tx, sc, id, r); err != nil {
				return err
			}
		}
		return nil
	})
}

func spotUnavailable(pools []fleetPool) ec2api.CreateFleetError {
	p := pools[0]
	return ec2api.CreateFleetError{LaunchTemplateAndOverrides: &ec2api.LaunchTemplateAndOverridesResponse{LaunchTemplateSpecification: ptr.To(p.spec), Overrides: ptr.To(p.override)},
		Lifecycle: ptr.To("spot"), ErrorCode: ptr.To("InsufficientInstanceCapacity"), ErrorMessage: ptr.To("There is no Spot capacity available that matches your request.")}
}

func fleetEvent(now *request.Context, typ, sub, desc, instance string) ec2api.HistoryRecordEntry {
	e := ec2api.HistoryRecordEntry{EventType: ptr.To(typ), Timestamp: ptr.To(now.Now().UTC()), EventInformation: &ec2api.EventInformation{EventSubType: ptr.To(sub)}}
	if desc != "" {
		e.EventInformation.EventDescription = ptr.To(desc)
	}
	if instance != "" {
		e.EventInformation.InstanceId = ptr.To(instance)
	}
	return e
}

// CreateFleet creates an instant, request or maintain fleet and launches
// its On-Demand capacity.
func (s *EC2) CreateFleet(ctx *request.Context, in *ec2api.CreateFleetRequest) (*ec2api.CreateFleetResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	typ := "maintain"
	if in.Type != nil {
		typ = *in.Type
	}
	if typ != "instant" && typ != "request" && typ != "maintain" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter Type is invalid. Valid values are instant, request, maintain.", typ)
	}
	if len(in.LaunchTemplateConfigs) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter LaunchTemplateConfigs")
	}
	if len(in.LaunchTemplateConfigs) > 50 {
		return nil, errInvalidParameterValue.New("The number of launch template configs cannot exceed 50")
	}
	if err := validateTarget(in.TargetCapacitySpecification); err != nil {
		return nil, err
	}
	if p := in.ExcessCapacityTerminationPolicy; p != nil && *p != "termination" && *p != "no-termination" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter ExcessCapacityTerminationPolicy is invalid. Valid values are termination, no-termination.", *p)
	}
	for _, t := range in.TagSpecifications {
		if rt := ptr.Deref(t.ResourceType); rt != "fleet" && rt != "instance" && rt != "volume" {
			return nil, errInvalidParameterValue.New("'%s' is not a valid taggable resource type for this operation.", rt)
		}
		if rt := ptr.Deref(t.ResourceType); rt != "fleet" && typ != "instant" {
			return nil, errInvalidParameterValue.New("The specified resource type '%s' can only be tagged in an instant fleet.", rt)
		}
	}
	pools, err := fleetPools(in.LaunchTemplateConfigs)
	if err != nil {
		return nil, err
	}
	var target ec2api.TargetCapacitySpecification
	if err := convertShape(in.TargetCapacitySpecification, &target); err != nil {
		return nil, err
	}
	if target.DefaultTargetCapacityType == nil {
		target.DefaultTargetCapacityType = ptr.To("on-demand")
	}
	onDemand, spot := splitCapacity(target)
	id := "fleet-" + awsid.UUID()
	now := ctx.Now().UTC()
	data := ec2api.FleetData{FleetId: ptr.To(id), FleetState: ptr.To("active"), Type: ptr.To(typ), CreateTime: ptr.To(now), ClientToken: in.ClientToken,
		ExcessCapacityTerminationPolicy: in.ExcessCapacityTerminationPolicy, LaunchTemplateConfigs: fleetConfigs(in.LaunchTemplateConfigs), TargetCapacitySpecification: &target,
		TerminateInstancesWithExpiration: in.TerminateInstancesWithExpiration, ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, ReplaceUnhealthyInstances: in.ReplaceUnhealthyInstances,
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "fleet")), Context: in.Context, Errors: []ec2api.DescribeFleetError{}, Instances: []ec2api.DescribeFleetsInstances{}}
	if typ != "instant" && data.ExcessCapacityTerminationPolicy == nil {
		data.ExcessCapacityTerminationPolicy = ptr.To("termination")
	}
	if in.SpotOptions != nil {
		data.SpotOptions = &ec2api.SpotOptions{}
		_ = convertShape(in.SpotOptions, data.SpotOptions)
	}
	if in.OnDemandOptions != nil {
		data.OnDemandOptions = &ec2api.OnDemandOptions{}
		_ = convertShape(in.OnDemandOptions, data.OnDemandOptions)
	}
	launched, errs, recs, fulfilled := s.launchFleet(ctx, id, pools, float64(onDemand), in.TagSpecifications)
	if spot > 0 {
		errs = append(errs, spotUnavailable(pools))
	}
	data.FulfilledCapacity, data.FulfilledOnDemandCapacity = ptr.To(fulfilled), ptr.To(fulfilled)
	switch {
	case typ == "instant":
		data.ActivityStatus = nil
		for _, item := range launched {
			var v ec2api.DescribeFleetsInstances
			_ = convertShape(item, &v)
			data.Instances = append(data.Instances, v)
		}
		for _, e := range errs {
			var v ec2api.DescribeFleetError
			_ = convertShape(e, &v)
			data.Errors = append(data.Errors, v)
		}
	case fulfilled >= float64(ptr.Deref(target.TotalTargetCapacity)):
		data.ActivityStatus = ptr.To("fulfilled")
	case len(recs) == 0 && spot == 0:
		data.ActivityStatus = ptr.To("error")
	default:
		data.ActivityStatus = ptr.To("pending_fulfillment")
	}
	if typ == "instant" && len(recs) == 0 && len(errs) > 0 && spot == 0 {
		// An instant fleet that launched nothing answers the first
		// launch error, as AWS's does, and is not kept.
		return &ec2api.CreateFleetResult{FleetId: ptr.To(id), Errors: errs, Instances: []ec2api.CreateFleetInstance{}}, nil
	}
	rec := fleetRecord{Data: data, Launched: recs, History: []ec2api.HistoryRecordEntry{fleetEvent(ctx, "fleetRequestChange", "submitted", "", ""), fleetEvent(ctx, "fleetRequestChange", "active", "", "")}}
	for _, r := range recs {
		rec.History = append(rec.History, fleetEvent(ctx, "instanceChange", "launched", "", r.ID))
	}
	if err := s.store.Update(func(tx storage.Tx) error { return fleets.put(tx, scope(ctx), id, rec) }); err != nil {
		return nil, err
	}
	out := &ec2api.CreateFleetResult{FleetId: ptr.To(id)}
	if typ == "instant" {
		out.Instances, out.Errors = orEmpty(launched), orEmpty(errs)
	}
	return out, nil
}

// DescribeFleets lists fleets; deleted ones stay visible (AWS keeps them
// for a while, in a deleted state).
func (s *EC2) DescribeFleets(ctx *request.Context, in *ec2api.DescribeFleetsRequest) (*ec2api.DescribeFleetsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, fleets, page{ids: in.FleetIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeFleetsResult{Fleets: []ec2api.FleetData{}, NextToken: next}
	for _, r := range recs {
		out.Fleets = append(out.Fleets, r.Data)
	}
	return out, nil
}

// activeFleetInstances are a fleet's instances not terminated.
func (s *EC2) activeFleetInstances(tx storage.Tx, sc storage.Scope, r fleetRecord) ([]fleetInstance, error) {
	var out []fleetInstance
	for _, fi := range r.Launched {
		ir, ok, err := instances.table.Get(tx, sc, fi.ID)
		if err != nil {
			return nil, err
		}
		if ok && ir.State != "terminated" && ir.State != "shutting-down" {
			out = append(out, fi)
		}
	}
	return out, nil
}

// DescribeFleetInstances lists a fleet's running instances.
func (s *EC2) DescribeFleetInstances(ctx *request.Context, in *ec2api.DescribeFleetInstancesRequest) (*ec2api.DescribeFleetInstancesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, filter.New(nil).Add("instance-type")); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var list []ec2api.ActiveInstance
	err := s.store.View(func(tx storage.Tx) error {
		r, err := fleets.get(tx, sc, ptr.Deref(in.FleetId))
		if err != nil {
			return err
		}
		act, err := s.activeFleetInstances(tx, sc, r)
		for _, fi := range act {
			if filter.Match(in.Filters, filter.New(nil).Add("instance-type", fi.Type)) {
				list = append(list, ec2api.ActiveInstance{InstanceId: ptr.To(fi.ID), InstanceType: ptr.To(fi.Type), InstanceHealth: ptr.To("healthy")})
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeFleetInstancesResult{FleetId: in.FleetId, ActiveInstances: append([]ec2api.ActiveInstance{}, items...), NextToken: next}, nil
}

// DescribeFleetHistory lists a fleet's events since StartTime.
func (s *EC2) DescribeFleetHistory(ctx *request.Context, in *ec2api.DescribeFleetHistoryRequest) (*ec2api.DescribeFleetHistoryResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.StartTime == nil {
		return nil, errMissingParameter.New("The request must contain the parameter StartTime")
	}
	if t := in.EventType; t != nil && *t != "instanceChange" && *t != "fleetRequestChange" && *t != "service-error" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter EventType is invalid. Valid values are instanceChange, fleetRequestChange, service-error.", *t)
	}
	var r fleetRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		r, err = fleets.get(tx, scope(ctx), ptr.Deref(in.FleetId))
		return err
	})
	if err != nil {
		return nil, err
	}
	var list []ec2api.HistoryRecordEntry
	for _, h := range r.History {
		if !h.Timestamp.Before(*in.StartTime) && (in.EventType == nil || *in.EventType == ptr.Deref(h.EventType)) {
			list = append(list, h)
		}
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeFleetHistoryResult{FleetId: in.FleetId, StartTime: in.StartTime, LastEvaluatedTime: ptr.To(ctx.Now().UTC()),
		HistoryRecords: append([]ec2api.HistoryRecordEntry{}, items...), NextToken: next}, nil
}

// DeleteFleets deletes fleets, terminating their instances when asked
// (always for instant fleets, which cannot keep theirs).
func (s *EC2) DeleteFleets(ctx *request.Context, in *ec2api.DeleteFleetsRequest) (*ec2api.DeleteFleetsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.TerminateInstances == nil {
		return nil, errMissingParameter.New("The request must contain the parameter TerminateInstances")
	}
	if len(in.FleetIds) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter FleetId")
	}
	sc := scope(ctx)
	out := &ec2api.DeleteFleetsResult{SuccessfulFleetDeletions: []ec2api.DeleteFleetSuccessItem{}, UnsuccessfulFleetDeletions: []ec2api.DeleteFleetErrorItem{}}
	var terminate []string
	fail := func(id, c, m string) {
		out.UnsuccessfulFleetDeletions = append(out.UnsuccessfulFleetDeletions, ec2api.DeleteFleetErrorItem{FleetId: ptr.To(id), Error: &ec2api.DeleteFleetError{Code: ptr.To(c), Message: ptr.To(m)}})
	}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, id := range in.FleetIds {
			if !strings.HasPrefix(id, "fleet-") {
				fail(id, "fleetIdMalformed", "The fleet ID '"+id+"' is malformed")
				continue
			}
			r, ok, err := fleets.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				fail(id, "fleetIdDoesNotExist", "The fleet ID '"+id+"' does not exist")
				continue
			}
			prev := ptr.Deref(r.Data.FleetState)
			if prev != "active" && prev != "submitted" && prev != "modifying" {
				fail(id, "fleetNotInDeletableState", "The fleet '"+id+"' is not in a deletable state")
				continue
			}
			if ptr.Deref(r.Data.Type) == "instant" && !*in.TerminateInstances {
				fail(id, "fleetNotInDeletableState", "NoTerminateInstances is not supported for instant fleets")
				continue
			}
			cur := "deleted_running"
			if *in.TerminateInstances {
				cur = "deleted_terminating"
				act, err := s.activeFleetInstances(tx, sc, r)
				if err != nil {
					return err
				}
				for _, fi := range act {
					terminate = append(terminate, fi.ID)
					r.History = append(r.History, fleetEvent(ctx, "instanceChange", "terminated", "", fi.ID))
				}
			}
			r.Data.FleetState = ptr.To(cur)
			r.History = append(r.History, fleetEvent(ctx, "fleetRequestChange", cur, "", ""))
			if err := fleets.put(tx, sc, id, r); err != nil {
				return err
			}
			out.SuccessfulFleetDeletions = append(out.SuccessfulFleetDeletions, ec2api.DeleteFleetSuccessItem{FleetId: ptr.To(id), PreviousFleetState: ptr.To(prev), CurrentFleetState: ptr.To(cur)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(terminate) > 0 {
		if _, err := s.TerminateInstances(ctx, &ec2api.TerminateInstancesRequest{InstanceIds: terminate}); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ModifyFleet changes a request or maintain fleet's target capacity:
// more capacity launches On-Demand instances, less terminates the newest
// unless ExcessCapacityTerminationPolicy is no-termination.
func (s *EC2) ModifyFleet(ctx *request.Context, in *ec2api.ModifyFleetRequest) (*ec2api.ModifyFleetResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.TargetCapacitySpecification == nil && len(in.LaunchTemplateConfigs) == 0 && in.Context == nil {
		return nil, errMissingParameter.New("The request must contain the parameter TargetCapacitySpecification")
	}
	if in.TargetCapacitySpecification != nil {
		if err := validateTarget(in.TargetCapacitySpecification); err != nil {
			return nil, err
		}
	}
	if p := in.ExcessCapacityTerminationPolicy; p != nil && *p != "termination" && *p != "no-termination" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter ExcessCapacityTerminationPolicy is invalid. Valid values are termination, no-termination.", *p)
	}
	sc := scope(ctx)
	id := ptr.Deref(in.FleetId)
	var r fleetRecord
	var act []fleetInstance
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if r, err = fleets.get(tx, sc, id); err != nil {
			return err
		}
		act, err = s.activeFleetInstances(tx, sc, r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if ptr.Deref(r.Data.Type) == "instant" {
		return nil, errInvalidParameterValue.New("Fleet %s is of type instant, which cannot be modified.", id)
	}
	if st := ptr.Deref(r.Data.FleetState); st != "active" {
		return nil, code("IncorrectState").New("The fleet %s is in state %s, which cannot be modified.", id, st)
	}
	if len(in.LaunchTemplateConfigs) > 0 {
		if _, err := fleetPools(in.LaunchTemplateConfigs); err != nil {
			return nil, err
		}
		r.Data.LaunchTemplateConfigs = fleetConfigs(in.LaunchTemplateConfigs)
	}
	if in.ExcessCapacityTerminationPolicy != nil {
		r.Data.ExcessCapacityTerminationPolicy = in.ExcessCapacityTerminationPolicy
	}
	if in.Context != nil {
		r.Data.Context = in.Context
	}
	var terminate []string
	if t := in.TargetCapacitySpecification; t != nil {
		target := *r.Data.TargetCapacitySpecification
		target.TotalTargetCapacity = ptr.To(*t.TotalTargetCapacity)
		if t.OnDemandTargetCapacity != nil {
			target.OnDemandTargetCapacity = ptr.To(*t.OnDemandTargetCapacity)
		}
		if t.SpotTargetCapacity != nil {
			target.SpotTargetCapacity = ptr.To(*t.SpotTargetCapacity)
		}
		if t.DefaultTargetCapacityType != nil {
			target.DefaultTargetCapacityType = ptr.To(*t.DefaultTargetCapacityType)
		}
		r.Data.TargetCapacitySpecification = &target
		onDemand, _ := splitCapacity(target)
		have := len(act)
		switch {
		case int(onDemand) > have:
			var cfgs []ec2api.FleetLaunchTemplateConfigRequest
			for _, c := range r.Data.LaunchTemplateConfigs {
				var v ec2api.FleetLaunchTemplateConfigRequest
				if err := convertShape(c, &v); err != nil {
					return nil, err
				}
				cfgs = append(cfgs, v)
			}
			pools, err := fleetPools(cfgs)
			if err != nil {
				return nil, err
			}
			_, _, recs, _ := s.launchFleet(ctx, id, pools, float64(int(onDemand)-have), nil)
			for _, fi := range recs {
				r.History = append(r.History, fleetEvent(ctx, "instanceChange", "launched", "", fi.ID))
			}
			r.Launched = append(r.Launched, recs...)
			act = append(act, recs...)
		case int(onDemand) < have && ptr.Deref(r.Data.ExcessCapacityTerminationPolicy) != "no-termination":
			for _, fi := range act[onDemand:] {
				terminate = append(terminate, fi.ID)
				r.History = append(r.History, fleetEvent(ctx, "instanceChange", "terminated", "", fi.ID))
			}
			act = act[:onDemand]
		}
		r.Data.FulfilledCapacity, r.Data.FulfilledOnDemandCapacity = ptr.To(float64(len(act))), ptr.To(float64(len(act)))
		if float64(len(act)) >= float64(ptr.Deref(target.TotalTargetCapacity)) {
			r.Data.ActivityStatus = ptr.To("fulfilled")
		} else {
			r.Data.ActivityStatus = ptr.To("pending_fulfillment")
		}
	}
	r.History = append(r.History, fleetEvent(ctx, "fleetRequestChange", "modify_succeeded", "", ""))
	if err := s.store.Update(func(tx storage.Tx) error { return fleets.put(tx, sc, id, r) }); err != nil {
		return nil, err
	}
	if len(terminate) > 0 {
		if _, err := s.TerminateInstances(ctx, &ec2api.TerminateInstancesRequest{InstanceIds: terminate}); err != nil {
			return nil, err
		}
	}
	return &ec2api.ModifyFleetResult{Return: ptr.To(true)}, nil
}
