package expr

import (
	"fmt"
	"math/rand"
	"runtime"
	"strings"
	"testing"
	"time"
)

// allocated reports the bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestExpressionLimits holds DynamoDB's documented expression limits: 4 KB
// of expression, 300 operators or functions, 100 IN operands. The first
// case is the input that overflowed the stack (400,000 nested
// parentheses): it is now refused before the lexer runs, in bounded memory.
func TestExpressionLimits(t *testing.T) {
	vals := map[string]AV{":v": nv("1")}
	cases := []struct {
		name, src string
		kind      Kind
		want      string // "" accepts
	}{
		{"400k nested parens", strings.Repeat("(", 400000) + "a = :v" + strings.Repeat(")", 400000), KindCondition,
			"Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 800006"},
		{"3 MB update", "SET " + strings.Repeat("a = :v, ", 3<<20/8), KindUpdate,
			fmt.Sprintf("Invalid UpdateExpression: Expression size has exceeded the maximum allowed size; expression size: %d", 4+3<<20/8*8)},
		{"4096 bytes", pad("a = :v", 4096), KindCondition, ""},
		{"4097 bytes", pad("a = :v", 4097), KindFilter,
			"Invalid FilterExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"},
		{"deep parens within 4 KB", strings.Repeat("(", 2000) + "a = :v" + strings.Repeat(")", 2000), KindCondition, ""},
		{"deep NOTs within 4 KB", strings.Repeat("NOT ", 299) + "a = :v", KindCondition, ""},
		{"300 operators", chain(300), KindCondition, ""},
		{"301 operators", chain(301), KindCondition,
			"Invalid ConditionExpression: The expression contains too many operators; operator count: 301"},
		{"301 NOTs", strings.Repeat("NOT ", 301) + "a = :v", KindCondition,
			"Invalid ConditionExpression: The expression contains too many operators; operator count: 301"},
		{"301 functions in an update", "SET a = " + strings.Repeat("if_not_exists(a,:v+", 150) + "if_not_exists(a,:v)" + strings.Repeat(")", 150), KindUpdate,
			"Invalid UpdateExpression: The expression contains too many operators; operator count: 301"},
		{"301 additions", "SET a = " + strings.TrimSuffix(strings.Repeat(":v + a, b = ", 301), ", b = "), KindUpdate,
			"Invalid UpdateExpression: The expression contains too many operators; operator count: 301"},
		{"100 IN operands", "a IN (" + strings.TrimSuffix(strings.Repeat(":v,", 100), ",") + ")", KindCondition, ""},
		{"101 IN operands", "a IN (" + strings.TrimSuffix(strings.Repeat(":v,", 101), ",") + ")", KindCondition,
			"Invalid ConditionExpression: The IN operator is provided with too many operands; number of operands: 101"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			start := time.Now()
			n := allocated(func() {
				env := NewEnv(nil, vals)
				if c.kind == KindUpdate {
					_, err = ParseUpdate(c.src, env)
				} else {
					_, err = ParseCondition(c.kind, c.src, env)
				}
			})
			switch {
			case c.want == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case c.want != "" && (err == nil || err.Error() != c.want):
				t.Fatalf("err = %v\nwant %s", err, c.want)
			}
			// An accepted 4 KB expression costs well under 4 MB; the
			// 400,000 parentheses cost ~1 GB before the size check.
			if n > 4<<20 {
				t.Errorf("allocated %d bytes", n)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
}

// chain is a condition of n operators: comparisons joined by AND, with a
// NOT in front when n is even.
func chain(n int) string {
	if n%2 == 0 {
		return "NOT " + chain(n-1)
	}
	return "a = :v" + strings.Repeat(" AND a = :v", (n-1)/2)
}

// pad pads src with spaces to n bytes.
func pad(src string, n int) string { return src + strings.Repeat(" ", n-len(src)) }

// TestCheckOverlapMatchesPairwise compares the trie with the pairwise
// definition on random paths: same verdict, same pair, same kind.
func TestCheckOverlapMatchesPairwise(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	elem := func() PathElem {
		if r.Intn(3) == 0 {
			return PathElem{Index: r.Intn(2), IsIndex: true}
		}
		return PathElem{Name: string(rune('a' + r.Intn(3)))}
	}
	for n := 0; n < 5000; n++ {
		paths := make([]Path, 1+r.Intn(6))
		for i := range paths {
			pa := Path{{Name: string(rune('a' + r.Intn(2)))}}
			for k := r.Intn(4); k > 0; k-- {
				pa = append(pa, elem())
			}
			paths[i] = pa
		}
		got, want := checkOverlap(KindUpdate, paths), pairwiseOverlap(KindUpdate, paths)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%v: trie %v, pairwise %v", paths, got, want)
		}
	}
}

// pairwiseOverlap is the definition checkOverlap implements.
func pairwiseOverlap(kind Kind, paths []Path) error {
	for i := range paths {
		for j := 0; j < i; j++ {
			ov, conf := pathsOverlap(paths[j], paths[i])
			if ov {
				return errf("Invalid %s: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", kind, paths[j].msgString(), paths[i].msgString())
			}
			if conf {
				return errf("Invalid %s: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: %s, path two: %s", kind, paths[j].msgString(), paths[i].msgString())
			}
		}
	}
	return nil
}

func pathsOverlap(a, b Path) (overlap, conflict bool) {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i].IsIndex != b[i].IsIndex {
			return false, true
		}
		if a[i] != b[i] {
			return false, false
		}
	}
	return true, false
}

// TestLinearWork holds the algorithms that were quadratic in the size of
// their input: overlap checks over many paths (100k SET actions took over
// 30 s), and set equality, ADD and DELETE over sets of many members. Each
// case is sized so that the quadratic version takes minutes.
func TestLinearWork(t *testing.T) {
	const n = 200000
	paths := make([]Path, n)
	set, other := make([]string, n), make([]string, n)
	for i := range paths {
		paths[i] = Path{{Name: fmt.Sprintf("a%d", i)}}
		set[i] = fmt.Sprintf("s%d", i)
		other[i] = fmt.Sprintf("s%d", n-1-i)
	}
	cases := []struct {
		name string
		run  func() error
	}{
		{"overlap over 200k paths", func() error { return checkOverlap(KindUpdate, paths) }},
		{"equal sets of 200k", func() error {
			if !Equal(AV{SS: set}, AV{SS: other}) {
				return fmt.Errorf("sets differ")
			}
			return nil
		}},
		{"ADD and DELETE 200k members", func() error {
			u := &Update{Add: []ValueAction{{Path: Path{{Name: "s"}}, Value: &ValueOp{Value: AV{SS: other}}}},
				Delete: []ValueAction{{Path: Path{{Name: "t"}}, Value: &ValueOp{Value: AV{SS: other}}}}}
			out, err := u.Apply(Item{"s": {SS: set}, "t": {SS: set}})
			if err == nil && (len(out["s"].SS) != n || out["t"].SS != nil) {
				return fmt.Errorf("ADD gave %d members, DELETE left %v", len(out["s"].SS), out["t"])
			}
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			start := time.Now()
			if err := c.run(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 10*time.Second {
				t.Fatalf("took %v", d)
			}
		})
	}
}
