package pattern

import (
	"fmt"
	"reflect"
	"testing"
)

func mustCompile(t testing.TB, s string) *Pattern {
	t.Helper()
	p, err := Compile(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestIndexMatchesLikeLinearScan(t *testing.T) {
	x := NewIndex()
	pats := map[string]string{}
	for i, c := range conformance {
		id := fmt.Sprintf("r%03d", i)
		pats[id] = c.pattern
		x.Put(id, mustCompile(t, c.pattern))
	}
	for _, ev := range []string{ec2Event, numEvent, ipEvent, fileEvent, arrEvent, nullEvent, cloudwatchEvent} {
		e, err := ParseEvent([]byte(ev))
		if err != nil {
			t.Fatal(err)
		}
		var want []string
		for i := range conformance {
			id := fmt.Sprintf("r%03d", i)
			if mustCompile(t, pats[id]).MatchParsed(e) {
				want = append(want, id)
			}
		}
		if got := x.Match(e); !reflect.DeepEqual(got, want) {
			t.Errorf("event %.40s: index %v, linear %v", ev, got, want)
		}
	}
}

func TestIndexPutRemove(t *testing.T) {
	x := NewIndex()
	x.Put("a", mustCompile(t, `{"source":["aws.ec2"]}`))
	x.Put("b", mustCompile(t, `{"detail":{"state":[{"prefix":"run"}]}}`))
	e, _ := ParseEvent([]byte(`{"source":"aws.ec2","detail":{"state":"running"}}`))
	if got := x.Match(e); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Fatalf("got %v", got)
	}
	x.Put("a", mustCompile(t, `{"source":["aws.s3"]}`)) // replace
	x.Remove("b")
	if got := x.Match(e); len(got) != 0 || x.Len() != 1 {
		t.Fatalf("got %v len %d", got, x.Len())
	}
}

// indexWithRules fills an index with n rules of distinct sources, the
// common shape of real rule sets.
func indexWithRules(b *testing.B, n int) (*Index, []*Pattern) {
	x := NewIndex()
	var all []*Pattern
	for i := 0; i < n; i++ {
		p := mustCompile(b, fmt.Sprintf(`{"source":["app.%d"],"detail-type":["Order Placed"],"detail":{"amount":[{"numeric":[">",%d]}]}}`, i, i%100))
		x.Put(fmt.Sprint(i), p)
		all = append(all, p)
	}
	return x, all
}

var benchEvent = []byte(`{"source":"app.4242","detail-type":"Order Placed","detail":{"amount":500}}`)

// BenchmarkIndex10000 matches one event against 10,000 rules through the
// index: only the rules filed under the event's source are evaluated.
func BenchmarkIndex10000(b *testing.B) {
	x, _ := indexWithRules(b, 10000)
	e, _ := ParseEvent(benchEvent)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if len(x.Match(e)) != 1 {
			b.Fatal("want one match")
		}
	}
}

// BenchmarkLinear10000 is the same work evaluating every rule, for
// comparison.
func BenchmarkLinear10000(b *testing.B) {
	_, all := indexWithRules(b, 10000)
	e, _ := ParseEvent(benchEvent)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n := 0
		for _, p := range all {
			if p.MatchParsed(e) {
				n++
			}
		}
		if n != 1 {
			b.Fatal("want one match")
		}
	}
}
