package server_test

import (
	"encoding/json"
	"encoding/xml"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/niwatest"
)

// mgmtTemplate wires the management services' types to one another by Ref
// and Fn::GetAtt, as templates do: what each provider answers must be what
// the next one takes.
const mgmtTemplate = `{
 "Resources": {
  "Bus": {"Type": "AWS::Events::EventBus", "Properties": {"Name": "orders"}},
  "BusPolicy": {"Type": "AWS::Events::EventBusPolicy", "Properties": {"EventBusName": {"Ref": "Bus"}, "StatementId": "partner",
    "Statement": {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": "events:PutEvents", "Resource": {"Fn::GetAtt": ["Bus", "Arn"]}}}},
  "Archive": {"Type": "AWS::Events::Archive", "Properties": {"SourceArn": {"Fn::GetAtt": ["Bus", "Arn"]}, "RetentionDays": 7}},
  "Conn": {"Type": "AWS::Events::Connection", "Properties": {"AuthorizationType": "API_KEY",
    "AuthParameters": {"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "v"}}}},
  "Dest": {"Type": "AWS::Events::ApiDestination", "Properties": {"ConnectionArn": {"Fn::GetAtt": ["Conn", "Arn"]},
    "InvocationEndpoint": "https://example.com/hook", "HttpMethod": "POST"}},
  "Group": {"Type": "AWS::Scheduler::ScheduleGroup"},
  "Dash": {"Type": "AWS::CloudWatch::Dashboard", "Properties": {"DashboardBody": {"widgets": []}}},
  "Rule": {"Type": "AWS::CloudWatch::InsightRule", "Properties": {"RuleName": "top-ips", "RuleState": "ENABLED",
    "RuleBody": "{\"Schema\":{\"Name\":\"CloudWatchLogRule\",\"Version\":1},\"LogGroupNames\":[\"/app\"],\"LogFormat\":\"JSON\",\"Contribution\":{\"Keys\":[\"$.ip\"]},\"AggregateOn\":\"Count\"}"}},
  "Src": {"Type": "AWS::Logs::DeliverySource", "Properties": {"Name": "cf", "LogType": "ACCESS_LOGS",
    "ResourceArn": {"Fn::Sub": "arn:aws:cloudfront::${AWS::AccountId}:distribution/E1"}}},
  "Dst": {"Type": "AWS::Logs::DeliveryDestination", "Properties": {"Name": "bucket", "DestinationResourceArn": "arn:aws:s3:::logs-bucket"}},
  "Delivery": {"Type": "AWS::Logs::Delivery", "Properties": {"DeliverySourceName": {"Ref": "Src"}, "DeliveryDestinationArn": {"Fn::GetAtt": ["Dst", "Arn"]}}},
  "Query": {"Type": "AWS::Logs::QueryDefinition", "Properties": {"Name": "errors", "QueryString": "fields @message"}},
  "Doc": {"Type": "AWS::SSM::Document", "Properties": {"DocumentType": "Command", "Content": {"schemaVersion": "2.2",
    "mainSteps": [{"action": "aws:runShellScript", "name": "hello", "inputs": {"runCommand": ["echo hello"]}}]}}},
  "Assoc": {"Type": "AWS::SSM::Association", "Properties": {"Name": {"Ref": "Doc"}, "Targets": [{"Key": "tag:Env", "Values": ["prod"]}]}},
  "Secret": {"Type": "AWS::SecretsManager::Secret", "Properties": {"SecretString": "{\"username\":\"u\",\"password\":\"p\"}"}},
  "SecretPolicy": {"Type": "AWS::SecretsManager::ResourcePolicy", "Properties": {"SecretId": {"Ref": "Secret"}, "BlockPublicPolicy": true,
    "ResourcePolicy": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"},
      "Action": "secretsmanager:GetSecretValue", "Resource": "*"}]}}}
 },
 "Outputs": {
  "DestArn": {"Value": {"Fn::GetAtt": ["Dest", "Arn"]}},
  "DestPolicyArn": {"Value": {"Fn::GetAtt": ["Dest", "ArnForPolicy"]}},
  "RuleRef": {"Value": {"Ref": "Rule"}},
  "DeliveryId": {"Value": {"Ref": "Delivery"}},
  "AssocId": {"Value": {"Fn::GetAtt": ["Assoc", "AssociationId"]}},
  "GroupArn": {"Value": {"Fn::GetAtt": ["Group", "Arn"]}},
  "PolicyRef": {"Value": {"Ref": "SecretPolicy"}},
  "SecretRef": {"Value": {"Ref": "Secret"}}
 }
}`

