package netpos

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/ca"
)

// fakeNet is a VPC 10.0.0.0/16 with a public subnet (IGW), a private one
// (NAT nat-1 in the public subnet) and an isolated one (no route out).
type fakeNet struct {
	routes    map[string]Route // by subnet
	nats      map[string]NAT
	sgDeny    bool
	aclDenyIn map[string]bool // subnet whose ACL denies the return path
	endpoints map[string]Endpoint
	// Inbound: hosts by "vpc/ip" ("/ip" for public addresses), ingress
	// rules by group, and subnets.
	// mu guards hosts and ingress, which tests change while the proxy
	// serves.
	mu      sync.Mutex
	hosts   map[string]Host
	ingress map[string]func(Peer, int) bool
	aclDeny map[string]bool // subnet whose ACL denies all inbound
}

func (f *fakeNet) setHost(key string, h Host) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.hosts[key] = h
}

func (f *fakeNet) setIngress(group string, rule func(Peer, int) bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.ingress[group] = rule
}

func (f *fakeNet) HostAt(_, _, vpc string, ip netip.Addr) (Host, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	h, ok := f.hosts[vpc+"/"+ip.String()]
	return h, ok, nil
}

func (f *fakeNet) SecurityGroupsAllowIngress(_, _ string, groups []string, peer Peer, port int) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, g := range groups {
		if r := f.ingress[g]; r != nil && r(peer, port) {
			return true, nil
		}
	}
	return false, nil
}

// Subnet: every subnet-<name> is in vpc-1 10.0.0.0/16, with a /24 of its
// own (subnet-pub 10.0.1.0/24, subnet-priv 10.0.2.0/24, others
// 10.0.9.0/24); subnet-other is in vpc-2.
func (f *fakeNet) Subnet(_, _, id string) (string, netip.Prefix, bool, error) {
	switch id {
	case "subnet-pub":
		return "vpc-1", netip.MustParsePrefix("10.0.1.0/24"), true, nil
	case "subnet-priv":
		return "vpc-1", netip.MustParsePrefix("10.0.2.0/24"), true, nil
	case "subnet-other":
		return "vpc-2", netip.MustParsePrefix("10.0.0.0/24"), true, nil
	}
	return "vpc-1", netip.MustParsePrefix("10.0.9.0/24"), true, nil
}

func (f *fakeNet) Route(_, _, subnet string, dst netip.Addr) (Route, error) {
	if netip.MustParsePrefix("10.0.0.0/16").Contains(dst) {
		return Route{RouteTableID: "rtb-" + subnet, Found: true, Target: "local", TargetType: "local"}, nil
	}
	r, ok := f.routes[subnet]
	if !ok {
		return Route{}, errors.New("no subnet " + subnet)
	}
	return r, nil
}

func (f *fakeNet) SecurityGroupsAllowEgress(_, _ string, _ []string, _ netip.Addr, _ int) (bool, error) {
	return !f.sgDeny, nil
}

func (f *fakeNet) ACLAllows(_, _, subnet string, egress bool, _ netip.Addr, port int) (bool, error) {
	if !egress && port != ephemeralPort && f.aclDeny[subnet] {
		return false, nil
	}
	return egress || !f.aclDenyIn[subnet], nil
}

func (f *fakeNet) NATGateway(_, _, id string) (NAT, bool, error) {
	n, ok := f.nats[id]
	return n, ok, nil
}

func (f *fakeNet) Endpoint(_, _, _, subnet, service string) (Endpoint, bool, error) {
	e, ok := f.endpoints[subnet+"/"+service]
	return e, ok, nil
}

