package gateway

import (
	"log/slog"
	"net/http"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/clock"
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
