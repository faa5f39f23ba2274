package cloudfront

import (
	"bytes"
	"context"
	"crypto/rsa"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The edge's own headers. The POP is niwa's single "edge location".
const (
	edgePOP          = "NIWA1-P1"
	servicePrincipal = "cloudfront.amazonaws.com"
	// originTimeout bounds a custom origin's answer (CloudFront's
	// default origin response timeout is 30 s).
	originTimeout = 30 * time.Second
)

// Managed policy ids (AWS's own, the same in every account).
const (
	cachingOptimized          = "658327ea-f89d-4fab-a63d-7e88639e58f6"
	cachingDisabled           = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
	allViewer                 = "216adef6-5c7f-47e4-b989-5492eafa07d3"
	allViewerExceptHostHeader = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
)

func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}

// lookupHost finds the distribution a Host names (domain or alias).
func (s *CloudFront) lookupHost(host string) (hostRec, bool) {
	name := strings.ToLower(strings.TrimSuffix(hostOnly(host), "."))
	if name == "" {
		return hostRec{}, false
	}
	var h hostRec
	var ok bool
	_ = s.opt.Store.View(func(tx storage.Tx) (err error) {
		h, ok, err = hosts.Get(tx, anywhere, name)
		return err
	})
	return h, ok
}

// OwnsName reports whether name is a distribution's domain: niwa's DNS
// answers it with niwa's own address. Aliases are the user's own names,
// answered by their Route 53 records.
func (s *CloudFront) OwnsName(name string) (bool, error) {
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if !strings.HasSuffix(name, DomainSuffix) {
		return false, nil
	}
	_, ok := s.lookupHost(name)
	return ok, nil
}

// EachName calls fn with every distribution's domain, in every account,
// until fn returns false; it reads the host index only (aliases, which
// it also holds, are the user's names, left out).
func (s *CloudFront) EachName(fn func(name string) bool) error {
	return s.opt.Store.View(func(tx storage.Tx) error {
		return hosts.List(tx, anywhere, nil, storage.ListOptions{}, func(k []string, _ hostRec) bool {
			return len(k) == 0 || !strings.HasSuffix(k[0], DomainSuffix) || fn(k[0])
		})
	})
}

// isEdge is asked of every request niwa serves, so a Host that is an IP
// address (how SDKs pointed at niwa usually address it) is answered
// without a store read: a distribution's names are domain names (its
// cloudfront.net domain, or aliases, which CloudFront requires to be
// domain names covered by a certificate).
func (s *CloudFront) isEdge(r *http.Request) bool {
	if _, err := netip.ParseAddr(strings.Trim(hostOnly(r.Host), "[]")); err == nil {
		return false
	}
	_, ok := s.lookupHost(r.Host)
	return ok
}

// edgeResponse is what the edge answers, before CloudFront's headers.
type edgeResponse struct {
	status int
	header http.Header
	body   io.ReadCloser
}

