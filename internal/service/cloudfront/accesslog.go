package cloudfront

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Standard access logs: a distribution whose Logging is enabled has each
// viewer request written as one line of CloudFront's standard log format
// (tab-separated, the 33 fields of "Standard log file fields") to its
// log bucket, gzipped, in objects named
// <prefix><distribution id>.YYYY-MM-DD-HH.<unique id>.gz. Lines are
// queued in the store and delivered every logFlushInterval of niwa's
// clock, as CloudFront delivers several times an hour.

// logFlushInterval is how often queued lines are delivered.
const logFlushInterval = 5 * time.Minute

// logFields is the header CloudFront writes atop every log file.
const logFields = "#Version: 1.0\n#Fields: date time x-edge-location sc-bytes c-ip cs-method cs(Host) cs-uri-stem sc-status cs(Referer) cs(User-Agent) cs-uri-query cs(Cookie) x-edge-result-type x-edge-request-id x-host-header cs-protocol cs-bytes time-taken x-forwarded-for ssl-protocol ssl-cipher x-edge-response-result-type cs-protocol-version fle-status fle-encrypted-fields c-port time-to-first-byte x-edge-detailed-result-type sc-content-type sc-content-len sc-range-start sc-range-end\n"

// logLine is one queued line (key: a sequence, so lines keep order).
type logLine struct {
	Account string    `json:"account"`
	Dist    string    `json:"dist"`
	Bucket  string    `json:"bucket"`
	Prefix  string    `json:"prefix"`
	At      time.Time `json:"at"`
	Line    string    `json:"line"`
}

var logq = storage.NewTable[logLine]("logline")

// logState arms and stops the delivery timer.
type logState struct {
	mu     sync.Mutex
	seq    int64
	armed  bool
	closed bool
	timer  clock.Timer
}

// countingWriter records what the edge answered, for the log line.
type countingWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
	first  time.Duration
	start  time.Time
}

func (c *countingWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
		c.first = time.Since(c.start)
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.WriteHeader(http.StatusOK)
	}
	n, err := c.ResponseWriter.Write(b)
	c.bytes += int64(n)
	return n, err
}