type cfnStack struct {
	StackStatus       string
	StackStatusReason string
	Outputs           []struct{ OutputKey, OutputValue string } `xml:"Outputs>member"`
}

// describeStack reads one stack, signing at now (a test's fake clock or
// the wall clock); false when the stack does not exist.
func describeStack(t *testing.T, n *niwatest.Niwa, now time.Time, name string) (cfnStack, bool) {
	t.Helper()
	r := query(t, n, now, rootCreds, "cloudformation", "Action=DescribeStacks&Version=2010-05-15&StackName="+name)
	if r.status != 200 {
		return cfnStack{}, false
	}
	var out struct {
		Stacks []cfnStack `xml:"DescribeStacksResult>Stacks>member"`
	}
	if err := xml.Unmarshal([]byte(r.body), &out); err != nil || len(out.Stacks) != 1 {
		t.Fatalf("describe-stacks: %v %s", err, r.body)
	}
	return out.Stacks[0], true
}

// settled waits (wall time: the stack runs in its own goroutine) until
// the stack leaves *_IN_PROGRESS.
func settled(t *testing.T, n *niwatest.Niwa, name string) (cfnStack, bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		s, ok := describeStack(t, n, time.Now(), name)
		if !ok || !strings.HasSuffix(s.StackStatus, "_IN_PROGRESS") {
			return s, ok
		}
		if time.Now().After(deadline) {
			t.Fatalf("stack %s still %s", name, s.StackStatus)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCloudFormationManagementTypes deploys the template through the
// CloudFormation API: each resource takes the Ref and Fn::GetAtt values of
// the ones before it, the outputs are what AWS documents, and the stack
// deletes cleanly (dependents first).
func TestCloudFormationManagementTypes(t *testing.T) {
	n := niwatest.Start(t)
	v := url.Values{"Action": {"CreateStack"}, "Version": {"2010-05-15"}, "StackName": {"mgmt"}, "TemplateBody": {mgmtTemplate}}
	if r := query(t, n, time.Now(), rootCreds, "cloudformation", v.Encode()); r.status != 200 {
		t.Fatalf("create-stack: %d %s", r.status, r.body)
	}
	s, _ := settled(t, n, "mgmt")
	if s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("stack %s: %s", s.StackStatus, s.StackStatusReason)
	}
	out := map[string]string{}
	for _, o := range s.Outputs {
		out[o.OutputKey] = o.OutputValue
	}
	b, _ := json.Marshal(out)
	const prefix = "arn:aws:"
	if !strings.HasPrefix(out["DestArn"], out["DestPolicyArn"]+"/") || !strings.Contains(out["DestPolicyArn"], ":api-destination/mgmt-Dest-") ||
		!strings.HasSuffix(out["RuleRef"], ":insight-rule/top-ips") || len(out["DeliveryId"]) != 16 || out["AssocId"] == "" ||
		!strings.HasPrefix(out["GroupArn"], prefix+"scheduler:") || out["PolicyRef"] != out["SecretRef"] ||
		!strings.HasPrefix(out["SecretRef"], prefix+"secretsmanager:") {
		t.Fatalf("outputs %s", b)
	}
	if r := query(t, n, time.Now(), rootCreds, "cloudformation", "Action=DeleteStack&Version=2010-05-15&StackName=mgmt"); r.status != 200 {
		t.Fatalf("delete-stack: %d %s", r.status, r.body)
	}
	if s, ok := settled(t, n, "mgmt"); ok && s.StackStatus != "DELETE_COMPLETE" {
		t.Fatalf("after delete %s: %s", s.StackStatus, s.StackStatusReason)
	}
}
