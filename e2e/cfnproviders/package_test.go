package cfnproviders

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestPackageAndDeploy: `aws cloudformation package` uploads a local
// code directory to S3 and rewrites Code to S3Bucket/S3Key; `deploy`
// creates the stack from the packaged template, and the function runs
// the uploaded code.
func TestPackageAndDeploy(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	cli := framework.CLIs[0]
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "src", "index.py"), []byte("def handler(event, context):\n    return {\"packaged\": True}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tpl := filepath.Join(dir, "template.yaml")
	if err := os.WriteFile(tpl, []byte(`Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {Version: "2012-10-17", Statement: [{Effect: Allow, Principal: {Service: lambda.amazonaws.com}, Action: sts:AssumeRole}]}
  Fn:
    Type: AWS::Lambda::Function
    Properties: {Runtime: python3.12, Handler: index.handler, Role: !GetAtt Role.Arn, Code: ./src}
`), 0o600); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "packaged.yaml")
	n.MustCLI(t, cli, "s3", "mb", "s3://artifacts")
	n.MustCLI(t, cli, "cloudformation", "package", "--template-file", tpl, "--s3-bucket", "artifacts", "--output-template-file", out)
	packaged, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(packaged), "S3Bucket: artifacts") {
		t.Fatalf("packaged template: %v\n%s", err, packaged)
	}
	if o, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "deploy", "--template-file", out, "--stack-name", "pkg", "--capabilities", "CAPABILITY_IAM"); err != nil {
		t.Fatalf("deploy: %v\n%s\n%s", err, o, stderr)
	}
	fn := strings.Trim(strings.TrimSpace(n.MustCLI(t, cli, "cloudformation", "describe-stack-resource", "--stack-name", "pkg", "--logical-resource-id", "Fn",
		"--query", "StackResourceDetail.PhysicalResourceId")), `"`)
	result := filepath.Join(dir, "out.json")
	n.MustCLI(t, cli, "lambda", "invoke", "--function-name", fn, result)
	if b, err := os.ReadFile(result); err != nil || !strings.Contains(string(b), `"packaged": true`) {
		t.Fatalf("invoke: %v %s", err, b)
	}
}
