package server_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	cwltypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestSSEKMSDynamoDBKeyInUse: a table under a customer managed key
// becomes INACCESSIBLE_ENCRYPTION_CREDENTIALS when the key is disabled or
// scheduled for deletion, and its item operations fail with the KMS
// error; the table works again once the key is usable.
func TestSSEKMSDynamoDBKeyInUse(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	k := kms.NewFromConfig(n.AWSConfig())
	db := dynamodb.NewFromConfig(n.AWSConfig())
	keyARN := kmsKey(t, k, "alias/items")
	for _, name := range []string{"enc", "plain"} {
		in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: ddbtypes.BillingModePayPerRequest,
			AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
			KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}}}
		if name == "enc" {
			in.SSESpecification = &ddbtypes.SSESpecification{Enabled: aws.Bool(true), SSEType: ddbtypes.SSETypeKms, KMSMasterKeyId: aws.String(keyARN)}
		}
		if _, err := db.CreateTable(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	item := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}
	key := map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "1"}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("enc"), Item: item}); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"PutItem": func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("enc"), Item: item})
			return err
		},
		"GetItem": func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("enc"), Key: key})
			return err
		},
		"Scan": func() error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("enc")})
			return err
		},
		"Query": func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("enc"), KeyConditionExpression: aws.String("id = :v"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": &ddbtypes.AttributeValueMemberS{Value: "1"}}})
			return err
		},
		"BatchGetItem": func() error {
			_, err := db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]ddbtypes.KeysAndAttributes{"enc": {Keys: []map[string]ddbtypes.AttributeValue{key}}}})
			return err
		},
		"TransactWriteItems": func() error {
			_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []ddbtypes.TransactWriteItem{
				{Put: &ddbtypes.Put{TableName: aws.String("plain"), Item: item}}, {Delete: &ddbtypes.Delete{TableName: aws.String("enc"), Key: key}}}})
			return err
		},
	}
	// Requests the table would refuse anyway: the KMS error is answered
	// first, as long as the key is unusable (the operations read the
	// table's key state before their own checks).
	invalid := map[string]func() error{
		"PutItem with ReturnValues ALL_NEW": func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("enc"), Item: item, ReturnValues: ddbtypes.ReturnValueAllNew})
			return err
		},
		"GetItem with both projections": func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("enc"), Key: key,
				ProjectionExpression: aws.String("id"), AttributesToGet: []string{"id"}})
			return err
		},
		"GetItem with a key of the wrong type": func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("enc"),
				Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberN{Value: "1"}}})
			return err
		},
		"UpdateItem with an unused value": func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("enc"), Key: key, UpdateExpression: aws.String("SET v = :v"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": &ddbtypes.AttributeValueMemberS{Value: "1"}, ":x": &ddbtypes.AttributeValueMemberS{Value: "2"}}})
			return err
		},
		"DeleteItem with ReturnValues ALL_NEW": func() error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("enc"), Key: key, ReturnValues: ddbtypes.ReturnValueAllNew})
			return err
		},
		"Scan with a bad segment": func() error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("enc"), Segment: aws.Int32(3), TotalSegments: aws.Int32(2)})
			return err
		},
		"Query with an unused value": func() error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("enc"), KeyConditionExpression: aws.String("id = :v"),
				ExpressionAttributeValues: map[string]ddbtypes.AttributeValue{":v": &ddbtypes.AttributeValueMemberS{Value: "1"}, ":x": &ddbtypes.AttributeValueMemberS{Value: "2"}}})
			return err
		},
	}
	status := func(name string) string {
		d, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return string(d.Table.TableStatus)
	}
	for _, step := range []struct {
		name  string
		apply func() error
		want  string // the KMS exception in the message, "" when usable
	}{
		{"disabled", func() error {
			_, err := k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)})
			return err
		}, "DisabledException: " + keyARN + " is disabled."},
		{"enabled again", func() error {
			_, err := k.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyARN)})
			return err
		}, ""},
		{"pending deletion", func() error {
			_, err := k.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyARN), PendingWindowInDays: aws.Int32(7)})
			return err
		}, "KMSInvalidStateException: " + keyARN + " is pending deletion."},
	} {
		t.Run(step.name, func(t *testing.T) {
			if err := step.apply(); err != nil {
				t.Fatal(err)
			}
			wantStatus := "ACTIVE"
			if step.want != "" {
				wantStatus = "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
			}
			if got := status("enc"); got != wantStatus {
				t.Errorf("TableStatus %s, want %s", got, wantStatus)
			}
			if got := status("plain"); got != "ACTIVE" {
				t.Errorf("the unencrypted table is %s", got)
			}
			for op, call := range ops {
				err := call()
				if step.want == "" {
					if err != nil {
						t.Errorf("%s: %v", op, err)
					}
					continue
				}
				if code, msg := errCode(err); code != "ValidationException" || !strings.Contains(msg, "KMS validation error: com.amazonaws.services.kms.model."+step.want) {
					t.Errorf("%s: %s %q", op, code, msg)
				}
			}
			for op, call := range invalid {
				code, msg := errCode(call())
				kmsErr := strings.Contains(msg, "KMS validation error")
				switch {
				case code != "ValidationException":
					t.Errorf("%s: %s %q, want a ValidationException", op, code, msg)
				case step.want == "" && kmsErr:
					t.Errorf("%s: %q with a usable key", op, msg)
				case step.want != "" && !strings.Contains(msg, "KMS validation error: com.amazonaws.services.kms.model."+step.want):
					t.Errorf("%s: %q, want the KMS error first", op, msg)
				}
			}
		})
	}
}

