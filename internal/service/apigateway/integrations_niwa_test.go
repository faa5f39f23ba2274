package apigateway_test

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	ddbtypes "github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/niwa-cloud/niwa/niwatest"
)

const trustAPIGateway = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

// serviceAPI builds one POST method /send of an AWS integration and
// deploys it to prod.
func serviceAPI(t *testing.T, c *apigateway.Client, uri, role string, params, templates map[string]string) string {
	t.Helper()
	ctx := context.Background()
	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("svc")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("send")})
	if err != nil {
		t.Fatal(err)
	}
	post := aws.String("POST")
	if _, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: post, AuthorizationType: aws.String("NONE")}); err != nil {
		t.Fatal(err)
	}
	in := &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: post, Type: types.IntegrationTypeAws,
		IntegrationHttpMethod: post, Uri: aws.String(uri), RequestParameters: params, RequestTemplates: templates,
		PassthroughBehavior: aws.String("NEVER")}
	if role != "" {
		in.Credentials = aws.String(role)
	}
	if _, err := c.PutIntegration(ctx, in); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: post, StatusCode: aws.String("200")}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: post, StatusCode: aws.String("200"),
		ResponseParameters: map[string]string{"method.response.header.X-Backend-Type": "integration.response.header.Content-Type"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	return *api.Id
}

