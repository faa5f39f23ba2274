package xmlbody_test

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"math/rand"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody/xmlbodytest"
)

// decodeDoc reads the root element of doc as ref.
func decodeDoc(t testing.TB, doc []byte, ref *model.Ref) (any, error) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(doc))
	start, err := root(d)
	if err != nil {
		return nil, err
	}
	return xmlbody.Decode(d, start, ref)
}

func root(d *xml.Decoder) (xml.StartElement, error) {
	for {
		tok, err := d.Token()
		if err != nil {
			return xml.StartElement{}, err
		}
		if s, ok := tok.(xml.StartElement); ok {
			return s, nil
		}
	}
}

// bodyOnly keeps the members of a structure value that live in the body,
// without nil members at any depth.
func bodyOnly(sh *model.Shape, v any) map[string]any {
	m, _ := v.(map[string]any)
	out := map[string]any{}
	for k, mv := range m {
		if r, ok := sh.MemberByName(k); ok && r.Location == model.LocationBody && mv != nil {
			out[k] = xmlbodytest.Expected(r, mv)
		}
	}
	return out
}

// tokenFilled reports whether the client auto-filled an idempotency token
// member absent from params.
func tokenFilled(sh *model.Shape, params any) bool {
	m, _ := params.(map[string]any)
	for _, r := range sh.Members {
		if _, ok := m[r.Name]; r.IdempotencyToken && !ok {
			return true
		}
	}
	return false
}

// xmlCases are the vector cases whose body is an XML document for a
// structure: rest-xml requests and responses, and query/ec2 responses. ref
// is what the body encodes, want its normalized value.
type xmlCase struct {
	name string
	ref  *model.Ref
	body string
	want any
	// exact says the vector's bytes are what niwa must produce (modulo
	// empty-element spelling and map order): the body is exactly the
	// encoding of ref.
	exact bool
}

func xmlCases(t *testing.T) []xmlCase {
	var out []xmlCase
	for _, c := range protocoltest.Load(t, "input", "rest-xml") {
		op := c.Operation
		if op.Input == nil || c.Serialized == nil || !strings.HasPrefix(c.Serialized.Body, "<") {
			continue
		}
		sh := op.Input.Shape
		if p := sh.PayloadMember(); p != nil {
			params, _ := c.Params.(map[string]any)
			out = append(out, xmlCase{c.Name, p, c.Serialized.Body, protocoltest.Normalize(p, params[p.Name]), true})
			continue
		}
		ref := *op.Input
		if ref.LocationName == "" {
			ref.LocationName = sh.Name
		}
		if tokenFilled(sh, c.Params) {
			// The client filled in an idempotency token: the body is not
			// the encoding of the params.
			continue
		}
		out = append(out, xmlCase{c.Name, &ref, c.Serialized.Body, bodyOnly(sh, protocoltest.Normalize(op.Input, c.Params)), true})
	}
	for _, proto := range []string{"rest-xml", "query", "ec2"} {
		for _, c := range protocoltest.Load(t, "output", proto) {
			op := c.Operation
			if op.Output == nil || c.Response == nil || !strings.HasPrefix(c.Response.Body, "<") {
				continue
			}
			sh := op.Output.Shape
			ref := op.Output
			body := c.Response.Body
			want := any(bodyOnly(sh, protocoltest.Normalize(ref, c.Result)))
			if p := sh.PayloadMember(); p != nil {
				res, _ := c.Result.(map[string]any)
				ref, want = p, protocoltest.Normalize(p, res[p.Name])
			}
			if proto == "query" && op.Output.ResultWrapper != "" {
				body = innerElement(t, body, op.Output.ResultWrapper)
			}
			out = append(out, xmlCase{name: proto + ":" + c.Name, ref: ref, body: body, want: want})
		}
	}
	return out
}