// edge serves viewers.
func (s *CloudFront) edge() http.Handler {
	errs := newEdgeErrors()
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		w := &countingWriter{ResponseWriter: rw, start: time.Now()}
		var logged *distRec
		var account string
		defer func() {
			if logged != nil {
				s.record(account, *logged, r, w, s.opt.Clock.Now())
			}
		}()
		h := w.Header()
		h.Set("Via", "1.1 "+awsid.Hex(16)+".cloudfront.net (CloudFront)")
		h.Set("X-Amz-Cf-Pop", edgePOP)
		h.Set("X-Amz-Cf-Id", awsid.String("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-", 56))
		deny := func(status int, code, msg string) {
			h.Set("X-Cache", "Error from cloudfront")
			errs.write(w, status, code, msg)
		}
		hr, ok := s.lookupHost(r.Host)
		if !ok {
			deny(http.StatusForbidden, "AccessDenied", "Access denied")
			return
		}
		var d distRec
		if err := s.opt.Store.View(func(tx storage.Tx) (err error) {
			d, ok, err = dists.Get(tx, storage.Global(hr.Account), hr.ID)
			return err
		}); err != nil || !ok || !ptr.Deref(d.Config.Enabled) {
			deny(http.StatusForbidden, "AccessDenied", "Access denied")
			return
		}
		logged, account = &d, hr.Account
		if acl := ptr.Deref(d.Config.WebACLId); acl != "" && s.opt.WAF != nil {
			blocked, err := s.opt.WAF.Evaluate(r.Context(), acl, r, viewerIP(r))
			if err != nil || blocked {
				writeBlocked(w)
				return
			}
		}
		if !s.countryAllowed(d.Config, viewerIP(r)) {
			writeErrorPage(w, http.StatusForbidden, msgGeo)
			return
		}
		now := s.opt.Clock.Now()
		p := r.URL.Path
		if p == "/" && ptr.Deref(d.Config.DefaultRootObject) != "" {
			p = "/" + strings.TrimPrefix(*d.Config.DefaultRootObject, "/")
		}
		b := pickBehaviour(d.Config, p)
		switch ptr.Deref(b.ViewerProtocolPolicy) {
		case "https-only":
			if r.TLS == nil {
				deny(http.StatusForbidden, "AccessDenied", "Access denied")
				return
			}
		case "redirect-to-https":
			if r.TLS == nil {
				u := url.URL{Scheme: "https", Host: r.Host, Path: r.URL.Path, RawQuery: r.URL.RawQuery}
				h.Set("Location", u.String())
				h.Set("X-Cache", "Redirect from cloudfront")
				w.WriteHeader(http.StatusMovedPermanently)
				return
			}
		}
		if !methodAllowed(b, r.Method) {
			writeErrorPage(w, http.StatusForbidden, msgMethod)
			return
		}
		if restricted(b) {
			if dn := verifySigned(r, now, viewerIP(r), s.keyFinder(hr.Account, b)); dn != nil {
				deny(http.StatusForbidden, dn.Code, dn.Message)
				return
			}
		}
		origin, ok := findOrigin(d.Config, ptr.Deref(b.TargetOriginId))
		if !ok {
			deny(http.StatusBadGateway, "BadGateway", "CloudFront cannot reach the origin.")
			return
		}
		pol := s.policiesOf(hr.Account, b)
		query := forwardedQuery(b, pol, r.URL.Query())
		ttl, cacheable := cacheTTL(b, pol)
		cacheable = cacheable && (r.Method == http.MethodGet || r.Method == http.MethodHead)
		key := d.ID + "\x00" + p + "?" + query
		if cacheable {
			if c, ok := s.cache.get(key, now); ok {
				copyHeader(h, c.header)
				h.Set("X-Cache", "Hit from cloudfront")
				h.Set("Age", strconv.Itoa(int(now.Sub(c.stored)/time.Second)))
				applyHeadersPolicy(h, pol.headers, r.Header.Get("Origin"))
				writeBody(w, r, b, c.status, bytes.NewReader(c.body), int64(len(c.body)))
				return
			}
		}
		resp, err := s.fetch(r, d, hr.Account, origin, p, query, b)
		if alt, ok := failover(d.Config, ptr.Deref(b.TargetOriginId), r.Method, resp, err); ok {
			// The origin group's secondary answers instead.
			if err == nil {
				_ = resp.body.Close()
			}
			origin = alt
			resp, err = s.fetch(r, d, hr.Account, origin, p, query, b)
		}
		if err != nil {
			s.opt.Log.Warn("cloudfront: origin unreachable", "distribution", d.ID, "origin", ptr.Deref(origin.Id), "error", err)
			deny(http.StatusBadGateway, "BadGateway", "CloudFront cannot reach the origin.")
			return
		}
		if page, code, ok := customError(d.Config, resp.status); ok {
			if alt, err := s.errorPage(r, d, hr.Account, page); err == nil {
				_ = resp.body.Close()
				resp.body, resp.header = alt.body, alt.header
				cacheable = false
				if code != 0 {
					resp.status = code
				}
			}
		}
		defer func() { _ = resp.body.Close() }()
		copyHeader(h, resp.header)
		h.Set("X-Cache", "Miss from cloudfront")
		applyHeadersPolicy(h, pol.headers, r.Header.Get("Origin"))
		if ttl2, ok := originTTL(resp.header, ttl); !ok {
			cacheable = false
		} else {
			ttl = ttl2
		}
		if !cacheable || resp.status != http.StatusOK || r.Method != http.MethodGet {
			writeBody(w, r, b, resp.status, resp.body, contentLength(resp.header))
			return
		}
		var buf bytes.Buffer
		n, _ := io.Copy(&buf, io.LimitReader(resp.body, edgeCacheBodyMax+1))
		if n <= edgeCacheBodyMax {
			s.cache.put(&cached{key: key, dist: d.ID, path: p, status: resp.status, header: resp.header.Clone(),
				body: buf.Bytes(), stored: now, expires: now.Add(ttl)})
			writeBody(w, r, b, resp.status, &buf, n)
			return
		}
		writeBody(w, r, b, resp.status, io.MultiReader(&buf, resp.body), contentLength(resp.header))
	})
}

