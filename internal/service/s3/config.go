package s3

import (
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// This file holds the bucket sub-resources that are stored and served
// back as given: versioning, tagging, CORS, website, logging, encryption,
// lifecycle, ownership controls, public access block, accelerate and
// request payment.

func (s *S3) PutBucketVersioning(ctx *request.Context, in *s3api.PutBucketVersioningInput) (*s3api.PutBucketVersioningOutput, error) {
	vc := in.VersioningConfiguration
	if vc == nil {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	status := ptr.Deref(vc.Status)
	if status != "Enabled" && status != "Suspended" {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	err := s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		if b.ObjectLock && status == "Suspended" {
			return errInvalidBucketStateCode.New("An Object Lock configuration is present on this bucket, so the versioning state cannot be changed.")
		}
		b.Versioning = status
		if vc.MFADelete != nil {
			b.MFADelete = *vc.MFADelete
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketVersioningOutput{}, nil
}

func (s *S3) GetBucketVersioning(ctx *request.Context, in *s3api.GetBucketVersioningInput) (*s3api.GetBucketVersioningOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	out := &s3api.GetBucketVersioningOutput{}
	if b.Versioning != "" {
		out.Status = ptr.To(b.Versioning)
	}
	if b.MFADelete != "" {
		out.MFADelete = ptr.To(b.MFADelete)
	}
	return out, nil
}

// checkTags applies S3's tag rules to a bucket or object tag set.
func checkTags(tags []s3api.Tag, max int) error {
	if len(tags) > max {
		return errInvalidTag.New("Object tags cannot be greater than %d", max)
	}
	seen := map[string]bool{}
	for _, t := range tags {
		k := ptr.Deref(t.Key)
		if seen[k] {
			return errInvalidTag.New("Cannot provide multiple Tags with the same key")
		}
		seen[k] = true
		if len(k) == 0 || len(k) > 128 {
			return errInvalidTag.New("The TagKey you have provided is invalid")
		}
		if len(ptr.Deref(t.Value)) > 256 {
			return errInvalidTag.New("The TagValue you have provided is invalid")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalidTag.New("System tags cannot be added/updated by requester")
		}
	}
	return nil
}

func (s *S3) PutBucketTagging(ctx *request.Context, in *s3api.PutBucketTaggingInput) (*s3api.PutBucketTaggingOutput, error) {
	if in.Tagging == nil {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	if err := checkTags(in.Tagging.TagSet, 50); err != nil {
		return nil, err
	}
	err := s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Tags = in.Tagging.TagSet
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketTaggingOutput{}, nil
}

func (s *S3) GetBucketTagging(ctx *request.Context, in *s3api.GetBucketTaggingInput) (*s3api.GetBucketTaggingOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if len(b.Tags) == 0 {
		return nil, errNoSuchTagSet.New("The TagSet does not exist").With("BucketName", b.Name)
	}
	return &s3api.GetBucketTaggingOutput{TagSet: b.Tags}, nil
}

func (s *S3) DeleteBucketTagging(ctx *request.Context, in *s3api.DeleteBucketTaggingInput) (*s3api.DeleteBucketTaggingOutput, error) {
	return &s3api.DeleteBucketTaggingOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Tags = nil
		return nil
	})
}

func (s *S3) PutBucketCors(ctx *request.Context, in *s3api.PutBucketCorsInput) (*s3api.PutBucketCorsOutput, error) {
	cfg := in.CORSConfiguration
	if cfg == nil || len(cfg.CORSRules) == 0 {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	if len(cfg.CORSRules) > 100 {
		return nil, errInvalidRequest.New("The number of CORS rules should not exceed allowed limit of 100 rules.")
	}
	for _, r := range cfg.CORSRules {
		for _, m := range r.AllowedMethods {
			switch m {
			case "GET", "PUT", "POST", "DELETE", "HEAD":
			default:
				return nil, errInvalidRequest.New("Found unsupported HTTP method in CORS config. Unsupported method is %s", m)
			}
		}
		for _, o := range r.AllowedOrigins {
			if strings.Count(o, "*") > 1 {
				return nil, errInvalidRequest.New("AllowedOrigin \"%s\" can not have more than one wildcard.", o)
			}
		}
	}
	return &s3api.PutBucketCorsOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.CORS = cfg
		return nil
	})
}

func (s *S3) GetBucketCors(ctx *request.Context, in *s3api.GetBucketCorsInput) (*s3api.GetBucketCorsOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.CORS == nil {
		return nil, errNoSuchCORS.New("The CORS configuration does not exist").With("BucketName", b.Name)
	}
	return &s3api.GetBucketCorsOutput{CORSRules: b.CORS.CORSRules}, nil
}

func (s *S3) DeleteBucketCors(ctx *request.Context, in *s3api.DeleteBucketCorsInput) (*s3api.DeleteBucketCorsOutput, error) {
	return &s3api.DeleteBucketCorsOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.CORS = nil
		return nil
	})
}

