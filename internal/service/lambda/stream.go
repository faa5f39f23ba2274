package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	rt "github.com/niwa-cloud/niwa/internal/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// streamChunk is the largest PayloadChunk event: a buffered response is
// cut into chunks of this size once the function has returned; a
// streamed one (awslambda.streamifyResponse) is sent as the runtime
// writes it, in chunks no larger than this.
const streamChunk = 64 << 10

// InvokeWithResponseStream runs a function synchronously and answers an
// event stream: the response payload as PayloadChunk events, then
// InvokeComplete, which carries the function's error (ErrorCode
// "Unhandled", ErrorDetails the error document, as Invoke's
// X-Amz-Function-Error and payload) and, with LogType Tail, the last
// 4 KB of the log. Errors before the function runs (unknown function,
// payload too large, throttling) are ordinary error responses.
func (l *Lambda) InvokeWithResponseStream(ctx *request.Context, in *lambdaapi.InvokeWithResponseStreamRequest) (*lambdaapi.InvokeWithResponseStreamResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if len(in.Payload) > 0 && !json.Valid(in.Payload) {
		return nil, lambdaapi.ErrInvalidRequestContentException.New("Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value").With("Type", "User")
	}
	t, err := l.resolve(sc, name, qual)
	if err != nil {
		return nil, err
	}
	if in.ClientContext != nil {
		if _, err := base64.StdEncoding.DecodeString(*in.ClientContext); err != nil || len(*in.ClientContext) > 3583 {
			return nil, errInvalidParam("Client context must be a valid Base64-encoded JSON object.")
		}
	}
	if ptr.Deref(in.InvocationType) == "DryRun" {
		return &lambdaapi.InvokeWithResponseStreamResponse{StatusCode: ptr.To(int32(204))}, nil
	}
	if len(in.Payload) > maxSyncPayload {
		return nil, lambdaapi.ErrRequestTooLargeException.New("Request must be smaller than %d bytes for the InvokeWithResponseStream operation", maxSyncPayload).With("Type", "User")
	}
	if err := l.checkEnvKey(ctx, t); err != nil {
		return nil, err
	}
	cc := ""
	if in.ClientContext != nil {
		raw, _ := base64.StdEncoding.DecodeString(*in.ClientContext)
		cc = string(raw)
	}
	// The function runs in its own goroutine; what it streams (a
	// streamifyResponse handler) arrives chunk by chunk on msgs, the
	// result last. The response begins with the first of them, so that a
	// failure to run the function at all (throttling, a runtime niwa
	// lacks) is an error response, as on AWS, rather than an event in a
	// stream that has already said 200. The chunk channel is bounded: a
	// slow client holds the function's writes back, and a client that
	// goes cancels ctx, which ends the invocation.
	msgs := make(chan streamMsg, 16)
	go func() {
		res, err := l.runRequest(ctx, t, rt.Request{ID: ctx.RequestID, Payload: in.Payload, ClientContext: cc,
			Stream: func(chunk []byte) {
				select {
				case msgs <- streamMsg{chunk: chunk}:
				case <-ctx.Done():
				}
			}})
		select {
		case msgs <- streamMsg{res: res, err: err}:
		case <-ctx.Done():
		}
	}()
	var first streamMsg
	select {
	case first = <-msgs:
	case <-ctx.Done():
		return nil, lambdaapi.ErrServiceException.New("The invocation was cancelled: %v", ctx.Err())
	}
	if first.err != nil {
		return nil, first.err
	}
	tail := ptr.Deref(in.LogType) == "Tail"
	return &lambdaapi.InvokeWithResponseStreamResponse{
		StatusCode:      ptr.To(int32(200)),
		ExecutedVersion: t.v.Config.Version,
		EventStream:     streamResult(first, msgs, tail),
	}, nil
}

// streamMsg is a streamed chunk of a response, or the invocation's end.
type streamMsg struct {
	chunk []byte
	res   *rt.Result
	err   error
}

// streamResult sends an invocation as Lambda's event stream: each
// streamed chunk as it arrives (cut to streamChunk), then a buffered
// response's payload, then InvokeComplete.
func streamResult(first streamMsg, msgs <-chan streamMsg, tail bool) func(context.Context, func(*lambdaapi.InvokeWithResponseStreamResponseEvent) error) error {
	return func(c context.Context, send func(*lambdaapi.InvokeWithResponseStreamResponseEvent) error) error {
		chunks := func(p []byte) error {
			for len(p) > 0 {
				n := min(len(p), streamChunk)
				if err := send(&lambdaapi.InvokeWithResponseStreamResponseEvent{PayloadChunk: &lambdaapi.InvokeResponseStreamUpdate{Payload: p[:n]}}); err != nil {
					return err
				}
				p = p[n:]
			}
			return nil
		}
		m := first
		for m.chunk != nil {
			if err := chunks(m.chunk); err != nil {
				return err
			}
			select {
			case m = <-msgs:
			case <-c.Done():
				return nil
			}
		}
		if m.err != nil {
			// The function could not finish (cancelled, its runtime
			// failed to start after it had streamed): Lambda's error.
			return m.err
		}
		res := m.res
		done := &lambdaapi.InvokeWithResponseStreamCompleteEvent{}
		if res.FunctionError != "" {
			done.ErrorCode = ptr.To(res.FunctionError)
			done.ErrorDetails = ptr.To(string(res.Payload))
		} else if err := chunks(res.Payload); err != nil {
			return err
		}
		if tail {
			done.LogResult = ptr.To(base64.StdEncoding.EncodeToString(rt.Tail(res.Log)))
		}
		return send(&lambdaapi.InvokeWithResponseStreamResponseEvent{InvokeComplete: done})
	}
}
