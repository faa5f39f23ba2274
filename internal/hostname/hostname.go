// Package hostname holds the host-name rules niwa's host-routed endpoints
// share (S3 virtual hosts and website endpoints), so that the gateway and
// the S3 service accept exactly the same names.
package hostname

import "strings"

// LocalStack is the domain LocalStack's endpoints are addressed under
// ("bucket.s3.localhost.localstack.cloud:4566"). LocalStack's public DNS
// resolves it and every name under it to 127.0.0.1, so niwa accepts it
// beside its own suffix: a project moving from LocalStack keeps its URLs.
const LocalStack = "localhost.localstack.cloud"

// TrimSuffix returns what precedes "."+suffix or "."+LocalStack in host,
// and whether host ends in either. host must already be lowercase and
// without its port; suffix is compared case-insensitively. The configured
// suffix is tried first, so a suffix under LocalStack's domain (or one
// LocalStack's domain is under) keeps its own meaning.
func TrimSuffix(host, suffix string) (string, bool) {
	for _, s := range [2]string{strings.ToLower(suffix), LocalStack} {
		if s == "" {
			continue
		}
		if rest, ok := strings.CutSuffix(host, "."+s); ok {
			return rest, true
		}
	}
	return "", false
}

// Under reports whether host (lowercase, without port) is suffix or
// LocalStack's domain, or a name under either: one of niwa's own hosts,
// never a custom domain.
func Under(host, suffix string) bool {
	suffix = strings.ToLower(suffix)
	if host == LocalStack || suffix != "" && host == suffix {
		return true
	}
	_, ok := TrimSuffix(host, suffix)
	return ok
}