// logDash is "-" for an empty field.
func logDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// logEscape escapes a field as CloudFront does: URL encoding of spaces,
// controls, non-ASCII and the characters that would break the format
// (tab, quotes, backslash, percent), keeping the characters URLs carry
// as they are (/ ? & = : ; and so on).
func logEscape(s string) string {
	if s == "" {
		return "-"
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c > 0x20 && c < 0x7f && !strings.ContainsRune("\"%<>\\^`{|}", rune(c)) {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

// record queues the log line of a viewer request, when the distribution
// logs.
func (s *CloudFront) record(account string, d distRec, r *http.Request, w *countingWriter, now time.Time) {
	lc := d.Config.Logging
	if lc == nil || !ptr.Deref(lc.Enabled) || s.opt.Objects == nil {
		return
	}
	bucket, ok := s3Bucket(ptr.Deref(lc.Bucket))
	if !ok {
		return
	}
	h := w.Header()
	result := "Miss"
	switch xc := h.Get("X-Cache"); {
	case strings.HasPrefix(xc, "Hit"):
		result = "Hit"
	case strings.HasPrefix(xc, "Error"):
		result = "Error"
	case strings.HasPrefix(xc, "Redirect"):
		result = "Redirect"
	}
	ip, port, _ := net.SplitHostPort(r.RemoteAddr)
	proto, sslProto, sslCipher := "http", "-", "-"
	if r.TLS != nil {
		proto = "https"
		sslProto = map[uint16]string{0x0301: "TLSv1", 0x0302: "TLSv1.1", 0x0303: "TLSv1.2", 0x0304: "TLSv1.3"}[r.TLS.Version]
		sslCipher = tlsCipherName(r.TLS.CipherSuite)
	}
	cookie := "-"
	if ptr.Deref(lc.IncludeCookies) {
		cookie = logEscape(r.Header.Get("Cookie"))
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	taken := time.Since(w.start).Seconds()
	utc := now.UTC()
	fields := []string{
		utc.Format("2006-01-02"), utc.Format("15:04:05"), edgePOP, strconv.FormatInt(w.bytes, 10), logDash(ip), r.Method,
		strings.TrimSuffix(d.Domain, DomainSuffix) + ".cloudfront.net", logEscape(r.URL.Path), strconv.Itoa(status),
		logEscape(r.Referer()), logEscape(r.UserAgent()), logDash(r.URL.RawQuery), cookie, result, logDash(h.Get("X-Amz-Cf-Id")),
		logDash(hostOnly(r.Host)), proto, strconv.FormatInt(max(r.ContentLength, 0), 10), strconv.FormatFloat(taken, 'f', 3, 64),
		logDash(r.Header.Get("X-Forwarded-For")), logDash(sslProto), logDash(sslCipher), result, r.Proto, "-", "-", logDash(port),
		strconv.FormatFloat(w.first.Seconds(), 'f', 3, 64), result, logDash(h.Get("Content-Type")), logDash(h.Get("Content-Length")), "-", "-",
	}
	line := logLine{Account: account, Dist: d.ID, Bucket: bucket, Prefix: ptr.Deref(lc.Prefix), At: now, Line: strings.Join(fields, "\t")}
	s.logs.mu.Lock()
	s.logs.seq++
	seq := s.logs.seq
	s.logs.mu.Unlock()
	key := fmt.Sprintf("%020d.%020d", now.UnixNano(), seq)
	if err := s.opt.Store.Update(func(tx storage.Tx) error { return logq.Put(tx, anywhere, line, key) }); err != nil {
		s.opt.Log.Warn("cloudfront: access log line not queued", "distribution", d.ID, "error", err)
		return
	}
	s.armFlush()
}

func tlsCipherName(id uint16) string {
	// The names CloudFront logs are OpenSSL's.
	switch id {
	case 0x1301:
		return "TLS_AES_128_GCM_SHA256"
	case 0x1302:
		return "TLS_AES_256_GCM_SHA384"
	case 0x1303:
		return "TLS_CHACHA20_POLY1305_SHA256"
	case 0xc02b:
		return "ECDHE-ECDSA-AES128-GCM-SHA256"
	case 0xc02f:
		return "ECDHE-RSA-AES128-GCM-SHA256"
	case 0xc02c:
		return "ECDHE-ECDSA-AES256-GCM-SHA384"
	case 0xc030:
		return "ECDHE-RSA-AES256-GCM-SHA384"
	}
	return "-"
}

// armFlush schedules a delivery unless one is pending.
func (s *CloudFront) armFlush() {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	if s.logs.armed || s.logs.closed {
		return
	}
	s.logs.armed = true
	s.logs.timer = s.opt.Clock.AfterFunc(logFlushInterval, func() {
		s.logs.mu.Lock()
		s.logs.armed = false
		s.logs.mu.Unlock()
		s.FlushLogs()
	})
}

// Close stops the delivery timer (niwa's shutdown); queued lines stay in
// the store for the next start.
func (s *CloudFront) Close() error {
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	s.logs.closed = true
	if s.logs.timer != nil {
		s.logs.timer.Stop()
	}
	return nil
}

// FlushLogs delivers every queued line now: one gzip object per
// distribution, log bucket, prefix and hour, written for the
// distribution's owner (a bucket of another account must grant that
// account s3:PutObject in its policy, as the owner's grant to
// CloudFront's log delivery does on AWS). Lines that could not be
// delivered are dropped with a warning, as CloudFront drops logs for a
// bucket it cannot write.
func (s *CloudFront) FlushLogs() {
	type group struct {
		account, dist, bucket, prefix, hour string
		lines                               []string
	}
	var keys []string
	groups := map[string]*group{}
	if err := s.opt.Store.View(func(tx storage.Tx) error {
		return logq.List(tx, anywhere, nil, storage.ListOptions{}, func(k []string, l logLine) bool {
			keys = append(keys, k[len(k)-1])
			hour := l.At.UTC().Format("2006-01-02-15")
			id := strings.Join([]string{l.Account, l.Dist, l.Bucket, l.Prefix, hour}, "\x00")
			if groups[id] == nil {
				groups[id] = &group{account: l.Account, dist: l.Dist, bucket: l.Bucket, prefix: l.Prefix, hour: hour}
			}
			groups[id].lines = append(groups[id].lines, l.Line)
			return true
		})
	}); err != nil || len(keys) == 0 {
		return
	}
	ids := make([]string, 0, len(groups))
	for id := range groups {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		g := groups[id]
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, _ = zw.Write([]byte(logFields + strings.Join(g.lines, "\n") + "\n"))
		_ = zw.Close() // into a bytes.Buffer: cannot fail
		key := g.prefix + g.dist + "." + g.hour + "." + strings.ToLower(awsid.Hex(8)) + ".gz"
		p := objects.Principal{CallerARN: "arn:aws:iam::" + g.account + ":root", CallerAccount: g.account,
			SourceAccount: g.account, SourceARN: distARN(g.account, g.dist)}
		if err := s.opt.Objects.PutServiceObject(context.Background(), g.bucket, key, buf.Bytes(), p); err != nil {
			s.opt.Log.Warn("cloudfront: access log not delivered", "distribution", g.dist, "bucket", g.bucket, "error", err)
		}
	}
	_ = s.opt.Store.Update(func(tx storage.Tx) error {
		for _, k := range keys {
			if err := logq.Delete(tx, anywhere, k); err != nil {
				return err
			}
		}
		return nil
	})
}

// checkLogging: a logging configuration names an S3 bucket domain.
func checkLogging(c *cfapi.DistributionConfig) error {
	lc := c.Logging
	if lc == nil || !ptr.Deref(lc.Enabled) {
		return nil
	}
	if _, ok := s3Bucket(ptr.Deref(lc.Bucket)); !ok {
		return cfapi.ErrInvalidArgument.New("Invalid request provided: The S3 bucket that you specified for CloudFront logs does not exist or is not a valid bucket domain name (bucket.s3.amazonaws.com).")
	}
	return nil
}
