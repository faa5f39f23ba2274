// Package querymodel embeds the query-protocol model of SQS (see
// README.md for its origin and license).
package querymodel

import (
	_ "embed"
	"encoding/json"
	"fmt"

	"github.com/niwa-cloud/niwa/internal/model"
)

//go:embed api-2.json
var modelJSON []byte

// Load parses the model, with the members SQS's query API gained after
// the botocore release it was taken from (see additions).
func Load() (*model.Service, error) {
	raw, err := patch(modelJSON)
	if err != nil {
		return nil, err
	}
	return model.Load(raw)
}

// additions are the shapes and request members SQS's query API documents
// that the model predates: ReceiveMessage's MessageSystemAttributeName.N
// (2024), the successor of AttributeName.N for message system attributes.
// Each member is added to the request shape named, its shape defined when
// the model lacks it.
var additions = []struct {
	request, member, shape string
	def                    string // the shape's definition, if the model lacks it
}{
	{"ReceiveMessageRequest", "MessageSystemAttributeNames", "MessageSystemAttributeList",
		`{"type":"list","member":{"shape":"MessageSystemAttributeName","locationName":"MessageSystemAttributeName"},"flattened":true}`},
}

// patch applies additions to the raw model.
func patch(raw []byte) ([]byte, error) {
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	var shapes map[string]map[string]json.RawMessage
	if err := json.Unmarshal(doc["shapes"], &shapes); err != nil {
		return nil, err
	}
	for _, a := range additions {
		req, ok := shapes[a.request]
		if !ok {
			return nil, fmt.Errorf("querymodel: no shape %s", a.request)
		}
		var members map[string]json.RawMessage
		if err := json.Unmarshal(req["members"], &members); err != nil {
			return nil, fmt.Errorf("querymodel: %s members: %w", a.request, err)
		}
		if _, ok := members[a.member]; ok {
			continue
		}
		members[a.member] = json.RawMessage(`{"shape":"` + a.shape + `"}`)
		req["members"], _ = json.Marshal(members)
		if _, ok := shapes[a.shape]; !ok {
			var def map[string]json.RawMessage
			if err := json.Unmarshal([]byte(a.def), &def); err != nil {
				return nil, fmt.Errorf("querymodel: shape %s: %w", a.shape, err)
			}
			shapes[a.shape] = def
		}
	}
	var err error
	if doc["shapes"], err = json.Marshal(shapes); err != nil {
		return nil, err
	}
	return json.Marshal(doc)
}

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
