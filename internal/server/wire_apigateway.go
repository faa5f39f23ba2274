package server

import (
	"context"
	"fmt"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/apigateway"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
)

// wireAPIGateway wires API Gateway with Lambda behind its AWS and
// AWS_PROXY integrations.
func wireAPIGateway(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("apigateway")
	if err != nil {
		return nil, err
	}
	opt := apigateway.Options{Store: kd.Store, Clock: kd.Clock, Log: kd.Log}
	if d.lambda != nil {
		opt.Functions = integrationFunctions{d.lambda, d}
	}
	return &wiring{Declaration: apigateway.New(opt).Declare()}, nil
}

// integrationFunctions runs integration functions synchronously
// (RequestResponse) as apigateway.amazonaws.com in the function's
// account.
type integrationFunctions struct {
	lambda *lambda.Lambda
	d      *deps
}

func (f integrationFunctions) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, string, error) {
	return f.invokeAs(ctx, fn, payload, "apigateway.amazonaws.com")
}

// invokeAs invokes fn synchronously as the service principal caller, in
// the function's account.
func (f integrationFunctions) invokeAs(ctx context.Context, fn string, payload []byte, caller string) ([]byte, string, error) {
	p := strings.Split(fn, ":")
	if len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" {
		return nil, "", fmt.Errorf("%s is not a Lambda function ARN", fn)
	}
	rc := &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "lambda", Operation: "Invoke",
		Account: p[4], Region: p[3], Clock: f.d.clock, Log: f.d.log,
		Caller: request.Caller{Account: p[4], ARN: caller}}
	out, err := f.lambda.Invoke(rc, &lambdaapi.InvocationRequest{FunctionName: &fn, Payload: payload})
	if err != nil {
		return nil, "", err
	}
	return out.Payload, ptr.Deref(out.FunctionError), nil
}
