package netpos

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"
)

// allowGroup is an ingress rule naming a source group, any port.
func allowGroup(g string) func(Peer, int) bool {
	return func(p Peer, _ int) bool {
		for _, x := range p.Groups {
			if x == g {
				return true
			}
		}
		return false
	}
}

// allowCIDR is an ingress rule for a CIDR on one port.
func allowCIDR(cidr string, port int) func(Peer, int) bool {
	pf := netip.MustParsePrefix(cidr)
	return func(p Peer, pt int) bool { return pt == port && pf.Contains(p.Addr) }
}

func web(subnet, ip string, public bool) Host {
	h := Host{Account: "000000000000", Region: "us-east-1", Kind: "instance", ID: "i-web", VpcID: "vpc-1", SubnetID: subnet,
		SecurityGroupIDs: []string{"sg-web"}, PrivateIP: netip.MustParseAddr(ip), Public: public}
	if public {
		h.PublicIP = netip.MustParseAddr("54.160.9.9")
	}
	return h
}

func TestAdmit(t *testing.T) {
	client := Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-1", SubnetID: "subnet-priv", SecurityGroupIDs: []string{"sg-client"}, PrivateIP: "10.0.2.7"}
	lambda := client
	lambda.PrivateIP = ""
	other := Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-2", SubnetID: "subnet-pub", SecurityGroupIDs: []string{"sg-x"}, PublicIP: "54.170.1.1"}
	db := Host{Account: "000000000000", Region: "us-east-1", Kind: "db-instance", ID: "shop", SubnetID: "subnet-priv", SecurityGroupIDs: []string{"sg-web"}}
	tests := []struct {
		name   string
		src    *Position
		dst    Host
		change func(*fakeNet)
		want   bool
		via    string
		reason string
	}{
		{"same VPC, group rule", &client, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-client") }, true, "local", "allow 10.0.2.7"},
		{"same VPC, no rule", &client, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-other") }, false, "", "no ingress rule of security groups sg-web"},
		{"same VPC, CIDR rule on another port", &client, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("10.0.0.0/16", 22) }, false, "", "no ingress rule"},
		{"same VPC, CIDR rule", &client, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("10.0.2.0/24", 8080) }, true, "local", ""},
		{"client's egress rules", &client, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-client"); f.sgDeny = true }, false, "", "no egress rule"},
		{"destination subnet's ACL", &client, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-client"); f.aclDeny["subnet-pub"] = true }, false, "", "network ACL of subnet-pub denies inbound"},
		{"ACLs do not filter inside a subnet", &client, web("subnet-priv", "10.0.2.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-client"); f.aclDeny["subnet-priv"] = true }, true, "local", ""},
		{"Lambda function: its subnet's stand-in address", &lambda, web("subnet-pub", "10.0.1.5", false), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("10.0.2.254/32", 8080) }, true, "local", "allow 10.0.2.254"},
		{"database, group rule", &lambda, db, func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-client") }, true, "local", ""},
		{"host to a private database", nil, db, func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("0.0.0.0/0", 8080) }, false, "", "not publicly accessible"},
		{"host to a public instance", nil, web("subnet-pub", "10.0.1.5", true), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("127.0.0.1/32", 8080) }, true, "internet-gateway", ""},
		{"host to a public instance, group rule only", nil, web("subnet-pub", "10.0.1.5", true), func(f *fakeNet) { f.ingress["sg-web"] = allowGroup("sg-client") }, false, "", "no ingress rule"},
		{"host to a public instance with no internet route", nil, web("subnet-iso", "10.0.9.5", true), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("0.0.0.0/0", 8080) }, false, "", "no route to an internet gateway"},
		{"another VPC comes from its public address", &other, web("subnet-pub", "10.0.1.5", true), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("54.170.1.1/32", 8080) }, true, "internet-gateway", "allow 54.170.1.1"},
		{"another VPC, a rule for the private range", &other, web("subnet-pub", "10.0.1.5", true), func(f *fakeNet) { f.ingress["sg-web"] = allowCIDR("10.0.0.0/8", 8080) }, false, "", "no ingress rule"},
		{"outside any VPC", nil, Host{Kind: "db-instance", ID: "plain"}, nil, true, "internet", "in no VPC"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake()
			if tc.change != nil {
				tc.change(f)
			}
			d, err := Admit(f, tc.src, netip.MustParseAddr("127.0.0.1"), tc.dst, 8080)
			if err != nil {
				t.Fatal(err)
			}
			if d.Reachable != tc.want || d.Via != tc.via || !strings.Contains(d.Reason, tc.reason) {
				t.Fatalf("got %+v, want reachable=%v via=%q reason~%q", d, tc.want, tc.via, tc.reason)
			}
		})
	}
}

