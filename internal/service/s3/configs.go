package s3

import (
	"context"
	"encoding/base64"
	"net/http"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The bucket configurations kept by id — inventory, analytics, metrics
// and S3 Intelligent-Tiering — are stored as given and served back, up to
// 1,000 of each kind per bucket, as S3 does. niwa computes no metrics or
// analytics and delivers no inventory reports; see docs/s3.md.

var (
	errNoSuchConfiguration   = awserr.Code{Code: "NoSuchConfiguration", Status: http.StatusNotFound, Sender: true}
	errTooManyConfigurations = awserr.Code{Code: "TooManyConfigurations", Status: http.StatusBadRequest, Sender: true}
)

// bucketConfigRecord is one id-keyed configuration; exactly one member is
// set, the one of its kind.
type bucketConfigRecord struct {
	Inventory *s3api.InventoryConfiguration          `json:"inventory,omitempty"`
	Analytics *s3api.AnalyticsConfiguration          `json:"analytics,omitempty"`
	Metrics   *s3api.MetricsConfiguration            `json:"metrics,omitempty"`
	Tiering   *s3api.IntelligentTieringConfiguration `json:"tiering,omitempty"`
}

// bucketConfigs is keyed (bucket, kind, id).
var bucketConfigs = storage.NewTable[bucketConfigRecord]("bcfg")

const (
	kindInventory = "inventory"
	kindAnalytics = "analytics"
	kindMetrics   = "metrics"
	kindTiering   = "intelligent-tiering"
	// maxBucketConfigs is S3's limit per kind and bucket.
	maxBucketConfigs = 1000
	// configPageSize is how many configurations a List answers at once
	// (S3 pages them by 100).
	configPageSize = 100
)

// configIDPattern is what S3 accepts as a configuration id: up to 64
// letters, digits, and . - _ characters.
var configIDPattern = lazyre.New(`^[a-zA-Z0-9._-]{1,64}$`)

// checkConfigID validates the id of the query string against S3's rule
// and against the configuration's own Id.
func checkConfigID(id string, bodyID *string) error {
	if !configIDPattern.MatchString(id) {
		return errInvalidArgument.New("The specified configuration id is invalid").With("ArgumentName", "id").With("ArgumentValue", id)
	}
	if bodyID != nil && *bodyID != id {
		return errInvalidArgument.New("The configuration id in the request body does not match the id in the query string").With("ArgumentName", "id").With("ArgumentValue", id)
	}
	return nil
}

// putBucketConfig stores a configuration, refusing the 1,001st of a kind.
func (s *S3) putBucketConfig(bucket, kind, id string, rec bucketConfigRecord) error {
	return s.store.Update(func(tx storage.Tx) error {
		if _, err := getBucket(tx, bucket); err != nil {
			return err
		}
		if _, ok, err := bucketConfigs.Get(tx, globalScope(), bucket, kind, id); err != nil {
			return err
		} else if !ok {
			n := 0
			if err := bucketConfigs.List(tx, globalScope(), []string{bucket, kind}, storage.ListOptions{}, func(_ []string, _ bucketConfigRecord) bool {
				n++
				return n < maxBucketConfigs
			}); err != nil {
				return err
			}
			if n >= maxBucketConfigs {
				return errTooManyConfigurations.New("You are attempting to create a new configuration but have already reached the 1,000-configuration limit.")
			}
		}
		return bucketConfigs.Put(tx, globalScope(), rec, bucket, kind, id)
	})
}

func (s *S3) getBucketConfig(bucket, kind, id string) (bucketConfigRecord, error) {
	var rec bucketConfigRecord
	if _, err := s.bucket(bucket); err != nil {
		return rec, err
	}
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		rec, ok, err = bucketConfigs.Get(tx, globalScope(), bucket, kind, id)
		if err == nil && !ok {
			err = errNoSuchConfiguration.New("The specified configuration does not exist.")
		}
		return err
	})
	return rec, err
}

