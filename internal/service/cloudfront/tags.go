package cloudfront

import (
	"sort"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func tagsOf(t *cfapi.Tags) (map[string]string, error) {
	if t == nil {
		return nil, nil
	}
	if len(t.Items) > maxTags {
		return nil, cfapi.ErrInvalidTagging.New("Too many tags on resource.")
	}
	m := map[string]string{}
	for _, tag := range t.Items {
		m[ptr.Deref(tag.Key)] = ptr.Deref(tag.Value)
	}
	return m, nil
}

// updateTags changes the tags of the distribution an ARN names (the only
// taggable resource niwa keeps).
func (s *CloudFront) updateTags(ctx *request.Context, arn string, fn func(map[string]string) error) error {
	account, id, ok := idFromARN(arn, "distribution")
	if !ok || account != ctx.Account {
		return cfapi.ErrInvalidArgument.New("Invalid request provided: The specified resource ARN is not valid.")
	}
	return s.opt.Store.Update(func(tx storage.Tx) error {
		d, ok, err := dists.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !ok {
			return noSuchDistribution()
		}
		if d.Tags == nil {
			d.Tags = map[string]string{}
		}
		if err := fn(d.Tags); err != nil {
			return err
		}
		if len(d.Tags) > maxTags {
			return cfapi.ErrInvalidTagging.New("Too many tags on resource.")
		}
		return dists.Put(tx, scope(ctx), d, id)
	})
}

// TagResource20200531 adds or replaces tags.
func (s *CloudFront) TagResource20200531(ctx *request.Context, in *cfapi.TagResourceRequest) (*cfapi.TagResource20200531Output, error) {
	add, err := tagsOf(in.Tags)
	if err != nil {
		return nil, err
	}
	err = s.updateTags(ctx, ptr.Deref(in.Resource), func(m map[string]string) error {
		for k, v := range add {
			m[k] = v
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.TagResource20200531Output{}, nil
}

// UntagResource20200531 removes tags.
func (s *CloudFront) UntagResource20200531(ctx *request.Context, in *cfapi.UntagResourceRequest) (*cfapi.UntagResource20200531Output, error) {
	err := s.updateTags(ctx, ptr.Deref(in.Resource), func(m map[string]string) error {
		if in.TagKeys != nil {
			for _, k := range in.TagKeys.Items {
				delete(m, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.UntagResource20200531Output{}, nil
}

// ListTagsForResource20200531 lists a distribution's tags.
func (s *CloudFront) ListTagsForResource20200531(ctx *request.Context, in *cfapi.ListTagsForResourceRequest) (*cfapi.ListTagsForResourceResult, error) {
	m, found, err := s.resourceTags(ctx, ptr.Deref(in.Resource))
	if err != nil {
		return nil, err
	}
	if !found {
		if _, _, ok := idFromARN(ptr.Deref(in.Resource), "distribution"); !ok {
			return nil, cfapi.ErrInvalidArgument.New("Invalid request provided: The specified resource ARN is not valid.")
		}
		return nil, noSuchDistribution()
	}
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	out := &cfapi.Tags{Items: []cfapi.Tag{}}
	for _, k := range ks {
		out.Items = append(out.Items, cfapi.Tag{Key: ptr.To(k), Value: ptr.To(m[k])})
	}
	return &cfapi.ListTagsForResourceResult{Tags: out}, nil
}

// resourceTags answers aws:ResourceTag for distributions.
func (s *CloudFront) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	account, id, ok := idFromARN(arn, "distribution")
	if !ok {
		return nil, false, nil
	}
	var d distRec
	var found bool
	err := s.opt.Store.View(func(tx storage.Tx) (err error) {
		d, found, err = dists.Get(tx, storage.Global(account), id)
		return err
	})
	return d.Tags, found, err
}
