package ssm

import (
	"strings"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Tags: parameters carry up to 50, set at creation (PutParameter without
// Overwrite) or with AddTagsToResource, ResourceType Parameter and the
// parameter's name as ResourceId. Niwa's Parameter Store has no other
// taggable resource types: their ids name nothing (InvalidResourceId).

func checkTags(ts []ssmapi.Tag) error {
	if len(ts) > maxTags {
		return ssmapi.ErrTooManyTagsError.New("The Tags parameter contains more than 50 tags.")
	}
	for _, t := range ts {
		if strings.HasPrefix(strings.ToLower(ptr.Deref(t.Key)), "aws:") {
			return ssmapi.ErrInvalidParameters.New("Tag keys beginning with aws: are reserved for AWS use.")
		}
	}
	return nil
}

// taggedParam runs fn on the parameter a tagging request names.
func (s *SSM) taggedParam(ctx *request.Context, typ, id *string, write bool, fn func(p *param) error) error {
	if ptr.Deref(typ) != "Parameter" {
		return ssmapi.ErrInvalidResourceId.New("")
	}
	name := ptr.Deref(id)
	if strings.HasPrefix(name, "arn:") {
		r, err := parseRef(name, ctx.Account, ctx.Region)
		if err != nil || r.Selector != "" {
			return ssmapi.ErrInvalidResourceId.New("")
		}
		name = r.Name
	}
	sc := scope(ctx)
	run := s.store.View
	if write {
		run = s.store.Update
	}
	return run(func(tx storage.Tx) error {
		p, ok, err := params.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return ssmapi.ErrInvalidResourceId.New("")
		}
		if err := fn(&p); err != nil {
			return err
		}
		if write {
			return params.Put(tx, sc, p, name)
		}
		return nil
	})
}

// AddTagsToResource adds or replaces tags.
func (s *SSM) AddTagsToResource(ctx *request.Context, in *ssmapi.AddTagsToResourceInput) (*ssmapi.AddTagsToResourceOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.taggedParam(ctx, in.ResourceType, in.ResourceId, true, func(p *param) error {
		for _, t := range in.Tags {
			k, v := ptr.Deref(t.Key), ptr.Deref(t.Value)
			replaced := false
			for i := range p.Tags {
				if p.Tags[i].Key == k {
					p.Tags[i].Value, replaced = v, true
				}
			}
			if !replaced {
				p.Tags = append(p.Tags, tag{k, v})
			}
		}
		if len(p.Tags) > maxTags {
			return ssmapi.ErrTooManyTagsError.New("The resource has more than 50 tags.")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.AddTagsToResourceOutput{}, nil
}

// RemoveTagsFromResource removes tags by key.
func (s *SSM) RemoveTagsFromResource(ctx *request.Context, in *ssmapi.RemoveTagsFromResourceInput) (*ssmapi.RemoveTagsFromResourceOutput, error) {
	err := s.taggedParam(ctx, in.ResourceType, in.ResourceId, true, func(p *param) error {
		kept := p.Tags[:0]
		for _, t := range p.Tags {
			drop := false
			for _, k := range in.TagKeys {
				drop = drop || t.Key == k
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		p.Tags = kept
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &ssmapi.RemoveTagsFromResourceOutput{}, nil
}

// ListTagsForResource lists a parameter's tags.
func (s *SSM) ListTagsForResource(ctx *request.Context, in *ssmapi.ListTagsForResourceInput) (*ssmapi.ListTagsForResourceOutput, error) {
	out := ssmapi.ListTagsForResourceOutput{TagList: []ssmapi.Tag{}}
	err := s.taggedParam(ctx, in.ResourceType, in.ResourceId, false, func(p *param) error {
		for _, t := range p.Tags {
			out.TagList = append(out.TagList, ssmapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// ParameterTags returns a parameter's tags by ARN, for aws:ResourceTag
// conditions; found is false when it does not exist.
func (s *SSM) ParameterTags(account, region, name string) (map[string]string, bool, error) {
	sc := storage.Scope{Account: account, Region: region}
	var out map[string]string
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		for _, n := range []string{"/" + name, name} {
			p, ok, err := params.Get(tx, sc, n)
			if err != nil {
				return err
			}
			if ok {
				found = true
				out = make(map[string]string, len(p.Tags))
				for _, t := range p.Tags {
					out[t.Key] = t.Value
				}
				return nil
			}
		}
		return nil
	})
	return out, found, err
}
