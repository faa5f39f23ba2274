package ssm

import (
	"slices"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Labels name versions: a label is on at most one version of a parameter
// (labelling another version moves it), a version carries at most 10.
// Labels that break the rules (checkLabel) are returned in InvalidLabels
// rather than refused.

// LabelParameterVersion puts labels on a version (the latest by default).
func (s *SSM) LabelParameterVersion(ctx *request.Context, in *ssmapi.LabelParameterVersionInput) (*ssmapi.LabelParameterVersionOutput, error) {
	name := ptr.Deref(in.Name)
	if isPublic(name) {
		return nil, awserr.AccessDeniedException.New("No access to reserved parameter name: %s.", name)
	}
	sc := scope(ctx)
	out := ssmapi.LabelParameterVersionOutput{InvalidLabels: []string{}}
	var evs []events.Event
	err := s.store.Update(func(tx storage.Tx) error {
		p, ok, err := params.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		target := p.Latest
		if in.ParameterVersion != nil {
			target = *in.ParameterVersion
		}
		if target < p.Oldest || target > p.Latest {
			return errVersionNotFound(target, name)
		}
		var valid []string
		for _, l := range in.Labels {
			if !checkLabel(l) {
				out.InvalidLabels = append(out.InvalidLabels, l)
			} else if !slices.Contains(valid, l) {
				valid = append(valid, l)
			}
		}
		// Move the labels off whatever version holds them now.
		all := map[int64]version{}
		if err := versions.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, v version) bool {
			all[v.Version] = v
			return true
		}); err != nil {
			return err
		}
		tv, ok := all[target]
		if !ok {
			return errVersionNotFound(target, name)
		}
		for _, l := range valid {
			if !slices.Contains(tv.Labels, l) {
				tv.Labels = append(tv.Labels, l)
			}
		}
		if len(tv.Labels) > maxLabels {
			return ssmapi.ErrParameterVersionLabelLimitExceeded.New("A parameter version can have maximum 10 labels.Move one or more labels to another version and try again.")
		}
		for n, v := range all {
			if n == target {
				continue
			}
			kept := slices.DeleteFunc(slices.Clone(v.Labels), func(l string) bool { return slices.Contains(valid, l) })
			if len(kept) != len(v.Labels) {
				v.Labels = kept
				if err := versions.Put(tx, sc, v, name, verKey(n)); err != nil {
					return err
				}
			}
		}
		if err := versions.Put(tx, sc, tv, name, verKey(target)); err != nil {
			return err
		}
		out.ParameterVersion = ptr.To(target)
		if len(valid) > 0 {
			evs = append(evs, changeEvent(sc, name, tv.Type, tv.Description, "LabelParameterVersion", ctx.Now()))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.publish(evs)
	return &out, nil
}

// UnlabelParameterVersion removes labels from a version; labels the
// version does not carry are InvalidLabels.
func (s *SSM) UnlabelParameterVersion(ctx *request.Context, in *ssmapi.UnlabelParameterVersionInput) (*ssmapi.UnlabelParameterVersionOutput, error) {
	name := ptr.Deref(in.Name)
	sc := scope(ctx)
	out := ssmapi.UnlabelParameterVersionOutput{RemovedLabels: []string{}, InvalidLabels: []string{}}
	err := s.store.Update(func(tx storage.Tx) error {
		p, ok, err := params.Get(tx, sc, name)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		target := ptr.Deref(in.ParameterVersion)
		v, ok, err := versions.Get(tx, sc, name, verKey(target))
		if err != nil {
			return err
		}
		if !ok || target < p.Oldest || target > p.Latest {
			return errVersionNotFound(target, name)
		}
		for _, l := range in.Labels {
			if i := slices.Index(v.Labels, l); i >= 0 {
				v.Labels = slices.Delete(v.Labels, i, i+1)
				out.RemovedLabels = append(out.RemovedLabels, l)
			} else {
				out.InvalidLabels = append(out.InvalidLabels, l)
			}
		}
		return versions.Put(tx, sc, v, name, verKey(target))
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
