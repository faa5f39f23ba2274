package lambda

import (
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: Lambda's Invoke and permission calls name the
// version or alias they act on; other calls the function.
func TestResourceARNs(t *testing.T) {
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	kittest.Resources(t, kit.Authz{Resources: resources}, "lambda", []kittest.Case{
		{Op: "Invoke", In: &lambdaapi.InvocationRequest{FunctionName: ptr.To("f")}, Resource: fn},
		{Op: "Invoke", In: &lambdaapi.InvocationRequest{FunctionName: ptr.To("f"), Qualifier: ptr.To("live")}, Resource: fn + ":live"},
		{Op: "Invoke", In: &lambdaapi.InvocationRequest{FunctionName: ptr.To("f:3")}, Resource: fn + ":3"},
		{Op: "Invoke", In: &lambdaapi.InvocationRequest{FunctionName: ptr.To(fn + ":prod")}, Resource: fn + ":prod"},
		{Op: "Invoke", In: &lambdaapi.InvocationRequest{FunctionName: ptr.To("123456789012:function:f:prod")}, Resource: fn + ":prod"},
		{Op: "AddPermission", In: &lambdaapi.AddPermissionRequest{FunctionName: ptr.To("f"), Qualifier: ptr.To("live")}, Resource: fn + ":live"},
		{Op: "GetFunction", In: &lambdaapi.GetFunctionRequest{FunctionName: ptr.To("f"), Qualifier: ptr.To("live")}, Resource: fn},
	})
}
