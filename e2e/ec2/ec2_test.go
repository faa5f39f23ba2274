package ec2

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/niwatest"
)

// startEC2Binary starts the binary with short instance state delays so the
// real clients see the state machine move within a test.
func startEC2Binary(t *testing.T) *framework.Niwa {
	return framework.StartBinaryEnv(t, []string{"NIWA_EC2_BOOT_DELAY=300ms", "NIWA_EC2_STOP_DELAY=300ms", "NIWA_EC2_NAT_DELAY=100ms"})
}

// waitState polls describe-instances until the instance reaches want
// (the binary runs on the real clock, so this waits for a real process).
func waitState(t *testing.T, n *framework.Niwa, cli framework.CLI, id, want string) {
	t.Helper()
	var state string
	framework.WaitUntil(t, framework.Patience, func() bool {
		framework.CLIJSON(t, n, cli, &state, "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].State.Name")
		return state == want
	}, id+" "+want)
}

// TestEC2InstancesCLI is the acceptance flow with both CLI versions:
// run-instances, describe-instances with filters and --query, stop, start,
// terminate, and EC2's errors.
func TestEC2InstancesCLI(t *testing.T) {
	t.Parallel()
	n := startEC2Binary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			var ami string
			framework.CLIJSON(t, n, cli, &ami, "ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023*-x86_64",
				"--query", "Images[0].ImageId")
			tag := "web-" + cli.Name
			var ids []string
			framework.CLIJSON(t, n, cli, &ids, "ec2", "run-instances", "--image-id", ami, "--instance-type", "t3.micro", "--count", "2",
				"--tag-specifications", "ResourceType=instance,Tags=[{Key=Name,Value="+tag+"}]", "--query", "Instances[].InstanceId")
			if len(ids) != 2 {
				t.Fatalf("launched %v", ids)
			}
			var dns []string
			framework.CLIJSON(t, n, cli, &dns, "ec2", "describe-instances", "--filters", "Name=tag:Name,Values="+tag, "--query", "Reservations[].Instances[].PrivateDnsName")
			if len(dns) != 2 || !strings.HasSuffix(dns[0], ".ap-northeast-1.compute.internal") || !strings.HasPrefix(dns[0], "ip-172-31-") {
				t.Fatalf("private DNS names %v", dns)
			}
			waitState(t, n, cli, ids[0], "running")
			var running []string
			framework.CLIJSON(t, n, cli, &running, "ec2", "describe-instances", "--filters", "Name=tag:Name,Values="+tag, "Name=instance-state-name,Values=running",
				"--query", "Reservations[].Instances[].InstanceId")
			waitState(t, n, cli, ids[1], "running")

			var stopping string
			framework.CLIJSON(t, n, cli, &stopping, "ec2", "stop-instances", "--instance-ids", ids[0], "--query", "StoppingInstances[0].CurrentState.Name")
			if stopping != "stopping" {
				t.Fatalf("stop-instances: %s", stopping)
			}
			waitState(t, n, cli, ids[0], "stopped")
			framework.CLIJSON(t, n, cli, nil, "ec2", "modify-instance-attribute", "--instance-id", ids[0], "--instance-type", "Value=t3.small")
			var typ string
			framework.CLIJSON(t, n, cli, &typ, "ec2", "describe-instance-attribute", "--instance-id", ids[0], "--attribute", "instanceType", "--query", "InstanceType.Value")
			if typ != "t3.small" {
				t.Fatalf("instance type %s", typ)
			}
			var starting string
			framework.CLIJSON(t, n, cli, &starting, "ec2", "start-instances", "--instance-ids", ids[0], "--query", "StartingInstances[0].CurrentState.Name")
			if starting != "pending" {
				t.Fatalf("start-instances: %s", starting)
			}
			waitState(t, n, cli, ids[0], "running")
			framework.CLIJSON(t, n, cli, nil, "ec2", "terminate-instances", "--instance-ids", ids[0], ids[1])
			waitState(t, n, cli, ids[0], "terminated")

			// Errors as EC2 answers them.
			_, errOut, err := n.RunCLI(t, cli, nil, "ec2", "stop-instances", "--instance-ids", "i-0123456789abcdef0")
			if err == nil || !strings.Contains(errOut, "InvalidInstanceID.NotFound") || !strings.Contains(errOut, "The instance ID 'i-0123456789abcdef0' does not exist") {
				t.Fatalf("missing instance: %v %s", err, errOut)
			}
			_, errOut, err = n.RunCLI(t, cli, nil, "ec2", "start-instances", "--instance-ids", ids[0])
			if err == nil || !strings.Contains(errOut, "IncorrectInstanceState") {
				t.Fatalf("start terminated: %v %s", err, errOut)
			}
			_, errOut, err = n.RunCLI(t, cli, nil, "ec2", "describe-instances", "--filters", "Name=bogus,Values=x")
			if err == nil || !strings.Contains(errOut, "The filter 'bogus' is invalid") {
				t.Fatalf("bad filter: %v %s", err, errOut)
			}
		})
	}
}

