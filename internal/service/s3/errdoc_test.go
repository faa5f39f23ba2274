package s3

import (
	"encoding/xml"
	"net/http/httptest"
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
