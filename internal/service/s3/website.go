package s3

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Static website endpoints: "<bucket>.s3-website-<region>.<suffix>" and
// "<bucket>.s3-website.<region>.<suffix>". They are plain HTTP for
// browsers, not API calls: anonymous, HTML errors, index and error
// documents, redirects.

// MatchWebsite reports whether r is for a website endpoint or a custom
// domain (a Host naming a bucket with website hosting) that DNS points at
// one. With WebsiteHandler it is the raw route internal/server puts ahead
// of the gateway's service resolution.
func (s *S3) MatchWebsite(r *http.Request) bool {
	return hostname.S3WebsiteBucket(r.Host, s.opts.HostSuffix) != "" || s.domainBucket(r) != ""
}

// WebsiteHandler serves the requests MatchWebsite matches.
func (s *S3) WebsiteHandler() http.Handler { return http.HandlerFunc(s.serveWebsite) }

// websiteError is an error page of the website endpoint.
type websiteError struct {
	status        int
	code, message string
	extra         [][2]string
}

type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (c *countingWriter) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
	c.ResponseWriter.WriteHeader(code)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	n, err := c.ResponseWriter.Write(b)
	c.n += int64(n)
	return n, err
}

func (s *S3) serveWebsite(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	bucket := hostname.S3WebsiteBucket(r.Host, s.opts.HostSuffix)
	if bucket == "" {
		// Matched as a custom domain: the Host is the bucket's name.
		bucket = domainHost(r.Host, s.opts.HostSuffix)
	}
	reqID, hostID := strings.ToUpper(awsid.Hex(16)), awsid.Hex(64)
	cw := &countingWriter{ResponseWriter: w}
	key, code := s.website(cw, r, bucket, reqID, hostID)
	s.logAccess(request.Observation{Request: r, Operation: "website", Status: cw.status, BytesSent: cw.n, ErrorCode: code,
		RequestID: reqID, HostID: hostID, Anonymous: true, Start: start, Duration: time.Since(start)}, bucket, key, "WEBSITE")
}

// website answers one website request and returns the key it resolved
// and the error code answered ("" on success).
func (s *S3) website(w http.ResponseWriter, r *http.Request, bucket, reqID, hostID string) (string, string) {
	h := w.Header()
	h.Set("X-Amz-Request-Id", reqID)
	h.Set("X-Amz-Id-2", hostID)
	fail := func(e websiteError, key string) (string, string) {
		s.websiteErrorPage(w, r, e, reqID, hostID)
		return key, e.code
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return fail(websiteError{status: 405, code: "MethodNotAllowed", message: "The specified method is not allowed against this resource.",
			extra: [][2]string{{"Method", r.Method}, {"ResourceType", "OBJECT"}}}, "")
	}
	b, err := s.bucket(bucket)
	if err != nil {
		return fail(websiteError{status: 404, code: "NoSuchBucket", message: "The specified bucket does not exist", extra: [][2]string{{"BucketName", bucket}}}, "")
	}
	cfg := b.Website
	if cfg == nil {
		return fail(websiteError{status: 404, code: "NoSuchWebsiteConfiguration", message: "The specified bucket does not have a website configuration",
			extra: [][2]string{{"BucketName", bucket}}}, "")
	}
	if ra := cfg.RedirectAllRequestsTo; ra != nil {
		proto := ptr.Deref(ra.Protocol)
		if proto == "" {
			proto = "http"
		}
		http.Redirect(w, r, proto+"://"+ptr.Deref(ra.HostName)+r.URL.RequestURI(), http.StatusMovedPermanently)
		return "", ""
	}
	key := strings.TrimPrefix(r.URL.Path, "/")
	// Routing rules conditioned on the key prefix apply before the lookup.
	for _, rule := range cfg.RoutingRules {
		c := rule.Condition
		if c != nil && c.HttpErrorCodeReturnedEquals == nil && c.KeyPrefixEquals != nil && strings.HasPrefix(key, *c.KeyPrefixEquals) {
			s.routingRedirect(w, r, rule.Redirect, key, ptr.Deref(c.KeyPrefixEquals))
			return key, ""
		}
	}
	index := ptr.Deref(cfg.IndexDocument.Suffix)
	lookup := key
	if lookup == "" || strings.HasSuffix(lookup, "/") {
		lookup += index
	}
	allowed, _ := s.AllowsAnonymousRead(r.Context(), bucket, lookup)
	if !allowed {
		return key, s.websiteFailure(w, r, b, websiteError{status: 403, code: "AccessDenied", message: "Access Denied"}, key, reqID, hostID)
	}
	o, found := s.websiteObject(bucket, lookup)
	if !found && lookup == key && index != "" {
		// "docs" with "docs/index.html" present: redirect to the folder.
		if _, ok := s.websiteObject(bucket, key+"/"+index); ok {
			http.Redirect(w, r, "/"+key+"/", http.StatusFound)
			return key, ""
		}
	}
	if !found {
		return key, s.websiteFailure(w, r, b, websiteError{status: 404, code: "NoSuchKey", message: "The specified key does not exist.",
			extra: [][2]string{{"Key", lookup}}}, key, reqID, hostID)
	}
	if o.Redirect != "" {
		http.Redirect(w, r, o.Redirect, http.StatusMovedPermanently)
		return key, ""
	}
	s.serveObject(w, r, o, http.StatusOK)
	return key, ""
}

