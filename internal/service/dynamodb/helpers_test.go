package dynamodb

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func newTestService(tb testing.TB) (*DynamoDB, *clock.Fake, *request.Context) {
	tb.Helper()
	be, err := storage.Open(storage.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = be.Close() })
	st, err := be.Store("dynamodb")
	if err != nil {
		tb.Fatal(err)
	}
	clk := clock.NewFake(t0)
	s := New(st, clk, Options{})
	tb.Cleanup(func() { _ = s.Close() })
	ctx := &request.Context{Context: context.Background(), RequestID: "r", Service: "dynamodb", Account: "123456789012", Region: "us-east-1", Clock: clk}
	return s, clk, ctx
}

func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if e.Code.Code != code || (msg != "" && e.Message != msg) {
		t.Fatalf("error = %s: %q, want %s: %q", e.Code.Code, e.Message, code, msg)
	}
}

func s(v string) AV       { return AV{S: &v} }
func n(v string) AV       { return AV{N: &v} }
func sp(v string) *string { return &v }