// hopHeaders are not copied from an origin's answer.
var hopHeaders = map[string]bool{"Connection": true, "Keep-Alive": true, "Transfer-Encoding": true, "Upgrade": true,
	"Proxy-Authenticate": true, "Trailer": true, "Te": true, "X-Amzn-Requestid": true}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		if !hopHeaders[http.CanonicalHeaderKey(k)] {
			dst[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
		}
	}
}

func viewerIP(r *http.Request) net.IP {
	return net.ParseIP(hostOnly(r.RemoteAddr))
}

// pickBehaviour: the first cache behaviour whose path pattern matches, in
// the distribution's order, else the default (CloudFront's precedence).
// Patterns are case-sensitive; a pattern without a leading / matches as
// if it had one.
func pickBehaviour(c cfapi.DistributionConfig, p string) cfapi.CacheBehavior {
	all := behavioursOf(c)
	for _, b := range all[:len(all)-1] {
		pat := ptr.Deref(b.PathPattern)
		if !strings.HasPrefix(pat, "/") {
			pat = "/" + pat
		}
		if iam.Glob(pat, p) {
			return b
		}
	}
	return all[len(all)-1]
}

func methodAllowed(b cfapi.CacheBehavior, m string) bool {
	allowed := []string{"GET", "HEAD"}
	if b.AllowedMethods != nil && len(b.AllowedMethods.Items) > 0 {
		allowed = b.AllowedMethods.Items
	}
	for _, a := range allowed {
		if strings.EqualFold(a, m) {
			return true
		}
	}
	return false
}

// restricted: the behaviour requires signed URLs or cookies.
func restricted(b cfapi.CacheBehavior) bool {
	return (b.TrustedKeyGroups != nil && ptr.Deref(b.TrustedKeyGroups.Enabled)) ||
		(b.TrustedSigners != nil && ptr.Deref(b.TrustedSigners.Enabled))
}

// keyFinder finds a public key among the behaviour's trusted key groups.
// Legacy trusted signers (CloudFront key pairs of the root user, made
// only in the console) have no keys in niwa, so their key ids are
// unknown, as a deleted key pair's are.
func (s *CloudFront) keyFinder(account string, b cfapi.CacheBehavior) keyFinder {
	return func(id string) *rsa.PublicKey {
		if b.TrustedKeyGroups == nil || !ptr.Deref(b.TrustedKeyGroups.Enabled) {
			return nil
		}
		var out *rsa.PublicKey
		_ = s.opt.Store.View(func(tx storage.Tx) error {
			sc := storage.Global(account)
			for _, gid := range b.TrustedKeyGroups.Items {
				g, ok, err := groups.Get(tx, sc, gid)
				if err != nil || !ok {
					continue
				}
				for _, k := range g.Config.Items {
					if k != id {
						continue
					}
					rec, ok, err := keys.Get(tx, sc, k)
					if err != nil || !ok {
						continue
					}
					if pub, err := parsePublicKey(ptr.Deref(rec.Config.EncodedKey)); err == nil {
						out = pub
						return nil
					}
				}
			}
			return nil
		})
		return out
	}
}