// websiteObject reads a current object (not a delete marker).
func (s *S3) websiteObject(bucket, key string) (objectRecord, bool) {
	var o objectRecord
	var ok bool
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		o, ok, err = objects.Get(tx, globalScope(), bucket, key)
		return err
	}); err != nil {
		// The website answers as for a missing object; the log says why.
		s.opts.Log.Warn("s3 website: reading an object failed", "bucket", bucket, "key", key, "error", err)
		return objectRecord{}, false
	}
	return o, ok && !o.DeleteMarker
}

// websiteFailure applies error-code routing rules, then the error
// document, then S3's HTML error page.
func (s *S3) websiteFailure(w http.ResponseWriter, r *http.Request, b bucketRecord, e websiteError, key, reqID, hostID string) string {
	cfg := b.Website
	for _, rule := range cfg.RoutingRules {
		c := rule.Condition
		if c == nil || c.HttpErrorCodeReturnedEquals == nil || *c.HttpErrorCodeReturnedEquals != strconv.Itoa(e.status) {
			continue
		}
		if c.KeyPrefixEquals != nil && !strings.HasPrefix(key, *c.KeyPrefixEquals) {
			continue
		}
		s.routingRedirect(w, r, rule.Redirect, key, ptr.Deref(c.KeyPrefixEquals))
		return ""
	}
	if cfg.ErrorDocument != nil && ptr.Deref(cfg.ErrorDocument.Key) != "" {
		ek := ptr.Deref(cfg.ErrorDocument.Key)
		if ok, _ := s.AllowsAnonymousRead(r.Context(), b.Name, ek); ok {
			if o, found := s.websiteObject(b.Name, ek); found {
				s.serveObject(w, r, o, e.status)
				return e.code
			}
		}
		e.extra = append(e.extra, [2]string{"", ""})
		s.websiteErrorPageWithDoc(w, r, e, reqID, hostID, ek)
		return e.code
	}
	s.websiteErrorPage(w, r, e, reqID, hostID)
	return e.code
}

func (s *S3) routingRedirect(w http.ResponseWriter, r *http.Request, red *s3api.Redirect, key, prefix string) {
	if red == nil {
		http.Redirect(w, r, "/"+key, http.StatusMovedPermanently)
		return
	}
	proto := ptr.Deref(red.Protocol)
	if proto == "" {
		proto = "http"
	}
	host := ptr.Deref(red.HostName)
	if host == "" {
		host = r.Host
	}
	newKey := key
	if red.ReplaceKeyWith != nil {
		newKey = *red.ReplaceKeyWith
	} else if red.ReplaceKeyPrefixWith != nil {
		newKey = *red.ReplaceKeyPrefixWith + strings.TrimPrefix(key, prefix)
	}
	code := http.StatusMovedPermanently
	if c, err := strconv.Atoi(ptr.Deref(red.HttpRedirectCode)); err == nil && c >= 300 && c < 400 {
		code = c
	}
	http.Redirect(w, r, proto+"://"+host+"/"+newKey, code)
}

// serveObject writes an object's body with its headers.
func (s *S3) serveObject(w http.ResponseWriter, r *http.Request, o objectRecord, status int) {
	if o.Seal != nil {
		// Website endpoints serve anonymous readers, whom KMS never lets
		// decrypt: S3 refuses SSE-KMS objects there.
		s.websiteErrorPage(w, r, websiteError{status: http.StatusForbidden, code: "AccessDenied", message: "Access Denied"}, "", "")
		return
	}
	h := w.Header()
	h.Set("Content-Type", o.ContentType)
	h.Set("ETag", o.ETag)
	h.Set("Last-Modified", o.LastModified.Format(http.TimeFormat))
	h.Set("Content-Length", strconv.FormatInt(o.Size, 10))
	if o.CacheControl != "" {
		h.Set("Cache-Control", o.CacheControl)
	}
	if o.Encoding != "" {
		h.Set("Content-Encoding", o.Encoding)
	}
	for k, v := range o.Metadata {
		h.Set("X-Amz-Meta-"+k, v)
	}
	if status == http.StatusOK {
		if inm := r.Header.Get("If-None-Match"); inm != "" && etagMatches(inm, o.ETag) {
			h.Del("Content-Length")
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	body := newPartsReader(s.blobs, o.Parts, 0, o.Size)
	defer func() { _ = body.Close() }()
	_, _ = copyBuffer(w, body)
}

func (s *S3) websiteErrorPage(w http.ResponseWriter, r *http.Request, e websiteError, reqID, hostID string) {
	s.websiteErrorPageWithDoc(w, r, e, reqID, hostID, "")
}

// websiteErrorPageWithDoc writes S3's HTML error page; errDoc names an
// error document that could not be served.
func (s *S3) websiteErrorPageWithDoc(w http.ResponseWriter, r *http.Request, e websiteError, reqID, hostID, errDoc string) {
	page := websitePage{Title: fmt.Sprintf("%d %s", e.status, http.StatusText(e.status)), Code: e.code, Message: e.message,
		RequestID: reqID, HostID: hostID, ErrorDocument: errDoc != ""}
	for _, kv := range e.extra {
		if kv[0] != "" {
			page.Extra = append(page.Extra, [2]string{kv[0], kv[1]})
		}
	}
	var body bytes.Buffer
	if err := s.errDocs.websiteErrorPage(&body, page); err != nil {
		s.opts.Log.Error("writing the website error page", "error", err)
		w.WriteHeader(e.status)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Length", strconv.Itoa(body.Len()))
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body.Bytes())
	}
}
