// Package codecs maps a model's protocol name to its codec. It is the one
// place that knows every protocol family.
package codecs

import (
	"fmt"

	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonrpc"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
	"github.com/niwa-cloud/niwa/internal/protocol/rest"
	"github.com/niwa-cloud/niwa/internal/protocol/rpcv2cbor"
)

// Set holds one instance of each codec, shared by the services of its
// protocol (codecs cache per-model routing tables).
type Set struct {
	query, ec2, json, restJSON, restXML, cbor protocol.Codec
}

// New returns a set of codecs.
func New() *Set {
	return &Set{
		query: query.New(), ec2: query.NewEC2(), json: jsonrpc.New(),
		restJSON: rest.NewJSON(), restXML: rest.NewXML(), cbor: rpcv2cbor.New(),
	}
}

// For returns the codec of a model protocol name.
func (s *Set) For(protocolName string) (protocol.Codec, error) {
	switch protocolName {
	case "query":
		return s.query, nil
	case "ec2":
		return s.ec2, nil
	case "json":
		return s.json, nil
	case "rest-json":
		return s.restJSON, nil
	case "rest-xml":
		return s.restXML, nil
	case rpcv2cbor.Protocol:
		return s.cbor, nil
	}
	return nil, fmt.Errorf("codecs: no codec for protocol %q", protocolName)
}
