package egress

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestNodeFunctionEgress: a nodejs function in a private subnet behind a
// NAT gateway reaches the echo service with plain http.get and https.get
// (a CONNECT tunnel) and sees the NAT's Elastic IP, with no proxy code —
// on a Node.js that ignores HTTP_PROXY, niwa's bootstrap makes the http
// and https modules honour it. Outside any VPC it sees Lambda's address.
func TestNodeFunctionEgress(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "node", "node", "--version")
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "egress-node-role")
	out := n.Python(t, `
import boto3, io, json, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("index.js", """const http = require("http"), https = require("https");
function get(mod, url, opts) {
  return new Promise((resolve) => {
    const req = mod.get(url, opts, (res) => { let b = ""; res.on("data", (c) => (b += c)); res.on("end", () => resolve(b.trim())); });
    req.setTimeout(5000, () => { req.destroy(new Error("timed out")); });
    req.on("error", (e) => resolve("ERROR " + e.message));
  });
}
exports.handler = async () => ({
  http: await get(http, "http://checkip.amazonaws.com/", {}),
  https: await get(https, "https://checkip.amazonaws.com/", { rejectUnauthorized: false }),
});
""")
ec2 = boto3.client("ec2")
vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.0.0/24")["Subnet"]["SubnetId"]
private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24")["Subnet"]["SubnetId"]
sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
eip = ec2.allocate_address(Domain="vpc")
nat = ec2.create_nat_gateway(SubnetId=public, AllocationId=eip["AllocationId"])["NatGateway"]["NatGatewayId"]
ec2.get_waiter("nat_gateway_available").wait(NatGatewayIds=[nat], WaiterConfig={"Delay": 1, "MaxAttempts": 120})
for subnet, target in ((public, {"GatewayId": igw}), (private, {"NatGatewayId": nat})):
    rt = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rt, DestinationCidrBlock="0.0.0.0/0", **target)
    ec2.associate_route_table(RouteTableId=rt, SubnetId=subnet)
lam = boto3.client("lambda")
def fn(name, subnet):
    kw = {"VpcConfig": {"SubnetIds": [subnet], "SecurityGroupIds": [sg]}} if subnet else {}
    lam.create_function(FunctionName=name, Runtime="nodejs20.x", Handler="index.handler", Role="`+role+`",
        Code={"ZipFile": buf.getvalue()}, Timeout=30, **kw)
    return json.loads(lam.invoke(FunctionName=name)["Payload"].read())
print(json.dumps({"private": fn("node-behind-nat", private), "outside": fn("node-outside", None), "eip": eip["PublicIp"]}))
`)
	var res struct {
		Private, Outside struct{ HTTP, HTTPS string }
		EIP              string
	}
	framework.MustJSON(t, out, &res)
	if res.Private.HTTP != res.EIP || res.Private.HTTPS != res.EIP {
		t.Errorf("node function behind the NAT (%s): %+v", res.EIP, res.Private)
	}
	if o := res.Outside; o.HTTP == "" || o.HTTP == res.EIP || o.HTTP != o.HTTPS || !strings.HasPrefix(o.HTTP, "3.5.") {
		t.Errorf("node function outside any VPC: %+v", o)
	}
}
