package ssm

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/niwatest"
)

// cliRun runs one CLI version and decodes its JSON output.
func cliRun(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	var m map[string]any
	if strings.TrimSpace(out) != "" {
		framework.MustJSON(t, out, &m)
	}
	return m
}

// cliFail runs a command that must fail with code.
func cliFail(t *testing.T, n *framework.Niwa, cli framework.CLI, code string, args ...string) string {
	t.Helper()
	_, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err == nil || !strings.Contains(errOut, "("+code+")") {
		t.Fatalf("aws %s (%s): want %s, got %v\n%s", strings.Join(args, " "), cli.Name, code, err, errOut)
	}
	return errOut
}

func param(m map[string]any) map[string]any { return m["Parameter"].(map[string]any) }

// TestSSMCLI: with both CLI versions, String/StringList/SecureString
// parameters in a hierarchy, get with and without decryption, by path
// (recursive, paged by the CLI), versions and history, labels and
// selectors, errors in AWS's words, and the public AL2023 parameter
// resolving to an image describe-images knows.
func TestSSMCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			p := "/e2e/" + cli.Name
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/host", "--value", "db.local", "--type", "String")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/hosts", "--value", "a,b,c", "--type", "StringList")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/password", "--value", "hunter2", "--type", "SecureString")
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/app/deep/flag", "--value", "on", "--type", "String")

			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/password", "--with-decryption"))["Value"]; v != "hunter2" {
				t.Fatalf("decrypted %v", v)
			}
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/password"))["Value"]; v == "hunter2" || v == "" {
				t.Fatalf("without decryption %v", v)
			}
			got := cliRun(t, n, cli, "ssm", "get-parameters-by-path", "--path", p, "--recursive", "--with-decryption", "--max-items", "100", "--page-size", "2")
			var names []string
			for _, x := range got["Parameters"].([]any) {
				m := x.(map[string]any)
				names = append(names, m["Name"].(string)+"="+m["Value"].(string))
			}
			want := p + "/app/deep/flag=on," + p + "/db/host=db.local," + p + "/db/hosts=a,b,c," + p + "/db/password=hunter2"
			if strings.Join(names, ",") != want {
				t.Fatalf("by path: %v", names)
			}
			one := cliRun(t, n, cli, "ssm", "get-parameters-by-path", "--path", p)
			if len(one["Parameters"].([]any)) != 0 {
				t.Fatalf("one level under %s: %v", p, one)
			}

			cliFail(t, n, cli, "ParameterAlreadyExists", "ssm", "put-parameter", "--name", p+"/db/host", "--value", "x", "--type", "String")
			if v := cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/db/host", "--value", "db2.local", "--overwrite")["Version"]; v != float64(2) {
				t.Fatalf("overwrite version %v", v)
			}
			cliRun(t, n, cli, "ssm", "label-parameter-version", "--name", p+"/db/host", "--parameter-version", "1", "--labels", "blue", "awsbad")
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/host:blue"))["Value"]; v != "db.local" {
				t.Fatalf("label selector %v", v)
			}
			if v := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", p+"/db/host:2"))["Value"]; v != "db2.local" {
				t.Fatalf("version selector %v", v)
			}
			h := cliRun(t, n, cli, "ssm", "get-parameter-history", "--name", p+"/db/host")["Parameters"].([]any)
			if len(h) != 2 || h[0].(map[string]any)["Labels"].([]any)[0] != "blue" {
				t.Fatalf("history %v", h)
			}
			cliFail(t, n, cli, "ParameterNotFound", "ssm", "get-parameter", "--name", p+"/nope")
			cliFail(t, n, cli, "ParameterVersionNotFound", "ssm", "get-parameter", "--name", p+"/db/host:9")
			cliFail(t, n, cli, "AccessDeniedException", "ssm", "put-parameter", "--name", "/aws/mine", "--value", "x", "--type", "String")
			cliFail(t, n, cli, "HierarchyLevelLimitExceededException", "ssm", "put-parameter", "--name", strings.Repeat("/x", 16), "--value", "x", "--type", "String")

			d := cliRun(t, n, cli, "ssm", "describe-parameters", "--parameter-filters", "Key=Path,Option=Recursive,Values="+p, "Key=Type,Values=SecureString")
			if ps := d["Parameters"].([]any); len(ps) != 1 || ps[0].(map[string]any)["KeyId"] != "alias/aws/ssm" {
				t.Fatalf("describe %v", d)
			}

			ami := param(cliRun(t, n, cli, "ssm", "get-parameter", "--name", "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"))["Value"].(string)
			imgs := cliRun(t, n, cli, "ec2", "describe-images", "--image-ids", ami)["Images"].([]any)
			if len(imgs) != 1 || !strings.HasPrefix(imgs[0].(map[string]any)["Name"].(string), "al2023-ami-2023") {
				t.Fatalf("AMI %s: %v", ami, imgs)
			}
			cliRun(t, n, cli, "ssm", "put-parameter", "--name", p+"/ami", "--value", ami, "--type", "String", "--data-type", "aws:ec2:image")

			del := cliRun(t, n, cli, "ssm", "delete-parameters", "--names", p+"/db/host", p+"/missing")
			if b, _ := json.Marshal(del); !strings.Contains(string(b), `"DeletedParameters":["`+p+`/db/host"]`) || !strings.Contains(string(b), `"InvalidParameters":["`+p+`/missing"]`) {
				t.Fatalf("delete-parameters %s", b)
			}
			cliRun(t, n, cli, "ssm", "delete-parameter", "--name", p+"/db/hosts")
			cliFail(t, n, cli, "ParameterNotFound", "ssm", "delete-parameter", "--name", p+"/db/hosts")
		})
	}
	// The other Systems Manager operations say they are not implemented.
	t.Run("not implemented", func(t *testing.T) {
		t.Parallel()
		_, errOut, err := n.AWS(t, nil, "ssm", "list-documents")
		if err == nil || !strings.Contains(errOut, "ListDocuments") {
			t.Fatalf("list-documents: %v %s", err, errOut)
		}
	})
}

