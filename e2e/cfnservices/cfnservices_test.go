// Package cfnservices tests the CloudFormation providers of ACM, Glue,
// Athena, Classic ELB and SES with the real aws CLI and boto3 against
// the built niwa (issue 22). The harness is e2e/framework.
package cfnservices

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

const template = `Resources:
  Cert:
    Type: AWS::CertificateManager::Certificate
    Properties: {DomainName: www.example.com, ValidationMethod: DNS}
  DB:
    Type: AWS::Glue::Database
    Properties: {CatalogId: !Ref AWS::AccountId, DatabaseInput: {Name: sales}}
  Orders:
    Type: AWS::Glue::Table
    Properties:
      CatalogId: !Ref AWS::AccountId
      DatabaseName: !Ref DB
      TableInput:
        Name: orders
        TableType: EXTERNAL_TABLE
        StorageDescriptor: {Location: "s3://data/LOCATION/", Columns: [{Name: id, Type: string}]}
  WG:
    Type: AWS::Athena::WorkGroup
    Properties: {Name: analytics, WorkGroupConfiguration: {ResultConfiguration: {OutputLocation: "s3://results/"}}}
  Query:
    Type: AWS::Athena::NamedQuery
    Properties: {Database: !Ref DB, QueryString: "SELECT 1", WorkGroup: !Ref WG}
  LB:
    Type: AWS::ElasticLoadBalancing::LoadBalancer
    Properties:
      AvailabilityZones: [us-east-1a]
      Listeners: [{Protocol: HTTP, LoadBalancerPort: "80", InstancePort: "8080"}]
  Rules:
    Type: AWS::SES::ReceiptRuleSet
  Welcome:
    Type: AWS::SES::Template
    Properties: {Template: {TemplateName: welcome, SubjectPart: "Hi", TextPart: "Hello"}}
Outputs:
  Cert: {Value: !Ref Cert}
  Query: {Value: !GetAtt Query.NamedQueryId}
  LB: {Value: !Ref LB}
  DNS: {Value: !GetAtt LB.DNSName}
  Zone: {Value: !GetAtt LB.CanonicalHostedZoneNameID}
  Engine: {Value: !GetAtt WG.WorkGroupConfiguration.EngineVersion.EffectiveEngineVersion}
  RuleSet: {Value: !Ref Rules}
`

// TestServiceProviders: one stack with a certificate, a Glue database
// and table, an Athena workgroup and named query, a Classic load
// balancer and SES rule set and template completes; each resource is in
// its service as the template says; an update changes the table in
// place; deleting the stack removes them.
func TestServiceProviders(t *testing.T) {
	n := framework.StartBinary(t)
	cli := framework.CLIs[0]
	dir := t.TempDir()
	write := func(loc string) string {
		p := filepath.Join(dir, loc+".yaml")
		if err := os.WriteFile(p, []byte(strings.ReplaceAll(template, "LOCATION", loc)), 0o600); err != nil {
			t.Fatal(err)
		}
		return "file://" + p
	}
	n.MustCLI(t, cli, "cloudformation", "create-stack", "--stack-name", "svc", "--template-body", write("v1"))
	n.MustCLI(t, cli, "cloudformation", "wait", "stack-create-complete", "--stack-name", "svc")
	var out struct {
		Stacks []struct {
			Outputs []struct{ OutputKey, OutputValue string }
		}
	}
	if err := json.Unmarshal([]byte(n.MustCLI(t, cli, "cloudformation", "describe-stacks", "--stack-name", "svc")), &out); err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe-stacks: %v %+v", err, out)
	}
	o := map[string]string{}
	for _, v := range out.Stacks[0].Outputs {
		o[v.OutputKey] = v.OutputValue
	}
	if !strings.HasPrefix(o["Cert"], "arn:aws:acm:") || !strings.HasPrefix(o["LB"], "svc-LB-") || !strings.HasSuffix(o["DNS"], ".elb.localhost") ||
		o["Zone"] == "" || o["Engine"] == "" || o["Query"] == "" || o["RuleSet"] == "" {
		t.Fatalf("outputs %v", o)
	}
	ids, _ := json.Marshal(o)
	check := strings.ReplaceAll(`
import boto3, json
o = json.loads('''IDS''')
c = boto3.client
assert c("acm").describe_certificate(CertificateArn=o["Cert"])["Certificate"]["Status"] == "PENDING_VALIDATION"
assert c("glue").get_table(DatabaseName="sales", Name="orders")["Table"]["StorageDescriptor"]["Location"] == "s3://data/LOC/"
assert c("athena").get_named_query(NamedQueryId=o["Query"])["NamedQuery"]["WorkGroup"] == "analytics"
assert c("athena").get_work_group(WorkGroup="analytics")["WorkGroup"]["Configuration"]["ResultConfiguration"]["OutputLocation"] == "s3://results/"
lb = c("elb").describe_load_balancers(LoadBalancerNames=[o["LB"]])["LoadBalancerDescriptions"][0]
assert lb["DNSName"] == o["DNS"] and lb["ListenerDescriptions"][0]["Listener"]["InstancePort"] == 8080
assert c("ses").describe_receipt_rule_set(RuleSetName=o["RuleSet"])["Metadata"]["Name"] == o["RuleSet"]
assert c("ses").get_template(TemplateName="welcome")["Template"]["SubjectPart"] == "Hi"
print("ok")
`, "IDS", string(ids))
	if got := n.Python(t, strings.ReplaceAll(check, "LOC", "v1")); !strings.Contains(got, "ok") {
		t.Fatalf("check: %s", got)
	}
	n.MustCLI(t, cli, "cloudformation", "update-stack", "--stack-name", "svc", "--template-body", write("v2"))
	n.MustCLI(t, cli, "cloudformation", "wait", "stack-update-complete", "--stack-name", "svc")
	if got := n.Python(t, strings.ReplaceAll(check, "LOC", "v2")); !strings.Contains(got, "ok") {
		t.Fatalf("check after update: %s", got)
	}
	n.MustCLI(t, cli, "cloudformation", "delete-stack", "--stack-name", "svc")
	n.MustCLI(t, cli, "cloudformation", "wait", "stack-delete-complete", "--stack-name", "svc")
	gone := strings.ReplaceAll(`
import boto3, json
o = json.loads('''IDS''')
c = boto3.client
def missing(f):
    try:
        f()
    except Exception:
        return True
    return False
assert missing(lambda: c("acm").describe_certificate(CertificateArn=o["Cert"]))
assert missing(lambda: c("glue").get_database(Name="sales"))
assert missing(lambda: c("athena").get_work_group(WorkGroup="analytics"))
assert missing(lambda: c("elb").describe_load_balancers(LoadBalancerNames=[o["LB"]]))
assert missing(lambda: c("ses").get_template(TemplateName="welcome"))
print("ok")
`, "IDS", string(ids))
	if got := n.Python(t, gone); !strings.Contains(got, "ok") {
		t.Fatalf("after delete: %s", got)
	}
}
