package gateway

import (
	"fmt"
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
