package iam

import (
	"runtime"
	"strings"
	"testing"
)

// TestParseDepth holds the bound on a document's nesting: deeper than
// MaxDepth is malformed and refused before decoding, in bounded memory;
// brackets inside strings do not count.
func TestParseDepth(t *testing.T) {
	stmt := func(cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*","Condition":` + cond + `}]}`
	}
	cases := []struct {
		name string
		doc  string
		ok   bool
	}{
		{"a policy", stmt(`{"StringLike":{"s3:prefix":["a[{","b"]}}`), true},
		{"brackets in strings", stmt(`{"StringLike":{"s3:prefix":["` + strings.Repeat("[{", 100) + `\"` + `"]}}`), true},
		{"values nested 5000 deep", stmt(`{"StringLike":{"s3:prefix":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}}`), false},
		{"100,000 deep", strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000), false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := Parse(c.doc)
			runtime.ReadMemStats(&after)
			if c.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || err.Error() != "Syntax errors in policy." || !IsParseError(err) {
				t.Fatalf("err = %v", err)
			}
			// Decoding 5000 nested arrays allocated ~600 KB.
			if n := after.TotalAlloc - before.TotalAlloc; n > 16<<10 {
				t.Fatalf("allocated %d bytes", n)
			}
		})
	}
}
