package protocoltest

import (
	"errors"
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
// (compared by their dynamic forms, streams read into bytes), or
// protocol.ErrUseTree; a request the tree path refuses must not decode
// typed. request builds a case's request (called once for each path; a
// codec whose Decode needs Resolve first resolves in it). It returns the
// number of cases decoded typed and the number left to the tree.
func CheckTypedInputs(t *testing.T, codec protocol.Codec, cases []Case, request func(Case) *protocol.Request) (typed, tree int) {
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
		want := newInput()
		dyn, treeErr := codec.Decode(op, request(c))
		if treeErr == nil {
			wtab, wi := want.ConvType()
			treeErr = wtab.FromDynamic(wi, reflect.ValueOf(want).UnsafePointer(), dyn)
		}
		got := newInput()
		err := td.DecodeTyped(op, request(c), got)
		switch {
		case errors.Is(err, protocol.ErrUseTree):
			tree++
			continue
		case err != nil:
			t.Fatalf("%s: DecodeTyped = %v, not ErrUseTree", c.Name, err)
		case treeErr != nil:
			t.Fatalf("%s: DecodeTyped succeeded, the tree path says %v", c.Name, treeErr)
		}
		if d := Diff(TypedDynamic(want), TypedDynamic(got)); d != "" {
			t.Fatalf("%s: DecodeTyped(%s) differs from the tree path's value:\n%s", c.Name, c.Serialized.Body, d)
		}
		typed++
	}
	return typed, tree
}
