package route53

import (
	"sync"

	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Changes: whoever keeps a copy of what the zones answer (the hosts
// files of processes niwa runs inside VPCs, internal/proc) hears of
// every committed write to Route53's state — record changes, zones
// created or deleted, VPC associations, traffic policy instances,
// health — from the store the service writes through, so no operation
// (API, CloudFormation, the health checker) can forget to tell.

// notifyingStore is the service's store that calls changed after each
// committed Update.
type notifyingStore struct {
	storage.Store
	changed func()
}

func (n notifyingStore) Update(fn func(tx storage.Tx) error) error {
	err := n.Store.Update(fn)
	if err == nil {
		n.changed()
	}
	return err
}

// watchers are the functions OnChange registered.
type watchers struct {
	mu  sync.Mutex
	fns []func()
}

func (w *watchers) notify() {
	w.mu.Lock()
	fns := w.fns
	w.mu.Unlock()
	for _, fn := range fns {
		fn()
	}
}

// OnChange registers fn, called after every committed write to the
// service's state, on the writer's goroutine: fn must be quick (start
// or signal work, not do it).
func (s *Route53) OnChange(fn func()) {
	s.watch.mu.Lock()
	defer s.watch.mu.Unlock()
	s.watch.fns = append(s.watch.fns, fn)
}

// Hosts lists what a client inside vpc resolves through the private
// zones associated with it (dns.Resolver.Hosts).
func (s *Route53) Hosts(vpc string) ([]dns.HostEntry, error) {
	return s.resolver.Hosts(s.source, vpc)
}
