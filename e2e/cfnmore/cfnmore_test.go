package cfnmore

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const samTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 30
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Table:
    Type: AWS::Serverless::SimpleTable
  Writer:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      InlineCode: |
        import boto3, json, os
        def handler(event, context):
            table = boto3.resource("dynamodb").Table(os.environ["TABLE"])
            if "Records" in event:
                for r in event["Records"]:
                    table.put_item(Item={"id": r["body"]})
                return {}
            name = event["pathParameters"]["name"]
            table.put_item(Item={"id": "api-" + name})
            return {"statusCode": 200, "body": json.dumps({"hello": name})}
      Environment:
        Variables:
          TABLE: !Ref Table
      Policies:
        - DynamoDBCrudPolicy: {TableName: !Ref Table}
      Events:
        Messages:
          Type: SQS
          Properties: {Queue: !GetAtt Queue.Arn, BatchSize: 1}
        Hello:
          Type: Api
          Properties: {Path: "/hello/{name}", Method: get}
Outputs:
  ApiId: {Value: !Ref ServerlessRestApi}
  Url:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod/"
  RoleArn: {Value: !GetAtt WriterRole.Arn}
  Table: {Value: !Ref Table}
  QueueUrl: {Value: !Ref Queue}
`

// TestSAMDeploy: `aws cloudformation deploy` of a SAM template makes
// SAM's resources under SAM's names; the function runs from its SQS
// event and its API, and the processed template is SAM's expansion.
func TestSAMDeploy(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "sam.yaml", samTemplate)
	out, stderr, err := n.AWS(t, nil, "cloudformation", "deploy", "--stack-name", "sam", "--template-file", tpl,
		"--capabilities", "CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND")
	if err != nil || !strings.Contains(out, "Successfully created/updated stack - sam") {
		events, _, _ := n.AWS(t, nil, "cloudformation", "describe-stack-events", "--stack-name", "sam")
		t.Fatalf("deploy: %v\n%s\n%s\n%s", err, out, stderr, events)
	}
	s := n.DescribeStack(t, framework.CLIs[0], "sam")
	if s.StackStatus != "CREATE_COMPLETE" || !strings.Contains(s.Output("RoleArn"), ":role/sam-WriterRole-") {
		t.Fatalf("stack %+v", s)
	}
	// The SQS event source invokes the function, which writes with its
	// policy template's permissions.
	n.MustAWS(t, "sqs", "send-message", "--queue-url", s.Output("QueueUrl"), "--message-body", "from-sqs")
	table := s.Output("Table")
	framework.WaitUntil(t, 60*time.Second, func() bool {
		o, _, err := n.AWS(t, nil, "dynamodb", "get-item", "--table-name", table, "--key", `{"id":{"S":"from-sqs"}}`)
		return err == nil && strings.Contains(o, "from-sqs")
	}, "the SQS-triggered function's item")
	// The implicit API's Prod stage serves the function.
	resp, err := http.Get(n.Endpoint + "/restapis/" + s.Output("ApiId") + "/Prod/_user_request_/hello/world")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"hello": "world"`) {
		t.Fatalf("API: %d %s", resp.StatusCode, body)
	}
	// boto3 sees SAM's logical ids and the processed template.
	got := n.Python(t, `
import boto3, json
cfn = boto3.client("cloudformation")
ids = sorted(r["LogicalResourceId"] + "=" + r["ResourceType"] for r in cfn.describe_stack_resources(StackName="sam")["StackResources"])
print("\n".join(ids))
processed = cfn.get_template(StackName="sam", TemplateStage="Processed")["TemplateBody"]
print("TRANSFORM" if "Transform" in processed else "NO-TRANSFORM")
print("PROCESSED-TYPES " + " ".join(sorted(set(r["Type"] for r in processed["Resources"].values()))))
`)
	for _, want := range []string{"Writer=AWS::Lambda::Function", "WriterRole=AWS::IAM::Role", "WriterMessages=AWS::Lambda::EventSourceMapping",
		"WriterHelloPermissionProd=AWS::Lambda::Permission", "ServerlessRestApi=AWS::ApiGateway::RestApi",
		"ServerlessRestApiProdStage=AWS::ApiGateway::Stage", "Table=AWS::DynamoDB::Table", "NO-TRANSFORM"} {
		if !strings.Contains(got, want+"\n") {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
	if strings.Contains(got, "AWS::Serverless::") {
		t.Errorf("the processed template keeps SAM types:\n%s", got)
	}
	// A SAM template without CAPABILITY_AUTO_EXPAND cannot be created
	// straight from the template.
	_, stderr, err = n.AWS(t, nil, "cloudformation", "create-stack", "--stack-name", "sam2", "--template-body", "file://"+tpl,
		"--capabilities", "CAPABILITY_IAM")
	if err == nil || !strings.Contains(stderr, "Requires capabilities : [CAPABILITY_AUTO_EXPAND]") {
		t.Fatalf("create-stack without CAPABILITY_AUTO_EXPAND: %v %s", err, stderr)
	}
	n.MustAWS(t, "cloudformation", "delete-stack", "--stack-name", "sam")
	n.MustAWS(t, "cloudformation", "wait", "stack-delete-complete", "--stack-name", "sam")
}

const driftTemplate = `Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 30}
  Param:
    Type: AWS::SSM::Parameter
    Properties: {Type: String, Value: original}
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
Outputs:
  QueueUrl: {Value: !Ref Queue}
  Param: {Value: !Ref Param}
`

// TestDriftAfterOutOfBandChange: boto3 detects the drift of a queue and
// a parameter changed with the CLI, with AWS's statuses and property
// differences.
func TestDriftAfterOutOfBandChange(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "drift.yaml", driftTemplate)
	n.MustAWS(t, "cloudformation", "deploy", "--stack-name", "drift", "--template-file", tpl)
	s := n.DescribeStack(t, framework.CLIs[0], "drift")
	n.MustAWS(t, "sqs", "set-queue-attributes", "--queue-url", s.Output("QueueUrl"), "--attributes", "VisibilityTimeout=99")
	n.MustAWS(t, "ssm", "put-parameter", "--name", s.Output("Param"), "--value", "changed", "--overwrite")
	got := n.Python(t, `
import boto3, json, time
cfn = boto3.client("cloudformation")
det = cfn.detect_stack_drift(StackName="drift")["StackDriftDetectionId"]
for _ in range(600):
    st = cfn.describe_stack_drift_detection_status(StackDriftDetectionId=det)
    if st["DetectionStatus"] != "DETECTION_IN_PROGRESS":
        break
    time.sleep(0.1)
print("STACK", st["StackDriftStatus"], st["DriftedStackResourceCount"])
for d in cfn.describe_stack_resource_drifts(StackName="drift")["StackResourceDrifts"]:
    diffs = ";".join("%s %s %s->%s" % (p["PropertyPath"], p["DifferenceType"], p["ExpectedValue"], p["ActualValue"]) for p in d["PropertyDifferences"])
    print(d["LogicalResourceId"], d["StackResourceDriftStatus"], diffs)
print("INFO", cfn.describe_stacks(StackName="drift")["Stacks"][0]["DriftInformation"]["StackDriftStatus"])
`)
	for _, want := range []string{"STACK DRIFTED 2", "Queue MODIFIED /VisibilityTimeout NOT_EQUAL 30->99",
		"Param MODIFIED /Value NOT_EQUAL original->changed", "Handle NOT_CHECKED", "INFO DRIFTED"} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in\n%s", want, got)
		}
	}
}

