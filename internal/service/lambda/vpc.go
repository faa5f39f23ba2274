package lambda

import (
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Network is EC2 as Lambda checks a function's VpcConfig against it: the
// VPC a subnet or a security group belongs to, and whether it exists.
type Network interface {
	SubnetVPC(account, region, id string) (vpc string, ok bool, err error)
	SecurityGroupVPC(account, region, id string) (vpc string, ok bool, err error)
}

// SetNetwork wires EC2 for VpcConfig validation. Without it subnets and
// security groups are taken as given and the VPC id stays empty.
func (l *Lambda) SetNetwork(n Network) { l.network = n }

// vpcConfig answers the VpcConfig of a function. As on AWS, every subnet
// and security group must exist in the caller's account and region and
// all must be in one VPC, whose id the answer carries.
func (l *Lambda) vpcConfig(ctx *request.Context, in *lambdaapi.VpcConfig) (*lambdaapi.VpcConfigResponse, error) {
	if in == nil {
		return nil, nil
	}
	if len(in.SubnetIds) > 16 {
		return nil, errInvalidParam("1 validation error detected: Value at 'vpcConfig.subnetIds' failed to satisfy constraint: Member must have length less than or equal to 16")
	}
	if len(in.SecurityGroupIds) > 5 {
		return nil, errInvalidParam("1 validation error detected: Value at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must have length less than or equal to 5")
	}
	if len(in.SubnetIds) > 0 && len(in.SecurityGroupIds) == 0 {
		return nil, errInvalidParam("SecurityGroupIds cannot be empty when SubnetIds are set.")
	}
	out := &lambdaapi.VpcConfigResponse{SubnetIds: in.SubnetIds, SecurityGroupIds: in.SecurityGroupIds, Ipv6AllowedForDualStack: in.Ipv6AllowedForDualStack}
	if out.SubnetIds == nil {
		out.SubnetIds = []string{}
	}
	if out.SecurityGroupIds == nil {
		out.SecurityGroupIds = []string{}
	}
	if out.Ipv6AllowedForDualStack == nil {
		f := false
		out.Ipv6AllowedForDualStack = &f
	}
	if len(in.SubnetIds) == 0 {
		return out, nil
	}
	vpc, err := l.vpcOf(ctx, in)
	if err != nil {
		return nil, err
	}
	out.VpcId = ptr.To(vpc)
	return out, nil
}

// vpcOf checks the subnets and security groups against EC2 and returns
// their VPC ("" when EC2 is not wired).
func (l *Lambda) vpcOf(ctx *request.Context, in *lambdaapi.VpcConfig) (string, error) {
	if l.network == nil {
		return "", nil
	}
	sc := scope(ctx)
	vpc := ""
	for _, id := range in.SubnetIds {
		v, ok, err := l.network.SubnetVPC(sc.Account, sc.Region, id)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errInvalidParam("Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID '%s' does not exist", id)
		}
		if vpc != "" && v != vpc {
			return "", errInvalidParam("Subnets %s and %s belong to different VPCs.", in.SubnetIds[0], id)
		}
		vpc = v
	}
	for _, id := range in.SecurityGroupIds {
		if !strings.HasPrefix(id, "sg-") {
			return "", errInvalidParam("Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroupId.Malformed. EC2 Error Message: Invalid id: \"%s\" (expecting \"sg-...\")", id)
		}
		v, ok, err := l.network.SecurityGroupVPC(sc.Account, sc.Region, id)
		if err != nil {
			return "", err
		}
		if !ok {
			return "", errInvalidParam("Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group '%s' does not exist", id)
		}
		if v != vpc {
			return "", errInvalidParam("Security group %s and subnet %s belong to different networks.", id, in.SubnetIds[0])
		}
	}
	return vpc, nil
}
