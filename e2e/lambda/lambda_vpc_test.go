package lambda

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestLambdaVpcConfigBoto3: a function's VpcConfig is checked against
// niwa's EC2. Subnet and security group made with boto3's ec2 client give
// a function whose VpcConfig carries their VPC id; a subnet that does not
// exist, or a group of another VPC, is refused as Lambda refuses it.
func TestLambdaVpcConfigBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "vpc-fn-role")
	py := n.Python(t, `
import boto3, io, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", "def ok(event, context):\n    return 1\n")
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
other = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
othersg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=other)["GroupId"]
lam = boto3.client("lambda")
def create(name, subnets, groups):
    return lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.ok", Role="`+role+`",
        Code={"ZipFile": buf.getvalue()}, VpcConfig={"SubnetIds": subnets, "SecurityGroupIds": groups})
r = create("invpc", [sub], [sg])
vc = r["VpcConfig"]
assert vc["VpcId"] == vpc and vc["SubnetIds"] == [sub] and vc["SecurityGroupIds"] == [sg], vc
assert vc["Ipv6AllowedForDualStack"] is False, vc
assert lam.get_function_configuration(FunctionName="invpc")["VpcConfig"]["VpcId"] == vpc
def refused(call, want):
    try:
        call()
    except lam.exceptions.InvalidParameterValueException as e:
        assert want in e.response["Error"]["Message"], e.response
        return
    raise AssertionError("accepted")
refused(lambda: create("bogus", ["subnet-0123456789abcdef0"], [sg]),
    "Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID 'subnet-0123456789abcdef0' does not exist")
refused(lambda: create("bogus", [sub], ["sg-0123456789abcdef0"]),
    "EC2 Error Code: InvalidGroup.NotFound. EC2 Error Message: The security group 'sg-0123456789abcdef0' does not exist")
refused(lambda: lam.update_function_configuration(FunctionName="invpc", VpcConfig={"SubnetIds": [sub], "SecurityGroupIds": [othersg]}),
    "different networks")
print("ok")
`)
	if strings.TrimSpace(py) != "ok" {
		t.Fatal(py)
	}
}
