package allshapes

import (
	"fmt"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
)

// loadModel reads the model embedded in service svc's generated package.
func loadModel(t testing.TB, svc string) *model.Service {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "api", svc, "model.json"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// goName and typeName are internal/codegen's: the Go type of a shape.
func goName(name string) string {
	var b strings.Builder
	upper := true
	for _, r := range name {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	s := b.String()
	if s == "" || unicode.IsDigit(rune(s[0])) {
		s = "X" + s
	}
	return s
}

func typeName(shape string) string {
	n := goName(shape)
	switch n {
	case "Spec", "Bind", "Model", "Operations":
		return n + "Shape"
	}
	return n
}

// shapePair is a model structure and its generated Go type.
type shapePair struct {
	shape *model.Shape
	typ   reflect.Type
}

// structurePairs returns every structure shape of svc's model with its
// generated type, sorted by name; it fails for a shape without one, and
// for a type whose fields are not the shape's members in order.
func structurePairs(t testing.TB, svc string, shapes []any) []shapePair {
	t.Helper()
	types := typesByName(shapes)
	m := loadModel(t, svc)
	var out []shapePair
	for name, sh := range m.Shapes {
		if sh.Type != model.Structure {
			continue
		}
		typ, ok := types[typeName(name)]
		if !ok {
			t.Fatalf("%s: shape %s has no generated type", svc, name)
		}
		tab, i := reflect.New(typ).Interface().(api.Typed).ConvType()
		fs := tab[i].Fields
		if len(fs) != len(sh.Members) {
			t.Fatalf("%s: %s has %d members, its entry %d fields", svc, name, len(sh.Members), len(fs))
		}
		for k, f := range fs {
			if f.Name != sh.Members[k].Name {
				t.Fatalf("%s: %s member %d is %s, field %s", svc, name, k, sh.Members[k].Name, f.Name)
			}
		}
		out = append(out, shapePair{sh, typ})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].shape.Name < out[b].shape.Name })
	return out
}

// TestTypedValidationMatchesTree: for every structure shape of every
// service (so every operation's input), seeded random dynamic trees that
// break the model's constraints in every way it has (required members
// left out, strings, lists, maps and blobs too short or too long, numbers
// out of range, values outside the enum or the pattern, bad map keys),
// converted to the typed value, validate to the same violations (path,
// value, message, in the same order) through api.Validator as the
// tree through model.Validator.Validate. Trees are as the codecs decode
// them: no null members, list elements or map values, integers as int64,
// blobs as []byte, streaming blobs as readers.
func TestTypedValidationMatchesTree(t *testing.T) {
	all := All()
	svcs := make([]string, 0, len(all))
	for s := range all {
		svcs = append(svcs, s)
	}
	sort.Strings(svcs)
	var v model.Validator
	tv := api.Validator{Model: &v}
	var conv api.Converter
	var trees, violations, kinds = 0, 0, map[string]int{}
	for _, svc := range svcs {
		r := rand.New(rand.NewSource(int64(len(svc)) * 104729))
		for _, p := range structurePairs(t, svc, all[svc]) {
			ref := &model.Ref{Shape: p.shape}
			for i := range 4 {
				g := &constraintGen{r: r, bad: i != 0}
				tree := g.structure(p.shape, 0)
				typed := reflect.New(p.typ).Interface()
				if err := conv.ToTyped(tree, typed); err != nil {
					t.Fatalf("%s: %s: %v", svc, p.shape.Name, err)
				}
				want := v.Validate(ref, tree)
				got := tv.Validate(ref, typed.(api.Typed))
				trees++
				violations += len(want)
				for _, w := range want {
					words := strings.Fields(w.Message)
					kinds[words[2]+" "+words[3]]++
				}
				if !sameViolations(got, want) {
					t.Fatalf("%s: %s: tree %#v\ntyped validation:\n%s\ntree validation:\n%s", svc, p.shape.Name, tree, dump(got), dump(want))
				}
			}
		}
	}
	t.Logf("%d trees, %d violations %v", trees, violations, kinds)
	if violations < trees {
		t.Fatalf("only %d violations in %d trees: the generator is broken", violations, trees)
	}
	for _, k := range []string{"not be", "have length", "have value", "satisfy enum", "satisfy regular"} {
		if kinds[k] == 0 {
			t.Errorf("no violation of kind %q: the generator is broken", k)
		}
	}
}

