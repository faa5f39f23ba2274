package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/niwa-cloud/niwa/niwatest"
)

// acmCall sends one ACM JSON request signed with c.
func acmCall(t *testing.T, n *niwatest.Niwa, c creds, op, body string) rawResponse {
	t.Helper()
	return signed(t, n, time.Now(), c, "acm", "POST", "/", map[string]string{
		"X-Amz-Target": "CertificateManager." + op, "Content-Type": "application/x-amz-json-1.1"}, body)
}

// TestACMAuthorizesOnTheCertificateARN: a user allowed ACM on one
// certificate's ARN (and on tagged ones through aws:ResourceTag) reaches
// it and is denied another; RequestCertificate authorizes on "*".
func TestACMAuthorizesOnTheCertificateARN(t *testing.T) {
	n := niwatest.Start(t)
	var arns []string
	for _, d := range []string{"a.example.com", "b.example.com", "c.example.com"} {
		body := `{"DomainName":"` + d + `"}`
		if d == "c.example.com" {
			body = `{"DomainName":"` + d + `","Tags":[{"Key":"env","Value":"dev"}]}`
		}
		r := acmCall(t, n, rootCreds, "RequestCertificate", body)
		var out struct{ CertificateArn string }
		if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil {
			t.Fatalf("request: %d %s", r.status, r.body)
		}
		arns = append(arns, out.CertificateArn)
	}
	u := newUser(t, n, "certs")
	policy := `{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Action":"acm:DescribeCertificate","Resource":"` + arns[0] + `"},
{"Effect":"Allow","Action":"acm:DescribeCertificate","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}},
{"Effect":"Allow","Action":"acm:RequestCertificate","Resource":"*"}]}`
	if _, err := iam.NewFromConfig(n.AWSConfig()).PutUserPolicy(context.Background(), &iam.PutUserPolicyInput{
		UserName: aws.String("certs"), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{200, 400, 200} {
		r := acmCall(t, n, u, "DescribeCertificate", `{"CertificateArn":"`+arns[i]+`"}`)
		if r.status != want || (want == 400 && !strings.Contains(r.body, "AccessDenied")) {
			t.Errorf("describe %s: %d %s", arns[i], r.status, r.body)
		}
	}
	if r := acmCall(t, n, u, "RequestCertificate", `{"DomainName":"d.example.com"}`); r.status != 200 {
		t.Errorf("request as user: %d %s", r.status, r.body)
	}
}
