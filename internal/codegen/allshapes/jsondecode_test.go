package allshapes

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"math"
	"math/rand"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	secretsmanagerapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// jsonSpecs are the API packages served in the JSON 1.0/1.1 protocol
// (CloudWatch as one of its protocols).
func jsonSpecs() []api.Spec {
	return []api.Spec{acmapi.Spec(), athenaapi.Spec(), cloudtrailapi.Spec(), cloudwatchapi.Spec(),
		dynamodbapi.Spec(), dynamodbstreamsapi.Spec(), ecrapi.Spec(), eventsapi.Spec(), glueapi.Spec(),
		kmsapi.Spec(), logsapi.Spec(), secretsmanagerapi.Spec(), sqsapi.Spec(), ssmapi.Spec(), wafv2api.Spec()}
}

// jsonInput is one operation's input: its model shape and Go type.
type jsonInput struct {
	name string
	sh   *model.Shape
	typ  reflect.Type
}

func jsonInputs(t testing.TB) []jsonInput {
	all := All()
	var ins []jsonInput
	for _, spec := range jsonSpecs() {
		m, err := spec.Model()
		if err != nil {
			t.Fatal(err)
		}
		types := typesByName(all[spec.Name])
		for _, name := range spec.Operations {
			op := m.Operations[name]
			if op.Input == nil {
				continue
			}
			typ, ok := types[typeName(op.Input.Shape.Name)]
			if !ok {
				t.Fatalf("%s %s: no Go type for %s", spec.Name, name, op.Input.Shape.Name)
			}
			ins = append(ins, jsonInput{spec.Name + "." + name, op.Input.Shape, typ})
		}
	}
	return ins
}

// decodeBoth decodes body the tree way (DecodeStructure, then the
// Converter) and the typed way. It fails t if the typed decoder
// succeeded where the tree path did not, or built a different value, or
// a value whose tree form (what the gateway validates and records) is
// not the decoded tree. It reports whether each succeeded.
func decodeBoth(t testing.TB, in jsonInput, body []byte) (treeOK, typedOK bool) {
	t.Helper()
	want := reflect.New(in.typ)
	tree, err := jsonbody.DecodeStructure(body, in.sh, false)
	var conv api.Converter
	if err == nil {
		err = conv.ToTyped(tree, want.Interface())
	}
	got := reflect.New(in.typ)
	typed := got.Interface().(api.Typed)
	tab, i := typed.ConvType()
	gotErr := jsonbody.DecodeTyped(body, in.sh, false, tab, i, got.UnsafePointer())
	if gotErr != nil && gotErr != jsonbody.ErrUseTree {
		t.Fatalf("%s: DecodeTyped(%s) = %v, not ErrUseTree", in.name, body, gotErr)
	}
	if gotErr == nil {
		if err != nil {
			t.Fatalf("%s: DecodeTyped(%s) succeeded, the tree path says %v", in.name, body, err)
		}
		if !equalNaN(got, want) {
			t.Fatalf("%s: DecodeTyped(%s) =\n%#v\nthe tree path gives\n%#v", in.name, body, got.Elem().Interface(), want.Elem().Interface())
		}
		dyn := conv.ToDynamic(got.Interface())
		if !equalNaN(reflect.ValueOf(dyn), reflect.ValueOf(tree)) && !(len(dyn) == 0 && len(tree) == 0) {
			t.Fatalf("%s: DecodeTyped(%s)'s tree form\n%#v\nis not the decoded tree\n%#v", in.name, body, dyn, tree)
		}
	}
	return err == nil, gotErr == nil
}

