package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/niwatest"
)

// kmsKey makes a symmetric key with an alias; it returns the key's ARN.
func kmsKey(t *testing.T, k *kms.Client, alias string) string {
	t.Helper()
	ctx := context.Background()
	out, err := k.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: out.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	return *out.KeyMetadata.Arn
}

func errCode(err error) (code, msg string) {
	var ae smithy.APIError
	for e := err; e != nil; {
		if a, ok := e.(smithy.APIError); ok {
			ae = a
			break
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			break
		}
		e = u.Unwrap()
	}
	if ae == nil {
		return "", ""
	}
	return ae.ErrorCode(), ae.ErrorMessage()
}

// TestSSEKMSDynamoDB: a table's SSESpecification key is resolved by KMS:
// DescribeTable shows its ARN (the AWS managed key alias/aws/dynamodb by
// default); a key KMS does not know, or a disabled one, is refused as
// DynamoDB refuses it.
func TestSSEKMSDynamoDB(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	k := kms.NewFromConfig(n.AWSConfig())
	db := dynamodb.NewFromConfig(n.AWSConfig())
	keyARN := kmsKey(t, k, "alias/tables")
	create := func(name string, sse *ddbtypes.SSESpecification) (*dynamodb.CreateTableOutput, error) {
		return db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
			SSESpecification:     sse})
	}
	managed, err := k.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/dynamodb")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		sse  *ddbtypes.SSESpecification
		want string // KMSMasterKeyArn, "" for no SSEDescription
	}{
		{"owned", nil, ""},
		{"by alias", &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String("alias/tables")}, keyARN},
		{"by ARN", &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String(keyARN)}, keyARN},
		{"managed", &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms}, *managed.KeyMetadata.Arn},
	} {
		out, err := create("t-"+strings.ReplaceAll(tc.name, " ", "-"), tc.sse)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: out.TableDescription.TableName})
		if err != nil {
			t.Fatal(err)
		}
		got := ""
		if s := d.Table.SSEDescription; s != nil {
			got = aws.ToString(s.KMSMasterKeyArn)
		}
		if got != tc.want {
			t.Fatalf("%s: KMSMasterKeyArn %q, want %q", tc.name, got, tc.want)
		}
	}
	_, err = create("t-missing", &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String("alias/none")})
	if code, msg := errCode(err); code != "ValidationException" || !strings.HasPrefix(msg, "KMS validation error: com.amazonaws.services.kms.model.NotFoundException: Alias ") {
		t.Fatalf("missing key: %s %q", code, msg)
	}
	_, err = create("t-notype", &ddbtypes.SSESpecification{Enabled: aws.Bool(true), KMSMasterKeyId: aws.String(keyARN)})
	if code, msg := errCode(err); code != "ValidationException" || msg != "SSEType KMS is required if KMSMasterKeyId is specified" {
		t.Fatalf("key without SSEType: %s %q", code, msg)
	}
	if _, err := k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = db.UpdateTable(ctx, &dynamodb.UpdateTableInput{TableName: aws.String("t-owned"),
		SSESpecification: &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String(keyARN)}})
	if code, msg := errCode(err); code != "ValidationException" || !strings.Contains(msg, "DisabledException: "+keyARN+" is disabled.") {
		t.Fatalf("disabled key: %s %q", code, msg)
	}
}

