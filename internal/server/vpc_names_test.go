package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/route53"
	r53types "github.com/aws/aws-sdk-go-v2/service/route53/types"

	mdns "github.com/miekg/dns"

	"github.com/niwa-cloud/niwa/internal/clock"
	niwadns "github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/proc"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestVPCFunctionResolvesPrivateZone: a Python function attached to a
// VPC resolves, with socket.gethostbyname, a record of a private hosted
// zone associated with its VPC that was created after its execution
// environment started (the same process answers both invocations);
// a function of another VPC does not resolve it.
func TestVPCFunctionResolvesPrivateZone(t *testing.T) {
	if _, err := exec.LookPath("python3"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("no python3 for the function's runtime")
		}
		t.Skip("no python3 for the function's runtime")
	}
	if _, err := proc.Probe(t.TempDir(), "/opt", proc.HostsTarget); err != nil {
		// Functions see the machine's /etc/hosts without mount
		// namespaces (docs/networking.md): nothing to check here.
		if os.Getenv("CI") != "" {
			t.Fatalf("mount namespaces: %v", err)
		}
		t.Skipf("no mount namespaces here, functions see the machine's /etc/hosts: %v", err)
	}
	n := niwatest.Start(t)
	ctx := context.Background()
	cfg := n.AWSConfig()
	e := ec2.NewFromConfig(cfg)
	net := func(cidr, sub string) (vpc, subnet, sg string) {
		t.Helper()
		v, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String(cidr)})
		if err != nil {
			t.Fatal(err)
		}
		s, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: v.Vpc.VpcId, CidrBlock: aws.String(sub)})
		if err != nil {
			t.Fatal(err)
		}
		g, err := e.CreateSecurityGroup(ctx, &ec2.CreateSecurityGroupInput{VpcId: v.Vpc.VpcId, GroupName: aws.String("fn"), Description: aws.String("fn")})
		if err != nil {
			t.Fatal(err)
		}
		return *v.Vpc.VpcId, *s.Subnet.SubnetId, *g.GroupId
	}
	vpcA, subA, sgA := net("10.0.0.0/16", "10.0.1.0/24")
	_, subB, sgB := net("10.1.0.0/16", "10.1.1.0/24")

	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("dns-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, _ := w.Create("index.py")
	f.Write([]byte("import os, socket, time\n" +
		"def handler(event, context):\n" +
		"    for _ in range(event.get('wait', 0)):\n" +
		"        try:\n" +
		"            return '%d %s' % (os.getpid(), socket.gethostbyname(event['name']))\n" +
		"        except OSError:\n" +
		"            time.sleep(0.1)\n" +
		"    try:\n" +
		"        return '%d %s' % (os.getpid(), socket.gethostbyname(event['name']))\n" +
		"    except OSError:\n" +
		"        return '%d missing' % os.getpid()\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	c := lambda.NewFromConfig(cfg)
	for name, vc := range map[string][2]string{"in-a": {subA, sgA}, "in-b": {subB, sgB}} {
		if _, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: lambdatypes.RuntimePython312,
			Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/dns-role"), Code: &lambdatypes.FunctionCode{ZipFile: buf.Bytes()},
			VpcConfig: &lambdatypes.VpcConfig{SubnetIds: []string{vc[0]}, SecurityGroupIds: []string{vc[1]}}}); err != nil {
			t.Fatal(err)
		}
	}
	invokeErr := func(fn, payload string) (pid, answer string, err error) {
		out, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String(fn), Payload: []byte(payload)})
		if err != nil {
			return "", "", err
		}
		if out.FunctionError != nil {
			return "", "", fmt.Errorf("%s: %s", fn, out.Payload)
		}
		pid, answer, _ = strings.Cut(strings.Trim(string(out.Payload), `"`), " ")
		return pid, answer, nil
	}
	invoke := func(fn string) (pid, answer string) {
		t.Helper()
		pid, answer, err := invokeErr(fn, `{"name": "db.corp.internal"}`)
		if err != nil {
			t.Fatal(err)
		}
		return pid, answer
	}
	pid, got := invoke("in-a")
	if got != "missing" {
		t.Fatalf("resolved before the record existed: %s", got)
	}

	r := route53.NewFromConfig(cfg)
	z, err := r.CreateHostedZone(ctx, &route53.CreateHostedZoneInput{Name: aws.String("corp.internal"), CallerReference: aws.String("corp"),
		VPC: &r53types.VPC{VPCId: aws.String(vpcA), VPCRegion: r53types.VPCRegion(cfg.Region)}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{
		Changes: []r53types.Change{{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{Name: aws.String("db.corp.internal"),
			Type: r53types.RRTypeA, TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("10.0.1.5")}}}}}}}); err != nil {
		t.Fatal(err)
	}
	// The hosts file follows Route53's change on a goroutine of its own;
	// the next invocation refreshes it too, in the same process.
	again, got := invoke("in-a")
	if got != "10.0.1.5" || again != pid {
		t.Fatalf("in VPC A after the record: pid %s (was %s), %s", again, pid, got)
	}
	if _, got := invoke("in-b"); got != "missing" {
		t.Fatalf("a function of another VPC resolved VPC A's private zone: %s", got)
	}

	// A record created while an invocation runs (and waits for it, up to
	// 2.5 s, within the function's 3 s timeout) is seen by that
	// invocation: Route53's write rewrites the file, nothing else does
	// meanwhile.
	type result struct {
		answer string
		err    error
	}
	done := make(chan result, 1)
	go func() {
		_, a, err := invokeErr("in-a", `{"name": "late.corp.internal", "wait": 25}`)
		done <- result{a, err}
	}()
	// Real time, to let the warm process start waiting first (it is a
	// real process); created earlier, the record is seen all the same.
	time.Sleep(300 * time.Millisecond)
	if _, err := r.ChangeResourceRecordSets(ctx, &route53.ChangeResourceRecordSetsInput{HostedZoneId: z.HostedZone.Id, ChangeBatch: &r53types.ChangeBatch{
		Changes: []r53types.Change{{Action: r53types.ChangeActionCreate, ResourceRecordSet: &r53types.ResourceRecordSet{Name: aws.String("late.corp.internal"),
			Type: r53types.RRTypeCname, TTL: aws.Int64(60), ResourceRecords: []r53types.ResourceRecord{{Value: aws.String("db.corp.internal")}}}}}}}); err != nil {
		t.Fatal(err)
	}
	if res := <-done; res.err != nil || res.answer != "10.0.1.5" {
		t.Fatalf("a running invocation never saw the CNAME created meanwhile: %q %v", res.answer, res.err)
	}
}

