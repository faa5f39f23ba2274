package server

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var update = flag.Bool("update", false, "rewrite docs/services.md from the operation tables")

// TestServicesDoc keeps docs/services.md equal to what the operation
// tables say niwa implements, so the page cannot drift from the code. Run
// `go test ./internal/server -run TestServicesDoc -update` after adding
// operations.
func TestServicesDoc(t *testing.T) {
	d, b := wiredServices(t, servicetest.New(t, "server"))
	var doc bytes.Buffer
	doc.WriteString(`# Services

Generated from niwa's operation tables by ` + "`go test ./internal/server -run TestServicesDoc -update`" + `;
a test fails when this page is stale.

Every service below is routed, authenticated and decoded from its AWS model. An
operation niwa does not implement yet answers ` + "`NotImplemented`" + ` (HTTP 501) naming
the service and operation, never a silent success. The protocols column lists every
wire protocol a service answers, the first being its model's; a request is answered
in the one it was spoken in (see docs/architecture.md, "Protocols"). Where a service
says why it leaves an operation out, the list below gives the reason, and so does
the NotImplemented error.

Every other AWS service (the ~380 of aws-sdk-go's models, listed in
` + "`internal/api/catalog`" + `) is known by name: a request for one answers
` + "`NotImplemented`" + ` (HTTP 501) naming the service, in that service's own protocol:

` + "```" + `
$ aws --endpoint-url http://localhost:4566 firehose list-delivery-streams

An error occurred (NotImplemented) when calling the ListDeliveryStreams operation: niwa does not implement Amazon Kinesis Firehose yet
` + "```" + `

| service | protocols | implemented | of |
|---|---|---|---|
`)
	for _, s := range b.services {
		impl := s.Spec.Bind(s.Impl)
		protocols := []string{s.Spec.Metadata.Protocol}
		for _, a := range s.Alts {
			protocols = append(protocols, a.Metadata.Protocol)
		}
		fmt.Fprintf(&doc, "| %s | %s | %d | %d |\n", s.Spec.Name, strings.Join(protocols, ", "), len(impl), len(s.Spec.Operations))
	}
	for _, s := range b.services {
		impl := s.Spec.Bind(s.Impl)
		if len(impl) == 0 {
			continue
		}
		reasons := d.decls[s.Spec.Name].NotImplemented
		var yes, no []string
		why := map[string][]string{} // reason: operations, in model order
		var order []string
		for _, op := range s.Spec.Operations {
			_, bound := impl[op]
			switch r := reasons[op]; {
			case bound:
				yes = append(yes, op)
			case r != "":
				if why[r] == nil {
					order = append(order, r)
				}
				why[r] = append(why[r], op)
			default:
				no = append(no, op)
			}
		}
		fmt.Fprintf(&doc, "\n## %s (%s)\n\nImplemented (%d of %d): %s.\n", s.Spec.Name, s.Spec.Metadata.ServiceFullName,
			len(yes), len(s.Spec.Operations), strings.Join(yes, ", "))
		if len(order) > 0 {
			doc.WriteString("\nNot implemented, and why:\n\n")
			for _, r := range order {
				fmt.Fprintf(&doc, "- %s: %s.\n", strings.Join(why[r], ", "), r)
			}
		}
		if len(no) > 0 {
			fmt.Fprintf(&doc, "\nNot yet: %s.\n", strings.Join(no, ", "))
		}
	}
	path := filepath.Join("..", "..", "docs", "services.md")
	if *update {
		if err := os.WriteFile(path, doc.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, doc.Bytes()) {
		t.Fatalf("docs/services.md is stale: run go test ./internal/server -run TestServicesDoc -update")
	}
}

// wiredServices builds every service as the server wires it, on h's
// storage and clock, closed when the test ends.
func wiredServices(t *testing.T, h *servicetest.Harness) (*deps, *built) {
	t.Helper()
	d := &deps{
		backend: h.Backend, codecs: codecs.New(), bus: events.New(), clock: h.Clock,
		log: h.Log, endpoint: func() string { return "" },
		stores: map[string]storage.Store{}, decls: map[string]kit.Declaration{}, policySources: map[string]kit.Declaration{}, resourceTags: map[string]kit.Declaration{},
	}
	b, err := buildServices(d)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.close() })
	return d, b
}

// TestHandlersBind fails on a handler method that is named after an
// operation of its service but whose signature does not bind: Bind would
// skip it and the operation would answer NotImplemented without a word.
func TestHandlersBind(t *testing.T) {
	_, b := wiredServices(t, servicetest.New(t, "server"))
	if len(b.services) == 0 {
		t.Fatal("no services wired")
	}
	for _, s := range b.services {
		for _, err := range s.Spec.Unbound(s.Impl) {
			t.Error(err)
		}
	}
}

// TestNotImplementedReasons: a reason a service gives for leaving an
// operation out names an operation of its model that has no handler; a
// reason left behind once the operation is implemented fails here.
func TestNotImplementedReasons(t *testing.T) {
	d, b := wiredServices(t, servicetest.New(t, "server"))
	given := 0
	for _, s := range b.services {
		impl := s.Spec.Bind(s.Impl)
		for op, why := range d.decls[s.Spec.Name].NotImplemented {
			given++
			_, bound := impl[op]
			switch {
			case !slices.Contains(s.Spec.Operations, op):
				t.Errorf("%s: reason given for %s, which is no operation of its model", s.Spec.Name, op)
			case bound:
				t.Errorf("%s.%s is implemented; drop its NotImplemented reason", s.Spec.Name, op)
			case why == "":
				t.Errorf("%s.%s: empty reason", s.Spec.Name, op)
			}
		}
	}
	if given == 0 {
		t.Fatal("no service gives a reason; S3 gives one for GetObjectTorrent")
	}
}
