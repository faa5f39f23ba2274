package lambda

import (
	"strings"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// fakeNetwork is EC2 for one account and region: subnet and security
// group ids mapped to their VPCs.
type fakeNetwork struct{ subnets, groups map[string]string }

func (n fakeNetwork) SubnetVPC(account, region, id string) (string, bool, error) {
	if account != "000000000000" || region != "us-east-1" {
		return "", false, nil
	}
	v, ok := n.subnets[id]
	return v, ok, nil
}

func (n fakeNetwork) SecurityGroupVPC(account, region, id string) (string, bool, error) {
	if account != "000000000000" || region != "us-east-1" {
		return "", false, nil
	}
	v, ok := n.groups[id]
	return v, ok, nil
}

func TestVpcConfigCheckedAgainstEC2(t *testing.T) {
	f := newFixture(t)
	f.l.SetNetwork(fakeNetwork{
		subnets: map[string]string{"subnet-a": "vpc-1", "subnet-b": "vpc-1", "subnet-c": "vpc-2"},
		groups:  map[string]string{"sg-1": "vpc-1", "sg-2": "vpc-2"},
	})
	fn := f.create(t, "invpc", "app.ok", func(in *lambdaapi.CreateFunctionRequest) {
		in.VpcConfig = &lambdaapi.VpcConfig{SubnetIds: []string{"subnet-a", "subnet-b"}, SecurityGroupIds: []string{"sg-1"}}
	})
	vc := fn.VpcConfig
	if vc == nil || ptr.Deref(vc.VpcId) != "vpc-1" || vc.Ipv6AllowedForDualStack == nil || *vc.Ipv6AllowedForDualStack || len(vc.SubnetIds) != 2 {
		t.Fatalf("vpc config: %+v", vc)
	}
	cases := []struct {
		name string
		vc   lambdaapi.VpcConfig
		msg  string
	}{
		{"unknown subnet", lambdaapi.VpcConfig{SubnetIds: []string{"subnet-x"}, SecurityGroupIds: []string{"sg-1"}},
			"Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID 'subnet-x' does not exist"},
		{"unknown group", lambdaapi.VpcConfig{SubnetIds: []string{"subnet-a"}, SecurityGroupIds: []string{"sg-9"}},
			"Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group 'sg-9' does not exist"},
		{"malformed group", lambdaapi.VpcConfig{SubnetIds: []string{"subnet-a"}, SecurityGroupIds: []string{"subnet-a"}},
			"InvalidGroupId.Malformed"},
		{"subnets in two VPCs", lambdaapi.VpcConfig{SubnetIds: []string{"subnet-a", "subnet-c"}, SecurityGroupIds: []string{"sg-1"}}, "different"},
		{"group in another VPC", lambdaapi.VpcConfig{SubnetIds: []string{"subnet-a"}, SecurityGroupIds: []string{"sg-2"}}, "different networks"},
	}
	for _, c := range cases {
		_, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("invpc"), VpcConfig: &c.vc})
		if code(err) != "InvalidParameterValueException" || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// Moving to the other VPC and detaching both work.
	upd, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("invpc"),
		VpcConfig: &lambdaapi.VpcConfig{SubnetIds: []string{"subnet-c"}, SecurityGroupIds: []string{"sg-2"}}})
	if err != nil || ptr.Deref(upd.VpcConfig.VpcId) != "vpc-2" {
		t.Fatalf("move: %v %+v", err, upd)
	}
	upd, err = f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("invpc"), VpcConfig: &lambdaapi.VpcConfig{}})
	if err != nil || upd.VpcConfig == nil || upd.VpcConfig.VpcId != nil || len(upd.VpcConfig.SubnetIds) != 0 {
		t.Fatalf("detach: %v %+v", err, upd.VpcConfig)
	}
}