const queueTemplate = `Resources:
  Queue: {Type: AWS::SQS::Queue}
`

// TestRoleARNAndCallerPermissions: a stack acts as its service role, which
// the caller must be allowed to pass and which must trust CloudFormation;
// without a role it acts as its caller, whose denied call fails the
// resource with the service's AccessDenied.
func TestRoleARNAndCallerPermissions(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "queue.yaml", queueTemplate)
	// The roles and users, made with boto3 in one go.
	var keys map[string][]string
	framework.MustJSON(t, n.Python(t, `
import boto3, json
iam = boto3.client("iam")
def trust(service):
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}]})
iam.create_role(RoleName="cfn-role", AssumeRolePolicyDocument=trust("cloudformation.amazonaws.com"))
iam.put_role_policy(RoleName="cfn-role", PolicyName="sqs", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sqs:*", "Resource": "*"}]}))
iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=trust("lambda.amazonaws.com"))
cfn = {"Effect": "Allow", "Action": "cloudformation:*", "Resource": "*"}
users = {
    # cloudformation only: no iam:PassRole, no sqs.
    "cfn-only": [cfn],
    # cloudformation and passing the role, still no sqs.
    "passer": [cfn, {"Effect": "Allow", "Action": "iam:PassRole", "Resource": "arn:aws:iam::000000000000:role/cfn-role"}],
    # queues named after its stacks only.
    "scoped": [cfn, {"Effect": "Allow", "Action": "sqs:*", "Resource": "arn:aws:sqs:*:000000000000:scoped-*"}],
}
out = {}
for name, stmts in users.items():
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": stmts}))
    k = iam.create_access_key(UserName=name)["AccessKey"]
    out[name] = ["AWS_ACCESS_KEY_ID=" + k["AccessKeyId"], "AWS_SECRET_ACCESS_KEY=" + k["SecretAccessKey"]]
print(json.dumps(out))
`), &keys)
	cfnOnly, passer, scoped := keys["cfn-only"], keys["passer"], keys["scoped"]
	settled := func(name string) string {
		var st string
		framework.WaitUntil(t, 90*time.Second, func() bool {
			st = n.DescribeStack(t, framework.CLIs[0], name).StackStatus
			return !strings.HasSuffix(st, "_IN_PROGRESS")
		}, "stack "+name+" to settle")
		return st
	}

	_, stderr, err := n.AWS(t, cfnOnly, "cloudformation", "create-stack", "--stack-name", "refused", "--template-body", "file://"+tpl,
		"--role-arn", "arn:aws:iam::000000000000:role/cfn-role")
	if err == nil || !strings.Contains(stderr, "AccessDenied") || !strings.Contains(stderr, "is not authorized to perform: iam:PassRole on resource: arn:aws:iam::000000000000:role/cfn-role") {
		t.Fatalf("without iam:PassRole: %v %s", err, stderr)
	}
	_, stderr, err = n.AWS(t, nil, "cloudformation", "create-stack", "--stack-name", "untrusted", "--template-body", "file://"+tpl,
		"--role-arn", "arn:aws:iam::000000000000:role/lambda-role")
	if err == nil || !strings.Contains(stderr, "Role arn:aws:iam::000000000000:role/lambda-role is invalid or cannot be assumed") {
		t.Fatalf("untrusting role: %v %s", err, stderr)
	}
	// As the role, the queue is made though the caller may not make it.
	if _, stderr, err := n.AWS(t, passer, "cloudformation", "create-stack", "--stack-name", "passed", "--template-body", "file://"+tpl,
		"--role-arn", "arn:aws:iam::000000000000:role/cfn-role"); err != nil {
		t.Fatalf("passing the role: %v %s", err, stderr)
	}
	// As the caller, the queue is refused.
	if _, stderr, err := n.AWS(t, cfnOnly, "cloudformation", "create-stack", "--stack-name", "as-user", "--template-body", "file://"+tpl); err != nil {
		t.Fatalf("as the caller: %v %s", err, stderr)
	}
	// A policy scoped to the stack's generated names allows them.
	if _, stderr, err := n.AWS(t, scoped, "cloudformation", "create-stack", "--stack-name", "scoped-app", "--template-body", "file://"+tpl); err != nil {
		t.Fatalf("scoped: %v %s", err, stderr)
	}
	if st := settled("scoped-app"); st != "CREATE_COMPLETE" {
		t.Fatalf("stack made with a policy scoped to its names: %s", st)
	}
	if st := settled("passed"); st != "CREATE_COMPLETE" {
		t.Fatalf("stack made as the role: %s", st)
	}
	if st := settled("as-user"); st != "ROLLBACK_COMPLETE" {
		t.Fatalf("stack made as the caller: %s", st)
	}
	var ev struct {
		StackEvents []struct{ LogicalResourceId, ResourceStatus, ResourceStatusReason string }
	}
	framework.MustJSON(t, n.MustAWS(t, "cloudformation", "describe-stack-events", "--stack-name", "as-user"), &ev)
	found := false
	for _, e := range ev.StackEvents {
		if e.LogicalResourceId == "Queue" && e.ResourceStatus == "CREATE_FAILED" &&
			strings.Contains(strings.ToLower(e.ResourceStatusReason), "user: arn:aws:iam::000000000000:user/cfn-only is not authorized to perform: sqs:createqueue") &&
			strings.Contains(e.ResourceStatusReason, "(HandlerErrorCode: AccessDenied)") {
			found = true
		}
	}
	if !found {
		b, _ := json.MarshalIndent(ev, "", " ")
		t.Fatalf("no AccessDenied CREATE_FAILED event:\n%s", b)
	}
}

