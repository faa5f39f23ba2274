package inbound

import (
	"encoding/json"
	"net"
	"strconv"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// freePort is a TCP port free on the machine now, for the instance's
// web server (instances share the machine's ports; see docs/ec2.md).
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

// TestInstanceToInstanceAndALB: an instance's user data starts
// `python3 -m http.server`; another instance whose security group the
// web server's group allows gets 200 from it at its private address
// (curl run by ssm send-command); an instance of the same VPC outside
// that group times out; an Application Load Balancer with the instance
// registered as a target (by instance id, no niwa tag) serves it once
// the web server's group lets the load balancer's group in.
func TestInstanceToInstanceAndALB(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	port := freePort(t)
	script := `
import base64, json, time, urllib.request
import boto3
ENDPOINT, PORT, PATIENCE = "` + n.Endpoint + `", ` + strconv.Itoa(port) + `, ` + strconv.Itoa(framework.PatienceSeconds) + `
ec2 = boto3.client("ec2"); iam = boto3.client("iam"); ssm = boto3.client("ssm"); elb = boto3.client("elbv2")
out = {}
def advance(by):
    urllib.request.urlopen(urllib.request.Request(ENDPOINT + "/_niwa/clock/advance?by=" + by, method="POST")).read()
def until(what, f):
    deadline = time.time() + PATIENCE
    while True:
        v = f()
        if v:
            return v
        if time.time() > deadline:
            raise SystemExit("timed out waiting for " + what)
        time.sleep(0.2)

iam.create_role(RoleName="ssm", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))
iam.attach_role_policy(RoleName="ssm", PolicyArn="arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore")
iam.create_instance_profile(InstanceProfileName="ssm")
iam.add_role_to_instance_profile(InstanceProfileName="ssm", RoleName="ssm")

vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
region = ec2.meta.region_name
sub_a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24", AvailabilityZone=region + "a")["Subnet"]["SubnetId"]
sub_b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.2.0/24", AvailabilityZone=region + "c")["Subnet"]["SubnetId"]
def group(name):
    return ec2.create_security_group(VpcId=vpc, GroupName=name, Description=name)["GroupId"]
sg_web, sg_client, sg_other, sg_alb = group("web"), group("client"), group("other"), group("alb")
ec2.authorize_security_group_ingress(GroupId=sg_web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT,
    "UserIdGroupPairs": [{"GroupId": sg_client}]}])
ami = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["al2023-ami-2023*-x86_64"]}])["Images"][0]["ImageId"]
def launch(subnet, sg, user_data=""):
    return ec2.run_instances(ImageId=ami, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet, SecurityGroupIds=[sg],
        IamInstanceProfile={"Name": "ssm"}, UserData=user_data)["Instances"][0]
web = launch(sub_a, sg_web, "#!/bin/sh\nmkdir -p www && echo hello-inbound > www/index.html\ncd www && python3 -m http.server %d >/dev/null 2>&1 &\n" % PORT)
client = launch(sub_b, sg_client)
other = launch(sub_a, sg_other)
ids = [web["InstanceId"], client["InstanceId"], other["InstanceId"]]
advance("10s")
until("running", lambda: all(i["State"]["Name"] == "running" for r in ec2.describe_instances(InstanceIds=ids)["Reservations"] for i in r["Instances"]))
ip = web["PrivateIpAddress"]

def run(instance, command):
    cid = ssm.send_command(InstanceIds=[instance], DocumentName="AWS-RunShellScript", Parameters={"commands": [command]})["Command"]["CommandId"]
    inv = until("command", lambda: (lambda i: i if i["Status"] not in ("Pending", "InProgress", "Delayed") else None)(
        ssm.get_command_invocation(CommandId=cid, InstanceId=instance)))
    return inv["Status"], inv["StandardOutputContent"].strip()
# The server starts in the background of the web instance's boot: the
# command retries until it answers (curl -f fails on the proxy's 502
# while nothing listens).
out["client"] = run(client["InstanceId"], "for i in $(seq 150); do curl -sf -m 5 http://%s:%d/ && exit 0; sleep 0.2; done; exit 1" % (ip, PORT))
out["client_code"] = run(client["InstanceId"], "curl -s -o /dev/null -w '%%{http_code}' -m 5 http://%s:%d/" % (ip, PORT))
out["other"] = run(other["InstanceId"], "curl -s -o /dev/null -w '%%{http_code}' -m 2 http://%s:%d/; echo \" exit=$?\"" % (ip, PORT))

tg = elb.create_target_group(Name="web", Protocol="HTTP", Port=PORT, VpcId=vpc, TargetType="instance")["TargetGroups"][0]["TargetGroupArn"]
elb.register_targets(TargetGroupArn=tg, Targets=[{"Id": web["InstanceId"]}])
lb = elb.create_load_balancer(Name="web", Subnets=[sub_a, sub_b], SecurityGroups=[sg_alb], Scheme="internal")["LoadBalancers"][0]["LoadBalancerArn"]
listener = elb.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])["Listeners"][0]["ListenerArn"]
addr = [l["Address"] for l in json.load(urllib.request.urlopen(ENDPOINT + "/_niwa/elb/listeners"))["Listeners"] if l["ListenerArn"] == listener][0]
def get():
    try:
        r = urllib.request.urlopen("http://" + addr + "/", timeout=30)
        return r.status, r.read().decode().strip()
    except urllib.error.HTTPError as e:
        return e.code, ""
out["alb_refused"] = get()
ec2.authorize_security_group_ingress(GroupId=sg_web, IpPermissions=[{"IpProtocol": "tcp", "FromPort": PORT, "ToPort": PORT,
    "UserIdGroupPairs": [{"GroupId": sg_alb}]}])
out["alb"] = get()
print(json.dumps(out))
`
	raw := n.Python(t, script)
	var all map[string][]any
	if err := json.Unmarshal([]byte(raw), &all); err != nil {
		t.Fatalf("%v: %s", err, raw)
	}
	want := map[string][]any{
		"client":      {"Success", "hello-inbound"},
		"client_code": {"Success", "200"},
		// curl's exit 28 is its timeout: the connection was never answered.
		"other": {"Success", "000 exit=28"},
		"alb":   {200.0, "hello-inbound"},
	}
	for k, w := range want {
		g := all[k]
		if len(g) != 2 || g[0] != w[0] || g[1] != w[1] {
			t.Errorf("%s: %v, want %v", k, g, w)
		}
	}
	// Before the rule for the load balancer's group the target cannot be
	// reached: the load balancer answers an error of its own.
	if r := all["alb_refused"]; len(r) != 2 || r[0].(float64) < 500 {
		t.Errorf("ALB before the rule: %v", r)
	}
}
