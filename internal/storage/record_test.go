package storage

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

// rec is a record with a binary form using every Enc/Dec field kind.
type rec struct {
	Name    string            `json:"name"`
	Data    []byte            `json:"data,omitempty"`
	N       int64             `json:"n,omitempty"`
	OK      bool              `json:"ok,omitempty"`
	At      time.Time         `json:"at"`
	Until   *time.Time        `json:"until,omitempty"`
	Meta    map[string]string `json:"meta,omitempty"`
	List    []string          `json:"list,omitempty"`
	Sub     *subRec           `json:"sub,omitempty"`
	Extra   map[string]any    `json:"extra,omitempty"`
	Ignored string            `json:"-"`
}

type subRec struct {
	A string `json:"a"`
	B int64  `json:"b"`
}

func (r *rec) AppendRecord(dst []byte) []byte {
	e := Enc{B: dst}
	e.String(1, r.Name)
	e.Bytes(2, r.Data)
	e.Int(3, r.N)
	e.Bool(4, r.OK)
	e.Time(5, r.At)
	e.TimePtr(6, r.Until)
	e.StringMap(7, r.Meta)
	e.Strings(8, r.List)
	if r.Sub != nil {
		e.Message(9, func(e *Enc) {
			e.String(1, r.Sub.A)
			e.Int(2, r.Sub.B)
		})
	}
	if r.Extra != nil {
		_ = e.JSON(10, r.Extra)
	}
	return e.B
}

func (r *rec) DecodeRecord(d *Dec) error {
	*r = rec{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			r.Name = d.String()
		case 2:
			r.Data = d.Bytes()
		case 3:
			r.N = d.Int()
		case 4:
			r.OK = d.Bool()
		case 5:
			r.At = d.Time()
		case 6:
			r.Until = d.TimePtr()
		case 7:
			r.Meta = d.StringMap()
		case 8:
			r.List = d.Strings()
		case 9:
			r.Sub = &subRec{}
			d.Message(func(d *Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						r.Sub.A = d.String()
					case 2:
						r.Sub.B = d.Int()
					default:
						d.Skip()
					}
				}
			})
		case 10:
			d.JSON(&r.Extra)
		default:
			d.Skip()
		}
	}
	return d.Err()
}

var _ BinaryRecord = (*rec)(nil)

func sampleRecs() []rec {
	at := time.Date(2026, 12, 6, 15, 4, 5, 123456789, time.UTC)
	until := time.Date(1999, 1, 2, 3, 4, 5, 0, time.FixedZone("", 9*3600))
	var zero time.Time
	return []rec{
		{},
		{Name: "a", At: at},
		{Name: strings.Repeat("long ", 100), Data: []byte{}, N: -1 << 62, OK: true, At: at, Until: &until,
			Meta: map[string]string{"z": "1", "a": "", "m": strings.Repeat("x", 300)}, List: []string{"", "b"},
			Sub: &subRec{A: strings.Repeat("y", 200), B: 7}, Extra: map[string]any{"k": []any{"v", 1.5}}},
		{Until: &zero, Meta: map[string]string{}, List: []string{}, Sub: &subRec{}},
		{At: time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC), N: 1<<63 - 1, Data: []byte{0, 1, 2}},
	}
}

// TestRecordRoundTrip: a BinaryRecord is written in binary (the format byte
// first), smaller than its JSON, and decodes to the record it was, field
// for field (empty but present values included, which JSON's omitempty
// drops).
func TestRecordRoundTrip(t *testing.T) {
	for i, r := range sampleRecs() {
		bin, err := EncodeRecord(&r)
		if err != nil {
			t.Fatal(err)
		}
		if bin[0] != RecordV1 {
			t.Fatalf("%d: first byte %#x, want the binary format byte", i, bin[0])
		}
		js, _ := json.Marshal(r)
		if len(bin) >= len(js) {
			t.Errorf("%d: binary form %d bytes, not smaller than JSON's %d", i, len(bin), len(js))
		}
		var fromBin, fromJSON rec
		if err := DecodeRecord(bin, &fromBin); err != nil {
			t.Fatalf("%d: decode binary: %v", i, err)
		}
		if err := DecodeRecord(js, &fromJSON); err != nil {
			t.Fatalf("%d: decode JSON: %v", i, err)
		}
		if !equalRec(fromBin, r) {
			t.Errorf("%d: binary round trip lost data\n got %+v\nwant %+v", i, fromBin, r)
		}
	}
}

// equalRec compares times by instant and offset, the rest exactly.
func equalRec(a, b rec) bool {
	sameTime := func(x, y time.Time) bool {
		_, ox := x.Zone()
		_, oy := y.Zone()
		return x.Equal(y) && ox == oy
	}
	if !sameTime(a.At, b.At) || (a.Until == nil) != (b.Until == nil) || a.Until != nil && !sameTime(*a.Until, *b.Until) {
		return false
	}
	a.At, b.At, a.Until, b.Until = time.Time{}, time.Time{}, nil, nil
	return reflect.DeepEqual(a, b)
}