// TestSSEKMSLogsKeyInUse: a log group's events cannot be written or read
// while CloudWatch Logs cannot use the group's key.
func TestSSEKMSLogsKeyInUse(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	k := kms.NewFromConfig(n.AWSConfig())
	keyARN := kmsKey(t, k, "alias/group-key")
	groupARN := "arn:aws:logs:" + n.Region + ":" + niwatest.Account + ":log-group:secure"
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + niwatest.Account + `:root"},"Action":"kms:*","Resource":"*"},
	 {"Effect":"Allow","Principal":{"Service":"logs.` + n.Region + `.amazonaws.com"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:ReEncrypt*","kms:GenerateDataKey*","kms:Describe*"],"Resource":"*"}]}`
	if _, err := k.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(keyARN), PolicyName: aws.String("default"), Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	c := cloudwatchlogs.NewFromConfig(n.AWSConfig())
	if _, err := c.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String("secure"), KmsKeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateLogStream(ctx, &cloudwatchlogs.CreateLogStreamInput{LogGroupName: aws.String("secure"), LogStreamName: aws.String("s")}); err != nil {
		t.Fatal(err)
	}
	put := func() error {
		_, err := c.PutLogEvents(ctx, &cloudwatchlogs.PutLogEventsInput{LogGroupName: aws.String("secure"), LogStreamName: aws.String("s"),
			LogEvents: []cwltypes.InputLogEvent{{Message: aws.String("m"), Timestamp: aws.Int64(time.Now().UnixMilli())}}})
		return err
	}
	get := func() error {
		_, err := c.GetLogEvents(ctx, &cloudwatchlogs.GetLogEventsInput{LogGroupName: aws.String("secure"), LogStreamName: aws.String("s")})
		return err
	}
	filter := func() error {
		_, err := c.FilterLogEvents(ctx, &cloudwatchlogs.FilterLogEventsInput{LogGroupName: aws.String("secure")})
		return err
	}
	for _, f := range []func() error{put, get, filter} {
		if err := f(); err != nil {
			t.Fatalf("usable key: %v", err)
		}
	}
	if _, err := k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]func() error{"PutLogEvents": put, "GetLogEvents": get, "FilterLogEvents": filter} {
		if code, msg := errCode(f()); code != "AccessDeniedException" || !strings.Contains(msg, "is not allowed to be used with Arn '"+groupARN+"'") {
			t.Errorf("%s under a disabled key: %s %q", name, code, msg)
		}
	}
	if _, err := k.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	if err := put(); err != nil {
		t.Errorf("re-enabled key: %v", err)
	}
}
