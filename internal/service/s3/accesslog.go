package s3

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awsid"
	objstore "github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Server access logging: every request to a bucket with logging enabled,
// failed ones included, becomes one line in AWS's documented format,
// queued in the store and written to the target bucket as one log object
// per flush (Options.LogFlushInterval, on the injected clock).

// ObserveRequest queues the access log line of an answered API request;
// the gateway calls it for every request resolved to S3 (S3 declares it
// as its kit.Declaration.Observe).
func (s *S3) ObserveRequest(o request.Observation) {
	bucket, key := bucketAndKey(o.Request, o.HostBucket)
	if bucket == "" {
		return
	}
	s.logAccess(o, bucket, key, "REST")
}

// bucketAndKey reads the bucket and key a request addresses.
func bucketAndKey(r *http.Request, hostBucket string) (string, string) {
	p := strings.TrimPrefix(r.URL.Path, "/")
	if hostBucket != "" {
		return hostBucket, p
	}
	b, k, _ := strings.Cut(p, "/")
	return b, k
}

// subresources maps query parameters to the resource names access logs
// use in the operation field.
var subresources = []struct{ param, bucket, object string }{
	{"uploadId", "UPLOAD", "UPLOAD"},
	{"uploads", "UPLOADS", "UPLOADS"},
	{"acl", "ACL", "ACL"},
	{"tagging", "TAGGING", "OBJECT_TAGGING"},
	{"versioning", "VERSIONING", ""},
	{"versions", "BUCKETVERSIONS", ""},
	{"logging", "LOGGING_STATUS", ""},
	{"website", "WEBSITE", ""},
	{"cors", "CORS", ""},
	{"policy", "BUCKETPOLICY", ""},
	{"policyStatus", "BUCKETPOLICYSTATUS", ""},
	{"location", "LOCATION", ""},
	{"notification", "NOTIFICATION", ""},
	{"encryption", "ENCRYPTION", ""},
	{"lifecycle", "LIFECYCLE", ""},
	{"ownershipControls", "OWNERSHIP_CONTROLS", ""},
	{"publicAccessBlock", "PUBLIC_ACCESS_BLOCK", ""},
	{"delete", "MULTI_OBJECT_DELETE", ""},
}

