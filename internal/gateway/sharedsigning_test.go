package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
)

// TestSharedSigningName: Classic ELB and ELBv2 both sign as
// elasticloadbalancing; the form Version picks the service, whichever
// was registered first.
func TestSharedSigningName(t *testing.T) {
	cs := codecs.New()
	for _, order := range [][]api.Spec{{elbapi.Spec(), elbv2api.Spec()}, {elbv2api.Spec(), elbapi.Spec()}} {
		var services []*Service
		for _, sp := range order {
			svc, err := NewService(sp, none{}, cs)
			if err != nil {
				t.Fatal(err)
			}
			services = append(services, svc)
		}
		g, err := New(Config{Version: "v-test", Clock: clock.NewFake(t0), Log: slog.New(slog.DiscardHandler), Auth: trustAll{}}, services...)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			version string
			want    string
		}{{"2012-06-01", "elb"}, {"2015-12-01", "elbv2"}} {
			for _, req := range []*http.Request{
				newRequest("POST", "/", "Action=DescribeLoadBalancers&Version="+c.version, "Content-Type", form, "Authorization", sigV4("elasticloadbalancing")),
				newRequest("GET", "/?Action=DescribeLoadBalancers&Version="+c.version, "", "Authorization", sigV4("elasticloadbalancing")),
			} {
				svc, _ := g.resolveService(req)
				if svc == nil || svc.Spec.Name != c.want {
					t.Fatalf("first %s, version %s: resolved %+v", order[0].Name, c.version, svc)
				}
			}
		}
	}
}

// TestSharedSigningPathPrefixesLazy: SES and SESv2 both sign as ses, and
// SESv2 is told apart by its URI prefixes (/v2/email/), which come from
// its model. New does not parse the model (start-up pays nothing for
// it); the first request signed for ses reads it once, and the service
// keeps that parse for its requests.
func TestSharedSigningPathPrefixesLazy(t *testing.T) {
	cs := codecs.New()
	v2 := sesv2api.Spec()
	parses := 0
	load := v2.Model
	v2.Model = func() (*model.Service, error) { parses++; return load() }
	var services []*Service
	for _, sp := range []api.Spec{sesapi.Spec(), v2} {
		svc, err := NewService(sp, none{}, cs)
		if err != nil {
			t.Fatal(err)
		}
		services = append(services, svc)
	}
	g, err := New(Config{Version: "v-test", Clock: clock.NewFake(t0), Log: slog.New(slog.DiscardHandler), Auth: trustAll{}}, services...)
	if err != nil {
		t.Fatal(err)
	}
	if parses != 0 {
		t.Fatalf("New parsed the sesv2 model %d times", parses)
	}
	for _, c := range []struct {
		req  *http.Request
		want string
	}{
		{newRequest("GET", "/v2/email/identities", "", "Authorization", sigV4("ses")), "sesv2"},
		{newRequest("POST", "/", "Action=ListIdentities&Version=2010-12-01", "Content-Type", form, "Authorization", sigV4("ses")), "ses"},
		{newRequest("GET", "/v2/email/templates", "", "Authorization", sigV4("ses")), "sesv2"},
	} {
		if svc, _ := g.resolveService(c.req); svc == nil || svc.Spec.Name != c.want {
			t.Fatalf("%s %s: resolved %+v, want %s", c.req.Method, c.req.URL.Path, svc, c.want)
		}
	}
	if _, err := services[1].Model(); err != nil {
		t.Fatal(err)
	}
	if parses != 1 {
		t.Fatalf("sesv2 model parsed %d times, want once", parses)
	}
}

// TestBindOnFirstRequest: New binds no service's operations (start-up
// pays nothing for the ~3,000 operations of services a run never
// calls); the first request to a service binds it once, and later
// requests reuse the bindings.
func TestBindOnFirstRequest(t *testing.T) {
	spec := stsapi.Spec()
	binds := 0
	bind := spec.Bind
	spec.Bind = func(impl any) map[string]api.Binding { binds++; return bind(impl) }
	svc, err := NewService(spec, fakeSTS{}, codecs.New())
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Version: "v-test", Clock: clock.NewFake(t0), Log: slog.New(slog.DiscardHandler), Auth: trustAll{}}, svc)
	if err != nil {
		t.Fatal(err)
	}
	if binds != 0 {
		t.Fatalf("New bound sts %d times", binds)
	}
	for range 2 {
		w := httptest.NewRecorder()
		g.ServeHTTP(w, newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form, "Authorization", sigV4("sts")))
		if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "<Account>") {
			t.Fatalf("GetCallerIdentity: %d %s", w.Code, w.Body.String())
		}
	}
	if binds != 1 {
		t.Fatalf("sts bound %d times, want once", binds)
	}
}
