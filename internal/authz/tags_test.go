package authz

import (
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// TestResourceTagContext: the stored tags under each prefix the
// resource's service declares, keys in lower case.
func TestResourceTagContext(t *testing.T) {
	tags := map[string]string{"Env": "dev"}
	for _, tc := range []struct {
		prefixes []string
		want     iam.Context
	}{
		{[]string{ResourceTagKey}, iam.Context{"aws:resourcetag/env": {"dev"}}},
		{[]string{"iam:resourcetag/", ResourceTagKey}, iam.Context{"aws:resourcetag/env": {"dev"}, "iam:resourcetag/env": {"dev"}}},
		{nil, iam.Context{}},
	} {
		if got := ResourceTagContext(tc.prefixes, tags); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.prefixes, got, tc.want)
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
	if !pols.UsesConditionKey(ResourceTagKey) {
		t.Fatal("UsesConditionKey missed aws:ResourceTag")
	}
	if (iam.Policies{Identity: []*iam.Policy{iam.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`)}}).UsesConditionKey(ResourceTagKey) {
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
		d := iam.Evaluate(iam.Request{Principal: p, Action: "sqs:SendMessage", Resource: q, Context: ResourceTagContext([]string{ResourceTagKey}, tc.tags)}, pols)
		if d.Reason != tc.want {
			t.Errorf("tags %v: %v, want %v", tc.tags, d.Reason, tc.want)
		}
	}
}
