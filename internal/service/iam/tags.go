package iam

import (
	"fmt"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// Tags on IAM resources: at most 50, keys compared without regard to case
// but kept as written, values up to 256 characters. They are stored in the
// order they were first added, which is the order IAM lists them in.

func readTags(in []iamapi.Tag) ([]tag, error) {
	out := make([]tag, 0, len(in))
	seen := map[string]bool{}
	for _, t := range in {
		k, err := required("tags.member.key", t.Key)
		if err != nil {
			return nil, err
		}
		if seen[lower(k)] {
			return nil, iamapi.ErrInvalidInputException.New("Duplicate tag keys found. Please note that Tag keys are case insensitive.")
		}
		seen[lower(k)] = true
		out = append(out, tag{Key: k, Value: ptr.Deref(t.Value)})
	}
	if len(out) > maxTags {
		return nil, validation("Value '%v' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50", len(out))
	}
	return out, nil
}

// mergeTags sets each tag of add on existing, replacing a tag with the same
// key (in any case).
func mergeTags(existing []tag, add []iamapi.Tag) ([]tag, error) {
	ts, err := readTags(add)
	if err != nil {
		return nil, err
	}
	out := append([]tag(nil), existing...)
next:
	for _, t := range ts {
		for i := range out {
			if lower(out[i].Key) == lower(t.Key) {
				out[i] = t
				continue next
			}
		}
		out = append(out, t)
	}
	if len(out) > maxTags {
		return nil, limitExceeded("The number of tags has reached the maximum limit.")
	}
	return out, nil
}

// removeTags drops the tags with these keys; keys that are not there are
// ignored, as IAM ignores them.
func removeTags(existing []tag, keys []string) []tag {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[lower(k)] = true
	}
	var out []tag
	for _, t := range existing {
		if !drop[lower(t.Key)] {
			out = append(out, t)
		}
	}
	return out
}

func tagsOut(ts []tag) []iamapi.Tag {
	if len(ts) == 0 {
		return nil
	}
	out := make([]iamapi.Tag, len(ts))
	for i, t := range ts {
		out[i] = iamapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)}
	}
	return out
}

// pageTags pages a tag list for the List*Tags operations; tags have no
// order of their own, so the marker is the position.
func pageTags(ts []tag, marker *string, maxItems *int32) ([]iamapi.Tag, pageResult, error) {
	p, err := newPage(marker, maxItems)
	if err != nil {
		return nil, pageResult{}, err
	}
	start, end, res := p.sliceWindow(len(ts), func(i int) string { return fmt.Sprintf("%06d", i) })
	out := tagsOut(ts[start:end])
	if out == nil {
		out = []iamapi.Tag{}
	}
	return out, res, nil
}
