package elbv2

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The data plane. A load balancer is reached two ways:
//
//   - on niwa's main port with Host: <its DNSName> (the name niwa's DNS
//     answers with niwa's address): the request is served by the load
//     balancer's HTTP listener on port 80, else its lowest-port HTTP(S)
//     listener, else (a network load balancer) forwarded as HTTP to the
//     target its lowest-port listener picks;
//   - on a port of its own per listener, opened on 127.0.0.1 when the
//     listener is created and listed by GET /_niwa/elb/listeners.

// ListenersPath lists the ports niwa opened for listeners.
const ListenersPath = "/_niwa/elb/listeners"

// maxLambdaBody is the ALB limit on a Lambda target's request and
// response bodies (1 MB).
const maxLambdaBody = 1 << 20

// dataCache decodes the records the data plane reads on every request
// once per stored version (storage.DecodeCache): what it returns shares
// maps and slices with the cache, so the data plane only reads them;
// the control plane reads and changes records through the tables.
type dataCache struct {
	dns       *storage.DecodeCache[indexRec]
	lbs       *storage.DecodeCache[lbRec]
	listeners *storage.DecodeCache[listenerRec]
	ruleRecs  *storage.DecodeCache[ruleRec]
	tgs       *storage.DecodeCache[tgRec]
	targetRec *storage.DecodeCache[targetRec]
}

// dataCacheSize bounds each cache's records (it starts over beyond).
const dataCacheSize = 4096

func newDataCache() dataCache {
	return dataCache{dns: storage.NewDecodeCache(byDNS, dataCacheSize), lbs: storage.NewDecodeCache(lbs, dataCacheSize),
		listeners: storage.NewDecodeCache(listeners, dataCacheSize), ruleRecs: storage.NewDecodeCache(rules, dataCacheSize),
		tgs: storage.NewDecodeCache(tgs, dataCacheSize), targetRec: storage.NewDecodeCache(targets, dataCacheSize)}
}

// lb is getLB through the cache.
func (c dataCache) lb(tx storage.Tx, sc storage.Scope, arn string) (lbRec, error) {
	r, ok, err := c.lbs.Get(tx, sc, arn)
	if err == nil && !ok {
		err = lbNotFound()
	}
	return r, err
}

// listener is findListener through the cache.
func (c dataCache) listener(tx storage.Tx, sc storage.Scope, arn string) (listenerRec, error) {
	lbARN, ok := listenerLB(arn)
	if !ok {
		return listenerRec{}, listenerNotFound()
	}
	r, found, err := c.listeners.Get(tx, sc, lbARN, arn)
	if err == nil && !found {
		err = listenerNotFound()
	}
	return r, err
}

// rules is listRules through the cache.
func (c dataCache) rules(tx storage.Tx, sc storage.Scope, listenerARN string) ([]ruleRec, error) {
	var out []ruleRec
	err := c.ruleRecs.List(tx, sc, []string{listenerARN}, storage.ListOptions{}, func(_ []string, v ruleRec) bool {
		out = append(out, v)
		return true
	})
	sortRules(out)
	return out, err
}

// tg is getTG through the cache.
func (c dataCache) tg(tx storage.Tx, sc storage.Scope, arn string) (tgRec, error) {
	r, ok, err := c.tgs.Get(tx, sc, arn)
	if err == nil && !ok {
		err = tgNotFound()
	}
	return r, err
}

// targets is listTargets through the cache.
func (c dataCache) targets(tx storage.Tx, sc storage.Scope, tgARN string) ([]targetRec, error) {
	var out []targetRec
	err := c.targetRec.List(tx, sc, []string{tgARN}, storage.ListOptions{}, func(_ []string, v targetRec) bool {
		out = append(out, v)
		return true
	})
	return out, err
}

// lookupHost finds the load balancer a Host names.
func (s *ELBv2) lookupHost(host string) (indexRec, bool) {
	name := strings.ToLower(strings.TrimSuffix(hostOnly(host), "."))
	if !strings.HasSuffix(name, DNSSuffix) {
		return indexRec{}, false
	}
	var rec indexRec
	var ok bool
	_ = s.store.View(func(tx storage.Tx) (err error) {
		rec, ok, err = s.cache.dns.Get(tx, anywhere, name)
		return err
	})
	return rec, ok
}

