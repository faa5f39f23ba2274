package apigateway_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestIAMMethods: an AWS_IAM method verifies the SigV4 signature and
// evaluates execute-api:Invoke for the signer: a user whose policy
// allows the method ARN gets through (and $context.identity.userArn is
// theirs), one without such a policy gets AWS's 403, a wrong secret the
// signature mismatch, an unsigned call Missing Authentication Token.
func TestIAMMethods(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithClock(niwatest.NewFakeClock(time.Now())))
	cfg := n.AWSConfig()
	ctx := context.Background()
	gw, iamc := apigateway.NewFromConfig(cfg), iam.NewFromConfig(cfg)

	api, err := gw.CreateRestApi(ctx, &apigateway.CreateRestApiInput{Name: aws.String("iam")})
	if err != nil {
		t.Fatal(err)
	}
	get := aws.String("GET")
	steps := []func() error{
		func() error {
			_, err := gw.PutMethod(ctx, &apigateway.PutMethodInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: get, AuthorizationType: aws.String("AWS_IAM")})
			return err
		},
		func() error {
			_, err := gw.PutIntegration(ctx, &apigateway.PutIntegrationInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: get, Type: types.IntegrationTypeMock,
				RequestTemplates: map[string]string{"application/json": `{"statusCode": 200}`}})
			return err
		},
		func() error {
			_, err := gw.PutMethodResponse(ctx, &apigateway.PutMethodResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: get, StatusCode: aws.String("200")})
			return err
		},
		func() error {
			_, err := gw.PutIntegrationResponse(ctx, &apigateway.PutIntegrationResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: get, StatusCode: aws.String("200"),
				ResponseTemplates: map[string]string{"application/json": `{"user": "$context.identity.userArn"}`}})
			return err
		},
		func() error {
			_, err := gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")})
			return err
		},
	}
	for _, s := range steps {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	user := func(name, policy string) aws.Credentials {
		t.Helper()
		if _, err := iamc.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if policy != "" {
			if _, err := iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
				t.Fatal(err)
			}
		}
		k, err := iamc.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return aws.Credentials{AccessKeyID: *k.AccessKey.AccessKeyId, SecretAccessKey: *k.AccessKey.SecretAccessKey}
	}
	allowed := user("caller", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:*:*:`+*api.Id+`/prod/GET/*"}]}`)
	nobody := user("nobody", "")

	call := func(creds *aws.Credentials, header ...string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", n.Endpoint+"/prod/", nil)
		req.Host = *api.Id + ".execute-api.localhost"
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		if creds != nil {
			sum := sha256.Sum256(nil)
			if err := v4.NewSigner().SignHTTP(ctx, *creds, req, hex.EncodeToString(sum[:]), "execute-api", n.Region, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if s, b := call(&allowed); s != 200 || b != `{"user": "arn:aws:iam::000000000000:user/caller"}` {
		t.Fatalf("allowed: %d %s", s, b)
	}
	if s, b := call(&nobody); s != 403 || !strings.HasPrefix(b, `{"Message":"User: arn:aws:iam::000000000000:user/nobody is not authorized to perform: execute-api:Invoke on resource: arn:aws:execute-api:`+n.Region+`:********0000:`+*api.Id+`/prod/GET/"}`) {
		t.Fatalf("no policy: %d %s", s, b)
	}
	wrong := allowed
	wrong.SecretAccessKey = "not-the-secret"
	if s, b := call(&wrong); s != 403 || !strings.Contains(b, "signature") {
		t.Fatalf("wrong secret: %d %s", s, b)
	}
	if s, b := call(nil); s != 403 || b != `{"message":"Missing Authentication Token"}` {
		t.Fatalf("unsigned: %d %s", s, b)
	}
	// The API's resource policy can grant what the identity lacks.
	if _, err := gw.UpdateRestApi(ctx, &apigateway.UpdateRestApiInput{RestApiId: api.Id, PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/policy"),
		Value: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/nobody"},"Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}`)}}}); err != nil {
		t.Fatal(err)
	}
	if s, b := call(&nobody); s != 200 {
		t.Fatalf("granted by the resource policy: %d %s", s, b)
	}

	// The stage cache: Cache-Control: max-age=0 refetches only for a
	// caller allowed execute-api:InvalidateCache.
	if _, err := gw.UpdateIntegrationResponse(ctx, &apigateway.UpdateIntegrationResponseInput{RestApiId: api.Id, ResourceId: api.RootResourceId, HttpMethod: get, StatusCode: aws.String("200"),
		PatchOperations: []types.PatchOperation{{Op: types.OpReplace, Path: aws.String("/responseTemplates/application~1json"), Value: aws.String(`$context.requestId`)}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.CreateDeployment(ctx, &apigateway.CreateDeploymentInput{RestApiId: api.Id, StageName: aws.String("prod")}); err != nil {
		t.Fatal(err)
	}
	if _, err := gw.UpdateStage(ctx, &apigateway.UpdateStageInput{RestApiId: api.Id, StageName: aws.String("prod"), PatchOperations: []types.PatchOperation{
		{Op: types.OpReplace, Path: aws.String("/cacheClusterEnabled"), Value: aws.String("true")},
		{Op: types.OpReplace, Path: aws.String("/*/*/caching/unauthorizedCacheControlHeaderStrategy"), Value: aws.String("FAIL_WITH_403")}}}); err != nil {
		t.Fatal(err)
	}
	_, first := call(&allowed)
	if _, again := call(&allowed); again != first {
		t.Fatalf("not cached: %s %s", first, again)
	}
	if s, b := call(&allowed, "Cache-Control", "max-age=0"); s != 403 || !strings.Contains(b, "execute-api:InvalidateCache") {
		t.Fatalf("invalidation without permission: %d %s", s, b)
	}
	if _, err := iamc.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("caller"), PolicyName: aws.String("flush"),
		PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"execute-api:InvalidateCache","Resource":"*"}]}`)}); err != nil {
		t.Fatal(err)
	}
	if s, fresh := call(&allowed, "Cache-Control", "max-age=0"); s != 200 || fresh == first {
		t.Fatalf("invalidation: %d %s (was %s)", s, fresh, first)
	}
}