// innerElement returns the first element called name inside doc.
func innerElement(t *testing.T, doc, name string) string {
	i := strings.Index(doc, "<"+name+">")
	j := strings.Index(doc, "</"+name+">")
	if i < 0 || j < 0 {
		t.Fatalf("no %s in %s", name, doc)
	}
	return doc[i : j+len(name)+3]
}

// TestVectorBodiesDecode decodes every XML body of the vectors: requests
// as niwa's rest-xml codec reads them, responses as a client would.
func TestVectorBodiesDecode(t *testing.T) {
	cases := xmlCases(t)
	t.Logf("%d vector bodies", len(cases))
	for _, c := range cases {
		got, err := decodeDoc(t, []byte(c.body), c.ref)
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if d := protocoltest.Diff(c.want, got); d != "" {
			t.Errorf("%s: decoding %s:\n%s", c.name, c.body, d)
		}
	}
}

// TestVectorBodiesEncode checks that encoding a request vector's params
// gives the vector's body, and that encoding any vector's value decodes
// back to it.
func TestVectorBodiesEncode(t *testing.T) {
	exact := 0
	defer func() { t.Logf("%d bodies compared byte for byte", exact) }()
	for _, c := range xmlCases(t) {
		var buf bytes.Buffer
		if err := xmlbody.Encode(&buf, c.ref, "", c.want); err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if c.exact { // map entries are written sorted, as the vectors have them
			exact++
			if w, g := canonical(t, c.body), canonical(t, buf.String()); w != g {
				t.Errorf("%s:\nwant %s\ngot  %s", c.name, c.body, buf.String())
			}
		}
		got, err := decodeDoc(t, buf.Bytes(), c.ref)
		if err != nil {
			t.Errorf("%s: decoding %s: %v", c.name, buf.String(), err)
			continue
		}
		if d := protocoltest.Diff(c.want, got); d != "" {
			t.Errorf("%s: round trip of %s:\n%s", c.name, buf.String(), d)
		}
	}
}

// canonical renders an XML document as a token list, so that <a/> and
// <a></a> (and <a /> ) compare equal and attribute order does not matter.
func canonical(t *testing.T, doc string) string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(doc))
	var sb strings.Builder
	for {
		tok, err := d.RawToken()
		if err == io.EOF {
			return sb.String()
		}
		if err != nil {
			t.Fatalf("canonical(%s): %v", doc, err)
		}
		switch x := tok.(type) {
		case xml.StartElement:
			var attrs []string
			for _, a := range x.Attr {
				attrs = append(attrs, a.Name.Space+":"+a.Name.Local+"="+a.Value)
			}
			sort.Strings(attrs)
			fmt.Fprintf(&sb, "<%s:%s %v>", x.Name.Space, x.Name.Local, attrs)
		case xml.EndElement:
			fmt.Fprintf(&sb, "</%s:%s>", x.Name.Space, x.Name.Local)
		case xml.CharData:
			fmt.Fprintf(&sb, "%q", string(x))
		}
	}
}

// TestRoundTripProperty encodes random values of every shape the XML
// vectors use and decodes them back.
func TestRoundTripProperty(t *testing.T) {
	var refs []*model.Ref
	var names []string
	for _, kind := range []string{"input", "output"} {
		for _, proto := range []string{"rest-xml", "query", "ec2"} {
			for _, c := range protocoltest.Load(t, kind, proto) {
				for _, r := range []*model.Ref{c.Operation.Input, c.Operation.Output} {
					if r != nil {
						refs = append(refs, r)
						names = append(names, kind+"/"+proto+"/"+c.Name)
					}
				}
			}
		}
	}
	r := rand.New(rand.NewSource(1))
	iterations := 40
	if testing.Short() {
		iterations = 5
	}
	for i, ref := range refs {
		for range iterations {
			v, ok := xmlbodytest.Value(r, ref, xmlbodytest.Rules{NonEmptyFlattened: true})
			if !ok {
				continue
			}
			var buf bytes.Buffer
			if err := xmlbody.Encode(&buf, ref, "", v); err != nil {
				t.Fatalf("%s: encode %#v: %v", names[i], v, err)
			}
			got, err := decodeDoc(t, buf.Bytes(), ref)
			if err != nil {
				t.Fatalf("%s: decode %s: %v", names[i], buf.String(), err)
			}
			if d := protocoltest.Diff(xmlbodytest.Expected(ref, v), got); d != "" {
				t.Fatalf("%s: round trip of %#v through %s:\n%s", names[i], v, buf.String(), d)
			}
		}
	}
}

