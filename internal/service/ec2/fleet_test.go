package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
)

func fleetTemplate(t *testing.T, f *fixture) string {
	t.Helper()
	lt := must(f.CreateLaunchTemplate(f.ctx, &ec2api.CreateLaunchTemplateRequest{LaunchTemplateName: ptr.To("fleet"),
		LaunchTemplateData: &ec2api.RequestLaunchTemplateData{ImageId: ptr.To(images.Catalog("us-east-1")[0].ID), InstanceType: ptr.To("t3.micro")}}))
	return ptr.Deref(lt.LaunchTemplate.LaunchTemplateId)
}

func fleetConfig(lt string, overrides ...ec2api.FleetLaunchTemplateOverridesRequest) []ec2api.FleetLaunchTemplateConfigRequest {
	return []ec2api.FleetLaunchTemplateConfigRequest{{LaunchTemplateSpecification: &ec2api.FleetLaunchTemplateSpecificationRequest{LaunchTemplateId: ptr.To(lt), Version: ptr.To("$Latest")},
		Overrides: overrides}}
}

func TestInstantFleet(t *testing.T) {
	f := newFixture(t, "us-east-1")
	lt := fleetTemplate(t, f)
	out := must(f.CreateFleet(f.ctx, &ec2api.CreateFleetRequest{Type: ptr.To("instant"),
		LaunchTemplateConfigs: fleetConfig(lt, ec2api.FleetLaunchTemplateOverridesRequest{InstanceType: ptr.To("m5.large"), Priority: ptr.To(2.0)},
			ec2api.FleetLaunchTemplateOverridesRequest{InstanceType: ptr.To("c5.large"), Priority: ptr.To(1.0)}),
		TargetCapacitySpecification: &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(3)), OnDemandTargetCapacity: ptr.To(int32(2)), DefaultTargetCapacityType: ptr.To("spot")},
		TagSpecifications:           []ec2api.TagSpecification{{ResourceType: ptr.To("instance"), Tags: []ec2api.Tag{{Key: ptr.To("team"), Value: ptr.To("a")}}}}}))
	if len(out.Instances) != 1 || len(out.Instances[0].InstanceIds) != 2 || ptr.Deref(out.Instances[0].InstanceType) != "c5.large" || ptr.Deref(out.Instances[0].Lifecycle) != "on-demand" {
		t.Fatalf("instant fleet instances %+v", out.Instances)
	}
	if len(out.Errors) != 1 || ptr.Deref(out.Errors[0].ErrorCode) != "InsufficientInstanceCapacity" || ptr.Deref(out.Errors[0].Lifecycle) != "spot" {
		t.Fatalf("the spot share is not fulfilled: %+v", out.Errors)
	}
	d := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: out.Instances[0].InstanceIds}))
	inst := d.Reservations[0].Instances[0]
	tags := map[string]string{}
	for _, tg := range inst.Tags {
		tags[ptr.Deref(tg.Key)] = ptr.Deref(tg.Value)
	}
	if tags["aws:ec2:fleet-id"] != ptr.Deref(out.FleetId) || tags["team"] != "a" || ptr.Deref(inst.InstanceType) != "c5.large" {
		t.Fatalf("fleet instance %+v tags %v", inst, tags)
	}
	fl := must(f.DescribeFleets(f.ctx, &ec2api.DescribeFleetsRequest{FleetIds: []string{ptr.Deref(out.FleetId)}})).Fleets
	if len(fl) != 1 || ptr.Deref(fl[0].Type) != "instant" || len(fl[0].Instances) != 1 || ptr.Deref(fl[0].FulfilledCapacity) != 2 {
		t.Fatalf("described fleet %+v", fl)
	}
	// Instant fleets terminate their instances when deleted.
	_, err := f.DeleteFleets(f.ctx, &ec2api.DeleteFleetsRequest{FleetIds: []string{ptr.Deref(out.FleetId)}})
	wantErr(t, err, "MissingParameter", "")
	del := must(f.DeleteFleets(f.ctx, &ec2api.DeleteFleetsRequest{FleetIds: []string{ptr.Deref(out.FleetId), "fleet-00000000-0000-0000-0000-000000000000"}, TerminateInstances: ptr.To(true)}))
	if len(del.SuccessfulFleetDeletions) != 1 || ptr.Deref(del.SuccessfulFleetDeletions[0].CurrentFleetState) != "deleted_terminating" ||
		len(del.UnsuccessfulFleetDeletions) != 1 || ptr.Deref(del.UnsuccessfulFleetDeletions[0].Error.Code) != "fleetIdDoesNotExist" {
		t.Fatalf("delete %+v", del)
	}
	if st := f.describeState(out.Instances[0].InstanceIds[0]); st != "shutting-down" && st != "terminated" {
		t.Fatalf("fleet instance after delete: %s", st)
	}
}

