package gateway

import (
	"errors"
	"io"
	"net/http"
	"os"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// This file is the one place where a request body that cannot be read
// becomes an AWS error. Whoever reads the body — the signature layer
// hashing it, a codec buffering it, S3 streaming an object — sees the
// failure as the *awserr.Error of the service's protocol, so none of them
// can turn a client's broken upload into a 500.

// Body caps for non-streaming request bodies, by protocol family, checked
// before anything is decoded: a Content-Length over the cap is refused
// without reading a byte, and a chunked body is cut off as soon as it
// passes it. A service whose documented limits differ declares its own
// (kit.Limits).
const (
	// AWS's query APIs take small forms; the largest documented payloads
	// are SNS messages (256 KiB, up to three times longer once
	// form-encoded) and IAM policy documents.
	maxQueryBody = 2 << 20
	// DynamoDB's largest request (BatchWriteItem, TransactWriteItems)
	// is 16 MB; Kinesis PutRecords (10 MiB of base64) also fits.
	maxJSONBody = 16 << 20
	// S3's XML bodies (DeleteObjects with 1,000 keys, lifecycle and
	// replication configurations) stay far below it. Object and part
	// bodies stream and are bounded by S3's own 5 GiB limit.
	maxRestXMLBody = 8 << 20
)

// family is a protocol family's error vocabulary for body failures.
type family int

const (
	familyXML family = iota
	familyQuery
	familyJSON
	familyRestJSON
)

func familyOf(protocolName string) family {
	switch protocolName {
	case "query", "ec2":
		return familyQuery
	case "json":
		return familyJSON
	case "rest-json":
		return familyRestJSON
	}
	return familyXML
}

// bodyLimit is svc's cap on a non-streaming body.
func bodyLimit(svc *Service) int64 {
	if n := svc.Limits.MaxBody; n > 0 {
		return n
	}
	switch familyOf(svc.Spec.Metadata.Protocol) {
	case familyQuery:
		return maxQueryBody
	case familyJSON, familyRestJSON:
		return maxJSONBody
	}
	return maxRestXMLBody
}

// operationLimit is the cap for op of svc (the service's when op has none
// of its own).
func operationLimit(svc *Service, op string) int64 {
	if n, ok := svc.Limits.PerOperation[op]; ok {
		return n
	}
	return bodyLimit(svc)
}

// bodyErrors words body failures for one service.
type bodyErrors struct {
	fam family
	// tooLargeAs is the service's own wording of an oversized body
	// (kit.Limits.TooLarge), nil for its protocol's.
	tooLargeAs func(limit int64, op string) *awserr.Error
}

func (b bodyErrors) tooLarge(limit int64, op string) *awserr.Error {
	switch {
	case b.tooLargeAs != nil:
		return b.tooLargeAs(limit, op)
	case b.fam == familyXML:
		return awserr.Code{Code: "EntityTooLarge", Status: http.StatusBadRequest, Sender: true}.
			New("Your proposed upload exceeds the maximum allowed size").With("MaxSizeAllowed", limit)
	case b.fam == familyQuery:
		return awserr.Code{Code: "RequestEntityTooLarge", Status: http.StatusRequestEntityTooLarge, Sender: true}.
			New("Request must be smaller than %d bytes", limit+1)
	}
	return awserr.Code{Code: "RequestEntityTooLargeException", Status: http.StatusRequestEntityTooLarge, Sender: true}.
		New("Request must be smaller than %d bytes", limit+1)
}

// incomplete is the error for a body that ended before its
// Content-Length, or whose chunked framing is broken.
func (b bodyErrors) incomplete() *awserr.Error {
	switch b.fam {
	case familyQuery:
		// A query request's form is what its signature covers; AWS's
		// front end cannot check a signature over a body it never got.
		return awserr.IncompleteSignature.New("The request body terminated unexpectedly")
	case familyJSON, familyRestJSON:
		return awserr.SerializationException.New("The request body terminated unexpectedly")
	}
	return awserr.Code{Code: "IncompleteBody", Status: http.StatusBadRequest, Sender: true}.
		New("You did not provide the number of bytes specified by the Content-Length HTTP header.")
}

// timeout is the error for a body that stopped arriving.
func (b bodyErrors) timeout() *awserr.Error {
	const msg = "Your socket connection to the server was not read from or written to within the timeout period. Idle connections will be closed."
	switch b.fam {
	case familyJSON, familyRestJSON:
		return awserr.Code{Code: "RequestTimeoutException", Status: http.StatusBadRequest, Sender: true}.New(msg)
	}
	return awserr.Code{Code: "RequestTimeout", Status: http.StatusBadRequest, Sender: true}.New(msg)
}

// classify turns a failed body read into the service's error. An error
// that already is an AWS error (a chunk signature that does not match, a
// checksum) is kept.
func (b bodyErrors) classify(err error) error {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return ae
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return b.timeout()
	}
	// io.ErrUnexpectedEOF (short of Content-Length), net/http's chunked
	// framing errors, a connection reset: the body the client promised
	// is not there.
	return b.incomplete()
}

