package route53

import (
	"context"
	"net"
	"net/netip"
	"regexp"
	"sync"
	"testing"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestQueryLogLines: queries a public zone with a query logging config
// answers are written to its log group, one line each in Route 53's
// format, to the stream <zone id>/<edge>; a zone without a config logs
// nothing.
// https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/query-logs.html
func TestQueryLogLines(t *testing.T) {
	h := servicetest.New(t, "route53", servicetest.At(t0), servicetest.InAccount(testAccount))
	bus := events.New()
	var mu sync.Mutex
	var got []events.Message
	bus.Handle("logs", events.HandlerFunc(func(_ context.Context, m events.Message) error {
		if !m.Validate {
			mu.Lock()
			got = append(got, m)
			mu.Unlock()
		}
		return nil
	}))
	f := &fixture{Route53: New(h.Store(), WithRegion("us-east-1"), WithClock(h.Clock), WithBus(bus)), t: t, clock: h.Clock, ctx: h.Ctx()}
	f.resolver.Self = func() net.IP { return net.IPv4(127, 0, 0, 9) }
	addr := f.listen(t)
	z := f.zone("example.com", nil)
	f.zone("quiet.com", nil)
	if err := f.change(z, ch("CREATE", rrset("www.example.com", "A", 60, "192.0.2.1"))); err != nil {
		t.Fatal(err)
	}
	group := "arn:aws:logs:us-east-1:" + testAccount + ":log-group:/aws/route53/example.com:*"
	if _, err := f.CreateQueryLoggingConfig(f.ctx, &route53api.CreateQueryLoggingConfigInput{HostedZoneId: ptr.To(z), CloudWatchLogsLogGroupArn: ptr.To(group)}); err != nil {
		t.Fatal(err)
	}
	query(t, addr, "udp", "www.example.com.", mdns.TypeA)
	query(t, addr, "tcp", "nope.example.com.", mdns.TypeAAAA, func(m *mdns.Msg) {
		m.SetEdns0(1232, false)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &mdns.EDNS0_SUBNET{Code: mdns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: netip.MustParseAddr("198.51.100.0").AsSlice()})
	})
	query(t, addr, "udp", "www.quiet.com.", mdns.TypeA)

	mu.Lock()
	defer mu.Unlock()
	z = bareID(z)
	if len(got) != 2 {
		t.Fatalf("%d lines: %+v", len(got), got)
	}
	want := []*regexp.Regexp{
		regexp.MustCompile(`^1\.0 2024-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z ` + z + ` www\.example\.com A NOERROR UDP LOCAL1 127\.0\.0\.1 -$`),
		regexp.MustCompile(`^1\.0 \S+ ` + z + ` nope\.example\.com AAAA NXDOMAIN TCP LOCAL1 127\.0\.0\.1 198\.51\.100\.0/24$`),
	}
	for i, m := range got {
		if !want[i].MatchString(m.Body) {
			t.Errorf("line %d: %q", i, m.Body)
		}
		if m.TargetARN != "arn:aws:logs:us-east-1:"+testAccount+":log-group:/aws/route53/example.com" || m.LogStream != z+"/LOCAL1" ||
			m.SourceService != "route53.amazonaws.com" || m.SourceARN != "arn:aws:route53:::hostedzone/"+z {
			t.Errorf("message %d: %+v", i, m)
		}
	}
}
