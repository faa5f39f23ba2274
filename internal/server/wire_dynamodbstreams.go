package server

import (
	"github.com/niwa-cloud/niwa/internal/service/dynamodb"
)

// wireDynamoDBStreams wires DynamoDB Streams over DynamoDB's store: stream
// records are written by DynamoDB in the transaction of each item write,
// and this API only reads them.
func wireDynamoDBStreams(d *deps) (*wiring, error) {
	store, err := d.store("dynamodb")
	if err != nil {
		return nil, err
	}
	return &wiring{Declaration: dynamodb.NewStreams(store).Declare()}, nil
}