func newFake() *fakeNet {
	return &fakeNet{
		routes: map[string]Route{
			"subnet-pub":  {RouteTableID: "rtb-pub", Found: true, Target: "igw-1", TargetType: "internet-gateway"},
			"subnet-priv": {RouteTableID: "rtb-priv", Found: true, Target: "nat-1", TargetType: "nat-gateway"},
			"subnet-iso":  {RouteTableID: "rtb-iso", Reason: "no route"},
			"subnet-bh":   {RouteTableID: "rtb-bh", Found: true, Blackhole: true, Target: "nat-gone", TargetType: "nat-gateway"},
			"subnet-vgw":  {RouteTableID: "rtb-vgw", Found: true, Target: "vgw-1", TargetType: "vpn-gateway"},
		},
		nats:      map[string]NAT{"nat-1": {SubnetID: "subnet-pub", PublicIP: "54.150.1.1", State: "available"}},
		aclDenyIn: map[string]bool{},
		aclDeny:   map[string]bool{},
		hosts:     map[string]Host{},
		ingress:   map[string]func(Peer, int) bool{},
		endpoints: map[string]Endpoint{"subnet-iso/s3": {ID: "vpce-1", Policy: `{"Statement":[]}`}},
	}
}

func pos(subnet, public string) Position {
	return Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-1", SubnetID: subnet, SecurityGroupIDs: []string{"sg-1"}, PublicIP: public}
}

func TestDecide(t *testing.T) {
	tests := []struct {
		name     string
		pos      Position
		service  string
		change   func(*fakeNet)
		want     bool
		via, src string
		reason   string
	}{
		{"outside any VPC", Position{Account: "000000000000", Region: "us-east-1"}, "", nil, true, "internet", OutsideVPCAddr("000000000000", "us-east-1"), "outside any VPC"},
		{"private subnet through its NAT", pos("subnet-priv", ""), "", nil, true, "nat-gateway", "54.150.1.1", "NAT gateway nat-1"},
		{"public subnet with a public IP", pos("subnet-pub", "54.160.2.2"), "", nil, true, "internet-gateway", "54.160.2.2", "igw-1"},
		{"public subnet without a public IP (Lambda)", pos("subnet-pub", ""), "", nil, false, "", "", "no public IP"},
		{"no route", pos("subnet-iso", ""), "", nil, false, "", "", "no route"},
		{"blackhole", pos("subnet-bh", ""), "", nil, false, "", "", "blackhole"},
		{"a VPN gateway answers nothing on the internet", pos("subnet-vgw", ""), "", nil, false, "", "", "nothing answers"},
		{"security group egress", pos("subnet-priv", ""), "", func(f *fakeNet) { f.sgDeny = true }, false, "", "", "no egress rule"},
		{"ACL denies the return path", pos("subnet-priv", ""), "", func(f *fakeNet) { f.aclDenyIn["subnet-priv"] = true }, false, "", "", "return traffic"},
		{"NAT subnet's ACL denies the return path", pos("subnet-priv", ""), "", func(f *fakeNet) { f.aclDenyIn["subnet-pub"] = true }, false, "", "", "return traffic"},
		{"NAT not available", pos("subnet-priv", ""), "", func(f *fakeNet) {
			f.nats["nat-1"] = NAT{SubnetID: "subnet-pub", PublicIP: "54.150.1.1", State: "pending"}
		}, false, "", "", "not available"},
		{"NAT subnet without an internet route", pos("subnet-priv", ""), "", func(f *fakeNet) { f.routes["subnet-pub"] = Route{RouteTableID: "rtb-pub"} }, false, "", "", "no active route to an internet gateway"},
		{"AWS call through a gateway endpoint", pos("subnet-iso", ""), "s3", nil, true, "vpc-endpoint", "", "vpce-1"},
		{"AWS call without endpoint takes the NAT", pos("subnet-priv", ""), "sqs", nil, true, "nat-gateway", "54.150.1.1", "NAT gateway"},
		{"AWS call without endpoint or route hangs", pos("subnet-iso", ""), "sqs", nil, false, "", "", "no route"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.change != nil {
				tc.change(f)
			}
			d, err := Decide(f, tc.pos, EchoAddr, 80, tc.service)
			if err != nil {
				t.Fatal(err)
			}
			if d.Reachable != tc.want || d.Via != tc.via || d.SourceIP != tc.src || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("got %+v, want reachable=%v via=%q source=%q reason~%q", d, tc.want, tc.via, tc.src, tc.reason)
			}
		})
	}
}

