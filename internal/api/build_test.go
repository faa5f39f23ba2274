package api_test

import (
	"math"
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
)

// field finds a structure member's index by its tree name.
func field(t *testing.T, tab api.Table, i int32, name string) int {
	t.Helper()
	for k, f := range tab[i].Fields {
		if f.Name == name {
			return k
		}
	}
	t.Fatalf("no member %s", name)
	return -1
}

// TestBuilderMatchesFromDynamic: a value written through the builder
// (scalars, pointers, nested structures, lists, maps of structures, a
// replaced member and a cleared one) is the value FromDynamic builds from
// the same data as a tree.
func TestBuilderMatchesFromDynamic(t *testing.T) {
	var got dynamodbapi.PutItemInput
	tab, in := got.ConvType()
	p := unsafe.Pointer(&got)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	f, fp := tab.Field(in, field(t, tab, in, "TableName"), p)
	must(tab.SetString(f, fp, "old"))
	must(tab.SetString(f, fp, "t")) // a later duplicate replaces it
	f, fp = tab.Field(in, field(t, tab, in, "ReturnValues"), p)
	must(tab.SetString(f, fp, "NONE"))
	tab.Clear(f, fp) // and a later null clears it
	f, fp = tab.Field(in, field(t, tab, in, "Item"), p)
	mb, err := tab.Map(f, fp)
	must(err)
	// "pk": {"S": "a"}
	ai, ap, err := tab.Struct(mb.Elem, mb.Value())
	must(err)
	sf, sp := tab.Field(ai, field(t, tab, ai, "S"), ap)
	must(tab.SetString(sf, sp, "a"))
	mb.Put("pk")
	// "l": {"L": [{"BOOL": true}, {"B": "AAE="}], "SS": []}
	ai, ap, err = tab.Struct(mb.Elem, mb.Value())
	must(err)
	lf, lp := tab.Field(ai, field(t, tab, ai, "L"), ap)
	must(tab.List(lf, lp))
	ef, ep := tab.Append(lf, lp)
	ei, eip, err := tab.Struct(ef, ep)
	must(err)
	bf, bp := tab.Field(ei, field(t, tab, ei, "BOOL"), eip)
	must(tab.SetBool(bf, bp, true))
	ef, ep = tab.Append(lf, lp)
	ei, eip, err = tab.Struct(ef, ep)
	must(err)
	bf, bp = tab.Field(ei, field(t, tab, ei, "B"), eip)
	must(tab.SetBytes(bf, bp, []byte{0, 1}))
	tab.Trim(lf, lp)
	ssf, ssp := tab.Field(ai, field(t, tab, ai, "SS"), ap)
	must(tab.List(ssf, ssp))
	mb.Put("l")
	// a key given twice, then null: gone
	mb.Value()
	mb.Put("gone")
	mb.Delete("gone")

	tree := map[string]any{
		"TableName": "t",
		"Item": map[string]any{
			"pk": map[string]any{"S": "a"},
			"l":  map[string]any{"L": []any{map[string]any{"BOOL": true}, map[string]any{"B": []byte{0, 1}}}, "SS": []any{}},
		},
	}
	var want dynamodbapi.PutItemInput
	var conv api.Converter
	must(conv.ToTyped(tree, &want))
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("built %#v\nFromDynamic %#v", got, want)
	}
	if !reflect.DeepEqual(conv.ToDynamic(&got), tree) {
		t.Fatalf("built value's tree %#v, want %#v", conv.ToDynamic(&got), tree)
	}
}

// TestBuilderScalars: the setters convert as FromDynamic converts a
// dynamic value of their type, and refuse what it refuses, with its
// words.
func TestBuilderScalars(t *testing.T) {
	var in sqsapi.ReceiveMessageInput // MaxNumberOfMessages, WaitTimeSeconds: *int32
	tab, i := in.ConvType()
	p := unsafe.Pointer(&in)
	f, fp := tab.Field(i, field(t, tab, i, "MaxNumberOfMessages"), p)
	if err := tab.SetInt(f, fp, 7); err != nil || *in.MaxNumberOfMessages != 7 {
		t.Fatalf("SetInt: %v %v", err, in.MaxNumberOfMessages)
	}
	if err := tab.SetInt(f, fp, math.MaxInt32+1); err == nil || err.Error() != ": 2147483648 out of range for int32" {
		t.Fatalf("SetInt overflow: %v", err)
	}
	if err := tab.SetString(f, fp, "x"); err == nil || err.Error() != ": cannot use string as int32" {
		t.Fatalf("SetString on an int32: %v", err)
	}
	if err := tab.SetFloat(f, fp, 3); err != nil || *in.MaxNumberOfMessages != 3 {
		t.Fatalf("SetFloat of an integral float on an int32: %v", err)
	}
	if err := tab.SetFloat(f, fp, 3.5); err == nil {
		t.Fatal("SetFloat 3.5 on an int32 succeeded")
	}
	if err := tab.SetTime(f, fp, time.Unix(0, 0)); err == nil || err.Error() != ": cannot use time.Time as int32" {
		t.Fatalf("SetTime on an int32: %v", err)
	}
	q, qp := tab.Field(i, field(t, tab, i, "QueueUrl"), p)
	if _, _, err := tab.Struct(q, qp); err == nil {
		t.Fatal("Struct on a string member succeeded")
	}
	if err := tab.List(q, qp); err == nil {
		t.Fatal("List on a string member succeeded")
	}
	if _, err := tab.Map(q, qp); err == nil {
		t.Fatal("Map on a string member succeeded")
	}
}

// TestSetStringBytes: a *string member set from bytes holds a copy of
// them, whatever their length (each box size and past the largest).
func TestSetStringBytes(t *testing.T) {
	var in sqsapi.SendMessageInput
	tab, i := in.ConvType()
	f, fp := tab.Field(i, field(t, tab, i, "MessageBody"), unsafe.Pointer(&in))
	for _, n := range []int{0, 1, 15, 16, 17, 32, 33, 48, 64, 65, 112, 113, 1000} {
		b := make([]byte, n)
		for k := range b {
			b[k] = byte('a' + k%26)
		}
		want := string(b)
		if err := tab.SetStringBytes(f, fp, b); err != nil {
			t.Fatal(err)
		}
		for k := range b {
			b[k] = '!'
		}
		if *in.MessageBody != want {
			t.Fatalf("len %d: %q, want %q", n, *in.MessageBody, want)
		}
	}
	d, dp := tab.Field(i, field(t, tab, i, "DelaySeconds"), unsafe.Pointer(&in))
	if err := tab.SetStringBytes(d, dp, []byte("5")); err == nil || err.Error() != ": cannot use string as int32" {
		t.Fatalf("SetStringBytes on an int32: %v", err)
	}
}
