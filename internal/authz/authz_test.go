package authz

import (
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"reflect"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
)

func sp(s string) *string { return &s }

// TestResourceARNs: IAM ARNs carry the entity's path (from the Path of a
// creation, or the stored entity's ARN); Lambda's Invoke and permission
// calls name the version or alias they act on; SNS mobile push calls name
// the platform application or endpoint.
func TestResourceARNs(t *testing.T) {
	stored := map[string]string{
		"role/app":  "arn:aws:iam::123456789012:role/service/app",
		"user/ann":  "arn:aws:iam::123456789012:user/staff/ann",
		"group/ops": "arn:aws:iam::123456789012:group/teams/ops",
	}
	env := Env{Account: "123456789012", Region: "us-east-1", IAMEntityARN: func(kind, name string) (string, bool) {
		a, ok := stored[kind+"/"+name]
		return a, ok
	}}
	const fn = "arn:aws:lambda:us-east-1:123456789012:function:f"
	for _, tc := range []struct {
		service, op string
		in          any
		want        string
	}{
		{"iam", "GetRole", &iamapi.GetRoleInput{RoleName: sp("app")}, "arn:aws:iam::123456789012:role/service/app"},
		{"iam", "GetRole", &iamapi.GetRoleInput{RoleName: sp("nopath")}, "arn:aws:iam::123456789012:role/nopath"},
		{"iam", "CreateRole", &iamapi.CreateRoleInput{RoleName: sp("new"), Path: sp("/ci/")}, "arn:aws:iam::123456789012:role/ci/new"},
		{"iam", "CreateUser", &iamapi.CreateUserInput{UserName: sp("new")}, "arn:aws:iam::123456789012:user/new"},
		{"iam", "PutUserPolicy", &iamapi.PutUserPolicyInput{UserName: sp("ann")}, "arn:aws:iam::123456789012:user/staff/ann"},
		{"iam", "GetGroup", &iamapi.GetGroupInput{GroupName: sp("ops")}, "arn:aws:iam::123456789012:group/teams/ops"},
		{"iam", "CreateInstanceProfile", &iamapi.CreateInstanceProfileInput{InstanceProfileName: sp("ip"), Path: sp("/x/")}, "arn:aws:iam::123456789012:instance-profile/x/ip"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("f")}, fn},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("f"), Qualifier: sp("live")}, fn + ":live"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("f:3")}, fn + ":3"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp(fn + ":prod")}, fn + ":prod"},
		{"lambda", "Invoke", &lambdaapi.InvocationRequest{FunctionName: sp("123456789012:function:f:prod")}, fn + ":prod"},
		{"lambda", "AddPermission", &lambdaapi.AddPermissionRequest{FunctionName: sp("f"), Qualifier: sp("live")}, fn + ":live"},
		{"lambda", "GetFunction", &lambdaapi.GetFunctionRequest{FunctionName: sp("f"), Qualifier: sp("live")}, fn},
		{"cloudwatch", "PutMetricAlarm", &cloudwatchapi.PutMetricAlarmInput{AlarmName: sp("high")}, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:high"},
		{"cloudwatch", "GetDashboard", &cloudwatchapi.GetDashboardInput{DashboardName: sp("d")}, "arn:aws:cloudwatch::123456789012:dashboard/d"},
		{"cloudwatch", "PutInsightRule", &cloudwatchapi.PutInsightRuleInput{RuleName: sp("r")}, "arn:aws:cloudwatch:us-east-1:123456789012:insight-rule/r"},
		{"cloudwatch", "TagResource", &cloudwatchapi.TagResourceInput{ResourceARN: sp("arn:aws:cloudwatch:us-east-1:123456789012:alarm:x")}, "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"},
		{"cloudwatch", "PutMetricData", &cloudwatchapi.PutMetricDataInput{Namespace: sp("App")}, "*"},
		{"sns", "CreatePlatformEndpoint", &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: sp("arn:aws:sns:us-east-1:123456789012:app/GCM/a")}, "arn:aws:sns:us-east-1:123456789012:app/GCM/a"},
		{"sns", "GetEndpointAttributes", &snsapi.GetEndpointAttributesInput{EndpointArn: sp("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/1")}, "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/1"},
	} {
		checks := For(tc.service, tc.op, tc.in, env)
		if got := []string{checks[0].Resource}; !reflect.DeepEqual(got, []string{tc.want}) {
			t.Errorf("%s %s %+v: %v, want %s", tc.service, tc.op, tc.in, got, tc.want)
		}
	}
	// DeleteAlarms checks every alarm it names.
	checks := For("cloudwatch", "DeleteAlarms", &cloudwatchapi.DeleteAlarmsInput{AlarmNames: []string{"a", "b"}}, env)
	if len(checks) != 2 || checks[0].Action != "cloudwatch:DeleteAlarms" || checks[1].Resource != "arn:aws:cloudwatch:us-east-1:123456789012:alarm:b" {
		t.Errorf("DeleteAlarms: %+v", checks)
	}
}
