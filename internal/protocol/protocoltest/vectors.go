// Package protocoltest reads AWS's protocol test vectors
// (models/protocol_tests in github.com/aws/aws-sdk-go) for the codec
// conformance suites. The vectors are written from the client's side; the
// codecs read them in reverse: an input case's serialized HTTP request must
// decode to its params, and an output case's result must encode to a
// response that decodes, by the client's rules, back to the result.
package protocoltest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/sdkmodels"
)

// Case is one test vector.
type Case struct {
	// Name is "<suite description>/<case index>", stable across runs so
	// exception lists can name it.
	Name         string
	Service      *model.Service
	Operation    *model.Operation
	Params       any // input cases: the decoded request, as the vector's JSON
	Serialized   *Serialized
	Result       any // output cases: the decoded response, as the vector's JSON
	Response     *Response
	ErrorCode    string // output error cases
	ErrorMessage string
}

// Serialized is the HTTP request of an input case.
type Serialized struct {
	Method        string            `json:"method"`
	URI           string            `json:"uri"`
	Host          string            `json:"host"`
	Headers       map[string]string `json:"headers"`
	ForbidHeaders []string          `json:"forbidHeaders"`
	Body          string            `json:"body"`
}

// Response is the HTTP response of an output case.
type Response struct {
	StatusCode int               `json:"status_code"`
	Headers    map[string]string `json:"headers"`
	Body       string            `json:"body"`
}

// Dir is the protocol_tests directory of the aws-sdk-go module.
func Dir(t testing.TB) string {
	t.Helper()
	dir, err := sdkmodels.ProtocolTests()
	if err != nil {
		t.Fatalf("locating aws-sdk-go's protocol tests: %v", err)
	}
	return dir
}

// Load reads the cases of kind ("input" or "output") for protocol
// ("query", "ec2", "json", "rest-json", "rest-xml").
func Load(t testing.TB, kind, protocol string) []Case {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(Dir(t), kind, protocol+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var suites []struct {
		Description    string            `json:"description"`
		Metadata       json.RawMessage   `json:"metadata"`
		ClientEndpoint string            `json:"clientEndpoint"`
		Shapes         json.RawMessage   `json:"shapes"`
		Cases          []json.RawMessage `json:"cases"`
	}
	if err := json.Unmarshal(data, &suites); err != nil {
		t.Fatal(err)
	}
	var cases []Case
	for _, s := range suites {
		for i, raw := range s.Cases {
			var c struct {
				Given        json.RawMessage `json:"given"`
				Params       json.RawMessage `json:"params"`
				Serialized   *Serialized     `json:"serialized"`
				Result       json.RawMessage `json:"result"`
				Response     *Response       `json:"response"`
				Error        json.RawMessage `json:"error"`
				ErrorCode    string          `json:"errorCode"`
				ErrorMessage string          `json:"errorMessage"`
			}
			if err := json.Unmarshal(raw, &c); err != nil {
				t.Fatal(err)
			}
			var given struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(c.Given, &given)
			doc := fmt.Sprintf(`{"metadata":%s,"shapes":%s,"operations":{%q:%s}}`, s.Metadata, s.Shapes, given.Name, c.Given)
			svc, err := model.Load([]byte(doc))
			if err != nil {
				t.Fatalf("%s case %d: %v", s.Description, i, err)
			}
			cs := Case{
				Name:         fmt.Sprintf("%s/%d", s.Description, i),
				Service:      svc,
				Operation:    svc.Operations[given.Name],
				Serialized:   c.Serialized,
				Response:     c.Response,
				ErrorCode:    c.ErrorCode,
				ErrorMessage: c.ErrorMessage,
			}
			if len(c.Params) > 0 {
				cs.Params = decodeJSON(c.Params)
			}
			if len(c.Result) > 0 {
				cs.Result = decodeJSON(c.Result)
			}
			if cs.Serialized != nil && cs.Serialized.Host == "" && s.ClientEndpoint != "" {
				cs.Serialized.Host = strings.TrimPrefix(strings.TrimPrefix(s.ClientEndpoint, "https://"), "http://")
			}
			cases = append(cases, cs)
		}
	}
	return cases
}

func decodeJSON(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	_ = dec.Decode(&v)
	return v
}

// Normalize converts a vector's JSON value (params or result) for ref into
// the dynamic value conventions of internal/model, so it compares with what
// a codec produced: numbers become int64/float64, timestamps (epoch
// seconds in the vectors) time.Time, blobs []byte.
func Normalize(ref *model.Ref, v any) any {
	if v == nil || ref == nil {
		return v
	}
	if ref.JSONValue {
		return normalizeDocument(v)
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
			if mr, ok := sh.MemberByName(k); ok {
				out[k] = Normalize(mr, mv)
			} else {
				out[k] = normalizeDocument(mv)
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
			out[i] = Normalize(sh.Member, e)
		}
		return out
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		out := map[string]any{}
		for k, mv := range m {
			out[k] = Normalize(sh.Value, mv)
		}
		return out
	case model.Integer, model.Long:
		if n, ok := v.(json.Number); ok {
			i, err := n.Int64()
			if err == nil {
				return i
			}
		}
	case model.Float, model.Double:
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			return f
		}
		if s, ok := v.(string); ok { // "NaN", "Infinity"
			switch s {
			case "NaN":
				return math.NaN()
			case "Infinity":
				return math.Inf(1)
			case "-Infinity":
				return math.Inf(-1)
			}
		}
	case model.Timestamp:
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			sec, frac := math.Modf(f)
			return time.Unix(int64(sec), int64(math.Round(frac*1e3))*1e6).UTC()
		}
	case model.Blob:
		if s, ok := v.(string); ok {
			return []byte(s)
		}
	case model.Document:
		return normalizeDocument(v)
	}
	return v
}

