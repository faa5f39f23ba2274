package rds

import (
	"context"
	"fmt"
	"strings"
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

// TestCloudFormationParameterGroup: a parameter group made with its
// parameters, a parameter changed in place and the group deleted through
// the provider; a parameter RDS does not know fails the create and
// leaves no group.
func TestCloudFormationParameterGroup(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("no database server in this test")
	})
	ctx := h.Ctx()
	p := s.cfnResources()["AWS::RDS::DBParameterGroup"]
	r := kit.ResourceRequest{LogicalID: "Params", StackName: "app", Properties: map[string]any{"Family": "mysql8.0",
		"Description": "app", "Parameters": map[string]any{"max_connections": "50", "time_zone": "UTC"}}}
	g, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	params := func() map[string]string {
		out, err := s.DescribeDBParameters(ctx, &rdsapi.DescribeDBParametersInput{DBParameterGroupName: &g.PhysicalID})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, p := range out.Parameters {
			if p.ParameterValue != nil {
				m[*p.ParameterName] = *p.ParameterValue
			}
		}
		return m
	}
	if m := params(); m["max_connections"] != "50" || m["time_zone"] != "UTC" {
		t.Fatalf("parameters %v", m)
	}
	r.PhysicalID, r.OldProperties = g.PhysicalID, r.Properties
	r.Properties = map[string]any{"Family": "mysql8.0", "Description": "app", "Parameters": map[string]any{"max_connections": 80, "time_zone": "UTC"}}
	if _, err := p.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	if m := params(); m["max_connections"] != "80" {
		t.Fatalf("parameters after update %v", m)
	}
	if err := p.Delete(ctx, r); err != nil {
		t.Fatal(err)
	}
	if err := p.Delete(ctx, r); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	bad := kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"DBParameterGroupName": "bad", "Family": "mysql8.0",
		"Description": "x", "Parameters": map[string]any{"no_such_param": "1"}}}
	if _, err := p.Create(ctx, bad); err == nil {
		t.Fatal("an unknown parameter was taken")
	}
	if _, err := s.DescribeDBParameters(ctx, &rdsapi.DescribeDBParametersInput{DBParameterGroupName: ptrTo("bad")}); err == nil {
		t.Fatal("a failed create left its group")
	}
}

func ptrTo(s string) *string { return &s }

// TestCloudFormationDBCluster: an Aurora cluster made from template
// properties (numbers as text) with AWS's Fn::GetAtt names (the port is
// the local one niwa serves it on), and deleted as a stack would.
func TestCloudFormationDBCluster(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("no database server in this test")
	})
	ctx := h.Ctx()
	p := s.cfnResources()["AWS::RDS::DBCluster"]
	r := kit.ResourceRequest{LogicalID: "Cluster", StackName: "app", Properties: map[string]any{"Engine": "aurora-postgresql",
		"MasterUsername": "admin", "MasterUserPassword": "secret-pw1", "BackupRetentionPeriod": "3", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}}
	c, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(c.PhysicalID, "app-cluster-") || c.Attributes["Endpoint.Port"] == nil || c.Attributes["Endpoint.Address"] == nil ||
		c.Attributes["DBClusterArn"] == nil || c.Attributes["ReadEndpoint.Address"] == nil {
		t.Fatalf("cluster %+v", c)
	}
	r.PhysicalID = c.PhysicalID
	if err := p.Delete(ctx, r); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeDBClusters(ctx, &rdsapi.DescribeDBClustersInput{DBClusterIdentifier: &c.PhysicalID}); !rdsapi.ErrDBClusterNotFoundFault.Is(err) {
		t.Fatalf("cluster after delete: %v", err)
	}
	if err := p.Delete(ctx, r); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}
