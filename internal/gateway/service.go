package gateway

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/httpheader"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rpcv2cbor"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Service is one AWS service served through the gateway: its generated API,
// the codec of its protocol, and the implementation.
type Service struct {
	Spec  api.Spec
	Codec protocol.Codec
	// Impl implements the service's operations as typed methods; the
	// generated Spec.Bind finds them.
	Impl any
	// Alts are the other protocols the same operations are also served
	// in: the rest of the model's protocols list (CloudWatch answers
	// smithy-rpc-v2-cbor and JSON beside query) and hand-made twins (SQS
	// answers the query protocol older clients speak beside JSON).
	// NewService fills them in; empty for most services.
	Alts []*AltProtocol
	// Limits and Routing are what the service declares of its body caps
	// and of how requests reach it (kit.Declaration); zero for most.
	Limits     kit.Limits
	Routing    kit.Routing
	Validation kit.Validation
	// NotImplemented says why operations without a handler are left out
	// (kit.Declaration.NotImplemented); the NotImplemented error says it.
	NotImplemented kit.Reasons
	// CORS, Observe and Reset are the service's hooks
	// (kit.Declaration): its own CORS answers, a look at every answered
	// request, and what it drops on reset; nil for most.
	CORS    func(w http.ResponseWriter, r *http.Request, hostBucket string, preflight bool) bool
	Observe func(request.Observation)
	Reset   func() error

	// unimplemented is set on the stand-ins the catalog resolves
	// services niwa does not implement to.
	unimplemented *catalogMatch

	once     sync.Once
	model    *model.Service
	modelErr error
	bindOnce sync.Once
	bindings map[string]api.Binding
}

// boundOps returns the bindings of the operations Impl implements,
// finding them (Spec.Bind) on first use: binding every service at
// start-up cost an interface assertion, an itab and two closures per
// operation of ~40 services, most of which a run never calls.
func (s *Service) boundOps() map[string]api.Binding {
	s.bindOnce.Do(func() {
		if s.bindings == nil && s.Spec.Bind != nil && s.Impl != nil {
			s.bindings = s.Spec.Bind(s.Impl)
		}
	})
	return s.bindings
}

// Model parses the service's embedded model on first use, so start-up does
// not pay for models of services nobody calls.
func (s *Service) Model() (*model.Service, error) {
	s.once.Do(func() {
		s.model, s.modelErr = s.Spec.Model()
		if s.modelErr != nil {
			s.modelErr = fmt.Errorf("%s model: %w", s.Spec.Name, s.modelErr)
		}
	})
	return s.model, s.modelErr
}

// AltProtocol is another wire protocol of a service: its own model (same
// operation and member names, so requests decode into the same generated
// input types) and the codec of that model's protocol. The gateway picks
// it for requests spoken in its protocol family (see wireFamily).
type AltProtocol struct {
	// Metadata is the alternate model's metadata: Protocol says which
	// requests it serves; a query or ec2 protocol registers its
	// APIVersion for form Action+Version routing, a JSON or CBOR one its
	// TargetPrefix.
	Metadata model.Metadata
	Model    func() (*model.Service, error)
	Codec    protocol.Codec

	once     sync.Once
	model    *model.Service
	modelErr error
}

// load parses the alternate model once.
func (a *AltProtocol) load(name string) (*model.Service, error) {
	a.once.Do(func() {
		a.model, a.modelErr = a.Model()
		if a.modelErr != nil {
			a.modelErr = fmt.Errorf("%s alternate model: %w", name, a.modelErr)
		}
	})
	return a.model, a.modelErr
}

