package s3

import (
	"net/http"
	"sync"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rest"
)

// errorDocs writes the error documents of S3's raw routes (the POST
// object form, CORS preflights) through the rest-xml codec, as the API's
// own errors are: one encoder, with S3's <Error> layout, escaping and
// extra fields, instead of a second one written by hand.
type errorDocs struct {
	codec protocol.Codec
	once  sync.Once
	svc   *model.Service
	err   error
}

func newErrorDocs() *errorDocs { return &errorDocs{codec: rest.NewXML()} }

// write answers err (any error: a non-AWS one is InternalError) with
// the request and host ids of meta.
func (d *errorDocs) write(w http.ResponseWriter, err error, meta protocol.Meta) {
	d.once.Do(func() { d.svc, d.err = s3api.Spec().Model() })
	e := awserr.As(err)
	if d.err != nil {
		// The generated model always loads; without it there is no
		// document to write, only the status.
		w.WriteHeader(e.Code.Status)
		return
	}
	d.codec.EncodeError(w, d.svc, nil, e, meta)
}