// guardedBody counts what is read against a cap (0: none) and words read
// failures as the service's errors.
type guardedBody struct {
	rc    io.ReadCloser
	errs  bodyErrors
	limit int64
	op    string // the operation limit is for ("" for the service's)
	n     int64
	err   error
}

func (g *guardedBody) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.rc.Read(p)
	g.n += int64(n)
	if g.limit > 0 && g.n > g.limit {
		g.err = g.errs.tooLarge(g.limit, g.op)
		return 0, g.err
	}
	if err != nil && err != io.EOF {
		g.err = g.errs.classify(err)
		return n, g.err
	}
	return n, err
}

func (g *guardedBody) Close() error { return g.rc.Close() }

// guardBody checks r's declared length against svc's cap and wraps its
// body; the returned error (a Content-Length over the cap) is the answer.
// It runs before authentication, which may read the whole body to hash
// it, so a service with per-operation caps (Lambda's Invoke) has the
// operation found here already when the body could exceed one: the REST
// and JSON codecs resolve from the method, path and headers alone.
func guardBody(r *http.Request, svc *Service, m *model.Service, codec protocol.Codec, gb *guardedBody) (bodyErrors, error) {
	// m is the model of the protocol this request speaks (SQS answers
	// both JSON and query), so the wording matches what the client parses.
	errs := bodyErrors{fam: familyOf(m.Metadata.Protocol), tooLargeAs: svc.Limits.TooLarge}
	if r.Body == nil || r.Body == http.NoBody {
		return errs, nil
	}
	limit, op := bodyLimit(svc), ""
	if ops := svc.Limits.PerOperation; ops != nil && errs.fam != familyQuery {
		if o, err := codec.Resolve(m, protocol.NewRequest(r, http.NoBody)); err == nil {
			if n, ok := ops[o.Name]; ok {
				limit, op = n, o.Name
			}
		}
	}
	if svc.Limits.Streams {
		limit = 0 // checked per operation, where a codec buffers
	} else if r.ContentLength > limit {
		return errs, errs.tooLarge(limit, op)
	}
	*gb = guardedBody{rc: r.Body, errs: errs, limit: limit, op: op}
	r.Body = gb
	return errs, nil
}

// limitRequest sets the cap preq.Bytes enforces for op, worded by ol
// (the request's exchange holds it). An operation whose payload streams
// (PutObject, UploadPart) is left to its handler.
func limitRequest(preq *protocol.Request, svc *Service, errs bodyErrors, op *model.Operation, ol *opLimit) {
	if op.Input != nil {
		if p := op.Input.Shape.PayloadMember(); p != nil && p.IsStreaming() {
			return
		}
	}
	limit := operationLimit(svc, op.Name)
	preq.MaxBody = limit
	*ol = opLimit{errs: errs, limit: limit, op: op.Name}
	preq.TooLargeErr = ol
}

// opLimit words a body over an operation's cap (protocol.Request's
// TooLargeErr).
type opLimit struct {
	errs  bodyErrors
	limit int64
	op    string
}

// TooLargeError is the service's error for a body over the cap.
func (o *opLimit) TooLargeError() error { return o.errs.tooLarge(o.limit, o.op) }
