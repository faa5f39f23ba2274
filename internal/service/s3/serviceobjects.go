package s3

import (
	"context"
	"io"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/iam"
	objstore "github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Objects other services read and write (objects.Store): CloudWatch Logs
// export tasks write as logs.amazonaws.com, DynamoDB exports and imports
// act for their caller. S3 checks the bucket policy as AWS documents for
// each (docs/logs.md, docs/dynamodb.md) and stores through the writer
// access logs and inventory reports use.

// serviceAccess reads the bucket and checks that p may perform every
// action on it (object actions on prefix*).
func (s *S3) serviceAccess(bucket, prefix string, p objstore.Principal, actions ...string) (bucketRecord, error) {
	var b bucketRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		b, err = getBucket(tx, bucket)
		return err
	})
	if err != nil {
		if s3api.ErrNoSuchBucket.Is(err) {
			return b, objstore.ErrNoSuchBucket
		}
		return b, err
	}
	for _, a := range actions {
		resource := "arn:aws:s3:::" + bucket
		if a != "s3:GetBucketAcl" && a != "s3:ListBucket" {
			resource += "/" + prefix + "*"
		}
		if !servicePolicyAllows(b, a, resource, p) {
			return b, objstore.ErrAccessDenied
		}
	}
	return b, nil
}

// servicePolicyAllows decides one action. A service principal needs the
// bucket policy (AWS: "logs.amazonaws.com" or its regional form
// "logs.<region>.amazonaws.com"), with the aws:SourceAccount and
// aws:SourceArn it acts for, and a write carries the
// bucket-owner-full-control ACL the documented policy requires. A caller
// of the bucket's own account is the bucket owner's principal (refused
// only by an explicit Deny; its identity policies are not evaluated
// here); one of another account needs the bucket policy.
func servicePolicyAllows(b bucketRecord, action, resource string, p objstore.Principal) bool {
	own := p.Service == "" && p.CallerAccount == b.Account
	if b.Policy == "" {
		return own
	}
	pol, err := iam.Parse(b.Policy)
	if err != nil {
		return own
	}
	c := iam.Context{}
	if p.SourceAccount != "" {
		c.Set("aws:SourceAccount", p.SourceAccount)
	}
	if p.SourceARN != "" {
		c.Set("aws:SourceArn", p.SourceARN)
	}
	if action == "s3:PutObject" {
		c.Set("s3:x-amz-acl", "bucket-owner-full-control")
	}
	var principals []iam.Principal
	if p.Service != "" {
		principals = append(principals, iam.Principal{Service: p.Service})
		if name, ok := strings.CutSuffix(p.Service, ".amazonaws.com"); ok && p.Region != "" {
			principals = append(principals, iam.Principal{Service: name + "." + p.Region + ".amazonaws.com"})
		}
	} else {
		principals = append(principals, iam.Principal{ARN: p.CallerARN, Account: p.CallerAccount})
	}
	for _, pr := range principals {
		ok, matches := iam.ResourceAllows(pol, iam.Request{Principal: pr, Action: action, Resource: resource, Context: c})
		if ok {
			return true
		}
		if own && len(matches) > 0 {
			return false // an explicit Deny binds the owner's principals too
		}
	}
	return own
}

// CheckObjectAccess implements objects.Store.
func (s *S3) CheckObjectAccess(_ context.Context, bucket, prefix string, p objstore.Principal, actions ...string) (string, string, error) {
	b, err := s.serviceAccess(bucket, prefix, p, actions...)
	return b.Region, b.Account, err
}

// PutServiceObject implements objects.Store: the object is the bucket
// owner's, SSE-S3 encrypted, like every object S3 services write.
func (s *S3) PutServiceObject(_ context.Context, bucket, key string, body []byte, p objstore.Principal) error {
	if _, err := s.serviceAccess(bucket, key, p, "s3:PutObject"); err != nil {
		return err
	}
	return s.writeServiceObject(bucket, key, "application/octet-stream", body, s.clock.Now())
}

// PutServiceObjectWith implements objects.OptionsWriter: PutServiceObject
// with a content type and user metadata.
func (s *S3) PutServiceObjectWith(_ context.Context, bucket, key string, body []byte, p objstore.Principal, o objstore.PutOptions) error {
	if _, err := s.serviceAccess(bucket, key, p, "s3:PutObject"); err != nil {
		return err
	}
	ct := o.ContentType
	if ct == "" {
		ct = "application/octet-stream"
	}
	var meta map[string]string
	if len(o.Metadata) > 0 {
		meta = make(map[string]string, len(o.Metadata))
		for k, v := range o.Metadata {
			meta[strings.ToLower(k)] = v
		}
	}
	if o.KMS != nil {
		return s.writeServiceObjectSealed(bucket, key, ct, meta, body, s.clock.Now(), o.KMS)
	}
	return s.writeServiceObjectMeta(bucket, key, ct, meta, body, s.clock.Now())
}

// ListServiceObjects implements objects.Store.
func (s *S3) ListServiceObjects(_ context.Context, bucket, prefix string, p objstore.Principal) ([]objstore.Object, error) {
	if _, err := s.serviceAccess(bucket, prefix, p, "s3:ListBucket"); err != nil {
		return nil, err
	}
	var out []objstore.Object
	err := s.store.View(func(tx storage.Tx) error {
		return objects.List(tx, globalScope(), []string{bucket}, storage.ListOptions{Partial: prefix}, func(_ []string, o objectRecord) bool {
			if !o.DeleteMarker {
				out = append(out, objstore.Object{Key: o.Key, Size: o.Size})
			}
			return true
		})
	})
	return out, err
}

// OpenServiceObject implements objects.Store.
func (s *S3) OpenServiceObject(ctx context.Context, bucket, key string, p objstore.Principal) (io.ReadCloser, int64, error) {
	if _, err := s.serviceAccess(bucket, key, p, "s3:GetObject"); err != nil {
		return nil, 0, err
	}
	rc, n, err := s.OpenObject(ctx, bucket, key, "")
	if err != nil {
		if s3api.ErrNoSuchKey.Is(err) {
			return nil, 0, objstore.ErrNoSuchKey
		}
		return nil, 0, err
	}
	if n > objstore.MaxObjectSize {
		_ = rc.Close()
		return nil, 0, objstore.ErrTooLarge
	}
	return rc, n, nil
}
