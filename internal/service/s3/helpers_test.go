package s3

import (
	"errors"
	"io"
	"net/http"
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
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

const testAccount = "000000000000"

type fixture struct {
	s   *S3
	h   *servicetest.Harness
	clk *clock.Fake
	bus *events.Bus
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	h := servicetest.New(t, "s3", servicetest.InAccount(testAccount), servicetest.InRegion("ap-northeast-1"))
	bus := events.New()
	s := New(h.Store(), h.Backend.Blobs(), bus, h.Clock, Options{LogFlushInterval: 5 * time.Second})
	return &fixture{s: s, h: h, clk: h.Clock, bus: bus}
}

// ctx is a request by the account root in ap-northeast-1.
func (f *fixture) ctx() *request.Context {
	ctx := f.h.Ctx()
	ctx.HTTP, ctx.SourceIP = httptest.NewRequest("PUT", "/", nil), "127.0.0.1"
	return ctx
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

// rawRoute is a route as internal/server hands it to the gateway.
type rawRoute struct {
	Match   func(*http.Request) bool
	Handler http.Handler
}

// websiteRoute is the website endpoint's route, as internal/server makes it.
func (f *fixture) websiteRoute() rawRoute {
	return rawRoute{Match: f.s.MatchWebsite, Handler: f.s.WebsiteHandler()}
}
