package ssm

import (
	"encoding/base64"
	"errors"
	"slices"
	"strings"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func asAWS(err error, e **awserr.Error) bool { return errors.As(err, e) }

// Paging tokens are opaque to clients: the key to resume after.
func encodeToken(k string) string { return base64.RawURLEncoding.EncodeToString([]byte("v1:" + k)) }

func decodeToken(t string) (string, error) {
	b, err := base64.RawURLEncoding.DecodeString(t)
	if err != nil || !strings.HasPrefix(string(b), "v1:") || len(b) == 3 {
		return "", ssmapi.ErrInvalidNextToken.New("The specified token isn't valid.")
	}
	return string(b[3:]), nil
}

// filter is one ParameterStringFilter, checked.
type filter struct {
	key, option string
	values      []string
}

// filterKeys are the keys each listing accepts.
var (
	describeKeys = []string{"Name", "Path", "Type", "KeyId", "Tier", "DataType"}
	byPathKeys   = []string{"Type", "KeyId", "Label", "Tier", "DataType"}
)

// checkFilters validates ParameterFilters for a listing that accepts
// keys (and tag:<key>).
func checkFilters(in []ssmapi.ParameterStringFilter, keys []string) ([]filter, error) {
	out := make([]filter, 0, len(in))
	for _, f := range in {
		k, opt := ptr.Deref(f.Key), ptr.Deref(f.Option)
		isTag := strings.HasPrefix(k, "tag:")
		if !isTag && !slices.Contains(keys, k) {
			return nil, ssmapi.ErrInvalidFilterKey.New("The following filter key is not valid: %s. Valid filter keys include: [%s, tag:<key>].", k, strings.Join(keys, ", "))
		}
		options := []string{"Equals"}
		switch k {
		case "Name":
			options = []string{"BeginsWith", "Equals", "Contains"}
		case "Path":
			options = []string{"Recursive", "OneLevel"}
		}
		if opt == "" {
			opt = options[0]
			if k == "Name" {
				opt = "Equals"
			}
			if k == "Path" {
				opt = "OneLevel"
			}
		}
		if !slices.Contains(options, opt) {
			return nil, ssmapi.ErrInvalidFilterOption.New("The following filter option is not valid: %s. Valid options include: [%s].", opt, strings.Join(options, ", "))
		}
		if len(f.Values) == 0 && !isTag {
			return nil, ssmapi.ErrInvalidFilterValue.New("The following filter values are missing : null for filter key %s.", k)
		}
		switch k {
		case "Type":
			for _, v := range f.Values {
				if v != "String" && v != "StringList" && v != "SecureString" {
					return nil, ssmapi.ErrInvalidFilterValue.New("The following filter value is not valid: %s. Valid values include: [String, StringList, SecureString].", v)
				}
			}
		case "Tier":
			for _, v := range f.Values {
				if v != "Standard" && v != "Advanced" {
					return nil, ssmapi.ErrInvalidFilterValue.New("The following filter value is not valid: %s. Valid values include: [Standard, Advanced].", v)
				}
			}
		case "Path":
			for _, v := range f.Values {
				if !strings.HasPrefix(v, "/") {
					return nil, ssmapi.ErrInvalidFilterValue.New("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
				}
				if depth(v) > maxDepth {
					return nil, errDepth()
				}
			}
		}
		out = append(out, filter{key: k, option: opt, values: f.Values})
	}
	return out, nil
}

// underPath reports whether name is under path (directly, unless
// recursive).
func underPath(name, path string, recursive bool) bool {
	prefix := strings.TrimSuffix(path, "/") + "/"
	if !strings.HasPrefix(name, prefix) || len(name) == len(prefix) {
		return false
	}
	return recursive || !strings.Contains(name[len(prefix):], "/")
}

// matches reports whether a parameter's version passes every filter.
func matches(fs []filter, p *param, v *version) bool {
	for _, f := range fs {
		ok := false
		switch {
		case strings.HasPrefix(f.key, "tag:"):
			k := f.key[4:]
			for _, t := range p.Tags {
				if t.Key == k && (len(f.values) == 0 || slices.Contains(f.values, t.Value)) {
					ok = true
				}
			}
		case f.key == "Name":
			for _, want := range f.values {
				// A name filter matches with or without the leading
				// slash of a hierarchy.
				for _, n := range []string{p.Name, trimSlash(p.Name)} {
					switch f.option {
					case "Equals":
						ok = ok || n == want
					case "BeginsWith":
						ok = ok || strings.HasPrefix(n, want)
					case "Contains":
						ok = ok || strings.Contains(n, want)
					}
				}
			}
		case f.key == "Path":
			for _, want := range f.values {
				ok = ok || underPath(p.Name, want, f.option == "Recursive")
			}
		case f.key == "Type":
			ok = slices.Contains(f.values, v.Type)
		case f.key == "KeyId":
			ok = v.KeyID != "" && slices.Contains(f.values, v.KeyID)
		case f.key == "Tier":
			ok = slices.Contains(f.values, v.Tier)
		case f.key == "DataType":
			ok = slices.Contains(f.values, v.DataType)
		case f.key == "Label":
			ok = slices.ContainsFunc(v.Labels, func(l string) bool { return slices.Contains(f.values, l) })
		}
		if !ok {
			return false
		}
	}
	return true
}

// GetParametersByPath lists the parameters under a path (one level, or
// every level with Recursive), 10 a page.
func (s *SSM) GetParametersByPath(ctx *request.Context, in *ssmapi.GetParametersByPathInput) (*ssmapi.GetParametersByPathOutput, error) {
	path := ptr.Deref(in.Path)
	if !strings.HasPrefix(path, "/") || strings.Contains(path, "//") {
		return nil, awserr.ValidationException.New("The parameter doesn't meet the parameter name requirements. The parameter name must begin with a forward slash \"/\". It can't be prefixed with \"aws\" or \"ssm\" (case-insensitive). It must use only letters, numbers, or the following symbols: . (period), - (hyphen), _ (underscore). Special characters are not allowed. All sub-paths, if specified, must use the forward slash symbol \"/\". Valid example: /get/parameters2-/by1./path0_.")
	}
	for i := 0; i < len(path); i++ {
		if !validName(path[i]) {
			return nil, awserr.ValidationException.New(msgNameChars)
		}
	}
	if depth(path) > maxDepth {
		return nil, errDepth()
	}
	fs, err := checkFilters(in.ParameterFilters, byPathKeys)
	if err != nil {
		return nil, err
	}
	recursive := ptr.Deref(in.Recursive)
	limit := int(ptr.Deref(in.MaxResults))
	if limit == 0 {
		limit = 10
	}
	after := ""
	if in.NextToken != nil {
		if after, err = decodeToken(*in.NextToken); err != nil {
			return nil, err
		}
	}
	out := ssmapi.GetParametersByPathOutput{Parameters: []ssmapi.Parameter{}}
	var hits []found
	last, more := "", false
	prefix := strings.TrimSuffix(path, "/") + "/"
	if isPublic(prefix) {
		for _, pp := range s.publicParams(ctx.Region) {
			if pp.Name <= after || !underPath(pp.Name, path, recursive) {
				continue
			}
			v := version{Version: 1, Type: "String", Value: pp.Value, Tier: "Standard", DataType: "text", Modified: pp.Modified}
			if !matches(fs, &param{Name: pp.Name}, &v) {
				continue
			}
			if len(hits) == limit {
				more = true
				break
			}
			hits = append(hits, found{name: pp.Name, v: v, public: true})
			last = pp.Name
		}
	} else {
		sc := scope(ctx)
		opts := storage.ListOptions{Partial: prefix}
		if after != "" {
			opts.After = []string{after}
		}
		err = s.store.View(func(tx storage.Tx) error {
			var ierr error
			lerr := params.List(tx, sc, nil, opts, func(_ []string, p param) bool {
				if !underPath(p.Name, path, recursive) {
					return true
				}
				v, ok, err := s.listedVersion(tx, sc, &p, fs)
				if err != nil {
					ierr = err
					return false
				}
				if !ok {
					return true
				}
				if len(hits) == limit {
					more = true
					return false
				}
				hits = append(hits, found{name: p.Name, v: v})
				last = p.Name
				return true
			})
			if lerr != nil {
				return lerr
			}
			return ierr
		})
		if err != nil {
			return nil, err
		}
	}
	for _, f := range hits {
		p, err := s.parameter(ctx, f, "", ptr.Deref(in.WithDecryption))
		if err != nil {
			return nil, err
		}
		out.Parameters = append(out.Parameters, p)
	}
	if more {
		out.NextToken = ptr.To(encodeToken(last))
	}
	return &out, nil
}

// listedVersion is the version of p a listing shows: the latest, or with
// a Label filter the version carrying the label.
func (s *SSM) listedVersion(tx storage.Tx, sc storage.Scope, p *param, fs []filter) (version, bool, error) {
	var labels []string
	for _, f := range fs {
		if f.key == "Label" {
			labels = f.values
		}
	}
	if labels == nil {
		v, ok, err := versions.Get(tx, sc, p.Name, verKey(p.Latest))
		if err != nil || !ok {
			return v, false, err
		}
		return v, matches(fs, p, &v), nil
	}
	var hit version
	ok := false
	err := versions.List(tx, sc, []string{p.Name}, storage.ListOptions{Reverse: true}, func(_ []string, v version) bool {
		if matches(fs, p, &v) {
			hit, ok = v, true
			return false
		}
		return true
	})
	return hit, ok, err
}

// DescribeParameters lists parameters' metadata (never values), 50 a
// page, filtered by Filters or ParameterFilters (not both).
func (s *SSM) DescribeParameters(ctx *request.Context, in *ssmapi.DescribeParametersInput) (*ssmapi.DescribeParametersOutput, error) {
	if len(in.Filters) > 0 && len(in.ParameterFilters) > 0 {
		return nil, awserr.ValidationException.New("You can use either Filters or ParameterFilters in a single request.")
	}
	pf := in.ParameterFilters
	for _, f := range in.Filters {
		// The legacy Filters: Name matches by prefix, Type and KeyId by
		// equality.
		opt := "Equals"
		if ptr.Deref(f.Key) == "Name" {
			opt = "BeginsWith"
		}
		pf = append(pf, ssmapi.ParameterStringFilter{Key: f.Key, Option: ptr.To(opt), Values: f.Values})
	}
	fs, err := checkFilters(pf, describeKeys)
	if err != nil {
		return nil, err
	}
	limit := int(ptr.Deref(in.MaxResults))
	if limit == 0 {
		limit = 50
	}
	opts := storage.ListOptions{}
	if in.NextToken != nil {
		after, err := decodeToken(*in.NextToken)
		if err != nil {
			return nil, err
		}
		opts.After = []string{after}
	}
	out := ssmapi.DescribeParametersOutput{Parameters: []ssmapi.ParameterMetadata{}}
	if ptr.Deref(in.Shared) {
		// No parameter is shared with this account through AWS RAM.
		return &out, nil
	}
	sc := scope(ctx)
	last, more := "", false
	err = s.store.View(func(tx storage.Tx) error {
		var ierr error
		lerr := params.List(tx, sc, nil, opts, func(_ []string, p param) bool {
			v, ok, err := versions.Get(tx, sc, p.Name, verKey(p.Latest))
			if err != nil {
				ierr = err
				return false
			}
			if !ok || !matches(fs, &p, &v) {
				return true
			}
			if len(out.Parameters) == limit {
				more = true
				return false
			}
			out.Parameters = append(out.Parameters, metadata(sc, p.Name, &v))
			last = p.Name
			return true
		})
		if lerr != nil {
			return lerr
		}
		return ierr
	})
	if err != nil {
		return nil, err
	}
	if more {
		out.NextToken = ptr.To(encodeToken(last))
	}
	return &out, nil
}
