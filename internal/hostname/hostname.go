// Package hostname holds the host-name rules niwa's host-routed endpoints
// share (S3 virtual hosts and website endpoints), so that the gateway and
// the S3 service accept exactly the same names.
package hostname

import (
	"net"
	"net/netip"
	"strings"
)

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

// S3Bucket returns the bucket of an S3 virtual-host-style API host, or "":
// "<bucket>.s3.<suffix>", "<bucket>.s3.<region>.<suffix>" or the legacy
// "<bucket>.s3-<region>.<suffix>", suffix being the configured one or
// LocalStack's. host may carry a port; case does not matter. Bucket names
// may themselves contain dots and "s3" ("logs.s3.backup"), so the service
// label is found from the right: it is the last label, or the one before a
// region label. Website hosts name no bucket here (see S3WebsiteBucket):
// they are the website endpoint, not the API. The gateway (service
// resolution) and S3 (form uploads) both read hosts with it, so they
// cannot disagree about which bucket a host names.
func S3Bucket(host, suffix string) string {
	rest, ok := TrimSuffix(bareHost(host), suffix)
	if !ok {
		return ""
	}
	labels := strings.Split(rest, ".")
	n := len(labels)
	isService := func(l string) bool { return l == "s3" || strings.HasPrefix(l, "s3-") }
	var i int // index of the service label
	switch {
	case n >= 2 && isService(labels[n-1]):
		i = n - 1
	case n >= 3 && (labels[n-2] == "s3" || labels[n-2] == "s3-website"):
		i = n - 2
	default:
		return ""
	}
	if strings.HasPrefix(labels[i], "s3-website") {
		return ""
	}
	return strings.Join(labels[:i], ".")
}

// S3WebsiteBucket returns the bucket an S3 static website endpoint host
// names, or "": "<bucket>.s3-website-<region>.<suffix>" or
// "<bucket>.s3-website.<region>.<suffix>". host may carry a port; case
// does not matter.
func S3WebsiteBucket(host, suffix string) string {
	rest, ok := TrimSuffix(bareHost(host), suffix)
	if !ok {
		return ""
	}
	labels := strings.Split(rest, ".")
	n := len(labels)
	switch {
	case n >= 2 && strings.HasPrefix(labels[n-1], "s3-website-"):
		return strings.Join(labels[:n-1], ".")
	case n >= 3 && labels[n-2] == "s3-website":
		return strings.Join(labels[:n-2], ".")
	}
	return ""
}

// bareHost is host lowercased and without its port.
func bareHost(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	return strings.ToLower(host)
}

// IsIP reports whether host is an IP address literal, as
// net.ParseIP(host) != nil does, without allocating the address: the
// host-routed matchers ask it of every request, and SDKs pointed at niwa
// mostly address it by IP. netip also reads IPv6 zones ("fe80::1%eth0"),
// which net.ParseIP refuses.
func IsIP(host string) bool {
	a, err := netip.ParseAddr(host)
	return err == nil && a.Zone() == ""
}
