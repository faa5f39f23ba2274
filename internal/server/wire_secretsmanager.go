package server

import (
	"context"
	"fmt"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
	"github.com/niwa-cloud/niwa/internal/service/secretsmanager"
)

// wireSecretsManager wires Secrets Manager: values encrypted through the
// KMS seam as the caller, rotation functions run by Lambda, secret
// policies for the IAM engine, secret tags for aws:ResourceTag.
func wireSecretsManager(d *deps) (*wiring, error) {
	store, err := d.store("secretsmanager")
	if err != nil {
		return nil, err
	}
	opt := secretsmanager.Options{Store: store, Clock: d.clock, Log: d.log, Keys: d.dataKeysOf()}
	if d.lambda != nil {
		opt.Functions = rotationFunctions{d.lambda, d}
	}
	svc := secretsmanager.New(opt)
	d.secrets = svc
	return &wiring{Declaration: svc.Declare()}, nil
}

// rotationFunctions runs rotation functions as Secrets Manager does: the
// function's resource policy must let secretsmanager.amazonaws.com invoke
// it; the invocation is synchronous (RequestResponse).
type rotationFunctions struct {
	lambda *lambda.Lambda
	d      *deps
}

const secretsManagerPrincipal = "secretsmanager.amazonaws.com"

// at is a request context in the function's account and region.
func (f rotationFunctions) at(ctx context.Context, fn string) (*request.Context, error) {
	p := strings.Split(fn, ":")
	if len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" {
		return nil, fmt.Errorf("%s is not a Lambda function ARN", fn)
	}
	return &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "lambda", Operation: "Invoke",
		Account: p[4], Region: p[3], Clock: f.d.clock, Log: f.d.log,
		Caller: request.Caller{Account: p[4], ARN: secretsManagerPrincipal}}, nil
}

func (f rotationFunctions) Allowed(ctx context.Context, fn, sourceARN, sourceAccount string) (bool, error) {
	rc, err := f.at(ctx, fn)
	if err != nil {
		return false, err
	}
	if _, err := f.lambda.GetFunction(rc, &lambdaapi.GetFunctionRequest{FunctionName: &fn}); err != nil {
		return false, err
	}
	doc, _, found, err := f.lambda.ResourcePolicy(ctx, fn)
	if err != nil || !found {
		return false, err
	}
	unqualified := strings.Join(strings.Split(fn, ":")[:7], ":")
	return iam.ServiceDeliveryAllowed(doc, "lambda:InvokeFunction", unqualified, secretsManagerPrincipal, sourceARN, sourceAccount) ||
		iam.ServiceDeliveryAllowed(doc, "lambda:InvokeFunction", fn, secretsManagerPrincipal, sourceARN, sourceAccount), nil
}

func (f rotationFunctions) Invoke(ctx context.Context, fn string, payload []byte) error {
	rc, err := f.at(ctx, fn)
	if err != nil {
		return err
	}
	out, err := f.lambda.Invoke(rc, &lambdaapi.InvocationRequest{FunctionName: &fn, Payload: payload})
	if err != nil {
		return err
	}
	if out.FunctionError != nil {
		return fmt.Errorf("%s: %s", ptr.Deref(out.FunctionError), out.Payload)
	}
	return nil
}
