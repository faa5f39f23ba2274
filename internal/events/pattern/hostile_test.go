package pattern

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"
)

func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// deep is a pattern of depth nested objects around one exact value.
func deep(depth int) string {
	return strings.Repeat(`{"a":`, depth) + `["x"]` + strings.Repeat("}", depth)
}

// TestCompileDepth holds the bound on nesting: a pattern deeper than
// MaxDepth is refused with the message of AWS's JSON parser as soon as the
// parser reaches that depth, whatever the length of the rest.
func TestCompileDepth(t *testing.T) {
	cases := []struct {
		name string
		src  string
		want string // "" compiles
	}{
		{"1000 objects", deep(MaxDepth), ""},
		{"1001 objects", deep(MaxDepth + 1), "Document nesting depth (1001) exceeds the maximum allowed (1000, from `StreamReadConstraints.getMaxNestingDepth()`)"},
		// ~800 KB: the size of the pattern that drove niwa past 3 GB.
		{"160,000 objects", deep(160000), "Document nesting depth (1001) exceeds"},
		{"$or nested 600 deep", strings.Repeat(`{"$or":[{"b":["y"]},`, 600) + `{"a":["x"]}` + strings.Repeat("]}", 600),
			"Document nesting depth (1001) exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			start := time.Now()
			n := allocated(func() { _, err = Compile(c.src) })
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
				t.Fatalf("err = %v, want %q", err, c.want)
			}
			if n > 8<<20 {
				t.Errorf("allocated %d KB", n>>10)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// TestIndexLinearInDepth holds that filing a pattern in an Index costs
// memory linear in its depth. The pattern is built directly, deeper than
// Compile allows, so that the quadratic walk (every field's dotted path
// built as a string: 20,000 levels took ~800 MB) shows.
func TestIndexLinearInDepth(t *testing.T) {
	for _, depth := range []int{1000, 20000} {
		t.Run(fmt.Sprint(depth), func(t *testing.T) {
			n := &node{fields: []field{{name: "a", leaf: []*matcher{{kind: kExact, vals: []value{{typ: 's', str: "x"}}}}}}}
			for i := 1; i < depth; i++ {
				n = &node{fields: []field{{name: "a", sub: n}}}
			}
			x := NewIndex()
			got := allocated(func() { x.Put("r", &Pattern{root: n}) })
			if limit := uint64(depth) * 256; got > limit {
				t.Fatalf("allocated %d bytes for depth %d, want < %d", got, depth, limit)
			}
			ev, err := ParseEvent([]byte(strings.Repeat(`{"a":`, depth) + `"x"` + strings.Repeat("}", depth)))
			if depth <= 1000 {
				if err != nil {
					t.Fatal(err)
				}
				if ids := x.Match(ev); len(ids) != 1 {
					t.Fatalf("matched %v", ids)
				}
			}
		})
	}
}
