package jsonbody_test

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// putItemBody is the bench's PutItem request body, as the SDK sends it.
const putItemBody = `{"Item":{"data":{"S":"some payload of a typical item size"},"n":{"N":"42"},"pk":{"S":"p7"},"sk":{"N":"1234"},"tags":{"SS":["a","b"]}},"TableName":"bench-put"}`

func BenchmarkDecodeTypedPutItem(b *testing.B) {
	m, err := dynamodbapi.Spec().Model()
	if err != nil {
		b.Fatal(err)
	}
	sh := m.Operations["PutItem"].Input.Shape
	body := []byte(putItemBody)
	b.ReportAllocs()
	for b.Loop() {
		in := new(dynamodbapi.PutItemInput)
		tab, i, p := api.Locate(in)
		if err := jsonbody.DecodeTyped(body, sh, true, tab, i, p); err != nil {
			b.Fatal(err)
		}
	}
}