// failover answers the secondary origin of the origin group id names
// when the primary's answer calls for it: CloudFront fails over for GET,
// HEAD and OPTIONS requests when the primary cannot be reached (err) or
// answers one of the group's failover status codes.
func failover(c cfapi.DistributionConfig, id, method string, resp edgeResponse, err error) (cfapi.Origin, bool) {
	if c.OriginGroups == nil || (method != http.MethodGet && method != http.MethodHead && method != http.MethodOptions) {
		return cfapi.Origin{}, false
	}
	for _, g := range c.OriginGroups.Items {
		if ptr.Deref(g.Id) != id || g.Members == nil || len(g.Members.Items) < 2 {
			continue
		}
		if err == nil {
			codes := []int32{}
			if g.FailoverCriteria != nil && g.FailoverCriteria.StatusCodes != nil {
				codes = g.FailoverCriteria.StatusCodes.Items
			}
			if !slices.Contains(codes, int32(resp.status)) {
				return cfapi.Origin{}, false
			}
		}
		return findOrigin(c, ptr.Deref(g.Members.Items[1].OriginId))
	}
	return cfapi.Origin{}, false
}

func findOrigin(c cfapi.DistributionConfig, id string) (cfapi.Origin, bool) {
	if c.OriginGroups != nil {
		// An origin group serves from its primary (first) member (failover
		// picks the second).
		for _, g := range c.OriginGroups.Items {
			if ptr.Deref(g.Id) == id && g.Members != nil && len(g.Members.Items) > 0 {
				id = ptr.Deref(g.Members.Items[0].OriginId)
			}
		}
	}
	if c.Origins != nil {
		for _, o := range c.Origins.Items {
			if ptr.Deref(o.Id) == id {
				return o, true
			}
		}
	}
	return cfapi.Origin{}, false
}

// forwardedQuery is the query string the origin gets (and the cache key
// holds): all of it when the legacy ForwardedValues or an origin request
// policy forward query strings, else none.
func forwardedQuery(b cfapi.CacheBehavior, pol edgePolicies, q url.Values) string {
	for _, k := range []string{"Expires", "Policy", "Signature", "Key-Pair-Id"} {
		q.Del(k)
	}
	if b.ForwardedValues != nil && ptr.Deref(b.ForwardedValues.QueryString) {
		return q.Encode()
	}
	// The cache policy's query strings are in the cache key and go to
	// the origin; the origin request policy's go to the origin too.
	out := url.Values{}
	if c := pol.cache; c != nil && c.ParametersInCacheKeyAndForwardedToOrigin != nil && c.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig != nil {
		qc := c.ParametersInCacheKeyAndForwardedToOrigin.QueryStringsConfig
		for k, v := range policyQuery(ptr.Deref(qc.QueryStringBehavior), qc.QueryStrings, q) {
			out[k] = v
		}
	}
	if o := pol.origin; o != nil && o.QueryStringsConfig != nil {
		for k, v := range policyQuery(ptr.Deref(o.QueryStringsConfig.QueryStringBehavior), o.QueryStringsConfig.QueryStrings, q) {
			out[k] = v
		}
	}
	return out.Encode()
}

// cacheTTL is the behaviour's default TTL and whether it caches at all.
func cacheTTL(b cfapi.CacheBehavior, pol edgePolicies) (time.Duration, bool) {
	if c := pol.cache; c != nil {
		ttl := ptr.Deref(c.DefaultTTL)
		if c.MaxTTL != nil && ttl > *c.MaxTTL {
			ttl = *c.MaxTTL
		}
		return time.Duration(ttl) * time.Second, ttl > 0
	}
	if ptr.Deref(b.CachePolicyId) != "" {
		// A policy that no longer exists: do not cache.
		return 0, false
	}
	ttl := int64(86400)
	if b.DefaultTTL != nil {
		ttl = *b.DefaultTTL
	}
	if b.MaxTTL != nil && ttl > *b.MaxTTL {
		ttl = *b.MaxTTL
	}
	return time.Duration(ttl) * time.Second, ttl > 0
}

