package scheduler

import (
	"sort"
	"strings"
	"time"

	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// maxTags is the tag limit of a schedule group (the model's TagList max).
const maxTags = 200

// CreateScheduleGroup creates a schedule group with tags.
func (s *Scheduler) CreateScheduleGroup(ctx *request.Context, in *schedulerapi.CreateScheduleGroupInput) (*schedulerapi.CreateScheduleGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	now := ctx.Now()
	g := groupRecord{Name: name, Tags: tagMap(in.Tags), Created: now, Modified: now}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := getGroup(tx, sc, name); err != nil {
			return err
		} else if ok {
			return schedulerapi.ErrConflictException.New("Schedule group %s already exists.", name)
		}
		return groups.Put(tx, sc, g, name)
	})
	if err != nil {
		return nil, err
	}
	return &schedulerapi.CreateScheduleGroupOutput{ScheduleGroupArn: ptr.To(groupARN(sc, name))}, nil
}

func tagMap(tags []schedulerapi.Tag) map[string]string {
	if len(tags) == 0 {
		return nil
	}
	m := map[string]string{}
	for _, t := range tags {
		m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
	}
	return m
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

// GetScheduleGroup describes a group.
func (s *Scheduler) GetScheduleGroup(ctx *request.Context, in *schedulerapi.GetScheduleGroupInput) (*schedulerapi.GetScheduleGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	var g groupRecord
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		g, ok, err = getGroup(tx, sc, name)
		if err == nil && !ok {
			err = groupNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &schedulerapi.GetScheduleGroupOutput{Arn: ptr.To(groupARN(sc, name)), Name: ptr.To(name), State: ptr.To("ACTIVE"),
		CreationDate: optTime(g.Created), LastModificationDate: optTime(g.Modified)}, nil
}

// ListScheduleGroups lists the groups, the default one included, by name.
func (s *Scheduler) ListScheduleGroups(ctx *request.Context, in *schedulerapi.ListScheduleGroupsInput) (*schedulerapi.ListScheduleGroupsOutput, error) {
	sc := scope(ctx)
	all := []groupRecord{}
	hasDefault := false
	err := s.store.View(func(tx storage.Tx) error {
		return groups.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, g groupRecord) bool {
			hasDefault = hasDefault || g.Name == defaultGroup
			all = append(all, g)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	if !hasDefault {
		all = append(all, groupRecord{Name: defaultGroup})
	}
	prefix := ptr.Deref(in.NamePrefix)
	var kept []groupRecord
	for _, g := range all {
		if strings.HasPrefix(g.Name, prefix) {
			kept = append(kept, g)
		}
	}
	sort.Slice(kept, func(i, j int) bool { return kept[i].Name < kept[j].Name })
	items, next := page(kept, func(g groupRecord) string { return g.Name }, in.NextToken, in.MaxResults)
	out := &schedulerapi.ListScheduleGroupsOutput{ScheduleGroups: []schedulerapi.ScheduleGroupSummary{}, NextToken: next}
	for _, g := range items {
		out.ScheduleGroups = append(out.ScheduleGroups, schedulerapi.ScheduleGroupSummary{Arn: ptr.To(groupARN(sc, g.Name)), Name: ptr.To(g.Name),
			State: ptr.To("ACTIVE"), CreationDate: optTime(g.Created), LastModificationDate: optTime(g.Modified)})
	}
	return out, nil
}

// DeleteScheduleGroup deletes a group and every schedule in it (AWS does
// it asynchronously, passing through DELETING; niwa at once).
func (s *Scheduler) DeleteScheduleGroup(ctx *request.Context, in *schedulerapi.DeleteScheduleGroupInput) (*schedulerapi.DeleteScheduleGroupOutput, error) {
	sc := scope(ctx)
	name := ptr.Deref(in.Name)
	if name == defaultGroup {
		return nil, validation("Cannot delete the default schedule group.")
	}
	var gone []string
	err := s.store.Update(func(tx storage.Tx) error {
		ok, err := groups.DeleteExisting(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return groupNotFound(name)
		}
		if err := schedules.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, r scheduleRecord) bool {
			gone = append(gone, r.Name)
			return true
		}); err != nil {
			return err
		}
		for _, n := range gone {
			if err := schedules.Delete(tx, sc, name, n); err != nil {
				return err
			}
			if err := index.Delete(tx, storage.Scope{}, sc.Account, sc.Region, name, n); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range gone {
		s.disarm(timerKey(sc, name, n))
	}
	return &schedulerapi.DeleteScheduleGroupOutput{}, nil
}

// taggedGroup resolves a TagResource ARN: only schedule groups take tags.
func (s *Scheduler) taggedGroup(sc storage.Scope, arn string) (string, error) {
	name, ok := parseGroupARN(sc, arn)
	if !ok {
		return "", schedulerapi.ErrResourceNotFoundException.New("Resource %s does not exist.", arn)
	}
	return name, nil
}

// updateTags applies f to a group's tags.
func (s *Scheduler) updateTags(ctx *request.Context, arn *string, f func(map[string]string) error) error {
	sc := scope(ctx)
	name, err := s.taggedGroup(sc, ptr.Deref(arn))
	if err != nil {
		return err
	}
	return s.store.Update(func(tx storage.Tx) error {
		g, ok, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return groupNotFound(name)
		}
		if g.Tags == nil {
			g.Tags = map[string]string{}
		}
		if g.Created.IsZero() {
			g.Created = ctx.Now()
		}
		if err := f(g.Tags); err != nil {
			return err
		}
		return groups.Put(tx, sc, g, name)
	})
}

// TagResource adds or replaces tags of a schedule group.
func (s *Scheduler) TagResource(ctx *request.Context, in *schedulerapi.TagResourceInput) (*schedulerapi.TagResourceOutput, error) {
	err := s.updateTags(ctx, in.ResourceArn, func(m map[string]string) error {
		for _, t := range in.Tags {
			m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
		if len(m) > maxTags {
			return validation("A resource can have at most %d tags.", maxTags)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &schedulerapi.TagResourceOutput{}, nil
}

// UntagResource removes tags of a schedule group.
func (s *Scheduler) UntagResource(ctx *request.Context, in *schedulerapi.UntagResourceInput) (*schedulerapi.UntagResourceOutput, error) {
	err := s.updateTags(ctx, in.ResourceArn, func(m map[string]string) error {
		for _, k := range in.TagKeys {
			delete(m, k)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &schedulerapi.UntagResourceOutput{}, nil
}

// ListTagsForResource lists a schedule group's tags by key.
func (s *Scheduler) ListTagsForResource(ctx *request.Context, in *schedulerapi.ListTagsForResourceInput) (*schedulerapi.ListTagsForResourceOutput, error) {
	sc := scope(ctx)
	name, err := s.taggedGroup(sc, ptr.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	var g groupRecord
	err = s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		g, ok, err = getGroup(tx, sc, name)
		if err == nil && !ok {
			err = groupNotFound(name)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(g.Tags))
	for k := range g.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := &schedulerapi.ListTagsForResourceOutput{Tags: []schedulerapi.Tag{}}
	for _, k := range keys {
		out.Tags = append(out.Tags, schedulerapi.Tag{Key: ptr.To(k), Value: ptr.To(g.Tags[k])})
	}
	return out, nil
}

// page applies NextToken/MaxResults to items sorted by key: the token is
// the last key of the previous page.
func page[T any](items []T, key func(T) string, token *string, limit *int32) ([]T, *string) {
	start := 0
	if t := ptr.Deref(token); t != "" {
		for start < len(items) && key(items[start]) <= t {
			start++
		}
	}
	n := 100
	if l := ptr.Deref(limit); l > 0 {
		n = int(l)
	}
	items = items[start:]
	if len(items) > n {
		return items[:n], ptr.To(key(items[n-1]))
	}
	return items, nil
}