func TestMaintainFleet(t *testing.T) {
	f := newFixture(t, "us-east-1")
	lt := fleetTemplate(t, f)
	out := must(f.CreateFleet(f.ctx, &ec2api.CreateFleetRequest{LaunchTemplateConfigs: fleetConfig(lt),
		TargetCapacitySpecification: &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(2)), DefaultTargetCapacityType: ptr.To("on-demand")},
		TagSpecifications:           []ec2api.TagSpecification{{ResourceType: ptr.To("fleet"), Tags: []ec2api.Tag{{Key: ptr.To("Name"), Value: ptr.To("pool")}}}}}))
	id := ptr.Deref(out.FleetId)
	if out.Instances != nil {
		t.Fatalf("a maintain fleet's answer lists no instances: %+v", out.Instances)
	}
	fl := must(f.DescribeFleets(f.ctx, &ec2api.DescribeFleetsRequest{Filters: []ec2api.Filter{{Name: ptr.To("tag:Name"), Values: []string{"pool"}}}})).Fleets
	if len(fl) != 1 || ptr.Deref(fl[0].Type) != "maintain" || ptr.Deref(fl[0].ActivityStatus) != "fulfilled" || ptr.Deref(fl[0].ExcessCapacityTerminationPolicy) != "termination" {
		t.Fatalf("maintain fleet %+v", fl)
	}
	act := must(f.DescribeFleetInstances(f.ctx, &ec2api.DescribeFleetInstancesRequest{FleetId: out.FleetId})).ActiveInstances
	if len(act) != 2 || ptr.Deref(act[0].InstanceType) != "t3.micro" {
		t.Fatalf("active instances %+v", act)
	}
	must(f.ModifyFleet(f.ctx, &ec2api.ModifyFleetRequest{FleetId: out.FleetId, TargetCapacitySpecification: &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(3))}}))
	if act := must(f.DescribeFleetInstances(f.ctx, &ec2api.DescribeFleetInstancesRequest{FleetId: out.FleetId})).ActiveInstances; len(act) != 3 {
		t.Fatalf("after growing to 3: %+v", act)
	}
	must(f.ModifyFleet(f.ctx, &ec2api.ModifyFleetRequest{FleetId: out.FleetId, TargetCapacitySpecification: &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(1))}}))
	if act := must(f.DescribeFleetInstances(f.ctx, &ec2api.DescribeFleetInstancesRequest{FleetId: out.FleetId})).ActiveInstances; len(act) != 1 {
		t.Fatalf("after shrinking to 1: %+v", act)
	}
	h := must(f.DescribeFleetHistory(f.ctx, &ec2api.DescribeFleetHistoryRequest{FleetId: out.FleetId, StartTime: ptr.To(t0), EventType: ptr.To("instanceChange")})).HistoryRecords
	if len(h) != 5 { // 2 + 1 launched, 2 terminated
		t.Fatalf("history %+v", h)
	}
	del := must(f.DeleteFleets(f.ctx, &ec2api.DeleteFleetsRequest{FleetIds: []string{id}, TerminateInstances: ptr.To(false)}))
	if ptr.Deref(del.SuccessfulFleetDeletions[0].CurrentFleetState) != "deleted_running" {
		t.Fatalf("delete %+v", del)
	}
	again := must(f.DeleteFleets(f.ctx, &ec2api.DeleteFleetsRequest{FleetIds: []string{id}, TerminateInstances: ptr.To(false)}))
	if len(again.UnsuccessfulFleetDeletions) != 1 || ptr.Deref(again.UnsuccessfulFleetDeletions[0].Error.Code) != "fleetNotInDeletableState" {
		t.Fatalf("second delete %+v", again)
	}
	_, err := f.ModifyFleet(f.ctx, &ec2api.ModifyFleetRequest{FleetId: out.FleetId, TargetCapacitySpecification: &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(2))}})
	wantErr(t, err, "IncorrectState", "")
}

