package ciphertext

import "testing"

func TestRoundTrip(t *testing.T) {
	for _, h := range []Header{
		{Account: "000000000000", KeyID: "0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f", Material: 0},
		{Account: "123456789012", KeyID: "mrk-0123456789abcdef0123456789abcdef", Material: 7},
	} {
		got, ok := Parse(append(h.Bytes(), 1, 2, 3))
		if !ok || got != h {
			t.Errorf("Parse(Bytes(%+v)) = %+v, %v", h, got, ok)
		}
	}
}

func TestKeyIDBytes(t *testing.T) {
	for id, want := range map[string]bool{
		"0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f": true,
		"0B3C2F4E-1D2A-4C5B-8E9F-0A1B2C3D4E5F": false,
		"mrk-0123456789abcdef0123456789abcdef": true,
		"mrk-0123":                             false,
		"alias/x":                              false,
		"0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5g": false,
		"":                                     false,
	} {
		if _, _, ok := KeyIDBytes(id); ok != want {
			t.Errorf("KeyIDBytes(%q) ok = %v, want %v", id, ok, want)
		}
	}
}

// FuzzParse: any bytes parse or are refused without panicking, and what
// parses re-encodes to the same header.
func FuzzParse(f *testing.F) {
	f.Add(Header{Account: "000000000000", KeyID: "0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f"}.Bytes())
	f.Add([]byte{1, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, ok := Parse(b)
		if !ok {
			return
		}
		if got := h.Bytes(); string(got) != string(b[:HeaderLen]) {
			t.Fatalf("re-encoded %x, want %x", got, b[:HeaderLen])
		}
	})
}
