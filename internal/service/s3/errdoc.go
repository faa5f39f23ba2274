package s3

import (
	"html/template"
	"io"
	"net/http"
	"sync"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rest"
)

// errorDocs writes the documents of S3's raw routes (the POST object
// form, CORS preflights) through the rest-xml codec, as the API's own
// are: one encoder, with S3's <Error> layout, escaping and extra fields,
// instead of a second one written by hand.
type errorDocs struct {
	codec protocol.Codec
	once  sync.Once
	svc   *model.Service
	err   error

	postOnce sync.Once
	post     *model.Operation
	postErr  error

	pageOnce sync.Once
	page     *template.Template
	pageErr  error
}

// websitePage is what S3's HTML error page of a website endpoint shows.
type websitePage struct {
	Title, Code, Message string
	// Extra are further name and value items (BucketName, Key).
	Extra             [][2]string
	RequestID, HostID string
	// ErrorDocument: the bucket's own error document could not be
	// served either.
	ErrorDocument bool
}

// websitePageTemplate is S3's website error page. It is HTML, not an
// API document, so html/template writes it, escaping every value.
const websitePageTemplate = `<html>
<head><title>{{.Title}}</title></head>
<body>
<h1>{{.Title}}</h1>
<ul>
<li>Code: {{.Code}}</li>
<li>Message: {{.Message}}</li>
{{range .Extra}}<li>{{index . 0}}: {{index . 1}}</li>
{{end}}<li>RequestId: {{.RequestID}}</li>
<li>HostId: {{.HostID}}</li>
</ul>
{{if .ErrorDocument}}<h3>An Error Occurred While Attempting to Retrieve a Custom Error Document</h3>
<ul>
<li>Code: AccessDenied</li>
<li>Message: Access Denied</li>
</ul>
{{end}}<hr/>
</body>
</html>
`

// websiteErrorPage writes the HTML error page of a website endpoint.
func (d *errorDocs) websiteErrorPage(w io.Writer, p websitePage) error {
	d.pageOnce.Do(func() { d.page, d.pageErr = template.New("website-error").Parse(websitePageTemplate) })
	if d.pageErr != nil {
		return d.pageErr
	}
	return d.page.Execute(w, p)
}

// postResponseModel describes the document S3 answers a POST object
// upload with when the form asks for success_action_status 201
// (<PostResponse>, RESTObjectPOST): documented, but in no API model, as
// the form upload is no API operation. Described as a one-operation
// model, it is written by the rest-xml codec like every other document.
const postResponseModel = `{
  "metadata": {"apiVersion": "2006-03-01", "protocol": "rest-xml"},
  "operations": {"PostObject": {"name": "PostObject",
    "http": {"method": "POST", "requestUri": "/{Bucket}", "responseCode": 201},
    "output": {"shape": "PostResponse"}}},
  "shapes": {
    "PostResponse": {"type": "structure", "members": {
      "Location": {"shape": "String"}, "Bucket": {"shape": "String"},
      "Key": {"shape": "String"}, "ETag": {"shape": "String"}}},
    "String": {"type": "string"}
  }
}`

// writePostResponse answers a POST object upload with the 201 document.
func (d *errorDocs) writePostResponse(w http.ResponseWriter, location, bucket, key, etag string) error {
	d.postOnce.Do(func() {
		m, err := model.Load([]byte(postResponseModel))
		if err != nil {
			d.postErr = err
			return
		}
		d.post = m.Operations["PostObject"]
	})
	if d.postErr != nil {
		return d.postErr
	}
	// The request id headers are already set: no Meta to repeat them.
	return d.codec.Encode(w, d.post, map[string]any{"Location": location, "Bucket": bucket, "Key": key, "ETag": etag}, protocol.Meta{})
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
