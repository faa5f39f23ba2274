package s3

import (
	"net/url"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is S3 as the platform sees it: buckets and objects are named
// by Bucket and Key, many operations need a differently named action,
// bucket policies are resource policies and ACLs may open a bucket to
// anonymous callers, object tags answer s3:ExistingObjectTag, object
// calls are CloudTrail data events, and the POST object form and the
// website endpoints are raw routes.
func (s *S3) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "s3",
		Authz: kit.Authz{
			Renames:         renames,
			Resources:       s.resources,
			Context:         s.contextKeys,
			Extra:           s.extraChecks,
			Policies:        s,
			AllowsAnonymous: true,
			ACLAllows:       s.ACLAllows,
			PerItem:         kit.Set("DeleteObjects"),
			RequestContext:  requestContext,
			Existence:       s.missingKey(),
			// The bucket is not the caller's yet: another account's
			// bucket of that name neither grants nor refuses the request
			// (S3 answers 409 BucketAlreadyExists).
			NewResource:  kit.Set("CreateBucket"),
			Precondition: s.precondition,
			// SigV2 and virtual-host buckets; refusals in S3's words.
			S3Signatures: true,
			// An anonymous caller learns nothing from a refusal.
			DenialMessage: func(req iam.Request, _ iam.Decision) (string, bool) {
				return "Access Denied", req.Principal.Anonymous
			},
		},
		// Object and part uploads stream; any path nothing else claims is
		// a path-style bucket or object, as is every virtual-host and
		// SigV2 query-signed request.
		Limits: kit.Limits{Streams: true},
		// Handlers check their input: S3's errors name each parameter.
		Validation: kit.Validation{Skip: true},
		Routing:    kit.Routing{CatchAll: true},
		// Buckets answer browsers from their own CORS configuration, and
		// every answered request is an access log line.
		CORS:    s.CORS,
		Observe: s.ObserveRequest,
		NotImplemented: kit.Reasons{}.
			Add("AWS ended BitTorrent support for new customers in 2024", "GetObjectTorrent").
			Add("S3 Object Lambda needs Object Lambda access points, which niwa does not have", "WriteGetObjectResponse").
			Add("directory buckets (S3 Express One Zone) are not modelled; RenameObject serves only them", "ListDirectoryBuckets", "RenameObject").
			Add("S3 Metadata writes its tables to S3 Tables (Apache Iceberg table buckets), which niwa does not have",
				"CreateBucketMetadataConfiguration", "CreateBucketMetadataTableConfiguration", "DeleteBucketMetadataConfiguration",
				"DeleteBucketMetadataTableConfiguration", "GetBucketMetadataConfiguration", "GetBucketMetadataTableConfiguration",
				"UpdateBucketMetadataAnnotationTableConfiguration", "UpdateBucketMetadataInventoryTableConfiguration",
				"UpdateBucketMetadataJournalTableConfiguration").
			Add("deprecated: the same request as the ...Configuration operation, which answers it",
				"GetBucketLifecycle", "PutBucketLifecycle", "GetBucketNotification", "PutBucketNotification"),
		Audit: kit.Audit{
			DataEvents:  dataEvents,
			MemberNames: map[string]string{"Bucket": "bucketName"},
		},
		Tags:    kit.TagLookup(s.resourceTags),
		TagKeys: tagKeys,
		Routes: []kit.Route{
			{Name: "s3-post-object", Match: s.MatchPostObject, Handler: s.PostObjectHandler()},
			{Name: "s3-website", Match: s.MatchWebsite, Handler: s.WebsiteHandler()},
		},
		// The bucket cache's records are of the store Reset emptied.
		Reset: func() error {
			s.resetBuckets()
			return nil
		},
		Close: func() error {
			s.StopLifecycle()
			return s.Close()
		},
	}
}

// renames are operations whose IAM action is not the operation name
// (Service Authorization Reference).
var renames = map[string]string{
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
	"PutBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration", "DeleteBucketIntelligentTieringConfiguration": "PutIntelligentTieringConfiguration",
	"GetBucketIntelligentTieringConfiguration": "GetIntelligentTieringConfiguration", "ListBucketIntelligentTieringConfigurations": "GetIntelligentTieringConfiguration",
}

// dataEvents are the object-level operations CloudTrail records as data
// events.
var dataEvents = kit.Set("AbortMultipartUpload", "CompleteMultipartUpload", "CopyObject", "CreateMultipartUpload",
	"DeleteObject", "DeleteObjectTagging", "DeleteObjects", "GetObject", "GetObjectAcl", "GetObjectAttributes",
	"GetObjectLegalHold", "GetObjectLockConfiguration", "GetObjectRetention", "GetObjectTagging", "GetObjectTorrent",
	"HeadObject", "ListMultipartUploads", "ListObjectVersions", "ListObjects", "ListObjectsV2", "ListParts",
	"PutObject", "PutObjectAcl", "PutObjectLegalHold", "PutObjectLockConfiguration", "PutObjectRetention",
	"PutObjectTagging", "RestoreObject", "SelectObjectContent", "UploadPart", "UploadPartCopy", "WriteGetObjectResponse")

