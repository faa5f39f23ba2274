package iam

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestUserRecordBinary: every field of a user record survives the binary
// form, which is smaller than the JSON; a record stored as JSON before
// the binary form reads back the same; a user as CreateUser stores it
// (no lists, no login) reads back with its empty fields nil, as from
// JSON; and authorization's entityHead reads the name and path of
// either form.
func TestUserRecordBinary(t *testing.T) {
	recordtest.RoundTrip[userRecord](t)

	var u userRecord
	recordtest.Fill(&u)
	bin, _ := storage.EncodeRecord(&u)
	js, _ := json.Marshal(u)
	if len(bin) >= len(js) {
		t.Errorf("binary %d bytes, JSON %d", len(bin), len(js))
	}
	var fromJSON userRecord
	if err := storage.DecodeRecord(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, u) {
		t.Errorf("JSON user read as\n%+v\nwant\n%+v", fromJSON, u)
	}

	plain := userRecord{Name: "Ann", ID: "AIDAEXAMPLE", Path: "/", CreateDate: t0, Tags: []tag{}, Groups: []string{}}
	pbin, _ := storage.EncodeRecord(&plain)
	pjs, _ := json.Marshal(plain)
	var a, b userRecord
	if err := storage.DecodeRecord(pbin, &a); err != nil {
		t.Fatal(err)
	}
	if err := storage.DecodeRecord(pjs, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || a.Tags != nil || a.Groups != nil {
		t.Errorf("binary read as %+v, JSON as %+v", a, b)
	}

	for _, data := range [][]byte{bin, js} {
		var h entityHead
		if err := storage.DecodeRecord(data, &h); err != nil {
			t.Fatal(err)
		}
		if h.Name != u.Name || h.Path != u.Path {
			t.Errorf("entityHead of %q: %+v", data[:8], h)
		}
	}
}

// TestRoleRecordBinary: the same for a role record.
func TestRoleRecordBinary(t *testing.T) {
	recordtest.RoundTrip[roleRecord](t)

	var r roleRecord
	recordtest.Fill(&r)
	bin, _ := storage.EncodeRecord(&r)
	js, _ := json.Marshal(r)
	if len(bin) >= len(js) {
		t.Errorf("binary %d bytes, JSON %d", len(bin), len(js))
	}
	var fromJSON roleRecord
	if err := storage.DecodeRecord(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, r) {
		t.Errorf("JSON role read as\n%+v\nwant\n%+v", fromJSON, r)
	}

	plain := roleRecord{Name: "App", ID: "AROAEXAMPLE", Path: "/", CreateDate: t0, TrustPolicy: trustDoc, MaxSessionDuration: 3600, Tags: []tag{}}
	pbin, _ := storage.EncodeRecord(&plain)
	pjs, _ := json.Marshal(plain)
	var a, b roleRecord
	if err := storage.DecodeRecord(pbin, &a); err != nil {
		t.Fatal(err)
	}
	if err := storage.DecodeRecord(pjs, &b); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) || a.Tags != nil {
		t.Errorf("binary read as %+v, JSON as %+v", a, b)
	}

	for _, data := range [][]byte{bin, js} {
		var h entityHead
		if err := storage.DecodeRecord(data, &h); err != nil {
			t.Fatal(err)
		}
		if h.Name != r.Name || h.Path != r.Path {
			t.Errorf("entityHead of %q: %+v", data[:8], h)
		}
	}
}

// FuzzDecodeUserRecord: damaged stored bytes are an error, never a
// panic (for users, roles and entityHead).
func FuzzDecodeUserRecord(f *testing.F) {
	var u userRecord
	recordtest.Fill(&u)
	bin, _ := storage.EncodeRecord(&u)
	f.Add(bin)
	f.Fuzz(func(t *testing.T, data []byte) {
		var u userRecord
		_ = storage.DecodeRecord(data, &u)
		var r roleRecord
		_ = storage.DecodeRecord(data, &r)
		var h entityHead
		_ = storage.DecodeRecord(data, &h)
	})
}

// BenchmarkUserRecordCodec: a user as CreateUser stores it.
func BenchmarkUserRecordCodec(b *testing.B) {
	u := userRecord{Name: "u1234", ID: "AIDAEXAMPLEEXAMPLE123", Path: "/", CreateDate: t0}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := storage.EncodeRecord(&u); err != nil {
				b.Fatal(err)
			}
		}
	})
	data, _ := storage.EncodeRecord(&u)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v userRecord
			if err := storage.DecodeRecord(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkRoleRecordCodec: a role as CreateRole stores it.
func BenchmarkRoleRecordCodec(b *testing.B) {
	r := roleRecord{Name: "bench", ID: "AROAEXAMPLEEXAMPLE123", Path: "/", CreateDate: t0, TrustPolicy: trustDoc, MaxSessionDuration: 3600}
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := storage.EncodeRecord(&r); err != nil {
				b.Fatal(err)
			}
		}
	})
	data, _ := storage.EncodeRecord(&r)
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var v roleRecord
			if err := storage.DecodeRecord(data, &v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
