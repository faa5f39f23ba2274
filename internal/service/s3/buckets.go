package s3

import (
	"encoding/base64"
	"errors"
	"net"
	"sort"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// validBucketName applies S3's general purpose bucket naming rules.
func validBucketName(name string) bool {
	if len(name) < 3 || len(name) > 63 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case c == '.' || c == '-':
			if i == 0 || i == len(name)-1 {
				return false
			}
		default:
			return false
		}
	}
	if strings.Contains(name, "..") || strings.Contains(name, ".-") || strings.Contains(name, "-.") {
		return false
	}
	// Prefixes and suffixes S3 reserves (S3 User Guide, "General purpose
	// bucket naming rules").
	if net.ParseIP(name) != nil || strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-") ||
		strings.HasSuffix(name, "-s3alias") || strings.HasSuffix(name, "--ol-s3") || strings.HasSuffix(name, ".mrap") {
		return false
	}
	return true
}

// getBucket reads a bucket or answers NoSuchBucket.
func getBucket(tx storage.Tx, name string) (bucketRecord, error) {
	b, ok, err := buckets.Get(tx, globalScope(), name)
	if err != nil {
		return b, err
	}
	if !ok {
		return b, noSuchBucket(name)
	}
	return b, nil
}

// bucket reads a bucket through the bucket cache (several hooks and
// handlers of one request read it; bucketcache.go), or answers
// NoSuchBucket: the record's slices, maps and pointers are shared, so
// callers may replace its fields but must not modify what they
// reference. Changes go through updateBucket, which decodes its own copy.
func (s *S3) bucket(name string) (bucketRecord, error) {
	b, ok, err := s.lookupBucket(name)
	if err == nil && !ok {
		err = noSuchBucket(name)
	}
	return b, err
}

// updateBucket changes a bucket's record atomically.
func (s *S3) updateBucket(name string, fn func(b *bucketRecord) error) error {
	return s.updateBuckets(func(tx storage.Tx) error {
		b, err := getBucket(tx, name)
		if err != nil {
			return err
		}
		if err := fn(&b); err != nil {
			return err
		}
		return buckets.Put(tx, globalScope(), b, name)
	})
}

func (s *S3) CreateBucket(ctx *request.Context, in *s3api.CreateBucketInput) (*s3api.CreateBucketOutput, error) {
	name := ptr.Deref(in.Bucket)
	if err := checkNotDirectoryBucket(name); err != nil {
		return nil, err
	}
	if !validBucketName(name) {
		return nil, errInvalidBucketName.New("The specified bucket is not valid.").With("BucketName", name)
	}
	var constraint string
	if in.CreateBucketConfiguration != nil {
		constraint = ptr.Deref(in.CreateBucketConfiguration.LocationConstraint)
	}
	region := ctx.Region
	switch {
	case constraint == "" && region != "us-east-1":
		return nil, errIllegalLocation.New("The unspecified location constraint is incompatible for the region specific endpoint this request was sent to.")
	case constraint == "us-east-1":
		return nil, errInvalidLocation.New("The specified location-constraint is not valid").With("LocationConstraint", constraint)
	case constraint == "EU" && region == "eu-west-1":
	case constraint != "" && region == "us-east-1":
		// The global endpoint (signed for us-east-1) creates a bucket in
		// any region its LocationConstraint names (S3 API Reference,
		// CreateBucket); the model's enum has already vetted the name.
		region = constraint
		if region == "EU" {
			region = "eu-west-1"
		}
	case constraint != "" && constraint != region:
		return nil, errIllegalLocation.New("The %s location constraint is incompatible for the region specific endpoint this request was sent to.", constraint)
	}
	if err := checkNamespace(ptr.Deref(in.BucketNamespace), name, ctx.Account, region); err != nil {
		return nil, err
	}
	if in.ACL != nil {
		if _, err := cannedACL(*in.ACL, ctx.Account, true); err != nil {
			return nil, err
		}
	}
	rec := bucketRecord{Name: name, Account: ctx.Account, Region: region, Created: ctx.Now().UTC().Truncate(1e9)}
	if in.ObjectLockEnabledForBucket != nil && *in.ObjectLockEnabledForBucket {
		rec.ObjectLock = true
		rec.Versioning = "Enabled"
	}
	own := "BucketOwnerEnforced"
	if in.ObjectOwnership != nil {
		own = *in.ObjectOwnership
	}
	rec.Ownership = &s3api.OwnershipControls{Rules: []s3api.OwnershipControlsRule{{ObjectOwnership: &own}}}
	acl, err := aclFromRequest(ctx.Account, in.ACL, grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}, nil, true)
	if err != nil {
		return nil, err
	}
	if own == "BucketOwnerEnforced" && !isPrivateACL(acl, ctx.Account) {
		return nil, errACLWithEnforced()
	}
	rec.ACL = acl
	rec.PublicAccessBlock = &s3api.PublicAccessBlockConfiguration{
		BlockPublicAcls: ptr.To(true), IgnorePublicAcls: ptr.To(true), BlockPublicPolicy: ptr.To(true), RestrictPublicBuckets: ptr.To(true),
	}
	err = s.updateBuckets(func(tx storage.Tx) error {
		old, ok, err := buckets.Get(tx, globalScope(), name)
		if err != nil {
			return err
		}
		if ok {
			if old.Account == ctx.Account {
				if region == "us-east-1" && old.Region == "us-east-1" {
					return errLegacyOK // us-east-1 answers 200 for a bucket you own
				}
				return s3api.ErrBucketAlreadyOwnedByYou.New("Your previous request to create the named bucket succeeded and you already own it.").With("BucketName", name)
			}
			return s3api.ErrBucketAlreadyExists.New("The requested bucket name is not available. The bucket namespace is shared by all users of the system. Please select a different name and try again.").With("BucketName", name)
		}
		return buckets.Put(tx, globalScope(), rec, name)
	})
	if err != nil && !errors.Is(err, errLegacyOK) {
		return nil, err
	}
	return &s3api.CreateBucketOutput{Location: ptr.To("/" + name), BucketArn: ptr.To("arn:aws:s3:::" + name)}, nil
}

