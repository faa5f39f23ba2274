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
	// The logger and its handler in one allocation.
	return new(requestLog).init(base, service, operation, requestID)
}

// init makes l requestLogger's logger and returns it (the gateway keeps
// l in its per-request exchange: no allocation of its own).
func (l *requestLog) init(base *slog.Logger, service, operation, requestID string) *slog.Logger {
	l.h = lazyAttrs{base: base.Handler(), service: service, operation: operation, requestID: requestID}
	l.logger = *slog.New(&l.h)
	return &l.logger
}

type requestLog struct {
	logger slog.Logger
	h      lazyAttrs
}

// lazyAttrs adds the request's attributes, then attrs, to each record
// it passes to base.
type lazyAttrs struct {
	base                          slog.Handler
	service, operation, requestID string
	attrs                         []slog.Attr
}

func (h *lazyAttrs) Enabled(ctx context.Context, l slog.Level) bool { return h.base.Enabled(ctx, l) }

func (h *lazyAttrs) Handle(ctx context.Context, r slog.Record) error {
	// The With attributes come first, as base.WithAttrs would put them.
	nr := slog.NewRecord(r.Time, r.Level, r.Message, r.PC)
	nr.AddAttrs(slog.String("service", h.service), slog.String("operation", h.operation), slog.String("request_id", h.requestID))
	nr.AddAttrs(h.attrs...)
	r.Attrs(func(a slog.Attr) bool {
		nr.AddAttrs(a)
		return true
	})
	return h.base.Handle(ctx, nr)
}

func (h *lazyAttrs) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.attrs = append(slices.Clip(h.attrs), attrs...)
	return &c
}

func (h *lazyAttrs) WithGroup(name string) slog.Handler {
	return h.base.WithAttrs(append([]slog.Attr{
		slog.String("service", h.service), slog.String("operation", h.operation), slog.String("request_id", h.requestID),
	}, h.attrs...)).WithGroup(name)
}