// originTTL applies the origin's Cache-Control to the default TTL: not
// cached when it says no-store, no-cache or private, max-age otherwise.
func originTTL(h http.Header, def time.Duration) (time.Duration, bool) {
	cc := strings.ToLower(h.Get("Cache-Control"))
	if cc == "" {
		return def, def > 0
	}
	for _, d := range strings.Split(cc, ",") {
		d = strings.TrimSpace(d)
		switch {
		case d == "no-store", d == "no-cache", d == "private":
			return 0, false
		case strings.HasPrefix(d, "s-maxage="), strings.HasPrefix(d, "max-age="):
			_, v, _ := strings.Cut(d, "=")
			n, err := strconv.Atoi(v)
			if err != nil || n <= 0 {
				return 0, false
			}
			return time.Duration(n) * time.Second, true
		}
	}
	return def, def > 0
}

// customError finds the distribution's custom error response for an
// origin status: its page path and the status to answer with (0: the
// origin's).
func customError(c cfapi.DistributionConfig, status int) (string, int, bool) {
	if status < 400 || c.CustomErrorResponses == nil {
		return "", 0, false
	}
	for _, e := range c.CustomErrorResponses.Items {
		if int(ptr.Deref(e.ErrorCode)) != status || ptr.Deref(e.ResponsePagePath) == "" {
			continue
		}
		code, _ := strconv.Atoi(ptr.Deref(e.ResponseCode))
		return *e.ResponsePagePath, code, true
	}
	return "", 0, false
}

// errorPage fetches a custom error page through the behaviour its path
// selects.
func (s *CloudFront) errorPage(r *http.Request, d distRec, account, page string) (edgeResponse, error) {
	b := pickBehaviour(d.Config, page)
	o, ok := findOrigin(d.Config, ptr.Deref(b.TargetOriginId))
	if !ok {
		return edgeResponse{}, errors.New("no origin")
	}
	g := r.Clone(r.Context())
	g.Method = http.MethodGet
	resp, err := s.fetch(g, d, account, o, page, "", b)
	if err != nil {
		return resp, err
	}
	if resp.status != http.StatusOK {
		_ = resp.body.Close()
		return resp, errors.New("error page not found")
	}
	return resp, nil
}

// s3Bucket reads the bucket of an S3 REST endpoint origin
// (<bucket>.s3.amazonaws.com, <bucket>.s3.<region>.amazonaws.com,
// <bucket>.s3.localhost...).
func s3Bucket(domain string) (string, bool) {
	domain = strings.ToLower(domain)
	for _, sep := range []string{".s3.", ".s3-"} {
		if i := strings.LastIndex(domain, sep); i > 0 && !strings.Contains(domain[i:], "s3-website") {
			return domain[:i], true
		}
	}
	return "", false
}

// fetch asks the origin for p.
func (s *CloudFront) fetch(r *http.Request, d distRec, account string, o cfapi.Origin, p, query string, b cfapi.CacheBehavior) (edgeResponse, error) {
	domain := ptr.Deref(o.DomainName)
	if bucket, ok := s3Bucket(domain); ok && o.CustomOriginConfig == nil {
		return s.fetchS3(r.Context(), r.Method, d, account, o, bucket, p)
	}
	return s.fetchCustom(r, o, p, query, b, s.policiesOf(account, b))
}

