// Package kit is what a service declares about itself to the platform:
// its handlers, the IAM questions each operation asks, which calls
// CloudTrail records as read-only or as data events, how its resources'
// tags and policies are read, its raw HTTP routes and how it stops.
//
// A service builds its Declaration in its own package (a Declare method
// or constructor), so everything the gateway, the policy engine and the
// audit trail need to know about a service lives beside its handlers;
// internal/authz, internal/audit and internal/server read declarations
// generically and name no service's operations. kit is platform: it
// imports nothing above internal/iam and internal/request, so services
// may import it (internal/layers).
package kit

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net/http"

	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Declaration is everything the platform needs to know about one
// service.
type Declaration struct {
	// Impl implements the service's operations: one method per
	// operation, bound by name to the generated API (TestHandlersBind
	// checks the signatures).
	Impl any
	// Namespace is the ARN service namespace of the service's resources
	// ("sqs", "kms"): resource policies and tags are looked up for ARNs
	// in it. Empty when the service keeps neither.
	Namespace string
	// Authz is how the service's operations are authorized.
	Authz Authz
	// Audit is how CloudTrail records the service's calls.
	Audit Audit
	// Tags reads the tags stored on a resource of Namespace, for
	// aws:ResourceTag/<key>; nil when the service keeps no tags.
	Tags ResourceTagger
	// TagKeys are the condition key prefixes (lower case, ending in "/")
	// a resource's stored tags answer; nil means aws:ResourceTag/<key>
	// for every resource. IAM roles and users add iam:ResourceTag, EC2
	// resources ec2:ResourceTag, and S3 objects answer only
	// s3:ExistingObjectTag.
	TagKeys func(resource string) []string
	// Routes are raw HTTP endpoints served beside the API (S3's POST
	// object form, SNS's confirmation link).
	Routes []Route
	// Routing is how requests reach the service beyond its model's
	// metadata (dated path segments, S3's catch-all).
	Routing Routing
	// Limits are the service's own request body caps.
	Limits Limits
	// Validation is how the service answers requests that break its
	// model's constraints, where not as its protocol does.
	Validation Validation
	// NotImplemented are operations the service leaves out on purpose,
	// with why: the NotImplemented error a client gets says it, and
	// docs/services.md lists it. An operation with a handler must not
	// be in it (TestNotImplementedReasons).
	NotImplemented Reasons
	// CORS answers browsers from the service's own CORS configuration
	// (S3 buckets') instead of the gateway's permissive default: for a
	// preflight (an OPTIONS with Access-Control-Request-Method) it writes
	// the whole response, for an actual request only the headers. It
	// returns false when r is for none of its resources. nil: the
	// default for every request.
	CORS func(w http.ResponseWriter, r *http.Request, hostBucket string, preflight bool) bool
	// Observe sees every request resolved to the service once it is
	// answered, refused ones included (S3's server access logs); nil
	// when the service does not look.
	Observe func(request.Observation)
	// Resources are the CloudFormation resource types the service
	// provides (AWS::SQS::Queue), by type name; nil when it provides
	// none. Each service declares them in its own cfn.go.
	Resources map[string]ResourceProvider
	// Reset drops what the service keeps outside storage (caches,
	// timers) when all state is reset (POST /_niwa/reset), after the
	// stores are emptied; nil when it keeps nothing there.
	Reset func() error
	// Names reports whether a DNS name is one the service hands out for
	// a resource it serves itself outside any hosted zone (a load
	// balancer's DNSName): niwa's DNS answers such a name with niwa's
	// own address. nil when the service hands out none.
	Names func(name string) (bool, error)
	// EachName lists every name Names answers true for, in every account
	// and region, until fn returns false: the hosts files of the code
	// niwa runs (Lambda functions, instances' processes) hold them, with
	// the addresses niwa's DNS answers for them. It reads a compact index
	// (no scan of the service's resources where avoidable): the files
	// are refreshed every few seconds. Set exactly when Names is.
	EachName func(fn func(name string) bool) error
	// ServerCertificate answers the certificate niwa's HTTPS listener
	// (--https-port) presents for a TLS server name the service serves
	// with a certificate of its own (a CloudFront alternate domain name
	// with its ACM certificate); ok is false for names it does not know,
	// which get niwa's own certificate. nil when the service has none.
	ServerCertificate func(ctx context.Context, serverName string) (cert *tls.Certificate, ok bool, err error)
	// Close stops background work (listeners, timers, processes); nil
	// when there is none.
	Close func() error
}

// Route is a raw HTTP endpoint: requests Match selects are served by
// Handler instead of the API pipeline.
type Route struct {
	// Name labels the route in the request log.
	Name    string
	Match   func(r *http.Request) bool
	Handler http.Handler
}

// PolicySource is a service whose resources carry resource-based
// policies (bucket, queue, topic, function, key policies).
type PolicySource interface {
	// ResourcePolicy returns the policy attached to the resource named by
	// arn and the account that owns the resource.
	ResourcePolicy(ctx context.Context, arn string) (document, ownerAccount string, found bool, err error)
}

// ResourceTagger finds the tags stored on the resource an ARN names, for
// aws:ResourceTag/<key> and its service-specific aliases. found is false
// when the resource does not exist (yet): its keys are then absent, as
// on AWS for a resource being created.
type ResourceTagger interface {
	ResourceTags(ctx *request.Context, arn string) (tags map[string]string, found bool, err error)
}

// TagLookup adapts a function to ResourceTagger.
type TagLookup func(ctx *request.Context, arn string) (map[string]string, bool, error)

// ResourceTags calls f.
func (f TagLookup) ResourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	return f(ctx, arn)
}

// Deps is what the platform hands a service to build itself with
// (a package-level Build(kit.Deps) (kit.Declaration, error)); a service
// that needs another service's help declares an interface instead, and
// internal/server wires it by hand.
type Deps struct {
	// Store is the service's own store (named after the service).
	Store storage.Store
	// Blobs holds large bodies, streamed.
	Blobs storage.BlobStore
	Clock clock.Clock
	// Bus carries events and deliveries between services.
	Bus *events.Bus
	Log *slog.Logger
	// DataDir is where durable state lives; "" when state is in memory.
	DataDir string
	// Region is niwa's default region.
	Region string
}

// Reasons are operations with why each is not implemented.
type Reasons map[string]string

// Add gives the operations ops the reason why; it returns r (a new map
// when r is nil), so that groups chain:
// kit.Reasons{}.Add("why", "OpA", "OpB").Add("why not", "OpC").
func (r Reasons) Add(why string, ops ...string) Reasons {
	if r == nil {
		r = Reasons{}
	}
	for _, op := range ops {
		r[op] = why
	}
	return r
}