func (s *S3) PutBucketWebsite(ctx *request.Context, in *s3api.PutBucketWebsiteInput) (*s3api.PutBucketWebsiteOutput, error) {
	w := in.WebsiteConfiguration
	if w == nil {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	if w.RedirectAllRequestsTo != nil {
		if w.IndexDocument != nil || w.ErrorDocument != nil || len(w.RoutingRules) > 0 {
			return nil, errInvalidRequest.New("RedirectAllRequestsTo cannot be provided in conjunction with other Routing Rules.")
		}
		if ptr.Deref(w.RedirectAllRequestsTo.HostName) == "" {
			return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
		}
	} else {
		if w.IndexDocument == nil {
			return nil, errInvalidArgument.New("A value for IndexDocument Suffix must be provided if RedirectAllRequestsTo is empty")
		}
		suf := ptr.Deref(w.IndexDocument.Suffix)
		if suf == "" || strings.Contains(suf, "/") {
			return nil, errInvalidArgument.New("The IndexDocument Suffix is not well formed").With("ArgumentName", "IndexDocument").With("ArgumentValue", suf)
		}
	}
	for _, r := range w.RoutingRules {
		if r.Redirect == nil {
			return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
		}
		if r.Redirect.ReplaceKeyWith != nil && r.Redirect.ReplaceKeyPrefixWith != nil {
			return nil, errInvalidRequest.New("You can only define ReplaceKeyPrefix or ReplaceKey but not both.")
		}
	}
	return &s3api.PutBucketWebsiteOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Website = w
		return nil
	})
}

func (s *S3) GetBucketWebsite(ctx *request.Context, in *s3api.GetBucketWebsiteInput) (*s3api.GetBucketWebsiteOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Website == nil {
		return nil, errNoSuchWebsite.New("The specified bucket does not have a website configuration").With("BucketName", b.Name)
	}
	w := b.Website
	return &s3api.GetBucketWebsiteOutput{RedirectAllRequestsTo: w.RedirectAllRequestsTo, IndexDocument: w.IndexDocument, ErrorDocument: w.ErrorDocument, RoutingRules: w.RoutingRules}, nil
}

func (s *S3) DeleteBucketWebsite(ctx *request.Context, in *s3api.DeleteBucketWebsiteInput) (*s3api.DeleteBucketWebsiteOutput, error) {
	return &s3api.DeleteBucketWebsiteOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Website = nil
		return nil
	})
}