// OwnsName reports whether name is one of the service's load balancer
// DNS names (niwa's DNS answers them with niwa's own address).
func (s *ELBv2) OwnsName(name string) (bool, error) {
	_, ok := s.lookupHost(name)
	return ok, nil
}

// EachName calls fn with every load balancer's DNS name, in every
// account and region, until fn returns false; it reads the DNS name
// index only.
func (s *ELBv2) EachName(fn func(name string) bool) error {
	return s.store.View(func(tx storage.Tx) error {
		return byDNS.List(tx, anywhere, nil, storage.ListOptions{}, func(k []string, _ indexRec) bool {
			return len(k) == 0 || fn(k[0])
		})
	})
}

func (s *ELBv2) isDataPlane(r *http.Request) bool {
	if r.URL.Path == ListenersPath {
		return true
	}
	_, ok := s.lookupHost(r.Host)
	return ok
}

// dataPlane serves requests routed to the service by Host (and the
// listener listing).
func (s *ELBv2) dataPlane() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == ListenersPath {
			if _, ok := s.lookupHost(r.Host); !ok {
				s.serveListenerList(w)
				return
			}
		}
		idx, ok := s.lookupHost(r.Host)
		if !ok {
			lb.ErrorPage(w, http.StatusServiceUnavailable)
			return
		}
		sc := storage.Scope{Account: idx.Account, Region: idx.Region}
		var ls []listenerRec
		if err := s.store.View(func(tx storage.Tx) (err error) {
			ls, err = listListeners(tx, sc, idx.ARN)
			return err
		}); err != nil || len(ls) == 0 {
			lb.ErrorPage(w, http.StatusServiceUnavailable)
			return
		}
		pick := ls[0]
		for _, l := range ls {
			if l.Protocol == "HTTP" && l.Port == 80 {
				pick = l
				break
			}
		}
		if pick.Protocol != "HTTP" || pick.Port != 80 {
			for _, l := range ls {
				if isHTTP(l.Protocol) {
					pick = l
					break
				}
			}
		}
		s.serveHTTP(w, r, sc, pick.ARN)
	})
}

// ListenerPort is one listener's port on the machine.
type ListenerPort struct {
	ListenerArn     string
	LoadBalancerArn string
	DNSName         string
	Protocol        string
	Port            int32
	// Address is where the listener accepts connections on the machine.
	Address string
}

func (s *ELBv2) serveListenerList(w http.ResponseWriter) {
	var out []ListenerPort
	_ = s.store.View(func(tx storage.Tx) error {
		var idx []indexRec
		if err := lisIndex.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, v indexRec) bool {
			idx = append(idx, v)
			return true
		}); err != nil {
			return err
		}
		for _, i := range idx {
			sc := storage.Scope{Account: i.Account, Region: i.Region}
			l, err := findListener(tx, sc, i.ARN)
			if err != nil {
				continue
			}
			r, err := getLB(tx, sc, l.LB)
			if err != nil {
				continue
			}
			out = append(out, ListenerPort{ListenerArn: l.ARN, LoadBalancerArn: l.LB, DNSName: r.DNSName, Protocol: l.Protocol, Port: l.Port, Address: s.ports.Addr(l.ARN)})
		}
		return nil
	})
	if out == nil {
		out = []ListenerPort{}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"Listeners": out})
}

// openListener opens a port for a listener.
func (s *ELBv2) openListener(account, region string, l listenerRec) {
	sc := storage.Scope{Account: account, Region: region}
	var err error
	arn := l.ARN
	switch l.Protocol {
	case "TCP":
		_, err = s.ports.ServeTCP(arn, func(c net.Conn) { s.serveTCP(c, sc, arn) })
	case "TLS":
		cfg := s.tlsConfig(sc, arn)
		_, err = s.ports.ServeTCP(arn, func(c net.Conn) { s.serveTCP(tls.Server(c, cfg), sc, arn) })
	case "HTTPS":
		_, err = s.ports.ServeHTTP(arn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serveHTTP(w, r, sc, arn)
		}), s.tlsConfig(sc, arn))
	default:
		_, err = s.ports.ServeHTTP(arn, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			s.serveHTTP(w, r, sc, arn)
		}), nil)
	}
	if err != nil {
		s.log.Warn("elbv2: cannot open a port for listener", "listener", l.ARN, "error", err)
	}
}

