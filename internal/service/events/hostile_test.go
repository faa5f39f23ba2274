package events

import (
	"runtime"
	"strings"
	"testing"
	"time"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// padPattern is a valid pattern of exactly n bytes.
func padPattern(n int) string {
	p := `{"source":["` + `"]}`
	return `{"source":["` + strings.Repeat("x", n-len(p)) + `"]}`
}

// TestPatternLimits holds EventPattern's length limit (2048, the model's
// and the default quota) on every API that takes a pattern, and that the
// pattern that drove niwa past 3 GB is refused at once.
func TestPatternLimits(t *testing.T) {
	f := newFixture(t)
	ev := `{"id":"1","detail-type":"x","source":"x","account":"1","time":"2024-01-01T00:00:00Z","region":"r","resources":[]}`
	busArn := "arn:aws:events:ap-northeast-1:123456789012:event-bus/default"
	hostile := strings.Repeat(`{"a":`, 160000) + `["x"]` + strings.Repeat("}", 160000)
	const tooLong = "1 validation error detected: Value '"
	const constraint = "' at 'eventPattern' failed to satisfy constraint: Member must have length less than or equal to 2048"
	cases := []struct {
		name    string
		call    func(p string) error
		pattern string
		code    string // "" succeeds
	}{
		{"PutRule at 2048", func(p string) error {
			_, err := f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventPattern: &p})
			return err
		}, padPattern(2048), ""},
		{"PutRule at 2049", func(p string) error {
			_, err := f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventPattern: &p})
			return err
		}, padPattern(2049), "ValidationException"},
		{"PutRule 800 KB nested", func(p string) error {
			_, err := f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("r2"), EventPattern: &p})
			return err
		}, hostile, "ValidationException"},
		{"TestEventPattern at 2049", func(p string) error {
			_, err := f.TestEventPattern(f.ctx, &eventsapi.TestEventPatternRequest{EventPattern: &p, Event: ptr.To(ev)})
			return err
		}, padPattern(2049), "ValidationException"},
		{"CreateArchive at 2049", func(p string) error {
			_, err := f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("a"), EventSourceArn: ptr.To(busArn), EventPattern: &p})
			return err
		}, padPattern(2049), "ValidationException"},
		{"UpdateArchive at 2049", func(p string) error {
			_, err := f.UpdateArchive(f.ctx, &eventsapi.UpdateArchiveRequest{ArchiveName: ptr.To("a"), EventPattern: &p})
			return err
		}, padPattern(2049), "ValidationException"},
		{"deep within the limit", func(p string) error {
			_, err := f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("r3"), EventPattern: &p})
			return err
		}, strings.Repeat(`{"a":`, 340) + `["x"]` + strings.Repeat("}", 340), ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			start := time.Now()
			err := c.call(c.pattern)
			d := time.Since(start)
			runtime.ReadMemStats(&after)
			if c.code == "" {
				if err != nil {
					t.Fatal(err)
				}
			} else {
				wantErr(t, err, c.code, tooLong+c.pattern+constraint)
			}
			if d > 5*time.Second {
				t.Errorf("took %v", d)
			}
			if n := after.TotalAlloc - before.TotalAlloc; n > 32<<20 {
				t.Errorf("allocated %d MB", n>>20)
			}
		})
	}
	if _, err := f.DescribeRule(f.ctx, &eventsapi.DescribeRuleRequest{Name: ptr.To("r2")}); err == nil {
		t.Fatal("the refused rule was stored")
	}
}