func proxyClient(t *testing.T, env []string, timeout time.Duration) *http.Client {
	t.Helper()
	var proxy string
	for _, e := range env {
		if v, ok := strings.CutPrefix(e, "HTTP_PROXY="); ok {
			proxy = v
		}
	}
	u, err := url.Parse(proxy)
	if err != nil || proxy == "" {
		t.Fatalf("no HTTP_PROXY in %v", env)
	}
	return &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: http.ProxyURL(u)}}
}

// TestProxy: through each workload's own listener the echo service sees
// the apparent address the route table gives, a call to niwa reaches the
// gateway in process with that origin (not with anything the client
// sent), and a connection with no way out is never answered.
func TestProxy(t *testing.T) {
	f := newFake()
	var got []Origin
	gw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o, _ := OriginFrom(r.Context())
		got = append(got, o)
		_, _ = io.WriteString(w, r.URL.Path)
	})
	p := New(Options{Network: f, Endpoint: func() string { return "http://127.0.0.1:4566" }, Hold: time.Minute})
	p.SetGateway(gw)
	t.Cleanup(func() { _ = p.Close() })

	privEnv, err := p.Env(t.Context(), pos("subnet-priv", ""))
	if err != nil {
		t.Fatal(err)
	}
	again, _ := p.Env(t.Context(), pos("subnet-priv", ""))
	if !slices.Equal(privEnv, again) {
		t.Fatalf("the same position got two listeners: %v %v", privEnv, again)
	}
	c := proxyClient(t, privEnv, 30*time.Second)
	resp, err := c.Get("http://checkip.amazonaws.com/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "54.150.1.1\n" {
		t.Fatalf("echo through the NAT: %q", body)
	}

	req, _ := http.NewRequest("GET", "http://127.0.0.1:4566/some/path", nil)
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sqs/aws4_request, SignedHeaders=host, Signature=x")
	resp, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(body) != "/some/path" || len(got) != 1 || got[0].SourceIP != "54.150.1.1" || got[0].Endpoint.ID != "" {
		t.Fatalf("call to niwa: body %q origins %+v", body, got)
	}

	// A virtual-host name under localhost on niwa's port is niwa too.
	resp, err = c.Get("http://bucket.s3.localhost:4566/key")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if len(got) != 2 || got[1].SourceIP != "54.150.1.1" {
		t.Fatalf("virtual-host call to niwa: origins %+v", got)
	}
	got = got[:1]

	isoEnv, _ := p.Env(t.Context(), pos("subnet-iso", ""))
	iso := proxyClient(t, isoEnv, 30*time.Second)
	req, _ = http.NewRequest("GET", "http://s3.us-east-1.amazonaws.com/bucket", nil)
	resp, err = iso.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if len(got) != 2 || got[1].Endpoint.ID != "vpce-1" || got[1].SourceIP != "" || got[1].VpcID != "vpc-1" {
		t.Fatalf("call through the gateway endpoint: origins %+v", got)
	}

	// No route out: the client's own timeout ends the call.
	short := proxyClient(t, isoEnv, 300*time.Millisecond)
	_, err = short.Get("http://checkip.amazonaws.com/")
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("want a client timeout without a route, got %v", err)
	}
	recs := p.Recent()
	if last := recs[len(recs)-1]; last.Reachable || !strings.Contains(last.Reason, "no route") {
		t.Fatalf("last decision: %+v", last)
	}
}