// TestSSEKMSQueuesAndTopics: SQS and SNS accept any KmsMasterKeyId when it
// is set and check it when it is used: a send (publish) needs
// kms:GenerateDataKey and a receive kms:Decrypt on an existing, enabled
// key, each answered with the service's own KMS error codes.
func TestSSEKMSQueuesAndTopics(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	k := kms.NewFromConfig(n.AWSConfig())
	q := sqs.NewFromConfig(n.AWSConfig())
	tp := sns.NewFromConfig(n.AWSConfig())
	keyARN := kmsKey(t, k, "alias/msgs")

	// A queue under an alias that does not exist yet.
	cq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("enc"), Attributes: map[string]string{"KmsMasterKeyId": "alias/later"}})
	if err != nil {
		t.Fatalf("SQS checks no key at CreateQueue: %v", err)
	}
	_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: cq.QueueUrl, MessageBody: aws.String("hi")})
	if code, msg := errCode(err); code != "KMS.NotFoundException" || !strings.Contains(msg, "alias/later is not found.") {
		t.Fatalf("send under a missing alias: %s %q", code, msg)
	}
	if _, err := q.SetQueueAttributes(ctx, &sqs.SetQueueAttributesInput{QueueUrl: cq.QueueUrl, Attributes: map[string]string{"KmsMasterKeyId": "alias/msgs"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: cq.QueueUrl, MessageBody: aws.String("hi")}); err != nil {
		t.Fatalf("send: %v", err)
	}
	got, err := q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: cq.QueueUrl})
	if err != nil || len(got.Messages) != 1 || aws.ToString(got.Messages[0].Body) != "hi" {
		t.Fatalf("receive: %+v %v", got, err)
	}
	// The AWS managed key works through SQS.
	mq, err := q.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("managed"), Attributes: map[string]string{"KmsMasterKeyId": "alias/aws/sqs"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: mq.QueueUrl, MessageBody: aws.String("m")}); err != nil {
		t.Fatalf("send under alias/aws/sqs: %v", err)
	}

	topic, err := tp.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("enc"), Attributes: map[string]string{"KmsMasterKeyId": "alias/nope"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	if code, _ := errCode(err); code != "KMSNotFound" {
		t.Fatalf("publish under a missing alias: %v", err)
	}
	if _, err := tp.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("KmsMasterKeyId"), AttributeValue: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := tp.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")}); err != nil {
		t.Fatalf("publish: %v", err)
	}

	// A disabled key stops both.
	if _, err := k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = q.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: cq.QueueUrl, MessageBody: aws.String("hi")})
	if code, _ := errCode(err); code != "KMS.DisabledException" {
		t.Fatalf("send under a disabled key: %v", err)
	}
	_, err = q.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: cq.QueueUrl})
	if code, _ := errCode(err); code != "KMS.DisabledException" {
		t.Fatalf("receive under a disabled key: %v", err)
	}
	_, err = tp.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("x")})
	if code, _ := errCode(err); code != "KMSDisabled" {
		t.Fatalf("publish under a disabled key: %v", err)
	}
	if _, err := k.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}

	// An IAM user allowed SQS but not the key.
	iamc := iam.NewFromConfig(n.AWSConfig())
	if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String("sender")}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("sender"), PolicyName: aws.String("sqs"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	ak, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String("sender")})
	if err != nil {
		t.Fatal(err)
	}
	as := sqs.NewFromConfig(n.AWSConfigWith(*ak.AccessKey.AccessKeyId, *ak.AccessKey.SecretAccessKey, ""))
	_, err = as.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: cq.QueueUrl, MessageBody: aws.String("hi")})
	if code, msg := errCode(err); code != "KMS.AccessDeniedException" || !strings.Contains(msg, "kms:GenerateDataKey") {
		t.Fatalf("send without kms:GenerateDataKey: %s %q", code, msg)
	}
	if _, err := as.SendMessage(ctx, &sqs.SendMessageInput{QueueUrl: mq.QueueUrl, MessageBody: aws.String("m")}); err != nil {
		t.Fatalf("the account may use alias/aws/sqs through SQS: %v", err)
	}
}