// equalNaN is reflect.DeepEqual with NaN equal to NaN (a Double member
// may be "NaN" on the wire).
func equalNaN(a, b reflect.Value) bool {
	if a.IsValid() != b.IsValid() {
		return false
	}
	if !a.IsValid() {
		return true
	}
	if a.Type() != b.Type() {
		return false
	}
	switch a.Kind() {
	case reflect.Float32, reflect.Float64:
		x, y := a.Float(), b.Float()
		return x == y || math.IsNaN(x) && math.IsNaN(y)
	case reflect.Pointer, reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		if _, ok := a.Interface().(io.Reader); ok && a.Elem().Kind() == reflect.Pointer {
			// A streaming payload: two requests' bodies, each the
			// request's own reader, alike in type.
			return a.Elem().Type() == b.Elem().Type()
		}
		return equalNaN(a.Elem(), b.Elem())
	case reflect.Struct:
		if a.Type() == reflect.TypeFor[time.Time]() {
			return reflect.DeepEqual(a.Interface(), b.Interface())
		}
		for i := range a.NumField() {
			if !equalNaN(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	case reflect.Slice:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !equalNaN(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); !bv.IsValid() || !equalNaN(a.MapIndex(k), bv) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a.Interface(), b.Interface())
}

// TestDecodeTypedMatchesTree: for every operation of every JSON-protocol
// service, seeded random wire bodies — valid ones, and ones with a
// wrongly typed or out-of-range value, malformed JSON, nulls, duplicate
// and unknown keys, escapes, every number and timestamp form — decode
// straight into the typed input (jsonbody.DecodeTyped) to the value the
// tree path (DecodeStructure, then Converter.ToTyped) builds, whose tree
// form is the decoded tree; or DecodeTyped leaves the body to the tree
// path (ErrUseTree), which words the error. A body with nothing the
// typed decoder leaves to the tree on purpose (sparse lists, float32s
// that are not the number sent) must decode typed exactly when the tree
// path succeeds.
func TestDecodeTypedMatchesTree(t *testing.T) {
	ins := jsonInputs(t)
	if len(ins) < 500 {
		t.Fatalf("only %d JSON operations", len(ins))
	}
	var tally decodeTally
	for k, in := range ins {
		r := rand.New(rand.NewSource(int64(k) * 7919))
		for n := range 24 {
			g := &bodyGen{r: r, wrongRate: []float64{0, 0, 0.05, 0.2}[n%4], frills: n%3 != 0}
			body := g.body(in.sh)
			treeOK, ok := decodeBoth(t, in, body)
			tally.add(t, ok, treeOK, g.lossy, fmt.Sprintf("%s: %s", in.name, body))
		}
	}
	tally.check(t, len(ins), "bodies", "sparse lists, float32s")
}

// bodyGen writes random JSON bodies for a shape.
type bodyGen struct {
	r         *rand.Rand
	wrongRate float64 // the chance of a wrongly typed value
	frills    bool    // duplicate and unknown keys, nulls, white space
	lossy     bool    // wrote something the typed decoder leaves to the tree
}

func (g *bodyGen) body(sh *model.Shape) []byte {
	var b bytes.Buffer
	switch g.r.Intn(40) {
	case 0:
		return nil
	case 1:
		return []byte(" \n ")
	}
	g.structure(&b, sh, 0)
	out := b.Bytes()
	switch g.r.Intn(30) {
	case 0:
		out = out[:g.r.Intn(len(out))] // cut short
	case 1:
		out = append(out, " {}"...) // trailing data
	case 2:
		out = append([]byte("\t"), append(out, "\r\n"...)...)
	case 3:
		out = []byte(`[]`)
	case 4:
		out = append(out[:len(out):len(out)], 0xff)
	}
	return out
}

func (g *bodyGen) ws(b *bytes.Buffer) {
	if g.frills && g.r.Intn(8) == 0 {
		b.WriteString([]string{" ", "\n", "\t ", "\r\n"}[g.r.Intn(4)])
	}
}

func (g *bodyGen) structure(b *bytes.Buffer, sh *model.Shape, depth int) {
	b.WriteByte('{')
	first := true
	sep := func() {
		if !first {
			b.WriteByte(',')
		}
		first = false
		g.ws(b)
	}
	for _, mr := range sh.Members {
		if g.r.Intn(3) == 0 || depth > 3 && aggregate(mr.Shape) {
			continue
		}
		times := 1
		if g.frills && g.r.Intn(20) == 0 {
			// A duplicate key: the last counts. The typed decoder
			// leaves the body to the tree if the first is wrong.
			times, g.lossy = 2, true
		}
		for range times {
			sep()
			writeString(b, jsonbody.WireName(mr))
			b.WriteByte(':')
			g.ws(b)
			if g.frills && g.r.Intn(15) == 0 {
				b.WriteString("null")
			} else {
				g.value(b, mr, depth+1)
			}
		}
	}
	if g.frills && g.r.Intn(5) == 0 {
		sep()
		b.WriteString(`"NotAMember":{"x":[1,"y",null]}`)
	}
	g.ws(b)
	b.WriteByte('}')
}

func aggregate(sh *model.Shape) bool {
	return sh.Type == model.Structure || sh.Type == model.List || sh.Type == model.Map || sh.Type == model.Document
}

func writeString(b *bytes.Buffer, s string) { b.WriteString(strconv.Quote(s)) }

var jsonStrings = []string{`"abc"`, `""`, `"a\"b\\c"`, `"\u00e9t\u00e9"`, `"\ud83d\ude00"`, `"\ud800x"`, `"tab\there\n"`, `"\/slash"`, `"日本"`,
	`"arn:aws:sqs:us-east-1:000000000000:q"`}

func (g *bodyGen) value(b *bytes.Buffer, ref *model.Ref, depth int) {
	if g.r.Float64() < g.wrongRate {
		b.WriteString([]string{`"wrong"`, `12`, `true`, `[1]`, `{"a":1}`, `1.5`, `-3e2`}[g.r.Intn(7)])
		return
	}
	if ref.JSONValue {
		b.WriteString([]string{`"{\"a\":[1,2.5,null]}"`, `"null"`, `"not json"`, `"\"s\""`}[g.r.Intn(4)])
		return
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		g.structure(b, sh, depth)
	case model.List:
		b.WriteByte('[')
		for i := range g.r.Intn(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			g.ws(b)
			if g.frills && g.r.Intn(25) == 0 {
				b.WriteString("null")
				g.lossy = true
				continue
			}
			g.value(b, sh.Member, depth+1)
		}
		b.WriteByte(']')
	case model.Map:
		b.WriteByte('{')
		keys := []string{"k1", "k2", "Name", "k\\u00e9"}
		for i := range g.r.Intn(4) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"` + keys[g.r.Intn(len(keys))] + `":`)
			if g.frills && g.r.Intn(15) == 0 {
				b.WriteString("null")
				continue
			}
			g.lossy = true // keys repeat: the last counts, as above
			g.value(b, sh.Value, depth+1)
		}
		b.WriteByte('}')
	case model.String, model.Character:
		if len(sh.Enum) > 0 && g.r.Intn(2) == 0 {
			writeString(b, sh.Enum[g.r.Intn(len(sh.Enum))])
			return
		}
		b.WriteString(jsonStrings[g.r.Intn(len(jsonStrings))])
	case model.Integer, model.Long:
		b.WriteString([]string{"0", "1", "-7", "42", "100", "1.0", "1e2", "-0", "2147483647", "2147483648", "-2147483649",
			"9223372036854775807", "9223372036854775808", "1.5", "1E3", "12345678901"}[g.r.Intn(16)])
	case model.Float, model.Double:
		v := []string{"0", "1.5", "0.1", "-2.25", "1e10", "3", `"NaN"`, `"Infinity"`, `"-Infinity"`, "1e400", `"1.5"`,
			"0.123456789012345", "1e-50"}[g.r.Intn(13)]
		if sh.Type == model.Float && (v == "0.123456789012345" || v == "1e-50" || v == "1e400" || v == "1e10") {
			g.lossy = true // a float32 that is not the number sent (or overflows)
		}
		b.WriteString(v)
	case model.Boolean:
		b.WriteString([]string{"true", "false"}[g.r.Intn(2)])
	case model.Timestamp:
		b.WriteString([]string{"1700000000", "1700000000.123", "1.7e9", `"2024-01-02T03:04:05Z"`, `"2024-01-02T03:04:05.5+01:00"`,
			`"Tue, 02 Jan 2024 03:04:05 GMT"`, `"1700000000"`, `"yesterday"`, "-1", "1700000000.1234567891234567891"}[g.r.Intn(10)])
	case model.Blob:
		raw := make([]byte, g.r.Intn(6))
		g.r.Read(raw)
		switch g.r.Intn(4) {
		case 0:
			writeString(b, base64.RawStdEncoding.EncodeToString(raw))
		case 1:
			b.WriteString(`"!!notbase64"`)
		default:
			writeString(b, base64.StdEncoding.EncodeToString(raw))
		}
	case model.Document:
		b.WriteString([]string{`{"a":[1,2.5,{"b":null}],"c":"d"}`, `[]`, `"s"`, `12`, `true`, `{"n":1e400}`}[g.r.Intn(6)])
	default:
		b.WriteString(fmt.Sprintf("%q", sh.Type))
	}
}

// TestDecodeTypedNesting: a body nested deeper than the decoder's limit
// is left to the tree path, which answers its error.
func TestDecodeTypedNesting(t *testing.T) {
	var in jsonInput
	for _, x := range jsonInputs(t) {
		if x.name == "dynamodb.PutItem" {
			in = x
		}
	}
	deep := func(n int) []byte {
		s := `{"TableName":"t","Item":{"a":` + strings.Repeat(`{"L":[`, n) + `{"S":"x"}` + strings.Repeat(`]}`, n) + `}}`
		return []byte(s)
	}
	for _, n := range []int{1, 100, 254, 255, 256, 300} {
		treeOK, typedOK := decodeBoth(t, in, deep(n))
		if treeOK != typedOK {
			t.Errorf("depth %d: tree %v, typed %v", n, treeOK, typedOK)
		}
	}
}

// FuzzDecodeTyped: for any body, decoding into one of a few operations'
// typed inputs never panics, and succeeds only with the value (and tree
// form) the tree path gives. The corpus is under testdata/fuzz.
func FuzzDecodeTyped(f *testing.F) {
	names := []string{"dynamodb.PutItem", "dynamodb.Query", "sqs.SendMessage", "kms.Encrypt", "logs.PutLogEvents", "events.PutEvents", "glue.CreateTable"}
	var ins []jsonInput
	for _, x := range jsonInputs(f) {
		if slices.Contains(names, x.name) {
			ins = append(ins, x)
		}
	}
	if len(ins) != len(names) {
		f.Fatalf("found %d of %d operations", len(ins), len(names))
	}
	f.Add(uint8(0), []byte(`{"TableName":"t","Item":{"pk":{"S":"a"},"l":{"L":[{"N":"1"},{"M":{"x":{"B":"AAE="}}}]}}}`))
	f.Add(uint8(2), []byte(`{"QueueUrl":"http://q","MessageBody":"hi","DelaySeconds":1.0,"MessageAttributes":{"a":{"DataType":"String","StringValue":"\u00e9"}}}`))
	f.Add(uint8(3), []byte(`{"KeyId":"k","Plaintext":"aGk=","EncryptionContext":{"a":"b","a":null}}`))
	f.Add(uint8(5), []byte(`{"Entries":[{"Time":1700000000.5,"Detail":"{}","Resources":[]}]}`))
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		decodeBoth(t, ins[int(op)%len(ins)], body)
	})
}

// BenchmarkDecodeJSON compares the tree path (DecodeStructure, then the
// Converter) with DecodeTyped on a DynamoDB PutItem body.
func BenchmarkDecodeJSON(b *testing.B) {
	var in jsonInput
	for _, x := range jsonInputs(b) {
		if x.name == "dynamodb.PutItem" {
			in = x
		}
	}
	body := []byte(`{"TableName":"bench-put","Item":{"pk":{"S":"p12"},"sk":{"N":"12"},"payload":{"S":"` + strings.Repeat("x", 64) +
		`"},"n":{"N":"3.5"},"tags":{"SS":["a","b","c"]},"m":{"M":{"k":{"S":"v"},"b":{"BOOL":true}}}},"ReturnValues":"NONE"}`)
	b.Run("tree", func(b *testing.B) {
		var conv api.Converter
		b.ReportAllocs()
		for b.Loop() {
			tree, err := jsonbody.DecodeStructure(body, in.sh, false)
			if err != nil {
				b.Fatal(err)
			}
			if err := conv.ToTyped(tree, reflect.New(in.typ).Interface()); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("typed", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			v := reflect.New(in.typ)
			tab, i := v.Interface().(api.Typed).ConvType()
			if err := jsonbody.DecodeTyped(body, in.sh, false, tab, i, v.UnsafePointer()); err != nil {
				b.Fatal(err)
			}
		}
	})
}