func (s *S3) PutBucketLogging(ctx *request.Context, in *s3api.PutBucketLoggingInput) (*s3api.PutBucketLoggingOutput, error) {
	if in.BucketLoggingStatus == nil {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	le := in.BucketLoggingStatus.LoggingEnabled
	src, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if le != nil {
		target := ptr.Deref(le.TargetBucket)
		tb, err := s.bucket(target)
		if err != nil {
			return nil, errInvalidTargetBucket.New("The target bucket for logging does not exist").With("TargetBucket", target)
		}
		if tb.Account != src.Account {
			return nil, errInvalidTargetBucket.New("The owner for the bucket to be logged and the target bucket must be the same.").With("TargetBucket", target)
		}
		if tb.Region != src.Region {
			return nil, errAccessDenied.New("The target bucket for logging must be in the same region as the source bucket.")
		}
		if le.TargetPrefix == nil {
			le.TargetPrefix = ptr.To("")
		}
	}
	return &s3api.PutBucketLoggingOutput{}, s.updateBucket(src.Name, func(b *bucketRecord) error {
		b.Logging = le
		return nil
	})
}

func (s *S3) GetBucketLogging(ctx *request.Context, in *s3api.GetBucketLoggingInput) (*s3api.GetBucketLoggingOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketLoggingOutput{LoggingEnabled: b.Logging}, nil
}

func (s *S3) PutBucketEncryption(ctx *request.Context, in *s3api.PutBucketEncryptionInput) (*s3api.PutBucketEncryptionOutput, error) {
	cfg := in.ServerSideEncryptionConfiguration
	if cfg == nil || len(cfg.Rules) == 0 {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	for _, r := range cfg.Rules {
		if r.ApplyServerSideEncryptionByDefault == nil {
			continue
		}
		alg := ptr.Deref(r.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
		if alg != "AES256" && alg != "aws:kms" && alg != "aws:kms:dsse" {
			return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
		}
		if alg == "AES256" && r.ApplyServerSideEncryptionByDefault.KMSMasterKeyID != nil {
			return nil, errInvalidArgument.New("a KMSMasterKeyID is not applicable if the default sse algorithm is not aws:kms or aws:kms:dsse")
		}
	}
	return &s3api.PutBucketEncryptionOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Encryption = cfg
		return nil
	})
}

// defaultEncryption is the bucket's default encryption: SSE-S3 when none
// was configured, as S3 encrypts every new object since January 2023.
func defaultEncryption(b bucketRecord) *s3api.ServerSideEncryptionConfiguration {
	if b.Encryption != nil {
		return b.Encryption
	}
	return &s3api.ServerSideEncryptionConfiguration{Rules: []s3api.ServerSideEncryptionRule{{
		ApplyServerSideEncryptionByDefault: &s3api.ServerSideEncryptionByDefault{SSEAlgorithm: ptr.To("AES256")},
		BucketKeyEnabled:                   ptr.To(false),
	}}}
}

func (s *S3) GetBucketEncryption(ctx *request.Context, in *s3api.GetBucketEncryptionInput) (*s3api.GetBucketEncryptionOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketEncryptionOutput{ServerSideEncryptionConfiguration: defaultEncryption(b)}, nil
}

func (s *S3) DeleteBucketEncryption(ctx *request.Context, in *s3api.DeleteBucketEncryptionInput) (*s3api.DeleteBucketEncryptionOutput, error) {
	return &s3api.DeleteBucketEncryptionOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Encryption = nil
		return nil
	})
}

// maxLifecycleRules is S3's limit on rules in one lifecycle configuration.
const maxLifecycleRules = 1000

// maxLifecycleRuleID is the longest rule ID S3 accepts.
const maxLifecycleRuleID = 255

func (s *S3) PutBucketLifecycleConfiguration(ctx *request.Context, in *s3api.PutBucketLifecycleConfigurationInput) (*s3api.PutBucketLifecycleConfigurationOutput, error) {
	cfg := in.LifecycleConfiguration
	// S3 allows at most 1,000 lifecycle rules per bucket and answers more
	// as a configuration that does not validate against its schema.
	if cfg == nil || len(cfg.Rules) == 0 || len(cfg.Rules) > maxLifecycleRules {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	ids := map[string]bool{}
	for _, r := range cfg.Rules {
		st := ptr.Deref(r.Status)
		if st != "Enabled" && st != "Disabled" {
			return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
		}
		if len(ptr.Deref(r.ID)) > maxLifecycleRuleID {
			return nil, errInvalidArgument.New("ID length should not exceed allowed limit of 255").
				With("ArgumentName", "ID").With("ArgumentValue", ptr.Deref(r.ID))
		}
		// Date-based actions take effect at midnight UTC; S3 refuses
		// other times of day.
		dates := []*time.Time{}
		if r.Expiration != nil {
			dates = append(dates, r.Expiration.Date)
		}
		for _, tr := range r.Transitions {
			dates = append(dates, tr.Date)
		}
		for _, d := range dates {
			if d != nil && !d.UTC().Equal(d.UTC().Truncate(24*time.Hour)) {
				return nil, errInvalidArgument.New("'Date' must be at midnight GMT").
					With("ArgumentName", "Date").With("ArgumentValue", d.UTC().Format(time.RFC3339))
			}
		}
		if id := ptr.Deref(r.ID); id != "" {
			if ids[id] {
				return nil, errInvalidArgument.New("Rule ID must be unique. Found same ID for more than one rule")
			}
			ids[id] = true
		}
		if r.Expiration != nil && r.Expiration.Days != nil && *r.Expiration.Days <= 0 {
			return nil, errInvalidArgument.New("'Days' for Expiration action must be a positive integer")
		}
	}
	return &s3api.PutBucketLifecycleConfigurationOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Lifecycle = cfg
		return nil
	})
}