func (s *S3) deleteBucketConfig(bucket, kind, id string) error {
	return s.store.Update(func(tx storage.Tx) error {
		if _, err := getBucket(tx, bucket); err != nil {
			return err
		}
		if _, ok, err := bucketConfigs.Get(tx, globalScope(), bucket, kind, id); err != nil {
			return err
		} else if !ok {
			return errNoSuchConfiguration.New("The specified configuration does not exist.")
		}
		if kind == kindInventory {
			if _, err := inventoryDeliveries.DeleteExisting(tx, globalScope(), bucket, id); err != nil {
				return err
			}
		}
		return bucketConfigs.Delete(tx, globalScope(), bucket, kind, id)
	})
}

// listBucketConfigs pages a kind's configurations in id order; the token
// is the last id of the previous page, base64-encoded.
func (s *S3) listBucketConfigs(bucket, kind string, token *string) (recs []bucketConfigRecord, next *string, err error) {
	after := ""
	if token != nil {
		raw, derr := base64.RawURLEncoding.DecodeString(*token)
		if derr != nil || !configIDPattern.Match(raw) {
			return nil, nil, errInvalidArgument.New("The continuation token provided is incorrect").With("ArgumentName", "continuation-token")
		}
		after = string(raw)
	}
	if _, err := s.bucket(bucket); err != nil {
		return nil, nil, err
	}
	err = s.store.View(func(tx storage.Tx) error {
		return bucketConfigs.List(tx, globalScope(), []string{bucket, kind}, storage.ListOptions{}, func(k []string, r bucketConfigRecord) bool {
			id := k[len(k)-1]
			if id <= after {
				return true
			}
			if len(recs) == configPageSize {
				next = ptr.To(base64.RawURLEncoding.EncodeToString([]byte(recs[len(recs)-1].id())))
				return false
			}
			recs = append(recs, r)
			return true
		})
	})
	return recs, next, err
}

func (r bucketConfigRecord) id() string {
	switch {
	case r.Inventory != nil:
		return ptr.Deref(r.Inventory.Id)
	case r.Analytics != nil:
		return ptr.Deref(r.Analytics.Id)
	case r.Metrics != nil:
		return ptr.Deref(r.Metrics.Id)
	case r.Tiering != nil:
		return ptr.Deref(r.Tiering.Id)
	}
	return ""
}

// deleteBucketConfigs drops every id-keyed configuration of a bucket
// (DeleteBucket).
func deleteBucketConfigs(tx storage.Tx, bucket string) error {
	var keys [][]string
	if err := bucketConfigs.List(tx, globalScope(), []string{bucket}, storage.ListOptions{}, func(k []string, _ bucketConfigRecord) bool {
		keys = append(keys, append([]string(nil), k...))
		return true
	}); err != nil {
		return err
	}
	for _, k := range keys {
		if err := bucketConfigs.Delete(tx, globalScope(), k...); err != nil {
			return err
		}
		if k[1] == kindInventory {
			if _, err := inventoryDeliveries.DeleteExisting(tx, globalScope(), bucket, k[2]); err != nil {
				return err
			}
		}
	}
	return nil
}

// truncated reports a page's IsTruncated.
func truncated(next *string) *bool { return ptr.To(next != nil) }

func (s *S3) PutBucketInventoryConfiguration(ctx *request.Context, in *s3api.PutBucketInventoryConfigurationInput) (*s3api.PutBucketInventoryConfigurationOutput, error) {
	c := in.InventoryConfiguration
	if c == nil || c.Destination == nil || c.Destination.S3BucketDestination == nil || c.Schedule == nil || c.IsEnabled == nil || c.IncludedObjectVersions == nil {
		return nil, malformedXML()
	}
	id := ptr.Deref(in.Id)
	if err := checkConfigID(id, c.Id); err != nil {
		return nil, err
	}
	if d := c.Destination.S3BucketDestination; !strings.HasPrefix(ptr.Deref(d.Bucket), "arn:aws:s3:::") {
		return nil, errInvalidArgument.New("Invalid bucket ARN.").With("ArgumentName", "Bucket").With("ArgumentValue", ptr.Deref(d.Bucket))
	}
	return &s3api.PutBucketInventoryConfigurationOutput{}, s.putBucketConfig(ptr.Deref(in.Bucket), kindInventory, id, bucketConfigRecord{Inventory: c})
}

