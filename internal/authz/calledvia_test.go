package authz

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// TestCalledVia: the keys exist only for calls made on a principal's
// behalf, and policies test them as AWS documents (ForAnyValue on the
// multivalued aws:CalledVia, plain operators on First/Last; a direct
// call fails a StringEquals and passes BoolIfExists-style absence tests).
func TestCalledVia(t *testing.T) {
	pol := iam.MustParse(`{"Version":"2012-10-17","Statement":[
	 {"Sid":"ViaAthena","Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"ForAnyValue:StringEquals":{"aws:CalledVia":"athena.amazonaws.com"}}},
	 {"Sid":"FirstCFN","Effect":"Allow","Action":"dynamodb:GetItem","Resource":"*","Condition":{"StringEquals":{"aws:CalledViaFirst":"cloudformation.amazonaws.com","aws:CalledViaLast":"dynamodb.amazonaws.com"}}},
	 {"Sid":"NoDirectKMS","Effect":"Deny","Action":"kms:Decrypt","Resource":"*","Condition":{"Null":{"aws:CalledVia":"true"}}}]}`)
	p := iam.Principal{ARN: "arn:aws:iam::123456789012:user/u", Account: "123456789012"}
	for _, tc := range []struct {
		name   string
		action string
		via    []string
		want   iam.Reason
	}{
		{"direct call has no CalledVia", "s3:GetObject", nil, iam.ImplicitDeny},
		{"via athena", "s3:GetObject", []string{"athena.amazonaws.com"}, iam.Allowed},
		{"via another service", "s3:GetObject", []string{"cloudformation.amazonaws.com"}, iam.ImplicitDeny},
		{"first and last", "dynamodb:GetItem", []string{"cloudformation.amazonaws.com", "dynamodb.amazonaws.com"}, iam.Allowed},
		{"wrong order", "dynamodb:GetItem", []string{"dynamodb.amazonaws.com", "cloudformation.amazonaws.com"}, iam.ImplicitDeny},
		{"Null denies a direct call", "kms:Decrypt", nil, iam.ExplicitDeny},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := CalledViaContext(tc.via)
			if len(tc.via) == 0 && len(ctx) != 0 {
				t.Fatalf("direct call has keys %v", ctx)
			}
			d := iam.Evaluate(iam.Request{Principal: p, Action: tc.action, Resource: "*", Context: ctx}, iam.Policies{Identity: []*iam.Policy{pol}})
			if d.Reason != tc.want {
				t.Fatalf("%v, want %v", d.Reason, tc.want)
			}
		})
	}
}
