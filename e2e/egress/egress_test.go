package egress

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestSourceIPThroughNAT: a bucket policy denies reads not made from a
// NAT gateway's Elastic IP (aws:SourceIp). A function in the private
// subnet behind that NAT reads the object with boto3 and no extra
// configuration; the same function outside any VPC is denied (its
// apparent address is Lambda's own); in the public subnet, whose route
// goes to the internet gateway, a function has no public IP and its call
// never leaves (a timeout), as on AWS. The proxy's decisions are listed
// at /_niwa/egress.
func TestSourceIPThroughNAT(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "python3", "python3", "--version")
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "egress-fn-role")
	out := n.Python(t, `
import boto3, io, json, time, urllib.request, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", """import boto3
from botocore.config import Config
def handler(event, context):
    try:
        s3 = boto3.client("s3", config=Config(connect_timeout=3, read_timeout=3, retries={"total_max_attempts": 1}))
        return {"body": s3.get_object(Bucket=event["bucket"], Key="k")["Body"].read().decode()}
    except Exception as e:
        return {"error": str(e)}
""")
region = boto3.session.Session().region_name
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.0.0/24")["Subnet"]["SubnetId"]
private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.1.0/24")["Subnet"]["SubnetId"]
sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
eip = ec2.allocate_address(Domain="vpc")
nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
def table(subnet, **target):
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", **target)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
table(public, GatewayId=igw)
table(private, NatGatewayId=nat)

s3 = boto3.client("s3")
s3.create_bucket(Bucket="nat-only", CreateBucketConfiguration={"LocationConstraint": region})
s3.put_object(Bucket="nat-only", Key="k", Body=b"from the NAT")
s3.put_bucket_policy(Bucket="nat-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "OnlyFromTheNAT", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::nat-only/*", "Condition": {"NotIpAddress": {"aws:SourceIp": eip["PublicIp"] + "/32"}}}]}))
lam = boto3.client("lambda")
def fn(name, subnet):
    kw = {"VpcConfig": {"SubnetIds": [subnet], "SecurityGroupIds": [sg]}} if subnet else {}
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role="`+role+`",
        Code={"ZipFile": buf.getvalue()}, Timeout=30, **kw)
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"bucket": "nat-only"}))
    return json.loads(r["Payload"].read())
res = {"private": fn("behind-nat", private), "outside": fn("outside-vpc", None), "public": fn("in-public-subnet", public), "eip": eip["PublicIp"]}
res["decisions"] = json.load(urllib.request.urlopen(s3.meta.endpoint_url + "/_niwa/egress"))["decisions"]
print(json.dumps(res))
`)
	var res struct {
		Private, Outside, Public struct{ Body, Error string }
		EIP                      string
		Decisions                []struct {
			SubnetID  string
			Service   string
			Reachable bool
			Via       string
			SourceIP  string
		}
	}
	framework.MustJSON(t, out, &res)
	if res.Private.Body != "from the NAT" {
		t.Errorf("function behind the NAT: %+v", res.Private)
	}
	if r := res.Outside; r.Body != "" || !strings.Contains(r.Error, "AccessDenied") {
		t.Errorf("function outside any VPC: want AccessDenied, got %+v", r)
	}
	if r := res.Public; r.Body != "" || !strings.Contains(strings.ToLower(r.Error), "timeout") {
		t.Errorf("function in the public subnet (no public IP): want a timeout, got %+v", r)
	}
	nat := false
	for _, d := range res.Decisions {
		nat = nat || (d.Service == "s3" && d.Reachable && d.Via == "nat-gateway" && d.SourceIP == res.EIP)
	}
	if !nat {
		t.Errorf("no egress decision through the NAT from %s: %+v", res.EIP, res.Decisions)
	}
}
