package rpcv2cbor

import (
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// FuzzDecode: any body decodes to an input or a SerializationException,
// never a panic, and what decodes encodes back.
func FuzzDecode(f *testing.F) {
	svc := testService(f)
	op := svc.Operations["Put"]
	for _, seed := range []any{
		map[string]any{"When": cbor.Tag{Number: 1, Content: 1.5}, "Names": []any{"a"}, "Tags": map[string]any{"k": "v"}},
		map[string]any{"N": 1, "L": -1, "D": 2.5, "Doc": map[string]any{"x": []any{1, nil}}},
		[]any{1, 2},
	} {
		b, _ := cbor.Marshal(seed)
		f.Add(b)
	}
	f.Add([]byte{0xbf, 0xff})
	f.Add([]byte{0x9f, 0x9f, 0xff})
	codec := New()
	f.Fuzz(func(t *testing.T, body []byte) {
		in, err := codec.Decode(op, newReq("POST", "/service/GraniteServiceVersion20100801/operation/Put", body, true))
		if err != nil {
			return
		}
		if _, err := encodeValue(op.Input.Shape, in, 0); err != nil {
			t.Fatalf("decoded %#v does not encode: %v", in, err)
		}
	})
}
