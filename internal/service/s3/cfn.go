package s3

import (
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are S3's CloudFormation resource types.
func (s *S3) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the bucket name; Fn::GetAtt Arn, DomainName,
		// RegionalDomainName, DualStackDomainName, WebsiteURL.
		"AWS::S3::Bucket": {Read: s.cfnReadBucket,
			Create: s.cfnCreateBucket, Update: s.cfnUpdateBucket, Delete: s.cfnDeleteBucket,
			Replace: []string{"BucketName", "ObjectLockEnabled"}, Tags: true,
		},
		// Ref is the bucket name.
		"AWS::S3::BucketPolicy": {
			Create: s.cfnPutBucketPolicy, Update: s.cfnPutBucketPolicy, Delete: s.cfnDeleteBucketPolicy,
			Replace: []string{"Bucket"},
		},
	}
}

func cfnBucketResult(ctx *request.Context, name string) kit.ResourceResult {
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{
		"Arn":                 "arn:aws:s3:::" + name,
		"DomainName":          name + ".s3.amazonaws.com",
		"RegionalDomainName":  name + ".s3." + ctx.Region + ".amazonaws.com",
		"DualStackDomainName": name + ".s3.dualstack." + ctx.Region + ".amazonaws.com",
		"WebsiteURL":          "http://" + name + ".s3-website-" + ctx.Region + ".amazonaws.com",
	}}
}

func (s *S3) cfnCreateBucket(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("BucketName")
	if name == "" {
		name = strings.ToLower(kit.PhysicalName(r, 63))
	}
	in := &s3api.CreateBucketInput{Bucket: &name}
	if ctx.Region != "us-east-1" {
		region := ctx.Region
		in.CreateBucketConfiguration = &s3api.CreateBucketConfiguration{LocationConstraint: &region}
	}
	if kit.PropBool(r.Properties, "ObjectLockEnabled") {
		t := true
		in.ObjectLockEnabledForBucket = &t
	}
	if own := kit.PropMap(r.Properties, "OwnershipControls"); own != nil {
		if rules, ok := own["Rules"].([]any); ok && len(rules) > 0 {
			if m, ok := rules[0].(map[string]any); ok {
				o := kit.PropStr(m, "ObjectOwnership")
				in.ObjectOwnership = &o
			}
		}
	}
	if _, err := s.CreateBucket(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnConfigureBucket(ctx, name, r.Properties, nil); err != nil {
		_, _ = s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: &name})
		return kit.ResourceResult{}, err
	}
	return cfnBucketResult(ctx, name), nil
}

// cfnConfigureBucket applies the bucket's configuration properties.
func (s *S3) cfnConfigureBucket(ctx *request.Context, name string, props, old map[string]any) error {
	if kit.Has(props, "VersioningConfiguration") {
		var vc s3api.VersioningConfiguration
		if err := kit.DecodeProp(props, "VersioningConfiguration", &vc); err != nil {
			return awserr.ValidationError.New("VersioningConfiguration: %v", err)
		}
		if _, err := s.PutBucketVersioning(ctx, &s3api.PutBucketVersioningInput{Bucket: &name, VersioningConfiguration: &vc}); err != nil {
			return err
		}
	}
	if kit.Has(props, "PublicAccessBlockConfiguration") {
		var pab s3api.PublicAccessBlockConfiguration
		if err := kit.DecodeProp(props, "PublicAccessBlockConfiguration", &pab); err != nil {
			return awserr.ValidationError.New("PublicAccessBlockConfiguration: %v", err)
		}
		if _, err := s.PutPublicAccessBlock(ctx, &s3api.PutPublicAccessBlockInput{Bucket: &name, PublicAccessBlockConfiguration: &pab}); err != nil {
			return err
		}
	}
	if kit.Has(props, "BucketEncryption") {
		rules, err := cfnEncryptionRules(props)
		if err != nil {
			return err
		}
		if _, err := s.PutBucketEncryption(ctx, &s3api.PutBucketEncryptionInput{Bucket: &name,
			ServerSideEncryptionConfiguration: &s3api.ServerSideEncryptionConfiguration{Rules: rules}}); err != nil {
			return err
		}
	} else if kit.Has(old, "BucketEncryption") {
		if _, err := s.DeleteBucketEncryption(ctx, &s3api.DeleteBucketEncryptionInput{Bucket: &name}); err != nil {
			return err
		}
	}
	if kit.Has(props, "LifecycleConfiguration") {
		rules, err := cfnLifecycleRules(props)
		if err != nil {
			return err
		}
		if _, err := s.PutBucketLifecycleConfiguration(ctx, &s3api.PutBucketLifecycleConfigurationInput{Bucket: &name,
			LifecycleConfiguration: &s3api.BucketLifecycleConfiguration{Rules: rules}}); err != nil {
			return err
		}
	} else if kit.Has(old, "LifecycleConfiguration") {
		if _, err := s.DeleteBucketLifecycle(ctx, &s3api.DeleteBucketLifecycleInput{Bucket: &name}); err != nil {
			return err
		}
	}
	tags := kit.PropTags(props)
	if len(tags) > 0 {
		var set []s3api.Tag
		for k, v := range tags {
			key, val := k, v
			set = append(set, s3api.Tag{Key: &key, Value: &val})
		}
		if _, err := s.PutBucketTagging(ctx, &s3api.PutBucketTaggingInput{Bucket: &name, Tagging: &s3api.Tagging{TagSet: set}}); err != nil {
			return err
		}
	} else if len(kit.PropTags(old)) > 0 {
		if _, err := s.DeleteBucketTagging(ctx, &s3api.DeleteBucketTaggingInput{Bucket: &name}); err != nil {
			return err
		}
	}
	return s.cfnBucketSettings(ctx, name, props, old)
}

