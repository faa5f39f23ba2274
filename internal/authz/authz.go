// Package authz maps each API operation niwa serves to the IAM actions it
// needs, the resource ARNs they apply to, and the service-specific
// condition keys (s3:prefix, s3:x-amz-acl, sts:ExternalId, ...), computed
// from the operation's typed input.
//
// The mapping is written once, as rules, not per operation by hand:
//   - the action is "<prefix>:<Operation>" unless the service's rename
//     table says otherwise (S3's ListObjectsV2 is s3:ListBucket, Lambda's
//     Invoke is lambda:InvokeFunction, SQS's batch calls need the single
//     action), names taken from AWS's Service Authorization Reference;
//   - the resource comes from the input's identifying members, found by
//     name through reflection (Bucket and Key, QueueUrl, TopicArn,
//     TableName, FunctionName, RoleName, KeyId, HostedZoneId...), with
//     the ARN format of the service;
//   - an operation whose input names no resource, and every operation of
//     a service without rules, is checked on "*" (the generic fallback),
//     which is what AWS does for actions without resource-level
//     permissions.
package authz

import (
	"net/url"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Check is one authorization question an operation asks.
type Check = kit.Check

// Env is where the request runs.
type Env = kit.Env

// Prefix is the IAM service prefix of a service: its declared Prefix, or
// its name.
func Prefix(a kit.Authz, service string) string {
	if a.Prefix != "" {
		return a.Prefix
	}
	return service
}

// For returns the checks for calling op of service with input (a pointer
// to the typed input shape), by the service's declared rules a.
func For(a kit.Authz, service, op string, input any, env Env) []Check {
	if a.Renames == nil {
		a.Renames = renames[service]
	}
	if a.Resources == nil {
		a.Resources = resourceRules[service]
	}
	if a.Context == nil {
		a.Context = contextRules[service]
	}
	if a.Extra == nil {
		a.Extra = extraChecks[service]
	}
	return a.Checks(service, op, input, env)
}

func arn(service, region, account, resource string) string {
	return "arn:aws:" + service + ":" + region + ":" + account + ":" + resource
}

// renames are operations whose IAM action is not the operation name
// (Service Authorization Reference).
var renames = map[string]map[string]string{

	"s3": {
		"ListObjects": "ListBucket", "ListObjectsV2": "ListBucket", "HeadBucket": "ListBucket",
		"ListObjectVersions": "ListBucketVersions", "ListBuckets": "ListAllMyBuckets",
		"HeadObject": "GetObject", "CreateMultipartUpload": "PutObject", "UploadPart": "PutObject",
		"UploadPartCopy": "PutObject", "CompleteMultipartUpload": "PutObject", "CopyObject": "PutObject",
		"ListMultipartUploads": "ListBucketMultipartUploads", "ListParts": "ListMultipartUploadParts",
		"DeleteObjects":                      "DeleteObject",
		"PutBucketNotificationConfiguration": "PutBucketNotification", "GetBucketNotificationConfiguration": "GetBucketNotification",
		"PutBucketLifecycleConfiguration": "PutLifecycleConfiguration", "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
		"PutBucketLifecycle": "PutLifecycleConfiguration", "GetBucketLifecycle": "GetLifecycleConfiguration",
		"DeleteBucketLifecycle": "PutLifecycleConfiguration",
		"PutBucketCors":         "PutBucketCORS", "GetBucketCors": "GetBucketCORS", "DeleteBucketCors": "PutBucketCORS",
		"PutBucketEncryption": "PutEncryptionConfiguration", "GetBucketEncryption": "GetEncryptionConfiguration",
		"DeleteBucketEncryption": "PutEncryptionConfiguration", "DeleteBucketTagging": "PutBucketTagging",
		"PutPublicAccessBlock": "PutBucketPublicAccessBlock", "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
		"DeletePublicAccessBlock": "PutBucketPublicAccessBlock", "DeleteBucketOwnershipControls": "PutBucketOwnershipControls",
		"DeleteBucketReplication": "PutReplicationConfiguration", "PutBucketReplication": "PutReplicationConfiguration",
		"GetBucketReplication": "GetReplicationConfiguration", "GetObjectAttributes": "GetObject",
		"PutBucketAccelerateConfiguration": "PutAccelerateConfiguration", "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
		"DeleteBucketAnalyticsConfiguration": "PutAnalyticsConfiguration", "PutBucketAnalyticsConfiguration": "PutAnalyticsConfiguration",
		"GetBucketAnalyticsConfiguration": "GetAnalyticsConfiguration", "ListBucketAnalyticsConfigurations": "GetAnalyticsConfiguration",
		"DeleteBucketMetricsConfiguration": "PutMetricsConfiguration", "PutBucketMetricsConfiguration": "PutMetricsConfiguration",
		"GetBucketMetricsConfiguration": "GetMetricsConfiguration", "ListBucketMetricsConfigurations": "GetMetricsConfiguration",
		"DeleteBucketInventoryConfiguration": "PutInventoryConfiguration", "PutBucketInventoryConfiguration": "PutInventoryConfiguration",
		"GetBucketInventoryConfiguration": "GetInventoryConfiguration", "ListBucketInventoryConfigurations": "GetInventoryConfiguration",
		"PutObjectLockConfiguration": "PutBucketObjectLockConfiguration", "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
		"PutObjectLegalHold": "PutObjectLegalHold", "SelectObjectContent": "GetObject",
	},
}

// resourceRules compute resource ARNs per service.
var resourceRules = map[string]func(op string, in kit.Input, env Env) []string{
	"s3": func(op string, in kit.Input, env Env) []string {
		b := in.Str("Bucket")
		if b == "" {
			return nil
		}
		if k := in.Str("Key"); k != "" {
			return []string{"arn:aws:s3:::" + b + "/" + k}
		}
		if op == "DeleteObjects" {
			// One check per key would need the Delete member; the
			// bucket's objects is what AWS checks per key.
			return []string{"arn:aws:s3:::" + b + "/*"}
		}
		return []string{"arn:aws:s3:::" + b}
	},
}

// contextRules add service-specific condition keys.
var contextRules = map[string]func(op string, in kit.Input) iam.Context{
	"s3": func(op string, in kit.Input) iam.Context {
		c := iam.Context{}
		switch op {
		case "ListObjects", "ListObjectsV2", "ListObjectVersions":
			// s3:prefix is present (possibly empty) on every listing, so
			// that conditions on it behave as on AWS.
			c["s3:prefix"] = []string{in.Str("Prefix")}
			c.Set("s3:delimiter", in.Str("Delimiter"))
			c.Set("s3:max-keys", in.Str("MaxKeys"))
		}
		c.Set("s3:x-amz-acl", in.Str("ACL"))
		c.Set("s3:versionid", in.Str("VersionId"))
		c.Set("s3:x-amz-server-side-encryption", in.Str("ServerSideEncryption"))
		c.Set("s3:x-amz-copy-source", in.Str("CopySource"))
		c.Set("s3:x-amz-storage-class", in.Str("StorageClass"))
		return c
	},
}

// extraChecks are second questions some operations ask: a copy reads its
// source as well as writing its target.
var extraChecks = map[string]func(op string, in kit.Input, env Env) []Check{
	"s3": func(op string, in kit.Input, env Env) []Check {
		if op != "CopyObject" && op != "UploadPartCopy" {
			return nil
		}
		src := in.Str("CopySource")
		if src == "" {
			return nil
		}
		if u, err := url.PathUnescape(src); err == nil {
			src = u
		}
		src = strings.TrimPrefix(src, "/")
		if i := strings.Index(src, "?versionId="); i >= 0 {
			src = src[:i]
		}
		return []Check{{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + src, Context: iam.Context{}}}
	},
}
