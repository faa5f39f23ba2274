package server_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestLambdaCurrentRuntimes: runtimes AWS added after the frozen v1 model
// (its Runtime enum is what the gateway validates against) are accepted
// through the whole request path, and a retired one is refused with AWS's
// message.
func TestLambdaCurrentRuntimes(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	cfg := n.AWSConfig()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("rt-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	c := lambda.NewFromConfig(cfg)
	for i, rt := range []string{"python3.14", "nodejs24.x", "java25", "dotnet10", "ruby4.0"} {
		out, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String(fmt.Sprintf("fn-%d", i)),
			Runtime: lambdatypes.Runtime(rt), Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/rt-role"),
			Code: &lambdatypes.FunctionCode{ZipFile: handlerZip(t)}})
		if err != nil {
			t.Errorf("%s: %v", rt, err)
			continue
		}
		if string(out.Runtime) != rt {
			t.Errorf("%s: answered runtime %s", rt, out.Runtime)
		}
	}
	_, err := c.CreateFunction(ctx, &lambda.CreateFunctionInput{FunctionName: aws.String("old"),
		Runtime: lambdatypes.Runtime("python2.7"), Handler: aws.String("index.handler"), Role: aws.String("arn:aws:iam::000000000000:role/rt-role"),
		Code: &lambdatypes.FunctionCode{ZipFile: handlerZip(t)}})
	apiErr(t, err, "InvalidParameterValueException", 400)
}
