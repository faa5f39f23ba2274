package s3

import (
	"encoding/xml"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// TestErrorDocuments: the raw routes' errors are S3 error documents from
// the codec: escaped text, the extra fields, the request and host ids
// in the body and the headers.
func TestErrorDocuments(t *testing.T) {
	s := &S3{errDocs: newErrorDocs()}
	type doc struct {
		XMLName      xml.Name `xml:"Error"`
		Code         string
		Message      string
		Method       string
		ResourceType string
		RequestID    string `xml:"RequestId"`
		HostID       string `xml:"HostId"`
	}
	w := httptest.NewRecorder()
	s.corsError(w, 403, "AccessForbidden", "CORSResponse: <not> allowed & denied", "PUT", "OBJECT")
	var d doc
	if err := xml.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	if w.Code != 403 || d.Code != "AccessForbidden" || d.Message != "CORSResponse: <not> allowed & denied" ||
		d.Method != "PUT" || d.ResourceType != "OBJECT" || d.RequestID == "" || d.RequestID != w.Header().Get("X-Amz-Request-Id") ||
		w.Header().Get("Content-Type") != "application/xml" {
		t.Errorf("CORS refusal: %d %v %s", w.Code, w.Header(), w.Body)
	}
	w = httptest.NewRecorder()
	s.errDocs.write(w, awserr.AccessDenied.New("Invalid according to Policy: Policy Condition failed: [\"eq\", \"$key\", \"a<b\"]"),
		protocol.Meta{RequestID: "R1", HostID: "H1"})
	d = doc{}
	if err := xml.Unmarshal(w.Body.Bytes(), &d); err != nil {
		t.Fatalf("%v: %s", err, w.Body)
	}
	if w.Code != 403 || d.Code != "AccessDenied" || d.Message != `Invalid according to Policy: Policy Condition failed: ["eq", "$key", "a<b"]` ||
		d.RequestID != "R1" || d.HostID != "H1" {
		t.Errorf("POST refusal: %d %s", w.Code, w.Body)
	}
}

// TestPostResponseDocument: the 201 answer to a POST object upload is
// the <PostResponse> document, written by the codec: escaped, in S3's
// member order, with its length.
func TestPostResponseDocument(t *testing.T) {
	d := newErrorDocs()
	w := httptest.NewRecorder()
	if err := d.writePostResponse(w, "http://b.s3.localhost/a%26b", "b", "a&b<c>", `"etag"`); err != nil {
		t.Fatal(err)
	}
	const want = `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<PostResponse><Location>http://b.s3.localhost/a%26b</Location><Bucket>b</Bucket><Key>a&amp;b&lt;c&gt;</Key><ETag>"etag"</ETag></PostResponse>`
	if w.Code != 201 || w.Body.String() != want || w.Header().Get("Content-Type") != "application/xml" ||
		w.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Fatalf("%d %v\n%s\nwant\n%s", w.Code, w.Header(), w.Body, want)
	}
}

// TestWebsiteErrorPage: the website endpoints' HTML error page, as S3
// lays it out, with every value escaped.
func TestWebsiteErrorPage(t *testing.T) {
	s := &S3{errDocs: newErrorDocs()}
	w := httptest.NewRecorder()
	s.websiteErrorPageWithDoc(w, httptest.NewRequest("GET", "/x", nil),
		websiteError{status: 404, code: "NoSuchKey", message: "The specified key does not exist.", extra: [][2]string{{"Key", `<script>'a'&"b"</script>`}, {"", "skipped"}}},
		"R1", "H1", "error.html")
	const want = `<html>
<head><title>404 Not Found</title></head>
<body>
<h1>404 Not Found</h1>
<ul>
<li>Code: NoSuchKey</li>
<li>Message: The specified key does not exist.</li>
<li>Key: &lt;script&gt;&#39;a&#39;&amp;&#34;b&#34;&lt;/script&gt;</li>
<li>RequestId: R1</li>
<li>HostId: H1</li>
</ul>
<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>
<ul>
<li>Code: AccessDenied</li>
<li>Message: Access Denied</li>
</ul>
<hr/>
</body>
</html>
`
	if w.Code != 404 || w.Body.String() != want || w.Header().Get("Content-Type") != "text/html; charset=utf-8" ||
		w.Header().Get("Content-Length") != strconv.Itoa(len(want)) {
		t.Fatalf("%d %v\n%s\nwant\n%s", w.Code, w.Header(), w.Body, want)
	}
	w = httptest.NewRecorder()
	s.websiteErrorPage(w, httptest.NewRequest("HEAD", "/x", nil), websiteError{status: 403, code: "AccessDenied", message: "Access Denied"}, "R", "H")
	if w.Code != 403 || w.Body.Len() != 0 || w.Header().Get("Content-Length") == "0" {
		t.Fatalf("HEAD: %d %v %q", w.Code, w.Header(), w.Body)
	}
}