func logOperation(prefix string, r *http.Request, key string) string {
	method := r.Method
	q := r.URL.Query()
	res := "BUCKET"
	if key != "" {
		res = "OBJECT"
	}
	for _, sr := range subresources {
		if q.Has(sr.param) {
			if key != "" && sr.object != "" {
				res = sr.object
			} else if key == "" {
				res = sr.bucket
			}
			break
		}
	}
	if key != "" && r.Header.Get("X-Amz-Copy-Source") != "" {
		method = "COPY"
		if q.Has("partNumber") {
			res = "PART"
		}
	} else if key != "" && method == http.MethodPut && q.Has("partNumber") {
		res = "PART"
	}
	return prefix + "." + method + "." + res
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logAccess formats and queues one line if bucket logs.
func (s *S3) logAccess(o request.Observation, bucket, key, kind string) {
	b, ok, err := s.lookupBucket(bucket)
	if err != nil || !ok || b.Logging == nil {
		return
	}
	s.writeAccessLog(o, b.Account, b.Logging, bucket, key, kind)
}

// writeAccessLog is logAccess for a bucket that logs (apart, so that
// what it captures stays off the heap for the many that do not).
func (s *S3) writeAccessLog(o request.Observation, account string, logging *s3api.LoggingEnabled, bucket, key, kind string) {
	var size int64 = -1
	if key != "" {
		_ = s.store.View(func(tx storage.Tx) error {
			if obj, ok, _ := objects.Get(tx, globalScope(), bucket, key); ok {
				size = obj.Size
			}
			return nil
		})
	}
	r := o.Request
	now := s.clock.Now().UTC()
	requester := "-"
	if !o.Anonymous && o.Caller != "" {
		requester = o.Caller
	}
	sigVer, authType := "-", "-"
	q := r.URL.Query()
	switch {
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-"):
		sigVer, authType = "SigV4", "AuthHeader"
	case strings.HasPrefix(r.Header.Get("Authorization"), "AWS "):
		sigVer, authType = "SigV2", "AuthHeader"
	case q.Has("X-Amz-Signature"):
		sigVer, authType = "SigV4", "QueryString"
	case q.Has("Signature"):
		sigVer, authType = "SigV2", "QueryString"
	}
	uri := r.Method + " " + r.URL.RequestURI() + " " + r.Proto
	objSize := "-"
	if size >= 0 {
		objSize = strconv.FormatInt(size, 10)
	}
	bytesSent := "-"
	if o.BytesSent > 0 {
		bytesSent = strconv.FormatInt(o.BytesSent, 10)
	}
	keyField := "-"
	if key != "" {
		if k, err := url.PathUnescape(key); err == nil {
			key = k
		}
		keyField = url.QueryEscape(key)
	}
	ms := o.Duration.Milliseconds()
	line := strings.Join([]string{
		canonicalID(account),
		bucket,
		"[" + now.Format("02/Jan/2006:15:04:05 -0700") + "]",
		dash(remoteIP(r)),
		requester,
		o.RequestID,
		logOperation(kind, r, key),
		keyField,
		strconv.Quote(uri),
		strconv.Itoa(o.Status),
		dash(o.ErrorCode),
		bytesSent,
		objSize,
		strconv.FormatInt(ms, 10),
		strconv.FormatInt(ms, 10),
		`"` + dash(r.Referer()) + `"`,
		`"` + dash(r.UserAgent()) + `"`,
		dash(q.Get("versionId")),
		o.HostID,
		sigVer,
		"-", // cipher suite: niwa serves plain HTTP
		authType,
		dash(r.Host),
		"-", // TLS version
		"-", // access point ARN
		"-", // ACL required
	}, " ")
	seq := s.nextSeq(now)
	err := s.store.Update(func(tx storage.Tx) error {
		return logq.Put(tx, globalScope(), logLine{TargetBucket: ptr.Deref(logging.TargetBucket), TargetPrefix: ptr.Deref(logging.TargetPrefix), Line: line},
			fmt.Sprintf("%020d", seq))
	})
	if err != nil {
		s.opts.Log.Warn("s3 access log", "bucket", bucket, "error", err)
		return
	}
	s.armFlush()
}

func remoteIP(r *http.Request) string {
	h := r.RemoteAddr
	if i := strings.LastIndexByte(h, ':'); i > 0 {
		h = h[:i]
	}
	return strings.Trim(h, "[]")
}

// armFlush schedules a flush unless one is pending.
func (s *S3) armFlush() {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	if s.flushArmed || s.closed {
		return
	}
	s.flushArmed = true
	s.flushTimer = s.clock.AfterFunc(s.opts.LogFlushInterval, func() {
		s.flushMu.Lock()
		s.flushArmed = false
		s.flushMu.Unlock()
		s.flushLogs()
	})
}

// FlushLogs writes every queued access log line now (niwa's reset and
// shutdown, and tests).
func (s *S3) FlushLogs() { s.flushLogs() }

// flushLogs writes the queued lines as one object per target bucket and
// prefix, named <prefix>YYYY-mm-DD-HH-MM-SS-<UniqueString> as S3 does.
func (s *S3) flushLogs() {
	type group struct {
		bucket, prefix string
		lines          []string
	}
	var keys []string
	groups := map[string]*group{}
	err := s.store.View(func(tx storage.Tx) error {
		return logq.List(tx, globalScope(), nil, storage.ListOptions{}, func(k []string, l logLine) bool {
			keys = append(keys, k[0])
			id := l.TargetBucket + "\x00" + l.TargetPrefix
			if groups[id] == nil {
				groups[id] = &group{bucket: l.TargetBucket, prefix: l.TargetPrefix}
			}
			groups[id].lines = append(groups[id].lines, l.Line)
			return true
		})
	})
	if err != nil || len(keys) == 0 {
		return
	}
	now := s.clock.Now().UTC()
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g := groups[id]
		body := strings.Join(g.lines, "\n") + "\n"
		if err := s.writeLogObject(g.bucket, g.prefix+now.Format("2006-01-02-15-04-05-")+strings.ToUpper(awsid.Hex(16)), body, now); err != nil {
			s.opts.Log.Warn("s3 access log delivery", "target", g.bucket, "error", err)
		}
	}
	if err := s.store.Update(func(tx storage.Tx) error {
		for _, k := range keys {
			if err := logq.Delete(tx, globalScope(), k); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		// The lines stay queued and are delivered again by the next flush:
		// a duplicate log line rather than a lost one.
		s.opts.Log.Warn("s3 access log: dequeueing delivered lines failed", "error", err)
	}
}

// writeLogObject stores a log object in the target bucket as the log
// delivery service would.
func (s *S3) writeLogObject(bucket, key, body string, now time.Time) error {
	return s.writeServiceObject(bucket, key, "text/plain", []byte(body), now)
}

// writeServiceObject stores an object S3 itself writes (log deliveries,
// inventory reports), SSE-S3 encrypted, as the bucket owner's.
func (s *S3) writeServiceObject(bucket, key, contentType string, body []byte, now time.Time) error {
	return s.writeServiceObjectMeta(bucket, key, contentType, nil, body, now)
}

// writeServiceObjectMeta is writeServiceObject with user metadata
// (x-amz-meta-*), as CloudTrail's digest files carry their signature.
func (s *S3) writeServiceObjectMeta(bucket, key, contentType string, meta map[string]string, body []byte, now time.Time) error {
	return s.writeServiceObjectSealed(bucket, key, contentType, meta, body, now, nil)
}

// writeServiceObjectSealed is writeServiceObjectMeta encrypted SSE-KMS
// under a data key the writing service generated (sk; nil: SSE-S3).
func (s *S3) writeServiceObjectSealed(bucket, key, contentType string, meta map[string]string, body []byte, now time.Time, sk *objstore.SealKey) error {
	blobs := storage.BlobStore(s.blobs)
	if sk != nil {
		sealed, err := newSealedBlobs(s.blobs, sk.Plaintext)
		if err != nil {
			return err
		}
		blobs = sealed
	}
	st, err := s.writeBodyTo(blobs, bytes.NewReader(body), http.Header{}, nil, "", maxObjectSize)
	if err != nil {
		return err
	}
	o := objectRecord{Key: key, LastModified: now.Truncate(time.Second), Size: st.part.Size, ETag: quoteETag(st.md5[:]),
		Parts: []blobPart{st.part}, ContentType: contentType, SSE: "AES256", Seq: s.nextSeq(now), Metadata: meta}
	if sk != nil {
		o.SSE, o.KMSKeyID = "aws:kms", sk.KeyARN
		o.Seal = &kmsSeal{DataKey: sk.Ciphertext, Context: sk.Context}
	}
	var garbage []blobPart
	err = s.store.Update(func(tx storage.Tx) error {
		b, err := getBucket(tx, bucket)
		if err != nil {
			return err
		}
		o.Owner = b.Account
		garbage, err = commitObject(tx, b, &o)
		return err
	})
	if err != nil {
		s.deleteBlobs(o.Parts)
		return err
	}
	s.deleteBlobs(garbage)
	s.scheduleReplication(bucket, o) // a replicated bucket copies these too
	return nil
}
