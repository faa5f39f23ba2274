package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The rest of Spot Fleet: a request is never fulfilled (niwa has no Spot
// market), so it has no instances and its history is its submission; its
// target capacity can still be changed while it is active.

func errSpotFleetNotFound(id string) error {
	return code("InvalidSpotFleetRequestId.NotFound").New("The spot fleet request ID '%s' does not exist", id)
}

func (s *EC2) spotFleet(tx storage.Tx, ctx *request.Context, id string) (ec2api.SpotFleetRequestConfig, error) {
	v, ok, err := spotFleets.Get(tx, scope(ctx), id)
	if err == nil && !ok {
		err = errSpotFleetNotFound(id)
	}
	return v, err
}

// DescribeSpotFleetInstances lists a Spot Fleet's running instances:
// none, as nothing is fulfilled.
func (s *EC2) DescribeSpotFleetInstances(ctx *request.Context, in *ec2api.DescribeSpotFleetInstancesRequest) (*ec2api.DescribeSpotFleetInstancesResponse, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.store.View(func(tx storage.Tx) error {
		_, err := s.spotFleet(tx, ctx, ptr.Deref(in.SpotFleetRequestId))
		return err
	})
	if err == nil {
		_, _, err = pageOf([]ec2api.ActiveInstance{}, in.MaxResults, in.NextToken)
	}
	return answer(&ec2api.DescribeSpotFleetInstancesResponse{SpotFleetRequestId: in.SpotFleetRequestId, ActiveInstances: []ec2api.ActiveInstance{}}, err)
}

// DescribeSpotFleetRequestHistory answers the request's submission, if
// it is since StartTime.
func (s *EC2) DescribeSpotFleetRequestHistory(ctx *request.Context, in *ec2api.DescribeSpotFleetRequestHistoryRequest) (*ec2api.DescribeSpotFleetRequestHistoryResponse, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.StartTime == nil {
		return nil, errMissingParameter.New("The request must contain the parameter StartTime")
	}
	if t := in.EventType; t != nil && *t != "instanceChange" && *t != "fleetRequestChange" && *t != "error" && *t != "information" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter EventType is invalid. Valid values are instanceChange, fleetRequestChange, error, information.", *t)
	}
	var v ec2api.SpotFleetRequestConfig
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		v, err = s.spotFleet(tx, ctx, ptr.Deref(in.SpotFleetRequestId))
		return err
	})
	if err != nil {
		return nil, err
	}
	var list []ec2api.HistoryRecord
	add := func(sub string) {
		if in.EventType == nil || *in.EventType == "fleetRequestChange" {
			list = append(list, ec2api.HistoryRecord{EventType: ptr.To("fleetRequestChange"), Timestamp: v.CreateTime, EventInformation: &ec2api.EventInformation{EventSubType: ptr.To(sub)}})
		}
	}
	if v.CreateTime != nil && !v.CreateTime.Before(*in.StartTime) {
		add("submitted")
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.DescribeSpotFleetRequestHistoryResponse{SpotFleetRequestId: in.SpotFleetRequestId, StartTime: in.StartTime, LastEvaluatedTime: ptr.To(ctx.Now().UTC()),
		HistoryRecords: append([]ec2api.HistoryRecord{}, items...), NextToken: next}, err)
}

// ModifySpotFleetRequest changes an active maintain request's target
// capacity or excess capacity policy.
func (s *EC2) ModifySpotFleetRequest(ctx *request.Context, in *ec2api.ModifySpotFleetRequestRequest) (*ec2api.ModifySpotFleetRequestResponse, error) {
	if in.TargetCapacity == nil && in.OnDemandTargetCapacity == nil && in.ExcessCapacityTerminationPolicy == nil && len(in.LaunchTemplateConfigs) == 0 && in.Context == nil {
		return nil, errMissingParameter.New("The request must contain the parameter TargetCapacity")
	}
	if p := in.ExcessCapacityTerminationPolicy; p != nil && *p != "noTermination" && *p != "default" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter ExcessCapacityTerminationPolicy is invalid. Valid values are noTermination, default.", *p)
	}
	if n := in.TargetCapacity; n != nil && *n < 0 {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter TargetCapacity is invalid.", *n)
	}
	id := ptr.Deref(in.SpotFleetRequestId)
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		v, err := s.spotFleet(tx, ctx, id)
		if err != nil {
			return err
		}
		if st := ptr.Deref(v.SpotFleetRequestState); st != "active" {
			return code("InvalidSpotFleetRequestConfig").New("The spot fleet request %s is in state %s and cannot be modified.", id, st)
		}
		cfg := *v.SpotFleetRequestConfig
		if ptr.Deref(cfg.Type) != "maintain" {
			return code("InvalidSpotFleetRequestConfig").New("Only spot fleet requests of type maintain can be modified.")
		}
		if in.TargetCapacity != nil {
			cfg.TargetCapacity = ptr.To(*in.TargetCapacity)
		}
		if in.OnDemandTargetCapacity != nil {
			cfg.OnDemandTargetCapacity = ptr.To(*in.OnDemandTargetCapacity)
		}
		if in.ExcessCapacityTerminationPolicy != nil {
			cfg.ExcessCapacityTerminationPolicy = ptr.To(*in.ExcessCapacityTerminationPolicy)
		}
		if len(in.LaunchTemplateConfigs) > 0 {
			cfg.LaunchTemplateConfigs = in.LaunchTemplateConfigs
		}
		if in.Context != nil {
			cfg.Context = ptr.To(*in.Context)
		}
		v.SpotFleetRequestConfig = &cfg
		return spotFleets.Put(tx, sc, v, id)
	})
	return answer(&ec2api.ModifySpotFleetRequestResponse{Return: ptr.To(true)}, err)
}
