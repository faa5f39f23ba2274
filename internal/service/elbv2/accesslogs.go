package elbv2

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Access logs: an application load balancer with access_logs.s3.enabled
// writes one line per request in ALB's access log format and delivers
// them every logInterval of clock time to
// <bucket>/<prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/
// as a gzip file named as AWS names them, acting as the log delivery
// service principal (the bucket policy must allow it to PutObject).

const (
	logInterval = 5 * time.Minute
	// logPrincipal is the service principal ALB delivers logs as in
	// regions that use it (and in niwa everywhere).
	logPrincipal = "logdelivery.elasticloadbalancing.amazonaws.com"
	// maxBuffered bounds the lines kept per load balancer between
	// deliveries; beyond it lines are dropped, as a best-effort log.
	maxBuffered = 100000
)

type logBuffer struct {
	lb    lbRec
	lines []string
}

type accessLogs struct {
	s    *ELBv2
	mu   sync.Mutex
	buf  map[string]*logBuffer
	last time.Time
}

func newAccessLogs(s *ELBv2) *accessLogs { return &accessLogs{s: s, buf: map[string]*logBuffer{}} }

// check verifies the bucket accepts deliveries.
func (a *accessLogs) check(ctx *request.Context, r lbRec, bucket, prefix string) error {
	if bucket == "" {
		return validationError("The value of 'access_logs.s3.bucket' cannot be empty when access logs are enabled")
	}
	if strings.Contains(strings.ToLower(prefix), "awslogs") {
		return validationError("The prefix for access logs cannot contain 'AWSLogs'")
	}
	if a.s.opt.Objects == nil {
		return nil
	}
	_, _, err := a.s.opt.Objects.CheckObjectAccess(ctx, bucket, logKeyPrefix(prefix, r), a.principal(r), "s3:PutObject")
	if errors.Is(err, objects.ErrNoSuchBucket) || errors.Is(err, objects.ErrAccessDenied) {
		return elbv2api.ErrInvalidConfigurationRequestException.New("Access Denied for bucket: %s. Please check S3bucket permission", bucket)
	}
	return err
}

func (a *accessLogs) principal(r lbRec) objects.Principal {
	return objects.Principal{Service: logPrincipal, Region: r.Region, SourceAccount: r.Account, SourceARN: r.ARN}
}

func logKeyPrefix(prefix string, r lbRec) string {
	p := "AWSLogs/" + r.Account + "/elasticloadbalancing/" + r.Region + "/"
	if prefix != "" {
		p = strings.Trim(prefix, "/") + "/" + p
	}
	return p
}

// record adds one request's line when the load balancer logs.
func (a *accessLogs) record(r lbRec, req *http.Request, rec *statusRecorder, t served, start, end time.Time) {
	if r.Attrs["access_logs.s3.enabled"] != "true" {
		return
	}
	target, tstatus, tgARN := "-", "-", "-"
	if t.target != "" {
		target = t.target
	}
	if t.status > 0 {
		tstatus = fmt.Sprint(t.status)
	}
	if t.tg != "" {
		tgARN = t.tg
	}
	typ := "http"
	if req.TLS != nil {
		typ = "https"
	} else if req.ProtoMajor == 2 {
		typ = "h2"
	}
	client := req.RemoteAddr // ip:port, as ALB logs the client
	scheme := "http"
	if req.TLS != nil {
		scheme = "https"
	}
	line := fmt.Sprintf(`%s %s %s %s %s %.3f %.3f %.3f %d %s %d %d "%s %s://%s%s %s" "%s" - - %s "%s" "%s" "-" %s %s "%s" "-" "-" "%s" "%s" "-" "-" TID_%s`,
		typ, end.UTC().Format("2006-01-02T15:04:05.000000Z"), lbDimension(r.ARN), client, target,
		0.0, end.Sub(start).Seconds(), 0.0, rec.status, tstatus, max(req.ContentLength, 0), rec.bytes,
		req.Method, scheme, req.Host, req.URL.RequestURI(), req.Proto, req.UserAgent(), tgARN,
		req.Header.Get("X-Amzn-Trace-Id"), strings.ToLower(req.Host), "-", start.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"forward", target, tstatus, awsid.Hex(32))
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.buf[r.ARN]
	if b == nil {
		b = &logBuffer{}
		a.buf[r.ARN] = b
	}
	b.lb = r
	if len(b.lines) < maxBuffered {
		b.lines = append(b.lines, line)
	}
}

// flush delivers the buffered lines once logInterval has passed.
func (a *accessLogs) flush(now time.Time) {
	a.mu.Lock()
	if a.last.IsZero() {
		a.last = now
	}
	if now.Sub(a.last) < logInterval {
		a.mu.Unlock()
		return
	}
	a.last = now
	bufs := a.buf
	a.buf = map[string]*logBuffer{}
	a.mu.Unlock()
	for _, b := range bufs {
		if len(b.lines) == 0 || a.s.opt.Objects == nil {
			continue
		}
		if err := a.deliver(b, now); err != nil {
			a.s.log.Warn("elbv2: access log delivery failed", "load_balancer", b.lb.ARN, "error", err)
		}
	}
}

func (a *accessLogs) deliver(b *logBuffer, now time.Time) error {
	r := b.lb
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	for _, l := range b.lines {
		if _, err := w.Write([]byte(l + "\n")); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	u := now.UTC()
	name := fmt.Sprintf("%s_elasticloadbalancing_%s_%s_%s_%s_%s.log.gz", r.Account, r.Region,
		strings.ReplaceAll(lbDimension(r.ARN), "/", "."), u.Format("20060102T1504Z"), "127.0.0.1", awsid.String("abcdefghijklmnopqrstuvwxyz0123456789", 8))
	key := logKeyPrefix(r.Attrs["access_logs.s3.prefix"], r) + u.Format("2006/01/02/") + name
	return a.s.opt.Objects.PutServiceObject(context.Background(), r.Attrs["access_logs.s3.bucket"], key, gz.Bytes(), a.principal(r))
}