func (s *S3) GetBucketInventoryConfiguration(ctx *request.Context, in *s3api.GetBucketInventoryConfigurationInput) (*s3api.GetBucketInventoryConfigurationOutput, error) {
	r, err := s.getBucketConfig(ptr.Deref(in.Bucket), kindInventory, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketInventoryConfigurationOutput{InventoryConfiguration: r.Inventory}, nil
}

func (s *S3) DeleteBucketInventoryConfiguration(ctx *request.Context, in *s3api.DeleteBucketInventoryConfigurationInput) (*s3api.DeleteBucketInventoryConfigurationOutput, error) {
	return &s3api.DeleteBucketInventoryConfigurationOutput{}, s.deleteBucketConfig(ptr.Deref(in.Bucket), kindInventory, ptr.Deref(in.Id))
}

func (s *S3) ListBucketInventoryConfigurations(ctx *request.Context, in *s3api.ListBucketInventoryConfigurationsInput) (*s3api.ListBucketInventoryConfigurationsOutput, error) {
	recs, next, err := s.listBucketConfigs(ptr.Deref(in.Bucket), kindInventory, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListBucketInventoryConfigurationsOutput{ContinuationToken: in.ContinuationToken, NextContinuationToken: next, IsTruncated: truncated(next)}
	for _, r := range recs {
		out.InventoryConfigurationList = append(out.InventoryConfigurationList, *r.Inventory)
	}
	return out, nil
}

func (s *S3) PutBucketAnalyticsConfiguration(ctx *request.Context, in *s3api.PutBucketAnalyticsConfigurationInput) (*s3api.PutBucketAnalyticsConfigurationOutput, error) {
	c := in.AnalyticsConfiguration
	if c == nil || c.StorageClassAnalysis == nil {
		return nil, malformedXML()
	}
	id := ptr.Deref(in.Id)
	if err := checkConfigID(id, c.Id); err != nil {
		return nil, err
	}
	return &s3api.PutBucketAnalyticsConfigurationOutput{}, s.putBucketConfig(ptr.Deref(in.Bucket), kindAnalytics, id, bucketConfigRecord{Analytics: c})
}

func (s *S3) GetBucketAnalyticsConfiguration(ctx *request.Context, in *s3api.GetBucketAnalyticsConfigurationInput) (*s3api.GetBucketAnalyticsConfigurationOutput, error) {
	r, err := s.getBucketConfig(ptr.Deref(in.Bucket), kindAnalytics, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketAnalyticsConfigurationOutput{AnalyticsConfiguration: r.Analytics}, nil
}

func (s *S3) DeleteBucketAnalyticsConfiguration(ctx *request.Context, in *s3api.DeleteBucketAnalyticsConfigurationInput) (*s3api.DeleteBucketAnalyticsConfigurationOutput, error) {
	return &s3api.DeleteBucketAnalyticsConfigurationOutput{}, s.deleteBucketConfig(ptr.Deref(in.Bucket), kindAnalytics, ptr.Deref(in.Id))
}

func (s *S3) ListBucketAnalyticsConfigurations(ctx *request.Context, in *s3api.ListBucketAnalyticsConfigurationsInput) (*s3api.ListBucketAnalyticsConfigurationsOutput, error) {
	recs, next, err := s.listBucketConfigs(ptr.Deref(in.Bucket), kindAnalytics, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListBucketAnalyticsConfigurationsOutput{ContinuationToken: in.ContinuationToken, NextContinuationToken: next, IsTruncated: truncated(next)}
	for _, r := range recs {
		out.AnalyticsConfigurationList = append(out.AnalyticsConfigurationList, *r.Analytics)
	}
	return out, nil
}

func (s *S3) PutBucketMetricsConfiguration(ctx *request.Context, in *s3api.PutBucketMetricsConfigurationInput) (*s3api.PutBucketMetricsConfigurationOutput, error) {
	c := in.MetricsConfiguration
	if c == nil {
		return nil, malformedXML()
	}
	id := ptr.Deref(in.Id)
	if err := checkConfigID(id, c.Id); err != nil {
		return nil, err
	}
	return &s3api.PutBucketMetricsConfigurationOutput{}, s.putBucketConfig(ptr.Deref(in.Bucket), kindMetrics, id, bucketConfigRecord{Metrics: c})
}

func (s *S3) GetBucketMetricsConfiguration(ctx *request.Context, in *s3api.GetBucketMetricsConfigurationInput) (*s3api.GetBucketMetricsConfigurationOutput, error) {
	r, err := s.getBucketConfig(ptr.Deref(in.Bucket), kindMetrics, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketMetricsConfigurationOutput{MetricsConfiguration: r.Metrics}, nil
}

func (s *S3) DeleteBucketMetricsConfiguration(ctx *request.Context, in *s3api.DeleteBucketMetricsConfigurationInput) (*s3api.DeleteBucketMetricsConfigurationOutput, error) {
	return &s3api.DeleteBucketMetricsConfigurationOutput{}, s.deleteBucketConfig(ptr.Deref(in.Bucket), kindMetrics, ptr.Deref(in.Id))
}

func (s *S3) ListBucketMetricsConfigurations(ctx *request.Context, in *s3api.ListBucketMetricsConfigurationsInput) (*s3api.ListBucketMetricsConfigurationsOutput, error) {
	recs, next, err := s.listBucketConfigs(ptr.Deref(in.Bucket), kindMetrics, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListBucketMetricsConfigurationsOutput{ContinuationToken: in.ContinuationToken, NextContinuationToken: next, IsTruncated: truncated(next)}
	for _, r := range recs {
		out.MetricsConfigurationList = append(out.MetricsConfigurationList, *r.Metrics)
	}
	return out, nil
}

// checkTierings applies S3's Intelligent-Tiering archive rules: at most
// one tiering per access tier, ARCHIVE_ACCESS 90–730 days,
// DEEP_ARCHIVE_ACCESS 180–730 days.
func checkTierings(ts []s3api.Tiering) error {
	if len(ts) == 0 {
		return malformedXML()
	}
	seen := map[string]bool{}
	for _, t := range ts {
		tier, days := ptr.Deref(t.AccessTier), ptr.Deref(t.Days)
		if seen[tier] {
			return errInvalidArgument.New("Multiple tierings with the same access tier are not allowed").With("ArgumentName", "AccessTier").With("ArgumentValue", tier)
		}
		seen[tier] = true
		lo := int32(90)
		if tier == "DEEP_ARCHIVE_ACCESS" {
			lo = 180
		}
		if days < lo || days > 730 {
			return errInvalidArgument.New("The days value for %s must be between %d and 730", tier, lo).With("ArgumentName", "Days").With("ArgumentValue", days)
		}
	}
	return nil
}

func (s *S3) PutBucketIntelligentTieringConfiguration(ctx *request.Context, in *s3api.PutBucketIntelligentTieringConfigurationInput) (*s3api.PutBucketIntelligentTieringConfigurationOutput, error) {
	c := in.IntelligentTieringConfiguration
	if c == nil || c.Status == nil {
		return nil, malformedXML()
	}
	id := ptr.Deref(in.Id)
	if err := checkConfigID(id, c.Id); err != nil {
		return nil, err
	}
	if err := checkTierings(c.Tierings); err != nil {
		return nil, err
	}
	return &s3api.PutBucketIntelligentTieringConfigurationOutput{}, s.putBucketConfig(ptr.Deref(in.Bucket), kindTiering, id, bucketConfigRecord{Tiering: c})
}

func (s *S3) GetBucketIntelligentTieringConfiguration(ctx *request.Context, in *s3api.GetBucketIntelligentTieringConfigurationInput) (*s3api.GetBucketIntelligentTieringConfigurationOutput, error) {
	r, err := s.getBucketConfig(ptr.Deref(in.Bucket), kindTiering, ptr.Deref(in.Id))
	if err != nil {
		return nil, err
	}
	return &s3api.GetBucketIntelligentTieringConfigurationOutput{IntelligentTieringConfiguration: r.Tiering}, nil
}

func (s *S3) DeleteBucketIntelligentTieringConfiguration(ctx *request.Context, in *s3api.DeleteBucketIntelligentTieringConfigurationInput) (*s3api.DeleteBucketIntelligentTieringConfigurationOutput, error) {
	return &s3api.DeleteBucketIntelligentTieringConfigurationOutput{}, s.deleteBucketConfig(ptr.Deref(in.Bucket), kindTiering, ptr.Deref(in.Id))
}

func (s *S3) ListBucketIntelligentTieringConfigurations(ctx *request.Context, in *s3api.ListBucketIntelligentTieringConfigurationsInput) (*s3api.ListBucketIntelligentTieringConfigurationsOutput, error) {
	recs, next, err := s.listBucketConfigs(ptr.Deref(in.Bucket), kindTiering, in.ContinuationToken)
	if err != nil {
		return nil, err
	}
	out := &s3api.ListBucketIntelligentTieringConfigurationsOutput{ContinuationToken: in.ContinuationToken, NextContinuationToken: next, IsTruncated: truncated(next)}
	for _, r := range recs {
		out.IntelligentTieringConfigurationList = append(out.IntelligentTieringConfigurationList, *r.Tiering)
	}
	return out, nil
}

// PutBucketAccelerateConfiguration stores the status S3 Transfer
// Acceleration would have; niwa serves every request the same way. S3
// refuses it for bucket names with dots (they cannot be virtual hosts of
// the accelerate endpoint).
func (s *S3) PutBucketAccelerateConfiguration(ctx *request.Context, in *s3api.PutBucketAccelerateConfigurationInput) (*s3api.PutBucketAccelerateConfigurationOutput, error) {
	c := in.AccelerateConfiguration
	if c == nil || (ptr.Deref(c.Status) != "Enabled" && ptr.Deref(c.Status) != "Suspended") {
		return nil, malformedXML()
	}
	err := s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		if strings.Contains(b.Name, ".") {
			return errInvalidRequest.New("S3 Transfer Acceleration is not supported for buckets with periods (.) in their names")
		}
		b.Accelerate = *c.Status
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketAccelerateConfigurationOutput{}, nil
}

// PutBucketRequestPayment stores who pays for requests; niwa bills no one,
// but Requester Pays buckets are told apart as on S3.
func (s *S3) PutBucketRequestPayment(ctx *request.Context, in *s3api.PutBucketRequestPaymentInput) (*s3api.PutBucketRequestPaymentOutput, error) {
	c := in.RequestPaymentConfiguration
	if c == nil || (ptr.Deref(c.Payer) != "BucketOwner" && ptr.Deref(c.Payer) != "Requester") {
		return nil, malformedXML()
	}
	err := s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.RequestPayer = *c.Payer
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s3api.PutBucketRequestPaymentOutput{}, nil
}

// RequesterPays reports a bucket's owner and whether it is a Requester
// Pays bucket, for the authorization step (internal/server), which then
// requires x-amz-request-payer from other accounts.
func (s *S3) RequesterPays(ctx context.Context, bucket string) (owner string, requester bool, err error) {
	b, err := s.bucket(bucket)
	if err != nil {
		return "", false, nil // the handler answers for a missing bucket
	}
	return b.Account, b.RequestPayer == "Requester", nil
}

// PutBucketAbac turns attribute-based access control for the bucket on
// or off. niwa's policy engine reads a bucket's tags as aws:ResourceTag
// whatever the setting (docs/s3.md).
func (s *S3) PutBucketAbac(ctx *request.Context, in *s3api.PutBucketAbacInput) (*s3api.PutBucketAbacOutput, error) {
	st := ""
	if in.AbacStatus != nil {
		st = ptr.Deref(in.AbacStatus.Status)
	}
	if st != "Enabled" && st != "Disabled" {
		return nil, malformedXML()
	}
	return &s3api.PutBucketAbacOutput{}, s.updateBucket(ptr.Deref(in.Bucket), func(b *bucketRecord) error {
		b.Abac = st
		return nil
	})
}

// GetBucketAbac answers the bucket's ABAC status, Disabled until set.
func (s *S3) GetBucketAbac(ctx *request.Context, in *s3api.GetBucketAbacInput) (*s3api.GetBucketAbacOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	st := b.Abac
	if st == "" {
		st = "Disabled"
	}
	return &s3api.GetBucketAbacOutput{AbacStatus: &s3api.AbacStatus{Status: ptr.To(st)}}, nil
}
