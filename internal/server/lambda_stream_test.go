package server_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	lambdatypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		f, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// streamed reads an InvokeWithResponseStream event stream to its end with
// the SDK's decoder: the payload of its PayloadChunk events, how many
// there were, and the InvokeComplete event.
func streamed(t *testing.T, out *lambda.InvokeWithResponseStreamOutput) ([]byte, int, *lambdatypes.InvokeWithResponseStreamCompleteEvent) {
	t.Helper()
	s := out.GetStream()
	defer s.Close()
	var payload []byte
	chunks := 0
	var done *lambdatypes.InvokeWithResponseStreamCompleteEvent
	for ev := range s.Events() {
		switch e := ev.(type) {
		case *lambdatypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
			if done != nil {
				t.Error("PayloadChunk after InvokeComplete")
			}
			payload = append(payload, e.Value.Payload...)
			chunks++
		case *lambdatypes.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
			done = &e.Value
		default:
			t.Errorf("unexpected event %T", ev)
		}
	}
	if err := s.Err(); err != nil {
		t.Fatalf("stream: %v", err)
	}
	if done == nil {
		t.Fatal("no InvokeComplete event")
	}
	return payload, chunks, done
}

// TestLambdaInvokeWithResponseStream drives InvokeWithResponseStream with
// aws-sdk-go-v2's event stream client: a buffered Python function's
// result arrives as PayloadChunk events then InvokeComplete (with the log
// tail when asked), a function error in InvokeComplete, a Node.js
// awslambda.streamifyResponse handler's stream as the payload, and errors
// before the function runs as ordinary errors.
func TestLambdaInvokeWithResponseStream(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	cfg := n.AWSConfig()
	trust := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	if _, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("stream-role"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	c := lambda.NewFromConfig(cfg)
	create := func(name string, runtime lambdatypes.Runtime, files map[string]string, mod func(*lambda.CreateFunctionInput)) {
		t.Helper()
		in := &lambda.CreateFunctionInput{FunctionName: aws.String(name), Runtime: runtime, Handler: aws.String("index.handler"),
			Role: aws.String("arn:aws:iam::" + niwatest.Account + ":role/stream-role"), Code: &lambdatypes.FunctionCode{ZipFile: zipOf(t, files)}}
		if mod != nil {
			mod(in)
		}
		if _, err := c.CreateFunction(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	create("big", lambdatypes.RuntimePython312, map[string]string{"index.py": "def handler(event, context):\n    print('hello from big')\n    return {'data': 'x' * event['n']}\n"}, nil)
	create("fails", lambdatypes.RuntimePython312, map[string]string{"index.py": "def handler(event, context):\n    raise ValueError('no good')\n"}, nil)
	create("node-stream", lambdatypes.RuntimeNodejs20x, map[string]string{"index.js": `exports.handler = awslambda.streamifyResponse(async (event, responseStream, context) => {
  responseStream.setContentType("text/plain");
  responseStream.write("part one;");
  await new Promise((r) => setTimeout(r, 10));
  responseStream.write("part two;" + event.tag);
  responseStream.end();
});
`}, nil)

	// 200 KB: more than one chunk.
	out, err := c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("big"),
		Payload: []byte(`{"n":200000}`), LogType: lambdatypes.LogTypeTail})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToInt32(&out.StatusCode) != 200 || aws.ToString(out.ExecutedVersion) != "$LATEST" {
		t.Errorf("status %d version %q", out.StatusCode, aws.ToString(out.ExecutedVersion))
	}
	payload, chunks, done := streamed(t, out)
	if want := `{"data": "` + strings.Repeat("x", 200000) + `"}`; string(payload) != want {
		t.Errorf("payload of %d bytes, want %d", len(payload), len(want))
	}
	if chunks < 2 {
		t.Errorf("%d PayloadChunk events for 200 KB", chunks)
	}
	if done.ErrorCode != nil {
		t.Errorf("ErrorCode %q", *done.ErrorCode)
	}
	logs, _ := base64.StdEncoding.DecodeString(aws.ToString(done.LogResult))
	if !strings.Contains(string(logs), "hello from big") || !strings.Contains(string(logs), "REPORT RequestId") {
		t.Errorf("LogResult %q", logs)
	}

	out, err = c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("fails")})
	if err != nil {
		t.Fatal(err)
	}
	payload, _, done = streamed(t, out)
	if len(payload) != 0 || aws.ToString(done.ErrorCode) != "Unhandled" ||
		!strings.Contains(aws.ToString(done.ErrorDetails), `"errorMessage": "no good"`) || done.LogResult != nil {
		t.Errorf("function error: payload %q, complete %+v", payload, done)
	}

	out, err = c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("node-stream"), Payload: []byte(`{"tag":"end"}`)})
	if err != nil {
		t.Fatal(err)
	}
	if payload, _, done = streamed(t, out); string(payload) != "part one;part two;end" || done.ErrorCode != nil {
		t.Errorf("streamifyResponse: payload %q, complete %+v", payload, done)
	}
	// Streamed as written: the handler writes "first", then waits for a
	// file the test makes only once that chunk has arrived, so the chunk
	// cannot have waited for the function to end.
	gate := filepath.Join(t.TempDir(), "gate")
	create("node-gated", lambdatypes.RuntimeNodejs20x, map[string]string{"index.js": `const fs = require("fs");
exports.handler = awslambda.streamifyResponse(async (event, responseStream) => {
  responseStream.write("first;");
  while (!fs.existsSync(event.gate)) await new Promise((r) => setTimeout(r, 5));
  responseStream.write("second;");
  if (event.fail) throw new Error("after streaming");
  responseStream.end();
});
`}, func(in *lambda.CreateFunctionInput) { in.Timeout = aws.Int32(60) })
	for _, fail := range []bool{false, true} {
		_ = os.Remove(gate)
		payload := fmt.Sprintf(`{"gate":%q,"fail":%v}`, gate, fail)
		out, err = c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("node-gated"), Payload: []byte(payload)})
		if err != nil {
			t.Fatal(err)
		}
		s := out.GetStream()
		ev := <-s.Events()
		chunk, ok := ev.(*lambdatypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk)
		if !ok || string(chunk.Value.Payload) != "first;" {
			t.Fatalf("first event %#v, stream error %v", ev, s.Err())
		}
		if err := os.WriteFile(gate, nil, 0o644); err != nil {
			t.Fatal(err)
		}
		var rest []byte
		var done *lambdatypes.InvokeWithResponseStreamCompleteEvent
		for ev := range s.Events() {
			switch e := ev.(type) {
			case *lambdatypes.InvokeWithResponseStreamResponseEventMemberPayloadChunk:
				rest = append(rest, e.Value.Payload...)
			case *lambdatypes.InvokeWithResponseStreamResponseEventMemberInvokeComplete:
				done = &e.Value
			}
		}
		s.Close()
		if string(rest) != "second;" || done == nil {
			t.Fatalf("fail=%v: rest %q, complete %+v, stream error %v", fail, rest, done, s.Err())
		}
		if fail != (aws.ToString(done.ErrorCode) == "Unhandled") || fail != strings.Contains(aws.ToString(done.ErrorDetails), "after streaming") {
			t.Errorf("fail=%v: InvokeComplete %+v", fail, done)
		}
	}

	// The same handler through Invoke returns the bytes it wrote.
	inv, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("node-stream"), Payload: []byte(`{"tag":"!"}`)})
	if err != nil || string(inv.Payload) != "part one;part two;!" {
		t.Errorf("Invoke of a streaming handler: %v %q", err, inv.Payload)
	}

	dry, err := c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("big"), InvocationType: lambdatypes.ResponseStreamingInvocationTypeDryRun})
	if err != nil || dry.StatusCode != 204 {
		t.Errorf("DryRun: %v %+v", err, dry)
	}
	_, err = c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("nope")})
	apiErr(t, err, "ResourceNotFoundException", 404)
	_, err = c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("big"), Payload: []byte("{not json")})
	apiErr(t, err, "InvalidRequestContentException", 400)

	// A function whose environment key is disabled or pending deletion
	// does not run, through either operation.
	k := kms.NewFromConfig(cfg)
	keyARN := kmsKey(t, k, "alias/fn-env")
	create("with-env", lambdatypes.RuntimePython312, map[string]string{"index.py": "def handler(event, context):\n    return 1\n"}, func(in *lambda.CreateFunctionInput) {
		in.KMSKeyArn = aws.String(keyARN)
		in.Environment = &lambdatypes.Environment{Variables: map[string]string{"SECRET": "s"}}
	})
	if _, err := c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("with-env")}); err != nil {
		t.Fatalf("enabled key: %v", err)
	}
	if _, err := k.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("with-env")})
	if msg := apiErr(t, err, "KMSDisabledException", 502); !strings.Contains(msg, "because the KMS key used is disabled") {
		t.Errorf("message %q", msg)
	}
	_, err = c.InvokeWithResponseStream(ctx, &lambda.InvokeWithResponseStreamInput{FunctionName: aws.String("with-env")})
	apiErr(t, err, "KMSDisabledException", 502)
	if _, err := k.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyARN), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	_, err = c.Invoke(ctx, &lambda.InvokeInput{FunctionName: aws.String("with-env")})
	apiErr(t, err, "KMSInvalidStateException", 502)
}
