package ssm

import (
	"fmt"
	"testing"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestSSMChecks: parameter operations are checked on the parameter's
// ARN (no leading slash, no selector; public parameters belong to no
// account), once per name for the batch calls, on the path for
// GetParametersByPath, and PutParameter carries ssm:Overwrite.
func TestSSMChecks(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "eu-west-1"}
	const p = "arn:aws:ssm:eu-west-1:123456789012:parameter/"
	tru := true
	rules := kit.Authz{Resources: resources, Context: conditionKeys}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"GetParameter", &ssmapi.GetParameterInput{Name: ptr.To("/app/db")}, "[ssm:GetParameter " + p + "app/db]"},
		{"GetParameter", &ssmapi.GetParameterInput{Name: ptr.To("plain:3")}, "[ssm:GetParameter " + p + "plain]"},
		{"GetParameter", &ssmapi.GetParameterInput{Name: ptr.To(p + "app/db:prod")}, "[ssm:GetParameter " + p + "app/db]"},
		{"GetParameter", &ssmapi.GetParameterInput{Name: ptr.To("/aws/service/global-infrastructure/current-region")}, "[ssm:GetParameter arn:aws:ssm:eu-west-1::parameter/aws/service/global-infrastructure/current-region]"},
		{"GetParameters", &ssmapi.GetParametersInput{Names: []string{"/a", "/b:1"}}, "[ssm:GetParameters " + p + "a ssm:GetParameters " + p + "b]"},
		{"DeleteParameters", &ssmapi.DeleteParametersInput{Names: []string{"/a"}}, "[ssm:DeleteParameters " + p + "a]"},
		{"GetParametersByPath", &ssmapi.GetParametersByPathInput{Path: ptr.To("/app")}, "[ssm:GetParametersByPath " + p + "app]"},
		{"AddTagsToResource", &ssmapi.AddTagsToResourceInput{ResourceType: ptr.To("Parameter"), ResourceId: ptr.To("/app/db")}, "[ssm:AddTagsToResource " + p + "app/db]"},
		{"DescribeParameters", &ssmapi.DescribeParametersInput{}, "[ssm:DescribeParameters *]"},
		{"PutParameter", &ssmapi.PutParameterInput{Name: ptr.To("/x"), Overwrite: &tru}, "[ssm:PutParameter " + p + "x]"},
		// Run Command: the document (AWS-owned ones belong to no account)
		// and each instance; instance/* with Targets.
		{"SendCommand", &ssmapi.SendCommandInput{DocumentName: ptr.To("AWS-RunShellScript"), InstanceIds: []string{"i-1", "i-2"}},
			"[ssm:SendCommand arn:aws:ssm:eu-west-1::document/AWS-RunShellScript ssm:SendCommand arn:aws:ec2:eu-west-1:123456789012:instance/i-1 ssm:SendCommand arn:aws:ec2:eu-west-1:123456789012:instance/i-2]"},
		{"SendCommand", &ssmapi.SendCommandInput{DocumentName: ptr.To("Mine"), Targets: []ssmapi.Target{{Key: ptr.To("tag:Role"), Values: []string{"web"}}}},
			"[ssm:SendCommand arn:aws:ssm:eu-west-1:123456789012:document/Mine ssm:SendCommand arn:aws:ec2:eu-west-1:123456789012:instance/*]"},
		{"GetDocument", &ssmapi.GetDocumentInput{Name: ptr.To("Mine")}, "[ssm:GetDocument arn:aws:ssm:eu-west-1:123456789012:document/Mine]"},
		{"CreateDocument", &ssmapi.CreateDocumentInput{Name: ptr.To("Mine"), Content: ptr.To("{}")}, "[ssm:CreateDocument arn:aws:ssm:eu-west-1:123456789012:document/Mine]"},
		{"DescribeAssociation", &ssmapi.DescribeAssociationInput{AssociationId: ptr.To("a-1")}, "[ssm:DescribeAssociation arn:aws:ssm:eu-west-1:123456789012:association/a-1]"},
		{"CreateAssociation", &ssmapi.CreateAssociationInput{Name: ptr.To("AWS-RunShellScript"), InstanceId: ptr.To("i-1")},
			"[ssm:CreateAssociation arn:aws:ssm:eu-west-1::document/AWS-RunShellScript ssm:CreateAssociation arn:aws:ec2:eu-west-1:123456789012:instance/i-1]"},
		{"GetCommandInvocation", &ssmapi.GetCommandInvocationInput{CommandId: ptr.To("c"), InstanceId: ptr.To("i-1")}, "[ssm:GetCommandInvocation *]"},
		{"DescribeInstanceInformation", &ssmapi.DescribeInstanceInformationInput{}, "[ssm:DescribeInstanceInformation *]"},
	} {
		var got []string
		for _, c := range rules.Checks("ssm", tc.op, tc.in, env) {
			got = append(got, c.Action, c.Resource)
		}
		if fmt.Sprint(got) != tc.want {
			t.Errorf("%s %+v: %v, want %s", tc.op, tc.in, got, tc.want)
		}
	}
	c := rules.Checks("ssm", "PutParameter", &ssmapi.PutParameterInput{Name: ptr.To("/x"), Overwrite: &tru}, env)
	if fmt.Sprint(c[0].Context["ssm:overwrite"]) != "[true]" {
		t.Fatalf("ssm:Overwrite: %v", c[0].Context)
	}
}