func sameViolations(a, b []model.Violation) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Path != b[i].Path || a[i].Message != b[i].Message || !reflect.DeepEqual(a[i].Value, b[i].Value) ||
			a[i].String() != b[i].String() {
			return false
		}
	}
	return true
}

func dump(vs []model.Violation) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "  %s (%T)\n", v, v.Value)
	}
	return b.String()
}

// constraintGen builds random dynamic trees of a model shape, as a codec
// decodes them; with bad, values are often just outside the shape's
// constraints.
type constraintGen struct {
	r   *rand.Rand
	bad bool
}

func (g *constraintGen) chance(n int) bool { return g.r.Intn(n) == 0 }

func (g *constraintGen) structure(sh *model.Shape, depth int) map[string]any {
	m := map[string]any{}
	if depth > maxDepth {
		return m
	}
	for _, ref := range sh.Members {
		if ref.Shape.EventStream {
			continue // input never has one
		}
		keep := 3
		if sh.IsRequired(ref.Name) && !g.bad {
			keep = 1
		}
		if g.r.Intn(keep+1) == 0 {
			continue
		}
		m[ref.Name] = g.value(ref, depth+1)
	}
	return m
}

// size picks a length for a shape with min and max: around them when bad.
func (g *constraintGen) size(sh *model.Shape, typical, limit int) int {
	lo, hi := 0, typical
	if sh.Min != nil {
		lo = int(*sh.Min)
		if hi < lo {
			hi = lo
		}
	}
	if sh.Max != nil && float64(hi) > *sh.Max {
		hi = int(*sh.Max)
	}
	if g.bad && g.chance(3) {
		var near []int
		if sh.Min != nil && *sh.Min >= 1 {
			near = append(near, int(*sh.Min)-1)
		}
		if sh.Max != nil && *sh.Max+1 <= float64(limit) {
			near = append(near, int(*sh.Max)+1)
		}
		if len(near) > 0 {
			return near[g.r.Intn(len(near))]
		}
	}
	if hi > limit {
		hi = limit
	}
	if hi < lo {
		return lo
	}
	return lo + g.r.Intn(hi-lo+1)
}

var runes = []rune("abcXYZ019_-./:=@ é日\u00a0")

func (g *constraintGen) str(sh *model.Shape) string {
	if len(sh.Enum) > 0 && !(g.bad && g.chance(4)) {
		return sh.Enum[g.r.Intn(len(sh.Enum))]
	}
	n := g.size(sh, 6, 300)
	b := make([]rune, n)
	for i := range b {
		if g.bad || g.chance(2) {
			b[i] = runes[g.r.Intn(len(runes))]
		} else {
			b[i] = rune('a' + g.r.Intn(26))
		}
	}
	return string(b)
}

func (g *constraintGen) value(ref *model.Ref, depth int) any {
	sh := ref.Shape
	if ref.JSONValue {
		switch g.r.Intn(3) {
		case 0:
			return g.str(sh)
		case 1:
			return map[string]any{"k": 1.5}
		}
		return []any{"a", true}
	}
	switch sh.Type {
	case model.Structure:
		return g.structure(sh, depth)
	case model.List:
		if depth > maxDepth {
			return []any{}
		}
		l := make([]any, g.size(sh, 3, 6))
		for i := range l {
			l[i] = g.value(sh.Member, depth+1)
		}
		return l
	case model.Map:
		if depth > maxDepth {
			return map[string]any{}
		}
		m := map[string]any{}
		n := g.size(sh, 3, 6)
		for tries := 0; len(m) < n && tries < 4*n; tries++ {
			m[g.str(sh.Key.Shape)] = g.value(sh.Value, depth+1)
		}
		return m
	case model.String, model.Character:
		return g.str(sh)
	case model.Integer, model.Long:
		var near []int64
		if sh.Min != nil {
			near = append(near, int64(*sh.Min), int64(*sh.Min)-1)
		}
		if sh.Max != nil {
			near = append(near, int64(*sh.Max), int64(*sh.Max)+1)
		}
		var n int64
		if len(near) > 0 && g.bad && g.chance(2) {
			n = near[g.r.Intn(len(near))]
		} else {
			n = g.r.Int63n(2000) - 1000
		}
		if sh.Type == model.Integer {
			n = max(min(n, math.MaxInt32), math.MinInt32)
		}
		return n
	case model.Float, model.Double:
		return float64(g.r.Intn(400)-200) / 4 // exact in a float32
	case model.Boolean:
		return g.chance(2)
	case model.Timestamp:
		return time.Unix(g.r.Int63n(4e9), g.r.Int63n(1e9)).UTC()
	case model.Blob:
		if ref.IsStreaming() {
			return strings.NewReader("body")
		}
		b := make([]byte, g.size(sh, 4, 300))
		g.r.Read(b)
		return b
	case model.Document:
		switch g.r.Intn(3) {
		case 0:
			return "doc"
		case 1:
			return map[string]any{"k": 1.5}
		}
		return []any{1.5, true}
	}
	panic("no value for " + string(sh.Type))
}

