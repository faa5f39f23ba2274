package dns

import (
	"net"
	"testing"

	mdns "github.com/miekg/dns"
)

// TestListenAnswersAtOnceAndCloseStops: Listen returns without waiting
// for the serving goroutines (niwa's start-up waited for the scheduler
// twice), a query sent at once is answered, and Close right after Listen
// still stops both listeners: their address is free again.
func TestListenAnswersAtOnceAndCloseStops(t *testing.T) {
	for range 20 {
		srv, err := Listen("127.0.0.1:0", &Resolver{Source: viewSource{}}, nil)
		if err != nil {
			t.Fatal(err)
		}
		addr := srv.Addr()
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		for _, network := range []string{"udp", "tcp"} {
			var c interface{ Close() error }
			if network == "udp" {
				c, err = net.ListenPacket(network, addr)
			} else {
				c, err = net.Listen(network, addr)
			}
			if err != nil {
				t.Fatalf("%s %s still held after Close: %v", network, addr, err)
			}
			_ = c.Close()
		}
	}
	srv, err := Listen("127.0.0.1:0", &Resolver{Source: viewSource{}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, network := range []string{"udp", "tcp"} {
		m := new(mdns.Msg)
		m.SetQuestion("example.com.", mdns.TypeA)
		r, _, err := (&mdns.Client{Net: network}).Exchange(m, srv.Addr())
		if err != nil {
			t.Fatalf("%s query right after Listen: %v", network, err)
		}
		if r.Id != m.Id {
			t.Fatalf("%s: answer to another query", network)
		}
	}
}
