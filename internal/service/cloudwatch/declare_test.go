package cloudwatch

import (
	"testing"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: alarm, dashboard and insight rule calls are checked
// on the resources they name; metric calls on "*".
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	rules := kit.Authz{Resources: resources}
	for _, tc := range []struct {
		op   string
		in   any
		want []string
	}{
		{"PutMetricAlarm", &cwapi.PutMetricAlarmInput{AlarmName: ptr.To("high")}, []string{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:high"}},
		{"DeleteAlarms", &cwapi.DeleteAlarmsInput{AlarmNames: []string{"a", "b"}}, []string{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:a", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:b"}},
		{"GetDashboard", &cwapi.GetDashboardInput{DashboardName: ptr.To("d")}, []string{"arn:aws:cloudwatch::123456789012:dashboard/d"}},
		{"PutInsightRule", &cwapi.PutInsightRuleInput{RuleName: ptr.To("r")}, []string{"arn:aws:cloudwatch:us-east-1:123456789012:insight-rule/r"}},
		{"TagResource", &cwapi.TagResourceInput{ResourceARN: ptr.To("arn:aws:cloudwatch:us-east-1:123456789012:alarm:x")}, []string{"arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"}},
		{"PutMetricData", &cwapi.PutMetricDataInput{Namespace: ptr.To("App")}, []string{"*"}},
	} {
		checks := rules.Checks("cloudwatch", tc.op, tc.in, env)
		var got []string
		for _, c := range checks {
			if c.Action != "cloudwatch:"+tc.op {
				t.Errorf("%s: action %s", tc.op, c.Action)
			}
			got = append(got, c.Resource)
		}
		if len(got) != len(tc.want) || got[0] != tc.want[0] || got[len(got)-1] != tc.want[len(tc.want)-1] {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
}