func (s *S3) GetBucketLifecycleConfiguration(ctx *request.Context, in *s3api.GetBucketLifecycleConfigurationInput) (*s3api.GetBucketLifecycleConfigurationOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Lifecycle == nil {
		return nil, errNoSuchLifecycle.New("The lifecycle configuration does not exist").With("BucketName", b.Name)
	}
	return &s3api.GetBucketLifecycleConfigurationOutput{Rules: b.Lifecycle.Rules}, nil
}

func (s *S3) DeleteBucketLifecycle(ctx *request.Context, in *s3api.DeleteBucketLifecycleInput) (*s3api.DeleteBucketLifecycleOutput, error) {
	return &s3api.DeleteBucketLifecycleOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Lifecycle = nil
		return nil
	})
}

func (s *S3) PutBucketOwnershipControls(ctx *request.Context, in *s3api.PutBucketOwnershipControlsInput) (*s3api.PutBucketOwnershipControlsOutput, error) {
	oc := in.OwnershipControls
	if oc == nil || len(oc.Rules) != 1 {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	return &s3api.PutBucketOwnershipControlsOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		if ptr.Deref(oc.Rules[0].ObjectOwnership) == "BucketOwnerEnforced" && !isPrivateACL(b.ACL, b.Account) {
			// Enforcing would silently drop the grants the ACL makes.
			return errACLWithEnforced()
		}
		b.Ownership = oc
		return nil
	})
}

func (s *S3) GetBucketOwnershipControls(ctx *request.Context, in *s3api.GetBucketOwnershipControlsInput) (*s3api.GetBucketOwnershipControlsOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.Ownership == nil {
		return nil, errNoSuchOwnership.New("The bucket ownership controls were not found").With("BucketName", b.Name)
	}
	return &s3api.GetBucketOwnershipControlsOutput{OwnershipControls: b.Ownership}, nil
}

func (s *S3) DeleteBucketOwnershipControls(ctx *request.Context, in *s3api.DeleteBucketOwnershipControlsInput) (*s3api.DeleteBucketOwnershipControlsOutput, error) {
	return &s3api.DeleteBucketOwnershipControlsOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Ownership = nil
		return nil
	})
}

func (s *S3) PutPublicAccessBlock(ctx *request.Context, in *s3api.PutPublicAccessBlockInput) (*s3api.PutPublicAccessBlockOutput, error) {
	if in.PublicAccessBlockConfiguration == nil {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	return &s3api.PutPublicAccessBlockOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.PublicAccessBlock = in.PublicAccessBlockConfiguration
		return nil
	})
}

func (s *S3) GetPublicAccessBlock(ctx *request.Context, in *s3api.GetPublicAccessBlockInput) (*s3api.GetPublicAccessBlockOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if b.PublicAccessBlock == nil {
		return nil, errNoSuchPAB.New("The public access block configuration was not found").With("BucketName", b.Name)
	}
	return &s3api.GetPublicAccessBlockOutput{PublicAccessBlockConfiguration: b.PublicAccessBlock}, nil
}

func (s *S3) DeletePublicAccessBlock(ctx *request.Context, in *s3api.DeletePublicAccessBlockInput) (*s3api.DeletePublicAccessBlockOutput, error) {
	return &s3api.DeletePublicAccessBlockOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.PublicAccessBlock = nil
		return nil
	})
}

func (s *S3) GetBucketAccelerateConfiguration(ctx *request.Context, in *s3api.GetBucketAccelerateConfigurationInput) (*s3api.GetBucketAccelerateConfigurationOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	out := &s3api.GetBucketAccelerateConfigurationOutput{}
	if b.Accelerate != "" {
		out.Status = ptr.To(b.Accelerate)
	}
	return out, nil
}

func (s *S3) GetBucketRequestPayment(ctx *request.Context, in *s3api.GetBucketRequestPaymentInput) (*s3api.GetBucketRequestPaymentOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	payer := b.RequestPayer
	if payer == "" {
		payer = "BucketOwner"
	}
	return &s3api.GetBucketRequestPaymentOutput{Payer: ptr.To(payer)}, nil
}
