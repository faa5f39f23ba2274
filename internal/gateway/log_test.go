package gateway

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestRequestLoggerWritesWhatWithWould: the lazy request logger emits the
// same line as slog's own With, including further With and groups, and
// nothing below the handler's level.
func TestRequestLoggerWritesWhatWithWould(t *testing.T) {
	var lazy, eager bytes.Buffer
	opts := &slog.HandlerOptions{Level: slog.LevelInfo, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}}
	l := requestLogger(slog.New(slog.NewTextHandler(&lazy, opts)), "s3", "PutObject", "rid")
	e := slog.New(slog.NewTextHandler(&eager, opts)).With("service", "s3", "operation", "PutObject", "request_id", "rid")
	for _, lg := range []*slog.Logger{l, e} {
		lg.Debug("hidden")
		lg.Info("one", "k", 1)
		lg.With("extra", "x").Warn("two")
		lg.WithGroup("g").Error("three", "k", 2)
	}
	if lazy.String() != eager.String() {
		t.Fatalf("lazy logger wrote\n%s\nslog.With wrote\n%s", lazy.String(), eager.String())
	}
	if strings.Contains(lazy.String(), "hidden") || strings.Count(lazy.String(), "request_id=rid") != 3 {
		t.Fatalf("unexpected output:\n%s", lazy.String())
	}
}