// Start reopens every listener's port and starts the health checker.
func (s *ELBv2) Start() {
	var idx []indexRec
	_ = s.store.View(func(tx storage.Tx) error {
		return lisIndex.List(tx, anywhere, nil, storage.ListOptions{}, func(_ []string, v indexRec) bool {
			idx = append(idx, v)
			return true
		})
	})
	for _, i := range idx {
		sc := storage.Scope{Account: i.Account, Region: i.Region}
		var l listenerRec
		if err := s.store.View(func(tx storage.Tx) (err error) {
			l, err = findListener(tx, sc, i.ARN)
			return err
		}); err == nil {
			s.openListener(i.Account, i.Region, l)
		}
	}
	// Health checks need a target group and the per-minute metrics a load
	// balancer: without either the ticker starts with the first
	// CreateLoadBalancer or CreateTargetGroup, so an idle niwa is not
	// woken every checkTick.
	var some bool
	_ = s.store.View(func(tx storage.Tx) error {
		found := func([]string, indexRec) bool { some = true; return false }
		if err := tgIndex.List(tx, anywhere, nil, storage.ListOptions{}, found); err != nil || some {
			return err
		}
		return byDNS.List(tx, anywhere, nil, storage.ListOptions{}, found)
	})
	if some || len(idx) > 0 {
		s.ticker.Start()
	}
}

// reqInfo is what rule conditions look at.
type reqInfo struct {
	host, path, method string
	header             http.Header
	query              url.Values
	source             netip.Addr
}

// route is one request's resolution: the load balancer, listener and
// the actions of the rule that matched.
type route struct {
	lb       lbRec
	listener listenerRec
	actions  []elbv2api.Action
}

func (s *ELBv2) resolve(sc storage.Scope, listenerARN string, q reqInfo) (route, error) {
	var rt route
	err := s.store.View(func(tx storage.Tx) error {
		l, err := s.cache.listener(tx, sc, listenerARN)
		if err != nil {
			return err
		}
		rt.listener = l
		if rt.lb, err = s.cache.lb(tx, sc, l.LB); err != nil {
			return err
		}
		rs, err := s.cache.rules(tx, sc, l.ARN)
		if err != nil {
			return err
		}
		for _, r := range rs {
			if r.Priority == 0 || matchRule(r.Conditions, q) {
				rt.actions = r.Actions
				return nil
			}
		}
		rt.actions = l.Default
		return nil
	})
	return rt, err
}

// serveHTTP serves one request on an application load balancer's
// listener (or forwards it as HTTP through a network load balancer's).
func (s *ELBv2) serveHTTP(w http.ResponseWriter, r *http.Request, sc storage.Scope, listenerARN string) {
	start := s.clock.Now()
	src, _ := netip.ParseAddr(lb.ClientIP(r))
	q := reqInfo{host: hostOnly(r.Host), path: r.URL.Path, method: r.Method, header: r.Header, query: r.URL.Query(), source: src.Unmap()}
	rt, err := s.resolve(sc, listenerARN, q)
	if err != nil {
		lb.ErrorPage(w, http.StatusServiceUnavailable)
		return
	}
	rec := &statusRecorder{ResponseWriter: w}
	if rt.lb.Type == "application" && s.opt.Firewall != nil && s.opt.Firewall.Inspect(rec, r, sc.Account, sc.Region, rt.lb.ARN, src.Unmap()) {
		// Blocked by the web ACL: answered without a target, as AWS
		// (the ELB metrics count it; no target is tried).
		s.requestMetrics(sc, rt, rec.status, served{}, s.clock.Now().Sub(start))
		s.logs.record(rt.lb, r, rec, served{}, start, s.clock.Now())
		return
	}
	target := s.act(rec, r, sc, rt)
	s.requestMetrics(sc, rt, rec.status, target, s.clock.Now().Sub(start))
	s.logs.record(rt.lb, r, rec, target, start, s.clock.Now())
}

// statusRecorder notes the status and size of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the connection.
func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// served says which target (if any) answered.
type served struct {
	tg     string
	target string
	status int // the target's status; 0 when no target answered
}

