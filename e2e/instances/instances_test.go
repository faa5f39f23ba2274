package instances

import (
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
)

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// The set-up and the polling go through aws-sdk-go-v2 (a CLI process
// per poll costs seconds on a loaded machine); the real clients are what
// runs on the instances: boto3 and the aws CLI in user data and commands.

func clients(n *framework.Niwa) (*ec2.Client, *iam.Client) {
	cfg := framework.GoConfig(n, "test", "test", "")
	return ec2.NewFromConfig(cfg), iam.NewFromConfig(cfg)
}

// profile makes role name (trusted by EC2, with the managed policies)
// and an instance profile of the same name holding it.
func profile(t *testing.T, n *framework.Niwa, name string, policies ...string) {
	t.Helper()
	_, c := clients(n)
	ctx := context.Background()
	if _, err := c.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String(name), AssumeRolePolicyDocument: aws.String(trustEC2)}); err != nil {
		t.Fatal(err)
	}
	for _, p := range policies {
		if _, err := c.AttachRolePolicy(ctx, &iam.AttachRolePolicyInput{RoleName: aws.String(name), PolicyArn: aws.String("arn:aws:iam::aws:policy/" + p)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.CreateInstanceProfile(ctx, &iam.CreateInstanceProfileInput{InstanceProfileName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddRoleToInstanceProfile(ctx, &iam.AddRoleToInstanceProfileInput{InstanceProfileName: aws.String(name), RoleName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

func ami(t *testing.T, n *framework.Niwa) string {
	t.Helper()
	c, _ := clients(n)
	out, err := c.DescribeImages(context.Background(), &ec2.DescribeImagesInput{Owners: []string{"amazon"},
		Filters: []ec2types.Filter{{Name: aws.String("name"), Values: []string{"al2023-ami-2023*-x86_64"}}}})
	if err != nil || len(out.Images) == 0 {
		t.Fatalf("no Amazon Linux image: %v", err)
	}
	return aws.ToString(out.Images[0].ImageId)
}

// launch describes one instance to launch.
type launch struct {
	profile  string
	tags     map[string]string
	metadata *ec2types.InstanceMetadataOptionsRequest
}

// run launches one instance with user data and returns its id.
func run(t *testing.T, n *framework.Niwa, userData string, l launch) string {
	t.Helper()
	c, _ := clients(n)
	in := &ec2.RunInstancesInput{ImageId: aws.String(ami(t, n)), InstanceType: ec2types.InstanceTypeT3Micro, MinCount: aws.Int32(1), MaxCount: aws.Int32(1),
		UserData: aws.String(base64.StdEncoding.EncodeToString([]byte(userData))), MetadataOptions: l.metadata}
	if l.profile != "" {
		in.IamInstanceProfile = &ec2types.IamInstanceProfileSpecification{Name: aws.String(l.profile)}
	}
	if len(l.tags) > 0 {
		spec := ec2types.TagSpecification{ResourceType: ec2types.ResourceTypeInstance}
		for k, v := range l.tags {
			spec.Tags = append(spec.Tags, ec2types.Tag{Key: aws.String(k), Value: aws.String(v)})
		}
		in.TagSpecifications = []ec2types.TagSpecification{spec}
	}
	out, err := c.RunInstances(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.Instances[0].InstanceId)
}

// boot moves the clock past the boot delay and waits for running.
func boot(t *testing.T, n *framework.Niwa, id string) {
	t.Helper()
	n.AdvanceClock(t, 10*time.Second)
	waitState(t, n, id, "running")
}

func waitState(t *testing.T, n *framework.Niwa, id, want string) {
	t.Helper()
	c, _ := clients(n)
	var state string
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, err := c.DescribeInstances(context.Background(), &ec2.DescribeInstancesInput{InstanceIds: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		state = string(out.Reservations[0].Instances[0].State.Name)
		return state == want
	}, id+" "+want)
}

// console is get-console-output, decoded.
func console(t *testing.T, n *framework.Niwa, id string) string {
	t.Helper()
	c, _ := clients(n)
	out, err := c.GetConsoleOutput(context.Background(), &ec2.GetConsoleOutputInput{InstanceId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	b, err := base64.StdEncoding.DecodeString(aws.ToString(out.Output))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func waitConsole(t *testing.T, n *framework.Niwa, id, want string) string {
	t.Helper()
	var out string
	framework.WaitUntil(t, framework.Patience, func() bool {
		out = console(t, n, id)
		return strings.Contains(out, want)
	}, "console of "+id+" shows "+want+"; it has:\n"+out)
	return out
}

// TestUserDataRunsAsTheInstanceRole: boto3 and the aws CLI in user data
// find the instance profile's credentials through IMDS with no
// configuration, and their calls are authorized as the role (IAM
// enforcement is on: the role reads S3, it may not list IAM users).
func TestUserDataRunsAsTheInstanceRole(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	profile(t, n, "web", "AmazonS3ReadOnlyAccess")
	if _, err := framework.S3Client(n, false).CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String("instance-data"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	ud := `#!/bin/sh
python3 -c 'import boto3; print("ARN=" + boto3.client("sts").get_caller_identity()["Arn"])'
aws s3 ls && echo "S3-LS-OK"
aws iam list-users >/dev/null 2>&1 || echo "IAM-DENIED"
`
	id := run(t, n, ud, launch{profile: "web"})
	boot(t, n, id)
	out := waitConsole(t, n, id, "finished at")
	for _, want := range []string{"ARN=arn:aws:sts::000000000000:assumed-role/web/" + id, "instance-data", "S3-LS-OK", "IAM-DENIED"} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

// TestIMDSv2Required: with HttpTokens required, an IMDSv1 GET gets 401
// and a token's GET the instance id; a disabled endpoint answers 403.
func TestIMDSv2Required(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	p7 := filepath.Join(t.TempDir(), "doc.p7")
	ud := `#!/bin/sh
E=$AWS_EC2_METADATA_SERVICE_ENDPOINT
echo "V1=$(curl -s -o /dev/null -w '%{http_code}' ${E}latest/meta-data/instance-id)"
T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' ${E}latest/api/token)
echo "V2=$(curl -s -H "X-aws-ec2-metadata-token: $T" ${E}latest/meta-data/instance-id)"
echo "AZ=$(curl -s -H "X-aws-ec2-metadata-token: $T" ${E}latest/meta-data/placement/availability-zone)"
(echo "-----BEGIN PKCS7-----"; curl -s -H "X-aws-ec2-metadata-token: $T" ${E}latest/dynamic/instance-identity/pkcs7; echo; echo "-----END PKCS7-----") > ` + p7 + `
`
	id := run(t, n, ud, launch{metadata: &ec2types.InstanceMetadataOptionsRequest{HttpTokens: ec2types.HttpTokensStateRequired, HttpEndpoint: ec2types.InstanceMetadataEndpointStateEnabled}})
	boot(t, n, id)
	out := waitConsole(t, n, id, "finished at")
	for _, want := range []string{"V1=401", "V2=" + id, "AZ=" + n.Region} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
	// The identity document verifies with the certificate niwa serves.
	framework.RequireClient(t, "openssl", "openssl", "version")
	resp, err := http.Get(n.Endpoint + "/_niwa/ec2/instance-identity.pem")
	if err != nil {
		t.Fatal(err)
	}
	cert, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("certificate: %d %v", resp.StatusCode, err)
	}
	certFile := filepath.Join(t.TempDir(), "cert.pem")
	if err := os.WriteFile(certFile, cert, 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := exec.Command("openssl", "smime", "-verify", "-inform", "PEM", "-in", p7, "-certfile", certFile, "-noverify").CombinedOutput()
	if err != nil || !strings.Contains(string(doc), `"instanceId": "`+id+`"`) {
		t.Errorf("openssl smime -verify: %v\n%s", err, doc)
	}
}

// TestStopKillsAndStartBootsAgain: a background process user data left
// running dies at stop; start boots again (bootcmd runs, user data does
// not).
func TestStopKillsAndStartBootsAgain(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ud := "#cloud-config\nbootcmd:\n  - echo BOOTCMD\nruncmd:\n  - sleep 600 & echo $! > " + pidFile + "\n  - echo RUNCMD\n"
	id := run(t, n, ud, launch{})
	boot(t, n, id)
	waitConsole(t, n, id, "finished at")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(b))
	if !alive(pid) {
		t.Fatalf("sleep %s is not running", pid)
	}
	c, _ := clients(n)
	if _, err := c.StopInstances(context.Background(), &ec2.StopInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	framework.WaitUntil(t, framework.Patience, func() bool { return !alive(pid) }, "sleep "+pid+" killed by the stop")
	n.AdvanceClock(t, 10*time.Second)
	waitState(t, n, id, "stopped")
	if _, err := c.StartInstances(context.Background(), &ec2.StartInstancesInput{InstanceIds: []string{id}}); err != nil {
		t.Fatal(err)
	}
	boot(t, n, id)
	var out string
	framework.WaitUntil(t, framework.Patience, func() bool {
		out = console(t, n, id)
		return strings.Count(out, "finished at") == 2
	}, "second boot finished")
	if strings.Count(out, "BOOTCMD") != 2 || strings.Count(out, "RUNCMD") != 1 {
		t.Errorf("bootcmd runs at every boot, runcmd once:\n%s", out)
	}
}

func alive(pid string) bool {
	_, err := os.Stat("/proc/" + pid)
	if err != nil {
		return false
	}
	// A killed child may linger as a zombie until reaped.
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	return err == nil && !strings.Contains(string(b), ") Z ")
}

// TestRestartBootsRunningInstances: with --data-dir, an instance that
// ran when niwa was killed boots again when niwa comes back (bootcmd
// again, user data not), and what the killed niwa left running is gone.
func TestRestartBootsRunningInstances(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t, "--data-dir", t.TempDir())
	pidFile := filepath.Join(t.TempDir(), "pid")
	ud := "#cloud-config\nbootcmd:\n  - echo BOOTCMD\nruncmd:\n  - sleep 600 & echo $! > " + pidFile + "\n  - echo RUNCMD\n"
	id := run(t, n, ud, launch{})
	boot(t, n, id)
	waitConsole(t, n, id, "finished at")
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid := strings.TrimSpace(string(b))
	n.Kill9AndRestart()
	var out string
	framework.WaitUntil(t, framework.Patience, func() bool {
		out = console(t, n, id)
		return strings.Count(out, "finished at") == 2
	}, "boot after the restart")
	if strings.Count(out, "BOOTCMD") != 2 || strings.Count(out, "RUNCMD") != 1 {
		t.Errorf("after a restart bootcmd runs again, runcmd does not:\n%s", out)
	}
	framework.WaitUntil(t, framework.Patience, func() bool { return !alive(pid) }, "sleep "+pid+" left by the killed niwa is killed")
}
