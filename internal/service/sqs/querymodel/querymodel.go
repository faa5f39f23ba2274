// Package querymodel embeds the query-protocol model of SQS (see
// README.md for its origin and license).
package querymodel

import (
	_ "embed"

	"github.com/niwa-cloud/niwa/internal/model"
)

//go:embed api-2.json
var modelJSON []byte

// Load parses the model.
func Load() (*model.Service, error) { return model.Load(modelJSON) }

// Metadata returns the model's metadata without the caller parsing the
// whole model first.
func Metadata() model.Metadata {
	return model.Metadata{
		APIVersion: "2012-11-05", EndpointPrefix: "sqs", Protocol: "query",
		ServiceAbbreviation: "Amazon SQS", ServiceFullName: "Amazon Simple Queue Service",
		ServiceID: "SQS", SignatureVersion: "v4", UID: "sqs-2012-11-05",
		XMLNamespace: "http://queue.amazonaws.com/doc/2012-11-05/",
	}
}