func (s *S3) resources(op string, in kit.Input, env kit.Env) []string {
	x := s.input(in)
	b := x.str(mBucket)
	if b == "" {
		return nil
	}
	if k := x.str(mKey); k != "" {
		return []string{"arn:aws:s3:::" + b + "/" + k}
	}
	if op == "DeleteObjects" {
		return deleteObjectsResources(in, b)
	}
	return []string{"arn:aws:s3:::" + b}
}

// listings carry s3:prefix, s3:delimiter and s3:max-keys.
var listings = kit.Set("ListObjects", "ListObjectsV2", "ListObjectVersions")

// contextKeys are the condition keys S3 reads from an input; nil when it
// carries none.
func (s *S3) contextKeys(op string, in kit.Input) iam.Context {
	x := s.input(in)
	var c iam.Context
	if listings[op] {
		// s3:prefix is present (possibly empty) on every listing, so that
		// conditions on it behave as on AWS.
		c = iam.Context{"s3:prefix": {x.str(mPrefix)}}
		c.Set("s3:delimiter", x.str(mDelimiter))
		c.Set("s3:max-keys", x.str(mMaxKeys))
	}
	setKey(&c, "s3:x-amz-acl", x.str(mACL))
	setKey(&c, "s3:versionid", x.str(mVersionID))
	setKey(&c, "s3:x-amz-server-side-encryption", x.str(mSSE))
	setKey(&c, "s3:x-amz-copy-source", x.str(mCopySource))
	setKey(&c, "s3:x-amz-storage-class", x.str(mStorageClass))
	inputContext(op, x, &c)
	return c
}

// extraChecks are S3's second questions: bypassing GOVERNANCE retention
// needs its own permission besides the operation's (S3 User Guide,
// Object Lock; S3 refuses the whole request without it);
// GetObjectAttributes needs s3:GetObjectAttributes besides s3:GetObject
// (S3 API Reference); a copy reads its source as well as writing its
// target.
func (s *S3) extraChecks(op string, in kit.Input, env kit.Env) []kit.Check {
	x := s.input(in)
	if x.bool(mBypassGovernance) {
		res := s.resources(op, in, env)
		checks := make([]kit.Check, 0, len(res))
		for _, r := range res {
			checks = append(checks, kit.Check{Action: "s3:BypassGovernanceRetention", Resource: r, Context: iam.Context{}})
		}
		return checks
	}
	if op == "GetObjectAttributes" || op == "UpdateObjectEncryption" {
		// UpdateObjectEncryption needs s3:PutObject besides its own action.
		action := map[string]string{"GetObjectAttributes": "s3:GetObjectAttributes", "UpdateObjectEncryption": "s3:PutObject"}[op]
		if b, k := x.str(mBucket), x.str(mKey); b != "" && k != "" {
			return []kit.Check{{Action: action, Resource: "arn:aws:s3:::" + b + "/" + k, Context: iam.Context{}}}
		}
		return nil
	}
	if op != "CopyObject" && op != "UploadPartCopy" {
		return nil
	}
	src := x.str(mCopySource)
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
	return []kit.Check{{Action: "s3:GetObject", Resource: "arn:aws:s3:::" + src, Context: iam.Context{}}}
}

// tagKeys: objects answer s3:ExistingObjectTag/<key>; buckets nothing,
// as AWS uses bucket tags for authorization only on buckets whose ABAC
// was enabled with PutBucketAbac, which niwa does not serve.
func tagKeys(resource string) []string {
	if strings.Contains(strings.TrimPrefix(resource, "arn:aws:s3:::"), "/") {
		return []string{"s3:existingobjecttag/"}
	}
	return nil
}

// resourceTags gives object tags (s3:ExistingObjectTag/<key>) only:
// bucket tags take part in authorization on AWS only for buckets with
// ABAC enabled.
func (s *S3) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	rest, ok := strings.CutPrefix(arn, "arn:aws:s3:::")
	if !ok {
		return nil, false, nil
	}
	bucket, key, ok := strings.Cut(rest, "/")
	if !ok || key == "" || strings.ContainsAny(key, "*?") {
		return nil, false, nil
	}
	out, err := s.GetObjectTagging(ctx, &s3api.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		return kit.NotFound(err)
	}
	return kit.TagMap(out.TagSet, func(t s3api.Tag) (*string, *string) { return t.Key, t.Value }), true, nil
}
