package dynamodb

import (
	"errors"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)

func newTestService(tb testing.TB) (*DynamoDB, *clock.Fake, *request.Context) {
	tb.Helper()
	h := servicetest.New(tb, "dynamodb", servicetest.At(t0))
	s := New(h.Store(), h.Clock, Options{})
	tb.Cleanup(func() { _ = s.Close() })
	return s, h.Clock, h.Ctx()
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

func s(v string) AV { return AV{S: &v} }
func n(v string) AV { return AV{N: &v} }
