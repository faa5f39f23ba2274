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

// streamChunk is the size of the PayloadChunk events a response is cut
// into. niwa's Runtime API takes a function's response whole (a
// streamifyResponse handler's stream is collected by the bootstrap), so
// the chunks follow each other at once rather than as the function
// writes them.
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
	// The function runs before the response begins, so that a failure to
	// run it (throttling, a runtime niwa lacks) is an error response, as
	// on AWS, rather than an event in a stream that has already said 200.
	res, err := l.run(ctx, t, ctx.RequestID, in.Payload, cc)
	if err != nil {
		return nil, err
	}
	tail := ptr.Deref(in.LogType) == "Tail"
	return &lambdaapi.InvokeWithResponseStreamResponse{
		StatusCode:      ptr.To(int32(200)),
		ExecutedVersion: t.v.Config.Version,
		EventStream:     streamResult(res, tail),
	}, nil
}

// streamResult sends an invocation's result as Lambda's event stream.
func streamResult(res *rt.Result, tail bool) func(context.Context, func(*lambdaapi.InvokeWithResponseStreamResponseEvent) error) error {
	return func(_ context.Context, send func(*lambdaapi.InvokeWithResponseStreamResponseEvent) error) error {
		done := &lambdaapi.InvokeWithResponseStreamCompleteEvent{}
		if res.FunctionError != "" {
			done.ErrorCode = ptr.To(res.FunctionError)
			done.ErrorDetails = ptr.To(string(res.Payload))
		} else {
			for p := res.Payload; len(p) > 0; {
				n := min(len(p), streamChunk)
				ev := &lambdaapi.InvokeWithResponseStreamResponseEvent{PayloadChunk: &lambdaapi.InvokeResponseStreamUpdate{Payload: p[:n]}}
				if err := send(ev); err != nil {
					return err
				}
				p = p[n:]
			}
		}
		if tail {
			done.LogResult = ptr.To(base64.StdEncoding.EncodeToString(rt.Tail(res.Log)))
		}
		return send(&lambdaapi.InvokeWithResponseStreamResponseEvent{InvokeComplete: done})
	}
}
