package authz

import (
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/iam"
)

func TestVPCContext(t *testing.T) {
	if got := VPCContext("vpc-1", ""); len(got) != 0 {
		t.Errorf("no endpoint: %v, want no keys", got)
	}
	want := iam.Context{"aws:sourcevpc": {"vpc-1"}, "aws:sourcevpce": {"vpce-1"}}
	if got := VPCContext("vpc-1", "vpce-1"); !reflect.DeepEqual(got, want) {
		t.Errorf("through an endpoint: %v, want %v", got, want)
	}
	for svc, want := range map[string]string{"s3": "com.amazonaws.eu-west-1.s3", "monitoring": "com.amazonaws.eu-west-1.monitoring"} {
		if got := EndpointServiceName(svc, "eu-west-1"); got != want {
			t.Errorf("%s: %s, want %s", svc, got, want)
		}
	}
	// A bucket policy that denies unless the request came through the
	// endpoint: denies a request without the keys.
	pol := iam.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"*","Condition":{"StringNotEquals":{"aws:SourceVpce":"vpce-1"}}},
	 {"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"*"}]}`)
	p := iam.Principal{ARN: "arn:aws:iam::123456789012:user/u", Account: "123456789012"}
	for vpce, want := range map[string]iam.Reason{"vpce-1": iam.Allowed, "vpce-2": iam.ExplicitDeny, "": iam.ExplicitDeny} {
		d := iam.Evaluate(iam.Request{Principal: p, Action: "s3:GetObject", Resource: "arn:aws:s3:::b/k", Context: VPCContext("vpc-1", vpce)}, iam.Policies{Resource: pol})
		if d.Reason != want {
			t.Errorf("vpce %q: %v, want %v", vpce, d.Reason, want)
		}
	}
}