// wireFamily says which protocol family r is spoken in, from headers and
// the URL only (never the body, so the signature layer still sees it
// untouched): smithy-rpc-v2-cbor by its smithy-protocol header, json by
// X-Amz-Target, query by a form body or an Action parameter, "" for
// anything else (REST).
func wireFamily(r *http.Request) string {
	switch {
	case rpcv2cbor.IsRequest(r):
		return rpcv2cbor.Protocol
	case httpheader.Get(r.Header, "X-Amz-Target") != "":
		return "json"
	case strings.HasPrefix(httpheader.Get(r.Header, "Content-Type"), "application/x-www-form-urlencoded") ||
		r.URL.Query().Has("Action"):
		return "query"
	}
	return ""
}

// inFamily reports whether a model protocol answers requests of family.
func inFamily(protocol, family string) bool {
	return protocol == family || family == "query" && protocol == "ec2"
}

// altFor returns the alternate protocol r is spoken in, or nil when r is
// spoken in the primary one.
func (s *Service) altFor(r *http.Request) *AltProtocol {
	if len(s.Alts) == 0 || r == nil {
		return nil
	}
	fam := wireFamily(r)
	if fam == "" || inFamily(s.Spec.Metadata.Protocol, fam) {
		return nil
	}
	for _, a := range s.Alts {
		if inFamily(a.Metadata.Protocol, fam) {
			return a
		}
	}
	return nil
}

// WireProtocol is the model protocol ("json", "query", ...) r is answered
// in: the alternate protocol of r's family when the service has one, the
// primary protocol otherwise. An error before the operation is known (a
// failed signature) is worded in this protocol's vocabulary, as AWS's
// front end for that protocol words it: SQS over query answers a bad key
// with 403 InvalidClientTokenId, over JSON with UnrecognizedClientException.
func (s *Service) WireProtocol(r *http.Request) string {
	if a := s.altFor(r); a != nil {
		return a.Metadata.Protocol
	}
	return s.Spec.Metadata.Protocol
}

// protocolFor picks the model and codec r is spoken in: the alternate
// protocol of r's family when the primary protocol is another one, the
// primary protocol otherwise.
func (s *Service) protocolFor(r *http.Request) (*model.Service, protocol.Codec, error) {
	if a := s.altFor(r); a != nil {
		m, err := a.load(s.Spec.Name)
		return m, a.Codec, err
	}
	m, err := s.Model()
	return m, s.Codec, err
}

// Codecs finds the codec of a model protocol name (codecs.Set).
type Codecs interface {
	For(protocol string) (protocol.Codec, error)
}

// NewService returns the service spec served by impl: in its model's
// protocol, in every other protocol of the model's protocols list that cs
// has a codec for (the same model, its metadata saying that protocol),
// and in the extra alternates given (which win over a listed protocol of
// the same family).
func NewService(spec api.Spec, impl any, cs Codecs, extra ...*AltProtocol) (*Service, error) {
	codec, err := cs.For(spec.Metadata.Protocol)
	if err != nil {
		return nil, fmt.Errorf("gateway: service %s: %w", spec.Name, err)
	}
	s := &Service{Spec: spec, Codec: codec, Impl: impl, Alts: extra}
	for _, p := range spec.Metadata.Protocols {
		if p == spec.Metadata.Protocol || slices.ContainsFunc(s.Alts, func(a *AltProtocol) bool { return inFamily(a.Metadata.Protocol, p) }) {
			continue
		}
		c, err := cs.For(p)
		if err != nil {
			continue // a protocol niwa has no codec for; clients fall back
		}
		md := spec.Metadata
		md.Protocol = p
		s.Alts = append(s.Alts, &AltProtocol{Metadata: md, Codec: c, Model: func() (*model.Service, error) {
			m, err := spec.Model()
			if err != nil {
				return nil, err
			}
			m.Metadata = md
			return m, nil
		}})
	}
	return s, nil
}

// Implemented returns the names of the operations Impl implements, sorted.
func (s *Service) Implemented() []string {
	var names []string
	for _, n := range s.Spec.Operations {
		if _, ok := s.boundOps()[n]; ok {
			names = append(names, n)
		}
	}
	return names
}