// TestRecordOldJSONThroughTable: a Table of a BinaryRecord type reads
// records stored as JSON (a --data-dir from before the binary form) and
// writes binary from then on; a plain type stays JSON.
func TestRecordOldJSONThroughTable(t *testing.T) {
	b := newMemBackend()
	defer b.Close()
	s, _ := b.Store("t")
	tbl := NewTable[rec]("rec")
	plain := NewTable[subRec]("plain")
	sc := Scope{Account: "123456789012", Region: "us-east-1"}
	old := sampleRecs()[2]
	old.Data = []byte{9} // JSON's omitempty drops an empty one
	js, _ := json.Marshal(old)
	err := s.Update(func(tx Tx) error {
		if err := tx.Put(tbl.Key(sc, "old"), js); err != nil {
			return err
		}
		return plain.Put(tx, sc, subRec{A: "x"}, "p")
	})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Update(func(tx Tx) error {
		got, ok, err := tbl.Get(tx, sc, "old")
		if err != nil || !ok || !equalRec(got, old) {
			t.Fatalf("Get of a JSON record = %+v, %v, %v", got, ok, err)
		}
		if raw, _ := tx.Get(plain.Key(sc, "p")); raw[0] != '{' {
			t.Errorf("a type without a binary form stored %q, want JSON", raw)
		}
		got.N++
		return tbl.Put(tx, sc, got, "old")
	})
	if err != nil {
		t.Fatal(err)
	}
	cache := NewDecodeCache(tbl, 4)
	_ = s.View(func(tx Tx) error {
		raw, _ := tx.Get(tbl.Key(sc, "old"))
		if !IsBinaryRecord(raw) {
			t.Errorf("rewritten record is %q, want binary", raw)
		}
		var n int
		err := tbl.List(tx, sc, nil, ListOptions{}, func(_ []string, v rec) bool {
			n++
			if v.N != old.N+1 {
				t.Errorf("List read N=%d, want %d", v.N, old.N+1)
			}
			return true
		})
		if err != nil || n != 1 {
			t.Errorf("List: %d records, %v", n, err)
		}
		if v, ok, err := cache.Get(tx, sc, "old"); err != nil || !ok || v.Name != old.Name {
			t.Errorf("DecodeCache.Get = %v, %v", ok, err)
		}
		return nil
	})
}

// TestRecordUnknownFieldsSkipped: a record written by a later version with
// fields this one does not know still decodes.
func TestRecordUnknownFieldsSkipped(t *testing.T) {
	e := Enc{B: []byte{RecordV1}}
	e.String(1, "n")
	e.String(99, "from the future")
	e.Int(98, 5)
	e.Int(3, 42)
	var r rec
	if err := DecodeRecord(e.B, &r); err != nil || r.Name != "n" || r.N != 42 {
		t.Fatalf("got %+v, %v", r, err)
	}
}

// TestRecordBadBytes: damaged stored bytes are an ErrBadRecord, never a
// panic or a partial record taken for whole.
func TestRecordBadBytes(t *testing.T) {
	good, _ := EncodeRecord(&sampleRecs()[2])
	cases := map[string][]byte{
		"unknown version":    {0x02, 0x0a, 0x01, 'a'},
		"truncated":          good[:len(good)/2],
		"length past end":    {RecordV1, 0x0a, 0x7f, 'a'},
		"bad varint":         {RecordV1, 0x18, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01},
		"wrong kind":         {RecordV1, 0x08, 0x01}, // field 1 (a string) as a varint
		"bad wire kind":      {RecordV1, 0x0b},
		"nanos out of range": {RecordV1, 0x2a, 0x06, 0x02, 0xff, 0xff, 0xff, 0xff, 0x0f},
	}
	for name, data := range cases {
		var r rec
		err := DecodeRecord(data, &r)
		if !errors.Is(err, ErrBadRecord) {
			t.Errorf("%s: err = %v, want ErrBadRecord", name, err)
		}
	}
	var s subRec
	if err := DecodeRecord(good, &s); !errors.Is(err, ErrBadRecord) {
		t.Errorf("binary bytes into a JSON-only type: %v", err)
	}
}

// TestEncMessageLongBody: a nested value longer than 127 bytes (two length
// bytes) is moved intact.
func TestEncMessageLongBody(t *testing.T) {
	for _, n := range []int{0, 1, 126, 127, 128, 300, 20000} {
		body := bytes.Repeat([]byte{'q'}, n)
		e := Enc{B: []byte("head")}
		e.Message(1, func(e *Enc) { e.B = append(e.B, body...) })
		e.String(2, "tail")
		d := NewDec(e.B[4:])
		var got []byte
		var tail string
		for d.Next() {
			switch d.Tag() {
			case 1:
				d.Message(func(d *Dec) { got = append([]byte{}, d.b...) })
			case 2:
				tail = d.String()
			}
		}
		if d.Err() != nil || !bytes.Equal(got, body) || tail != "tail" || string(e.B[:4]) != "head" {
			t.Errorf("n=%d: got %d bytes, tail %q, err %v", n, len(got), tail, d.Err())
		}
	}
}

// FuzzDecodeRecord: any stored bytes decode or fail with an error, never
// panic; what decodes re-encodes to a record that decodes to the same.
func FuzzDecodeRecord(f *testing.F) {
	for _, r := range sampleRecs() {
		b, _ := EncodeRecord(&r)
		f.Add(b)
		js, _ := json.Marshal(r)
		f.Add(js)
	}
	f.Add([]byte{RecordV1, 0x4a, 0x03, 0x0a, 0x01})
	f.Fuzz(func(t *testing.T, data []byte) {
		var r rec
		if err := DecodeRecord(data, &r); err != nil {
			return
		}
		again, _ := EncodeRecord(&r)
		var r2 rec
		if err := DecodeRecord(again, &r2); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		if !equalRec(r, r2) {
			t.Fatalf("re-encoded record differs:\n%+v\n%+v", r, r2)
		}
	})
}

// TestDecStrIn: StrIn reads the same strings as Str, as substrings.
func TestDecStrIn(t *testing.T) {
	var e Enc
	for _, v := range []string{"", "a", "hello", "\x00\xff"} {
		e.Str(v)
	}
	rec := string(e.B)
	d, d2 := NewDec(e.B), NewDec(e.B)
	for d.Len() > 0 {
		if a, b := d.StrIn(rec), d2.Str(); a != b {
			t.Fatalf("StrIn %q, Str %q", a, b)
		}
	}
}