// act runs the terminal action of a route.
func (s *ELBv2) act(w http.ResponseWriter, r *http.Request, sc storage.Scope, rt route) served {
	acts := append([]elbv2api.Action(nil), rt.actions...)
	sort.SliceStable(acts, func(i, j int) bool { return ptr.Deref(acts[i].Order) < ptr.Deref(acts[j].Order) })
	for _, a := range acts {
		switch ptr.Deref(a.Type) {
		case "fixed-response":
			c := a.FixedResponseConfig
			code, _ := strconv.Atoi(ptr.Deref(c.StatusCode))
			ct := ptr.Deref(c.ContentType)
			if ct == "" {
				ct = "text/plain; charset=utf-8"
			}
			w.Header().Set("Content-Type", ct)
			w.Header().Set("Server", "awselb/2.0")
			w.WriteHeader(code)
			_, _ = io.WriteString(w, ptr.Deref(c.MessageBody))
			return served{}
		case "redirect":
			http.Redirect(w, r, redirectURL(a.RedirectConfig, r, rt.listener), redirectCode(a.RedirectConfig))
			return served{}
		case "forward":
			return s.forward(w, r, sc, rt, a)
		}
	}
	lb.ErrorPage(w, http.StatusServiceUnavailable)
	return served{}
}

func redirectCode(c *elbv2api.RedirectActionConfig) int {
	if ptr.Deref(c.StatusCode) == "HTTP_301" {
		return http.StatusMovedPermanently
	}
	return http.StatusFound
}

// redirectURL fills a redirect's components with the request's
// (#{protocol}, #{host}, #{port}, #{path}, #{query}).
func redirectURL(c *elbv2api.RedirectActionConfig, r *http.Request, l listenerRec) string {
	proto := "http"
	if l.Protocol == "HTTPS" {
		proto = "https"
	}
	vars := map[string]string{"#{protocol}": proto, "#{host}": hostOnly(r.Host), "#{port}": itoa(l.Port),
		"#{path}": strings.TrimPrefix(r.URL.Path, "/"), "#{query}": r.URL.RawQuery}
	fill := func(v *string, def string) string {
		s := ptr.Deref(v)
		if s == "" {
			s = def
		}
		for k, val := range vars {
			s = strings.ReplaceAll(s, k, val)
		}
		return s
	}
	scheme := strings.ToLower(fill(c.Protocol, "#{protocol}"))
	host := fill(c.Host, "#{host}")
	port := fill(c.Port, "#{port}")
	path := fill(c.Path, "/#{path}")
	query := fill(c.Query, "#{query}")
	u := scheme + "://" + host
	if !(scheme == "http" && port == "80" || scheme == "https" && port == "443") {
		u += ":" + port
	}
	u += path
	if query != "" {
		u += "?" + query
	}
	return u
}

// stickyCookie is the cookie ALB's duration-based stickiness sets.
const stickyCookie = "AWSALB"

// forward sends the request to a target of the action's target groups.
func (s *ELBv2) forward(w http.ResponseWriter, r *http.Request, sc storage.Scope, rt route, a elbv2api.Action) served {
	tgARN := s.chooseGroup(r, a)
	var tg tgRec
	var ts []targetRec
	if err := s.store.View(func(tx storage.Tx) (err error) {
		if tg, err = s.cache.tg(tx, sc, tgARN); err != nil {
			return err
		}
		ts, err = s.cache.targets(tx, sc, tgARN)
		return err
	}); err != nil {
		lb.ErrorPage(w, http.StatusServiceUnavailable)
		return served{tg: tgARN}
	}
	if tg.TargetType == "lambda" {
		if len(ts) == 0 {
			lb.ErrorPage(w, http.StatusServiceUnavailable)
			return served{tg: tgARN}
		}
		status := s.invokeLambda(w, r, tg, ts[0], rt)
		return served{tg: tgARN, target: ts[0].ID, status: status}
	}
	cands := s.candidates(r.Context(), sc, tg, ts, true)
	elig := lb.Eligible(cands, true)
	var pick lb.Candidate
	ok := false
	sticky := tg.Attrs["stickiness.enabled"] == "true"
	if sticky {
		if c, err := r.Cookie(stickyCookie); err == nil {
			for _, e := range elig {
				if stickyValue(tgARN, e.Key) == c.Value {
					pick, ok = e, true
				}
			}
		}
	}
	if !ok {
		pick, ok = s.rr.Pick(tgARN, elig)
	}
	if !ok {
		lb.ErrorPage(w, http.StatusServiceUnavailable)
		return served{tg: tgARN}
	}
	if sticky {
		d, _ := strconv.Atoi(tg.Attrs["stickiness.lb_cookie.duration_seconds"])
		http.SetCookie(w, &http.Cookie{Name: stickyCookie, Value: stickyValue(tgARN, pick.Key), MaxAge: d, Path: "/"})
	}
	idle, _ := strconv.Atoi(rt.lb.Attrs["idle_timeout.timeout_seconds"])
	if idle <= 0 {
		idle = 60
	}
	proto := "http"
	if rt.listener.Protocol == "HTTPS" {
		proto = "https"
	}
	status := s.fwd.Forward(w, r, pick.Addr, lb.Front{Proto: proto, Port: int(rt.listener.Port), Now: s.clock.Now()}, time.Duration(idle)*time.Second)
	return served{tg: tgARN, target: pick.Key, status: status}
}

