package cloudformation

import (
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const queueTemplate = `AWSTemplateFormatVersion: "2010-09-09"
Description: a queue and its dead-letter queue
Parameters:
  Visibility:
    Type: Number
    Default: 30
Resources:
  Dlq:
    Type: AWS::SQS::Queue
  Queue:
    Type: AWS::SQS::Queue
    Properties:
      VisibilityTimeout: !Ref Visibility
      RedrivePolicy:
        deadLetterTargetArn: !GetAtt Dlq.Arn
        maxReceiveCount: 3
Outputs:
  QueueUrl:
    Value: !Ref Queue
    Export:
      Name: !Sub "${AWS::StackName}-queue"
  DlqArn:
    Value: !GetAtt Dlq.Arn
`

// TestStackLifecycle: create-stack, the waiter, outputs and exports, an
// update, deploy's no-op path and delete, with both CLIs.
func TestStackLifecycle(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "queue.yaml", queueTemplate)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			name := "queues-" + cli.Name
			n.MustCLI(t, cli, "cloudformation", "create-stack", "--stack-name", name, "--template-body", "file://"+tpl,
				"--tags", "Key=team,Value=blue")
			n.MustCLI(t, cli, "cloudformation", "wait", "stack-create-complete", "--stack-name", name)
			s := n.DescribeStack(t, cli, name)
			url := s.Output("QueueUrl")
			if s.StackStatus != "CREATE_COMPLETE" || !strings.Contains(url, name+"-Queue-") {
				t.Fatalf("stack %+v", s)
			}
			// The queue exists, with the template's attributes and the
			// stack's tags.
			attrs := n.MustCLI(t, cli, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "All")
			if !strings.Contains(attrs, `"VisibilityTimeout": "30"`) || !strings.Contains(attrs, s.Output("DlqArn")) {
				t.Fatalf("attributes %s", attrs)
			}
			if tags := n.MustCLI(t, cli, "sqs", "list-queue-tags", "--queue-url", url); !strings.Contains(tags, `"team": "blue"`) {
				t.Fatalf("tags %s", tags)
			}
			if ex := n.MustCLI(t, cli, "cloudformation", "list-exports"); !strings.Contains(ex, name+"-queue") {
				t.Fatalf("exports %s", ex)
			}
			// An update in place.
			n.MustCLI(t, cli, "cloudformation", "update-stack", "--stack-name", name, "--use-previous-template",
				"--parameters", "ParameterKey=Visibility,ParameterValue=45")
			if st := settle(t, n, cli, name); st != "UPDATE_COMPLETE" {
				t.Fatalf("update: %s", st)
			}
			attrs = n.MustCLI(t, cli, "sqs", "get-queue-attributes", "--queue-url", url, "--attribute-names", "VisibilityTimeout")
			if !strings.Contains(attrs, `"45"`) {
				t.Fatalf("attributes after update %s", attrs)
			}
			// Nothing to update.
			_, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "update-stack", "--stack-name", name, "--use-previous-template",
				"--parameters", "ParameterKey=Visibility,UsePreviousValue=true")
			if err == nil || !strings.Contains(stderr, "No updates are to be performed.") {
				t.Fatalf("no-op update: %v %s", err, stderr)
			}
			// deploy through change sets: the same template and
			// parameters is "No changes to deploy" (the CLI reads the
			// change set's FAILED status and AWS's reason).
			out, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "deploy", "--stack-name", name, "--template-file", tpl,
				"--parameter-overrides", "Visibility=45", "--no-fail-on-empty-changeset")
			if err != nil || !strings.Contains(out+stderr, "No changes to deploy") {
				t.Fatalf("deploy no-op: %v\n%s\n%s", err, out, stderr)
			}
			// deploy with a change. The CLI names its change set
			// awscli-cloudformation-package-deploy-<Unix second of the
			// client's clock>, and the no-op's FAILED change set keeps
			// its name as on AWS: a second deploy in the same second
			// would collide (AlreadyExistsException), which a real
			// stack's deploy never does because it takes longer. Wait
			// for the client's next second: it is the client's clock,
			// which niwa's cannot move.
			for start := time.Now().Unix(); time.Now().Unix() == start; {
				time.Sleep(20 * time.Millisecond)
			}
			out, stderr, err = n.RunCLI(t, cli, nil, "cloudformation", "deploy", "--stack-name", name, "--template-file", tpl,
				"--parameter-overrides", "Visibility=60")
			if err != nil || !strings.Contains(out, "Successfully created/updated stack") {
				t.Fatalf("deploy: %v\n%s\n%s", err, out, stderr)
			}
			if s = n.DescribeStack(t, cli, name); s.StackStatus != "UPDATE_COMPLETE" {
				t.Fatalf("after deploy %+v", s)
			}
			n.MustCLI(t, cli, "cloudformation", "delete-stack", "--stack-name", name)
			if st := settle(t, n, cli, name); st != "DELETE_COMPLETE" {
				t.Fatalf("delete: %s", st)
			}
			if _, _, err := n.RunCLI(t, cli, nil, "sqs", "get-queue-attributes", "--queue-url", url); err == nil {
				t.Fatalf("queue %s survived its stack", url)
			}
		})
	}
}

