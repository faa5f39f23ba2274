package server

import (
	"context"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// TestClockOffsetSurvivesRestart: with a data dir, the offset POST
// /_niwa/clock/advance adds is stored, and a niwa started again on the same
// directory resumes it; without one, each start is at the wall clock.
func TestClockOffsetSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	start := func() (*Server, *clock.Offset) {
		t.Helper()
		s, err := New(Config{Port: 0, DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		o, ok := s.cfg.Clock.(*clock.Offset)
		if !ok {
			t.Fatalf("clock %T, want the offset clock", s.cfg.Clock)
		}
		return s, o
	}
	s, o := start()
	if o.Skew() != 0 {
		t.Fatalf("a new data dir starts with skew %s", o.Skew())
	}
	o.Advance(26 * time.Hour)
	o.Advance(time.Hour)
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	s, o = start()
	if got := o.Skew(); got != 27*time.Hour {
		t.Fatalf("after a restart the skew is %s, want 27h", got)
	}
	if err := s.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}

	mem, err := New(Config{Port: 0})
	if err != nil {
		t.Fatal(err)
	}
	defer mem.Shutdown(context.Background())
	if got := mem.cfg.Clock.(*clock.Offset).Skew(); got != 0 {
		t.Fatalf("in memory the skew is %s", got)
	}
}
