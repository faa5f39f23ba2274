package dynamodbtables

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestDynamoDBResourcePolicyEnforced: a table's resource-based policy is
// evaluated with the caller's identity policies, so its explicit Deny wins
// over an identity Allow.
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/access-control-resource-based.html
func TestDynamoDBResourcePolicyEnforced(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	ctx := context.Background()
	admin := dynamodb.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
	out, err := admin.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("guarded"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(out.TableDescription.TableArn)
	user := dynamodb.NewFromConfig(framework.IAMUser(t, n, "writer", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"dynamodb:*","Resource":"*"}]}`))
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "a"}}
	if _, err := user.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("guarded"), Item: key}); err != nil {
		t.Fatalf("put before the policy: %v", err)
	}
	_, err = admin.PutResourcePolicy(ctx, &dynamodb.PutResourcePolicyInput{ResourceArn: aws.String(arn), Policy: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":{"AWS":"arn:aws:iam::000000000000:user/writer"},"Action":"dynamodb:GetItem","Resource":"` + arn + `"}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	_, err = user.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("guarded"), Key: key})
	framework.WantAPIError(t, err, "AccessDeniedException", "")
	if _, err := user.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("guarded"), Item: key}); err != nil {
		t.Fatalf("put, not denied by the policy: %v", err)
	}
	if _, err := admin.DeleteResourcePolicy(ctx, &dynamodb.DeleteResourcePolicyInput{ResourceArn: aws.String(arn)}); err != nil {
		t.Fatal(err)
	}
	if _, err := user.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("guarded"), Key: key}); err != nil {
		t.Fatalf("get after the policy is deleted: %v", err)
	}
}
