package cloudfront

import (
	"testing"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDeclaredResources: IAM actions are cloudfront:<Operation> without
// the API's version suffix, on the distribution the input names, "*" for
// account-level calls.
func TestDeclaredResources(t *testing.T) {
	s := New(Options{})
	dist := "arn:aws:cloudfront::" + kittest.Account + ":distribution/E2QWRUHAPOMQZL"
	kittest.Resources(t, s.Declare().Authz, "cloudfront", []kittest.Case{
		{Op: "GetDistribution2020_05_31", In: &cfapi.GetDistributionRequest{Id: ptr.To("E2QWRUHAPOMQZL")}, Action: "cloudfront:GetDistribution", Resource: dist},
		{Op: "UpdateDistribution2020_05_31", In: &cfapi.UpdateDistributionRequest{Id: ptr.To("E2QWRUHAPOMQZL")}, Action: "cloudfront:UpdateDistribution", Resource: dist},
		{Op: "CreateInvalidation2020_05_31", In: &cfapi.CreateInvalidationRequest{DistributionId: ptr.To("E2QWRUHAPOMQZL")}, Action: "cloudfront:CreateInvalidation", Resource: dist},
		{Op: "TagResource2020_05_31", In: &cfapi.TagResourceRequest{Resource: ptr.To(dist)}, Action: "cloudfront:TagResource", Resource: dist},
		{Op: "ListDistributions2020_05_31", In: &cfapi.ListDistributionsRequest{}, Action: "cloudfront:ListDistributions", Resource: "*"},
		{Op: "CreatePublicKey2020_05_31", In: &cfapi.CreatePublicKeyRequest{}, Action: "cloudfront:CreatePublicKey", Resource: "*"},
	})
}
