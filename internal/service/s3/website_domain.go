package s3

import (
	"net"
	"net/http"
	"strings"

	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Custom domains. On AWS a site at http://www.example.com/ is a bucket
// named "www.example.com" with website hosting, and a DNS record (a
// Route 53 alias A record or a CNAME) pointing the name at the website
// endpoint of the bucket's region. The browser then sends
// "Host: www.example.com" to that endpoint, and S3 serves the bucket the
// Host names. niwa serves every website endpoint on one address, so a
// request whose Host is the name of a bucket with a website
// configuration is a website request, whatever the bucket's region:
// bucket names are global, so the name maps to exactly one bucket.

// domainHost normalises a Host header for the custom domain lookup:
// port stripped, lower-cased, trailing dot dropped. It answers "" for the
// hosts that are never a custom domain, without touching storage: IP
// addresses, names without a dot ("localhost"), niwa's own hosts (under
// the S3 host suffix or LocalStack's localhost.localstack.cloud, or
// AWS's amazonaws.com) and names that cannot be a bucket name.
func domainHost(host, suffix string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if len(host) < 3 || len(host) > 63 || !strings.Contains(host, ".") || strings.HasPrefix(host, "[") {
		return ""
	}
	for i := 0; i < len(host); i++ {
		c := host[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-') {
			return ""
		}
	}
	if hostname.Under(host, suffix) ||
		host == "amazonaws.com" || strings.HasSuffix(host, ".amazonaws.com") || hostname.IsIP(host) {
		return ""
	}
	return host
}

// signed reports whether a request carries AWS credentials: it is an API
// call (an SDK with a custom endpoint), never a browser fetching a site.
func signed(r *http.Request) bool {
	if r.Header.Get("Authorization") != "" {
		return true
	}
	q := r.URL.RawQuery
	return q != "" && (strings.Contains(q, "X-Amz-Credential=") || strings.Contains(q, "AWSAccessKeyId="))
}

// domainBucket returns the bucket a custom domain request names: the
// Host, when a bucket of that name exists and has a website
// configuration. It costs one storage read, and only for hosts
// domainHost lets through, so it runs on every request without a cache.
func (s *S3) domainBucket(r *http.Request) string {
	host := domainHost(r.Host, s.opts.HostSuffix)
	if host == "" || signed(r) {
		return ""
	}
	var website bool
	if err := s.store.View(func(tx storage.Tx) error {
		b, ok, err := buckets.Get(tx, globalScope(), host)
		website = err == nil && ok && b.Website != nil
		return err
	}); err != nil {
		// Not routed as a website: the request goes on to the API, which
		// reports the storage failure itself.
		s.opts.Log.Warn("s3 website: reading a bucket failed", "bucket", host, "error", err)
	}
	if !website {
		return ""
	}
	return host
}
