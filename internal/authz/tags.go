package authz

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// ResourceTagger finds the tags stored on the resource an ARN names
// (kit.ResourceTagger): each service that keeps tags declares one.
type ResourceTagger = kit.ResourceTagger

// ResourceTagKeyPrefixes are the condition keys ResourceTagContext
// fills: a request whose policies test none of them needs no lookup.
var ResourceTagKeyPrefixes = []string{"aws:resourcetag/", "iam:resourcetag/", "ec2:resourcetag/", "s3:existingobjecttag/"}

// ResourceTagContext is the condition keys the stored tags of resource
// give, per AWS's Service Authorization Reference:
//   - aws:ResourceTag/<key> for every resource that supports tags (IAM
//     roles and users, SQS queues, SNS topics, DynamoDB tables, Lambda
//     functions, EC2 resources, log groups, EventBridge rules);
//   - iam:ResourceTag/<key> besides it for IAM roles and users, and
//     ec2:ResourceTag/<key> for EC2 resources (the older aliases);
//   - s3:ExistingObjectTag/<key> for S3 objects. S3 buckets give no key:
//     AWS uses bucket tags for authorization only on buckets whose ABAC
//     was enabled with PutBucketAbac, which niwa does not serve.
func ResourceTagContext(resource string, tags map[string]string) iam.Context {
	ctx := iam.Context{}
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) < 6 || len(tags) == 0 {
		return ctx
	}
	ns, res := parts[2], parts[5]
	set := func(prefix string) {
		for k, v := range tags {
			ctx[prefix+strings.ToLower(k)] = []string{v}
		}
	}
	switch ns {
	case "s3":
		if strings.Contains(res, "/") {
			set("s3:existingobjecttag/")
		}
		return ctx
	case "iam":
		if strings.HasPrefix(res, "role/") || strings.HasPrefix(res, "user/") {
			set("iam:resourcetag/")
		}
	case "ec2":
		set("ec2:resourcetag/")
	}
	set("aws:resourcetag/")
	return ctx
}
