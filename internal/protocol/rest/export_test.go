package rest

import (
	"net/http"

	"github.com/niwa-cloud/niwa/internal/api"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// Hooks for the external tests that decode into real generated inputs
// (plan_test.go: package rest belongs to the protocol layer, which never
// imports the api layer; its external test package may).

// WalkLocations decodes req's location members into in by the walk over
// every member of the input shape, without the location plan.
func WalkLocations(c *Codec, op *model.Operation, req *protocol.Request, h http.Header, in api.Typed) error {
	tab, i := in.ConvType()
	p, err := protocol.TypedTarget(op, in)
	if err != nil {
		return err
	}
	d := typedLoc{info: c.opInfo(op), tab: tab}
	return d.walkLocations(op.Input.Shape, nil, req.Query(), h, op.URI(), i, p)
}

// PlanHeaderCount is how many header members the location plan of op's
// input reads (in gives the input's type).
func PlanHeaderCount(c *Codec, op *model.Operation, in api.Typed) int {
	tab, i := in.ConvType()
	return len(c.opInfo(op).plan(op.Input.Shape, tab, i).header)
}

// NewTestRequest is a request for target with the given header name/value
// pairs (the in-package tests' newReq).
func NewTestRequest(method, target string, headers ...string) *http.Request {
	return newReq(method, target, headers...)
}
