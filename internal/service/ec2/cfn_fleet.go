package ec2

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnFleetResources are EC2's fleet types. Their properties are the
// API's request shapes (CreateFleet, SpotFleetRequestConfigData).
func (s *EC2) cfnFleetResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the fleet id; Fn::GetAtt FleetId. Its target capacity and
		// excess-capacity policy change in place (ModifyFleet); the delete
		// terminates its instances.
		"AWS::EC2::EC2Fleet": {Create: s.cfnCreateFleet, Update: s.cfnModifyFleet, Delete: s.cfnDeleteFleet,
			Replace: []string{"LaunchTemplateConfigs", "OnDemandOptions", "SpotOptions", "TagSpecifications", "TerminateInstancesWithExpiration",
				"Type", "ValidFrom", "ValidUntil", "ReplaceUnhealthyInstances", "Context"}},
		// Ref is the spot fleet request id; Fn::GetAtt Id. Its target
		// capacities and excess-capacity policy change in place
		// (ModifySpotFleetRequest); the delete cancels it and terminates
		// its instances.
		"AWS::EC2::SpotFleet": {Create: s.cfnRequestSpotFleet, Update: s.cfnModifySpotFleet, Delete: s.cfnCancelSpotFleet},
	}
}

func (s *EC2) cfnCreateFleet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.CreateFleetRequest{}
	if err := kit.DecodeProp(map[string]any{"v": r.Properties}, "v", in); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: %v", r.LogicalID, err)
	}
	out, err := s.CreateFleet(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.FleetId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"FleetId": id}}, nil
}

func (s *EC2) cfnModifyFleet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &ec2api.ModifyFleetRequest{FleetId: &r.PhysicalID, ExcessCapacityTerminationPolicy: optStr(r.Str("ExcessCapacityTerminationPolicy"))}
	if kit.Has(r.Properties, "TargetCapacitySpecification") {
		in.TargetCapacitySpecification = &ec2api.TargetCapacitySpecificationRequest{}
		if err := kit.DecodeProp(r.Properties, "TargetCapacitySpecification", in.TargetCapacitySpecification); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("TargetCapacitySpecification: %v", err)
		}
	}
	if _, err := s.ModifyFleet(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"FleetId": r.PhysicalID}}, nil
}

func (s *EC2) cfnDeleteFleet(ctx *request.Context, r kit.ResourceRequest) error {
	out, err := s.DeleteFleets(ctx, &ec2api.DeleteFleetsRequest{FleetIds: []string{r.PhysicalID}, TerminateInstances: boolp(true)})
	if err != nil {
		return gone(err)
	}
	for _, u := range out.UnsuccessfulFleetDeletions {
		if u.Error == nil || deref(u.Error.Code) == "fleetIdDoesNotExist" || s.fleetDeleted(ctx, r.PhysicalID) {
			continue
		}
		return errInvalidParameterValue.New("%s", deref(u.Error.Message))
	}
	return nil
}

// fleetDeleted reports whether the fleet is already deleted (EC2 keeps
// deleted fleets visible for a while, and refuses to delete them again).
func (s *EC2) fleetDeleted(ctx *request.Context, id string) bool {
	out, err := s.DescribeFleets(ctx, &ec2api.DescribeFleetsRequest{FleetIds: []string{id}})
	return err == nil && len(out.Fleets) == 1 && strings.HasPrefix(deref(out.Fleets[0].FleetState), "deleted")
}

func (s *EC2) cfnRequestSpotFleet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := &ec2api.SpotFleetRequestConfigData{}
	if err := kit.DecodeProp(r.Properties, "SpotFleetRequestConfigData", cfg); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("SpotFleetRequestConfigData: %v", err)
	}
	out, err := s.RequestSpotFleet(ctx, &ec2api.RequestSpotFleetRequest{SpotFleetRequestConfig: cfg})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := deref(out.SpotFleetRequestId)
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Id": id}}, nil
}

func (s *EC2) cfnModifySpotFleet(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	cfg := kit.PropMap(r.Properties, "SpotFleetRequestConfigData")
	old := kit.PropMap(r.OldProperties, "SpotFleetRequestConfigData")
	for k := range mergeKeys(cfg, old) {
		switch k {
		case "TargetCapacity", "OnDemandTargetCapacity", "ExcessCapacityTerminationPolicy":
			continue
		}
		if kit.PropJSON(cfg, k) != kit.PropJSON(old, k) {
			return kit.ResourceResult{}, awserr.NotImplemented.New("niwa's AWS::EC2::SpotFleet changes only TargetCapacity, OnDemandTargetCapacity and "+
				"ExcessCapacityTerminationPolicy in place; a change of SpotFleetRequestConfigData.%s needs a new fleet (a new logical id)", k)
		}
	}
	in := &ec2api.ModifySpotFleetRequestRequest{SpotFleetRequestId: &r.PhysicalID,
		ExcessCapacityTerminationPolicy: optStr(kit.PropStr(cfg, "ExcessCapacityTerminationPolicy"))}
	var err error
	if in.TargetCapacity, err = propInt32(cfg, "TargetCapacity"); err != nil {
		return kit.ResourceResult{}, err
	}
	if in.OnDemandTargetCapacity, err = propInt32(cfg, "OnDemandTargetCapacity"); err != nil {
		return kit.ResourceResult{}, err
	}
	if _, err := s.ModifySpotFleetRequest(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

func (s *EC2) cfnCancelSpotFleet(ctx *request.Context, r kit.ResourceRequest) error {
	out, err := s.CancelSpotFleetRequests(ctx, &ec2api.CancelSpotFleetRequestsRequest{SpotFleetRequestIds: []string{r.PhysicalID}, TerminateInstances: boolp(true)})
	if err != nil {
		return gone(err)
	}
	for _, u := range out.UnsuccessfulFleetRequests {
		if u.Error != nil && !strings.Contains(deref(u.Error.Code), "NotFound") {
			return errInvalidParameterValue.New("%s", deref(u.Error.Message))
		}
	}
	return nil
}

func mergeKeys(a, b map[string]any) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		out[k] = true
	}
	for k := range b {
		out[k] = true
	}
	return out
}