// fetchS3 reads an object as CloudFront does: with an origin access
// control as the service principal cloudfront.amazonaws.com for the
// distribution (aws:SourceArn, aws:SourceAccount), with an origin access
// identity as its IAM user, else anonymously. The bucket policy decides.
func (s *CloudFront) fetchS3(ctx context.Context, method string, d distRec, account string, o cfapi.Origin, bucket, p string) (edgeResponse, error) {
	if s.opt.Objects == nil {
		return edgeResponse{}, errors.New("no S3 wired")
	}
	var who objects.Principal
	switch {
	case ptr.Deref(o.OriginAccessControlId) != "":
		who = objects.Principal{Service: servicePrincipal, SourceAccount: account, SourceARN: d.ARN}
	case oaiOf(o) != "":
		who = objects.Principal{CallerARN: OAIPrincipalARN(oaiOf(o)), CallerAccount: "cloudfront"}
	default:
		who = objects.Principal{CallerARN: "*"}
	}
	s3err := func(status int, code, msg string) edgeResponse {
		body, h := s3ErrorBody(code, msg)
		return edgeResponse{status: status, header: h, body: body}
	}
	if method != http.MethodGet && method != http.MethodHead {
		return s3err(http.StatusForbidden, "AccessDenied", "Access Denied"), nil
	}
	key := strings.TrimPrefix(strings.TrimSuffix(ptr.Deref(o.OriginPath), "/")+p, "/")
	rc, n, err := s.opt.Objects.OpenServiceObject(ctx, bucket, key, who)
	switch {
	case errors.Is(err, objects.ErrNoSuchBucket):
		return s3err(http.StatusNotFound, "NoSuchBucket", "The specified bucket does not exist"), nil
	case errors.Is(err, objects.ErrNoSuchKey):
		return s3err(http.StatusNotFound, "NoSuchKey", "The specified key does not exist."), nil
	case errors.Is(err, objects.ErrAccessDenied):
		return s3err(http.StatusForbidden, "AccessDenied", "Access Denied"), nil
	case err != nil:
		return edgeResponse{}, err
	}
	h := http.Header{}
	ct := mime.TypeByExtension(path.Ext(key))
	if ct == "" {
		ct = "binary/octet-stream"
	}
	h.Set("Content-Type", ct)
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	h.Set("Server", "AmazonS3")
	return edgeResponse{status: http.StatusOK, header: h, body: rc}, nil
}

// s3ErrorBody is S3's error document as the edge passes it on, written
// by the codec.
func s3ErrorBody(code, msg string) (io.ReadCloser, http.Header) {
	rec := &recorder{header: http.Header{}}
	newEdgeErrors().write(rec, http.StatusOK, code, msg)
	rec.header.Del("Content-Length")
	return io.NopCloser(bytes.NewReader(rec.body.Bytes())), rec.header
}

// recorder captures a codec's output.
type recorder struct {
	header http.Header
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header         { return r.header }
func (r *recorder) Write(b []byte) (int, error) { return r.body.Write(b) }
func (r *recorder) WriteHeader(int)             {}

// fetchCustom forwards the request to a custom origin over HTTP(S): the
// origin protocol policy picks the scheme and port, the behaviour which
// headers and query strings go along, and the origin's custom headers
// are added.
func (s *CloudFront) fetchCustom(r *http.Request, o cfapi.Origin, p, query string, b cfapi.CacheBehavior, pol edgePolicies) (edgeResponse, error) {
	scheme := "http"
	cfg := o.CustomOriginConfig
	if cfg == nil {
		cfg = &cfapi.CustomOriginConfig{OriginProtocolPolicy: ptr.To("http-only")}
	}
	switch ptr.Deref(cfg.OriginProtocolPolicy) {
	case "https-only":
		scheme = "https"
	case "match-viewer":
		if r.TLS != nil {
			scheme = "https"
		}
	}
	port := int32(80)
	if scheme == "https" {
		port = 443
		if cfg.HTTPSPort != nil {
			port = *cfg.HTTPSPort
		}
	} else if cfg.HTTPPort != nil {
		port = *cfg.HTTPPort
	}
	host := ptr.Deref(o.DomainName)
	hostPort := host
	if (scheme == "http" && port != 80) || (scheme == "https" && port != 443) {
		hostPort = net.JoinHostPort(host, strconv.Itoa(int(port)))
	}
	u := url.URL{Scheme: scheme, Host: hostPort, Path: strings.TrimSuffix(ptr.Deref(o.OriginPath), "/") + p, RawQuery: query}
	ctx, cancel := context.WithTimeout(r.Context(), originTimeout)
	var body io.Reader
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		body = r.Body
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), body)
	if err != nil {
		cancel()
		return edgeResponse{}, err
	}
	req.ContentLength = r.ContentLength
	if forwardHeaders(req.Header, r.Header, b, pol) {
		req.Host = r.Host
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "Amazon CloudFront")
	}
	req.Header.Set("X-Forwarded-For", hostOnly(r.RemoteAddr))
	req.Header.Set("Via", "1.1 "+awsid.Hex(16)+".cloudfront.net (CloudFront)")
	if o.CustomHeaders != nil {
		for _, ch := range o.CustomHeaders.Items {
			req.Header.Set(ptr.Deref(ch.HeaderName), ptr.Deref(ch.HeaderValue))
		}
	}
	resp, err := s.client.Do(req)
	if err != nil {
		cancel()
		return edgeResponse{}, err
	}
	return edgeResponse{status: resp.StatusCode, header: resp.Header, body: cancelOnClose{resp.Body, cancel}}, nil
}

