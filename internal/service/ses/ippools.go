package ses

import (
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// ipPool is a dedicated IP pool, kept at API level: niwa has no
// dedicated IPs to put in it (see the reasons in declare.go).
type ipPool struct {
	Name        string
	ScalingMode string
}

var ipPools = storage.NewTable[ipPool]("ippool")

// maxIPPools is SES's quota of dedicated IP pools per Region.
const maxIPPools = 50

func errNoPool(name string) error {
	return sesv2api.ErrNotFoundException.New("Pool %s does not exist.", name)
}

// CreateDedicatedIpPool makes a pool (STANDARD or MANAGED scaling).
func (s *V2) CreateDedicatedIpPool(ctx *request.Context, in *sesv2api.CreateDedicatedIpPoolRequest) (*sesv2api.CreateDedicatedIpPoolResponse, error) {
	name := ptr.Deref(in.PoolName)
	mode := ptr.Deref(in.ScalingMode)
	if mode == "" {
		mode = "STANDARD"
	}
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		n, exists := 0, false
		err := ipPools.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(k []string, _ ipPool) bool {
			n++
			exists = exists || k[len(k)-1] == key(name)
			return true
		})
		if err != nil {
			return err
		}
		if exists {
			return sesv2api.ErrAlreadyExistsException.New("Pool %s already exists.", name)
		}
		if n >= maxIPPools {
			return sesv2api.ErrLimitExceededException.New("Maximum number of dedicated IP pools (%d) exceeded.", maxIPPools)
		}
		return ipPools.Put(tx, scope(ctx.Account, ctx.Region), ipPool{Name: name, ScalingMode: mode}, key(name))
	})
	if err == nil {
		err = s.c.setTags(ctx, sesARN(ctx, "dedicated-ip-pool", name), in.Tags)
	}
	if err != nil {
		return nil, err
	}
	return &sesv2api.CreateDedicatedIpPoolResponse{}, nil
}

// GetDedicatedIpPool describes a pool.
func (s *V2) GetDedicatedIpPool(ctx *request.Context, in *sesv2api.GetDedicatedIpPoolRequest) (*sesv2api.GetDedicatedIpPoolResponse, error) {
	name := ptr.Deref(in.PoolName)
	var p ipPool
	var ok bool
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		p, ok, err = ipPools.Get(tx, scope(ctx.Account, ctx.Region), key(name))
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoPool(name)
	}
	return &sesv2api.GetDedicatedIpPoolResponse{DedicatedIpPool: &sesv2api.DedicatedIpPool{PoolName: ptr.To(p.Name), ScalingMode: ptr.To(p.ScalingMode)}}, nil
}

// ListDedicatedIpPools names the pools.
func (s *V2) ListDedicatedIpPools(ctx *request.Context, in *sesv2api.ListDedicatedIpPoolsRequest) (*sesv2api.ListDedicatedIpPoolsResponse, error) {
	var names []string
	err := s.c.opt.Store.View(func(tx storage.Tx) error {
		return ipPools.List(tx, scope(ctx.Account, ctx.Region), nil, storage.ListOptions{}, func(_ []string, p ipPool) bool {
			names = append(names, p.Name)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	got, next := page(names, key, in.NextToken, in.PageSize)
	return &sesv2api.ListDedicatedIpPoolsResponse{DedicatedIpPools: append([]string{}, got...), NextToken: next}, nil
}

// DeleteDedicatedIpPool deletes a pool.
func (s *V2) DeleteDedicatedIpPool(ctx *request.Context, in *sesv2api.DeleteDedicatedIpPoolRequest) (*sesv2api.DeleteDedicatedIpPoolResponse, error) {
	name := ptr.Deref(in.PoolName)
	var ok bool
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		var err error
		ok, err = ipPools.DeleteExisting(tx, scope(ctx.Account, ctx.Region), key(name))
		if err != nil || !ok {
			return err
		}
		return resourceTags.Delete(tx, scope(ctx.Account, ctx.Region), sesARN(ctx, "dedicated-ip-pool", name))
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errNoPool(name)
	}
	return &sesv2api.DeleteDedicatedIpPoolResponse{}, nil
}
