package rpcv2cbor

import (
	"errors"
	"reflect"
	"testing"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
)

// FuzzDecode: any body decodes to an input or a SerializationException,
// never a panic, and what decodes encodes back; DecodeTyped succeeds only
// where Decode and the conversion do, with the same value.
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
	codec := New().(*Codec)
	newInput, ok := protocoltest.TypedInputs(op)
	if !ok {
		f.Fatal("cannot make Put's input")
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		const path = "/service/GraniteServiceVersion20100801/operation/Put"
		in, err := codec.Decode(op, newReq("POST", path, body, true))
		got := newInput()
		if terr := codec.DecodeTyped(op, newReq("POST", path, body, true), got); terr == nil {
			want := newInput()
			tab, i := want.ConvType()
			if err == nil {
				err = tab.FromDynamic(i, reflect.ValueOf(want).UnsafePointer(), in)
			}
			if err != nil {
				t.Fatalf("DecodeTyped(%x) succeeded, the tree path says %v", body, err)
			}
			g := tab.ToDynamic(i, reflect.ValueOf(got).UnsafePointer())
			w := tab.ToDynamic(i, reflect.ValueOf(want).UnsafePointer())
			if d := protocoltest.Diff(w, g); d != "" {
				t.Fatalf("DecodeTyped(%x) differs from the tree path:\n%s", body, d)
			}
		} else if !errors.Is(terr, protocol.ErrUseTree) {
			t.Fatalf("DecodeTyped(%x) = %v", body, terr)
		}
		if err != nil {
			return
		}
		if _, err := encodeValue(op.Input.Shape, in, 0); err != nil {
			t.Fatalf("decoded %#v does not encode: %v", in, err)
		}
	})
}
