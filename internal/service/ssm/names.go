package ssm

import (
	"strconv"
	"strings"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
)

// Parameter name rules (PutParameter's "Naming constraints" and the user
// guide's "Requirements and constraints for parameter names"): case
// sensitive; a-zA-Z0-9_.- and "/"; a name with a "/" is a hierarchy and
// must begin with one; at most 15 levels; no "aws"/"ssm" prefix
// (case-insensitive) on the name or its first level; at most 1011
// characters (the rest of the model's 2048 is AWS's own bookkeeping).
const (
	maxNameLen  = 1011
	maxDepth    = 15
	maxVersions = 100
	maxLabels   = 10
	maxTags     = 50
	maxPolicies = 10
	maxStandard = 4096
	maxAdvanced = 8192
	// Region quotas: 10,000 standard and 100,000 advanced parameters.
	maxStandardParams = 10000
	maxAdvancedParams = 100000
)

// The messages AWS answers bad names with.
const (
	msgNameChars = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, numbers and the following 3 symbols .-_`
	msgNamePfx   = `Parameter name: can't be prefixed with "aws" or "ssm" (case-insensitive).`
)

func validName(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-' || c == '/'
}

// checkName validates a parameter name for PutParameter. Reserved
// prefixes: "/aws/..." is the public namespace (AccessDeniedException,
// as AWS answers), "aws..." and "ssm..." otherwise ValidationException.
func checkName(name string) error {
	if name == "" {
		return awserr.ValidationException.New(msgNameChars)
	}
	if len(name) > maxNameLen {
		return awserr.ValidationException.New("Parameter name: can't be longer than %d characters.", maxNameLen)
	}
	for i := 0; i < len(name); i++ {
		if !validName(name[i]) {
			return awserr.ValidationException.New(msgNameChars)
		}
	}
	if strings.Contains(name, "/") && name[0] != '/' {
		return awserr.ValidationException.New("Parameter name must be a fully qualified name.")
	}
	if strings.HasSuffix(name, "/") || strings.Contains(name, "//") {
		return awserr.ValidationException.New(msgNameChars)
	}
	first := strings.ToLower(trimSlash(name))
	if i := strings.IndexByte(first, '/'); i >= 0 {
		first = first[:i]
	}
	switch {
	case name[0] == '/' && strings.HasPrefix(first, "aws"):
		return awserr.AccessDeniedException.New("No access to reserved parameter name: %s.", name)
	case strings.HasPrefix(first, "aws") || strings.HasPrefix(first, "ssm"):
		if name[0] == '/' {
			return awserr.ValidationException.New(msgNameChars)
		}
		return awserr.ValidationException.New(msgNamePfx)
	}
	if depth(name) > maxDepth {
		return errDepth()
	}
	return nil
}

func errDepth() error {
	return ssmapi.ErrHierarchyLevelLimitExceededException.New("A hierarchy can have a maximum of 15 levels. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html#sysman-parameter-name-constraints")
}

// depth is the number of levels of a name or path ("/a/b" is 2).
func depth(name string) int {
	t := strings.Trim(name, "/")
	if t == "" {
		return 0
	}
	return strings.Count(t, "/") + 1
}

// ref is a parameter reference as GetParameter takes it: a name or ARN,
// optionally with a ":version" or ":label" selector.
type ref struct {
	Name     string
	Selector string // ":3", ":prod" or ""
	Version  int64  // > 0 for a version selector
	Label    string // for a label selector
	// Alt is a second name the reference may mean: an ARN names
	// "parameter/x", which is "/x" or "x".
	Alt string
}

// parseRef splits a reference; ok is false for one that cannot name a
// parameter (ParameterNotFound / InvalidParameters for the caller).
func parseRef(s, account, region string) (ref, error) {
	var r ref
	if strings.HasPrefix(s, "arn:") {
		p := strings.SplitN(s, ":", 6)
		if len(p) != 6 || p[2] != "ssm" || !strings.HasPrefix(p[5], "parameter/") {
			return r, awserr.ValidationException.New("Invalid parameter ARN: %s", s)
		}
		if p[4] != account && p[4] != "" {
			// Shared parameters from other accounts are not modelled.
			return r, errNotFound()
		}
		s = strings.TrimPrefix(p[5], "parameter")
		// "parameter/x" names "/x" (or, for a name without a
		// hierarchy, "x").
		r.Alt = s[1:]
	}
	if i := strings.IndexByte(s, ':'); i >= 0 {
		r.Name, r.Selector = s[:i], s[i:]
		sel := s[i+1:]
		if sel == "" || strings.Contains(sel, ":") {
			return r, awserr.ValidationException.New("Invalid parameter version or label: %s", s)
		}
		if sel[0] >= '0' && sel[0] <= '9' {
			v, err := strconv.ParseInt(sel, 10, 64)
			if err != nil || v < 1 {
				return r, awserr.ValidationException.New("Invalid parameter version or label: %s", s)
			}
			r.Version = v
		} else {
			r.Label = sel
		}
		if r.Alt != "" {
			r.Alt = r.Alt[:len(r.Alt)-len(r.Selector)]
		}
	} else {
		r.Name = s
	}
	if r.Name == "" {
		return r, errNotFound()
	}
	return r, nil
}

// checkLabel reports whether a label is valid: 1–100 of a-zA-Z0-9_.-,
// not starting with a digit or with "aws"/"ssm" (case-insensitive).
func checkLabel(l string) bool {
	if l == "" || len(l) > 100 {
		return false
	}
	lower := strings.ToLower(l)
	if strings.HasPrefix(lower, "aws") || strings.HasPrefix(lower, "ssm") || l[0] >= '0' && l[0] <= '9' {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-') {
			return false
		}
	}
	return true
}

func errNotFound() error { return ssmapi.ErrParameterNotFound.New("") }

func errVersionNotFound(v int64, name string) error {
	return ssmapi.ErrParameterVersionNotFound.New("Systems Manager could not find version %d of %s. Verify the version and try again.", v, name)
}
