package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDescribeFiltersKnown calls every Describe operation with each filter
// name its API documents: none may answer "The filter 'x' is invalid",
// and an undocumented name must, as EC2 does.
func TestDescribeFiltersKnown(t *testing.T) {
	f := newFixture(t, "us-east-1")
	calls := map[string]func([]ec2api.Filter) error{
		"DescribeVpcs": func(fs []ec2api.Filter) error {
			_, err := f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{Filters: fs})
			return err
		},
		"DescribeSubnets": func(fs []ec2api.Filter) error {
			_, err := f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{Filters: fs})
			return err
		},
		"DescribeSecurityGroups": func(fs []ec2api.Filter) error {
			_, err := f.DescribeSecurityGroups(f.ctx, &ec2api.DescribeSecurityGroupsRequest{Filters: fs})
			return err
		},
		"DescribeInstances": func(fs []ec2api.Filter) error {
			_, err := f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{Filters: fs})
			return err
		},
		"DescribeRouteTables": func(fs []ec2api.Filter) error {
			_, err := f.DescribeRouteTables(f.ctx, &ec2api.DescribeRouteTablesRequest{Filters: fs})
			return err
		},
		"DescribeInternetGateways": func(fs []ec2api.Filter) error {
			_, err := f.DescribeInternetGateways(f.ctx, &ec2api.DescribeInternetGatewaysRequest{Filters: fs})
			return err
		},
		"DescribeNetworkInterfaces": func(fs []ec2api.Filter) error {
			_, err := f.DescribeNetworkInterfaces(f.ctx, &ec2api.DescribeNetworkInterfacesRequest{Filters: fs})
			return err
		},
		"DescribeAddresses": func(fs []ec2api.Filter) error {
			_, err := f.DescribeAddresses(f.ctx, &ec2api.DescribeAddressesRequest{Filters: fs})
			return err
		},
		"DescribeVolumes": func(fs []ec2api.Filter) error {
			_, err := f.DescribeVolumes(f.ctx, &ec2api.DescribeVolumesRequest{Filters: fs})
			return err
		},
		"DescribeImages": func(fs []ec2api.Filter) error {
			_, err := f.DescribeImages(f.ctx, &ec2api.DescribeImagesRequest{Filters: fs})
			return err
		},
		"DescribeKeyPairs": func(fs []ec2api.Filter) error {
			_, err := f.DescribeKeyPairs(f.ctx, &ec2api.DescribeKeyPairsRequest{Filters: fs})
			return err
		},
		"DescribeSnapshots": func(fs []ec2api.Filter) error {
			_, err := f.DescribeSnapshots(f.ctx, &ec2api.DescribeSnapshotsRequest{Filters: fs})
			return err
		},
		"DescribeNatGateways": func(fs []ec2api.Filter) error {
			_, err := f.DescribeNatGateways(f.ctx, &ec2api.DescribeNatGatewaysRequest{Filter: fs})
			return err
		},
		"DescribeNetworkAcls": func(fs []ec2api.Filter) error {
			_, err := f.DescribeNetworkAcls(f.ctx, &ec2api.DescribeNetworkAclsRequest{Filters: fs})
			return err
		},
		"DescribeVpcEndpoints": func(fs []ec2api.Filter) error {
			_, err := f.DescribeVpcEndpoints(f.ctx, &ec2api.DescribeVpcEndpointsRequest{Filters: fs})
			return err
		},
		"DescribeAvailabilityZones": func(fs []ec2api.Filter) error {
			_, err := f.DescribeAvailabilityZones(f.ctx, &ec2api.DescribeAvailabilityZonesRequest{Filters: fs})
			return err
		},
		"DescribeDhcpOptions": func(fs []ec2api.Filter) error {
			_, err := f.DescribeDhcpOptions(f.ctx, &ec2api.DescribeDhcpOptionsRequest{Filters: fs})
			return err
		},
		"DescribeVpcPeeringConnections": func(fs []ec2api.Filter) error {
			_, err := f.DescribeVpcPeeringConnections(f.ctx, &ec2api.DescribeVpcPeeringConnectionsRequest{Filters: fs})
			return err
		},
		"DescribePrefixLists": func(fs []ec2api.Filter) error {
			_, err := f.DescribePrefixLists(f.ctx, &ec2api.DescribePrefixListsRequest{Filters: fs})
			return err
		},
		"DescribeInstanceStatus": func(fs []ec2api.Filter) error {
			_, err := f.DescribeInstanceStatus(f.ctx, &ec2api.DescribeInstanceStatusRequest{Filters: fs})
			return err
		},
		"DescribeTags": func(fs []ec2api.Filter) error {
			_, err := f.DescribeTags(f.ctx, &ec2api.DescribeTagsRequest{Filters: fs})
			return err
		},
		"DescribeRegions": func(fs []ec2api.Filter) error {
			_, err := f.DescribeRegions(f.ctx, &ec2api.DescribeRegionsRequest{Filters: fs})
			return err
		},
		"DescribeCustomerGateways": func(fs []ec2api.Filter) error {
			_, err := f.DescribeCustomerGateways(f.ctx, &ec2api.DescribeCustomerGatewaysRequest{Filters: fs})
			return err
		},
		"DescribeVpnGateways": func(fs []ec2api.Filter) error {
			_, err := f.DescribeVpnGateways(f.ctx, &ec2api.DescribeVpnGatewaysRequest{Filters: fs})
			return err
		},
		"DescribeVpnConnections": func(fs []ec2api.Filter) error {
			_, err := f.DescribeVpnConnections(f.ctx, &ec2api.DescribeVpnConnectionsRequest{Filters: fs})
			return err
		},
	}
	for op, names := range modelFilters {
		call, ok := calls[op]
		if !ok {
			t.Errorf("no call for %s", op)
			continue
		}
		for _, n := range names {
			if err := call([]ec2api.Filter{{Name: ptr.To(n), Values: []string{"x"}}}); err != nil {
				t.Errorf("%s filter %q: %v", op, n, err)
			}
		}
		err := call([]ec2api.Filter{{Name: ptr.To("no-such-filter"), Values: []string{"x"}}})
		wantErr(t, err, "InvalidParameterValue", "The filter 'no-such-filter' is invalid")
	}
}

func TestDescribeVpcsIsDefault(t *testing.T) {
	f := newFixture(t, "us-east-1")
	must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.9.0.0/16")}))
	for _, name := range []string{"isDefault", "is-default"} {
		for val, want := range map[string]bool{"true": true, "false": false} {
			out := must(f.DescribeVpcs(f.ctx, &ec2api.DescribeVpcsRequest{Filters: []ec2api.Filter{{Name: ptr.To(name), Values: []string{val}}}}))
			if len(out.Vpcs) == 0 {
				t.Fatalf("%s=%s: no VPC", name, val)
			}
			for _, v := range out.Vpcs {
				if ptr.Deref(v.IsDefault) != want {
					t.Errorf("%s=%s: got %s default=%v", name, val, ptr.Deref(v.VpcId), ptr.Deref(v.IsDefault))
				}
			}
		}
	}
}
