package protocoltest

import (
	"bytes"
	"fmt"
	"io"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// The vectors' shapes have no generated Go types; TypedOutput makes them
// at run time (reflect.StructOf) with a conversion table laid out as
// internal/codegen lays out a generated package's (member k of a shape is
// field k of its entry; the same kinds), so that a codec's EncodeTyped
// can be held to its Encode on every output vector.

// header is the first field of every structure made here: what
// vectorOutput's ConvType reads.
type header struct {
	tab api.Table
	i   int32
}

// vectorOutput is a made structure seen from its first field.
type vectorOutput struct{ h *header }

func (v *vectorOutput) ConvType() (api.Table, int32) { return v.h.tab, v.h.i }

type tableBuilder struct {
	tab     api.Table
	structs map[*model.Shape]int32
	types   map[*model.Shape]reflect.Type
	making  map[*model.Shape]bool
}

var (
	headerType = reflect.TypeFor[*header]()
	timeType   = reflect.TypeFor[time.Time]()
	readerType = reflect.TypeFor[io.Reader]()
	anyType    = reflect.TypeFor[any]()
)

// TypedOutput is op's output result (a vector's dynamic tree, normalized)
// as a typed value of a structure made for op's output shape. ok is
// false for a shape it cannot make (a recursive shape, an event stream)
// or a result the table does not take.
func TypedOutput(op *model.Operation, result map[string]any) (out api.Typed, ok bool) {
	b := &tableBuilder{structs: map[*model.Shape]int32{}, types: map[*model.Shape]reflect.Type{}, making: map[*model.Shape]bool{}}
	defer func() {
		if r := recover(); r != nil {
			out, ok = nil, false
		}
	}()
	i := b.structure(op.Output.Shape)
	st := b.types[op.Output.Shape]
	pv := reflect.New(st)
	*(**header)(pv.UnsafePointer()) = &header{tab: b.tab, i: i}
	if err := b.tab.FromDynamic(i, pv.UnsafePointer(), result); err != nil {
		return nil, false
	}
	return (*vectorOutput)(pv.UnsafePointer()), true
}

func (b *tableBuilder) structure(sh *model.Shape) int32 {
	if i, ok := b.structs[sh]; ok {
		return i
	}
	if b.making[sh] || sh.EventStream {
		panic("protocoltest: cannot make " + sh.Name)
	}
	b.making[sh] = true
	defer delete(b.making, sh)
	fields := []reflect.StructField{{Name: "H", Type: headerType}}
	kinds := make([]api.Field, len(sh.Members))
	for k, m := range sh.Members {
		gt, f := b.ref(m, true)
		fields = append(fields, reflect.StructField{Name: fmt.Sprintf("F%d", k), Type: gt})
		f.Name = m.Name
		kinds[k] = f
	}
	st := reflect.StructOf(fields)
	for k := range kinds {
		kinds[k].Off = st.Field(k + 1).Offset
	}
	i := int32(len(b.tab))
	b.tab = append(b.tab, api.Type{Go: reflect.Zero(reflect.PointerTo(st)).Interface(), Fields: kinds})
	b.structs[sh] = i
	b.types[sh] = st
	return i
}

// ref is the Go type and kind of reference r, a member (field) or a list
// element or map value, as internal/codegen gives them.
func (b *tableBuilder) ref(r *model.Ref, field bool) (reflect.Type, api.Field) {
	sh := r.Shape
	ptr := func(t reflect.Type, k, kp api.Kind) (reflect.Type, api.Field) {
		if field {
			return reflect.PointerTo(t), api.Field{Kind: kp}
		}
		return t, api.Field{Kind: k}
	}
	switch sh.Type {
	case model.Structure:
		i := b.structure(sh)
		st := b.types[sh]
		if field {
			return reflect.PointerTo(st), api.Field{Kind: api.KStructPtr, Type: i}
		}
		return st, api.Field{Kind: api.KStruct, Type: i}
	case model.List:
		et, ef := b.ref(sh.Member, false)
		lt := reflect.SliceOf(et)
		i := int32(len(b.tab))
		b.tab = append(b.tab, api.Type{Go: reflect.Zero(reflect.PointerTo(lt)).Interface(), Elem: ef, Size: et.Size()})
		return lt, api.Field{Kind: api.KList, Type: i}
	case model.Map:
		vt, vf := b.ref(sh.Value, false)
		mt := reflect.MapOf(reflect.TypeFor[string](), vt)
		i := int32(len(b.tab))
		b.tab = append(b.tab, api.Type{
			Go: reflect.Zero(reflect.PointerTo(mt)).Interface(), Elem: vf,
			Map: api.ReflectMap(mt),
		})
		return mt, api.Field{Kind: api.KMap, Type: i}
	case model.String, model.Character:
		if r.JSONValue {
			return anyType, api.Field{Kind: api.KAny}
		}
		return ptr(reflect.TypeFor[string](), api.KString, api.KStringPtr)
	case model.Integer:
		return ptr(reflect.TypeFor[int32](), api.KInt32, api.KInt32Ptr)
	case model.Long:
		return ptr(reflect.TypeFor[int64](), api.KInt64, api.KInt64Ptr)
	case model.Float:
		return ptr(reflect.TypeFor[float32](), api.KFloat32, api.KFloat32Ptr)
	case model.Double:
		return ptr(reflect.TypeFor[float64](), api.KFloat64, api.KFloat64Ptr)
	case model.Boolean:
		return ptr(reflect.TypeFor[bool](), api.KBool, api.KBoolPtr)
	case model.Timestamp:
		return ptr(timeType, api.KTime, api.KTimePtr)
	case model.Blob:
		if r.IsStreaming() {
			return readerType, api.Field{Kind: api.KReader}
		}
		return reflect.TypeFor[[]byte](), api.Field{Kind: api.KBytes}
	}
	return anyType, api.Field{Kind: api.KAny}
}

// CheckTypedOutputs holds codec's EncodeTyped to its Encode on every
// output case whose shapes TypedOutput can make: the same status, headers
// and body for the typed output as for its dynamic form. It returns the
// number of cases compared.
func CheckTypedOutputs(t *testing.T, codec protocol.Codec, cases []Case) int {
	t.Helper()
	te, ok := codec.(protocol.TypedEncoder)
	if !ok {
		t.Fatalf("%T is not a protocol.TypedEncoder", codec)
	}
	n := 0
	for _, c := range cases {
		op := c.Operation
		if op.Output == nil || c.ErrorCode != "" {
			continue
		}
		result, _ := Normalize(op.Output, c.Result).(map[string]any)
		// Two equal outputs: a streaming payload is read by the first
		// encoding.
		want, ok1 := TypedOutput(op, result)
		got, ok2 := TypedOutput(op, result)
		if !ok1 || !ok2 {
			continue
		}
		meta := protocol.Meta{RequestID: "rid", HostID: "hid"}
		wrec := httptest.NewRecorder()
		wantErr := codec.Encode(wrec, op, protocol.Dynamic(op, want), meta)
		grec := httptest.NewRecorder()
		gotErr := te.EncodeTyped(grec, op, got, meta)
		if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
			t.Fatalf("%s: EncodeTyped error %v, Encode %v", c.Name, gotErr, wantErr)
		}
		if grec.Code != wrec.Code || !reflect.DeepEqual(grec.Header(), wrec.Header()) || !bytes.Equal(grec.Body.Bytes(), wrec.Body.Bytes()) {
			t.Fatalf("%s: EncodeTyped wrote\n%d %v\n%s\nEncode wrote\n%d %v\n%s", c.Name,
				grec.Code, grec.Header(), grec.Body.Bytes(), wrec.Code, wrec.Header(), wrec.Body.Bytes())
		}
		n++
	}
	return n
}

// TypedDynamic is the dynamic form of a typed value, its streams read
// into bytes (two requests' equal streams compare equal).
func TypedDynamic(v api.Typed) map[string]any {
	tab, i := v.ConvType()
	m := tab.ToDynamic(i, reflect.ValueOf(v).UnsafePointer())
	for k, x := range m {
		if r, ok := x.(io.Reader); ok {
			b, err := io.ReadAll(r)
			if err != nil {
				b = []byte("read error: " + err.Error())
			}
			m[k] = b
		}
	}
	return m
}
