package lambda

import (
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Recursive loop detection: AWS stops a function caught in a loop through
// SQS, SNS or S3 unless its setting is Allow. niwa stores and reports the
// setting (Terminate by default, as AWS) but does not detect loops
// (docs/lambda.md).

// unqualified parses a FunctionName that must not carry a qualifier
// (the model's UnqualifiedFunctionName).
func unqualified(ctx *request.Context, raw string) (string, error) {
	name, qual, err := parseName(ctx, raw, nil)
	if err != nil {
		return "", err
	}
	if qual != "" {
		return "", awserr.ValidationException.New("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)", raw)
	}
	return name, nil
}

// GetFunctionRecursionConfig reports the function's recursive loop setting.
func (l *Lambda) GetFunctionRecursionConfig(ctx *request.Context, in *lambdaapi.GetFunctionRecursionConfigRequest) (*lambdaapi.GetFunctionRecursionConfigResponse, error) {
	name, err := unqualified(ctx, ptr.Deref(in.FunctionName))
	if err != nil {
		return nil, err
	}
	fn, _, _, err := l.read(ctx, name, nil)
	if err != nil {
		return nil, err
	}
	return &lambdaapi.GetFunctionRecursionConfigResponse{RecursiveLoop: ptr.To(recursion(fn))}, nil
}

// PutFunctionRecursionConfig sets it.
func (l *Lambda) PutFunctionRecursionConfig(ctx *request.Context, in *lambdaapi.PutFunctionRecursionConfigRequest) (*lambdaapi.PutFunctionRecursionConfigResponse, error) {
	name, err := unqualified(ctx, ptr.Deref(in.FunctionName))
	if err != nil {
		return nil, err
	}
	loop := ptr.Deref(in.RecursiveLoop)
	if loop != "Allow" && loop != "Terminate" {
		return nil, awserr.ValidationException.New("1 validation error detected: Value '%s' at 'recursiveLoop' failed to satisfy constraint: Member must satisfy enum value set: [Allow, Terminate]", loop)
	}
	if err := l.updateFunction(ctx, name, func(fn *function) error { fn.RecursiveLoop = loop; return nil }); err != nil {
		return nil, err
	}
	return &lambdaapi.PutFunctionRecursionConfigResponse{RecursiveLoop: ptr.To(loop)}, nil
}

func recursion(fn function) string {
	if fn.RecursiveLoop == "" {
		return "Terminate"
	}
	return fn.RecursiveLoop
}