// TestSSEKMSLogsAndLambda: CloudWatch Logs takes a log group's key only if
// its key policy lets logs.<region>.amazonaws.com use it; Lambda refuses
// a KMSKeyArn that is an alias or that KMS does not know.
func TestSSEKMSLogsAndLambda(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	k := kms.NewFromConfig(n.AWSConfig())
	keyARN := kmsKey(t, k, "alias/logs")
	logs := func(op string, body any) (int, string) {
		b, _ := json.Marshal(body)
		r := signed(t, n, time.Now(), rootCreds, "logs", "POST", "/",
			map[string]string{"X-Amz-Target": "Logs_20140328." + op, "Content-Type": "application/x-amz-json-1.1"}, string(b))
		return r.status, r.body
	}
	groupARN := "arn:aws:logs:" + n.Region + ":" + niwatest.Account + ":log-group:app"
	want := "The specified KMS key does not exist or is not allowed to be used with Arn '" + groupARN + "'"
	status, body := logs("CreateLogGroup", map[string]string{"logGroupName": "app", "kmsKeyId": keyARN})
	if status != 400 || !strings.Contains(body, "AccessDeniedException") || !strings.Contains(body, want) {
		t.Fatalf("default key policy: %d %s", status, body)
	}
	status, body = logs("CreateLogGroup", map[string]string{"logGroupName": "app", "kmsKeyId": strings.Replace(keyARN, keyARN[strings.LastIndex(keyARN, "/")+1:], "0f6a6c0e-6f9a-4a43-8d7c-4e3c5b2a1f00", 1)})
	if status != 400 || !strings.Contains(body, want) {
		t.Fatalf("missing key: %d %s", status, body)
	}
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + niwatest.Account + `:root"},"Action":"kms:*","Resource":"*"},
	 {"Effect":"Allow","Principal":{"Service":"logs.` + n.Region + `.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"],"Resource":"*",
	  "Condition":{"ArnEquals":{"kms:EncryptionContext:aws:logs:arn":"` + groupARN + `"}}}]}`
	if _, err := k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	if status, body := logs("CreateLogGroup", map[string]string{"logGroupName": "app", "kmsKeyId": keyARN}); status != 200 {
		t.Fatalf("allowed key: %d %s", status, body)
	}
	if status, body := logs("DescribeLogGroups", map[string]string{"logGroupNamePrefix": "app"}); status != 200 || !strings.Contains(body, `"kmsKeyId":"`+keyARN+`"`) {
		t.Fatalf("describe: %d %s", status, body)
	}
	// Another group is not in the policy's condition.
	logs("CreateLogGroup", map[string]string{"logGroupName": "other"})
	if status, body := logs("AssociateKmsKey", map[string]string{"logGroupName": "other", "kmsKeyId": keyARN}); status != 400 || !strings.Contains(body, "log-group:other'") {
		t.Fatalf("associate with a group the policy does not name: %d %s", status, body)
	}

	fn := lambda.NewFromConfig(n.AWSConfig())
	create := func(key string) error {
		_, err := fn.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("f"), Runtime: lambdatypes.RuntimePython312,
			Role: aws.String("arn:aws:iam::" + niwatest.Account + ":role/r"), Handler: aws.String("index.handler"),
			Code: &lambdatypes.FunctionCode{ZipFile: []byte("PK")}, KMSKeyArn: aws.String(key)})
		return err
	}
	prefix := "Lambda was unable to configure access to your environment variables because the KMS key is invalid for CreateGrant. Please check your KMS key settings. KMS Exception: "
	if code, msg := errCode(create("arn:aws:kms:" + n.Region + ":" + niwatest.Account + ":alias/logs")); code != "InvalidParameterValueException" ||
		msg != prefix+"InvalidArnException KMS Message: Key Aliases are not supported for this operation." {
		t.Fatalf("alias: %s %q", code, msg)
	}
	missing := "arn:aws:kms:" + n.Region + ":" + niwatest.Account + ":key/0f6a6c0e-6f9a-4a43-8d7c-4e3c5b2a1f00"
	if code, msg := errCode(create(missing)); code != "InvalidParameterValueException" ||
		msg != prefix+"NotFoundException KMS Message: Key '"+missing+"' does not exist" {
		t.Fatalf("missing key: %s %q", code, msg)
	}
}
