package instances

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const trustEC2 = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// profile makes role name (trusted by EC2, with the managed policies)
// and an instance profile of the same name holding it.
func profile(t *testing.T, n *framework.Niwa, name string, policies ...string) {
	t.Helper()
	n.MustAWS(t, "iam", "create-role", "--role-name", name, "--assume-role-policy-document", trustEC2)
	framework.AttachRolePolicies(t, n, name, policies...)
	n.MustAWS(t, "iam", "create-instance-profile", "--instance-profile-name", name)
	n.MustAWS(t, "iam", "add-role-to-instance-profile", "--instance-profile-name", name, "--role-name", name)
}

func ami(t *testing.T, n *framework.Niwa) string {
	t.Helper()
	var id string
	framework.CLIJSON(t, n, framework.CLIs[0], &id, "ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023*-x86_64",
		"--query", "Images[0].ImageId")
	if id == "" {
		t.Fatal("no Amazon Linux image")
	}
	return id
}

// run launches one instance with user data (and extra run-instances
// arguments) and returns its id.
func run(t *testing.T, n *framework.Niwa, userData string, extra ...string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "ud")
	if err := os.WriteFile(f, []byte(userData), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"ec2", "run-instances", "--image-id", ami(t, n), "--instance-type", "t3.micro", "--user-data", "file://" + f,
		"--query", "Instances[0].InstanceId"}, extra...)
	var id string
	framework.CLIJSON(t, n, framework.CLIs[0], &id, args...)
	return id
}

// boot moves the clock past the boot delay and waits for running.
func boot(t *testing.T, n *framework.Niwa, id string) {
	t.Helper()
	n.AdvanceClock(t, 10*time.Second)
	waitState(t, n, id, "running")
}

func waitState(t *testing.T, n *framework.Niwa, id, want string) {
	t.Helper()
	var state string
	framework.WaitUntil(t, framework.Patience, func() bool {
		framework.CLIJSON(t, n, framework.CLIs[0], &state, "ec2", "describe-instances", "--instance-ids", id, "--query", "Reservations[0].Instances[0].State.Name")
		return state == want
	}, id+" "+want)
}

// console is get-console-output as the CLI shows it (v1 decodes the
// base64 Output itself).
func console(t *testing.T, n *framework.Niwa, id string) string {
	t.Helper()
	var out struct{ Output string }
	framework.CLIJSON(t, n, framework.CLIs[0], &out, "ec2", "get-console-output", "--instance-id", id)
	return out.Output
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
	n := framework.StartBinary(t)
	profile(t, n, "web", "AmazonS3ReadOnlyAccess")
	n.MustAWS(t, "s3", "mb", "s3://instance-data")
	ud := `#!/bin/sh
python3 -c 'import boto3; print("ARN=" + boto3.client("sts").get_caller_identity()["Arn"])'
aws s3 ls && echo "S3-LS-OK"
aws iam list-users >/dev/null 2>&1 || echo "IAM-DENIED"
`
	id := run(t, n, ud, "--iam-instance-profile", "Name=web")
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
	n := framework.StartBinary(t)
	ud := `#!/bin/sh
E=$AWS_EC2_METADATA_SERVICE_ENDPOINT
echo "V1=$(curl -s -o /dev/null -w '%{http_code}' ${E}latest/meta-data/instance-id)"
T=$(curl -s -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 60' ${E}latest/api/token)
echo "V2=$(curl -s -H "X-aws-ec2-metadata-token: $T" ${E}latest/meta-data/instance-id)"
echo "AZ=$(curl -s -H "X-aws-ec2-metadata-token: $T" ${E}latest/meta-data/placement/availability-zone)"
`
	id := run(t, n, ud, "--metadata-options", "HttpTokens=required,HttpEndpoint=enabled")
	boot(t, n, id)
	out := waitConsole(t, n, id, "finished at")
	for _, want := range []string{"V1=401", "V2=" + id, "AZ=" + n.Region} {
		if !strings.Contains(out, want) {
			t.Errorf("console lacks %q:\n%s", want, out)
		}
	}
}

// TestStopKillsAndStartBootsAgain: a background process user data left
// running dies at stop; start boots again (bootcmd runs, user data does
// not).
func TestStopKillsAndStartBootsAgain(t *testing.T) {
	n := framework.StartBinary(t)
	pidFile := filepath.Join(t.TempDir(), "pid")
	ud := "#cloud-config\nbootcmd:\n  - echo BOOTCMD\nruncmd:\n  - sleep 600 & echo $! > " + pidFile + "\n  - echo RUNCMD\n"
	id := run(t, n, ud)
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
	n.MustAWS(t, "ec2", "stop-instances", "--instance-ids", id)
	framework.WaitUntil(t, framework.Patience, func() bool { return !alive(pid) }, "sleep "+pid+" killed by the stop")
	n.AdvanceClock(t, 10*time.Second)
	waitState(t, n, id, "stopped")
	n.MustAWS(t, "ec2", "start-instances", "--instance-ids", id)
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
	n := framework.StartBinary(t, "--data-dir", t.TempDir())
	pidFile := filepath.Join(t.TempDir(), "pid")
	ud := "#cloud-config\nbootcmd:\n  - echo BOOTCMD\nruncmd:\n  - sleep 600 & echo $! > " + pidFile + "\n  - echo RUNCMD\n"
	id := run(t, n, ud)
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
