package rds

import (
	"context"
	"fmt"
	"testing"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationProviders: a subnet group and an instance from
// template properties (numbers as text, VPCSecurityGroups), with AWS's
// Fn::GetAtt names, removed as a stack would.
func TestCloudFormationProviders(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("no database server in this test")
	})
	ctx := h.Ctx()
	p := s.cfnResources()
	if _, err := p["AWS::RDS::DBSubnetGroup"].Create(ctx, kit.ResourceRequest{LogicalID: "G", Properties: map[string]any{
		"DBSubnetGroupName": "grp", "DBSubnetGroupDescription": "d", "SubnetIds": []any{"subnet-a", "subnet-b"}}}); err != nil {
		t.Fatal(err)
	}
	db, err := p["AWS::RDS::DBInstance"].Create(ctx, kit.ResourceRequest{LogicalID: "Db", StackName: "app", Properties: map[string]any{
		"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20", "MasterUsername": "admin",
		"MasterUserPassword": "secret-pw1", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}})
	if err != nil {
		t.Fatal(err)
	}
	if db.Attributes["DBInstanceArn"] == nil || db.Attributes["Endpoint.Address"] == nil {
		t.Fatalf("instance %+v", db)
	}
	if _, err := s.DescribeDBInstances(ctx, &rdsapi.DescribeDBInstancesInput{DBInstanceIdentifier: &db.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::RDS::DBInstance"].Create(ctx, kit.ResourceRequest{LogicalID: "Bad", StackName: "app",
		Properties: map[string]any{"AllocatedStorage": map[string]any{"not": "a number"}}}); err == nil {
		t.Fatal("a malformed property was accepted")
	}
	if err := p["AWS::RDS::DBInstance"].Delete(ctx, kit.ResourceRequest{PhysicalID: db.PhysicalID}); err != nil {
		t.Fatal(err)
	}
}