var errLegacyOK = errors.New("bucket already owned in us-east-1")

func (s *S3) DeleteBucket(ctx *request.Context, in *s3api.DeleteBucketInput) (*s3api.DeleteBucketOutput, error) {
	name := ptr.Deref(in.Bucket)
	err := s.updateBuckets(func(tx storage.Tx) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		empty := true
		check := func(k, v []byte) bool { empty = false; return false }
		if err := tx.Scan(objects.Key(globalScope(), name), storage.ScanOptions{Limit: 1}, check); err != nil {
			return err
		}
		if err := tx.Scan(versions.Key(globalScope(), name), storage.ScanOptions{Limit: 1}, check); err != nil {
			return err
		}
		if !empty {
			return errBucketNotEmpty.New("The bucket you tried to delete is not empty").With("BucketName", name)
		}
		var ids []string
		err := uploads.List(tx, globalScope(), []string{name}, storage.ListOptions{}, func(k []string, u uploadRecord) bool {
			ids = append(ids, u.UploadID)
			return true
		})
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.dropUpload(tx, name, id); err != nil {
				return err
			}
		}
		if err := deleteBucketConfigs(tx, name); err != nil {
			return err
		}
		return buckets.Delete(tx, globalScope(), name)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.DeleteBucketOutput{}, nil
}

func (s *S3) HeadBucket(ctx *request.Context, in *s3api.HeadBucketInput) (*s3api.HeadBucketOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	return &s3api.HeadBucketOutput{BucketRegion: ptr.To(b.Region), AccessPointAlias: ptr.To(false), BucketArn: ptr.To("arn:aws:s3:::" + b.Name)}, nil
}

// listBucketsPage is the page size S3 applies when a ListBuckets request
// asks for a prefix, region or continuation without max-buckets.
const listBucketsPage = 10000

func (s *S3) ListBuckets(ctx *request.Context, in *s3api.ListBucketsInput) (*s3api.ListBucketsOutput, error) {
	out := &s3api.ListBucketsOutput{Owner: owner(ctx.Account), Buckets: []s3api.Bucket{}, Prefix: in.Prefix}
	paged := in.MaxBuckets != nil || in.Prefix != nil || in.ContinuationToken != nil || in.BucketRegion != nil
	limit := listBucketsPage
	if in.MaxBuckets != nil {
		if *in.MaxBuckets < 1 || *in.MaxBuckets > listBucketsPage {
			return nil, errInvalidArgument.New("Argument max-buckets must be an integer between 1 and 10000").
				With("ArgumentName", "max-buckets").With("ArgumentValue", *in.MaxBuckets)
		}
		limit = int(*in.MaxBuckets)
	}
	after := ""
	if ptr.Deref(in.ContinuationToken) != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*in.ContinuationToken)
		if err != nil || !strings.HasPrefix(string(raw), "b:") {
			return nil, errInvalidArgument.New("The continuation token provided is incorrect").With("ArgumentName", "continuation-token")
		}
		after = string(raw[2:])
	}
	err := s.store.View(func(tx storage.Tx) error {
		return buckets.List(tx, globalScope(), nil, storage.ListOptions{}, func(_ []string, b bucketRecord) bool {
			if b.Account == ctx.Account && strings.HasPrefix(b.Name, ptr.Deref(in.Prefix)) && b.Name > after &&
				(in.BucketRegion == nil || b.Region == *in.BucketRegion) {
				out.Buckets = append(out.Buckets, s3api.Bucket{Name: ptr.To(b.Name), CreationDate: ptr.To(b.Created), BucketRegion: ptr.To(b.Region),
					BucketArn: ptr.To("arn:aws:s3:::" + b.Name)})
			}
			return true
		})
	})
	sort.Slice(out.Buckets, func(i, j int) bool { return *out.Buckets[i].Name < *out.Buckets[j].Name })
	if paged && len(out.Buckets) > limit {
		out.Buckets = out.Buckets[:limit]
		out.ContinuationToken = ptr.To(base64.RawURLEncoding.EncodeToString([]byte("b:" + *out.Buckets[limit-1].Name)))
	}
	return out, err
}

func (s *S3) GetBucketLocation(ctx *request.Context, in *s3api.GetBucketLocationInput) (*s3api.GetBucketLocationOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	out := &s3api.GetBucketLocationOutput{}
	if b.Region != "us-east-1" {
		out.LocationConstraint = ptr.To(b.Region)
	}
	return out, nil
}

func owner(account string) *s3api.Owner {
	return &s3api.Owner{ID: ptr.To(canonicalID(account)), DisplayName: ptr.To(displayName)}
}
