package cloudtrail

import (
	"reflect"
	"testing"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestChecks: trail operations are checked on the trail's ARN, whether
// the request names it or its ARN (a name is the trail of the caller's
// region); account-level operations on "*"; a CloudWatch Logs role is
// passed to CloudTrail.
func TestChecks(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	rules := (&CloudTrail{}).Declare().Authz
	const trail = "arn:aws:cloudtrail:us-east-1:123456789012:trail/main"
	const other = "arn:aws:cloudtrail:eu-west-1:123456789012:trail/far"
	const role = "arn:aws:iam::123456789012:role/ct-logs"
	for _, tc := range []struct {
		op   string
		in   any
		want []string
	}{
		{"CreateTrail", &cloudtrailapi.CreateTrailInput{Name: ptr.To("main"), CloudWatchLogsRoleArn: ptr.To(role)},
			[]string{"cloudtrail:CreateTrail " + trail, "iam:PassRole " + role}},
		{"StartLogging", &cloudtrailapi.StartLoggingInput{Name: ptr.To(other)}, []string{"cloudtrail:StartLogging " + other}},
		{"PutEventSelectors", &cloudtrailapi.PutEventSelectorsInput{TrailName: ptr.To("main")}, []string{"cloudtrail:PutEventSelectors " + trail}},
		{"AddTags", &cloudtrailapi.AddTagsInput{ResourceId: ptr.To(trail)}, []string{"cloudtrail:AddTags " + trail}},
		{"ListTags", &cloudtrailapi.ListTagsInput{ResourceIdList: []string{trail, other}}, []string{"cloudtrail:ListTags " + trail, "cloudtrail:ListTags " + other}},
		{"LookupEvents", &cloudtrailapi.LookupEventsInput{}, []string{"cloudtrail:LookupEvents *"}},
		{"DescribeTrails", &cloudtrailapi.DescribeTrailsInput{}, []string{"cloudtrail:DescribeTrails *"}},
	} {
		var got []string
		for _, c := range rules.Checks("cloudtrail", tc.op, tc.in, env) {
			got = append(got, c.Action+" "+c.Resource)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
}

// TestRequestTags: CreateTrail's and AddTags's TagsList answer
// aws:RequestTag/<key> and aws:TagKeys.
func TestRequestTags(t *testing.T) {
	rules := (&CloudTrail{}).Declare().Authz
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	in := &cloudtrailapi.CreateTrailInput{Name: ptr.To("main"), TagsList: []cloudtrailapi.Tag{{Key: ptr.To("Team"), Value: ptr.To("infra")}, {Key: ptr.To("cost")}}}
	checks := rules.Checks("cloudtrail", "CreateTrail", in, env)
	ctx := checks[0].Context
	if got := ctx["aws:requesttag/team"]; len(got) != 1 || got[0] != "infra" {
		t.Fatalf("aws:RequestTag/Team = %v (context %v)", got, ctx)
	}
	if got := ctx["aws:tagkeys"]; !reflect.DeepEqual(got, []string{"Team", "cost"}) {
		t.Fatalf("aws:TagKeys = %v", got)
	}
}
