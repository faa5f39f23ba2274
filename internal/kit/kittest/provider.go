package kittest

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Lifecycle runs a resource provider through what a stack does to one
// resource: create from props, update in place to upd (the physical id
// must stay), and delete twice (a resource already gone is no error).
// check reads the resource through the service's API after each step
// (updated: whether upd is applied) and returns the read's error; after
// the delete that error must be one gone reports.
func Lifecycle(t *testing.T, ctx *request.Context, prov kit.ResourceProvider, props, upd map[string]any,
	check func(res kit.ResourceResult, updated bool) error, gone func(error) bool) {
	t.Helper()
	res, err := prov.Create(ctx, kit.ResourceRequest{LogicalID: "R", StackName: "s", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	if err := check(res, false); err != nil {
		t.Fatalf("after create: %v", err)
	}
	up, err := prov.Update(ctx, kit.ResourceRequest{LogicalID: "R", StackName: "s", PhysicalID: res.PhysicalID, Properties: upd, OldProperties: props})
	if err != nil || up.PhysicalID != res.PhysicalID {
		t.Fatalf("update %+v %v", up, err)
	}
	if err := check(up, true); err != nil {
		t.Fatalf("after update: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := prov.Delete(ctx, kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: upd}); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if err := check(res, true); !gone(err) {
		t.Fatalf("after delete: %v", err)
	}
}