func (s *S3) cfnUpdateBucket(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if err := s.cfnConfigureBucket(ctx, r.PhysicalID, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	return cfnBucketResult(ctx, r.PhysicalID), nil
}

func (s *S3) cfnDeleteBucket(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteBucket(ctx, &s3api.DeleteBucketInput{Bucket: &r.PhysicalID})
	if e := awserr.As(err); e != nil && e.Code.Code == "NoSuchBucket" {
		return nil
	}
	return err
}

func (s *S3) cfnPutBucketPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	bucket, doc := r.Str("Bucket"), kit.PropJSON(r.Properties, "PolicyDocument")
	if bucket == "" || doc == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Bucket, PolicyDocument] not found", r.LogicalID)
	}
	if _, err := s.PutBucketPolicy(ctx, &s3api.PutBucketPolicyInput{Bucket: &bucket, Policy: &doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: bucket}, nil
}

func (s *S3) cfnDeleteBucketPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	bucket := r.Str("Bucket")
	_, err := s.DeleteBucketPolicy(ctx, &s3api.DeleteBucketPolicyInput{Bucket: &bucket})
	if e := awserr.As(err); e != nil && e.Code.Code == "NoSuchBucket" {
		return nil
	}
	return err
}

// cfnEncryptionRules reads BucketEncryption, whose rules name their
// default ServerSideEncryptionByDefault where the API says
// ApplyServerSideEncryptionByDefault.
func cfnEncryptionRules(props map[string]any) ([]s3api.ServerSideEncryptionRule, error) {
	var enc struct {
		ServerSideEncryptionConfiguration []struct {
			ServerSideEncryptionByDefault *s3api.ServerSideEncryptionByDefault
			BucketKeyEnabled              *bool
		}
	}
	if err := kit.DecodeProp(props, "BucketEncryption", &enc); err != nil {
		return nil, awserr.ValidationError.New("BucketEncryption: %v", err)
	}
	rules := make([]s3api.ServerSideEncryptionRule, 0, len(enc.ServerSideEncryptionConfiguration))
	for _, r := range enc.ServerSideEncryptionConfiguration {
		rules = append(rules, s3api.ServerSideEncryptionRule{ApplyServerSideEncryptionByDefault: r.ServerSideEncryptionByDefault,
			BucketKeyEnabled: r.BucketKeyEnabled})
	}
	return rules, nil
}

// cfnLifecycleRule is a rule of LifecycleConfiguration as CloudFormation
// writes it: flat day counts and filters where the API nests them.
type cfnLifecycleRule struct {
	ID                                string `json:"Id"`
	Status                            string
	Prefix                            *string
	ExpirationInDays                  *int32
	ExpirationDate                    *time.Time
	ExpiredObjectDeleteMarker         *bool
	NoncurrentVersionExpirationInDays *int32
	NoncurrentVersionExpiration       *s3api.NoncurrentVersionExpiration
	AbortIncompleteMultipartUpload    *s3api.AbortIncompleteMultipartUpload
	ObjectSizeGreaterThan             *int64
	ObjectSizeLessThan                *int64
	TagFilters                        []s3api.Tag
	Transitions                       []struct {
		StorageClass     *string
		TransitionInDays *int32
		TransitionDate   *time.Time
	}
	NoncurrentVersionTransitions []struct {
		StorageClass            *string
		TransitionInDays        *int32
		NewerNoncurrentVersions *int32
	}
}

