package auth

import (
	"math/rand/v2"
	"net/http"
	"testing"
	"time"
)

// TestParseAmzDate holds parseAmzDate and validScopeDate to time.Parse:
// the same strings accepted and the same instant, for valid dates, each
// field out of range, leap days, fractional seconds and other forms.
func TestParseAmzDate(t *testing.T) {
	cases := []string{
		"20240501T120000Z", "20000229T235959Z", "19000229T000000Z", "20240229T000000Z", "20230229T000000Z",
		"20241301T000000Z", "20240001T000000Z", "20240100T000000Z", "20240431T000000Z", "20240430T240000Z",
		"20240430T236000Z", "20240430T235960Z", "00000101T000000Z", "99991231T235959Z", "2024050lT120000Z",
		"20240501t120000Z", "20240501T120000z", "20240501T120000.5Z", "20240501T1200Z", "", "20240501",
		"2024-05-01T12:00:00Z", "20240501T12000 Z", "+0240501T120000Z", "20240501T-12000Z",
	}
	r := rand.New(rand.NewPCG(1, 2))
	const chars = "0123456789TZ"
	for range 20000 {
		b := []byte("20240501T120000Z")
		for range 1 + r.IntN(3) {
			b[r.IntN(len(b))] = chars[r.IntN(len(chars))]
		}
		cases = append(cases, string(b))
	}
	for _, s := range cases {
		want, err := time.Parse(iso8601Basic, s)
		got, ok := parseAmzDate(s)
		if ok != (err == nil) || !got.Equal(want) || got.Location() != want.Location() {
			t.Errorf("parseAmzDate(%q) = %v, %v; time.Parse: %v, %v", s, got, ok, want, err)
		}
		if len(s) >= 8 {
			_, err := time.Parse("20060102", s[:8])
			if validScopeDate(s[:8]) != (err == nil) {
				t.Errorf("validScopeDate(%q) = %v; time.Parse error %v", s[:8], !(err == nil), err)
			}
		}
	}
}

func TestHeaderIsGet(t *testing.T) {
	r := &http.Request{Header: http.Header{}}
	r.Header.Add("X-Amz-Date", "a")
	r.Header.Add("X-Amz-Date", "b")
	for _, k := range []string{"X-Amz-Date", "Authorization"} {
		if got, want := header(r, k), r.Header.Get(k); got != want {
			t.Errorf("header(%q) = %q, Get: %q", k, got, want)
		}
	}
}

// TestDaysIn: every month of four centuries, leap rules included.
func TestDaysIn(t *testing.T) {
	for y := 1900; y < 2300; y++ {
		for m := time.January; m <= time.December; m++ {
			if got, want := daysIn(m, y), time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day(); got != want {
				t.Fatalf("daysIn(%v, %d) = %d, want %d", m, y, got, want)
			}
		}
	}
}