// TestDecideToHosts: traffic to an address an instance holds goes to
// the instance through Admit; an address nothing holds is not answered.
func TestDecideToHosts(t *testing.T) {
	f := newFake()
	f.hosts["vpc-1/10.0.1.5"] = web("subnet-pub", "10.0.1.5", true)
	f.hosts["/54.160.9.9"] = web("subnet-pub", "10.0.1.5", true)
	f.ingress["sg-web"] = allowGroup("sg-1")
	src := pos("subnet-priv", "")
	d, err := Decide(f, src, netip.MustParseAddr("10.0.1.5"), 80, "")
	if err != nil || !d.Reachable || d.Host.ID != "i-web" || d.Via != "local" {
		t.Fatalf("to the instance's private address: %+v %v", d, err)
	}
	d, _ = Decide(f, src, netip.MustParseAddr("10.0.1.6"), 80, "")
	if d.Reachable || d.Host.ID != "" || !strings.Contains(d.Reason, "nothing answers") {
		t.Fatalf("to an address nothing holds: %+v", d)
	}
	// Through the NAT to the public address: the NAT's Elastic IP is the
	// source, which the group rule does not name.
	d, _ = Decide(f, src, netip.MustParseAddr("54.160.9.9"), 80, "")
	if d.Reachable || d.Host.ID != "i-web" || !strings.Contains(d.Reason, "54.150.1.1") {
		t.Fatalf("to the public address through the NAT: %+v", d)
	}
	f.ingress["sg-web"] = allowCIDR("54.150.1.1/32", 80)
	d, _ = Decide(f, Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-3", SubnetID: "subnet-priv", PrivateIP: "10.0.2.9"}, netip.MustParseAddr("54.160.9.9"), 80, "")
	if !d.Reachable || d.Via != "internet-gateway" {
		t.Fatalf("to the public address from another VPC through its NAT: %+v", d)
	}
}

func TestAddresses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "addresses.json")
	a, err := NewAddresses(file)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[netip.Addr]bool{}
	var first netip.Addr
	for i := range 300 {
		ip := netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(1 + i%250)})
		h, err := a.Assign("000000000000", "us-east-1", "vpc-1", ip)
		if err != nil {
			t.Fatal(err)
		}
		if b := h.As4(); !hostPool.Contains(h) || b[3] == 0 || b[3] == 255 || seen[h] {
			t.Fatalf("address %d: %s (seen %v)", i, h, seen[h])
		}
		seen[h] = true
		if i == 0 {
			first = h
		}
	}
	ten := netip.MustParseAddr("10.0.0.1")
	if again, _ := a.Assign("000000000000", "us-east-1", "vpc-1", ten); again != first {
		t.Fatalf("assigned twice: %s then %s", first, again)
	}
	if other, _ := a.Assign("000000000000", "us-east-1", "vpc-2", ten); other == first {
		t.Fatal("the same private address in another VPC got the same host address")
	}
	// Durable: a new table from the file knows them.
	b, err := NewAddresses(file)
	if err != nil {
		t.Fatal(err)
	}
	if got, ok := b.Lookup("000000000000", "us-east-1", "vpc-1", ten); !ok || got != first {
		t.Fatalf("reloaded: %s %v, want %s", got, ok, first)
	}
	if err := b.Release("000000000000", "us-east-1", "vpc-1", ten); err != nil {
		t.Fatal(err)
	}
	c, _ := NewAddresses(file)
	if _, ok := c.Lookup("000000000000", "us-east-1", "vpc-1", ten); ok {
		t.Fatal("released address still in the file")
	}
	// Deterministic: assigned again, it is the same address.
	if got, _ := c.Assign("000000000000", "us-east-1", "vpc-1", ten); got != first {
		t.Fatalf("reassigned %s, first was %s", got, first)
	}
}

