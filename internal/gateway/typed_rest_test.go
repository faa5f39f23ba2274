package gateway

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/request"
)

// echoS3 implements PutObject and GetObject: PutObject reads its
// streaming body (left unread by the decoder) and answers its length in
// ETag, GetObject its key in ETag and its part number in the body.
type echoS3 struct{}

func (echoS3) PutObject(_ *request.Context, in *s3api.PutObjectInput) (*s3api.PutObjectOutput, error) {
	b, err := io.ReadAll(in.Body)
	if err != nil {
		return nil, err
	}
	etag := string(b) + "|" + in.Metadata["color"]
	return &s3api.PutObjectOutput{ETag: &etag}, nil
}

func (echoS3) GetObject(_ *request.Context, in *s3api.GetObjectInput) (*s3api.GetObjectOutput, error) {
	etag := *in.Bucket + "/" + *in.Key
	return &s3api.GetObjectOutput{ETag: &etag}, nil
}

// deleteBody is a DeleteObjects document: a flattened list, an unknown
// element, white space.
const deleteBody = `<?xml version="1.0" encoding="UTF-8"?>
<Delete xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Object><Key>a b</Key></Object>
  <Unknown><Key>z</Key></Unknown>
  <Object><Key>c</Key><VersionId>v1</VersionId></Object>
  <Quiet>true</Quiet>
</Delete>`

// requestIDs are the parts of an S3 error document that differ per request.
var requestIDs = regexp.MustCompile(`<RequestId>[^<]*</RequestId><HostId>[^<]*</HostId>`)

// DeleteObjects answers the keys of its XML body (a flattened list) as
// deleted, and whether it was quiet as RequestCharged.
func (echoS3) DeleteObjects(_ *request.Context, in *s3api.DeleteObjectsRequest) (*s3api.DeleteObjectsOutput, error) {
	out := &s3api.DeleteObjectsOutput{}
	for _, o := range in.Delete.Objects {
		out.Deleted = append(out.Deleted, s3api.DeletedObject{Key: o.Key})
	}
	if in.Delete.Quiet != nil && *in.Delete.Quiet {
		quiet := "quiet"
		out.RequestCharged = &quiet
	}
	return out, nil
}

func s3Gateway(t *testing.T, impl any, asked *int) *Gateway {
	t.Helper()
	svc, err := NewService(s3api.Spec(), impl, codecs.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Clock: clock.NewFake(t0), Log: slog.New(slog.DiscardHandler), Auth: trustAll{}}
	// Asked only for a request decoded straight into its typed input.
	cfg.WantsParams = func(*Call) bool { *asked++; return true }
	cfg.OnCall = func(Call) {}
	g, err := New(cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestTypedRestDecode: S3 requests decoded straight into the typed input
// reach the handler with their labels (an encoded key, a greedy one),
// prefix headers and unread streaming body; and every request the tree
// path refuses (a header, query parameter or label of the wrong type) is
// answered exactly as an operation niwa does not bind answers it (the
// tree path): same status, code and message.
func TestTypedRestDecode(t *testing.T) {
	var asked, unboundAsked int
	bound := s3Gateway(t, echoS3{}, &asked)
	unbound := s3Gateway(t, none{}, &unboundAsked)
	auth := []string{"Authorization", sigV4("s3"), "X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD"}
	with := func(h ...string) []string { return append(append([]string(nil), auth...), h...) }
	for _, tc := range []struct {
		method, target, body string
		header               []string
		etag                 string // for a request the handler serves
	}{
		{"PUT", "/bkt/a/b%20c", "hello", with("X-Amz-Meta-Color", " red "), "hello|red"},
		{"GET", "/bkt/dir/%E2%9C%93/x?x-id=GetObject", "", with(), "bkt/dir/✓/x"},
		{"GET", "/bkt/k?partNumber=2", "", with(), "bkt/k"},
		{"GET", "/bkt/k?partNumber=two", "", with(), ""},
		{"GET", "/bkt/k?partNumber=99999999999", "", with(), ""},
		{"GET", "/bkt/k", "", with("If-Modified-Since", "yesterday"), ""},
		{"GET", "/bkt/k", "", with("X-Amz-Checksum-Mode", "ENABLED", "Range", "bytes=0-1", "If-Unmodified-Since", "Mon, 02 Jan 2006 15:04:05 GMT"), "bkt/k"},
		{"PUT", "/bkt/k", "x", with("Content-Length", "1", "X-Amz-Object-Lock-Retain-Until-Date", "soon"), ""},
		{"PUT", "/bkt/k", "x", with("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", "maybe"), ""},
		{"PUT", "/bkt/k", "x", with("X-Amz-Server-Side-Encryption-Bucket-Key-Enabled", " TRUE "), "x|"},
		{"POST", "/bkt?delete", deleteBody, with("Content-Md5", "x"), "-"},
		{"POST", "/bkt?delete", "<Delete><Object><Key>a</Key></Object><Quiet>maybe</Quiet></Delete>", with("Content-Md5", "x"), ""},
		{"POST", "/bkt?delete", "<Delete><Object><Key>a</Key></Object>", with("Content-Md5", "x"), ""},
	} {
		req := func() *http.Request { return newRequest(tc.method, tc.target, tc.body, tc.header...) }
		before := asked
		got := httptestDo(bound, req())
		if tc.etag == "-" { // DeleteObjects
			if asked != before+1 || got.Code != 200 || got.Header().Get("X-Amz-Request-Charged") != "quiet" ||
				!strings.Contains(got.Body.String(), "<Deleted><Key>a b</Key></Deleted><Deleted><Key>c</Key></Deleted>") {
				t.Errorf("%s %s: %d %v %s (asked %d)", tc.method, tc.target, got.Code, got.Header(), got.Body, asked-before)
			}
			continue
		}
		if tc.etag != "" {
			if asked != before+1 {
				t.Errorf("%s %s: not decoded typed (asked %d times)", tc.method, tc.target, asked-before)
			}
			if got.Code != 200 || got.Header().Get("ETag") != tc.etag {
				t.Errorf("%s %s: %d ETag %q, want 200 %q: %s", tc.method, tc.target, got.Code, got.Header().Get("ETag"), tc.etag, got.Body)
			}
			continue
		}
		want := httptestDo(unbound, req())
		if want.Code == http.StatusNotImplemented || want.Code == 200 {
			t.Errorf("%s %s: the tree path got past decoding (%d)", tc.method, tc.target, want.Code)
		}
		if got.Code != want.Code || requestIDs.ReplaceAllString(got.Body.String(), "") != requestIDs.ReplaceAllString(want.Body.String(), "") {
			t.Errorf("%s %s:\n bound   %d %s\n unbound %d %s", tc.method, tc.target, got.Code, got.Body, want.Code, want.Body)
		}
	}
}
