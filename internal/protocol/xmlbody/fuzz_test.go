package xmlbody_test

import (
	"bytes"
	"encoding/xml"
	"testing"

	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"github.com/niwa-cloud/niwa/internal/protocol/xmlbody"
)

// FuzzXMLDecode feeds arbitrary documents to DecodeMembers against a
// recursive model with every trait. Decoding must never panic, and what
// decodes must encode, and settle: after one encode/decode round (which
// may drop sub-millisecond time and float32 noise) a second changes
// nothing.
func FuzzXMLDecode(f *testing.F) {
	for _, seed := range []string{
		`<Root><Str>a</Str></Root>`,
		`<Root xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:type="T" id="i"><Child xsi:type="U"><Int>1</Int></Child></Root>`,
		`<Root><List><item>a</item><item/></List><FlatItem>x</FlatItem><Flat>y</Flat></Root>`,
		`<Root><Map><entry><k>a</k><v><Str>b</Str></v></entry></Map><FlatMap><k>q</k><v/></FlatMap></Root>`,
		`<Root><T>2015-01-25T08:00:00.123456Z</T><T822>Sun, 25 Jan 2015 08:00:00 GMT</T822><TUnix>1.5</TUnix></Root>`,
		`<Root><F>1.00000001</F><D>NaN</D><B>true</B><Blob>Zm9v</Blob><Long>-9223372036854775808</Long></Root>`,
		`<Root><Str>&#xD;&amp;&lt;</Str><Child><Child><Child/></Child></Child></Root>`,
	} {
		f.Add([]byte(seed))
	}
	svc := mustModel(f, testModel)
	sh := svc.Shapes["S"]
	ref := svc.Operations["Op"].Input
	f.Fuzz(func(t *testing.T, doc []byte) {
		d := xml.NewDecoder(bytes.NewReader(doc))
		start, err := root(d)
		if err != nil {
			return
		}
		v1, err := xmlbody.DecodeMembers(d, start, sh)
		if err != nil {
			return
		}
		roundTrip := func(v any) any {
			var buf bytes.Buffer
			if err := xmlbody.Encode(&buf, ref, "", v); err != nil {
				t.Fatalf("encoding decoded value %#v: %v", v, err)
			}
			got, err := decodeDoc(t, buf.Bytes(), ref)
			if err != nil {
				t.Fatalf("decoding own encoding %s: %v", buf.String(), err)
			}
			return got
		}
		v2 := roundTrip(v1)
		v3 := roundTrip(v2)
		if diff := protocoltest.Diff(v2, v3); diff != "" {
			t.Fatalf("round trip not stable for %q:\n%s", doc, diff)
		}
	})
}
