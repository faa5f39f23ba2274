package jsonbody_test

import (
	"bytes"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// TestEncodeTypedMapsReuseReaders: a DynamoDB GetItem answer (an item is a
// map, each attribute value a structure, a string set a list) is encoded
// without allocating: the encoder and its map readers are reused from
// one response to the next. The bytes are those of a fresh encoder's.
func TestEncodeTypedMapsReuseReaders(t *testing.T) {
	spec := dynamodbapi.Spec()
	m, err := spec.Model()
	if err != nil {
		t.Fatal(err)
	}
	sh := m.Operations["GetItem"].Output.Shape
	str := func(s string) *string { return &s }
	out := &dynamodbapi.GetItemOutput{Item: map[string]dynamodbapi.AttributeValue{
		"pk": {S: str("p")}, "sk": {N: str("7")}, "data": {S: str("some payload")},
		"tags": {SS: []string{"a", "b"}}, "m": {M: map[string]dynamodbapi.AttributeValue{"x": {BOOL: new(bool)}}},
	}}
	var buf bytes.Buffer
	encode := func() {
		buf.Reset()
		tab, i, p := api.Locate(out)
		if err := jsonbody.EncodeTypedStructure(&buf, sh, tab, i, p, false); err != nil {
			t.Fatal(err)
		}
	}
	encode()
	const want = `{"Item":{"data":{"S":"some payload"},"m":{"M":{"x":{"BOOL":false}}},"pk":{"S":"p"},"sk":{"N":"7"},"tags":{"SS":["a","b"]}}}`
	if buf.String() != want {
		t.Fatalf("encoded %s\nwant    %s", buf.String(), want)
	}
	// Under the race detector sync.Pool drops at random, so the count is
	// checked by go test without -race; the reuse's bytes are checked by
	// both.
	if n := testing.AllocsPerRun(100, encode); n != 0 && !raceEnabled {
		t.Errorf("%v allocations per encoding, want 0", n)
	}
	if buf.String() != want {
		t.Fatalf("encoded again %s\nwant          %s", buf.String(), want)
	}
}
