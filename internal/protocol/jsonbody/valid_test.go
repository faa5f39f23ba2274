package jsonbody

import (
	"encoding/json"
	"strings"
	"testing"
)

// validCases are bodies valid must judge as encoding/json.Valid does.
var validCases = []string{
	``, ` `, `{}`, ` {} `, `{`, `}`, `{}}`, `{} {}`, `[]`, `[1,]`, `[,1]`, `[1 2]`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{a:1}`, `{"a":1 "b":2}`,
	`{"a":{"b":[1,2,{"c":null}]}}`, `"x"`, `0`, `-0`, `01`, `-`, `1.`, `.5`, `1.5`, `1e5`, `1E+5`, `1e-5`, `1e`, `1e+`, `-1.5e3`, `--1`, `+1`, `1.5.5`,
	`true`, `false`, `null`, `tru`, `nul`, `truex`, `True`, `NaN`, `Infinity`,
	`"\u0041"`, `"\u00e9\ud83d\ude00"`, `"\u12"`, `"\u12G4"`, `"\x"`, `"\/\b\f\n\r\t\"\\"`, `"a` + "\x01" + `"`, `"a` + "\x7f" + `"`, `"` + "\xff\xfe" + `"`,
	`"a`, `"\`, `"\u`, "{\"a\":1}\x00", "\t\n\r {\"a\" : [ 1 , 2 ] }\r\n", "\v{}", "\u00a0{}",
	`{"Item":{"pk":{"S":"p"},"sk":{"N":"1"}},"TableName":"t"}`,
	strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	strings.Repeat("[", 10001) + strings.Repeat("]", 10001),
	strings.Repeat(`{"a":`, 10000) + "1" + strings.Repeat("}", 10000),
	strings.Repeat(`{"a":`, 10001) + "1" + strings.Repeat("}", 10001),
	strings.Repeat("[", 20000),
}

// TestValidMatchesEncodingJSON: valid answers what encoding/json.Valid
// answers (DecodeTyped relies on it as it relied on json.Valid: a body
// it accepts is well-formed, one it refuses goes to the tree path,
// whose errors clients see).
func TestValidMatchesEncodingJSON(t *testing.T) {
	for _, c := range validCases {
		if got, want := valid([]byte(c)), json.Valid([]byte(c)); got != want {
			t.Errorf("valid(%.60q) = %v, encoding/json says %v", c, got, want)
		}
	}
}

func FuzzValidMatchesEncodingJSON(f *testing.F) {
	for _, c := range validCases {
		if len(c) < 200 {
			f.Add([]byte(c))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if got, want := valid(data), json.Valid(data); got != want {
			t.Errorf("valid(%q) = %v, encoding/json says %v", data, got, want)
		}
	})
}

func BenchmarkValid(b *testing.B) {
	body := []byte(`{"Item":{"data":{"S":"some payload of a typical item size"},"n":{"N":"42"},"pk":{"S":"p7"},"sk":{"N":"1234"},"tags":{"SS":["a","b"]}},"TableName":"bench-put"}`)
	b.Run("niwa", func(b *testing.B) {
		for b.Loop() {
			if !valid(body) {
				b.Fatal()
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		for b.Loop() {
			if !json.Valid(body) {
				b.Fatal()
			}
		}
	})
}
