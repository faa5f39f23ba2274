package iam

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"
)

// The finer rules of IAM's policy grammar, past the JSON shape that
// parseDocument checks: what IAM's "legacy parser" refuses (Effect case,
// numbers and dates in conditions, ARNs without a service), the Sid
// alphabet, the form of resource ARNs and of principals in trust policies.
// Messages are IAM's own.

// partitions are the partitions IAM accepts in a resource ARN ("*" is a
// wildcard partition).
var partitions = setOf("aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc", "*")

// iamResourceTypes are the resource types an IAM ARN's resource may start
// with.
var iamResourceTypes = []string{"user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/", "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/", "report/", "access-report/"}

func alphanumeric(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// legacyParses applies the checks IAM reports as "The policy failed legacy
// parsing": a case-exact Effect, a service in every ARN that has one,
// numbers where a Numeric operator compares and dates where a Date
// operator does.
func legacyParses(st statement) bool {
	if e := st["Effect"].(string); e != "Allow" && e != "Deny" {
		return false
	}
	for _, k := range []string{"Resource", "NotResource"} {
		for _, r := range stringsOf(st[k]) {
			if r == "*" {
				continue
			}
			parts := strings.Split(r, ":")
			if strings.Contains(r, "::") && len(parts) < 6 {
				return false
			}
			if len(parts) > 2 && parts[2] == "" && partitions[parts[1]] {
				return false
			}
		}
	}
	block, _ := st["Condition"].(map[string]any)
	for op, kv := range block {
		base := stripOperator(op)
		m, _ := kv.(map[string]any)
		for _, v := range m {
			for _, val := range conditionStrings(v) {
				switch {
				case strings.HasPrefix(base, "Numeric"):
					if _, err := strconv.ParseFloat(val, 64); err != nil {
						return false
					}
				case strings.HasPrefix(base, "Date"):
					if !isPolicyDate(val) {
						return false
					}
				}
			}
		}
	}
	return true
}

func conditionStrings(v any) []string {
	one := func(e any) string {
		switch x := e.(type) {
		case string:
			return x
		case json.Number:
			return x.String()
		case bool:
			return strconv.FormatBool(x)
		}
		return ""
	}
	if l, ok := v.([]any); ok {
		out := make([]string, 0, len(l))
		for _, e := range l {
			out = append(out, one(e))
		}
		return out
	}
	return []string{one(v)}
}

// isPolicyDate accepts what a Date condition compares: an epoch number or
// an ISO 8601 date, date-time or date-time with zone.
func isPolicyDate(v string) bool {
	if _, err := strconv.ParseInt(v, 10, 64); err == nil {
		return true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04Z07:00", "2006-01-02"} {
		if _, err := time.Parse(layout, v); err == nil {
			return true
		}
	}
	return false
}

// resourceError returns IAM's message for a Resource or NotResource value
// that is not "*" or a well-formed ARN pattern, or "".
func resourceError(r string) string {
	if r == "*" {
		return ""
	}
	parts := strings.SplitN(r, ":", 6)
	if len(parts) < 2 {
		return `Resource ` + r + ` must be in ARN format or "*".`
	}
	if !partitions[parts[1]] {
		field := func(i int) string {
			if i < len(parts) && (parts[i] != "" || i < len(parts)-1) {
				return parts[i]
			}
			return "*"
		}
		return `Partition "` + parts[1] + `" is not valid for resource "arn:` + parts[1] + `:` + field(2) + `:` + field(3) + `:` + field(4) + `:` + field(5) + `".`
	}
	if len(parts) < 3 {
		return "Resource vendor must be fully qualified and cannot contain regexes."
	}
	service := parts[2]
	if strings.ContainsAny(service, "*?") {
		return "Resource vendor must be fully qualified and cannot contain regexes."
	}
	region := ""
	if len(parts) > 3 {
		region = parts[3]
	}
	switch service {
	case "iam":
		if region != "" {
			return "IAM resource " + r + " cannot contain region information."
		}
		if len(parts) == 6 && parts[5] != "*" {
			ok := false
			for _, p := range iamResourceTypes {
				if strings.HasPrefix(parts[5], p) || parts[5] == "root" || strings.ContainsAny(parts[5][:min(len(parts[5]), len(p))], "*?") {
					ok = true
					break
				}
			}
			if !ok {
				return `IAM resource path must either be "*" or start with ` + strings.Join(iamResourceTypes, ", ") + `.`
			}
		}
	case "s3":
		if region != "" {
			return "Resource " + r + " can not contain region information."
		}
	}
	return ""
}

// principalTypes are the keys of a Principal object.
var principalTypes = setOf("AWS", "Service", "Federated", "CanonicalUser")

// principalError checks a trust policy's Principal or NotPrincipal value
// and returns IAM's "Invalid principal in policy" message for the first
// principal IAM would refuse, or "".
func principalError(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return "" // "*" or absent; the syntax check has seen to the rest
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, id := range stringsOf(m[k]) {
			if !principalTypes[k] || !validPrincipal(k, id) {
				return `Invalid principal in policy: "` + strings.ToUpper(k) + `":"` + id + `"`
			}
		}
	}
	return ""
}

func validPrincipal(kind, id string) bool {
	switch kind {
	case "AWS":
		if id == "*" || isAccountID(id) || isUniqueID(id) {
			return true
		}
		parts := strings.SplitN(id, ":", 6)
		if len(parts) != 6 || parts[0] != "arn" || !partitions[parts[1]] || parts[1] == "*" || parts[3] != "" {
			return false
		}
		if !isAccountID(parts[4]) && !(parts[2] == "iam" && (parts[4] == "aws" || parts[4] == "cloudfront")) {
			return false
		}
		res := parts[5]
		switch parts[2] {
		case "iam":
			if res == "root" {
				return true
			}
			for _, p := range []string{"user/", "role/", "federated-user/", "assumed-role/"} {
				if strings.HasPrefix(res, p) && len(res) > len(p) && !strings.ContainsAny(res, "*? ") {
					return true
				}
			}
		case "sts":
			return strings.HasPrefix(res, "assumed-role/") && strings.Count(res, "/") >= 2 && !strings.ContainsAny(res, "*? ")
		}
		return false
	case "Service":
		if id == "*" {
			return true
		}
		for _, suffix := range []string{".amazonaws.com", ".amazonaws.com.cn", ".amazon.com"} {
			if name, ok := strings.CutSuffix(id, suffix); ok && name != "" && serviceName(name) {
				return true
			}
		}
		return false
	case "Federated":
		if id == "cognito-identity.amazonaws.com" || id == "www.amazon.com" || id == "graph.facebook.com" || id == "accounts.google.com" || id == "appleid.apple.com" {
			return true
		}
		p, ok := parseIAMARN(id)
		return ok && (p.Kind == "saml-provider" || p.Kind == "oidc-provider")
	case "CanonicalUser":
		return len(id) == 64 && strings.Trim(lower(id), "0123456789abcdef") == ""
	}
	return false
}

func serviceName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			return false
		}
	}
	return s[0] != '.' && s[len(s)-1] != '.'
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// isUniqueID accepts the unique id IAM shows in place of a principal that
// was deleted (AIDA..., AROA...).
func isUniqueID(s string) bool {
	if len(s) != 21 || !(strings.HasPrefix(s, "AIDA") || strings.HasPrefix(s, "AROA")) {
		return false
	}
	return strings.Trim(s, idAlphabet) == ""
}
