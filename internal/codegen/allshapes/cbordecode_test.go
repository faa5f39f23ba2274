package allshapes

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/internal/api"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rpcv2cbor"
)

// TestCBORDecodeTypedMatchesTree: for every operation of CloudWatch (the
// rpc-v2-cbor service), seeded random CBOR bodies — valid ones, and ones
// with wrongly typed or out-of-range values, nulls, unknown keys, every
// number and timestamp form — decode straight into the typed input
// (DecodeTyped) to the value the tree path (Decode, then
// Converter.ToTyped) builds, whose tree form is the decoded tree; or
// DecodeTyped leaves the body to the tree path (ErrUseTree). A body with
// nothing the typed decoder leaves to the tree on purpose (a null list
// element, a float32 that is not the number sent) must decode typed
// exactly when the tree path succeeds.
func TestCBORDecodeTypedMatchesTree(t *testing.T) {
	spec := cloudwatchapi.Spec()
	m, err := spec.Model()
	if err != nil {
		t.Fatal(err)
	}
	types := typesByName(All()[spec.Name])
	codec := rpcv2cbor.New()
	td := codec.(protocol.TypedDecoder)
	request := func(body []byte) *protocol.Request {
		r := httptest.NewRequest(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/X", bytes.NewReader(body))
		r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
		r.Header.Set("Content-Type", "application/cbor")
		return protocol.NewRequest(r, nil)
	}
	var tally decodeTally
	var ops int
	for k, name := range spec.Operations {
		op := m.Operations[name]
		if op.Input == nil {
			continue
		}
		ops++
		typ, ok := types[typeName(op.Input.Shape.Name)]
		if !ok {
			t.Fatalf("%s: no Go type for %s", name, op.Input.Shape.Name)
		}
		r := rand.New(rand.NewSource(int64(k) * 7901))
		for n := range 40 {
			g := &cborGen{r: r, wrongRate: []float64{0, 0, 0.05, 0.2}[n%4], frills: n%3 != 0}
			body := g.body(op.Input.Shape)
			want := reflect.New(typ)
			tree, err := codec.Decode(op, request(body))
			var conv api.Converter
			if err == nil {
				err = conv.ToTyped(tree, want.Interface())
			}
			got := reflect.New(typ)
			gotErr := td.DecodeTyped(op, request(body), got.Interface().(api.Typed))
			if gotErr != nil && !errors.Is(gotErr, protocol.ErrUseTree) {
				t.Fatalf("%s: DecodeTyped(%x) = %v, not ErrUseTree", name, body, gotErr)
			}
			if gotErr == nil {
				if err != nil {
					t.Fatalf("%s: DecodeTyped(%x) succeeded, the tree path says %v", name, body, err)
				}
				if !equalNaN(got, want) {
					t.Fatalf("%s: DecodeTyped(%x) =\n%#v\nthe tree path gives\n%#v", name, body, got.Elem().Interface(), want.Elem().Interface())
				}
				dyn := conv.ToDynamic(got.Interface())
				if !equalNaN(reflect.ValueOf(dyn), reflect.ValueOf(tree)) && !(len(dyn) == 0 && len(tree) == 0) {
					t.Fatalf("%s: DecodeTyped(%x)'s tree form\n%#v\nis not the decoded tree\n%#v", name, body, dyn, tree)
				}
			}
			tally.add(t, gotErr == nil, err == nil, g.lossy, fmt.Sprintf("%s: %x", name, body))
		}
	}
	if ops < 20 {
		t.Fatalf("only %d operations", ops)
	}
	tally.check(t, ops, "bodies", "null elements, float32s, null bodies")
}

// cborGen makes random generic values for a shape, encoded as CBOR.
type cborGen struct {
	r         *rand.Rand
	wrongRate float64
	frills    bool // nulls, unknown keys
	lossy     bool // made something the typed decoder leaves to the tree
}

func (g *cborGen) body(sh *model.Shape) []byte {
	switch g.r.Intn(40) {
	case 0:
		return nil
	case 1:
		g.lossy = true
		return []byte{0xf6} // null
	case 2:
		return []byte{0xff, 0x00} // not CBOR
	}
	b, err := cbor.Marshal(g.structure(sh, 0))
	if err != nil {
		panic(err)
	}
	if g.r.Intn(30) == 0 {
		b = b[:g.r.Intn(len(b))] // cut short
	}
	return b
}

func (g *cborGen) structure(sh *model.Shape, depth int) map[string]any {
	out := map[string]any{}
	for _, mr := range sh.Members {
		if g.r.Intn(3) == 0 || depth > 3 && aggregate(mr.Shape) {
			continue
		}
		if g.frills && g.r.Intn(15) == 0 {
			out[mr.Name] = nil
			continue
		}
		out[mr.Name] = g.value(mr, depth+1)
	}
	if g.frills && g.r.Intn(5) == 0 {
		out["NotAMember"] = []any{1, "x", nil}
	}
	return out
}

func (g *cborGen) value(ref *model.Ref, depth int) any {
	if g.r.Float64() < g.wrongRate {
		return []any{"wrong", uint64(12), true, []any{1}, map[string]any{"a": 1}, 1.5, int64(-3), []byte{1}}[g.r.Intn(8)]
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		return g.structure(sh, depth)
	case model.List:
		l := []any{}
		for range g.r.Intn(4) {
			if g.frills && g.r.Intn(25) == 0 {
				l = append(l, nil)
				g.lossy = true
				continue
			}
			l = append(l, g.value(sh.Member, depth+1))
		}
		return l
	case model.Map:
		m := map[string]any{}
		for _, k := range []string{"k1", "k2", "Name"}[:g.r.Intn(4)] {
			if g.frills && g.r.Intn(15) == 0 {
				m[k] = nil
				continue
			}
			m[k] = g.value(sh.Value, depth+1)
		}
		return m
	case model.String, model.Character:
		if len(sh.Enum) > 0 && g.r.Intn(2) == 0 {
			return sh.Enum[g.r.Intn(len(sh.Enum))]
		}
		return []string{"abc", "", "été", "日本"}[g.r.Intn(4)]
	case model.Integer, model.Long:
		return []any{uint64(0), uint64(42), int64(-7), uint64(math.MaxInt32), uint64(math.MaxInt32 + 1), int64(math.MinInt32 - 1),
			uint64(math.MaxUint64), int64(math.MinInt64), 1.0}[g.r.Intn(9)]
	case model.Float, model.Double:
		v := []any{0.0, 1.5, 0.1, -2.25, 3.0, math.NaN(), math.Inf(1), uint64(7), int64(-2), 0.123456789012345, 1e-50, float32(0.1)}[g.r.Intn(12)]
		if x, ok := v.(float64); ok && sh.Type == model.Float && (x == 0.123456789012345 || x == 1e-50) {
			g.lossy = true
		}
		return v
	case model.Boolean:
		return g.r.Intn(2) == 0
	case model.Timestamp:
		return []any{cbor.Tag{Number: 1, Content: uint64(1700000000)}, cbor.Tag{Number: 1, Content: 1700000000.123},
			cbor.Tag{Number: 1, Content: int64(-5)}, uint64(1700000000), 1.7e9, "2024-01-02T03:04:05Z", cbor.Tag{Number: 2, Content: []byte{1}},
			cbor.Tag{Number: 1, Content: math.Inf(1)}}[g.r.Intn(8)]
	case model.Blob:
		b := make([]byte, g.r.Intn(6))
		g.r.Read(b)
		return b
	case model.Document:
		return map[string]any{"a": []any{uint64(1), 2.5}}
	}
	return "x"
}
