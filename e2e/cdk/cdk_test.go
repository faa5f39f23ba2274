package cdk

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// account is niwa's default account, the one test/test is root of.
const account = "000000000000"

// cdkRun is one CDK CLI against one niwa, as an IAM user: CDK assumes
// its bootstrap roles, which an account's root cannot do.
type cdkRun struct {
	n       *framework.Niwa
	bin     string
	app     string
	env     []string
	timeout time.Duration
}

// run runs the CLI in the app directory and returns its combined output.
func (c *cdkRun) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.bin, append(args, "--no-notices", "--no-color")...)
	cmd.Dir, cmd.Env = c.app, c.env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func (c *cdkRun) must(t *testing.T, args ...string) string {
	t.Helper()
	out, err := c.run(t, args...)
	if err != nil {
		t.Fatalf("cdk %s: %v\n%s\nniwa's log:\n%s", strings.Join(args, " "), err, out, tail(c.n.StopAndLogs(), 60))
	}
	return out
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// TestBootstrapDeployDestroy: `cdk bootstrap`, `cdk deploy` of the app in
// testdata/app, its function invoked (it writes to its table), a second
// `cdk deploy` without change (a no-op, and with --force the empty
// change set CloudFormation refuses and CDK deletes), and `cdk destroy`
// (every resource gone), with only AWS_ENDPOINT_URL pointing the CLI at
// niwa and IAM enforced.
func TestBootstrapDeployDestroy(t *testing.T) {
	modules := installCDK(t)
	framework.RequireClient(t, "python3 with boto3 (the function's runtime)", "python3", "-c", "import boto3")
	n := framework.StartBinary(t)

	// An administrator, as CDK's users are.
	n.MustAWS(t, "iam", "create-user", "--user-name", "cdk-admin")
	n.MustAWS(t, "iam", "attach-user-policy", "--user-name", "cdk-admin", "--policy-arn", "arn:aws:iam::aws:policy/AdministratorAccess")
	var key struct {
		AccessKey struct{ AccessKeyId, SecretAccessKey string }
	}
	framework.MustJSON(t, n.MustAWS(t, "iam", "create-access-key", "--user-name", "cdk-admin"), &key)

	app := t.TempDir()
	copyDir(t, filepath.Join("testdata", "app"), app)
	if err := os.Symlink(modules, filepath.Join(app, "node_modules")); err != nil {
		t.Fatal(err)
	}
	home := t.TempDir()
	c := &cdkRun{n: n, bin: filepath.Join(modules, ".bin", "cdk"), app: app, timeout: 5 * time.Minute, env: []string{
		"PATH=" + os.Getenv("PATH"), "HOME=" + home, "CDK_HOME=" + home,
		"AWS_ACCESS_KEY_ID=" + key.AccessKey.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + key.AccessKey.SecretAccessKey,
		"AWS_REGION=" + n.Region, "AWS_DEFAULT_REGION=" + n.Region,
		"AWS_ENDPOINT_URL=" + n.Endpoint,
		"AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_EC2_METADATA_DISABLED=true",
		// No network beyond niwa: no telemetry, no version check.
		"CDK_DISABLE_CLI_TELEMETRY=true", "CDK_DISABLE_VERSION_CHECK=true",
	}}

	out := c.must(t, "bootstrap", "aws://"+account+"/"+n.Region)
	if !strings.Contains(out, "Environment aws://"+account+"/"+n.Region+" bootstrapped") {
		t.Fatalf("cdk bootstrap did not report the environment bootstrapped:\n%s", out)
	}
	if got := stackStatus(t, n, "CDKToolkit"); got != "CREATE_COMPLETE" {
		t.Fatalf("CDKToolkit is %s", got)
	}
	repo := "cdk-hnb659fds-container-assets-" + account + "-" + n.Region
	n.MustAWS(t, "ecr", "describe-repositories", "--repository-names", repo)
	if v := n.MustAWS(t, "ssm", "get-parameter", "--name", "/cdk-bootstrap/hnb659fds/version"); !strings.Contains(v, `"Value"`) {
		t.Fatalf("no bootstrap version parameter: %s", v)
	}

	out = c.must(t, "deploy", "--require-approval", "never", "--outputs-file", "outputs.json")
	var outputs map[string]map[string]string
	b, err := os.ReadFile(filepath.Join(app, "outputs.json"))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	framework.MustJSON(t, string(b), &outputs)
	o := outputs["NiwaCdkApp"]
	fn, table, queue, bucket := o["FunctionName"], o["TableName"], o["QueueUrl"], o["BucketName"]
	if fn == "" || table == "" || queue == "" || bucket == "" {
		t.Fatalf("outputs: %v\n%s", outputs, out)
	}
	// The function's code is the asset CDK published to the staging
	// bucket through its file-publishing role.
	assets := n.MustAWS(t, "s3api", "list-objects-v2", "--bucket", "cdk-hnb659fds-assets-"+account+"-"+n.Region)
	if !strings.Contains(assets, ".zip") {
		t.Fatalf("no asset zip in the staging bucket: %s", assets)
	}

	resp := filepath.Join(t.TempDir(), "resp.json")
	n.MustAWS(t, "lambda", "invoke", "--function-name", fn, "--payload", `{"id":"item-1","note":"from cdk"}`, resp)
	if b, err := os.ReadFile(resp); err != nil || !strings.Contains(string(b), `"written": "item-1"`) {
		t.Fatalf("invoke answered %s (%v)", b, err)
	}
	item := n.MustAWS(t, "dynamodb", "get-item", "--table-name", table, "--key", `{"id":{"S":"item-1"}}`)
	if !strings.Contains(item, `"from cdk"`) {
		t.Fatalf("the item the function wrote: %s", item)
	}
	queueName := queue[strings.LastIndex(queue, "/")+1:]
	n.MustAWS(t, "sqs", "get-queue-url", "--queue-name", queueName)
	n.MustAWS(t, "s3api", "head-bucket", "--bucket", bucket)

	// Again without change: CDK finds nothing to do.
	out = c.must(t, "deploy", "--require-approval", "never")
	if !strings.Contains(out, "(no changes)") {
		t.Fatalf("second deploy:\n%s", out)
	}
	// Forced, CDK makes a change set; CloudFormation fails it as empty
	// and CDK deletes it. The stack is untouched.
	out = c.must(t, "deploy", "--app", "cdk.out", "--force", "--require-approval", "never")
	if !strings.Contains(out, "(no changes)") {
		t.Fatalf("forced deploy:\n%s", out)
	}
	if got := stackStatus(t, n, "NiwaCdkApp"); got != "CREATE_COMPLETE" {
		t.Fatalf("after the no-op deploys the stack is %s", got)
	}
	if sets := n.MustAWS(t, "cloudformation", "list-change-sets", "--stack-name", "NiwaCdkApp"); strings.Contains(sets, "ChangeSetName") {
		t.Fatalf("change sets left behind: %s", sets)
	}

	out = c.must(t, "destroy", "--app", "cdk.out", "--force")
	if !strings.Contains(out, "destroyed") {
		t.Fatalf("cdk destroy:\n%s", out)
	}
	for _, gone := range [][]string{
		{"cloudformation", "describe-stacks", "--stack-name", "NiwaCdkApp"},
		{"lambda", "get-function", "--function-name", fn},
		{"dynamodb", "describe-table", "--table-name", table},
		{"sqs", "get-queue-url", "--queue-name", queueName},
		{"s3api", "head-bucket", "--bucket", bucket},
	} {
		if out, _, err := n.AWS(t, nil, gone...); err == nil {
			t.Errorf("aws %s after cdk destroy: %s", strings.Join(gone, " "), out)
		}
	}
}

func stackStatus(t *testing.T, n *framework.Niwa, name string) string {
	t.Helper()
	var d struct {
		Stacks []struct{ StackStatus string }
	}
	framework.MustJSON(t, n.MustAWS(t, "cloudformation", "describe-stacks", "--stack-name", name), &d)
	if len(d.Stacks) != 1 {
		t.Fatalf("describe-stacks %s: %+v", name, d)
	}
	return d.Stacks[0].StackStatus
}

// copyDir copies the files of src (one level of subdirectories) to dst.
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}
