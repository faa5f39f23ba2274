package athena

import (
	"sort"
	"strings"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Tags live on workgroups (arn:aws:athena:<region>:<account>:workgroup/<name>).

// workgroupOf names the workgroup an ARN of this account and region
// names.
func workgroupOf(ctx *request.Context, arn string) (string, error) {
	prefix := "arn:aws:athena:" + ctx.Region + ":" + ctx.Account + ":workgroup/"
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || name == "" {
		return "", athenaapi.ErrResourceNotFoundException.New("Resource %s is not found.", arn)
	}
	return name, nil
}

// updateTags changes a workgroup's tags (primary becomes stored).
func (a *Athena) updateTags(ctx *request.Context, arn string, f func(tags map[string]string)) error {
	name, err := workgroupOf(ctx, arn)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return a.store.Update(func(tx storage.Tx) error {
		w, err := getWorkgroup(tx, sc, name)
		if err != nil {
			return athenaapi.ErrResourceNotFoundException.New("Resource %s is not found.", arn)
		}
		m := map[string]string{}
		for _, t := range w.Tags {
			m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
		f(m)
		w.Tags = nil
		for _, k := range sortedTagKeys(m) {
			w.Tags = append(w.Tags, athenaapi.Tag{Key: ptr.To(k), Value: ptr.To(m[k])})
		}
		return workgroups.Put(tx, sc, w, name)
	})
}

func sortedTagKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// TagResource adds tags to a workgroup.
func (a *Athena) TagResource(ctx *request.Context, in *athenaapi.TagResourceInput) (*athenaapi.TagResourceOutput, error) {
	err := a.updateTags(ctx, ptr.Deref(in.ResourceARN), func(m map[string]string) {
		for _, t := range in.Tags {
			m[ptr.Deref(t.Key)] = ptr.Deref(t.Value)
		}
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.TagResourceOutput{}, nil
}

// UntagResource removes tags from a workgroup.
func (a *Athena) UntagResource(ctx *request.Context, in *athenaapi.UntagResourceInput) (*athenaapi.UntagResourceOutput, error) {
	err := a.updateTags(ctx, ptr.Deref(in.ResourceARN), func(m map[string]string) {
		for _, k := range in.TagKeys {
			delete(m, k)
		}
	})
	if err != nil {
		return nil, err
	}
	return &athenaapi.UntagResourceOutput{}, nil
}

// ListTagsForResource lists a workgroup's tags.
func (a *Athena) ListTagsForResource(ctx *request.Context, in *athenaapi.ListTagsForResourceInput) (*athenaapi.ListTagsForResourceOutput, error) {
	arn := ptr.Deref(in.ResourceARN)
	name, err := workgroupOf(ctx, arn)
	if err != nil {
		return nil, err
	}
	var w workgroupRecord
	err = a.store.View(func(tx storage.Tx) error {
		var err error
		w, err = getWorkgroup(tx, scope(ctx), name)
		return err
	})
	if err != nil {
		return nil, athenaapi.ErrResourceNotFoundException.New("Resource %s is not found.", arn)
	}
	tags := append([]athenaapi.Tag{}, w.Tags...)
	return &athenaapi.ListTagsForResourceOutput{Tags: tags}, nil
}
