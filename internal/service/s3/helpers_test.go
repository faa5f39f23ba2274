package s3

import (
	"errors"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const testAccount = "000000000000"

type fixture struct {
	s   *S3
	clk *clock.Fake
	bus *events.Bus
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	be, err := storage.Open(storage.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { be.Close() })
	st, err := be.Store("s3")
	if err != nil {
		t.Fatal(err)
	}
	clk := clock.NewFake(time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC))
	bus := events.New()
	s := New(st, be.Blobs(), bus, clk, Options{LogFlushInterval: 5 * time.Second})
	return &fixture{s: s, clk: clk, bus: bus}
}

// ctx is a request by the account root in ap-northeast-1.
func (f *fixture) ctx() *request.Context {
	return &request.Context{
		Context: t0ctx{}, RequestID: "REQ", Service: "s3", Account: testAccount, Region: "ap-northeast-1",
		Caller: request.Caller{Account: testAccount, ARN: "arn:aws:iam::" + testAccount + ":root", UserID: testAccount},
		Clock:  f.clk, HTTP: httptest.NewRequest("PUT", "/", nil), SourceIP: "127.0.0.1",
	}
}

func (f *fixture) bucket(t *testing.T, name string) {
	t.Helper()
	_, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To(name),
		CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}})
	if err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) put(t *testing.T, bucket, key, body string) *s3api.PutObjectOutput {
	t.Helper()
	out, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To(bucket), Key: ptr.To(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) get(t *testing.T, in *s3api.GetObjectInput) (string, *s3api.GetObjectOutput) {
	t.Helper()
	out, err := f.s.GetObject(f.ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(out.Body)
	out.Body.(io.Closer).Close()
	return string(b), out
}

func codeOf(err error) string {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Code.Code
	}
	if err != nil {
		return "other: " + err.Error()
	}
	return ""
}

// t0ctx is a context.Context that never ends.
type t0ctx struct{}

func (t0ctx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (t0ctx) Done() <-chan struct{}       { return nil }
func (t0ctx) Err() error                  { return nil }
func (t0ctx) Value(any) any               { return nil }
