package servicetest

import (
	"errors"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
)

func TestHarness(t *testing.T) {
	at := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	h := New(t, "sqs", At(at), InAccount("000000000000"), InRegion("ap-northeast-1"))
	ctx := h.Ctx()
	if ctx.Account != "000000000000" || ctx.Region != "ap-northeast-1" || ctx.Service != "sqs" ||
		ctx.RequestID != DefaultRequestID || !ctx.Caller.IsRoot() || ctx.Caller.Account != "000000000000" ||
		ctx.Log == nil || ctx.Context == nil {
		t.Fatalf("Ctx = %+v", ctx)
	}
	if !ctx.Now().Equal(at) {
		t.Fatalf("clock at %v, want %v", ctx.Now(), at)
	}
	h.Clock.Advance(time.Minute)
	if !ctx.Now().Equal(at.Add(time.Minute)) {
		t.Fatal("the context's clock is not the harness's")
	}
	other := h.CtxAs(Root("210987654321"))
	if other.Account != "210987654321" || other.Caller.ARN != "arn:aws:iam::210987654321:root" {
		t.Fatalf("CtxAs = %+v", other)
	}
	if def := New(t, "s3"); def.Ctx().Account != DefaultAccount || def.Ctx().Region != DefaultRegion || !def.Clock.Now().Equal(Epoch()) {
		t.Fatalf("defaults: %+v", def.Ctx())
	}
}

func TestStoreAndReopen(t *testing.T) {
	h := New(t, "iam", OnDisk(t.TempDir()))
	if err := h.Store().Update(func(tx storage.Tx) error { return tx.Put([]byte("k"), []byte("v")) }); err != nil {
		t.Fatal(err)
	}
	h.Reopen()
	var got string
	if err := h.Store().View(func(tx storage.Tx) error {
		v, _ := tx.Get([]byte("k"))
		got = string(v)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got != "v" {
		t.Fatalf("after Reopen: %q, want v", got)
	}
	// Another service's store is separate.
	if err := h.StoreNamed("sts").View(func(tx storage.Tx) error {
		if _, ok := tx.Get([]byte("k")); ok {
			t.Error("store sts sees iam's key")
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestFaulty(t *testing.T) {
	h := New(t, "sqs")
	f := NewFaulty(h.Store())
	boom := errors.New("disk on fire")
	put := func() error { return f.Update(func(tx storage.Tx) error { return tx.Put([]byte("k"), []byte("v")) }) }
	if err := put(); err != nil {
		t.Fatal(err)
	}
	f.Fail(boom)
	if err := put(); !errors.Is(err, boom) {
		t.Fatalf("Update while failing = %v, want %v", err, boom)
	}
	if err := f.View(func(storage.Tx) error { return nil }); !errors.Is(err, boom) {
		t.Fatalf("View while failing = %v, want %v", err, boom)
	}
	f.Fail(nil)
	if err := f.View(func(tx storage.Tx) error {
		if v, _ := tx.Get([]byte("k")); string(v) != "v" {
			t.Errorf("after healing: k = %q", v)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
