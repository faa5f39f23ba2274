package ses

import (
	"sort"
	"strings"

	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// resourceTags are the v2 tags of a resource, keyed by its ARN.
var resourceTags = storage.NewTable[map[string]string]("tags")

// maxTags is SES's limit of tags per resource.
const maxTags = 50

// sesARN is the ARN of an SES resource of kind (configuration-set,
// identity, contact-list, dedicated-ip-pool).
func sesARN(ctx *request.Context, kind, name string) string {
	return "arn:aws:ses:" + ctx.Region + ":" + ctx.Account + ":" + kind + "/" + name
}

// resourceExists reports whether arn names one of the caller's SES
// resources.
func (c *Core) resourceExists(ctx *request.Context, arn string) (bool, error) {
	prefix := "arn:aws:ses:" + ctx.Region + ":" + ctx.Account + ":"
	if !strings.HasPrefix(arn, prefix) {
		return false, nil
	}
	kind, name, ok := strings.Cut(strings.TrimPrefix(arn, prefix), "/")
	if !ok || name == "" {
		return false, nil
	}
	var found bool
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		sc := scope(ctx.Account, ctx.Region)
		switch kind {
		case "configuration-set":
			_, found, err = configSets.Get(tx, sc, name)
		case "identity":
			_, found, err = identities.Get(tx, sc, key(name))
		case "contact-list":
			_, found, err = contactLists.Get(tx, sc, name)
		case "dedicated-ip-pool":
			_, found, err = ipPools.Get(tx, sc, key(name))
		case "template":
			_, found, err = templates.Get(tx, sc, name)
		}
		return err
	})
	return found, err
}

// setTags merges tags onto arn's (creation passes the request's tags).
func (c *Core) setTags(ctx *request.Context, arn string, tags []sesv2api.Tag) error {
	if len(tags) == 0 {
		return nil
	}
	return c.opt.Store.Update(func(tx storage.Tx) error {
		cur, _, err := resourceTags.Get(tx, scope(ctx.Account, ctx.Region), arn)
		if err != nil {
			return err
		}
		if cur == nil {
			cur = map[string]string{}
		}
		for _, t := range tags {
			cur[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
		if len(cur) > maxTags {
			return sesv2api.ErrBadRequestException.New("Too many tags: a resource has at most %d.", maxTags)
		}
		return resourceTags.Put(tx, scope(ctx.Account, ctx.Region), cur, arn)
	})
}

// tagsOf answers arn's tags sorted by key.
func (c *Core) tagsOf(ctx *request.Context, arn string) ([]sesv2api.Tag, error) {
	var cur map[string]string
	err := c.opt.Store.View(func(tx storage.Tx) error {
		var err error
		cur, _, err = resourceTags.Get(tx, scope(ctx.Account, ctx.Region), arn)
		return err
	})
	out := []sesv2api.Tag{}
	for k, v := range cur {
		out = append(out, sesv2api.Tag{Key: ptr.To(k), Value: ptr.To(v)})
	}
	sort.Slice(out, func(i, j int) bool { return *out[i].Key < *out[j].Key })
	return out, err
}

func errNoResource(arn string) error {
	return sesv2api.ErrNotFoundException.New("Resource %s does not exist.", arn)
}

// TagResource adds tags to a configuration set, identity, contact list,
// dedicated IP pool or template.
func (s *V2) TagResource(ctx *request.Context, in *sesv2api.TagResourceRequest) (*sesv2api.TagResourceResponse, error) {
	arn := ptr.Deref(in.ResourceArn)
	if ok, err := s.c.resourceExists(ctx, arn); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, errNoResource(arn)
	}
	if err := s.c.setTags(ctx, arn, in.Tags); err != nil {
		return nil, err
	}
	return &sesv2api.TagResourceResponse{}, nil
}

// UntagResource removes tag keys.
func (s *V2) UntagResource(ctx *request.Context, in *sesv2api.UntagResourceRequest) (*sesv2api.UntagResourceResponse, error) {
	arn := ptr.Deref(in.ResourceArn)
	if ok, err := s.c.resourceExists(ctx, arn); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, errNoResource(arn)
	}
	err := s.c.opt.Store.Update(func(tx storage.Tx) error {
		cur, ok, err := resourceTags.Get(tx, scope(ctx.Account, ctx.Region), arn)
		if err != nil || !ok {
			return err
		}
		for _, k := range in.TagKeys {
			delete(cur, k)
		}
		return resourceTags.Put(tx, scope(ctx.Account, ctx.Region), cur, arn)
	})
	if err != nil {
		return nil, err
	}
	return &sesv2api.UntagResourceResponse{}, nil
}

// ListTagsForResource answers a resource's tags.
func (s *V2) ListTagsForResource(ctx *request.Context, in *sesv2api.ListTagsForResourceRequest) (*sesv2api.ListTagsForResourceResponse, error) {
	arn := ptr.Deref(in.ResourceArn)
	if ok, err := s.c.resourceExists(ctx, arn); err != nil || !ok {
		if err != nil {
			return nil, err
		}
		return nil, errNoResource(arn)
	}
	tags, err := s.c.tagsOf(ctx, arn)
	if err != nil {
		return nil, err
	}
	return &sesv2api.ListTagsForResourceResponse{Tags: tags}, nil
}
