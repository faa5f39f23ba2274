package ec2

import (
	"strings"
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func (f *fixture) instance(id string) ec2api.Instance {
	f.t.Helper()
	return must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})).Reservations[0].Instances[0]
}

// TestResourceNameHostnames: an instance named after its id, chosen at
// launch (subnet default or request) or changed while stopped.
func TestResourceNameHostnames(t *testing.T) {
	for _, region := range []struct{ name, domain string }{{"us-east-1", ".ec2.internal"}, {"eu-west-1", ".eu-west-1.compute.internal"}} {
		t.Run(region.name, func(t *testing.T) {
			f := newFixture(t, region.name)
			id := ptr.Deref(must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux(region.name)), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))})).Instances[0].InstanceId)
			f.expectState(id, "pending")
			f.clock.Advance(5 * time.Second)
			f.expectState(id, "running")
			in := f.instance(id)
			if n := ptr.Deref(in.PrivateDnsName); !strings.HasPrefix(n, "ip-") || !strings.HasSuffix(n, region.domain) {
				t.Fatalf("default name %s", n)
			}
			if o := in.PrivateDnsNameOptions; ptr.Deref(o.HostnameType) != "ip-name" || ptr.Deref(o.EnableResourceNameDnsARecord) {
				t.Fatalf("default options %+v", o)
			}
			modify := func(typ *string, a *bool) error {
				_, err := f.ModifyPrivateDnsNameOptions(f.ctx, &ec2api.ModifyPrivateDnsNameOptionsRequest{InstanceId: ptr.To(id), PrivateDnsHostnameType: typ, EnableResourceNameDnsARecord: a})
				return err
			}
			wantErr(t, modify(ptr.To("resource-name"), nil), "IncorrectInstanceState", "The instance '"+id+"' is not in a valid state for this operation.")
			wantErr(t, modify(ptr.To("host-name"), nil), "InvalidParameterValue", "")
			if err := modify(ptr.To("ip-name"), ptr.To(true)); err != nil {
				t.Fatalf("record option while running: %v", err)
			}
			if o := f.instance(id).PrivateDnsNameOptions; !ptr.Deref(o.EnableResourceNameDnsARecord) || ptr.Deref(o.HostnameType) != "ip-name" {
				t.Fatalf("after record option %+v", o)
			}
			must(f.StopInstances(f.ctx, &ec2api.StopInstancesRequest{InstanceIds: []string{id}}))
			f.expectState(id, "stopping")
			f.clock.Advance(10 * time.Second)
			f.expectState(id, "stopped")
			if err := modify(ptr.To("resource-name"), nil); err != nil {
				t.Fatal(err)
			}
			in = f.instance(id)
			if n := ptr.Deref(in.PrivateDnsName); n != id+region.domain {
				t.Fatalf("resource name %s, want %s", n, id+region.domain)
			}
			if o := in.PrivateDnsNameOptions; ptr.Deref(o.HostnameType) != "resource-name" || !ptr.Deref(o.EnableResourceNameDnsARecord) {
				t.Fatalf("options %+v", o)
			}
			f2 := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{Filters: []ec2api.Filter{{Name: ptr.To("private-dns-name"), Values: []string{id + region.domain}}}}))
			if len(f2.Reservations) != 1 {
				t.Fatalf("filter by resource name: %+v", f2.Reservations)
			}
		})
	}
}

// TestSubnetHostnameOnLaunch: the subnet's launch options name new
// instances; the request's options override them.
func TestSubnetHostnameOnLaunch(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	if err := f.ensureDefaults(f.ctx); err != nil {
		t.Fatal(err)
	}
	sub := ptr.Deref(must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{})).Subnets[0].SubnetId)
	_, err := f.ModifySubnetAttribute(f.ctx, &ec2api.ModifySubnetAttributeRequest{SubnetId: ptr.To(sub), PrivateDnsHostnameTypeOnLaunch: ptr.To("bogus")})
	wantErr(t, err, "InvalidParameterValue", "")
	must(f.ModifySubnetAttribute(f.ctx, &ec2api.ModifySubnetAttributeRequest{SubnetId: ptr.To(sub), PrivateDnsHostnameTypeOnLaunch: ptr.To("resource-name")}))
	must(f.ModifySubnetAttribute(f.ctx, &ec2api.ModifySubnetAttributeRequest{SubnetId: ptr.To(sub), EnableResourceNameDnsARecordOnLaunch: &ec2api.AttributeBooleanValue{Value: ptr.To(true)}}))
	o := must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{SubnetIds: []string{sub}})).Subnets[0].PrivateDnsNameOptionsOnLaunch
	if ptr.Deref(o.HostnameType) != "resource-name" || !ptr.Deref(o.EnableResourceNameDnsARecord) {
		t.Fatalf("subnet options %+v", o)
	}
	cases := []struct {
		name     string
		opts     *ec2api.PrivateDnsNameOptionsRequest
		resource bool
		a        bool
		code     string
	}{
		{"subnet default", nil, true, true, ""},
		{"request ip-name", &ec2api.PrivateDnsNameOptionsRequest{HostnameType: ptr.To("ip-name")}, false, true, ""},
		{"request record off", &ec2api.PrivateDnsNameOptionsRequest{EnableResourceNameDnsARecord: ptr.To(false)}, true, false, ""},
		{"bad type", &ec2api.PrivateDnsNameOptionsRequest{HostnameType: ptr.To("x")}, false, false, "InvalidParameterValue"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("eu-west-1")), SubnetId: ptr.To(sub), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)), PrivateDnsNameOptions: c.opts})
			if c.code != "" {
				wantErr(t, err, c.code, "")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			id := ptr.Deref(res.Instances[0].InstanceId)
			f.expectState(id, "pending")
			in := f.instance(id)
			if got := ptr.Deref(in.PrivateDnsName) == id+".eu-west-1.compute.internal"; got != c.resource {
				t.Fatalf("name %s", ptr.Deref(in.PrivateDnsName))
			}
			if got := ptr.Deref(in.PrivateDnsNameOptions.EnableResourceNameDnsARecord); got != c.a {
				t.Fatalf("A record %v", got)
			}
		})
	}
}