func stickyValue(tg, key string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(tg + "|" + key))
}

// chooseGroup picks a forward action's target group by weight (group
// stickiness keeps a client on the group its AWSALBTG cookie names).
func (s *ELBv2) chooseGroup(r *http.Request, a elbv2api.Action) string {
	if a.ForwardConfig == nil || len(a.ForwardConfig.TargetGroups) == 0 {
		return ptr.Deref(a.TargetGroupArn)
	}
	groups := a.ForwardConfig.TargetGroups
	if sc := a.ForwardConfig.TargetGroupStickinessConfig; sc != nil && ptr.Deref(sc.Enabled) {
		if c, err := r.Cookie("AWSALBTG"); err == nil {
			for _, g := range groups {
				if ptr.Deref(g.TargetGroupArn) == c.Value {
					return c.Value
				}
			}
		}
	}
	total := 0
	for _, g := range groups {
		total += int(ptr.Deref(g.Weight))
	}
	if total == 0 {
		return ptr.Deref(groups[0].TargetGroupArn)
	}
	n := rand.IntN(total)
	for _, g := range groups {
		n -= int(ptr.Deref(g.Weight))
		if n < 0 {
			return ptr.Deref(g.TargetGroupArn)
		}
	}
	return ptr.Deref(groups[len(groups)-1].TargetGroupArn)
}

// candidates are a group's targets with their addresses and the state
// routing sees (health checks off: every target counts as healthy).
func (s *ELBv2) candidates(ctx context.Context, sc storage.Scope, tg tgRec, ts []targetRec, inUse bool) []lb.Candidate {
	out := make([]lb.Candidate, 0, len(ts))
	for _, t := range ts {
		h := reported(tg, t, inUse)
		state := h.State
		if state == lb.StateUnavailable {
			state = lb.StateHealthy
		}
		out = append(out, lb.Candidate{Key: targetKey(t.ID, t.Port), Addr: s.address(ctx, sc, tg, t, t.Port), State: state})
	}
	return out
}

// address is where to dial a target on port.
func (s *ELBv2) address(ctx context.Context, sc storage.Scope, tg tgRec, t targetRec, port int32) string {
	switch tg.TargetType {
	case "ip":
		return net.JoinHostPort(t.ID, itoa(port))
	case "instance":
		if s.opt.Instances == nil {
			return ""
		}
		a, err := s.opt.Instances.Dial(lb.WithSource(ctx, s.source(sc, tg)), sc.Account, sc.Region, t.ID, int(port))
		if err != nil {
			return ""
		}
		return a
	}
	return ""
}

// serveTCP passes a connection through a network load balancer's TCP
// listener to a target of its default action's group.
func (s *ELBv2) serveTCP(c net.Conn, sc storage.Scope, listenerARN string) {
	rt, err := s.resolve(sc, listenerARN, reqInfo{})
	if err != nil || len(rt.actions) == 0 {
		_ = c.Close()
		return
	}
	tgARN := ""
	for _, a := range rt.actions {
		if ptr.Deref(a.Type) == "forward" {
			tgARN = s.chooseGroup(&http.Request{Header: http.Header{}}, a)
		}
	}
	var tg tgRec
	var ts []targetRec
	if err := s.store.View(func(tx storage.Tx) (err error) {
		if tg, err = s.cache.tg(tx, sc, tgARN); err != nil {
			return err
		}
		ts, err = s.cache.targets(tx, sc, tgARN)
		return err
	}); err != nil {
		_ = c.Close()
		return
	}
	pick, ok := s.rr.Pick(tgARN, lb.Eligible(s.candidates(context.Background(), sc, tg, ts, true), true))
	if !ok {
		_ = c.Close()
		return
	}
	_ = lb.Pipe(c, pick.Addr)
}