func TestParseProcAddr(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/net/tcp is Linux's")
	}
	tests := []struct{ in, want string }{
		{"0100007F:1F90", "127.0.0.1:8080"},
		{"00000000:0050", "0.0.0.0:80"},
		{"0000000000000000FFFF00000100007F:0CEA", "127.0.0.1:3306"},
		{"00000000000000000000000001000000:0016", "[::1]:22"},
		{"00000000000000000000000000000000:0016", "[::]:22"},
	}
	for _, tc := range tests {
		got, ok := parseProcAddr(tc.in)
		if !ok || got.String() != tc.want {
			t.Errorf("%s: %s %v, want %s", tc.in, got, ok, tc.want)
		}
	}
	for _, bad := range []string{"", "0100007F", "0100007F:XYZ", "01007F:0050", "zz00007F:0050"} {
		if _, ok := parseProcAddr(bad); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func FuzzParseProcAddr(f *testing.F) {
	for _, s := range []string{"0100007F:1F90", "0000000000000000FFFF00000100007F:0CEA", ":", "0:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if a, ok := parseProcAddr(s); ok && !a.IsValid() {
			t.Fatalf("%q: invalid address accepted", s)
		}
	})
}

func needPython(t *testing.T) string {
	t.Helper()
	if runtime.GOOS != "linux" {
		t.Skip("process identification reads Linux's /proc")
	}
	py, err := exec.LookPath("python3")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("python3 is missing")
		}
		t.Skip("python3 is missing")
	}
	return py
}

// TestIdentify: a connection from a process carrying a workload's token
// is known as that workload's; one from any other process is the host's.
func TestIdentify(t *testing.T) {
	py := needPython(t)
	p := New(Options{Network: newFake()})
	t.Cleanup(func() { _ = p.Close() })
	fn := pos("subnet-priv", "")
	env, err := p.Env(t.Context(), fn)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	connectFrom := func(env []string) net.Conn {
		t.Helper()
		cmd := exec.Command(py, "-c", "import socket,sys; s=socket.create_connection(('127.0.0.1',"+port+")); sys.stdin.read()")
		cmd.Env = env
		stdin, _ := cmd.StdinPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = stdin.Close(); _ = cmd.Wait() })
		c, err := ln.Accept()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	c := connectFrom(append(os.Environ(), env...))
	got, ok := p.Identify(c)
	if !ok || got.key() != fn.key() {
		t.Fatalf("identified %+v %v, want %+v", got, ok, fn)
	}
	c = connectFrom(os.Environ())
	if got, ok := p.Identify(c); ok {
		t.Fatalf("a host process identified as %+v", got)
	}
}

