package authz

import (
	"github.com/niwa-cloud/niwa/internal/kit"
	"reflect"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
)

func sp(s string) *string { return &s }

// TestResourceARNs: Lambda's Invoke and permission
// calls name the version or alias they act on.
func TestResourceARNs(t *testing.T) {
	env := Env{Account: "123456789012", Region: "us-east-1"}
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	for _, tc := range []struct {
		service, op string
		in          any
		want        string
	}{
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("f")}, fn},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("f"), Qualifier: sp("live")}, fn + ":live"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("f:3")}, fn + ":3"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp(fn + ":prod")}, fn + ":prod"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("123456789012:function:f:prod")}, fn + ":prod"},
		{"lambda", "AddPermission", &lambdaapi.AddPermissionRequest{FunctionName: sp("f"), Qualifier: sp("live")}, fn + ":live"},
		{"lambda", "GetFunction", &lambdaapi.GetFunctionRequest{FunctionName: sp("f"), Qualifier: sp("live")}, fn},
	} {
		checks := For(kit.Authz{}, tc.service, tc.op, tc.in, env)
		if got := []string{checks[0].Resource}; !reflect.DeepEqual(got, []string{tc.want}) {
			t.Errorf("%s %s %+v: %v, want %s", tc.service, tc.op, tc.in, got, tc.want)
		}
	}
}
