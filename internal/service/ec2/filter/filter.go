// Package filter is the one Describe filter engine of EC2. Every Describe*
// call builds, per resource, the values each documented filter name sees
// and asks Match whether the resource passes; so wildcards, tag filters and
// unknown-filter errors behave the same across instances, VPCs, subnets,
// images and the rest, as they do on AWS.
//
// Semantics (AWS "Filter" docs): filters are ANDed; the values of one filter
// are ORed; a value matches when it equals one of the resource's values for
// that name, where '*' matches any run of characters and '?' exactly one
// (a backslash escapes them). "tag:<key>" matches the tag's value,
// "tag-key" any tag key and "tag-value" any tag value.
package filter

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// Doc is what one resource shows to filters: the values per filter name
// and its tags. A name present in Fields with no values is a known filter
// that matches nothing on this resource; a name absent from Fields is an
// unknown filter, which AWS rejects.
type Doc struct {
	Fields map[string][]string
	Tags   []ec2api.Tag
}

// Add appends values to a field, skipping empty strings, and returns d.
func (d Doc) Add(name string, values ...string) Doc {
	cur := d.Fields[name]
	for _, v := range values {
		if v != "" {
			cur = append(cur, v)
		}
	}
	if cur == nil {
		cur = []string{}
	}
	d.Fields[name] = cur
	return d
}

// New returns an empty Doc with tags.
func New(tags []ec2api.Tag) Doc { return Doc{Fields: map[string][]string{}, Tags: tags} }

// Validate checks filter names against the names a resource kind knows,
// so that an unknown filter fails even when there are no resources to
// match, as EC2 answers.
func Validate(filters []ec2api.Filter, known Doc) error {
	for _, f := range filters {
		name := ptr.Deref(f.Name)
		if name == "" {
			return awserr.InvalidParameterValue.New("The filter 'null' is invalid")
		}
		if strings.HasPrefix(name, "tag:") || name == "tag-key" || name == "tag-value" {
			continue
		}
		if _, ok := known.Fields[name]; !ok {
			return awserr.InvalidParameterValue.New("The filter '%s' is invalid", name)
		}
	}
	return nil
}

// Match reports whether the resource described by d passes every filter.
// Filter names must have been checked with Validate.
func Match(filters []ec2api.Filter, d Doc) bool {
	for _, f := range filters {
		name := ptr.Deref(f.Name)
		var have []string
		switch {
		case strings.HasPrefix(name, "tag:"):
			key := name[len("tag:"):]
			for _, t := range d.Tags {
				if ptr.Deref(t.Key) == key {
					have = append(have, ptr.Deref(t.Value))
				}
			}
		case name == "tag-key":
			for _, t := range d.Tags {
				have = append(have, ptr.Deref(t.Key))
			}
		case name == "tag-value":
			for _, t := range d.Tags {
				have = append(have, ptr.Deref(t.Value))
			}
		default:
			have = d.Fields[name]
		}
		if !anyMatch(f.Values, have) {
			return false
		}
	}
	return true
}

func anyMatch(patterns, have []string) bool {
	for _, p := range patterns {
		for _, h := range have {
			if Wildcard(p, h) {
				return true
			}
		}
	}
	return false
}

// Wildcard matches s against an EC2 filter pattern: '*' is any run of
// characters, '?' is one character, '\' escapes the next character.
// Matching is case-sensitive, as EC2's is.
func Wildcard(pattern, s string) bool {
	p, str := []rune(pattern), []rune(s)
	// Iterative glob with single backtrack point: linear in practice and
	// never exponential, so a hostile pattern cannot stall a Describe.
	pi, si := 0, 0
	starP, starS := -1, 0
	for si < len(str) {
		if pi < len(p) {
			switch c := p[pi]; {
			case c == '*':
				starP, starS = pi, si
				pi++
				continue
			case c == '?':
				pi++
				si++
				continue
			case c == '\\' && pi+1 < len(p):
				if p[pi+1] == str[si] {
					pi += 2
					si++
					continue
				}
			case c == str[si]:
				pi++
				si++
				continue
			}
		}
		if starP < 0 {
			return false
		}
		starS++
		pi, si = starP+1, starS
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
