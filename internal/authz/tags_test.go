package authz

import (
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/iam"
)

func TestResourceTagContext(t *testing.T) {
	tags := map[string]string{"Env": "dev"}
	tests := []struct {
		resource string
		want     iam.Context
	}{
		{"arn:aws:sqs:us-east-1:123456789012:q", iam.Context{"aws:resourcetag/env": {"dev"}}},
		{"arn:aws:iam::123456789012:role/path/r", iam.Context{"aws:resourcetag/env": {"dev"}, "iam:resourcetag/env": {"dev"}}},
		{"arn:aws:iam::123456789012:user/u", iam.Context{"aws:resourcetag/env": {"dev"}, "iam:resourcetag/env": {"dev"}}},
		{"arn:aws:iam::123456789012:policy/p", iam.Context{"aws:resourcetag/env": {"dev"}}},
		{"arn:aws:ec2:us-east-1:123456789012:instance/i-1", iam.Context{"aws:resourcetag/env": {"dev"}, "ec2:resourcetag/env": {"dev"}}},
		{"arn:aws:s3:::b/k", iam.Context{"s3:existingobjecttag/env": {"dev"}}},
		{"arn:aws:s3:::b", iam.Context{}}, // bucket tags: only with ABAC enabled
		{"*", iam.Context{}},
	}
	for _, tc := range tests {
		if got := ResourceTagContext(tc.resource, tags); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.resource, got, tc.want)
		}
	}
}

// TestResourceTagDecisions: the keys drive the engine as AWS documents
// (StringEquals on a missing tag fails; a Deny on a tag value denies).
func TestResourceTagDecisions(t *testing.T) {
	pol := iam.MustParse(`{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}},
	 {"Effect":"Deny","Action":"*","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/locked":"true"}}}]}`)
	pols := iam.Policies{Identity: []*iam.Policy{pol}}
	if !pols.UsesConditionKey(ResourceTagKeyPrefixes...) {
		t.Fatal("UsesConditionKey missed aws:ResourceTag")
	}
	if (iam.Policies{Identity: []*iam.Policy{iam.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}).UsesConditionKey(ResourceTagKeyPrefixes...) {
		t.Fatal("UsesConditionKey found a key in a policy without conditions")
	}
	p := iam.Principal{ARN: "arn:aws:iam::123456789012:user/u", Account: "123456789012"}
	const q = "arn:aws:sqs:us-east-1:123456789012:q"
	for _, tc := range []struct {
		tags map[string]string
		want iam.Reason
	}{
		{map[string]string{"env": "dev"}, iam.Allowed},
		{map[string]string{"env": "prod"}, iam.ImplicitDeny},
		{nil, iam.ImplicitDeny},
		{map[string]string{"env": "dev", "locked": "true"}, iam.ExplicitDeny},
	} {
		d := iam.Evaluate(iam.Request{Principal: p, Action: "sqs:SendMessage", Resource: q, Context: ResourceTagContext(q, tc.tags)}, pols)
		if d.Reason != tc.want {
			t.Errorf("tags %v: %v, want %v", tc.tags, d.Reason, tc.want)
		}
	}
}