// TestProxyToInstance: an instance's process listening on 0.0.0.0 is
// reached at its private address through another workload's proxy when
// its security group allows the caller; refused when only a process of
// another instance listens on the port; never answered without the rule.
func TestProxyToInstance(t *testing.T) {
	py := needPython(t)
	f := newFake()
	p := New(Options{Network: f, Hold: time.Minute})
	t.Cleanup(func() { _ = p.Close() })
	inst := Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-1", SubnetID: "subnet-pub", SecurityGroupIDs: []string{"sg-web"}, PrivateIP: "10.0.1.5"}
	ienv, err := p.Env(t.Context(), inst)
	if err != nil {
		t.Fatal(err)
	}
	hostAddr := ""
	for _, e := range ienv {
		if v, ok := strings.CutPrefix(e, HostAddressEnv+"="); ok {
			hostAddr = v
		}
	}
	if hostAddr == "" {
		t.Fatalf("no %s in %v", HostAddressEnv, ienv)
	}
	f.setHost("vpc-1/10.0.1.5", web("subnet-pub", "10.0.1.5", false))
	// The instance's web server, on 0.0.0.0 and a free port.
	cmd := exec.Command(py, "-u", "-c", `import http.server, socketserver
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"hello from " + self.headers["Host"].encode())
    def log_message(self, *a): pass
s = socketserver.TCPServer(("0.0.0.0", 0), H)
print(s.server_address[1], flush=True)
s.serve_forever()`)
	cmd.Env = append(os.Environ(), ienv...)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	port := strings.TrimSpace(line)

	client := Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-1", SubnetID: "subnet-priv", SecurityGroupIDs: []string{"sg-client"}, PrivateIP: "10.0.2.7"}
	cenv, _ := p.Env(t.Context(), client)
	c := proxyClient(t, cenv, 30*time.Second)
	f.setIngress("sg-web", allowGroup("sg-client"))
	resp, err := c.Get("http://10.0.1.5:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != "hello from 10.0.1.5:"+port {
		t.Fatalf("to the instance: %d %q", resp.StatusCode, body)
	}

	// A raw TCP client tunnels with CONNECT (as curl -p, or HTTPS).
	var paddr string
	for _, e := range cenv {
		if v, ok := strings.CutPrefix(e, "HTTP_PROXY=http://"); ok {
			paddr = v
		}
	}
	tc, err := net.DialTimeout("tcp", paddr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
	_, _ = io.WriteString(tc, "CONNECT 10.0.1.5:"+port+" HTTP/1.1\r\nHost: 10.0.1.5:"+port+"\r\n\r\n")
	br := bufio.NewReader(tc)
	status, _ := br.ReadString('\n')
	for {
		l, err := br.ReadString('\n')
		if err != nil || l == "\r\n" {
			break
		}
	}
	_, _ = io.WriteString(tc, "GET / HTTP/1.0\r\nHost: tunnelled\r\n\r\n")
	rest, _ := io.ReadAll(br)
	_ = tc.Close()
	if !strings.Contains(status, "200") || !strings.HasSuffix(string(rest), "hello from tunnelled") {
		t.Fatalf("CONNECT to the instance: %q then %q", status, rest)
	}

	// Another instance of the VPC, with no process of its own on the
	// port: the first instance's 0.0.0.0 listener is not its.
	other := Position{Account: "000000000000", Region: "us-east-1", VpcID: "vpc-1", SubnetID: "subnet-pub", SecurityGroupIDs: []string{"sg-web"}, PrivateIP: "10.0.1.6"}
	if _, err := p.Env(t.Context(), other); err != nil {
		t.Fatal(err)
	}
	h := web("subnet-pub", "10.0.1.6", false)
	h.ID = "i-other"
	f.setHost("vpc-1/10.0.1.6", h)
	resp, err = c.Get("http://10.0.1.6:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("to an instance nothing of which listens: %d", resp.StatusCode)
	}

	// Without the rule: no answer, the client's timeout ends it.
	f.setIngress("sg-web", allowGroup("sg-nobody"))
	short := proxyClient(t, cenv, 300*time.Millisecond)
	if _, err := short.Get("http://10.0.1.5:" + port + "/"); err == nil || !strings.Contains(err.Error(), "Timeout") {
		t.Fatalf("without an ingress rule: %v", err)
	}
	// Released (the instance stopped): nothing answers for it.
	if err := p.Release(inst); err != nil {
		t.Fatal(err)
	}
	f.setIngress("sg-web", allowGroup("sg-client"))
	resp, err = c.Get("http://10.0.1.5:" + port + "/")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("after release: %d", resp.StatusCode)
	}
}

func TestStandIn(t *testing.T) {
	for in, want := range map[string]string{"10.0.2.0/24": "10.0.2.254", "10.20.0.0/16": "10.20.255.254", "10.0.0.16/28": "10.0.0.30", "10.0.0.8/31": "10.0.0.9"} {
		if got := standIn(netip.MustParsePrefix(in)); got.String() != want {
			t.Errorf("%s: %s, want %s", in, got, want)
		}
	}
}
