package cloudfront

import (
	"errors"
	"sort"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var errInvalidKey = errors.New("cloudfront: not an RSA public key")

func (r invRec) status(ctx *request.Context) string {
	if ctx.Now().Before(r.DoneAfter) {
		return "InProgress"
	}
	return "Completed"
}

func (r invRec) api(ctx *request.Context) *cfapi.Invalidation {
	b := r.Batch
	return &cfapi.Invalidation{Id: ptr.To(r.ID), Status: ptr.To(r.status(ctx)), CreateTime: ptr.To(r.Created), InvalidationBatch: &b}
}

// CreateInvalidation20200531 removes the paths from the edge cache at
// once and reports the invalidation InProgress for invalidationDelay, as
// AWS's take a while to reach every edge location.
func (s *CloudFront) CreateInvalidation20200531(ctx *request.Context, in *cfapi.CreateInvalidationRequest) (*cfapi.CreateInvalidationResult, error) {
	b := in.InvalidationBatch
	if b == nil || b.Paths == nil {
		return nil, cfapi.ErrMissingBody.New("This operation requires a body.")
	}
	if err := quantity(b.Paths.Quantity, len(b.Paths.Items)); err != nil {
		return nil, err
	}
	if len(b.Paths.Items) == 0 {
		return nil, cfapi.ErrInvalidArgument.New("Your request contains no paths to invalidate.")
	}
	if len(b.Paths.Items) > maxInvalidationPaths {
		return nil, cfapi.ErrBatchTooLarge.New("Invalidation batch specified is too large.")
	}
	for _, p := range b.Paths.Items {
		if len(p) == 0 || p[0] != '/' {
			return nil, cfapi.ErrInvalidArgument.New("Your request contains one or more invalid invalidation paths.")
		}
	}
	dist := ptr.Deref(in.DistributionId)
	now := ctx.Now()
	r := invRec{ID: newID("I"), Dist: dist, Created: now, Batch: *b, DoneAfter: now.Add(invalidationDelay)}
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		if _, ok, err := dists.Get(tx, scope(ctx), dist); err != nil {
			return err
		} else if !ok {
			return noSuchDistribution()
		}
		var same *invRec
		if err := invs.List(tx, scope(ctx), []string{dist}, storage.ListOptions{}, func(_ []string, o invRec) bool {
			if ptr.Deref(o.Batch.CallerReference) == ptr.Deref(b.CallerReference) {
				same = &o
			}
			return same == nil
		}); err != nil {
			return err
		}
		if same != nil {
			// The same caller reference answers the invalidation made
			// with it (CloudFront's idempotency).
			r = *same
			return nil
		}
		return invs.Put(tx, scope(ctx), r, dist, r.ID)
	})
	if err != nil {
		return nil, err
	}
	s.cache.invalidate(dist, b.Paths.Items)
	return &cfapi.CreateInvalidationResult{Invalidation: r.api(ctx),
		Location: ptr.To("https://cloudfront.amazonaws.com/2020-05-31/distribution/" + dist + "/invalidation/" + r.ID)}, nil
}

// GetInvalidation20200531 answers an invalidation.
func (s *CloudFront) GetInvalidation20200531(ctx *request.Context, in *cfapi.GetInvalidationRequest) (*cfapi.GetInvalidationResult, error) {
	var r invRec
	err := s.opt.Store.View(func(tx storage.Tx) error {
		if _, ok, err := dists.Get(tx, scope(ctx), ptr.Deref(in.DistributionId)); err != nil {
			return err
		} else if !ok {
			return noSuchDistribution()
		}
		var ok bool
		var err error
		r, ok, err = invs.Get(tx, scope(ctx), ptr.Deref(in.DistributionId), ptr.Deref(in.Id))
		if err == nil && !ok {
			err = cfapi.ErrNoSuchInvalidation.New("The specified invalidation does not exist.")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.GetInvalidationResult{Invalidation: r.api(ctx)}, nil
}

// ListInvalidations20200531 lists a distribution's invalidations, newest
// first as CloudFront does.
func (s *CloudFront) ListInvalidations20200531(ctx *request.Context, in *cfapi.ListInvalidationsRequest) (*cfapi.ListInvalidationsResult, error) {
	var all []invRec
	err := s.opt.Store.View(func(tx storage.Tx) error {
		if _, ok, err := dists.Get(tx, scope(ctx), ptr.Deref(in.DistributionId)); err != nil {
			return err
		} else if !ok {
			return noSuchDistribution()
		}
		return invs.List(tx, scope(ctx), []string{ptr.Deref(in.DistributionId)}, storage.ListOptions{}, func(_ []string, r invRec) bool {
			all = append(all, r)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].Created.After(all[j].Created) })
	from := 0
	if m := ptr.Deref(in.Marker); m != "" {
		for i, r := range all {
			if r.ID == m {
				from = i + 1
			}
		}
	}
	_, n, _, maxN, err := page(nil, in.MaxItems, len(all)-from, func(int) string { return "" })
	if err != nil {
		return nil, err
	}
	to := from + n
	out := &cfapi.InvalidationList{Marker: ptr.To(ptr.Deref(in.Marker)), MaxItems: &maxN, IsTruncated: ptr.To(to < len(all))}
	if to < len(all) && to > from {
		out.NextMarker = ptr.To(all[to-1].ID)
	}
	for _, r := range all[from:to] {
		out.Items = append(out.Items, cfapi.InvalidationSummary{Id: ptr.To(r.ID), CreateTime: ptr.To(r.Created), Status: ptr.To(r.status(ctx))})
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return &cfapi.ListInvalidationsResult{InvalidationList: out}, nil
}