// cfnLifecycleRules reads LifecycleConfiguration into the API's rules.
func cfnLifecycleRules(props map[string]any) ([]s3api.LifecycleRule, error) {
	var lc struct{ Rules []cfnLifecycleRule }
	if err := kit.DecodeProp(props, "LifecycleConfiguration", &lc); err != nil {
		return nil, awserr.ValidationError.New("LifecycleConfiguration: %v", err)
	}
	out := make([]s3api.LifecycleRule, 0, len(lc.Rules))
	for _, r := range lc.Rules {
		rule := s3api.LifecycleRule{Status: ptr.To(r.Status), NoncurrentVersionExpiration: r.NoncurrentVersionExpiration,
			AbortIncompleteMultipartUpload: r.AbortIncompleteMultipartUpload}
		if r.ID != "" {
			rule.ID = ptr.To(r.ID)
		}
		if r.ExpirationInDays != nil || r.ExpirationDate != nil || r.ExpiredObjectDeleteMarker != nil {
			rule.Expiration = &s3api.LifecycleExpiration{Days: r.ExpirationInDays, Date: r.ExpirationDate, ExpiredObjectDeleteMarker: r.ExpiredObjectDeleteMarker}
		}
		if r.NoncurrentVersionExpirationInDays != nil && rule.NoncurrentVersionExpiration == nil {
			rule.NoncurrentVersionExpiration = &s3api.NoncurrentVersionExpiration{NoncurrentDays: r.NoncurrentVersionExpirationInDays}
		}
		for _, t := range r.Transitions {
			rule.Transitions = append(rule.Transitions, s3api.Transition{StorageClass: t.StorageClass, Days: t.TransitionInDays, Date: t.TransitionDate})
		}
		for _, t := range r.NoncurrentVersionTransitions {
			rule.NoncurrentVersionTransitions = append(rule.NoncurrentVersionTransitions, s3api.NoncurrentVersionTransition{StorageClass: t.StorageClass,
				NoncurrentDays: t.TransitionInDays, NewerNoncurrentVersions: t.NewerNoncurrentVersions})
		}
		// The filter: a prefix, one tag or size alone, or all of them
		// under And.
		f := &s3api.LifecycleRuleFilter{}
		n := len(r.TagFilters)
		for _, p := range []bool{r.Prefix != nil, r.ObjectSizeGreaterThan != nil, r.ObjectSizeLessThan != nil} {
			if p {
				n++
			}
		}
		switch {
		case n > 1:
			f.And = &s3api.LifecycleRuleAndOperator{Prefix: r.Prefix, Tags: r.TagFilters, ObjectSizeGreaterThan: r.ObjectSizeGreaterThan,
				ObjectSizeLessThan: r.ObjectSizeLessThan}
		case len(r.TagFilters) == 1:
			f.Tag = &r.TagFilters[0]
		default:
			f.Prefix, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan = r.Prefix, r.ObjectSizeGreaterThan, r.ObjectSizeLessThan
			if n == 0 {
				f.Prefix = ptr.To("")
			}
		}
		rule.Filter = f
		out = append(out, rule)
	}
	return out, nil
}

// cfnReadBucket reads a bucket's versioning and tags back for drift
// detection.
func (s *S3) cfnReadBucket(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	v, err := s.GetBucketVersioning(ctx, &s3api.GetBucketVersioningInput{Bucket: &r.PhysicalID})
	if e := awserr.As(err); e != nil && e.Code.Code == "NoSuchBucket" {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := map[string]any{"BucketName": r.PhysicalID, "VersioningConfiguration": nil}
	if v.Status != nil && *v.Status != "" {
		live["VersioningConfiguration"] = map[string]any{"Status": *v.Status}
	}
	tags, err := s.GetBucketTagging(ctx, &s3api.GetBucketTaggingInput{Bucket: &r.PhysicalID})
	var l []any
	if err == nil {
		for _, t := range tags.TagSet {
			l = append(l, map[string]any{"Key": cfnDeref(t.Key), "Value": cfnDeref(t.Value)})
		}
	} else if e := awserr.As(err); e == nil || e.Code.Code != "NoSuchTagSet" {
		return nil, err
	}
	live["Tags"] = l
	return live, nil
}

func cfnDeref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
