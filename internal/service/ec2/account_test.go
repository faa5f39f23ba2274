package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func accountAttrs(t *testing.T, f *fixture, names ...string) map[string][]string {
	t.Helper()
	out := must(f.DescribeAccountAttributes(f.ctx, &ec2api.DescribeAccountAttributesRequest{AttributeNames: names}))
	m := map[string][]string{}
	for _, a := range out.AccountAttributes {
		m[ptr.Deref(a.AttributeName)] = []string{}
		for _, v := range a.AttributeValues {
			m[ptr.Deref(a.AttributeName)] = append(m[ptr.Deref(a.AttributeName)], ptr.Deref(v.AttributeValue))
		}
	}
	return m
}

func TestDescribeAccountAttributes(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	all := accountAttrs(t, f)
	defaults := must(f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{Filters: []ec2api.Filter{{Name: ptr.To("is-default"), Values: []string{"true"}}}}))
	want := map[string]string{"supported-platforms": "VPC", "default-vpc": ptr.Deref(defaults.Vpcs[0].VpcId), "max-instances": "20",
		"vpc-max-security-groups-per-interface": "5", "max-elastic-ips": "5", "vpc-max-elastic-ips": "5"}
	if len(all) != len(want) {
		t.Errorf("attributes = %v", all)
	}
	for n, v := range want {
		if got := all[n]; len(got) != 1 || got[0] != v {
			t.Errorf("%s = %v, want %s", n, got, v)
		}
	}
	if got := accountAttrs(t, f, "default-vpc"); len(got) != 1 {
		t.Errorf("one name: %v", got)
	}
	vpc := defaults.Vpcs[0].VpcId
	for _, sn := range must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{})).Subnets {
		must(f.DeleteSubnet(f.ctx, &ec2api.DeleteSubnetRequest{SubnetId: sn.SubnetId}))
	}
	for _, gw := range must(f.DescribeInternetGateways(f.ctx, &ec2api.DescribeInternetGatewaysRequest{})).InternetGateways {
		must(f.DetachInternetGateway(f.ctx, &ec2api.DetachInternetGatewayRequest{InternetGatewayId: gw.InternetGatewayId, VpcId: vpc}))
		must(f.DeleteInternetGateway(f.ctx, &ec2api.DeleteInternetGatewayRequest{InternetGatewayId: gw.InternetGatewayId}))
	}
	must(f.DeleteVpc(f.ctx, &ec2api.DeleteVpcRequest{VpcId: vpc}))
	if got := accountAttrs(t, f, "default-vpc")["default-vpc"]; len(got) != 1 || got[0] != "none" {
		t.Errorf("after delete: default-vpc = %v", got)
	}
	_, err := f.DescribeAccountAttributes(f.ctx, &ec2api.DescribeAccountAttributesRequest{AttributeNames: []string{"max-vpcs"}})
	wantErr(t, err, "InvalidParameterValue", "Value (max-vpcs) for parameter attributeName is invalid.")
}

func TestDescribeVpcEndpointServicesEveryRegion(t *testing.T) {
	for _, region := range sortedRegions() {
		t.Run(region, func(t *testing.T) {
			f := newFixture(t, region)
			s3 := "com.amazonaws." + region + ".s3"
			out := must(f.DescribeVpcEndpointServices(f.ctx, &ec2api.DescribeVpcEndpointServicesRequest{ServiceNames: []string{s3}}))
			if len(out.ServiceNames) != 1 || out.ServiceNames[0] != s3 || len(out.ServiceDetails) != 2 {
				t.Fatalf("s3: %v %d details", out.ServiceNames, len(out.ServiceDetails))
			}
			gw := must(f.DescribeVpcEndpointServices(f.ctx, &ec2api.DescribeVpcEndpointServicesRequest{Filters: []ec2api.Filter{
				{Name: ptr.To("service-name"), Values: []string{s3}}, {Name: ptr.To("service-type"), Values: []string{"Gateway"}}}}))
			if len(gw.ServiceDetails) != 1 || ptr.Deref(gw.ServiceDetails[0].ServiceType[0].ServiceType) != "Gateway" || len(gw.ServiceDetails[0].AvailabilityZones) == 0 {
				t.Errorf("gateway filter: %+v", gw.ServiceDetails)
			}
			for _, svc := range []string{"sqs", "sns", "lambda", "logs", "events", "sts", "kms", "secretsmanager", "dynamodb", "ec2", "ssm", "monitoring", "cloudformation", "cloudtrail"} {
				n := "com.amazonaws." + region + "." + svc
				if _, err := f.DescribeVpcEndpointServices(f.ctx, &ec2api.DescribeVpcEndpointServicesRequest{ServiceNames: []string{n}}); err != nil {
					t.Errorf("%s: %v", n, err)
				}
			}
		})
	}
	f := newFixture(t, "us-east-1")
	_, err := f.DescribeVpcEndpointServices(f.ctx, &ec2api.DescribeVpcEndpointServicesRequest{ServiceNames: []string{"com.amazonaws.us-east-1.nope"}})
	wantErr(t, err, "InvalidServiceName", "The Vpc Endpoint Service 'com.amazonaws.us-east-1.nope' does not exist")
	_, err = f.DescribeVpcEndpointServices(f.ctx, &ec2api.DescribeVpcEndpointServicesRequest{Filters: []ec2api.Filter{{Name: ptr.To("bogus"), Values: []string{"x"}}}})
	wantErr(t, err, "InvalidParameterValue", "The filter 'bogus' is invalid")
}

func TestDescribeAddressesAttribute(t *testing.T) {
	f := newFixture(t, "us-east-1")
	a := must(f.AllocateAddress(f.ctx, &ec2api.AllocateAddressRequest{}))
	out := must(f.DescribeAddressesAttribute(f.ctx, &ec2api.DescribeAddressesAttributeRequest{Attribute: ptr.To("domain-name"), AllocationIds: []string{ptr.Deref(a.AllocationId)}}))
	if len(out.Addresses) != 1 || ptr.Deref(out.Addresses[0].PublicIp) != ptr.Deref(a.PublicIp) {
		t.Errorf("attributes %+v", out.Addresses)
	}
	_, err := f.DescribeAddressesAttribute(f.ctx, &ec2api.DescribeAddressesAttributeRequest{Attribute: ptr.To("ptr")})
	wantErr(t, err, "InvalidParameterValue", "")
	_, err = f.DescribeAddressesAttribute(f.ctx, &ec2api.DescribeAddressesAttributeRequest{Attribute: ptr.To("domain-name"), AllocationIds: []string{"eipalloc-0123456789abcdef0"}})
	wantErr(t, err, "InvalidAllocationID.NotFound", "")
}
