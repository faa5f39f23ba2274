package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	ec2types "github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	ebtypes "github.com/aws/aws-sdk-go-v2/service/eventbridge/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestResourceTagPerService: every service that keeps tags feeds
// aws:ResourceTag/<key> from the target's stored tags. A user allowed
// everything only on resources tagged env=dev reaches the tagged
// resource of each service and is denied the untagged twin.
func TestResourceTagPerService(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	root := n.AWSConfig()
	u := newUser(t, n, "abac")
	if _, err := iam.NewFromConfig(root).PutUserPolicy(ctx, &iam.PutUserPolicyInput{
		UserName: aws.String("abac"), PolicyName: aws.String("p"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}}]}`),
	}); err != nil {
		t.Fatal(err)
	}
	as := u.config(n)

	// Resources, tagged and not.
	snsRoot := sns.NewFromConfig(root)
	topics := map[bool]string{}
	for _, tagged := range []bool{true, false} {
		in := &sns.CreateTopicInput{Name: aws.String(map[bool]string{true: "dev-topic", false: "plain-topic"}[tagged])}
		if tagged {
			in.Tags = []snstypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}
		}
		out, err := snsRoot.CreateTopic(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		topics[tagged] = aws.ToString(out.TopicArn)
	}
	ddbRoot := dynamodb.NewFromConfig(root)
	for _, tagged := range []bool{true, false} {
		in := &dynamodb.CreateTableInput{TableName: aws.String(map[bool]string{true: "dev-table", false: "plain-table"}[tagged]),
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("k"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("k"), KeyType: ddbtypes.KeyTypeHash}},
			BillingMode:          ddbtypes.BillingModePayPerRequest}
		if tagged {
			in.Tags = []ddbtypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}
		}
		if _, err := ddbRoot.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	ebRoot := eventbridge.NewFromConfig(root)
	for _, tagged := range []bool{true, false} {
		in := &eventbridge.PutRuleInput{Name: aws.String(map[bool]string{true: "dev-rule", false: "plain-rule"}[tagged]), ScheduleExpression: aws.String("rate(1 hour)")}
		if tagged {
			in.Tags = []ebtypes.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}
		}
		if _, err := ebRoot.PutRule(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	ec2Root := ec2.NewFromConfig(root)
	vpcs := map[bool]string{}
	for _, tagged := range []bool{true, false} {
		in := &ec2.CreateVpcInput{CidrBlock: aws.String("10.0.0.0/16")}
		if tagged {
			in.TagSpecifications = []ec2types.TagSpecification{{ResourceType: ec2types.ResourceTypeVpc, Tags: []ec2types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}}}}
		}
		out, err := ec2Root.CreateVpc(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		vpcs[tagged] = aws.ToString(out.Vpc.VpcId)
	}
	if _, err := iam.NewFromConfig(root).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("fn-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	lambdaRoot := lambda.NewFromConfig(root)
	for _, tagged := range []bool{true, false} {
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(map[bool]string{true: "dev-fn", false: "plain-fn"}[tagged]),
			Runtime: lambdatypes.RuntimePython312, Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/fn-role"),
			Code: &lambdatypes.FunctionCode{ZipFile: handlerZip(t)}}
		if tagged {
			in.Tags = map[string]string{"env": "dev"}
		}
		if _, err := lambdaRoot.CreateFunction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	logsCall := func(c creds, target, body string) rawResponse {
		return signed(t, n, time.Now(), c, "logs", "POST", "/",
			map[string]string{"Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": "Logs_20140328." + target}, body)
	}
	for _, b := range []string{`{"logGroupName":"dev-group","tags":{"env":"dev"}}`, `{"logGroupName":"plain-group"}`} {
		if r := logsCall(rootCreds, "CreateLogGroup", b); r.status != 200 {
			t.Fatalf("CreateLogGroup: %d %s", r.status, r.body)
		}
	}

	snsAs, ddbAs, ebAs, ec2As, lambdaAs := sns.NewFromConfig(as), dynamodb.NewFromConfig(as), eventbridge.NewFromConfig(as), ec2.NewFromConfig(as), lambda.NewFromConfig(as)
	for _, tc := range []struct {
		name string
		call func(tagged bool) error
	}{
		{"sns GetTopicAttributes", func(tagged bool) error {
			_, err := snsAs.GetTopicAttributes(ctx, &sns.GetTopicAttributesInput{TopicArn: aws.String(topics[tagged])})
			return err
		}},
		{"dynamodb DescribeTable", func(tagged bool) error {
			_, err := ddbAs.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(map[bool]string{true: "dev-table", false: "plain-table"}[tagged])})
			return err
		}},
		{"events DescribeRule", func(tagged bool) error {
			_, err := ebAs.DescribeRule(ctx, &eventbridge.DescribeRuleInput{Name: aws.String(map[bool]string{true: "dev-rule", false: "plain-rule"}[tagged])})
			return err
		}},
		{"ec2 ModifyVpcAttribute", func(tagged bool) error {
			_, err := ec2As.ModifyVpcAttribute(ctx, &ec2.ModifyVpcAttributeInput{VpcId: aws.String(vpcs[tagged]), EnableDnsSupport: &ec2types.AttributeBooleanValue{Value: aws.Bool(true)}})
			return err
		}},
		{"lambda GetFunction with a qualifier", func(tagged bool) error {
			_, err := lambdaAs.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(map[bool]string{true: "dev-fn", false: "plain-fn"}[tagged]), Qualifier: aws.String("$LATEST")})
			return err
		}},
		{"logs DescribeLogStreams", func(tagged bool) error {
			r := logsCall(u, "DescribeLogStreams", `{"logGroupName":"`+map[bool]string{true: "dev-group", false: "plain-group"}[tagged]+`"}`)
			if r.status != 200 {
				return &httpErr{r}
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.call(true); err != nil {
				t.Fatalf("tagged env=dev: %v", err)
			}
			err := tc.call(false)
			if err == nil || !strings.Contains(err.Error(), "not authorized") {
				t.Fatalf("untagged: want a denial, got %v", err)
			}
		})
	}
}

type httpErr struct{ r rawResponse }

func (e *httpErr) Error() string { return e.r.body }

// handlerZip is a deployment package with one Python handler.
func handlerZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	f, err := w.Create("index.py")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("def handler(event, context):\n    return event\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