// TestEC2Boto3 drives instances, images and the VPC model with boto3.
func TestEC2Boto3(t *testing.T) {
	t.Parallel()
	n := startEC2Binary(t)
	out := n.Python(t, `
import time, boto3, botocore
ec2 = boto3.client("ec2")
imgs = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["Windows_Server-2016-English-Full-Base-*"]}])["Images"]
assert len(imgs) == 1 and imgs[0]["ImageOwnerAlias"] == "amazon" and imgs[0]["Platform"] == "windows", imgs
vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
sub = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24", AvailabilityZone="ap-northeast-1a")["Subnet"]["SubnetId"]
ec2.modify_subnet_attribute(SubnetId=sub, MapPublicIpOnLaunch={"Value": True})
sg = ec2.create_security_group(GroupName="web", Description="web", VpcId=vpc)["GroupId"]
ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
ec2.create_key_pair(KeyName="k1")
r = ec2.run_instances(ImageId=imgs[0]["ImageId"], MinCount=1, MaxCount=1, SubnetId=sub, SecurityGroupIds=[sg], KeyName="k1",
                      UserData="#!/bin/sh\necho hi\n", IamInstanceProfile={"Name": "app"})
i = r["Instances"][0]
assert i["PrivateIpAddress"] == "10.0.1.4", i["PrivateIpAddress"]
assert i["PrivateDnsName"] == "ip-10-0-1-4.ap-northeast-1.compute.internal", i["PrivateDnsName"]
assert i["PublicIpAddress"] and i["PublicDnsName"].endswith(".ap-northeast-1.compute.amazonaws.com"), i
assert i["SecurityGroups"][0]["GroupId"] == sg and i["KeyName"] == "k1"
assert i["IamInstanceProfile"]["Arn"].endswith(":instance-profile/app")
iid = i["InstanceId"]
deadline = time.time() + 120
while True:
    st = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]["State"]["Name"]
    if st == "running" or time.time() > deadline:
        break
    time.sleep(0.05)
assert st == "running", st
ud = ec2.describe_instance_attribute(InstanceId=iid, Attribute="userData")["UserData"]["Value"]
import base64
assert base64.b64decode(ud) == b"#!/bin/sh\necho hi\n", ud
status = ec2.describe_instance_status(InstanceIds=[iid])["InstanceStatuses"]
assert status[0]["InstanceState"]["Name"] == "running", status
p = ec2.get_paginator("describe_instances")
assert sum(len(res["Instances"]) for page in p.paginate(Filters=[{"Name": "vpc-id", "Values": [vpc]}]) for res in page["Reservations"]) == 1
try:
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/25")
    raise SystemExit("overlapping subnet accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidSubnet.Conflict", e.response
    assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
try:
    ec2.describe_vpcs(VpcIds=["vpc-0123456789abcdef0"])
    raise SystemExit("missing vpc found")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidVpcID.NotFound", e.response
print("ok", iid)
`)
	if !strings.HasPrefix(out, "ok i-") {
		t.Fatalf("boto3: %s", out)
	}
}

// TestEC2GoSDKStateMachineOnTheClock runs niwa in-process on a fake clock:
// instances stay pending until the clock moves.
func TestEC2GoSDKStateMachineOnTheClock(t *testing.T) {
	t.Parallel()
	// Near real time: request signatures are checked against this clock.
	fake := clock.NewFake(time.Now())
	nw := niwatest.Start(t, niwatest.WithClock(fake))
	ctx := context.Background()
	c := ec2.NewFromConfig(framework.GoConfig(&framework.Niwa{Endpoint: nw.Endpoint, Region: nw.Region}, "test", "test", ""))
	imgs, err := c.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"amzn2-ami-hvm-*"}}}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("images: %v", err)
	}
	run, err := c.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: imgs.Images[0].ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1), InstanceType: ec2types.InstanceTypeT3Micro})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(run.Instances[0].InstanceId)
	state := func() ec2types.InstanceStateName {
		out, err := c.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Reservations[0].Instances[0].State.Name
	}
	if s := state(); s != ec2types.InstanceStateNamePending {
		t.Fatalf("state %s", s)
	}
	fake.Advance(time.Minute)
	// The fake clock fired the timer; its goroutine runs when scheduled.
	framework.WaitUntil(t, framework.Patience, func() bool { return state() == ec2types.InstanceStateNameRunning }, "instance running")
	_, err = c.TerminateInstances(ctx, &ec2.TerminateInstancesInput{InstanceIds: []string{"i-0123456789abcdef0"}})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "InvalidInstanceID.NotFound" {
		t.Fatalf("terminate missing: %v", err)
	}
	if _, err := c.StopInstances(ctx, &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	if s := state(); s != ec2types.InstanceStateNameStopping {
		t.Fatalf("state %s", s)
	}
}

// TestEC2RouteEndpoint queries /_niwa/ec2/route for the default VPC.
func TestEC2RouteEndpoint(t *testing.T) {
	t.Parallel()
	n := inprocess.Start(t, framework.InProcess)
	var subnet string
	framework.CLIJSON(t, n, framework.CLIs[0], &subnet, "ec2", "describe-subnets", "--filters", "Name=default-for-az,Values=true", "--query", "Subnets[0].SubnetId")
	get := func(q url.Values) (int, map[string]any) {
		resp, err := http.Get(n.Endpoint + "/_niwa/ec2/route?" + q.Encode())
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		return resp.StatusCode, m
	}
	code, d := get(url.Values{"subnet": {subnet}, "destination": {"8.8.8.8"}})
	if code != 200 || d["targetType"] != "internet-gateway" || d["matched"] != "0.0.0.0/0" {
		t.Fatalf("%d %v", code, d)
	}
	code, d = get(url.Values{"subnet": {subnet}, "destination": {"172.31.200.1"}})
	if code != 200 || d["target"] != "local" {
		t.Fatalf("%d %v", code, d)
	}
	if code, _ = get(url.Values{"subnet": {"subnet-0123456789abcdef0"}, "destination": {"8.8.8.8"}}); code != 404 {
		t.Fatalf("unknown subnet: %d", code)
	}
	if code, _ = get(url.Values{"subnet": {subnet}, "destination": {"nope"}}); code != 400 {
		t.Fatalf("bad destination: %d", code)
	}
}