const signalTemplate = `Resources:
  Handle:
    Type: AWS::CloudFormation::WaitConditionHandle
  Wait:
    Type: AWS::CloudFormation::WaitCondition
    Properties: {Handle: !Ref Handle, Timeout: "600"}
  Queue:
    Type: AWS::SQS::Queue
    CreationPolicy:
      ResourceSignal: {Count: 1, Timeout: PT10M}
Outputs:
  Data: {Value: !GetAtt Wait.Data}
`

// TestSignals: a wait condition signalled with a PUT to its handle's URL
// (what cfn-signal and curl do) and a CreationPolicy signalled with
// `aws cloudformation signal-resource`.
func TestSignals(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "signals.yaml", signalTemplate)
	n.MustAWS(t, "cloudformation", "create-stack", "--stack-name", "sig", "--template-body", "file://"+tpl)
	var handle string
	framework.WaitUntil(t, 60*time.Second, func() bool {
		var out struct {
			StackResourceDetail struct{ PhysicalResourceId, ResourceStatus string }
		}
		o, _, err := n.AWS(t, nil, "cloudformation", "describe-stack-resource", "--stack-name", "sig", "--logical-resource-id", "Handle")
		if err != nil || json.Unmarshal([]byte(o), &out) != nil {
			return false
		}
		handle = out.StackResourceDetail.PhysicalResourceId
		return out.StackResourceDetail.ResourceStatus == "CREATE_COMPLETE"
	}, "the wait condition handle")
	if !strings.HasPrefix(handle, n.Endpoint+"/cloudformation-waitcondition-niwa/") {
		t.Fatalf("handle %s", handle)
	}
	req, err := http.NewRequest(http.MethodPut, handle, strings.NewReader(`{"Status":"SUCCESS","Reason":"ready","UniqueId":"web1","Data":"hello"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signal PUT: %d", resp.StatusCode)
	}
	// The queue waits for its signal once made.
	framework.WaitUntil(t, 60*time.Second, func() bool {
		_, _, err := n.AWS(t, nil, "cloudformation", "signal-resource", "--stack-name", "sig", "--logical-resource-id", "Queue",
			"--unique-id", "i-1", "--status", "SUCCESS")
		return err == nil
	}, "the queue to take its signal")
	framework.WaitUntil(t, 60*time.Second, func() bool {
		return n.DescribeStack(t, framework.CLIs[0], "sig").StackStatus == "CREATE_COMPLETE"
	}, "the stack to complete")
	if d := n.DescribeStack(t, framework.CLIs[0], "sig").Output("Data"); d != `{"web1":"hello"}` {
		t.Fatalf("wait condition data %q", d)
	}
	_, stderr, err := n.AWS(t, nil, "cloudformation", "signal-resource", "--stack-name", "sig", "--logical-resource-id", "Queue",
		"--unique-id", "i-2", "--status", "SUCCESS")
	if err == nil || !strings.Contains(stderr, "is in CREATE_COMPLETE state and cannot be signaled") {
		t.Fatalf("late signal: %v %s", err, stderr)
	}
}
