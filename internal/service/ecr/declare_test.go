package ecr

import (
	"testing"

	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: repository calls are checked on the repository's ARN
// in the registry they name (the caller's by default); registry-wide
// calls on "*".
func TestResourceARNs(t *testing.T) {
	const prefix = "arn:aws:ecr:us-east-1:123456789012:"
	kittest.Resources(t, kit.Authz{Resources: resources}, "ecr", []kittest.Case{
		{Op: "CreateRepository", In: &ecrapi.CreateRepositoryRequest{RepositoryName: ptr.To("team/app")}, Resource: prefix + "repository/team/app"},
		{Op: "BatchGetImage", In: &ecrapi.BatchGetImageRequest{RepositoryName: ptr.To("app"), RegistryId: ptr.To("210987654321")},
			Resource: "arn:aws:ecr:us-east-1:210987654321:repository/app"},
		{Op: "TagResource", In: &ecrapi.TagResourceRequest{ResourceArn: ptr.To(prefix + "repository/app")}, Resource: prefix + "repository/app"},
		{Op: "GetAuthorizationToken", In: &ecrapi.GetAuthorizationTokenRequest{}, Resource: "*"},
		{Op: "PutRegistryPolicy", In: &ecrapi.PutRegistryPolicyRequest{PolicyText: ptr.To("{}")}, Resource: "*"},
	})
}