// TestVPCInstanceNames: niwa's DNS answers a running instance's private
// DNS name (ip-10-0-1-x.<region>.compute.internal) with its private address in its
// VPC's view and the host's all view, once the VPC has
// enableDnsHostnames, and not from another VPC.
func TestVPCInstanceNames(t *testing.T) {
	fake := clock.NewFake(time.Now()) // near real time: signatures are checked against it
	n := niwatest.Start(t, niwatest.WithClock(fake))
	ctx := context.Background()
	e := ec2.NewFromConfig(n.AWSConfig())
	vpc, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.CreateVpc(ctx, &ec2.CreateVpcInput{CidrBlock: aws.String("10.1.0.0/16")})
	if err != nil {
		t.Fatal(err)
	}
	sub, err := e.CreateSubnet(ctx, &ec2.CreateSubnetInput{VpcId: vpc.Vpc.VpcId, CidrBlock: aws.String("10.0.1.0/24")})
	if err != nil {
		t.Fatal(err)
	}
	imgs, err := e.DescribeImages(ctx, &ec2.DescribeImagesInput{Owners: []string{"amazon"}, Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"amzn2-ami-hvm-*"}}}})
	if err != nil || len(imgs.Images) == 0 {
		t.Fatalf("images: %v", err)
	}
	run, err := e.RunInstances(ctx, &ec2.RunInstancesInput{ImageId: imgs.Images[0].ImageId, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		InstanceType: ec2types.InstanceTypeT3Micro, SubnetId: sub.Subnet.SubnetId})
	if err != nil {
		t.Fatal(err)
	}
	id, ip := aws.ToString(run.Instances[0].InstanceId), aws.ToString(run.Instances[0].PrivateIpAddress)
	t.Cleanup(func() {
		_, _ = e.TerminateInstances(context.Background(), &ec2.TerminateInstancesInput{InstanceIds: []string{id}})
	})
	fake.Advance(time.Minute)
	// EC2's private DNS name: ip-10-0-1-4.<region>.compute.internal.
	name := aws.ToString(run.Instances[0].PrivateDnsName) + "."
	if want := "ip-" + strings.ReplaceAll(ip, ".", "-") + "." + niwatest.Region + ".compute.internal."; name != want {
		t.Fatalf("private DNS name %s, want %s", name, want)
	}
	ask := func(vpc string) *mdns.Msg {
		t.Helper()
		m := new(mdns.Msg)
		m.SetQuestion(name, mdns.TypeA)
		if vpc != "" {
			niwadns.VPCQuery(m, vpc)
		}
		r, err := mdns.Exchange(m, n.DNSAddr())
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	answer := func(r *mdns.Msg) string {
		if len(r.Answer) != 1 {
			return fmt.Sprint(mdns.RcodeToString[r.Rcode], r.Answer)
		}
		return r.Answer[0].(*mdns.A).A.String()
	}
	state := func() ec2types.InstanceStateName {
		out, err := e.DescribeInstances(ctx, &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		return out.Reservations[0].Instances[0].State.Name
	}
	// Running (the fake clock fired its timer, on its own goroutine).
	deadline := time.Now().Add(10 * time.Second)
	for state() != ec2types.InstanceStateNameRunning && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	// A VPC's default: enableDnsHostnames false, so no name.
	if got := answer(ask(*vpc.Vpc.VpcId)); got == ip {
		t.Fatalf("answered without enableDnsHostnames: %s", got)
	}
	if _, err := e.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: vpc.Vpc.VpcId, EnableDnsHostnames: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(10 * time.Second)
	for answer(ask(*vpc.Vpc.VpcId)) != ip && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond) // the instance boots on its own goroutine
	}
	if got := answer(ask(*vpc.Vpc.VpcId)); got != ip {
		t.Fatalf("its VPC's view: %s, want %s", got, ip)
	}
	if got := answer(ask("")); got != ip {
		t.Fatalf("the host's all view: %s, want %s", got, ip)
	}
	if r := ask(*other.Vpc.VpcId); r.Rcode != mdns.RcodeRefused || len(r.Answer) != 0 {
		t.Fatalf("another VPC's view: %s", answer(r))
	}
}