func TestProxyRefusesOriginForm(t *testing.T) {
	p := New(Options{Network: newFake()})
	t.Cleanup(func() { _ = p.Close() })
	env, _ := p.Env(t.Context(), pos("subnet-priv", ""))
	addr := strings.TrimPrefix(strings.SplitN(env[0], "=", 2)[1], "http://")
	resp, err := http.Get("http://" + addr + "/x")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// TestProxyTunnelsAndInternet: HTTPS to the echo service is answered
// inside the CONNECT tunnel with a certificate of niwa's CA; other hosts
// are reached for real (plain HTTP forwarded, HTTPS tunnelled) when the
// route allows it, and never answered when it does not.
func TestProxyTunnelsAndInternet(t *testing.T) {
	authority, err := ca.New(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	certs := func(host string) (*tls.Certificate, error) {
		key, err := ca.NewKey(ca.ECP256)
		if err != nil {
			return nil, err
		}
		leaf, err := authority.Issue([]string{host}, key, time.Now().Add(-time.Hour), 24*time.Hour)
		if err != nil {
			return nil, err
		}
		pair, err := tls.X509KeyPair(append(leaf.CertPEM, authority.ChainPEM()...), leaf.KeyPEM)
		return &pair, err
	}
	p := New(Options{Network: newFake(), Certs: certs, Hold: time.Minute})
	t.Cleanup(func() { _ = p.Close() })
	env, _ := p.Env(t.Context(), pos("subnet-priv", ""))
	c := proxyClient(t, env, 30*time.Second)
	c.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: authority.Pool()}
	get := func(c *http.Client, u string) (string, error) {
		resp, err := c.Get(u)
		if err != nil {
			return "", err
		}
		defer func() { _ = resp.Body.Close() }()
		b, err := io.ReadAll(resp.Body)
		return string(b), err
	}
	if body, err := get(c, "https://checkip.amazonaws.com/"); err != nil || body != "54.150.1.1\n" {
		t.Fatalf("HTTPS echo: %q %v", body, err)
	}
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "plain") }))
	t.Cleanup(plain.Close)
	if body, err := get(c, plain.URL); err != nil || body != "plain" {
		t.Fatalf("plain HTTP to another host: %q %v", body, err)
	}
	secure := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "secure") }))
	t.Cleanup(secure.Close)
	sc := proxyClient(t, env, 30*time.Second)
	sc.Transport.(*http.Transport).TLSClientConfig = secure.Client().Transport.(*http.Transport).TLSClientConfig
	if body, err := get(sc, secure.URL); err != nil || body != "secure" {
		t.Fatalf("HTTPS tunnel to another host: %q %v", body, err)
	}
	isoEnv, _ := p.Env(t.Context(), pos("subnet-iso", ""))
	iso := proxyClient(t, isoEnv, 300*time.Millisecond)
	iso.Transport.(*http.Transport).TLSClientConfig = sc.Transport.(*http.Transport).TLSClientConfig
	for _, u := range []string{plain.URL, secure.URL} {
		_, err := get(iso, u)
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Fatalf("%s without a route: want a timeout, got %v", u, err)
		}
	}
}

// TestProxyVPCLookup: a workload in a VPC reaches a name its VPC's
// resolver answers (a private zone's record, Options.Lookup) that the
// machine's resolver does not know; the lookup is asked with the
// workload's position, and a workload outside any VPC does not use it.
func TestProxyVPCLookup(t *testing.T) {
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "private "+r.Host) }))
	t.Cleanup(plain.Close)
	_, port, _ := net.SplitHostPort(plain.Listener.Addr().String())
	var asked []string
	var mu sync.Mutex
	p := New(Options{Network: newFake(), Hold: time.Minute, Lookup: func(pos Position, host string) (netip.Addr, bool, error) {
		mu.Lock()
		asked = append(asked, pos.VpcID+" "+host)
		mu.Unlock()
		if pos.VpcID == "vpc-1" && host == "web.corp.internal" {
			return netip.MustParseAddr("127.0.0.1"), true, nil
		}
		return netip.Addr{}, false, nil
	}})
	t.Cleanup(func() { _ = p.Close() })
	u := "http://web.corp.internal:" + port + "/"
	env, _ := p.Env(t.Context(), pos("subnet-priv", ""))
	resp, err := proxyClient(t, env, 10*time.Second).Get(u)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if string(b) != "private web.corp.internal:"+port {
		t.Fatalf("in the VPC: %d %q", resp.StatusCode, b)
	}
	outside := Position{Account: "000000000000", Region: "us-east-1"}
	env, _ = p.Env(t.Context(), outside)
	if resp, err := proxyClient(t, env, 10*time.Second).Get(u); err == nil {
		_ = resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Fatal("outside any VPC the private name resolved")
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(asked) != 1 || asked[0] != "vpc-1 web.corp.internal" {
		t.Fatalf("lookups: %v", asked)
	}
}
