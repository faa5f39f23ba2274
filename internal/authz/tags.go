package authz

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// ResourceTagger finds the tags stored on the resource an ARN names
// (kit.ResourceTagger): each service that keeps tags declares one.
type ResourceTagger = kit.ResourceTagger

// ResourceTagKey is the condition key prefix of every resource's stored
// tags, unless its service declares others (kit.Declaration.TagKeys).
const ResourceTagKey = "aws:resourcetag/"

// ResourceTagContext is the condition keys the stored tags of a resource
// give under each of prefixes (its service's kit.Declaration.TagKeys, or
// ResourceTagKey).
func ResourceTagContext(prefixes []string, tags map[string]string) iam.Context {
	ctx := iam.Context{}
	for _, prefix := range prefixes {
		for k, v := range tags {
			ctx[prefix+strings.ToLower(k)] = []string{v}
		}
	}
	return ctx
}
