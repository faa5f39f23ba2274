package lambda

import (
	"net/http"
	"testing"
	"time"
)

// TestRuntimeAPIServer: the Runtime API is served by niwa's own HTTP
// server (not net/http, whose reads wake the runtime's monitor thread),
// with the header timeout it had and no bound on a kept-alive
// connection's idle time, as net/http with no ReadTimeout had: a runtime
// keeps its connection between invocations however far apart they come.
func TestRuntimeAPIServer(t *testing.T) {
	s := newRuntimeAPIServer(http.NotFoundHandler())
	if s.ReadHeaderTimeout != 10*time.Second {
		t.Errorf("ReadHeaderTimeout %v, want 10s", s.ReadHeaderTimeout)
	}
	if s.IdleTimeout >= 0 {
		t.Errorf("IdleTimeout %v, want negative (no bound; zero would mean the header timeout's 10s)", s.IdleTimeout)
	}
}
