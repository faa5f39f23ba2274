package allshapes

import (
	"io"
	"math"
	"math/rand"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
)

// TestEveryShapeHasConversions: every generated structure (so every
// operation's input and output) converts through its generated methods,
// never through api.Converter's reflection fallback.
func TestEveryShapeHasConversions(t *testing.T) {
	n := 0
	for svc, shapes := range All() {
		for _, s := range shapes {
			n++
			if _, ok := s.(api.Typed); !ok {
				t.Errorf("%s: %T has no conversion table entry (api.Typed)", svc, s)
			}
		}
	}
	if n < 1000 {
		t.Fatalf("only %d shapes listed", n)
	}
}

// TestGeneratedMatchesReflect: for every shape of every service, seeded
// random dynamic trees (bounded depth, some with one wrongly typed value)
// convert to the same typed value, or fail with the same error and member
// path, through the generated table (api.Converter) as through api.Reflect;
// and the typed value converts back to the same dynamic tree through the
// table as through api.Reflect.
func TestGeneratedMatchesReflect(t *testing.T) {
	all := All()
	svcs := make([]string, 0, len(all))
	for s := range all {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	var oracle api.Reflect
	var ok, failed int
	for _, svc := range svcs {
		r := rand.New(rand.NewSource(int64(len(svc)) * 7919))
		for _, s := range all[svc] {
			typ := reflect.TypeOf(s).Elem()
			for i := range 10 {
				g := &treeGen{r: r, inject: i%2 == 1, sparse: i >= 6}
				tree := g.structure(typ, 0)
				if compare(t, &oracle, typ, tree) {
					ok++
				} else {
					failed++
				}
			}
		}
	}
	if ok == 0 || failed == 0 {
		t.Fatalf("%d trees converted, %d failed: the generator is broken", ok, failed)
	}
}

// compare converts tree both ways and reports a difference; it returns
// whether the conversion succeeded.
func compare(t *testing.T, oracle *api.Reflect, typ reflect.Type, tree map[string]any) bool {
	t.Helper()
	want := reflect.New(typ)
	wantErr := oracle.ToTyped(tree, want.Interface())
	got := reflect.New(typ)
	var c api.Converter
	gotErr := c.ToTyped(tree, got.Interface())
	if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
		t.Fatalf("%v: FromDynamic(%#v) = %v, reflection says %v", typ, tree, gotErr, wantErr)
	}
	if wantErr != nil {
		return false
	}
	if !reflect.DeepEqual(want.Interface(), got.Interface()) {
		t.Fatalf("%v: FromDynamic(%#v) = %#v, reflection says %#v", typ, tree, got.Interface(), want.Interface())
	}
	wantDyn := oracle.ToDynamic(want.Interface())
	gotDyn := c.ToDynamic(got.Interface())
	if !reflect.DeepEqual(wantDyn, gotDyn) {
		t.Fatalf("%v: ToDynamic = %#v, reflection says %#v", typ, gotDyn, wantDyn)
	}
	return true
}

const maxDepth = 4

// treeGen builds random dynamic trees for a typed shape. With inject, one
// value of the tree (at most) has a type the member cannot take: with a
// single error the error (and its path) does not depend on map order.
type treeGen struct {
	r      *rand.Rand
	inject bool
	// sparse trees leave out most members, as most requests do (the
	// interpreter walks those by the tree's keys).
	sparse bool
}

var (
	timeType   = reflect.TypeFor[time.Time]()
	bytesType  = reflect.TypeFor[[]byte]()
	readerType = reflect.TypeFor[io.Reader]()
	anyType    = reflect.TypeFor[any]()
	zone       = time.FixedZone("X", 3600)
)

func (g *treeGen) structure(t reflect.Type, depth int) map[string]any {
	m := map[string]any{}
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("aws")
		if f.Type.Kind() == reflect.Func { // an event stream: input never has one
			if g.wrong() {
				m[name] = "events"
			}
			continue
		}
		absent := 4
		if g.sparse {
			absent = 8
		}
		switch p := g.r.Intn(10); {
		case p < absent:
		case p == absent:
			m[name] = nil
		default:
			m[name] = g.value(f.Type, depth+1)
		}
	}
	if g.r.Intn(4) == 0 {
		m["NotAMember"] = "ignored"
	}
	return m
}

// wrong reports whether to put the tree's one wrong value here.
func (g *treeGen) wrong() bool {
	if g.inject && g.r.Intn(8) == 0 {
		g.inject = false
		return true
	}
	return false
}

func (g *treeGen) value(t reflect.Type, depth int) any {
	if g.wrong() {
		return g.bad(t)
	}
	switch t {
	case timeType:
		return time.Unix(g.r.Int63n(4e9), g.r.Int63n(1e9)).In(zone)
	case bytesType:
		if g.r.Intn(2) == 0 {
			return "text"
		}
		return []byte{byte(g.r.Intn(256))}
	case readerType:
		if g.r.Intn(2) == 0 {
			return []byte("body")
		}
		return strings.NewReader("reader")
	case anyType:
		switch g.r.Intn(3) {
		case 0:
			return "doc"
		case 1:
			return map[string]any{"k": int64(1)}
		}
		return []any{1.5, true}
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.value(t.Elem(), depth)
	case reflect.Struct:
		if depth > maxDepth {
			return map[string]any{}
		}
		return g.structure(t, depth)
	case reflect.String:
		return string(rune('a' + g.r.Intn(26)))
	case reflect.Bool:
		return g.r.Intn(2) == 0
	case reflect.Int32, reflect.Int64:
		n := g.r.Int63n(1<<31) - 1<<30
		if g.r.Intn(3) == 0 {
			return float64(n)
		}
		return n
	case reflect.Float32, reflect.Float64:
		if g.r.Intn(3) == 0 {
			return int64(g.r.Intn(1000))
		}
		return g.r.NormFloat64() * 1e3
	case reflect.Slice:
		if depth > maxDepth {
			return []any{}
		}
		l := make([]any, g.r.Intn(4))
		for i := range l {
			if g.r.Intn(6) != 0 {
				l[i] = g.value(t.Elem(), depth+1)
			}
		}
		return l
	case reflect.Map:
		if depth > maxDepth {
			return map[string]any{}
		}
		m := map[string]any{}
		for i := range g.r.Intn(4) {
			k := string(rune('k' + i))
			if g.r.Intn(6) != 0 {
				m[k] = g.value(t.Elem(), depth+1)
			} else {
				m[k] = nil
			}
		}
		return m
	}
	panic("no dynamic value for " + t.String())
}

// bad is a value of the wrong dynamic type (or range) for t.
func (g *treeGen) bad(t reflect.Type) any {
	switch t {
	case timeType:
		return "2026-01-01"
	case bytesType, readerType:
		return true
	case anyType:
		return nil // every value fits an any
	}
	switch t.Kind() {
	case reflect.Pointer:
		return g.bad(t.Elem())
	case reflect.Struct, reflect.Map:
		return []any{}
	case reflect.Slice:
		return map[string]any{}
	case reflect.String:
		return int64(1)
	case reflect.Bool:
		return "true"
	case reflect.Int32:
		return [...]any{int64(math.MaxInt32) + 1, 2.5, "1", float64(math.MinInt32) - 1}[g.r.Intn(4)]
	case reflect.Int64:
		return [...]any{1.25, true}[g.r.Intn(2)]
	case reflect.Float32, reflect.Float64:
		return "1.5"
	}
	return nil
}
