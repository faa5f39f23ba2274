package gateway

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// Service is one AWS service served through the gateway: its generated API,
// the codec of its protocol, and the implementation.
type Service struct {
	Spec  api.Spec
	Codec protocol.Codec
	// Impl implements the service's operations as typed methods; the
	// generated Spec.Bind finds them.
	Impl any
	// Alt is an optional second protocol the same operations are also
	// served in (SQS answers both its JSON protocol and the query
	// protocol older clients speak). Nil for almost every service.
	Alt *AltProtocol

	once     sync.Once
	model    *model.Service
	modelErr error
	bindings map[string]api.Binding
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

// AltProtocol is a second wire protocol of a service: its own model
// (same operation and member names, so requests decode into the same
// generated input types) and the codec of that model's protocol. The
// gateway uses it for requests that carry no X-Amz-Target but a form
// Action parameter, which is how query-protocol clients call.
type AltProtocol struct {
	// Metadata is the alternate model's metadata; a query or ec2
	// protocol registers its APIVersion for form Action+Version routing.
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

// protocolFor picks the model and codec r is spoken in: the alternate
// protocol when r has no X-Amz-Target and looks like a form Action call
// (a form-encoded body or an Action query parameter), the primary one
// otherwise. It only reads headers and the URL, never the body, so the
// signature layer still sees the body untouched.
func (s *Service) protocolFor(r *http.Request) (*model.Service, protocol.Codec, error) {
	if s.Alt != nil && r.Header.Get("X-Amz-Target") == "" &&
		(strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") ||
			r.URL.Query().Has("Action")) {
		m, err := s.Alt.load(s.Spec.Name)
		return m, s.Alt.Codec, err
	}
	m, err := s.Model()
	return m, s.Codec, err
}

// Implemented returns the names of the operations Impl implements, sorted.
func (s *Service) Implemented() []string {
	var names []string
	for _, n := range s.Spec.Operations {
		if _, ok := s.bindings[n]; ok {
			names = append(names, n)
		}
	}
	return names
}

// Resetter is implemented by services that hold state outside the storage
// layer (caches, timers) and must drop it on POST /_niwa/reset.
type Resetter interface {
	Reset() error
}
