package rest_test

import (
	"fmt"
	"reflect"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rest"
)

// TestLocationPlanHeadersEitherWay: the location plan reads a request's
// header members from its headers when it sends fewer than the shape has
// header members and from the members otherwise; both give what the walk
// over every member gives (the same request padded with unrelated
// headers decodes to the same input), with names in any case, a header
// sent twice, an empty one, list and timestamp headers and prefix
// headers; a second request of the operation reuses the plan.
func TestLocationPlanHeadersEitherWay(t *testing.T) {
	s3, err := s3api.Spec().Model() // the model the typed input was generated from
	if err != nil {
		t.Fatal(err)
	}
	c := rest.NewXML().(*rest.Codec)
	headers := []string{
		"Content-Type", "text/plain", "x-amz-acl", "private", "CONTENT-MD5", " 1B2M2Y8AsgTpgAmY7PhCfg== ",
		"x-amz-meta-Color", "red", "X-Amz-Object-Lock-Legal-Hold", "ON", "x-amz-tagging", "a=b",
		"Expires", "Thu, 01 Dec 1994 16:00:00 GMT", "Content-Length", "3", "x-amz-checksum-crc32", "NSRBwg==",
		"X-Amz-Object-Lock-Retain-Until-Date", "2030-01-01T00:00:00Z", "x-amz-storage-class", "",
	}
	decode := func(pad int, walk bool) *s3api.PutObjectInput {
		t.Helper()
		r := rest.NewTestRequest("PUT", "/bucket/some/key", headers...)
		r.Header.Add("X-Amz-Grant-Read", "id=1")
		r.Header.Add("x-amz-grant-read", "id=2") // sent twice: the first value, as the tree takes it
		for k := range pad {
			r.Header.Set(fmt.Sprintf("X-Pad-%d", k), "v")
		}
		req := protocol.NewRequest(r, nil)
		op, err := c.Resolve(s3, req)
		if err != nil || op.Name != "PutObject" {
			t.Fatalf("%v %v", op, err)
		}
		in := &s3api.PutObjectInput{}
		if walk {
			if err := rest.WalkLocations(c, op, req, r.Header, in); err != nil {
				t.Fatal(err)
			}
			in.Bucket, in.Key = strPtr("bucket"), strPtr("some/key") // the labels, given to the walk as none
			return in
		}
		if err := c.DecodeTyped(op, req, in); err != nil {
			t.Fatal(err)
		}
		in.Body = nil
		return in
	}
	want := decode(0, true)
	if want.ContentType == nil || want.Expires == nil || want.GrantRead == nil || *want.GrantRead != "id=1" || want.Metadata["color"] != "red" ||
		want.StorageClass == nil || *want.StorageClass != "" || want.ObjectLockRetainUntilDate == nil {
		t.Fatalf("the walk decoded %+v", want)
	}
	if n := rest.PlanHeaderCount(c, s3.Operations["PutObject"], want); n < 20 || n > 100 {
		t.Fatalf("%d header members: the padding does not switch the path", n)
	}
	for _, pad := range []int{0, 100} {
		for range 2 {
			if got := decode(pad, false); !reflect.DeepEqual(got, want) {
				t.Errorf("padded with %d headers:\n got %+v\nwant %+v", pad, got, want)
			}
		}
	}
}

func strPtr(s string) *string { return &s }
