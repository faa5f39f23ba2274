package rest

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/protocol"
)

// hasPrefixASCIIFold must answer what
// strings.HasPrefix(strings.ToLower(k), prefix) would.
func TestHeaderLookupMatchesNetHTTP(t *testing.T) {
	for _, k := range []string{"X-Amz-Meta-Color", "x-amz-meta-", "X-Amz", "Ünicode-Key", "", "X-AMZ-META-A"} {
		for _, prefix := range []string{"x-amz-meta-", "", "ü", "x"} {
			if got, want := hasPrefixASCIIFold(k, prefix), strings.HasPrefix(strings.ToLower(k), prefix); got != want {
				t.Errorf("hasPrefixASCIIFold(%q, %q) = %v, want %v", k, prefix, got, want)
			}
		}
	}
}

// TestEncodeHeaderMembers: output members bound to headers go out under
// their canonical names, an empty string value as an empty header (not
// left out), prefixed map entries in lower case, and each header's value
// slice is its own (adding to one after Encode changes no other).
func TestEncodeHeaderMembers(t *testing.T) {
	s3 := loadModel(t, "s3")
	c := NewXML().(*Codec)
	out := map[string]any{
		"Body": strings.NewReader("abc"), "ContentLength": int64(3),
		"ETag": `"900150983cd24fb0d6963f7d28e17f72"`, "VersionId": "v1", "ContentLanguage": "",
		"Metadata": map[string]any{"Color": "red"}, "AcceptRanges": "bytes", "TagCount": int64(2),
	}
	rec := httptest.NewRecorder()
	if err := c.Encode(rec, s3.Operations["GetObject"], out, protocol.Meta{RequestID: "REQ", HostID: "HOST"}); err != nil {
		t.Fatal(err)
	}
	want := http.Header{
		"Etag": {`"900150983cd24fb0d6963f7d28e17f72"`}, "X-Amz-Version-Id": {"v1"}, "Content-Language": {""},
		"x-amz-meta-color": {"red"}, "Accept-Ranges": {"bytes"}, "X-Amz-Tagging-Count": {"2"},
		"Content-Length": {"3"}, "Content-Type": {"application/octet-stream"},
		"X-Amz-Request-Id": {"REQ"}, "X-Amz-Id-2": {"HOST"},
	}
	h := rec.Result().Header
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("headers\n %v\nwant\n %v", h, want)
	}
	h = rec.Header()
	h.Add("Etag", "second")
	h.Add("X-Amz-Request-Id", "second")
	if h.Get("X-Amz-Version-Id") != "v1" || h.Get("X-Amz-Id-2") != "HOST" || len(h["Etag"]) != 2 {
		t.Fatalf("after Add: %v", h)
	}
}

// TestDecodeHeaderMembers: input members bound to headers are read
// whatever the case the client wrote the name in (net/http canonicalizes
// it), trimmed; list headers split; prefixed headers collected in lower
// case; absent headers leave their members unset.
func TestDecodeHeaderMembers(t *testing.T) {
	s3 := loadModel(t, "s3")
	c := NewXML().(*Codec)
	r := newReq("PUT", "/bucket/key", "x-amz-acl", "private", "CONTENT-MD5", " 1B2M2Y8AsgTpgAmY7PhCfg== ",
		"x-amz-meta-Color", "red", "X-Amz-Object-Lock-Legal-Hold", "ON", "x-amz-tagging", "a=b")
	req := protocol.NewRequest(r, nil)
	op, err := c.Resolve(s3, req)
	if err != nil || op.Name != "PutObject" {
		t.Fatalf("%v %v", op, err)
	}
	in, err := c.Decode(op, req)
	if err != nil {
		t.Fatal(err)
	}
	if in["ACL"] != "private" || in["ContentMD5"] != "1B2M2Y8AsgTpgAmY7PhCfg==" || in["ObjectLockLegalHoldStatus"] != "ON" || in["Tagging"] != "a=b" {
		t.Errorf("decoded %v", in)
	}
	if md, _ := in["Metadata"].(map[string]any); md["color"] != "red" {
		t.Errorf("metadata %v", in["Metadata"])
	}
	if _, ok := in["ContentType"]; ok {
		t.Errorf("ContentType set: %v", in["ContentType"])
	}
}
