package iam

import (
	"slices"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestContextKeys(t *testing.T) {
	f := newFixture(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b/${aws:username}/*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"},"StringEquals":{"s3:prefix":"x","AWS:SourceIP":"y"}}}]}`
	out := must(f.GetContextKeysForCustomPolicy(f.ctx, &iamapi.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{doc}}))
	if len(out.ContextKeyNames) != 3 || !slices.Contains(out.ContextKeyNames, "aws:username") || !slices.Contains(out.ContextKeyNames, "s3:prefix") {
		t.Fatalf("keys = %v", out.ContextKeyNames)
	}
	wantErr(t, second(f.GetContextKeysForCustomPolicy(f.ctx, &iamapi.GetContextKeysForCustomPolicyInput{PolicyInputList: []string{"nope"}})), "MalformedPolicyDocument", 400, "")
	f.createUser("kim")
	must(f.PutUserPolicy(f.ctx, &iamapi.PutUserPolicyInput{UserName: ptr.To("kim"), PolicyName: ptr.To("p"), PolicyDocument: ptr.To(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sqs:*","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}))
	keys := must(f.GetContextKeysForPrincipalPolicy(f.ctx, &iamapi.GetContextKeysForPrincipalPolicyInput{PolicySourceArn: ptr.To("arn:aws:iam::123456789012:user/kim")})).ContextKeyNames
	if !slices.Equal(keys, []string{"aws:MultiFactorAuthPresent"}) {
		t.Fatalf("principal keys = %v", keys)
	}
	grants := must(f.ListPoliciesGrantingServiceAccess(f.ctx, &iamapi.ListPoliciesGrantingServiceAccessInput{Arn: ptr.To("arn:aws:iam::123456789012:user/kim"), ServiceNamespaces: []string{"sqs", "s3"}})).PoliciesGrantingServiceAccess
	if len(grants) != 2 || len(grants[0].Policies) != 1 || *grants[0].Policies[0].PolicyName != "p" || *grants[0].Policies[0].EntityType != "USER" || len(grants[1].Policies) != 0 {
		t.Fatalf("grants = %+v", grants)
	}
	job := must(f.GenerateServiceLastAccessedDetails(f.ctx, &iamapi.GenerateServiceLastAccessedDetailsInput{Arn: ptr.To("arn:aws:iam::123456789012:user/kim")})).JobId
	d := must(f.GetServiceLastAccessedDetails(f.ctx, &iamapi.GetServiceLastAccessedDetailsInput{JobId: job}))
	if *d.JobStatus != "COMPLETED" || len(d.ServicesLastAccessed) != 1 || *d.ServicesLastAccessed[0].ServiceNamespace != "sqs" {
		t.Fatalf("details = %+v", d)
	}
	wantErr(t, second(f.SetSecurityTokenServicePreferences(f.ctx, &iamapi.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: ptr.To("v3Token")})), "ValidationError", 400, "")
	must(f.SetSecurityTokenServicePreferences(f.ctx, &iamapi.SetSecurityTokenServicePreferencesInput{GlobalEndpointTokenVersion: ptr.To("v2Token")}))
	if v := must(f.GetAccountSummary(f.ctx, &iamapi.GetAccountSummaryInput{})).SummaryMap["GlobalEndpointTokenVersion"]; v != 2 {
		t.Fatalf("token version %d", v)
	}
}
