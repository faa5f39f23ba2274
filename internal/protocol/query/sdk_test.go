package query_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
)

// sdkServer serves one query service through the codec: it decodes each
// request, hands the input to handle, and encodes what handle returns.
func sdkServer(t *testing.T, svc *model.Service, handle func(op string, in map[string]any) (map[string]any, *awserr.Error)) *httptest.Server {
	codec := query.New()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := protocol.NewRequest(r, nil)
		meta := protocol.Meta{RequestID: "sdk-request-id"}
		op, err := codec.Resolve(svc, req)
		if err != nil {
			codec.EncodeError(w, svc, nil, awserr.As(err), meta)
			return
		}
		in, err := codec.Decode(op, req)
		if err != nil {
			codec.EncodeError(w, svc, op, awserr.As(err), meta)
			return
		}
		out, e := handle(op.Name, in)
		if e != nil {
			codec.EncodeError(w, svc, op, e, meta)
			return
		}
		if err := codec.Encode(w, op, out, meta); err != nil {
			t.Errorf("encode %s: %v", op.Name, err)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func sdkConfig(url string) aws.Config {
	return aws.Config{
		Region:       "us-east-1",
		Credentials:  credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint: aws.String(url),
		Retryer:      func() aws.Retryer { return aws.NopRetryer{} },
	}
}

// TestAWSSDKGoV2 drives the codec with the real aws-sdk-go-v2 IAM and STS
// clients: their requests must decode to the inputs they were given, and
// our responses and errors must read back as the SDK's typed values.
func TestAWSSDKGoV2(t *testing.T) {
	ctx := context.Background()
	created := time.Date(2024, 3, 1, 12, 30, 45, 0, time.UTC)
	var gotIn map[string]any
	iamSrv := sdkServer(t, realModel(t, "iam"), func(op string, in map[string]any) (map[string]any, *awserr.Error) {
		gotIn = in
		switch op {
		case "CreateRole":
			return map[string]any{"Role": map[string]any{"Path": "/", "RoleName": in["RoleName"], "RoleId": "AROA1", "Arn": "arn:aws:iam::000000000000:role/web",
				"CreateDate": created, "Tags": in["Tags"], "AssumeRolePolicyDocument": in["AssumeRolePolicyDocument"]}}, nil
		case "GetRole":
			return nil, &awserr.Error{Code: awserr.Code{Code: "NoSuchEntity", Status: 404, Sender: true}, Message: "The role with name nope cannot be found."}
		case "DeleteRole":
			return nil, nil
		}
		return nil, awserr.NotImplemented.New("%s", op)
	})
	client := iam.NewFromConfig(sdkConfig(iamSrv.URL))

	out, err := client.CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String("web"), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17"}`),
		MaxSessionDuration: aws.Int32(3600), Tags: []iamtypes.Tag{{Key: aws.String("a & b"), Value: aws.String("")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantIn := map[string]any{"RoleName": "web", "AssumeRolePolicyDocument": `{"Version":"2012-10-17"}`, "MaxSessionDuration": int64(3600),
		"Tags": []any{map[string]any{"Key": "a & b", "Value": ""}}}
	if d := protocoltest.Diff(any(wantIn), gotIn); d != "" {
		t.Errorf("decoded SDK request:\n%s", d)
	}
	if r := out.Role; aws.ToString(r.RoleName) != "web" || !aws.ToTime(r.CreateDate).Equal(created) || len(r.Tags) != 1 || aws.ToString(r.Tags[0].Key) != "a & b" || aws.ToString(r.AssumeRolePolicyDocument) != `{"Version":"2012-10-17"}` {
		t.Errorf("SDK read %+v", r)
	}
	if id, _ := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); id != "sdk-request-id" {
		t.Errorf("request id %q", id)
	}

	_, err = client.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("nope")})
	var nse *iamtypes.NoSuchEntityException
	if !errors.As(err, &nse) || nse.ErrorMessage() != "The role with name nope cannot be found." {
		t.Errorf("GetRole error: %v", err)
	}

	if _, err := client.DeleteRole(ctx, &iam.DeleteRoleInput{RoleName: aws.String("web")}); err != nil {
		t.Errorf("DeleteRole: %v", err)
	}

	stsSrv := sdkServer(t, realModel(t, "sts"), func(op string, in map[string]any) (map[string]any, *awserr.Error) {
		switch op {
		case "GetCallerIdentity":
			return map[string]any{"UserId": "AIDA", "Account": "000000000000", "Arn": "arn:aws:iam::000000000000:root"}, nil
		case "AssumeRole":
			if in["DurationSeconds"] != int64(900) {
				t.Errorf("AssumeRole input %v", in)
			}
			return nil, awserr.AccessDenied.New("User: x is not authorized to perform: sts:AssumeRole")
		}
		return nil, awserr.NotImplemented.New("%s", op)
	})
	stsClient := sts.NewFromConfig(sdkConfig(stsSrv.URL))
	who, err := stsClient.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(who.Account) != "000000000000" {
		t.Fatalf("GetCallerIdentity: %+v, %v", who, err)
	}
	_, err = stsClient.AssumeRole(ctx, &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::000000000000:role/r"), RoleSessionName: aws.String("s"), DurationSeconds: aws.Int32(900)})
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) || apiErr.ErrorCode() != "AccessDenied" {
		t.Errorf("AssumeRole error: %v", err)
	}
}
