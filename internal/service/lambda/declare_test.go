package lambda

import (
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: Lambda's Invoke and permission calls name the
// version or alias they act on; other calls the function.
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	rules := kit.Authz{Resources: resources}
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"Invoke", &lambdaapi.InvocationRequest{FunctionName: ptr.To("f")}, fn},
		{"Invoke", &lambdaapi.InvocationRequest{FunctionName: ptr.To("f"), Qualifier: ptr.To("live")}, fn + ":live"},
		{"Invoke", &lambdaapi.InvocationRequest{FunctionName: ptr.To("f:3")}, fn + ":3"},
		{"Invoke", &lambdaapi.InvocationRequest{FunctionName: ptr.To(fn + ":prod")}, fn + ":prod"},
		{"Invoke", &lambdaapi.InvocationRequest{FunctionName: ptr.To("123456789012:function:f:prod")}, fn + ":prod"},
		{"AddPermission", &lambdaapi.AddPermissionRequest{FunctionName: ptr.To("f"), Qualifier: ptr.To("live")}, fn + ":live"},
		{"GetFunction", &lambdaapi.GetFunctionRequest{FunctionName: ptr.To("f"), Qualifier: ptr.To("live")}, fn},
	} {
		if got := rules.Checks("lambda", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s %+v: %s, want %s", tc.op, tc.in, got, tc.want)
		}
	}
}
