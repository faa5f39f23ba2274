package elbv2

import (
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// withTags reads (and with put, writes back) the tags of the resource an
// ARN names: load balancer, target group, listener or rule.
func withTags(tx storage.Tx, sc storage.Scope, arn string, fn func(*[]elbv2api.Tag) error, put bool) error {
	switch {
	case strings.Contains(arn, ":loadbalancer/"):
		r, err := getLB(tx, sc, arn)
		if err != nil {
			return err
		}
		if err := fn(&r.Tags); err != nil || !put {
			return err
		}
		return lbs.Put(tx, sc, r, arn)
	case strings.Contains(arn, ":targetgroup/"):
		r, err := getTG(tx, sc, arn)
		if err != nil {
			return err
		}
		if err := fn(&r.Tags); err != nil || !put {
			return err
		}
		return tgs.Put(tx, sc, r, arn)
	case strings.Contains(arn, ":listener/"):
		r, err := findListener(tx, sc, arn)
		if err != nil {
			return err
		}
		if err := fn(&r.Tags); err != nil || !put {
			return err
		}
		return listeners.Put(tx, sc, r, r.LB, arn)
	case strings.Contains(arn, ":listener-rule/"):
		r, err := findRule(tx, sc, arn)
		if err != nil {
			return err
		}
		if err := fn(&r.Tags); err != nil || !put {
			return err
		}
		return rules.Put(tx, sc, r, r.Listener, arn)
	}
	return validationError("'%s' is not a valid load balancer, target group, listener or rule ARN", arn)
}

// AddTags adds or replaces tags (50 per resource at most).
func (s *ELBv2) AddTags(ctx *request.Context, in *elbv2api.AddTagsInput) (*elbv2api.AddTagsOutput, error) {
	seen := map[string]bool{}
	for _, t := range in.Tags {
		k := ptr.Deref(t.Key)
		if seen[k] {
			return nil, elbv2api.ErrDuplicateTagKeysException.New("Tag key '%s' is duplicated", k)
		}
		seen[k] = true
	}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, arn := range in.ResourceArns {
			if err := withTags(tx, scope(ctx), arn, func(tags *[]elbv2api.Tag) error {
				for _, t := range in.Tags {
					replaced := false
					for i := range *tags {
						if ptr.Deref((*tags)[i].Key) == ptr.Deref(t.Key) {
							(*tags)[i].Value, replaced = t.Value, true
						}
					}
					if !replaced {
						*tags = append(*tags, elbv2api.Tag{Key: t.Key, Value: ptr.To(ptr.Deref(t.Value))})
					}
				}
				if len(*tags) > maxTags {
					return elbv2api.ErrTooManyTagsException.New("You've reached the limit on the number of tags for this resource")
				}
				return nil
			}, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.AddTagsOutput{}, nil
}

// RemoveTags removes tags by key.
func (s *ELBv2) RemoveTags(ctx *request.Context, in *elbv2api.RemoveTagsInput) (*elbv2api.RemoveTagsOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		for _, arn := range in.ResourceArns {
			if err := withTags(tx, scope(ctx), arn, func(tags *[]elbv2api.Tag) error {
				kept := (*tags)[:0]
				for _, t := range *tags {
					if !contains(in.TagKeys, ptr.Deref(t.Key)) {
						kept = append(kept, t)
					}
				}
				*tags = kept
				return nil
			}, true); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.RemoveTagsOutput{}, nil
}

// DescribeTags returns the tags of up to 20 resources.
func (s *ELBv2) DescribeTags(ctx *request.Context, in *elbv2api.DescribeTagsInput) (*elbv2api.DescribeTagsOutput, error) {
	out := &elbv2api.DescribeTagsOutput{TagDescriptions: []elbv2api.TagDescription{}}
	err := s.store.View(func(tx storage.Tx) error {
		for _, arn := range in.ResourceArns {
			if err := withTags(tx, scope(ctx), arn, func(tags *[]elbv2api.Tag) error {
				t := *tags
				if t == nil {
					t = []elbv2api.Tag{}
				}
				out.TagDescriptions = append(out.TagDescriptions, elbv2api.TagDescription{ResourceArn: ptr.To(arn), Tags: t})
				return nil
			}, false); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// resourceTags answers aws:ResourceTag/<key> for the service's ARNs.
func (s *ELBv2) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, _, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	var m map[string]string
	err := s.store.View(func(tx storage.Tx) error {
		return withTags(tx, scope(c), arn, func(tags *[]elbv2api.Tag) error {
			m = kit.TagMap(*tags, func(t elbv2api.Tag) (*string, *string) { return t.Key, t.Value })
			return nil
		}, false)
	})
	if err != nil {
		return nil, false, nil
	}
	return m, true, nil
}
