package lb

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// connTarget is a target that counts the connections it accepted and
// notes what the last request it got carried.
type connTarget struct {
	*httptest.Server
	mu     sync.Mutex
	opened int
	closed int
	last   *http.Request
}

func newConnTarget(t *testing.T, h http.HandlerFunc) *connTarget {
	c := &connTarget{}
	c.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.mu.Lock()
		c.last = r.Clone(r.Context())
		c.mu.Unlock()
		h(w, r)
	}))
	c.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		c.mu.Lock()
		defer c.mu.Unlock()
		switch st {
		case http.StateNew:
			c.opened++
		case http.StateClosed, http.StateHijacked:
			c.closed++
		}
	}
	c.Start()
	t.Cleanup(c.Close)
	return c
}

func (c *connTarget) counts() (opened, closed int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.opened, c.closed
}

// TestForwarderKeepsConnectionsAlive: sequential requests to a target
// reuse one connection (a load balancer keeps its connections to targets
// open), the target sees the request as the balancer forwards it —
// Host, the client's X-Forwarded-For with the client appended, the
// listener's X-Forwarded-Proto and -Port, a trace id, the client's own
// Accept-Encoding only, no Connection: close — and CloseIdle (after a
// deregistration) closes the kept connection.
func TestForwarderKeepsConnectionsAlive(t *testing.T) {
	target := newConnTarget(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Target", "yes")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "body of "+r.URL.Path)
	})
	var f Forwarder
	front := Front{Proto: "https", Port: 443, Now: time.Unix(0x5f000000, 0)}
	for i := range 5 {
		r := httptest.NewRequest("GET", "http://web.example.com/p?q=1", nil)
		r.RemoteAddr = "10.1.2.3:5555"
		r.Header.Set("X-Forwarded-For", "1.1.1.1")
		r.Header.Set("Connection", "close")
		w := httptest.NewRecorder()
		if got := f.Forward(w, r, target.Listener.Addr().String(), front, 5*time.Second); got != http.StatusTeapot {
			t.Fatalf("request %d: status %d", i, got)
		}
		if w.Code != http.StatusTeapot || w.Body.String() != "body of /p" || w.Header().Get("X-Target") != "yes" {
			t.Fatalf("request %d: client got %d %q %v", i, w.Code, w.Body.String(), w.Header())
		}
	}
	if opened, _ := target.counts(); opened != 1 {
		t.Errorf("5 sequential requests opened %d connections, want 1", opened)
	}
	target.mu.Lock()
	got := target.last
	target.mu.Unlock()
	h := got.Header
	if got.Host != "web.example.com" || got.URL.RequestURI() != "/p?q=1" || h.Get("X-Forwarded-For") != "1.1.1.1, 10.1.2.3" ||
		h.Get("X-Forwarded-Proto") != "https" || h.Get("X-Forwarded-Port") != "443" || !strings.HasPrefix(h.Get("X-Amzn-Trace-Id"), "Root=1-5f000000-") ||
		h.Get("Accept-Encoding") != "" || h.Get("Connection") != "" || got.Close {
		t.Errorf("target saw Host %q %s close=%v %v", got.Host, got.URL.RequestURI(), got.Close, h)
	}
	f.CloseIdle()
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, closed := target.counts(); closed == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("CloseIdle left the connection open")
		}
		time.Sleep(5 * time.Millisecond) // the target notices the close in its own goroutine
	}
}

// TestForwarderErrors: a target that cannot be reached is a 502 and one
// that does not answer within the timeout a 504, each with the load
// balancer's own error page.
func TestForwarderErrors(t *testing.T) {
	slow := newConnTarget(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	_ = l.Close()
	var f Forwarder
	for _, c := range []struct {
		name string
		addr string
		want int
	}{
		{"unreachable", closed, http.StatusBadGateway},
		{"no answer in time", slow.Listener.Addr().String(), http.StatusGatewayTimeout},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			got := f.Forward(w, httptest.NewRequest("GET", "/", nil), c.addr, Front{Proto: "http", Port: 80}, 50*time.Millisecond)
			if got != c.want || w.Code != c.want || w.Header().Get("Server") != "awselb/2.0" || !strings.Contains(w.Body.String(), http.StatusText(c.want)) {
				t.Fatalf("got %d, client %d %v %q", got, w.Code, w.Header(), w.Body.String())
			}
		})
	}
}