// TestUnconstrainedHasNoConstraint: both validators skip the values of
// shapes the model marks Unconstrained, so the mark is checked here on
// its own, for every shape of every service: from an Unconstrained shape
// no shape with a constraint is reachable, and from every other shape one
// is (its own or one below).
func TestUnconstrainedHasNoConstraint(t *testing.T) {
	own := func(sh *model.Shape) bool {
		switch sh.Type {
		case model.Structure:
			return len(sh.Required) > 0
		case model.String:
			return sh.Min != nil || sh.Max != nil || len(sh.Enum) > 0 || sh.Pattern != ""
		case model.List, model.Map, model.Blob, model.Integer, model.Long:
			return sh.Min != nil || sh.Max != nil
		}
		return false
	}
	var reaches func(sh *model.Shape, seen map[*model.Shape]bool) bool
	reaches = func(sh *model.Shape, seen map[*model.Shape]bool) bool {
		if seen[sh] {
			return false
		}
		seen[sh] = true
		if own(sh) {
			return true
		}
		refs := append([]*model.Ref{sh.Member, sh.Key, sh.Value}, sh.Members...)
		for _, r := range refs {
			if r != nil && reaches(r.Shape, seen) {
				return true
			}
		}
		return false
	}
	n := 0
	for svc := range All() {
		for name, sh := range loadModel(t, svc).Shapes {
			if want := !reaches(sh, map[*model.Shape]bool{}); sh.Unconstrained() != want {
				t.Errorf("%s: %s: Unconstrained = %v, want %v", svc, name, sh.Unconstrained(), want)
			}
			if sh.Unconstrained() {
				n++
			}
		}
	}
	if n == 0 {
		t.Fatal("no shape is Unconstrained")
	}
}

// typesByName maps the names of a service's generated structure types
// (All's values: pointers to new values) to their Go types.
func typesByName(shapes []any) map[string]reflect.Type {
	types := make(map[string]reflect.Type, len(shapes))
	for _, s := range shapes {
		typ := reflect.TypeOf(s).Elem()
		types[typ.Name()] = typ
	}
	return types
}

// decodeTally counts the inputs of a test that holds a typed decoder
// to the tree path: decoded by both alike, left to the tree (which
// decodes them), refused by both.
type decodeTally struct{ typed, tree, failed int }

// add counts one input. A typed decode that succeeded was compared by
// the caller; one left to the tree fails the test unless the generator
// wrote something the typed decoder is documented to leave (lossy).
func (c *decodeTally) add(t testing.TB, typedOK, treeOK, lossy bool, what string) {
	t.Helper()
	switch {
	case typedOK:
		c.typed++
	case treeOK:
		c.tree++
		if !lossy {
			t.Fatalf("%s: DecodeTyped left it to the tree, which decodes it", what)
		}
	default:
		c.failed++
	}
}

// check fails the test when the generator made no input of one kind
// (every input typed, or none malformed, means it tests nothing).
func (c *decodeTally) check(t testing.TB, ops int, inputs, treeWhy string) {
	t.Helper()
	t.Logf("%d operations: %d %s typed, %d left to the tree (%s), %d malformed", ops, c.typed, inputs, c.tree, treeWhy, c.failed)
	if c.typed == 0 || c.failed == 0 {
		t.Fatal("the generator is broken")
	}
}