func post(t *testing.T, endpoint, api, body string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", endpoint+"/restapis/"+api+"/prod/_user_request_/send", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// TestServiceIntegrations: an AWS integration sends to SQS with the
// tutorial's template and Content-Type mapping, and puts an item in
// DynamoDB by action, as a role API Gateway assumes; the role's policy
// decides (no policy: the service's AccessDenied comes back), and a
// role that does not trust API Gateway is a configuration error (500).
func TestServiceIntegrations(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithClock(niwatest.NewFakeClock(time.Now())))
	cfg := n.AWSConfig()
	ctx := context.Background()
	gw, iamc, sq, ddb := apigateway.NewFromConfig(cfg), iam.NewFromConfig(cfg), sqs.NewFromConfig(cfg), dynamodb.NewFromConfig(cfg)

	q, err := sq.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("orders")})
	if err != nil {
		t.Fatal(err)
	}
	role, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("apigw-sqs"), AssumeRolePolicyDocument: aws.String(trustAPIGateway)})
	if err != nil {
		t.Fatal(err)
	}
	sqsURI := "arn:aws:apigateway:" + n.Region + ":sqs:path/000000000000/orders"
	params := map[string]string{"integration.request.header.Content-Type": "'application/x-www-form-urlencoded'"}
	tmpl := map[string]string{"application/json": "Action=SendMessage&MessageBody=$util.urlEncode($input.body)"}
	api := serviceAPI(t, gw, sqsURI, *role.Role.Arn, params, tmpl)

	// No permission yet: SQS refuses the role, and API Gateway passes
	// the service's answer on through the default integration response.
	if s, _, b := post(t, n.Endpoint, api, `{"order":1}`); !strings.Contains(b, "AccessDenied") {
		t.Fatalf("without sqs:SendMessage: %d %s", s, b)
	}
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("apigw-sqs"), PolicyName: aws.String("send"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sqs:SendMessage","dynamodb:PutItem"],"Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	s, h, b := post(t, n.Endpoint, api, `{"order":1}`)
	if s != 200 || !strings.Contains(b, "MessageId") || h.Get("X-Backend-Type") == "" {
		t.Fatalf("send: %d %v %s", s, h, b)
	}
	msgs, err := sq.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: q.QueueUrl})
	if err != nil || len(msgs.Messages) != 1 || aws.ToString(msgs.Messages[0].Body) != `{"order":1}` {
		t.Fatalf("the message: %v %+v", err, msgs)
	}

	// DynamoDB by action.
	if _, err := ddb.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("rows"),
		AttributeDefinitions: []ddbtypes.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: ddbtypes.ScalarAttributeTypeS}},
		KeySchema:            []ddbtypes.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: ddbtypes.KeyTypeHash}},
		BillingMode:          ddbtypes.BillingModePayPerRequest}); err != nil {
		t.Fatal(err)
	}
	dapi := serviceAPI(t, gw, "arn:aws:apigateway:"+n.Region+":dynamodb:action/PutItem", *role.Role.Arn, nil,
		map[string]string{"application/json": `{"TableName":"rows","Item":{"id":{"S":"$input.path('$.id')"}}}`})
	if s, _, b := post(t, n.Endpoint, dapi, `{"id":"a1"}`); s != 200 {
		t.Fatalf("PutItem: %d %s", s, b)
	}
	item, err := ddb.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("rows"), Key: map[string]ddbtypes.AttributeValue{"id": &ddbtypes.AttributeValueMemberS{Value: "a1"}}})
	if err != nil || item.Item == nil {
		t.Fatalf("the item: %v %+v", err, item)
	}

	// S3 by path, the bucket and key mapped from the method's path.
	s3c := s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
	if _, err := s3c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("uploads"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := iamc.PutRolePolicy(ctx, &iam.PutRolePolicyInput{RoleName: aws.String("apigw-sqs"), PolicyName: aws.String("put"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::uploads/*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	sapi, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("s3")})
	if err != nil {
		t.Fatal(err)
	}
	parent := sapi.RootResourceId
	for _, part := range []string{"{folder}", "{item}"} {
		r, err := gw.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: sapi.Id, ParentId: parent, PathPart: aws.String(part)})
		if err != nil {
			t.Fatal(err)
		}
		parent = r.Id
	}
	put := aws.String("PUT")
	for _, step := range []func() error{
		func() error {
			_, err := gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: sapi.Id, ResourceId: parent, HttpMethod: put, AuthorizationType: aws.String("NONE")})
			return err
		},
		func() error {
			_, err := gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: sapi.Id, ResourceId: parent, HttpMethod: put, Type: types.IntegrationTypeAws,
				IntegrationHttpMethod: put, Uri: aws.String("arn:aws:apigateway:" + n.Region + ":s3:path/{bucket}/{key}"), Credentials: role.Role.Arn,
				RequestParameters: map[string]string{"integration.request.path.bucket": "method.request.path.folder", "integration.request.path.key": "method.request.path.item"}})
			return err
		},
		func() error {
			_, err := gw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: sapi.Id, ResourceId: parent, HttpMethod: put, StatusCode: aws.String("200")})
			return err
		},
		func() error {
			_, err := gw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: sapi.Id, ResourceId: parent, HttpMethod: put, StatusCode: aws.String("200")})
			return err
		},
		func() error {
			_, err := gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: sapi.Id, StageName: aws.String("prod")})
			return err
		},
	} {
		if err := step(); err != nil {
			t.Fatal(err)
		}
	}
	req, _ := http.NewRequest("PUT", n.Endpoint+"/restapis/"+*sapi.Id+"/prod/_user_request_/uploads/note.txt", strings.NewReader("hello s3"))
	req.Header.Set("Content-Type", "text/plain")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	rb, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("S3 put: %d %s", resp.StatusCode, rb)
	}
	obj, err := s3c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("uploads"), Key: aws.String("note.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "hello s3" {
		t.Fatalf("the object: %q", body)
	}

	// A role that does not trust API Gateway.
	other, err := iamc.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("ec2-only"),
		AssumeRolePolicyDocument: aws.String(strings.Replace(trustAPIGateway, "apigateway", "ec2", 1))})
	if err != nil {
		t.Fatal(err)
	}
	bad := serviceAPI(t, gw, sqsURI, *other.Role.Arn, params, tmpl)
	if s, _, b := post(t, n.Endpoint, bad, `{}`); s != 500 || b != `{"message": "Internal server error"}` {
		t.Fatalf("untrusted role: %d %s", s, b)
	}
}