func mustModel(t testing.TB, doc string) *model.Service {
	t.Helper()
	svc, err := model.Load([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

const testModel = `{
  "metadata": {"protocol": "rest-xml"},
  "operations": {"Op": {"name": "Op", "input": {"shape": "S", "locationName": "Root", "xmlNamespace": {"uri": "https://example.com/doc/"}}}},
  "shapes": {
    "S": {"type": "structure", "members": {
      "Kind": {"shape": "Str", "locationName": "xsi:type", "xmlAttribute": true},
      "Id": {"shape": "Str", "locationName": "id", "xmlAttribute": true},
      "Str": {"shape": "Str"},
      "Hdr": {"shape": "Str", "location": "header", "locationName": "x-hdr"},
      "Int": {"shape": "Int"},
      "Long": {"shape": "Long"},
      "F": {"shape": "F"},
      "D": {"shape": "D"},
      "B": {"shape": "Bool"},
      "T": {"shape": "T"},
      "T822": {"shape": "T", "timestampFormat": "rfc822"},
      "TUnix": {"shape": "T", "timestampFormat": "unixTimestamp"},
      "Blob": {"shape": "Blob"},
      "List": {"shape": "L"},
      "Flat": {"shape": "L", "flattened": true, "locationName": "FlatItem"},
      "Map": {"shape": "M"},
      "FlatMap": {"shape": "M", "flattened": true},
      "Child": {"shape": "S", "xmlNamespace": {"prefix": "xsi", "uri": "http://www.w3.org/2001/XMLSchema-instance"}}
    }},
    "Str": {"type": "string"},
    "Int": {"type": "integer"},
    "Long": {"type": "long"},
    "F": {"type": "float"},
    "D": {"type": "double"},
    "Bool": {"type": "boolean"},
    "T": {"type": "timestamp"},
    "Blob": {"type": "blob"},
    "L": {"type": "list", "member": {"shape": "Str", "locationName": "item"}},
    "M": {"type": "map", "key": {"shape": "Str", "locationName": "k"}, "value": {"shape": "S", "locationName": "v"}}
  }
}`

func TestEncodeExample(t *testing.T) {
	svc := mustModel(t, testModel)
	ref := svc.Operations["Op"].Input
	v := map[string]any{
		"Kind": "Canonical\"User\n", "Id": "a&b", "Str": "x<y>&z\r\n\tq", "Hdr": "not in body",
		"Int": int64(-7), "Long": int64(1) << 40, "F": float64(float32(1.2)), "D": 1e21, "B": true,
		"T":     time.Date(2015, 1, 25, 8, 0, 0, 123e6, time.UTC),
		"T822":  time.Date(2015, 1, 25, 8, 0, 0, 0, time.UTC),
		"TUnix": time.Date(2015, 1, 25, 8, 0, 0, 500e6, time.UTC),
		"Blob":  []byte("foo"), "List": []any{"a", ""}, "Flat": []any{"p", "q"},
		"Map":     map[string]any{"z": map[string]any{}, "a": map[string]any{"Str": "s"}},
		"FlatMap": map[string]any{"k1": map[string]any{"Int": int64(1)}},
		"Child":   map[string]any{"Kind": "Group"},
	}
	var buf bytes.Buffer
	if err := xmlbody.Encode(&buf, ref, "", v); err != nil {
		t.Fatal(err)
	}
	want := `<Root xmlns="https://example.com/doc/" xsi:type="Canonical&quot;User&#xA;" id="a&amp;b">` +
		`<Str>x&lt;y&gt;&amp;z&#xD;` + "\n\t" + `q</Str><Int>-7</Int><Long>1099511627776</Long><F>1.2</F><D>1e+21</D><B>true</B>` +
		`<T>2015-01-25T08:00:00.123Z</T><T822>Sun, 25 Jan 2015 08:00:00 GMT</T822><TUnix>1422172800.500</TUnix>` +
		`<Blob>Zm9v</Blob><List><item>a</item><item/></List><FlatItem>p</FlatItem><FlatItem>q</FlatItem>` +
		`<Map><entry><k>a</k><v><Str>s</Str></v></entry><entry><k>z</k><v/></entry></Map>` +
		`<FlatMap><k>k1</k><v><Int>1</Int></v></FlatMap>` +
		`<Child xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="Group"/></Root>`
	if buf.String() != want {
		t.Fatalf("got\n%s\nwant\n%s", buf.String(), want)
	}
	got, err := decodeDoc(t, buf.Bytes(), ref)
	if err != nil {
		t.Fatal(err)
	}
	delete(v, "Hdr")
	v["F"] = 1.2
	if d := protocoltest.Diff(v, got); d != "" {
		t.Fatal(d)
	}
}

func TestEncodeMembers(t *testing.T) {
	svc := mustModel(t, testModel)
	sh := svc.Shapes["S"]
	var buf bytes.Buffer
	buf.WriteString("<OpResult>")
	if err := xmlbody.EncodeMembers(&buf, sh, map[string]any{"Str": "a", "Id": "skipped", "Flat": []any{"x"}}); err != nil {
		t.Fatal(err)
	}
	buf.WriteString("</OpResult>")
	if want := `<OpResult><Str>a</Str><FlatItem>x</FlatItem></OpResult>`; buf.String() != want {
		t.Fatalf("got %s, want %s", buf.String(), want)
	}
	d := xml.NewDecoder(&buf)
	start, _ := root(d)
	got, err := xmlbody.DecodeMembers(d, start, sh)
	if err != nil {
		t.Fatal(err)
	}
	if diff := protocoltest.Diff(map[string]any{"Str": "a", "Flat": []any{"x"}}, got); diff != "" {
		t.Fatal(diff)
	}
}

func TestEncodeErrorsWriteNothing(t *testing.T) {
	svc := mustModel(t, testModel)
	ref := svc.Operations["Op"].Input
	for _, v := range []any{
		map[string]any{"Str": "ok", "Int": "seven"},
		map[string]any{"List": "not a list"},
		map[string]any{"Map": []any{}},
		map[string]any{"Child": map[string]any{"B": "yes"}},
		"not a struct",
	} {
		buf := bytes.NewBufferString("prefix")
		if err := xmlbody.Encode(buf, ref, "", v); err == nil {
			t.Errorf("%#v: no error", v)
		}
		if buf.String() != "prefix" {
			t.Errorf("%#v: wrote %q", v, buf.String())
		}
	}
	// A cyclic value is an error, not a stack overflow.
	cyc := map[string]any{}
	cyc["Child"] = cyc
	if err := xmlbody.Encode(&bytes.Buffer{}, ref, "", cyc); err == nil {
		t.Error("cyclic value encoded")
	}
}

func TestEncodeLenientGoTypes(t *testing.T) {
	svc := mustModel(t, testModel)
	ref := svc.Operations["Op"].Input
	type enum string
	v := map[string]any{"Str": enum("E"), "Int": 3, "Long": uint16(4), "D": float32(0.5), "List": []string{"a"}, "Map": map[string]map[string]any{"k": {}}}
	var buf bytes.Buffer
	if err := xmlbody.Encode(&buf, ref, "R", v); err != nil {
		t.Fatal(err)
	}
	want := `<R xmlns="https://example.com/doc/"><Str>E</Str><Int>3</Int><Long>4</Long><D>0.5</D><List><item>a</item></List><Map><entry><k>k</k><v/></entry></Map></R>`
	if buf.String() != want {
		t.Fatalf("got %s", buf.String())
	}
}

func TestDecodeLenient(t *testing.T) {
	svc := mustModel(t, testModel)
	ref := svc.Operations["Op"].Input
	doc := `<?xml version="1.0"?><!-- c --><x:Root xmlns:x="urn:x" xmlns:i="http://www.w3.org/2001/XMLSchema-instance" i:type="T" id="1">
	  <x:Str>keep  spaces </x:Str><Unknown><Str>no</Str></Unknown>
	  <Int> 42 </Int><B>True</B><D>-Infinity</D><F>NaN</F>
	  <T>1422172800</T><T822>2015-01-25T08:00:00Z</T822><TUnix>Sun, 25 Jan 2015 08:00:00 GMT</TUnix>
	  <Blob>Zm9
	  v</Blob><List><member>a</member><other>b</other></List>
	  <Flat>f1</Flat><FlatItem>f2</FlatItem>
	  <Hdr>ignored</Hdr>
	  <Map><entry><k>only key</k></entry><entry><v/><k>k2</k></entry></Map>
	</x:Root>`
	got, err := decodeDoc(t, []byte(doc), ref)
	if err != nil {
		t.Fatal(err)
	}
	ts := time.Date(2015, 1, 25, 8, 0, 0, 0, time.UTC)
	want := map[string]any{
		"Kind": "T", "Id": "1", "Str": "keep  spaces ", "Int": int64(42), "B": true, "D": math.Inf(-1), "F": math.NaN(),
		"T": ts, "T822": ts, "TUnix": ts, "Blob": []byte("foo"), "List": []any{"a", "b"}, "Flat": []any{"f1", "f2"},
		"Map": map[string]any{"k2": map[string]any{}},
	}
	if d := protocoltest.Diff(want, got); d != "" {
		t.Fatal(d)
	}
}

func TestDecodeErrors(t *testing.T) {
	svc := mustModel(t, testModel)
	ref := svc.Operations["Op"].Input
	for _, doc := range []string{
		`<Root><Int>x</Int></Root>`,
		`<Root><Int>2147483648</Int></Root>`,
		`<Root><B>yes</B></Root>`,
		`<Root><T>yesterday</T></Root>`,
		`<Root><T>99999999999999</T></Root>`,
		`<Root><Blob>!!!</Blob></Root>`,
		`<Root><Child><Child><Int>x</Int></Child></Child></Root>`,
		`<Root id="1" id="2"><Str>a</Str>`,
		`<Root><Str>a</Root>`,
		`<Root><Str>&bogus;</Str></Root>`,
		`<Root>`,
		strings.Repeat("<Child>", 300) + strings.Repeat("</Child>", 300),
	} {
		d := xml.NewDecoder(strings.NewReader(doc))
		start, err := root(d)
		if err != nil {
			continue
		}
		if _, err := xmlbody.DecodeMembers(d, start, ref.Shape); err == nil {
			t.Errorf("%.60s: no error", doc)
		}
	}
	_, err := decodeDoc(t, []byte(`<Root><Child><Int>x</Int></Child></Root>`), ref)
	if err == nil || !strings.Contains(err.Error(), "Root/Child/Int") {
		t.Errorf("error lacks path: %v", err)
	}
}

func TestFormatFloat(t *testing.T) {
	for _, c := range []struct {
		f    float64
		bits int
		want string
	}{
		{1.2, 64, "1.2"}, {1.3, 32, "1.3"}, {float64(float32(1.2)), 32, "1.2"}, {float64(float32(1.2)), 64, "1.2000000476837158"},
		{200, 64, "200"}, {0, 64, "0"}, {-0.5, 64, "-0.5"}, {0.001, 64, "0.001"}, {1e20, 64, "100000000000000000000"},
		{1e21, 64, "1e+21"}, {1e-7, 64, "1e-07"}, {math.NaN(), 64, "NaN"}, {math.Inf(1), 64, "Infinity"}, {math.Inf(-1), 32, "-Infinity"},
		{1.00000001, 32, "1.00000001"},
	} {
		if got := xmlbody.FormatFloat(c.f, c.bits); got != c.want {
			t.Errorf("FormatFloat(%v, %d) = %s, want %s", c.f, c.bits, got, c.want)
		}
	}
}

func TestTimestamps(t *testing.T) {
	ts := time.Date(2015, 1, 25, 8, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		t      time.Time
		format string
		want   string
	}{
		{ts, "", "2015-01-25T08:00:00Z"},
		{ts, model.ISO8601, "2015-01-25T08:00:00Z"},
		{ts.Add(123456789), model.ISO8601, "2015-01-25T08:00:00.123Z"},
		{ts.Add(999999), model.ISO8601, "2015-01-25T08:00:00Z"},
		{ts, model.RFC822, "Sun, 25 Jan 2015 08:00:00 GMT"},
		{ts.Add(5e8), model.RFC822, "Sun, 25 Jan 2015 08:00:00 GMT"},
		{ts, model.UnixTimestamp, "1422172800"},
		{ts.Add(5e8), model.UnixTimestamp, "1422172800.500"},
		{time.Unix(-1, -5e8), model.UnixTimestamp, "-1.500"},
		{ts.In(time.FixedZone("X", 3600)), "", "2015-01-25T08:00:00Z"},
	} {
		if got := xmlbody.FormatTimestamp(c.t, c.format); got != c.want {
			t.Errorf("FormatTimestamp(%v, %q) = %s, want %s", c.t, c.format, got, c.want)
		}
	}
	for in, want := range map[string]time.Time{
		"2015-01-25T08:00:00Z":          ts,
		"2015-01-25T08:00:00.5Z":        ts.Add(5e8),
		"2015-01-25T08:00:00.123456Z":   ts.Add(123456000),
		"2015-01-25T09:00:00+01:00":     ts,
		"2015-01-25T09:00:00+0100":      ts,
		"2015-01-25T08:00:00":           ts,
		"20150125T080000Z":              ts,
		"Sun, 25 Jan 2015 08:00:00 GMT": ts,
		"Sun, 25 Jan 2015 08:00:00 UTC": ts,
		"1422172800":                    ts,
		" 1422172800.5 ":                ts.Add(5e8),
		"1.4221728e9":                   ts,
		"-1.5":                          time.Unix(-1, -5e8),
	} {
		got, err := xmlbody.ParseTimestamp(in)
		if err != nil || !got.Equal(want) || got.Location() != time.UTC {
			t.Errorf("ParseTimestamp(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "x", "1e400", "NaN", "10000-01-01T00:00:00Z", "--1", "99999999999999"} {
		if got, err := xmlbody.ParseTimestamp(in); err == nil {
			t.Errorf("ParseTimestamp(%q) = %v, want error", in, got)
		}
	}
}

func TestEscapeRoundTrip(t *testing.T) {
	svc := mustModel(t, testModel)
	ref := svc.Operations["Op"].Input
	for _, s := range []string{"a\r\nb", "\r", " lead", "trail\t", "\"quote' ", "]]>", "\u0085\u2028", "😀", "a\x00b", "bad\xffutf8"} {
		v := map[string]any{"Str": s, "Id": s}
		var buf bytes.Buffer
		if err := xmlbody.Encode(&buf, ref, "", v); err != nil {
			t.Fatal(err)
		}
		got, err := decodeDoc(t, buf.Bytes(), ref)
		if err != nil {
			t.Fatalf("%q: %s: %v", s, buf.String(), err)
		}
		want := strings.ToValidUTF8(strings.ReplaceAll(s, "\x00", "\uFFFD"), "\uFFFD")
		m := got.(map[string]any)
		if m["Str"] != want || m["Id"] != want {
			t.Errorf("%q through %s: got %q / %q", s, buf.String(), m["Str"], m["Id"])
		}
	}
}
