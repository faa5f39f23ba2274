package server

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/httpserve"
)

// edgeServer serves next behind the edge with the given body timeout on
// a real listener (read deadlines need a connection).
func edgeServer(t *testing.T, httpServer string, body time.Duration, next http.HandlerFunc) string {
	t.Helper()
	h := edge{next: next, bodyTimeout: body}
	if httpServer == HTTPServerNiwa {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv := &httpserve.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = srv.Serve(ln) }()
		t.Cleanup(func() { _ = srv.Close() })
		return ln.Addr().String()
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadHeaderTimeout = 5 * time.Second
	srv.Start()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestEdgeBodyDeadline pins what the per-read body deadline is for: a
// client that stalls mid-body loses its connection after the timeout,
// one that keeps sending (however slowly, for longer than the timeout in
// all) is never cut off, and a handler that runs past the timeout after
// the body ended keeps its request's context (net/http's background
// read, after the body, runs with no deadline).
func TestEdgeBodyDeadline(t *testing.T) {
	const timeout = 400 * time.Millisecond
	echo := func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, "read: "+err.Error(), http.StatusRequestTimeout)
			return
		}
		fmt.Fprintf(w, "%d bytes", len(b))
	}
	slowHandler := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		time.Sleep(2 * timeout) // a long-running handler: past the body timeout
		if err := r.Context().Err(); err != nil {
			http.Error(w, "context: "+err.Error(), http.StatusInternalServerError)
			return
		}
		fmt.Fprintf(w, "%d bytes", len(b))
	}
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
		pieces  []string // the body as sent, a piece every gap
		gap     time.Duration
		declare int // Content-Length
		stall   bool
		want    string // in the response; "" for a closed connection without one
	}{
		{"stalled mid-body", echo, []string{"abc"}, 0, 10, true, "408"},
		// Seven pieces 80 ms apart: longer than the timeout in all,
		// each gap well inside it.
		{"slow but steady", echo, []string{"ab", "cd", "ef", "gh", "ij", "kl", "mn"}, timeout / 5, 14, false, "200 OK|14 bytes"},
		{"handler past the timeout after the body", slowHandler, []string{"abcdef"}, 0, 6, false, "200 OK|6 bytes"},
	} {
		for _, hs := range []string{HTTPServerStd, HTTPServerNiwa} {
			t.Run(hs+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				addr := edgeServer(t, hs, timeout, c.handler)
				conn, err := net.Dial("tcp", addr)
				if err != nil {
					t.Fatal(err)
				}
				defer conn.Close()
				fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Length: %d\r\n\r\n", addr, c.declare)
				for i, p := range c.pieces {
					if i > 0 {
						time.Sleep(c.gap)
					}
					if _, err := io.WriteString(conn, p); err != nil {
						t.Fatal(err)
					}
				}
				_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				br := bufio.NewReader(conn)
				resp, err := http.ReadResponse(br, nil)
				if err != nil {
					t.Fatalf("no response: %v", err)
				}
				b, _ := io.ReadAll(resp.Body)
				got := resp.Status + "|" + string(b)
				for _, want := range strings.Split(c.want, "|") {
					if !strings.Contains(got, want) {
						t.Fatalf("got %q, want %q", got, c.want)
					}
				}
				if c.stall {
					// The connection is closed: the next read ends.
					if _, err := br.ReadByte(); err == nil {
						t.Fatal("connection still open after a stalled body")
					} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
						t.Fatal("connection still open after a stalled body")
					}
				}
			})
		}
	}
}

// deadlineRecorder is a response writer that takes read deadlines, as
// net/http's does.
type deadlineRecorder struct{ *httptest.ResponseRecorder }

func (deadlineRecorder) SetReadDeadline(time.Time) error { return nil }

// TestEdgeAllocs: the edge's copy of a request with a body, the body's
// deadline wrapper and its response controller are one allocation.
func TestEdgeAllocs(t *testing.T) {
	var rd strings.Reader
	body := io.NopCloser(&rd)
	buf := make([]byte, 64)
	e := edge{next: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		for {
			if _, err := r.Body.Read(buf); err != nil {
				return
			}
		}
	}), bodyTimeout: time.Second}
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	w := deadlineRecorder{httptest.NewRecorder()}
	allocs := testing.AllocsPerRun(100, func() {
		rd.Reset(`{"TableName":"t"}`)
		req.Body = body
		e.ServeHTTP(w, req)
	})
	if allocs != 1 {
		t.Fatalf("edge.ServeHTTP allocated %v times a request with a body, want 1", allocs)
	}
}
