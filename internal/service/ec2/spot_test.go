package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestSpotInstanceRequests(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	ami := amazonLinux("ap-northeast-1")
	out := must(f.RequestSpotInstances(f.ctx, &ec2api.RequestSpotInstancesRequest{InstanceCount: ptr.To(int32(2)), SpotPrice: ptr.To("0.05"),
		LaunchSpecification: &ec2api.RequestSpotLaunchSpecification{ImageId: ptr.To(ami), InstanceType: ptr.To("t3.micro")}}))
	if len(out.SpotInstanceRequests) != 2 || ptr.Deref(out.SpotInstanceRequests[0].State) != "open" || ptr.Deref(out.SpotInstanceRequests[0].LaunchSpecification.InstanceType) != "t3.micro" {
		t.Fatalf("requested %+v", out.SpotInstanceRequests)
	}
	id := ptr.Deref(out.SpotInstanceRequests[0].SpotInstanceRequestId)
	c := must(f.CancelSpotInstanceRequests(f.ctx, &ec2api.CancelSpotInstanceRequestsRequest{SpotInstanceRequestIds: []string{id}}))
	if ptr.Deref(c.CancelledSpotInstanceRequests[0].State) != "cancelled" {
		t.Errorf("cancel %+v", c)
	}
	open := must(f.DescribeSpotInstanceRequests(f.ctx, &ec2api.DescribeSpotInstanceRequestsRequest{Filters: []ec2api.Filter{{Name: ptr.To("state"), Values: []string{"open"}}}}))
	if len(open.SpotInstanceRequests) != 1 {
		t.Errorf("open requests %d", len(open.SpotInstanceRequests))
	}
	d := must(f.DescribeSpotInstanceRequests(f.ctx, &ec2api.DescribeSpotInstanceRequestsRequest{SpotInstanceRequestIds: []string{id}}))
	if st := d.SpotInstanceRequests[0].Status; ptr.Deref(st.Code) != "canceled-before-fulfillment" {
		t.Errorf("status %+v", st)
	}
	_, err := f.DescribeSpotInstanceRequests(f.ctx, &ec2api.DescribeSpotInstanceRequestsRequest{SpotInstanceRequestIds: []string{"sir-0123456789abcdef0"}})
	wantErr(t, err, "InvalidSpotInstanceRequestID.NotFound", "")
	_, err = f.RequestSpotInstances(f.ctx, &ec2api.RequestSpotInstancesRequest{Type: ptr.To("sometimes"), LaunchSpecification: &ec2api.RequestSpotLaunchSpecification{ImageId: ptr.To(ami)}})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.RequestSpotInstances(f.ctx, &ec2api.RequestSpotInstancesRequest{LaunchSpecification: &ec2api.RequestSpotLaunchSpecification{ImageId: ptr.To("ami-0123456789abcdef0")}})
	wantErr(t, err, "InvalidAMIID.NotFound", "")
}

func TestSpotFleetRequests(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	cfg := &ec2api.SpotFleetRequestConfigData{IamFleetRole: ptr.To("arn:aws:iam::" + testAccount + ":role/fleet"), TargetCapacity: ptr.To(int32(2)),
		LaunchSpecifications: []ec2api.SpotFleetLaunchSpecification{{ImageId: ptr.To(amazonLinux("ap-northeast-1")), InstanceType: ptr.To("t3.micro")}}}
	id := must(f.RequestSpotFleet(f.ctx, &ec2api.RequestSpotFleetRequest{SpotFleetRequestConfig: cfg})).SpotFleetRequestId
	d := must(f.DescribeSpotFleetRequests(f.ctx, &ec2api.DescribeSpotFleetRequestsRequest{SpotFleetRequestIds: []string{*id}})).SpotFleetRequestConfigs
	if len(d) != 1 || ptr.Deref(d[0].SpotFleetRequestState) != "active" || ptr.Deref(d[0].SpotFleetRequestConfig.TargetCapacity) != 2 {
		t.Fatalf("described %+v", d)
	}
	c := must(f.CancelSpotFleetRequests(f.ctx, &ec2api.CancelSpotFleetRequestsRequest{SpotFleetRequestIds: []string{*id, "sfr-0123456789abcdef0"}, TerminateInstances: ptr.To(true)}))
	if len(c.SuccessfulFleetRequests) != 1 || len(c.UnsuccessfulFleetRequests) != 1 || ptr.Deref(c.UnsuccessfulFleetRequests[0].Error.Code) != "fleetRequestIdDoesNotExist" {
		t.Errorf("cancel %+v", c)
	}
	if d := must(f.DescribeSpotFleetRequests(f.ctx, &ec2api.DescribeSpotFleetRequestsRequest{})).SpotFleetRequestConfigs; ptr.Deref(d[0].SpotFleetRequestState) != "cancelled" {
		t.Errorf("state after cancel %s", ptr.Deref(d[0].SpotFleetRequestState))
	}
	_, err := f.DescribeSpotFleetRequests(f.ctx, &ec2api.DescribeSpotFleetRequestsRequest{SpotFleetRequestIds: []string{"sfr-0123456789abcdef0"}})
	wantErr(t, err, "InvalidSpotFleetRequestId.NotFound", "")
	_, err = f.RequestSpotFleet(f.ctx, &ec2api.RequestSpotFleetRequest{SpotFleetRequestConfig: &ec2api.SpotFleetRequestConfigData{TargetCapacity: ptr.To(int32(1))}})
	wantErr(t, err, "InvalidSpotFleetRequestConfig", "Parameter: SpotFleetRequestConfig.IamFleetRole is invalid.")
}
