package server

import (
	"github.com/niwa-cloud/niwa/internal/service/dynamodb"
)

// wireDynamoDB wires DynamoDB. Its TTL sweeper runs on the server clock and
// stops on close. DynamoDB Streams (wired next) serves the same store.
func wireDynamoDB(d *deps) (*wiring, error) {
	store, err := d.store("dynamodb")
	if err != nil {
		return nil, err
	}
	svc := dynamodb.New(store, d.clock, dynamodb.Options{DataKeys: d.dataKeysOf()})
	d.dynamodb = svc
	return &wiring{Declaration: svc.Declare()}, nil
}