// normalizeDocument turns json.Number into float64, as encoding/json
// decodes a document by default.
func normalizeDocument(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			out[k] = normalizeDocument(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalizeDocument(e)
		}
		return out
	}
	return v
}

// Diff describes how got differs from want ("" when equal). Timestamps
// compare by instant, floats NaN-aware, and an empty map or list equals an
// absent one only where want has it empty too.
func Diff(want, got any) string {
	var diffs []string
	diff("", want, got, &diffs)
	sort.Strings(diffs)
	return strings.Join(diffs, "\n")
}

func diff(path string, want, got any, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			*out = append(*out, fmt.Sprintf("%s: want map %v, got %T %v", path, w, got, got))
			return
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: missing (want %v)", path, k, wv))
				continue
			}
			diff(path+"."+k, wv, gv, out)
		}
		for k, gv := range g {
			if _, ok := w[k]; !ok {
				*out = append(*out, fmt.Sprintf("%s.%s: unexpected %T %v", path, k, gv, gv))
			}
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			*out = append(*out, fmt.Sprintf("%s: want list %v, got %T %v", path, w, got, got))
			return
		}
		for i := range w {
			diff(fmt.Sprintf("%s[%d]", path, i), w[i], g[i], out)
		}
	case time.Time:
		g, ok := got.(time.Time)
		if !ok || !g.Equal(w) {
			*out = append(*out, fmt.Sprintf("%s: want %v, got %T %v", path, w, got, got))
		}
	case float64:
		g, ok := got.(float64)
		if !ok || !(g == w || (math.IsNaN(g) && math.IsNaN(w))) {
			*out = append(*out, fmt.Sprintf("%s: want float64 %v, got %T %v", path, w, got, got))
		}
	default:
		if !reflect.DeepEqual(want, got) {
			*out = append(*out, fmt.Sprintf("%s: want %T %v, got %T %v", path, want, want, got, got))
		}
	}
}