// TestDeployNewStack: deploy creates a stack through a CREATE change set.
func TestDeployNewStack(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "queue.yaml", queueTemplate)
	cli := framework.CLIs[0]
	out, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "deploy", "--stack-name", "fresh", "--template-file", tpl)
	if err != nil || !strings.Contains(out, "Successfully created/updated stack - fresh") {
		t.Fatalf("deploy: %v\n%s\n%s", err, out, stderr)
	}
	if s := n.DescribeStack(t, cli, "fresh"); s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("stack %+v", s)
	}
}

const customTemplate = `Parameters:
  Fail:
    Type: String
    Default: "no"
Resources:
  Role:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {Service: lambda.amazonaws.com}
            Action: sts:AssumeRole
  Fn:
    Type: AWS::Lambda::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      Role: !GetAtt Role.Arn
      Timeout: 30
      Code:
        ZipFile: |
          import cfnresponse
          def handler(event, context):
              props = event["ResourceProperties"]
              if event["RequestType"] != "Delete" and props.get("Fail") == "yes":
                  raise Exception("the function failed")
              cfnresponse.send(event, context, cfnresponse.SUCCESS,
                               {"Greeting": "hello " + props.get("Name", "")}, "greeter-" + props.get("Name", ""))
  Greeter:
    Type: Custom::Greeter
    Properties:
      ServiceToken: !GetAtt Fn.Arn
      ServiceTimeout: 20
      Name: world
      Fail: !Ref Fail
Outputs:
  Greeting:
    Value: !GetAtt Greeter.Greeting
  Physical:
    Value: !Ref Greeter
`

// TestCustomResource: a Lambda-backed custom resource answering through
// cfnresponse completes its stack with its Data as attributes; one whose
// function fails without answering times out (ServiceTimeout, on the
// clock) and the stack rolls back with AWS's events.
func TestCustomResource(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	tpl := framework.WriteFile(t, "custom.yaml", customTemplate)
	cli := framework.CLIs[0]
	n.MustCLI(t, cli, "cloudformation", "create-stack", "--stack-name", "good", "--template-body", "file://"+tpl, "--capabilities", "CAPABILITY_IAM")
	if st := settle(t, n, cli, "good"); st != "CREATE_COMPLETE" {
		t.Fatalf("good: %s\n%s", st, strings.Join(n.StackEvents(t, cli, "good"), "\n"))
	}
	s := n.DescribeStack(t, cli, "good")
	if s.Output("Greeting") != "hello world" || s.Output("Physical") != "greeter-world" {
		t.Fatalf("outputs %+v", s.Outputs)
	}
	n.MustCLI(t, cli, "cloudformation", "create-stack", "--stack-name", "bad", "--template-body", "file://"+tpl, "--capabilities", "CAPABILITY_IAM",
		"--parameters", "ParameterKey=Fail,ParameterValue=yes")
	// The function raised: no response comes; the wait ends on the
	// clock after ServiceTimeout.
	framework.WaitUntil(t, framework.Patience, func() bool {
		ev := n.StackEvents(t, cli, "bad")
		for _, e := range ev {
			if e == "Greeter CREATE_IN_PROGRESS" {
				return true
			}
		}
		return false
	}, "the custom resource's request")
	var got []string
	framework.WaitUntil(t, framework.Patience, func() bool {
		n.AdvanceClock(t, 30e9)
		got = n.StackEvents(t, cli, "bad")
		return len(got) > 0 && strings.HasPrefix(got[len(got)-1], "bad ROLLBACK_COMPLETE")
	}, "the rollback")
	joined := strings.Join(got, "\n")
	for _, want := range []string{
		"Greeter CREATE_FAILED CloudFormation did not receive a response from your Custom Resource.",
		"bad ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [Greeter]. Rollback requested by user.",
		"Fn DELETE_COMPLETE", "Role DELETE_COMPLETE", "bad ROLLBACK_COMPLETE",
	} {
		if !strings.Contains(joined, want) {
			t.Fatalf("no %q in events:\n%s", want, joined)
		}
	}
	// Deleting the good stack sends the Delete request, which answers.
	n.MustCLI(t, cli, "cloudformation", "delete-stack", "--stack-name", "good")
	if st := settle(t, n, cli, "good"); st != "DELETE_COMPLETE" {
		t.Fatalf("delete: %s", st)
	}
}

// settle polls describe-stacks until the stack leaves its *_IN_PROGRESS
// statuses and returns the status it settled in. The CLI's waiters sleep
// 30 s between polls; one test (TestStackLifecycle) runs them, the others
// poll here so the package stays quick.
func settle(t *testing.T, n *framework.Niwa, cli framework.CLI, name string) string {
	t.Helper()
	var status string
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, stderr, err := n.RunCLI(t, cli, nil, "cloudformation", "describe-stacks", "--stack-name", name, "--query", "Stacks[0].StackStatus", "--output", "text")
		if err != nil {
			if strings.Contains(stderr, "does not exist") {
				status = "DELETE_COMPLETE"
				return true
			}
			t.Fatalf("describe-stacks: %v %s", err, stderr)
		}
		status = strings.TrimSpace(out)
		return !strings.HasSuffix(status, "_IN_PROGRESS")
	}, "stack "+name+" to settle")
	return status
}
