package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// serveInternal answers niwa's own endpoints under /_niwa/, and
// LocalStack's under /_localstack/ and /_aws/ (localstack.go).
func (g *Gateway) serveInternal(w http.ResponseWriter, r *http.Request) {
	if isLocalStackPath(r.URL.Path) {
		g.serveLocalStack(w, r)
		return
	}
	switch strings.TrimSuffix(r.URL.Path, "/") {
	case "/_niwa/health":
		g.health(w)
	case "/_niwa/reset":
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			writePlainError(w, http.StatusMethodNotAllowed, "POST /_niwa/reset drops all state")
			return
		}
		if err := g.Reset(); err != nil {
			writePlainError(w, http.StatusInternalServerError, "reset: "+err.Error())
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"reset": true})
	case "/_niwa/clock":
		g.clockNow(w, r)
	case "/_niwa/clock/advance":
		g.clockAdvance(w, r)
	default:
		writePlainError(w, http.StatusNotFound, "no such niwa endpoint: "+r.URL.Path)
	}
}

// Reset drops all state: the stored state (Config.Reset), then what each
// service keeps outside storage (Service.Reset). POST /_niwa/reset and
// niwatest's Reset both come here, so they cannot drift apart.
func (g *Gateway) Reset() error {
	if g.cfg.Reset == nil {
		return errNoReset
	}
	if err := g.cfg.Reset(); err != nil {
		return err
	}
	for _, s := range g.services {
		if s.Reset != nil {
			if err := s.Reset(); err != nil {
				return fmt.Errorf("%s: %w", s.Spec.Name, err)
			}
		}
	}
	return nil
}

// serviceHealth is one service's entry in /_niwa/health.
type serviceHealth struct {
	State       string `json:"state"`
	Protocol    string `json:"protocol"`
	Operations  int    `json:"operations"`
	Implemented int    `json:"implemented"`
}

func (g *Gateway) health(w http.ResponseWriter) {
	services := map[string]serviceHealth{}
	for _, s := range g.services {
		services[s.Spec.Name] = serviceHealth{
			State:       s.state(),
			Protocol:    s.Spec.Metadata.Protocol,
			Operations:  len(s.Spec.Operations),
			Implemented: len(s.boundOps()),
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status":   "running",
		"version":  g.cfg.Version,
		"uptime":   g.uptime(),
		"services": services,
	})
}

// uptime is how long the gateway has served, to the millisecond.
func (g *Gateway) uptime() string {
	return g.cfg.Clock.Now().Sub(g.started).Round(1e6).String()
}

// state is a service's state in the health endpoints, in LocalStack's
// words: "running" when niwa implements some of its operations,
// "available" when it only knows the service's model (every call
// answers NotImplemented).
func (s *Service) state() string {
	if len(s.boundOps()) == 0 {
		return "available"
	}
	return "running"
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}
