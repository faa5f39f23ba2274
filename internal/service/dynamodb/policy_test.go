package dynamodb

import (
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestResourcePolicy(t *testing.T) {
	svc, _, ctx := newTestService(t)
	createTable(t, svc, ctx, "pol", "")
	arn := "arn:aws:dynamodb:us-east-1:123456789012:table/pol"
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"dynamodb:GetItem","Resource":"` + arn + `"}]}`
	_, err := svc.GetResourcePolicy(ctx, &dynamodbapi.GetResourcePolicyInput{ResourceArn: &arn})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+arn)
	_, err = svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: &arn, Policy: ptr.To(`{"Statement": 1}`)})
	wantErr(t, err, "ValidationException", "")
	_, err = svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: ptr.To(arn + "x"), Policy: &doc})
	wantErr(t, err, "ResourceNotFoundException", "")
	p, err := svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: &arn, Policy: &doc, ExpectedRevisionId: ptr.To("NO_POLICY")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := svc.GetResourcePolicy(ctx, &dynamodbapi.GetResourcePolicyInput{ResourceArn: &arn})
	if err != nil || *g.Policy != doc || *g.RevisionId != *p.RevisionId {
		t.Fatalf("get: %v %+v", err, g)
	}
	// The authorizer's read (through the table decode cache) sees the
	// policy the request before put, for the table and what it covers.
	wantAuthzPolicy(t, svc, arn, doc, true)
	wantAuthzPolicy(t, svc, arn+"/index/byX", doc, true)
	wantAuthzPolicy(t, svc, arn+"/stream/2026-01-01T00:00:00.000", doc, true)
	_, err = svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: &arn, Policy: &doc, ExpectedRevisionId: ptr.To("NO_POLICY")})
	wantErr(t, err, "PolicyNotFoundException", "")
	_, err = svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: &arn, Policy: &doc, ExpectedRevisionId: ptr.To("1")})
	wantErr(t, err, "PolicyNotFoundException", "")
	p2, err := svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: &arn, Policy: &doc, ExpectedRevisionId: p.RevisionId})
	if err != nil || *p2.RevisionId == *p.RevisionId {
		t.Fatalf("update: %v %+v", err, p2)
	}
	if _, err := svc.DeleteResourcePolicy(ctx, &dynamodbapi.DeleteResourcePolicyInput{ResourceArn: &arn}); err != nil {
		t.Fatal(err)
	}
	wantAuthzPolicy(t, svc, arn, "", true)
	_, err = svc.DeleteResourcePolicy(ctx, &dynamodbapi.DeleteResourcePolicyInput{ResourceArn: &arn})
	wantErr(t, err, "PolicyNotFoundException", "Resource-based policy not found for the provided ResourceArn: "+arn)
	if _, err := svc.PutResourcePolicy(ctx, &dynamodbapi.PutResourcePolicyInput{ResourceArn: &arn, Policy: &doc}); err != nil {
		t.Fatal(err)
	}
	wantAuthzPolicy(t, svc, arn, doc, true)
	wantAuthzPolicy(t, svc, "arn:aws:dynamodb:us-east-1:123456789012:table/other", "", false)
	for _, bad := range []string{"arn:aws:dynamodb:us-east-1:123456789012", "arn:aws:s3:us-east-1:123456789012:table/pol", "arn:aws:dynamodb:us-east-1:123456789012:global-table/pol", "table/pol"} {
		wantAuthzPolicy(t, svc, bad, "", false)
	}
}

// wantAuthzPolicy checks what ResourcePolicy, the authorizer's read, answers
// for arn.
func wantAuthzPolicy(t *testing.T, svc *DynamoDB, arn, doc string, found bool) {
	t.Helper()
	got, owner, ok, err := svc.ResourcePolicy(t.Context(), arn)
	if err != nil || got != doc || ok != found || (found && owner != "123456789012") {
		t.Errorf("ResourcePolicy(%s) = %q, %q, %v, %v; want %q, found %v", arn, got, owner, ok, err, doc, found)
	}
}