type cancelOnClose struct {
	io.ReadCloser
	cancel context.CancelFunc
}

func (c cancelOnClose) Close() error {
	err := c.ReadCloser.Close()
	c.cancel()
	return err
}

// forwardHeaders copies the viewer headers the behaviour forwards: all
// with an AllViewer origin request policy or ForwardedValues "*", the
// named ones otherwise, plus what CloudFront always sends (Host only
// when forwarded).
func forwardHeaders(dst, src http.Header, b cfapi.CacheBehavior, pol edgePolicies) (host bool) {
	all := false
	var named, except []string
	switch ptr.Deref(b.OriginRequestPolicyId) {
	case allViewer:
		all, host = true, true
	case allViewerExceptHostHeader:
		all = true
	default:
		if o := pol.origin; o != nil && o.HeadersConfig != nil {
			var hs []string
			if o.HeadersConfig.Headers != nil {
				hs = o.HeadersConfig.Headers.Items
			}
			switch ptr.Deref(o.HeadersConfig.HeaderBehavior) {
			case "allViewer":
				all, host = true, true
			case "allViewerAndWhitelistCloudFront", "whitelist":
				all = ptr.Deref(o.HeadersConfig.HeaderBehavior) != "whitelist"
				named = append(named, hs...)
			case "allExcept":
				all, host, except = true, !containsFold(hs, "Host"), hs
			}
		}
	}
	// The cache policy's headers are in the cache key and go to the
	// origin.
	if c := pol.cache; c != nil && c.ParametersInCacheKeyAndForwardedToOrigin != nil {
		if hc := c.ParametersInCacheKeyAndForwardedToOrigin.HeadersConfig; hc != nil && ptr.Deref(hc.HeaderBehavior) == "whitelist" && hc.Headers != nil {
			named = append(named, hc.Headers.Items...)
		}
	}
	host = host || containsFold(named, "Host")
	if fv := b.ForwardedValues; fv != nil && fv.Headers != nil {
		for _, n := range fv.Headers.Items {
			if n == "*" {
				all, host = true, true
			}
			if strings.EqualFold(n, "Host") {
				host = true
			}
			named = append(named, n)
		}
	}
	for k, v := range src {
		ck := http.CanonicalHeaderKey(k)
		if hopHeaders[ck] || ck == "Authorization" && !all && !containsFold(named, ck) || containsFold(except, ck) {
			continue
		}
		switch {
		case all, containsFold(named, ck), ck == "Accept-Encoding", ck == "If-None-Match", ck == "If-Modified-Since", ck == "Range", ck == "Content-Type":
			dst[ck] = append([]string(nil), v...)
		}
	}
	return host
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}
