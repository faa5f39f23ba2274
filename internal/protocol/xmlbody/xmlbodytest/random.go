// Package xmlbodytest generates random dynamic values for model shapes, for
// the round-trip property tests of the XML and query codecs. It is imported
// only by tests.
package xmlbodytest

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
)

// Rules constrain generated values to what a wire format can express, so
// that a round trip must reproduce them exactly.
type Rules struct {
	// NonEmptyStructs: every structure has at least one member (the query
	// protocol cannot send an empty structure).
	NonEmptyStructs bool
	// NonEmptyLists and NonEmptyMaps: no empty lists or maps (ec2 sends
	// nothing for an empty list; query nothing for an empty map).
	NonEmptyLists bool
	NonEmptyMaps  bool
	// NonEmptyFlattened: flattened lists and maps have at least one item
	// (XML has no representation for an empty flattened list).
	NonEmptyFlattened bool
	// MaxDepth bounds recursion through recursive shapes (default 5).
	MaxDepth int
}

// Value returns a random value of ref's shape; ok is false when the rules
// leave no value to generate (an empty structure where emptiness is
// forbidden). Members bound to HTTP locations, documents and jsonvalue
// members are never generated: they are not part of XML or query bodies.
func Value(r *rand.Rand, ref *model.Ref, rules Rules) (any, bool) {
	if rules.MaxDepth == 0 {
		rules.MaxDepth = 5
	}
	return value(r, ref, rules, 0, false)
}

func value(r *rand.Rand, ref *model.Ref, rules Rules, depth int, flattened bool) (any, bool) {
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		out := map[string]any{}
		for _, m := range sh.Members {
			if m.Location != model.LocationBody || m.JSONValue || m.Shape.Type == model.Document || m.IsStreaming() {
				continue
			}
			if m.XMLAttribute && !isScalar(m.Shape.Type) {
				continue
			}
			compound := m.Shape.Type == model.Structure || m.Shape.Type == model.List || m.Shape.Type == model.Map
			if compound && depth >= rules.MaxDepth {
				continue
			}
			if r.Intn(4) == 0 {
				continue
			}
			if v, ok := value(r, m, rules, depth+1, m.IsFlattened()); ok {
				out[m.Name] = v
			}
		}
		if len(out) == 0 && rules.NonEmptyStructs {
			// Try once more with every scalar member, then give up.
			for _, m := range sh.Members {
				if m.Location == model.LocationBody && isScalar(m.Shape.Type) && m.Shape.Type != model.Document && !m.JSONValue && !m.IsStreaming() {
					out[m.Name], _ = value(r, m, rules, depth+1, false)
					break
				}
			}
			if len(out) == 0 {
				return nil, false
			}
		}
		return out, true
	case model.List:
		n := r.Intn(4)
		if n == 0 && (rules.NonEmptyLists || (flattened && rules.NonEmptyFlattened)) {
			n = 1
		}
		out := make([]any, 0, n)
		for range n {
			v, ok := value(r, sh.Member, rules, depth+1, false)
			if !ok {
				return nil, false
			}
			out = append(out, v)
		}
		return out, true
	case model.Map:
		n := r.Intn(4)
		if n == 0 && (rules.NonEmptyMaps || (flattened && rules.NonEmptyFlattened)) {
			n = 1
		}
		out := map[string]any{}
		for range n {
			v, ok := value(r, sh.Value, rules, depth+1, false)
			if !ok {
				return nil, false
			}
			out[String(r)] = v
		}
		if len(out) == 0 && (rules.NonEmptyMaps || (flattened && rules.NonEmptyFlattened)) {
			return nil, false
		}
		return out, true
	case model.String, model.Character:
		if len(sh.Enum) > 0 && r.Intn(2) == 0 {
			return sh.Enum[r.Intn(len(sh.Enum))], true
		}
		return String(r), true
	case model.Integer:
		return int64(int32(r.Uint32())), true
	case model.Long:
		return int64(r.Uint64()), true
	case model.Float, model.Double:
		switch r.Intn(8) {
		case 0:
			return math.NaN(), true
		case 1:
			return math.Inf(1 - 2*r.Intn(2)), true
		case 2:
			return float64(r.Intn(1000)), true
		case 3:
			return float64(float32(r.NormFloat64() * 1e3)), true
		case 4:
			return r.NormFloat64() * math.Pow(10, float64(r.Intn(60)-30)), true
		}
		return r.NormFloat64() * 1e3, true
	case model.Boolean:
		return r.Intn(2) == 0, true
	case model.Timestamp:
		sec := r.Int63n(253402300799)
		var ms int64
		if ref.TimestampFormatOr(model.ISO8601) != model.RFC822 && r.Intn(2) == 0 {
			ms = r.Int63n(1000)
		}
		return time.Unix(sec, ms*1e6).UTC(), true
	case model.Blob:
		b := make([]byte, r.Intn(20))
		r.Read(b)
		return b, true
	}
	return nil, false
}

func isScalar(t model.Type) bool {
	return t != model.Structure && t != model.List && t != model.Map
}

// String returns a random string mixing ASCII, characters XML and URL
// encodings must escape, line breaks, non-ASCII text, and characters XML
// parsers normalize (\r, U+0085, U+2028) — all valid in XML 1.0.
func String(r *rand.Rand) string {
	pieces := [...]string{
		"a", "Z", "0", " ", "  ", "&", "<", ">", "\"", "'", "=", "+", "%", ".", "?", "#",
		"\n", "\r", "\r\n", "\t", "é", "日本", "\u0085", "\u2028", "\U0001F600", "]]>", "&amp;",
		"foo", "bar", "member", "entry", "1",
	}
	n := r.Intn(8)
	var sb strings.Builder
	for range n {
		sb.WriteString(pieces[r.Intn(len(pieces))])
	}
	return sb.String()
}

// Expected returns what a round trip through the XML or query encoding
// must give back for v: v itself, except that values of "float" shapes
// that are exactly a float32 travel at float32 precision (the codecs print
// float64(float32(1.2)) as "1.2", as AWS does), and nil members vanish.
func Expected(ref *model.Ref, v any) any {
	if v == nil || ref == nil {
		return v
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		for k, mv := range m {
			if mv == nil {
				continue
			}
			if mr, ok := sh.MemberByName(k); ok {
				out[k] = Expected(mr, mv)
			} else {
				out[k] = mv
			}
		}
		return out
	case model.List:
		l, ok := v.([]any)
		if !ok {
			return v
		}
		out := make([]any, len(l))
		for i, e := range l {
			out[i] = Expected(sh.Member, e)
		}
		return out
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		for k, e := range m {
			out[k] = Expected(sh.Value, e)
		}
		return out
	case model.Float:
		if f, ok := v.(float64); ok && float64(float32(f)) == f && !math.IsNaN(f) && !math.IsInf(f, 0) {
			g, _ := strconv.ParseFloat(strconv.FormatFloat(f, 'g', -1, 32), 64)
			return g
		}
	}
	return v
}
