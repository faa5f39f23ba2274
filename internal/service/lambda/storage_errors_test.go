package lambda

import (
	"errors"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestStorageFailures: when the store fails, a handler reports it rather
// than answering from no records, and code is kept rather than deleted as
// unused.
func TestStorageFailures(t *testing.T) {
	h := servicetest.New(t, "lambda", servicetest.InAccount(testAccount))
	st := servicetest.NewFaulty(h.Store())
	l := New(Options{Store: st, Blobs: h.Backend.Blobs(), Clock: h.Clock, WorkDir: t.TempDir()})
	t.Cleanup(func() { l.Close() })
	boom := errors.New("disk on fire")

	w, err := h.Backend.Blobs().Create()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("code")); err != nil {
		t.Fatal(err)
	}
	ref, err := w.Commit()
	if err != nil {
		t.Fatal(err)
	}

	st.Fail(boom)
	if _, err := l.GetAccountSettings(h.Ctx(), &lambdaapi.GetAccountSettingsRequest{}); !errors.Is(err, boom) {
		t.Errorf("GetAccountSettings on a failing store = %v, want %v", err, boom)
	}
	l.dropBlobIfUnused(scope(h.Ctx()), "fn", ref.ID)
	r, err := h.Backend.Blobs().Open(ref.ID)
	if err != nil {
		t.Fatalf("code deleted while its users could not be read: %v", err)
	}
	r.Close()
}
