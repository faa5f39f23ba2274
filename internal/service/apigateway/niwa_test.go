package apigateway_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestThroughNiwa: aws-sdk-go-v2 builds a key-protected MOCK method with
// a usage plan over a whole niwa; plain HTTP invokes it by host and by
// the _user_request_ path; the usage plan's quota is enforced on niwa's
// clock.
func TestThroughNiwa(t *testing.T) {
	// Signatures are checked against niwa's clock: start it at now.
	clk := niwatest.NewFakeClock(time.Now())
	n := niwatest.Start(t, niwatest.WithClock(clk))
	c := apigateway.NewFromConfig(n.AWSConfig())
	ctx := context.Background()

	_, err := c.GetRestApi(ctx, &apigateway.GetRestApiInput{RestApiId: aws.String("abcdefghij")})
	var nf *types.NotFoundException
	if !errors.As(err, &nf) || aws.ToString(nf.Message) != "Invalid REST API identifier specified" {
		t.Fatalf("GetRestApi of a missing API: %v", err)
	}

	api, err := c.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("s18")})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.CreateResource(ctx, &apigateway.CreateResourceInput{RestApiId: api.Id, ParentId: api.RootResourceId, PathPart: aws.String("rows")})
	if err != nil {
		t.Fatal(err)
	}
	get := aws.String("GET")
	steps := []func() error{
		func() error {
			_, err := c.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: get, AuthorizationType: aws.String("NONE"), ApiKeyRequired: true,
				RequestParameters: map[string]bool{"method.request.querystring.key": true}})
			return err
		},
		func() error {
			_, err := c.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: get, Type: types.IntegrationTypeMock,
				RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}})
			return err
		},
		func() error {
			_, err := c.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200")})
			return err
		},
		func() error {
			_, err := c.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: res.Id, HttpMethod: get, StatusCode: aws.String("200"),
				ResponseTemplates: map[string]string{"application/json": `{"key": "$input.params('key')", "sourceIp": "$context.identity.sourceIp"}`}})
			return err
		},
		func() error {
			_, err := c.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})
			return err
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	key, err := c.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{Name: aws.String("k"), Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := c.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{Name: aws.String("p"),
		ApiStages: []types.ApiStage{{ApiId: api.Id, Stage: aws.String("prod")}},
		Quota:     &types.QuotaSettings{Limit: 2, Period: types.QuotaPeriodTypeDay}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: aws.String("API_KEY")}); err != nil {
		t.Fatal(err)
	}
	full, err := c.GetApiKey(ctx, &apigateway.GetApiKeyInput{ApiKey: key.Id, IncludeValue: aws.Bool(true)})
	if err != nil || aws.ToString(full.Value) == "" {
		t.Fatalf("GetApiKey includeValue: %v %+v", err, full)
	}

	invoke := func(url, host, apiKey string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		if host != "" {
			req.Host = host
		}
		if apiKey != "" {
			req.Header.Set("x-api-key", apiKey)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	hostURL, host := n.Endpoint+"/prod/rows?key=abc", *api.Id+".execute-api.localhost"
	pathURL := n.Endpoint + "/restapis/" + *api.Id + "/prod/_user_request_/rows?key=abc"
	if s, b := invoke(hostURL, host, ""); s != 403 || b != `{"message":"Forbidden"}` {
		t.Fatalf("without the key: %d %s", s, b)
	}
	if s, b := invoke(hostURL, host, *full.Value); s != 200 || b != `{"key": "abc", "sourceIp": "127.0.0.1"}` {
		t.Fatalf("with the key by host: %d %s", s, b)
	}
	if s, b := invoke(pathURL, "", *full.Value); s != 200 || !strings.Contains(b, `"key": "abc"`) {
		t.Fatalf("with the key by path: %d %s", s, b)
	}
	if s, b := invoke(pathURL, "", *full.Value); s != 429 || b != `{"message":"Limit Exceeded"}` {
		t.Fatalf("over the quota: %d %s", s, b)
	}
	clk.Advance(24 * time.Hour)
	if s, _ := invoke(pathURL, "", *full.Value); s != 200 {
		t.Fatalf("the next day: %d", s)
	}
	if s, b := invoke(n.Endpoint+"/prod/nothing", host, *full.Value); s != 403 || b != `{"message":"Missing Authentication Token"}` {
		t.Fatalf("unknown path: %d %s", s, b)
	}
}
