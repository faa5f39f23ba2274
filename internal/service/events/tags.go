package events

import (
	"sort"
	"strings"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const maxTags = 50

func tagMap(tags []eventsapi.Tag) (map[string]string, error) {
	if len(tags) == 0 {
		return nil, nil
	}
	m := map[string]string{}
	for _, t := range tags {
		k := ptr.Deref(t.Key)
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, validation("Invalid tag key: tag keys must not start with 'aws:'.")
		}
		m[k] = ptr.Deref(t.Value)
	}
	if len(m) > maxTags {
		return nil, eventsapi.ErrLimitExceededException.New("Request exceeds the maximum number of tags allowed (50).")
	}
	return m, nil
}

// withTags runs fn on the tags of the rule or bus an ARN names, storing
// the result.
func (e *Events) withTags(arn string, write bool, fn func(map[string]string) map[string]string) error {
	sc, res, ok := parseARN(arn)
	if !ok {
		return validation("Parameter ResourceARN is not valid.")
	}
	kind, rest, _ := strings.Cut(res, "/")
	run := e.store.View
	if write {
		run = e.store.Update
	}
	return run(func(tx storage.Tx) error {
		switch kind {
		case "event-bus":
			b, ok, err := getBus(tx, sc, rest)
			if err != nil {
				return err
			}
			if !ok {
				return busNotFound(rest)
			}
			b.Tags = fn(b.Tags)
			if !write {
				return nil
			}
			if b.Created.IsZero() {
				b.Created = e.clock.Now()
			}
			return buses.Put(tx, sc, b, rest)
		case "rule":
			bus, name := defaultBus, rest
			if i := strings.LastIndexByte(rest, '/'); i >= 0 {
				bus, name = rest[:i], rest[i+1:]
			}
			r, ok, err := rules.Get(tx, sc, bus, name)
			if err != nil {
				return err
			}
			if !ok {
				return ruleNotFound(name, bus)
			}
			if write && r.ManagedBy != "" {
				return managedErr(r)
			}
			r.Tags = fn(r.Tags)
			if !write {
				return nil
			}
			return rules.Put(tx, sc, r, bus, name)
		}
		return eventsapi.ErrResourceNotFoundException.New("Resource %s does not exist.", arn)
	})
}

// TagResource adds tags to a rule or bus.
func (e *Events) TagResource(ctx *request.Context, in *eventsapi.TagResourceRequest) (*eventsapi.TagResourceResponse, error) {
	add, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	var limit error
	err = e.withTags(ptr.Deref(in.ResourceARN), true, func(m map[string]string) map[string]string {
		if m == nil {
			m = map[string]string{}
		}
		for k, v := range add {
			m[k] = v
		}
		if len(m) > maxTags {
			limit = eventsapi.ErrLimitExceededException.New("Request exceeds the maximum number of tags allowed (50).")
		}
		return m
	})
	if err == nil {
		err = limit
	}
	if err != nil {
		return nil, err
	}
	return &eventsapi.TagResourceResponse{}, nil
}

// UntagResource removes tags.
func (e *Events) UntagResource(ctx *request.Context, in *eventsapi.UntagResourceRequest) (*eventsapi.UntagResourceResponse, error) {
	err := e.withTags(ptr.Deref(in.ResourceARN), true, func(m map[string]string) map[string]string {
		for _, k := range in.TagKeys {
			delete(m, k)
		}
		return m
	})
	if err != nil {
		return nil, err
	}
	return &eventsapi.UntagResourceResponse{}, nil
}

// ListTagsForResource lists the tags of a rule or bus.
func (e *Events) ListTagsForResource(ctx *request.Context, in *eventsapi.ListTagsForResourceRequest) (*eventsapi.ListTagsForResourceResponse, error) {
	out := &eventsapi.ListTagsForResourceResponse{Tags: []eventsapi.Tag{}}
	err := e.withTags(ptr.Deref(in.ResourceARN), false, func(m map[string]string) map[string]string {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			out.Tags = append(out.Tags, eventsapi.Tag{Key: ptr.To(k), Value: ptr.To(m[k])})
		}
		return m
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