// albEvent is the event a Lambda target receives (Elastic Load
// Balancing, "Lambda functions as targets").
type albEvent struct {
	RequestContext                  map[string]map[string]string `json:"requestContext"`
	HTTPMethod                      string                       `json:"httpMethod"`
	Path                            string                       `json:"path"`
	QueryStringParameters           map[string]string            `json:"queryStringParameters,omitempty"`
	MultiValueQueryStringParameters map[string][]string          `json:"multiValueQueryStringParameters,omitempty"`
	Headers                         map[string]string            `json:"headers,omitempty"`
	MultiValueHeaders               map[string][]string          `json:"multiValueHeaders,omitempty"`
	Body                            string                       `json:"body"`
	IsBase64Encoded                 bool                         `json:"isBase64Encoded"`
}

type albResponse struct {
	StatusCode        int                 `json:"statusCode"`
	StatusDescription string              `json:"statusDescription"`
	Headers           map[string]string   `json:"headers"`
	MultiValueHeaders map[string][]string `json:"multiValueHeaders"`
	Body              string              `json:"body"`
	IsBase64Encoded   bool                `json:"isBase64Encoded"`
}

// invokeLambda runs a Lambda target with the request as an ALB event and
// answers with its response (502 when it fails or answers badly).
func (s *ELBv2) invokeLambda(w http.ResponseWriter, r *http.Request, tg tgRec, t targetRec, rt route) int {
	if s.opt.Functions == nil {
		lb.ErrorPage(w, http.StatusBadGateway)
		return http.StatusBadGateway
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxLambdaBody+1))
	if err != nil || len(body) > maxLambdaBody {
		lb.ErrorPage(w, http.StatusRequestEntityTooLarge)
		return 0
	}
	multi := tg.Attrs["lambda.multi_value_headers.enabled"] == "true"
	ev := albEvent{RequestContext: map[string]map[string]string{"elb": {"targetGroupArn": tg.ARN}},
		HTTPMethod: r.Method, Path: r.URL.Path}
	hdr := r.Header.Clone()
	proto := "http"
	if rt.listener.Protocol == "HTTPS" {
		proto = "https"
	}
	lb.AddHeaders(hdr, r, lb.Front{Proto: proto, Port: int(rt.listener.Port), Now: s.clock.Now()})
	hdr.Set("Host", r.Host)
	if multi {
		ev.MultiValueHeaders = map[string][]string{}
		for k, v := range hdr {
			ev.MultiValueHeaders[strings.ToLower(k)] = v
		}
		ev.MultiValueQueryStringParameters = map[string][]string{}
		for k, v := range r.URL.Query() {
			ev.MultiValueQueryStringParameters[k] = v
		}
	} else {
		ev.Headers = map[string]string{}
		for k, v := range hdr {
			ev.Headers[strings.ToLower(k)] = v[len(v)-1]
		}
		ev.QueryStringParameters = map[string]string{}
		for k, v := range r.URL.Query() {
			ev.QueryStringParameters[k] = v[len(v)-1]
		}
	}
	if utf8.Valid(body) {
		ev.Body = string(body)
	} else {
		ev.Body, ev.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
	}
	payload, err := json.Marshal(ev)
	if err != nil {
		lb.ErrorPage(w, http.StatusBadGateway)
		return http.StatusBadGateway
	}
	out, fnErr, err := s.opt.Functions.Invoke(r.Context(), t.ID, payload)
	if err != nil || fnErr != "" || len(out) > maxLambdaBody {
		lb.ErrorPage(w, http.StatusBadGateway)
		return http.StatusBadGateway
	}
	var resp albResponse
	if err := json.Unmarshal(out, &resp); err != nil || resp.StatusCode < 100 || resp.StatusCode > 599 {
		lb.ErrorPage(w, http.StatusBadGateway)
		return http.StatusBadGateway
	}
	for k, v := range resp.Headers {
		w.Header().Set(k, v)
	}
	for k, vs := range resp.MultiValueHeaders {
		w.Header().Del(k)
		for _, v := range vs {
			w.Header().Add(k, v)
		}
	}
	respBody := []byte(resp.Body)
	if resp.IsBase64Encoded {
		if respBody, err = base64.StdEncoding.DecodeString(resp.Body); err != nil {
			lb.ErrorPage(w, http.StatusBadGateway)
			return http.StatusBadGateway
		}
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, bytes.NewReader(respBody))
	return resp.StatusCode
}

