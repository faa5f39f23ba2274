package iam

import (
	"encoding/base64"
	"sort"
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// IAM paginates with Marker, MaxItems (1..1000, default 100) and
// IsTruncated. A marker here is the sort key of the last item returned,
// base64url-encoded so that clients treat it as opaque; the next page starts
// after that key. Resuming after a key rather than at an offset keeps pages
// stable while items are created or deleted between calls.

type pageReq struct {
	after string // decoded marker; "" for the first page
	max   int
}

type pageResult struct {
	Marker      *string
	IsTruncated *bool
}

func newPage(marker *string, maxItems *int32) (pageReq, error) {
	p := pageReq{max: defaultMaxItems}
	if maxItems != nil {
		n := *maxItems
		switch {
		case n < 1:
			return p, validation("Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value greater than or equal to 1", n)
		case n > maxMaxItems:
			return p, validation("Value '%d' at 'maxItems' failed to satisfy constraint: Member must have value less than or equal to 1000", n)
		}
		p.max = int(n)
	}
	if marker != nil && *marker != "" {
		b, err := base64.RawURLEncoding.DecodeString(*marker)
		if err != nil || len(b) == 0 {
			return p, iamapi.ErrInvalidInputException.New("Invalid Marker.")
		}
		p.after = string(b)
	}
	return p, nil
}

func encodeMarker(key string) string { return base64.RawURLEncoding.EncodeToString([]byte(key)) }

func done(truncated bool, lastKey string) pageResult {
	r := pageResult{IsTruncated: ptr.To(truncated)}
	if truncated {
		r.Marker = ptr.To(encodeMarker(lastKey))
	}
	return r
}

// sliceWindow pages over n items whose keys (key(i)) ascend with i. It
// returns the half-open index range of the page.
func (p pageReq) sliceWindow(n int, key func(i int) string) (start, end int, res pageResult) {
	if p.after != "" {
		start = sort.Search(n, func(i int) bool { return key(i) > p.after })
	}
	end = min(start+p.max, n)
	truncated := end < n
	last := ""
	if truncated {
		last = key(end - 1)
	}
	return start, end, done(truncated, last)
}

// tablePage lists t's records under prefix in key order, resuming after the
// page's marker, keeping those keep accepts (nil keeps all), and returns at
// most p.max of them. The marker is the last key part of the last record.
func tablePage[T any](tx storage.Tx, t storage.Table[T], sc storage.Scope, prefix []string, p pageReq, keep func(T) bool) ([]T, pageResult, error) {
	opts := storage.ListOptions{}
	if p.after != "" {
		opts.After = append(append([]string(nil), prefix...), p.after)
	}
	var out []T
	var keys []string
	err := t.List(tx, sc, prefix, opts, func(key []string, v T) bool {
		if keep != nil && !keep(v) {
			return true
		}
		out = append(out, v)
		keys = append(keys, key[len(key)-1])
		return len(out) <= p.max
	})
	if err != nil {
		return nil, pageResult{}, err
	}
	if len(out) > p.max {
		return out[:p.max], done(true, keys[p.max-1]), nil
	}
	return out, done(false, ""), nil
}

// nameKey is the sort key of names IAM lists case-insensitively.
func nameKey(name string) string { return lower(name) }

// sortByName sorts items by their name, case-insensitively, then by the
// name itself so the order is total.
func sortByName[T any](items []T, name func(T) string) {
	sort.SliceStable(items, func(i, j int) bool {
		a, b := name(items[i]), name(items[j])
		if la, lb := lower(a), lower(b); la != lb {
			return la < lb
		}
		return strings.Compare(a, b) < 0
	})
}
