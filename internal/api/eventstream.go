package api

import (
	"context"
	"reflect"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/model"
)

// EventStream is the type of an output's event stream member, E being
// the generated union shape of its events (one pointer field per event
// and exception). A handler sets it to a function that produces the
// events: the codec calls it once the response has begun, with the
// request's context, and it calls send for each event, never writing
// bytes itself. send fails once the client has gone (the function should
// then return); returning an error ends the stream with that error, as
// an exception event when its code names an exception member of E. See
// model.EventStream for what the codec does with it.
type EventStream[E any] func(ctx context.Context, send func(*E) error) error

// ToDynamicStream adapts a typed stream to the codecs' dynamic form.
func (s EventStream[E]) ToDynamicStream() model.EventStream {
	return func(ctx context.Context, send func(map[string]any) error) error {
		var r Reflect
		return s(ctx, func(e *E) error { return send(toDynamic(e, &r)) })
	}
}

// StreamTo is the dynamic form of the EventStream[E] fn (not nil); each
// stream type's table entry holds its instance.
func StreamTo[E any](fn unsafe.Pointer) model.EventStream {
	return (*(*EventStream[E])(unsafe.Pointer(&fn))).ToDynamicStream()
}

// streamer is implemented by every EventStream instance.
type streamer interface {
	ToDynamicStream() model.EventStream
}

var streamerType = reflect.TypeOf((*streamer)(nil)).Elem()
