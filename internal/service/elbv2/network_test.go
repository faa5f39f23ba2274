package elbv2

import (
	"testing"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeNetwork is EC2 with three subnets and two security groups.
type fakeNetwork struct{}

func (fakeNetwork) Subnet(_ *request.Context, id string) (string, string, bool, error) {
	switch id {
	case "subnet-a":
		return "vpc-1", "us-east-1a", true, nil
	case "subnet-a2":
		return "vpc-1", "us-east-1a", true, nil
	case "subnet-b":
		return "vpc-1", "us-east-1b", true, nil
	case "subnet-other":
		return "vpc-2", "us-east-1c", true, nil
	}
	return "", "", false, nil
}

func (fakeNetwork) SecurityGroup(_ *request.Context, id string) (string, bool, error) {
	switch id {
	case "sg-1":
		return "vpc-1", true, nil
	case "sg-2":
		return "vpc-2", true, nil
	}
	return "", false, nil
}

func (fakeNetwork) DefaultSecurityGroup(*request.Context, string) (string, error) {
	return "sg-default", nil
}

// TestPlacement: subnets are checked against EC2 (one per zone, one VPC)
// and security groups against the VPC; an ALB without groups gets the
// VPC's default.
func TestPlacement(t *testing.T) {
	h := servicetest.New(t, "elbv2")
	s := New(Options{Store: h.Store(), Clock: h.Clock, Network: fakeNetwork{}})
	t.Cleanup(func() { _ = s.Close() })
	create := func(name string, subnets, sgs []string) (*elbv2api.CreateLoadBalancerOutput, string) {
		out, err := s.CreateLoadBalancer(h.Ctx(), &elbv2api.CreateLoadBalancerInput{Name: ptr.To(name), Subnets: subnets, SecurityGroups: sgs})
		return out, code(err)
	}
	cases := []struct {
		subnets, sgs []string
		want         string
	}{
		{[]string{"subnet-a", "subnet-nope"}, nil, "SubnetNotFound"},
		{[]string{"subnet-a", "subnet-a2"}, nil, "InvalidConfigurationRequest"},
		{[]string{"subnet-a", "subnet-other"}, nil, "InvalidSubnet"},
		{[]string{"subnet-a", "subnet-b"}, []string{"sg-2"}, "InvalidSecurityGroup"},
	}
	for i, c := range cases {
		if _, got := create("bad"+string(rune('a'+i)), c.subnets, c.sgs); got != c.want {
			t.Errorf("%v %v: %q, want %q", c.subnets, c.sgs, got, c.want)
		}
	}
	out, got := create("ok", []string{"subnet-b", "subnet-a"}, nil)
	if got != "" {
		t.Fatal(got)
	}
	lb := out.LoadBalancers[0]
	if *lb.VpcId != "vpc-1" || len(lb.SecurityGroups) != 1 || lb.SecurityGroups[0] != "sg-default" ||
		len(lb.AvailabilityZones) != 2 || *lb.AvailabilityZones[0].ZoneName != "us-east-1a" {
		t.Fatalf("%+v", lb)
	}
}
