package iam

import (
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	policy "github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCatalog holds the shipped AWS managed policies to IAM's own rules:
// every document passes the managed-policy grammar and its size quota, and
// the engine can evaluate it; the policies tools ask for by name are there
// with their paths.
func TestCatalog(t *testing.T) {
	// The catalog is read on first use; the embedded files must parse.
	if _, err := readManagedPolicies(); err != nil {
		t.Fatal(err)
	}
	cat, err := AWSManagedPolicies()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range cat.List() {
		if err := validateDocument(p.Document, docManaged); err != nil {
			t.Errorf("%s: %v", p.Name, err)
		}
		if _, err := policy.Parse(p.Document); err != nil {
			t.Errorf("%s: engine: %v", p.Name, err)
		}
		if p.DefaultVersionID == "" || p.CreateDate.IsZero() {
			t.Errorf("%s: version %q created %v", p.Name, p.DefaultVersionID, p.CreateDate)
		}
	}
	for _, arn := range []string{
		"arn:aws:iam::aws:policy/AdministratorAccess",
		"arn:aws:iam::aws:policy/PowerUserAccess",
		"arn:aws:iam::aws:policy/IAMFullAccess",
		"arn:aws:iam::aws:policy/AWSKeyManagementServicePowerUser",
		"arn:aws:iam::aws:policy/AmazonSSMReadOnlyAccess",
		"arn:aws:iam::aws:policy/AWSCloudFormationReadOnlyAccess",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
		"arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole",
	} {
		if _, ok := cat.Lookup(arn); !ok {
			t.Errorf("%s missing from the catalog", arn)
		}
	}
	f := newFixture(t, WithManagedPolicies(cat))
	out := must(f.ListPolicies(f.ctx, &iamapi.ListPoliciesInput{Scope: ptr.To("AWS"), MaxItems: ptr.To(int32(1000))}))
	if len(out.Policies) != len(cat.List()) {
		t.Fatalf("ListPolicies --scope AWS = %d policies, catalog has %d", len(out.Policies), len(cat.List()))
	}
	v := must(f.GetPolicyVersion(f.ctx, &iamapi.GetPolicyVersionInput{PolicyArn: ptr.To("arn:aws:iam::aws:policy/PowerUserAccess"), VersionId: ptr.To("v12")}))
	if !ptr.Deref(v.PolicyVersion.IsDefaultVersion) || ptr.Deref(v.PolicyVersion.Document) == "" {
		t.Fatalf("GetPolicyVersion = %+v", v.PolicyVersion)
	}
}
