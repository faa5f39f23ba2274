package framework

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"
)

// AdvanceClock moves n's clock forward by d through POST
// /_niwa/clock/advance and returns niwa's new time. The endpoint serves
// every way of starting niwa: the binary and in-process instances read a
// clock.Offset by default, and an in-process instance started with a
// *clock.Fake (FromNiwatest) advances the fake. Every timer, schedule and
// expiry now due fires before the call returns.
func (n *Niwa) AdvanceClock(t testing.TB, d time.Duration) time.Time {
	t.Helper()
	return n.clockCall(t, http.MethodPost, "/_niwa/clock/advance?by="+d.String())
}

// ClockNow is n's time (GET /_niwa/clock): the wall clock plus every
// advance so far.
func (n *Niwa) ClockNow(t testing.TB) time.Time {
	t.Helper()
	return n.clockCall(t, http.MethodGet, "/_niwa/clock")
}

func (n *Niwa) clockCall(t testing.TB, method, path string) time.Time {
	t.Helper()
	req, err := http.NewRequest(method, n.Endpoint+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Timeout: Patience}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, body)
	}
	var v struct{ Now string }
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("%s %s: %s: %v", method, path, body, err)
	}
	now, err := time.Parse(time.RFC3339Nano, v.Now)
	if err != nil {
		t.Fatalf("%s %s: now %q: %v", method, path, v.Now, err)
	}
	return now
}