// TestSSMPolicyEvents: an advanced parameter's NoChangeNotification and
// Expiration policies act when niwa's clock passes them, and their
// "Parameter Store Policy Action" events reach an EventBridge rule's SQS
// target; the expired parameter is gone. In-process, on a fake clock.
func TestSSMPolicyEvents(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC().Truncate(time.Second)
	clk := niwatest.NewFakeClock(start)
	// Requests are signed at the wall clock, which niwa's moved clock
	// would find stale.
	nt := niwatest.Start(t, niwatest.WithClock(clk), niwatest.WithSkipSignatureValidation())
	n := framework.FromNiwatest(t, nt)
	ctx := context.Background()
	eb, sq := eventbridge.NewFromConfig(nt.AWSConfig()), sqs.NewFromConfig(nt.AWSConfig())
	qURL, qARN := framework.GoQueue(t, sq, "policy")
	pattern := `{"source":["aws.ssm"],"detail-type":["Parameter Store Policy Action"]}`
	if _, err := eb.PutRule(ctx, &eventbridge.PutRuleInput{Name: aws.String("ssm-policy"), EventPattern: aws.String(pattern)}); err != nil {
		t.Fatal(err)
	}
	if _, err := eb.PutTargets(ctx, &eventbridge.PutTargetsInput{Rule: aws.String("ssm-policy"), Targets: []ebtypes.Target{{Id: aws.String("q"), Arn: aws.String(qARN)}}}); err != nil {
		t.Fatal(err)
	}
	n.Python(t, `
import boto3, json, os
boto3.client("ssm").put_parameter(Name="/pol/token", Value="t0k3n", Type="SecureString", Tier="Advanced", Policies=json.dumps([
    {"Type": "Expiration", "Version": "1.0", "Attributes": {"Timestamp": os.environ["EXPIRES"]}},
    {"Type": "NoChangeNotification", "Version": "1.0", "Attributes": {"After": "1", "Unit": "Hours"}}]))
`, "EXPIRES="+start.Add(48*time.Hour).Format(time.RFC3339))
	if b := framework.ReceiveBodies(t, sq, qURL, 0); len(b) != 0 {
		t.Fatalf("events before any policy was due: %v", b)
	}
	clk.Advance(2 * time.Hour)
	b := framework.WaitBodies(t, sq, qURL)
	if len(b) != 1 || !strings.Contains(b[0], `"policy-type":"NoChangeNotification"`) || !strings.Contains(b[0], `"parameter-name":"/pol/token"`) ||
		!strings.Contains(b[0], `"source":"aws.ssm"`) || !strings.Contains(b[0], `"resources":["arn:aws:ssm:`+n.Region+`:000000000000:parameter/pol/token"]`) {
		t.Fatalf("NoChangeNotification event: %v", b)
	}
	clk.Advance(2 * 24 * time.Hour)
	if b := framework.WaitBodies(t, sq, qURL); len(b) != 1 || !strings.Contains(b[0], `"policy-type":"Expiration"`) {
		t.Fatalf("Expiration event: %v", b)
	}
	n.Python(t, `
import boto3
ssm = boto3.client("ssm")
try:
    ssm.get_parameter(Name="/pol/token")
    raise SystemExit("expired parameter still there")
except ssm.exceptions.ParameterNotFound:
    pass
`)
}
