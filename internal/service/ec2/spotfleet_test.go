package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestSpotFleetRest(t *testing.T) {
	f := newFixture(t, "us-east-1")
	id := must(f.RequestSpotFleet(f.ctx, &ec2api.RequestSpotFleetRequest{SpotFleetRequestConfig: &ec2api.SpotFleetRequestConfigData{IamFleetRole: ptr.To("arn:aws:iam::" + testAccount + ":role/fleet"),
		TargetCapacity: ptr.To(int32(2)), LaunchSpecifications: []ec2api.SpotFleetLaunchSpecification{{ImageId: ptr.To("ami-12345678"), InstanceType: ptr.To("t3.micro")}}}})).SpotFleetRequestId
	ins := must(f.DescribeSpotFleetInstances(f.ctx, &ec2api.DescribeSpotFleetInstancesRequest{SpotFleetRequestId: id}))
	if ins.ActiveInstances == nil || len(ins.ActiveInstances) != 0 {
		t.Fatalf("unfulfilled fleet has instances %+v", ins)
	}
	h := must(f.DescribeSpotFleetRequestHistory(f.ctx, &ec2api.DescribeSpotFleetRequestHistoryRequest{SpotFleetRequestId: id, StartTime: ptr.To(t0)})).HistoryRecords
	if len(h) != 1 || ptr.Deref(h[0].EventInformation.EventSubType) != "submitted" {
		t.Fatalf("history %+v", h)
	}
	_, err := f.DescribeSpotFleetRequestHistory(f.ctx, &ec2api.DescribeSpotFleetRequestHistoryRequest{SpotFleetRequestId: id})
	wantErr(t, err, "MissingParameter", "")
	must(f.ModifySpotFleetRequest(f.ctx, &ec2api.ModifySpotFleetRequestRequest{SpotFleetRequestId: id, TargetCapacity: ptr.To(int32(5))}))
	d := must(f.DescribeSpotFleetRequests(f.ctx, &ec2api.DescribeSpotFleetRequestsRequest{SpotFleetRequestIds: []string{ptr.Deref(id)}})).SpotFleetRequestConfigs[0]
	if ptr.Deref(d.SpotFleetRequestConfig.TargetCapacity) != 5 {
		t.Fatalf("target %d", ptr.Deref(d.SpotFleetRequestConfig.TargetCapacity))
	}
	_, err = f.ModifySpotFleetRequest(f.ctx, &ec2api.ModifySpotFleetRequestRequest{SpotFleetRequestId: id, ExcessCapacityTerminationPolicy: ptr.To("never")})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.CancelSpotFleetRequests(f.ctx, &ec2api.CancelSpotFleetRequestsRequest{SpotFleetRequestIds: []string{ptr.Deref(id)}, TerminateInstances: ptr.To(true)}))
	_, err = f.ModifySpotFleetRequest(f.ctx, &ec2api.ModifySpotFleetRequestRequest{SpotFleetRequestId: id, TargetCapacity: ptr.To(int32(1))})
	wantErr(t, err, "InvalidSpotFleetRequestConfig", "")
	_, err = f.DescribeSpotFleetInstances(f.ctx, &ec2api.DescribeSpotFleetInstancesRequest{SpotFleetRequestId: ptr.To("sfr-00000000-0000-0000-0000-000000000000")})
	wantErr(t, err, "InvalidSpotFleetRequestId.NotFound", "")
}
