package gateway

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestClockEndpoints: GET /_niwa/clock tells niwa's time; POST
// /_niwa/clock/advance?by= moves it forward, fires what is due, logs the
// move, and refuses garbage, negatives and too much with a JSON 400.
func TestClockEndpoints(t *testing.T) {
	cases := []struct {
		name       string
		method     string
		target     string
		wantStatus int
		wantMoved  time.Duration
		wantError  string // substring of the JSON error
	}{
		{"read", "GET", "/_niwa/clock", 200, 0, ""},
		{"advance 15m", "POST", "/_niwa/clock/advance?by=15m", 200, 15 * time.Minute, ""},
		{"advance 400 days", "POST", "/_niwa/clock/advance?by=9600h", 200, 9600 * time.Hour, ""},
		{"advance compound", "POST", "/_niwa/clock/advance?by=1h30m", 200, 90 * time.Minute, ""},
		{"missing by", "POST", "/_niwa/clock/advance", 400, 0, "missing by"},
		{"garbage", "POST", "/_niwa/clock/advance?by=soon", 400, 0, "not a duration"},
		{"bare number", "POST", "/_niwa/clock/advance?by=300", 400, 0, "not a duration"},
		{"negative", "POST", "/_niwa/clock/advance?by=-5m", 400, 0, "only moves forward"},
		{"zero", "POST", "/_niwa/clock/advance?by=0s", 400, 0, "only moves forward"},
		{"too much", "POST", "/_niwa/clock/advance?by=9601h", 400, 0, "at most"},
		{"overflow", "POST", "/_niwa/clock/advance?by=99999999999h", 400, 0, "not a duration"},
		{"advance by GET", "GET", "/_niwa/clock/advance?by=5m", 405, 0, "POST"},
		{"set by POST", "POST", "/_niwa/clock", 405, 0, "GET"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tg := newTestGateway(t)
			before := tg.clock.Now()
			fired := tg.clock.After(c.wantMoved)
			w := tg.do(newRequest(c.method, c.target, ""))
			if w.Code != c.wantStatus {
				t.Fatalf("%s %s: %d %s, want %d", c.method, c.target, w.Code, w.Body, c.wantStatus)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			var body struct{ Now, Error string }
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("body %s: %v", w.Body, err)
			}
			if got := tg.clock.Now().Sub(before); got != c.wantMoved {
				t.Errorf("clock moved %v, want %v", got, c.wantMoved)
			}
			if c.wantError != "" {
				if !strings.Contains(body.Error, c.wantError) {
					t.Errorf("error %q, want it to contain %q", body.Error, c.wantError)
				}
				return
			}
			if want := tg.clock.Now().UTC().Format(time.RFC3339Nano); body.Now != want {
				t.Errorf("now = %q, want %q", body.Now, want)
			}
			select {
			case <-fired:
			default:
				t.Errorf("a waiter due at +%v did not fire", c.wantMoved)
			}
			if c.wantMoved > 0 {
				logs := tg.logs.String()
				if !strings.Contains(logs, `"msg":"clock advanced"`) || !strings.Contains(logs, before.UTC().Format(time.RFC3339Nano)) {
					t.Errorf("advance not logged with the old time: %s", logs)
				}
			}
		})
	}
}

// TestClockAdvanceNeedsAdvancer: a clock that cannot move (the bare wall
// clock) answers 409, not a silent success.
func TestClockAdvanceNeedsAdvancer(t *testing.T) {
	g, err := New(Config{Auth: trustAll{}})
	if err != nil {
		t.Fatal(err)
	}
	tg := &testGateway{Gateway: g}
	w := tg.do(newRequest("POST", "/_niwa/clock/advance?by=1m", ""))
	if w.Code != http.StatusConflict {
		t.Fatalf("%d %s, want 409", w.Code, w.Body)
	}
}

// FuzzParseAdvance: any by= value is refused or a positive duration within
// the cap; never a panic.
func FuzzParseAdvance(f *testing.F) {
	for _, s := range []string{"15m", "1h30m", "-5m", "0", "300", "9600h", "9601h", "99999999999h", "1e3s", ".5s", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, by string) {
		d, err := parseAdvance(by)
		if err == nil && (d <= 0 || d > maxClockAdvance) {
			t.Fatalf("parseAdvance(%q) = %v, accepted", by, d)
		}
	})
}
