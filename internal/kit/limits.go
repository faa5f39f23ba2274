package kit

import (
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
)

// Limits are a service's own request body caps, where its documented
// limits differ from its protocol's defaults (the gateway's: 2 MiB for
// query forms, 16 MiB for JSON, 8 MiB for REST-XML documents). A body
// over its cap is refused before anything is decoded: a Content-Length
// over it without reading a byte, a chunked body as soon as it passes it.
type Limits struct {
	// MaxBody caps a non-streaming request body; 0 keeps the protocol's
	// default.
	MaxBody int64
	// PerOperation are caps below MaxBody for single operations (Lambda's
	// Invoke: 6 MB), applied once the operation is known, before its
	// input is decoded.
	PerOperation map[string]int64
	// Streams: the service's operations may stream their payload (S3
	// object and part uploads), so its caps apply only where a codec
	// buffers a body, never to the connection as a whole.
	Streams bool
	// TooLarge words the refusal of a body over limit (op is "" for the
	// service's cap) where the service words it otherwise than its
	// protocol (Lambda's RequestTooLargeException); nil keeps the
	// protocol's wording.
	TooLarge func(limit int64, op string) *awserr.Error
}

// Routing is how requests reach a service where its model's metadata
// (X-Amz-Target, signing name, form Version, URI prefixes) does not
// say.
type Routing struct {
	// PathPrefixes are first path segments that name the service in a
	// request that carries nothing else to route it by (an unsigned REST
	// request): the dated API versions every URI of Lambda's and Route
	// 53's models begins with ("2015-03-31").
	PathPrefixes []string
	// CatchAll: the service answers requests no other rule claims: those
	// on a virtual-host bucket address, SigV2 query-signed ones and any
	// path nothing else routes (S3, whose path-style URIs are any path).
	// At most one service declares it.
	CatchAll bool
	// VPCEndpointService is the last label of the service's VPC endpoint
	// service name (com.amazonaws.<region>.<label>) where it is not the
	// service's name: CloudWatch's is "monitoring".
	VPCEndpointService string
}

// Validation is how a service answers a request that breaks its model's
// constraints (required members, lengths, ranges, enums, patterns) where
// not as its protocol family does (ValidationException; the query
// protocol's ValidationError; EC2's MissingParameter and
// InvalidParameterValue).
type Validation struct {
	// Skip: the handlers check their input themselves (S3, whose errors
	// are specific to each parameter).
	Skip bool
	// Error words the violations of a decoded request: the error to
	// answer, or nil to let the handler decide (the handler then must
	// cope with every violation it let through). nil keeps the
	// protocol's wording.
	Error func(op *model.Operation, vs []model.Violation) error
}
