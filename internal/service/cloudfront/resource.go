package cloudfront

import (
	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// kind is one of CloudFront's versioned resources (origin access
// controls and identities, public keys, key groups, policies): stored
// per account by id, created unless a duplicate exists, updated and
// deleted only with the ETag last read (If-Match), as every one of them
// is on AWS. R is the stored record.
type kind[R any] struct {
	table storage.Table[R]
	// notFound is the resource's NoSuch... error.
	notFound func() error
	// etag points at the record's ETag.
	etag func(*R) *string
}

// get reads one.
func (k kind[R]) get(s *CloudFront, ctx *request.Context, id string) (R, error) {
	var r R
	err := s.opt.Store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		r, ok, err = k.table.Get(tx, scope(ctx), id)
		if err == nil && !ok {
			err = k.notFound()
		}
		return err
	})
	return r, err
}

// all lists the account's, in id order.
func (k kind[R]) all(s *CloudFront, ctx *request.Context) ([]R, error) {
	var out []R
	err := s.opt.Store.View(func(tx storage.Tx) error {
		return k.table.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, r R) bool { out = append(out, r); return true })
	})
	return out, err
}

// create stores r under id after check (nil: none) unless dup finds an
// existing one alike, refused with dupErr.
func (k kind[R]) create(s *CloudFront, ctx *request.Context, id string, r R, check func(storage.Tx) error, dup func(R) bool, dupErr func() error) error {
	return s.opt.Store.Update(func(tx storage.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		found := false
		if err := k.table.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, o R) bool {
			found = dup(o)
			return !found
		}); err != nil {
			return err
		}
		if found {
			return dupErr()
		}
		return k.table.Put(tx, scope(ctx), r, id)
	})
}

// current reads the record for a change given the ETag last read.
func (k kind[R]) current(tx storage.Tx, ctx *request.Context, id string, ifMatch *string) (R, error) {
	r, ok, err := k.table.Get(tx, scope(ctx), id)
	if err != nil {
		return r, err
	}
	if !ok {
		return r, k.notFound()
	}
	return r, checkIfMatch(ifMatch, *k.etag(&r))
}

// update changes the stored record given the ETag last read; it gets a
// new ETag.
func (k kind[R]) update(s *CloudFront, ctx *request.Context, id string, ifMatch *string, change func(storage.Tx, *R) error) (R, error) {
	var r R
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		if r, err = k.current(tx, ctx, id, ifMatch); err != nil {
			return err
		}
		if err := change(tx, &r); err != nil {
			return err
		}
		*k.etag(&r) = newETag()
		return k.table.Put(tx, scope(ctx), r, id)
	})
	return r, err
}

// remove deletes the record given the ETag last read, unless inUse (nil:
// never) refuses.
func (k kind[R]) remove(s *CloudFront, ctx *request.Context, id string, ifMatch *string, inUse func(storage.Tx, R) error) error {
	return s.opt.Store.Update(func(tx storage.Tx) error {
		r, err := k.current(tx, ctx, id, ifMatch)
		if err != nil {
			return err
		}
		if inUse != nil {
			if err := inUse(tx, r); err != nil {
				return err
			}
		}
		return k.table.Delete(tx, scope(ctx), id)
	})
}

// refuseIfUsed is an inUse check: err when any of the account's
// distributions uses the resource, as test says of its configuration.
func refuseIfUsed[R any](ctx *request.Context, test func(cfapi.DistributionConfig) bool, err func() error) func(storage.Tx, R) error {
	return func(tx storage.Tx, _ R) error {
		used, e := inUseBy(tx, scope(ctx), test)
		if e != nil {
			return e
		}
		if used {
			return err()
		}
		return nil
	}
}
