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
