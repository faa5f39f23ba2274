package rds

import (
	"testing"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestDeclaredResources: actions are rds:<Operation> on the lowercase
// ARNs of what the input names, "*" for account-level calls.
func TestDeclaredResources(t *testing.T) {
	h := servicetest.New(t, "rds")
	s, err := New(Options{Store: h.Store(), Clock: h.Clock})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	db := "arn:aws:rds:us-east-1:123456789012:db:shop"
	kittest.Resources(t, s.Declare().Authz, "rds", []kittest.Case{
		{Op: "CreateDBInstance", In: &rdsapi.CreateDBInstanceInput{DBInstanceIdentifier: ptr.To("Shop")}, Action: "rds:CreateDBInstance", Resource: db},
		// Both the instance and the snapshot; the first in order is the instance.
		{Op: "CreateDBSnapshot", In: &rdsapi.CreateDBSnapshotInput{DBInstanceIdentifier: ptr.To("shop"), DBSnapshotIdentifier: ptr.To("s1")}, Action: "rds:CreateDBSnapshot", Resource: db},
		{Op: "DeleteDBSnapshot", In: &rdsapi.DeleteDBSnapshotInput{DBSnapshotIdentifier: ptr.To("s1")}, Action: "rds:DeleteDBSnapshot", Resource: "arn:aws:rds:us-east-1:123456789012:snapshot:s1"},
		{Op: "AddTagsToResource", In: &rdsapi.AddTagsToResourceInput{ResourceName: ptr.To(db)}, Action: "rds:AddTagsToResource", Resource: db},
		{Op: "DescribeDBInstances", In: &rdsapi.DescribeDBInstancesInput{}, Action: "rds:DescribeDBInstances", Resource: "*"},
	})
}
