package protocoltest

import (
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// TypedInputs returns a maker of zero values of a structure made for
// op's input shape, as TypedOutput makes outputs, for a codec's
// DecodeTyped to be held to its Decode on the input vectors. The values
// of one maker share their table (and header), so reflect.DeepEqual
// compares two of them by their members. ok is false for a shape it
// cannot make (a recursive shape, an event stream).
func TypedInputs(op *model.Operation) (newInput func() api.Typed, ok bool) {
	b := &tableBuilder{structs: map[*model.Shape]int32{}, types: map[*model.Shape]reflect.Type{}, making: map[*model.Shape]bool{}}
	defer func() {
		if r := recover(); r != nil {
			newInput, ok = nil, false
		}
	}()
	i := b.structure(op.Input.Shape)
	st := b.types[op.Input.Shape]
	h := &header{tab: b.tab, i: i}
	return func() api.Typed {
		pv := reflect.New(st)
		*(**header)(pv.UnsafePointer()) = h
		return (*vectorOutput)(pv.UnsafePointer())
	}, true
}

// CheckTypedInputs holds codec's DecodeTyped to its Decode on every
// input case whose shapes TypedInputs can make: decoded straight into
// the typed input, a request gives the value Decode's tree converts to
// (compared by its tree form, which must also be the decoded tree), or
// protocol.ErrUseTree. request builds a case's HTTP request (twice: one
// for each path). It returns the number of cases decoded typed and the
// number left to the tree.
func CheckTypedInputs(t *testing.T, codec protocol.Codec, cases []Case, request func(*Serialized) *http.Request) (typed, tree int) {
	t.Helper()
	td, ok := codec.(protocol.TypedDecoder)
	if !ok {
		t.Fatalf("%T is not a protocol.TypedDecoder", codec)
	}
	for _, c := range cases {
		op := c.Operation
		if op.Input == nil || !td.DecodesTyped(op) {
			continue
		}
		newInput, ok := TypedInputs(op)
		if !ok {
			continue
		}
		treeReq := protocol.NewRequest(request(c.Serialized), nil)
		if _, err := codec.Resolve(c.Service, treeReq); err != nil {
			t.Fatalf("%s: resolve: %v", c.Name, err)
		}
		dyn, err := codec.Decode(op, treeReq)
		if err != nil {
			t.Fatalf("%s: decode: %v", c.Name, err)
		}
		want := newInput()
		wtab, wi := want.ConvType()
		if err := wtab.FromDynamic(wi, reflect.ValueOf(want).UnsafePointer(), dyn); err != nil {
			continue // the tree path refuses it too
		}
		typedReq := protocol.NewRequest(request(c.Serialized), nil)
		if _, err := codec.Resolve(c.Service, typedReq); err != nil {
			t.Fatalf("%s: resolve: %v", c.Name, err)
		}
		got := newInput()
		err = td.DecodeTyped(op, typedReq, got)
		if errors.Is(err, protocol.ErrUseTree) {
			tree++
			continue
		}
		if err != nil {
			t.Fatalf("%s: DecodeTyped: %v", c.Name, err)
		}
		gtab, gi := got.ConvType()
		gdyn := gtab.ToDynamic(gi, reflect.ValueOf(got).UnsafePointer())
		wdyn := wtab.ToDynamic(wi, reflect.ValueOf(want).UnsafePointer())
		if gdyn == nil {
			gdyn = map[string]any{}
		}
		if wdyn == nil {
			wdyn = map[string]any{}
		}
		if d := Diff(wdyn, gdyn); d != "" {
			t.Fatalf("%s: DecodeTyped(%s) differs from the tree path's value:\n%s", c.Name, c.Serialized.Body, d)
		}
		if d := Diff(dyn, gdyn); d != "" {
			t.Fatalf("%s: DecodeTyped(%s)'s tree form is not the decoded tree:\n%s", c.Name, c.Serialized.Body, d)
		}
		typed++
	}
	return typed, tree
}
