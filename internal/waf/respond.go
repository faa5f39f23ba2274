package waf

import (
	"bytes"
	"io"
	"net/http"
)

// BodyLimit is how much of a request body is inspected behind an ALB
// (8 KiB, AWS's fixed limit for ALB and AppSync).
const BodyLimit = 8 * 1024

// defaultBlock is the page AWS WAF answers a blocked request with in
// front of an ALB (403).
const defaultBlock = "<html>\r\n<head><title>403 Forbidden</title></head>\r\n<body>\r\n<center><h1>403 Forbidden</h1></center>\r\n</body>\r\n</html>\r\n"

// ReadBody reads the inspected prefix of r's body and puts it back so
// that the request can still be forwarded whole.
func ReadBody(r *http.Request) []byte {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	head := make([]byte, BodyLimit)
	n, _ := io.ReadFull(r.Body, head)
	head = head[:n]
	r.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), r.Body), r.Body}
	return head
}

// Respond writes a Block decision's response: the custom response when
// the rule has one, else AWS's 403 page.
func (a *ACL) Respond(w http.ResponseWriter, d Decision) {
	act := d.Action
	status := act.Status
	if status == 0 {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		_, _ = io.WriteString(w, defaultBlock)
		return
	}
	for _, h := range act.Headers {
		w.Header().Add(h[0], h[1])
	}
	if b, ok := a.Bodies[act.BodyKey]; ok && act.BodyKey != "" {
		w.Header().Set("Content-Type", contentType(b.ContentType))
		w.WriteHeader(status)
		_, _ = io.WriteString(w, b.Content)
		return
	}
	w.WriteHeader(status)
}

func contentType(t string) string {
	switch t {
	case "TEXT_HTML":
		return "text/html"
	case "APPLICATION_JSON":
		return "application/json"
	}
	return "text/plain"
}

// Prepare adds the headers an Allow or Count inserts
// (CustomRequestHandling) to the request forwarded to the target.
func Prepare(r *http.Request, d Decision) {
	for _, h := range d.Action.Insert {
		r.Header.Add("x-amzn-waf-"+h[0], h[1])
	}
}
