package sts

import (
	"reflect"
	"testing"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// TestAuthzRules: AssumeRole is checked on the role with the request's
// sts: condition keys; GetFederationToken on the federated user; root
// may not assume roles and session credentials may not get more, which
// STS's handler answers itself.
func TestAuthzRules(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	role := "arn:aws:iam::123456789012:role/r"
	c := authzRules.Checks("sts", "AssumeRole", &stsapi.AssumeRoleInput{RoleArn: ptr.To(role),
		RoleSessionName: ptr.To("s"), ExternalId: ptr.To("x")}, env)
	if len(c) != 1 || c[0].Action != "sts:AssumeRole" || c[0].Resource != role ||
		!reflect.DeepEqual(c[0].Context["sts:externalid"], []string{"x"}) || !reflect.DeepEqual(c[0].Context["sts:rolesessionname"], []string{"s"}) {
		t.Errorf("AssumeRole: %+v", c)
	}
	c = authzRules.Checks("sts", "GetFederationToken", &stsapi.GetFederationTokenInput{Name: ptr.To("bob")}, env)
	if c[0].Resource != "arn:aws:sts::123456789012:federated-user/bob" {
		t.Errorf("GetFederationToken: %+v", c)
	}
	root := request.Caller{Account: "123456789012", ARN: "arn:aws:iam::123456789012:root"}
	session := request.Caller{Account: "123456789012", ARN: "arn:aws:sts::123456789012:assumed-role/r/s", SessionToken: "t"}
	for _, tc := range []struct {
		op     string
		caller request.Caller
		want   bool
	}{
		{"AssumeRole", root, true}, {"AssumeRole", session, false},
		{"GetSessionToken", session, true}, {"GetFederationToken", session, true}, {"GetSessionToken", root, false},
	} {
		if got := authzRules.HandlerRefuses(tc.op, tc.caller); got != tc.want {
			t.Errorf("HandlerRefuses(%s, %s) = %v", tc.op, tc.caller.ARN, got)
		}
	}
}
