package sts

import (
	"testing"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// session is a caller signing with temporary credentials.
var session = request.Caller{AccessKeyID: "ASIASESSION", SessionToken: "tok", Account: account,
	ARN: "arn:aws:sts::" + account + ":assumed-role/app/s", UserID: "AROAAPP:s"}

func TestGetFederationToken(t *testing.T) {
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
	tests := []struct {
		name     string
		caller   request.Caller
		in       stsapi.GetFederationTokenInput
		wantLife int // seconds
		wantCode string
		wantMsg  string
	}{
		{name: "user, default 12 hours", in: stsapi.GetFederationTokenInput{Name: ptr.To("bob"), Policy: ptr.To(policy)}, wantLife: 43200},
		{name: "user, 36 hours", in: stsapi.GetFederationTokenInput{Name: ptr.To("bob"), DurationSeconds: ptr.To(int32(129600))}, wantLife: 129600},
		{name: "root capped at one hour", caller: root, in: stsapi.GetFederationTokenInput{Name: ptr.To("bob"), DurationSeconds: ptr.To(int32(7200))}, wantLife: 3600},
		{name: "too short", in: stsapi.GetFederationTokenInput{Name: ptr.To("bob"), DurationSeconds: ptr.To(int32(899))}, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value '899' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to 900"},
		{name: "too long", in: stsapi.GetFederationTokenInput{Name: ptr.To("bob"), DurationSeconds: ptr.To(int32(129601))}, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value '129601' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to 129600"},
		{name: "name too short", in: stsapi.GetFederationTokenInput{Name: ptr.To("b")}, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value 'b' at 'name' failed to satisfy constraint: Member must have length greater than or equal to 2"},
		{name: "name too long", in: stsapi.GetFederationTokenInput{Name: ptr.To("abcdefghijabcdefghijabcdefghijabc")}, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value 'abcdefghijabcdefghijabcdefghijabc' at 'name' failed to satisfy constraint: Member must have length less than or equal to 32"},
		{name: "name with a space", in: stsapi.GetFederationTokenInput{Name: ptr.To("bo b")}, wantCode: "ValidationError",
			wantMsg: "1 validation error detected: Value 'bo b' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+"},
		{name: "session credentials", caller: session, in: stsapi.GetFederationTokenInput{Name: ptr.To("bob")}, wantCode: "AccessDenied",
			wantMsg: "Cannot call GetFederationToken with session credentials"},
		{name: "bad session policy", in: stsapi.GetFederationTokenInput{Name: ptr.To("bob"), Policy: ptr.To("{")}, wantCode: "MalformedPolicyDocument"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			c := user
			if tc.caller.ARN != "" {
				c = tc.caller
			}
			out, err := f.GetFederationToken(f.ctx(c), &tc.in)
			if tc.wantCode != "" {
				if err == nil {
					t.Fatalf("want %s, got %+v", tc.wantCode, out)
				}
				wantErr(t, err, tc.wantCode, 0, tc.wantMsg)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Credentials.Expiration.Sub(t0); got != secs(tc.wantLife) {
				t.Errorf("lifetime %v, want %ds", got, tc.wantLife)
			}
			if ds(out.FederatedUser.Arn) != "arn:aws:sts::"+account+":federated-user/bob" || ds(out.FederatedUser.FederatedUserId) != account+":bob" {
				t.Errorf("federated user %+v", out.FederatedUser)
			}
			stored, ok, err := f.LookupTemporary(ds(out.Credentials.AccessKeyId))
			if err != nil || !ok {
				t.Fatalf("credentials not stored: %v", err)
			}
			if stored.ARN != ds(out.FederatedUser.Arn) || stored.UserID != account+":bob" || stored.FederatedBy != c.ARN || !stored.SessionPolicies {
				t.Errorf("stored %+v", stored)
			}
			if stored.SessionPolicy != ptr.Deref(tc.in.Policy) {
				t.Errorf("session policy %q", stored.SessionPolicy)
			}
			if (tc.in.Policy != nil) != (out.PackedPolicySize != nil) {
				t.Errorf("PackedPolicySize %v with policy %v", out.PackedPolicySize, tc.in.Policy)
			}
		})
	}
}
