package cloudfront

import (
	"net/http"
	"sync"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rest"
)

// edgeErrorModel describes the document CloudFront's edge answers a
// refused request with (<Error><Code>AccessDenied</Code><Message>Access
// denied</Message></Error>, no namespace): in no API model, since the
// edge is no API, so described here as a one-operation model and written
// by the rest-xml codec like every other document.
const edgeErrorModel = `{
  "metadata": {"apiVersion": "2020-05-31", "protocol": "rest-xml"},
  "operations": {"EdgeError": {"name": "EdgeError",
    "http": {"method": "GET", "requestUri": "/"},
    "output": {"shape": "EdgeErrorOutput"}}},
  "shapes": {
    "EdgeErrorOutput": {"type": "structure", "payload": "Error", "members": {
      "Status": {"shape": "Integer", "location": "statusCode"},
      "ContentType": {"shape": "String", "location": "header", "locationName": "Content-Type"},
      "Error": {"shape": "Error"}}},
    "Error": {"type": "structure", "members": {
      "Code": {"shape": "String"}, "Message": {"shape": "String"}}},
    "String": {"type": "string"},
    "Integer": {"type": "integer"}
  }
}`

// edgeErrors writes the edge's error documents through the codec.
type edgeErrors struct {
	codec protocol.Codec
	once  sync.Once
	op    *model.Operation
	err   error
}

func (d *edgeErrors) write(w http.ResponseWriter, status int, code, message string) {
	d.once.Do(func() {
		m, err := model.Load([]byte(edgeErrorModel))
		if err != nil {
			d.err = err
			return
		}
		d.op = m.Operations["EdgeError"]
	})
	if d.err != nil {
		w.WriteHeader(status)
		return
	}
	_ = d.codec.Encode(w, d.op, map[string]any{"Status": status, "ContentType": "text/xml",
		"Error": map[string]any{"Code": code, "Message": message}}, protocol.Meta{})
}

func newEdgeErrors() *edgeErrors { return &edgeErrors{codec: rest.NewXML()} }
