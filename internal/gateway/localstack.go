package gateway

import (
	"net/http"
	"strings"
)

// LocalStack's own endpoints, for projects moving from LocalStack: their
// health checks (docker-compose healthcheck, CI wait loops, testcontainers)
// poll /_localstack/health and /_localstack/init/ready and must see niwa
// as up. Every other LocalStack endpoint answers 501 naming what niwa does
// not implement, rather than falling through to S3 as a bucket name.
// docs/localstack.md lists them.

// isLocalStackPath reports whether p is under LocalStack's internal paths.
func isLocalStackPath(p string) bool {
	return strings.HasPrefix(p, "/_localstack/") || strings.HasPrefix(p, "/_aws/")
}

// localStackEdition is the "edition" LocalStack's health endpoint reports.
// Tools branch on it to use Pro-only features; niwa has none of them, so
// it answers as the free edition.
const localStackEdition = "community"

// initStages are LocalStack's init hook stages, in order. niwa runs no
// init scripts, so the start-up stages are complete once it serves and
// SHUTDOWN is not.
func initStages() [4]initStage {
	return [4]initStage{{"BOOT", true}, {"START", true}, {"READY", true}, {"SHUTDOWN", false}}
}

type initStage struct {
	name string
	done bool
}

// initScript is one entry of LocalStack's "scripts" list; niwa's is
// always empty.
type initScript struct {
	Stage string `json:"stage"`
	Name  string `json:"name"`
	State string `json:"state"`
}

func (g *Gateway) serveLocalStack(w http.ResponseWriter, r *http.Request) {
	p := strings.TrimSuffix(r.URL.Path, "/")
	switch {
	case p == "/_localstack/health":
		switch r.Method {
		case http.MethodGet:
			g.localStackHealth(w)
		case http.MethodHead:
			w.WriteHeader(http.StatusOK)
		default:
			// POST {"action": "restart"|"kill"} and PUT (init script
			// state) change a LocalStack process niwa is not.
			notImplemented(w, r.Method+" /_localstack/health (restart, kill, setting state)")
		}
	case p == "/_localstack/init" && r.Method == http.MethodGet:
		completed := map[string]bool{}
		for _, s := range initStages() {
			completed[s.name] = s.done
		}
		writeJSON(w, http.StatusOK, map[string]any{"completed": completed, "scripts": []initScript{}})
	case strings.HasPrefix(p, "/_localstack/init/") && r.Method == http.MethodGet:
		stage := strings.TrimPrefix(p, "/_localstack/init/")
		for _, s := range initStages() {
			if strings.EqualFold(stage, s.name) {
				writeJSON(w, http.StatusOK, map[string]any{"completed": s.done, "scripts": []initScript{}})
				return
			}
		}
		writePlainError(w, http.StatusNotFound, "no such stage "+stage+" (LocalStack's stages are boot, start, ready and shutdown)")
	default:
		notImplemented(w, r.Method+" "+r.URL.Path)
	}
}

// localStackHealth answers /_localstack/health in LocalStack's shape: each
// service's state is a string ("running", "available"), so checks such as
// `jq -e '.services.s3 == "running"'` hold. niwa's own fields (status,
// uptime) ride along; the per-service detail is at /_niwa/health.
func (g *Gateway) localStackHealth(w http.ResponseWriter) {
	services := map[string]string{}
	for _, s := range g.services {
		services[s.Spec.Name] = s.state()
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"services": services,
		"edition":  localStackEdition,
		"version":  g.cfg.Version,
		"status":   "running",
		"uptime":   g.uptime(),
	})
}

func notImplemented(w http.ResponseWriter, what string) {
	writePlainError(w, http.StatusNotImplemented, "niwa does not implement LocalStack's "+what+
		"; it answers GET /_localstack/health and GET /_localstack/init[/<stage>] (see docs/localstack.md)")
}
