package secretsmanager

import (
	"context"
	"reflect"
	"testing"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestSecretsManagerChecks: SecretIds resolve to the secret's full ARN
// (random suffix included) for policies; unknown names and new secrets
// are checked on <name>-??????; BatchGetSecretValue's listed secrets each
// need GetSecretValue.
func TestSecretsManagerChecks(t *testing.T) {
	const acct = "123456789012"
	full := "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:app/db-AbCdEf"
	env := kit.Env{Account: acct, Region: "us-east-1"}
	rules := authzRules(func(_ context.Context, account, region, id string) (string, bool) {
		if account == acct && (id == "app/db" || id == "arn:aws:secretsmanager:us-east-1:"+acct+":secret:app/db") {
			return full, true
		}
		return "", false
	}, nil)
	type check struct{ action, resource string }
	for _, tc := range []struct {
		op   string
		in   any
		want []check
	}{
		{"GetSecretValue", &smapi.GetSecretValueInput{SecretId: ptr.To("app/db")}, []check{{"secretsmanager:GetSecretValue", full}}},
		{"GetSecretValue", &smapi.GetSecretValueInput{SecretId: ptr.To("arn:aws:secretsmanager:us-east-1:" + acct + ":secret:app/db")}, []check{{"secretsmanager:GetSecretValue", full}}},
		{"DescribeSecret", &smapi.DescribeSecretInput{SecretId: ptr.To("nope")}, []check{{"secretsmanager:DescribeSecret", "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:nope-??????"}}},
		{"CreateSecret", &smapi.CreateSecretInput{Name: ptr.To("new")}, []check{{"secretsmanager:CreateSecret", "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:new-??????"}}},
		{"ListSecrets", &smapi.ListSecretsInput{}, []check{{"secretsmanager:ListSecrets", "*"}}},
		{"GetRandomPassword", &smapi.GetRandomPasswordInput{}, []check{{"secretsmanager:GetRandomPassword", "*"}}},
		{"BatchGetSecretValue", &smapi.BatchGetSecretValueInput{SecretIdList: []string{"app/db", "x"}}, []check{
			{"secretsmanager:BatchGetSecretValue", "*"}, {"secretsmanager:GetSecretValue", full},
			{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:" + acct + ":secret:x-??????"}}},
	} {
		var got []check
		for _, c := range rules.Checks("secretsmanager", tc.op, tc.in, env) {
			got = append(got, check{c.Action, c.Resource})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %+v: %v, want %v", tc.op, tc.in, got, tc.want)
		}
	}
	// A policy naming secret:app/db-* matches the resolved ARN; condition
	// keys carry the request.
	pol := iam.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"arn:aws:secretsmanager:us-east-1:` + acct + `:secret:app/db-*","Condition":{"StringEquals":{"secretsmanager:VersionStage":"AWSCURRENT"}}}]}`)
	c := rules.Checks("secretsmanager", "GetSecretValue", &smapi.GetSecretValueInput{SecretId: ptr.To("app/db"), VersionStage: ptr.To("AWSCURRENT")}, env)[0]
	req := iam.Request{Principal: iam.Principal{Account: acct, ARN: "arn:aws:iam::" + acct + ":user/u"}, Action: c.Action, Resource: c.Resource, Context: c.Context}
	if d := iam.Evaluate(req, iam.Policies{Identity: []*iam.Policy{pol}}); !d.Allowed() {
		t.Fatalf("policy on secret:app/db-* does not allow: %+v", d)
	}
}