// lbDimension is a load balancer's CloudWatch dimension value
// (app/<name>/<id>); tgDimension a target group's (targetgroup/<name>/<id>).
func lbDimension(arn string) string {
	_, rest, _ := strings.Cut(arn, ":loadbalancer/")
	return rest
}

func tgDimension(arn string) string {
	i := strings.LastIndex(arn, ":targetgroup/")
	if i < 0 {
		return arn
	}
	return arn[i+1:]
}

func namespaceOf(typ string) string {
	if typ == "network" {
		return "AWS/NetworkELB"
	}
	return "AWS/ApplicationELB"
}

// targetCodeNames and elbCodeNames are the HTTPCode_ metric names by the
// status's hundreds.
var (
	targetCodeNames = [6]string{2: "HTTPCode_Target_2XX_Count", 3: "HTTPCode_Target_3XX_Count", 4: "HTTPCode_Target_4XX_Count", 5: "HTTPCode_Target_5XX_Count"}
	elbCodeNames    = [6]string{5: "HTTPCode_ELB_5XX_Count"}
)

// requestMetrics counts one request's metrics; they reach CloudWatch
// summed per minute (s.metrics, flushed by the ticker's rounds once the
// minute is over), as ALB publishes them at 60-second granularity.
func (s *ELBv2) requestMetrics(sc storage.Scope, rt route, status int, t served, took time.Duration) {
	if s.opt.Bus == nil {
		return
	}
	now := s.clock.Now()
	ns := namespaceOf(rt.lb.Type)
	dims := map[string]string{"LoadBalancer": lbDimension(rt.lb.ARN)}
	var buf [6]events.Metric
	ms := append(buf[:0], events.Metric{Namespace: ns, Name: "RequestCount", Dimensions: dims, Value: 1, Unit: "Count", Time: now})
	if t.tg != "" {
		tdims := map[string]string{"LoadBalancer": dims["LoadBalancer"], "TargetGroup": tgDimension(t.tg)}
		ms = append(ms, events.Metric{Namespace: ns, Name: "RequestCount", Dimensions: tdims, Value: 1, Unit: "Count", Time: now})
		if t.status > 0 {
			ms = append(ms, events.Metric{Namespace: ns, Name: "TargetResponseTime", Dimensions: dims, Value: took.Seconds(), Unit: "Seconds", Time: now})
			if t.status >= 200 && t.status < 600 {
				name := targetCodeNames[t.status/100]
				ms = append(ms, events.Metric{Namespace: ns, Name: name, Dimensions: dims, Value: 1, Unit: "Count", Time: now},
					events.Metric{Namespace: ns, Name: name, Dimensions: tdims, Value: 1, Unit: "Count", Time: now})
			}
		}
	}
	if t.status == 0 && status >= 500 && status < 600 {
		ms = append(ms, events.Metric{Namespace: ns, Name: elbCodeNames[status/100], Dimensions: dims, Value: 1, Unit: "Count", Time: now})
	}
	s.metrics.Add(sc.Account, sc.Region, ms...)
}

// Reset closes every listener's port after the store was dropped
// (POST /_niwa/reset): the listeners they served are gone.
func (s *ELBv2) Reset() error {
	s.metrics.Discard()
	s.fwd.CloseIdle()
	return s.ports.CloseAll()
}

// source is who dials a group's targets, as their security groups see
// it: the nodes of the load balancers forwarding to the group, in their
// subnets, with their security groups.
func (s *ELBv2) source(sc storage.Scope, tg tgRec) lb.Source {
	src := lb.Source{VpcID: tg.VpcID}
	_ = s.store.View(func(tx storage.Tx) error {
		users, err := tgUsers(tx, sc)
		if err != nil {
			return err
		}
		for _, arn := range users[tg.ARN] {
			r, err := getLB(tx, sc, arn)
			if err != nil {
				continue
			}
			src.SecurityGroupIDs = append(src.SecurityGroupIDs, r.SGs...)
			for _, z := range r.Zones {
				src.SubnetIDs = append(src.SubnetIDs, z.Subnet)
			}
		}
		return nil
	})
	return src
}