func TestCreateFleetValidation(t *testing.T) {
	f := newFixture(t, "us-east-1")
	lt := fleetTemplate(t, f)
	target := &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(1))}
	cases := []struct {
		name string
		in   ec2api.CreateFleetRequest
		code string
	}{
		{"no configs", ec2api.CreateFleetRequest{TargetCapacitySpecification: target}, "MissingParameter"},
		{"no target", ec2api.CreateFleetRequest{LaunchTemplateConfigs: fleetConfig(lt)}, "MissingParameter"},
		{"bad type", ec2api.CreateFleetRequest{Type: ptr.To("forever"), LaunchTemplateConfigs: fleetConfig(lt), TargetCapacitySpecification: target}, "InvalidParameterValue"},
		{"shares exceed total", ec2api.CreateFleetRequest{LaunchTemplateConfigs: fleetConfig(lt),
			TargetCapacitySpecification: &ec2api.TargetCapacitySpecificationRequest{TotalTargetCapacity: ptr.To(int32(1)), OnDemandTargetCapacity: ptr.To(int32(2))}}, "InvalidParameterValue"},
		{"instance tags on maintain", ec2api.CreateFleetRequest{LaunchTemplateConfigs: fleetConfig(lt), TargetCapacitySpecification: target,
			TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("instance")}}}, "InvalidParameterValue"},
		{"no template", ec2api.CreateFleetRequest{LaunchTemplateConfigs: []ec2api.FleetLaunchTemplateConfigRequest{{}}, TargetCapacitySpecification: target}, "MissingParameter"},
		{"bad weight", ec2api.CreateFleetRequest{LaunchTemplateConfigs: fleetConfig(lt, ec2api.FleetLaunchTemplateOverridesRequest{WeightedCapacity: ptr.To(-1.0)}), TargetCapacitySpecification: target}, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateFleet(f.ctx, &c.in)
			wantErr(t, err, c.code, "")
		})
	}
	// An instant fleet whose template cannot launch answers the launch
	// error and launches nothing.
	out := must(f.CreateFleet(f.ctx, &ec2api.CreateFleetRequest{Type: ptr.To("instant"), LaunchTemplateConfigs: fleetConfig(lt, ec2api.FleetLaunchTemplateOverridesRequest{SubnetId: ptr.To("subnet-0123456789abcdef0")}),
		TargetCapacitySpecification: target}))
	if len(out.Instances) != 0 || len(out.Errors) != 1 || ptr.Deref(out.Errors[0].ErrorCode) != "InvalidSubnetID.NotFound" {
		t.Fatalf("failed instant fleet %+v", out)
	}
	_, err := f.DescribeFleets(f.ctx, &ec2api.DescribeFleetsRequest{FleetIds: []string{"fleet-00000000-0000-0000-0000-000000000000"}})
	wantErr(t, err, "InvalidFleetId.NotFound", "")
}
