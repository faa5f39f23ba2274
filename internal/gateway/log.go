package gateway

import (
	"context"
	"log/slog"
	"slices"
)

// requestLogger is base.With(service, operation, request_id) without
// With's cost: slog's built-in handlers format With attributes eagerly,
// which every request paid although handlers rarely log. Here the
// attributes are kept as they are and added only to records that are
// actually emitted.
func requestLogger(base *slog.Logger, service, operation, requestID string) *slog.Logger {
	return slog.New(&lazyAttrs{base: base.Handler(), attrs: []slog.Attr{
		slog.String("service", service), slog.String("operation", operation), slog.String("request_id", requestID),
	}})
}

// lazyAttrs adds attrs to each record it passes to base.
type lazyAttrs struct {
	base  slog.Handler
	attrs []slog.Attr
}

func (h *lazyAttrs) Enabled(ctx context.Context, l slog.Level) bool { return h.base.Enabled(ctx, l) }

func (h *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	// The With attributes come first, as base.WithAttrs would put them.
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(a)
		return true
	})
	return h.base.Handle(ctx, nr)
}

func (h *lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &lazyAttrs{base: h.base, attrs: append(slices.Clip(h.attrs), attrs...)}
}

func (h *lazyAttrs) WithGroup(name string) slog.Handler {
	return h.base.WithAttrs(h.attrs).WithGroup(name)
}
