package rds

import (
	"context"
	"fmt"
	"strings"
	"testing"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationUpdatePlan: which changes of a DBInstance or
// DBCluster replace it (AWS's "Update requires: Replacement"
// properties) and which become ModifyDBInstance / ModifyDBCluster
// members; a property niwa cannot change in place is refused with an
// error naming it, never ignored.
func TestCloudFormationUpdatePlan(t *testing.T) {
	s, _ := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("no database server in this test")
	})
	p := s.cfnResources()
	replaces := func(typ, prop string) bool {
		for _, r := range p[typ].Replace {
			if r == prop {
				return true
			}
		}
		return false
	}
	base := map[string]any{"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20", "MasterUsername": "admin",
		"MasterUserPassword": "secret-pw1", "BackupRetentionPeriod": 3, "DBParameterGroupName": "small",
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}
	with := func(k string, v any) map[string]any {
		m := map[string]any{}
		for k, v := range base {
			m[k] = v
		}
		if v == nil {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	cases := []struct {
		name, typ, prop string
		value           any
		replace         bool
		members         map[string]any
		err             string
	}{
		{"instance tags", "AWS::RDS::DBInstance", "Tags", []any{map[string]any{"Key": "team", "Value": "b"}}, false, map[string]any{}, ""},
		{"instance class", "AWS::RDS::DBInstance", "DBInstanceClass", "db.t3.small", false, map[string]any{"DBInstanceClass": "db.t3.small"}, ""},
		{"instance storage", "AWS::RDS::DBInstance", "AllocatedStorage", "30", false, map[string]any{"AllocatedStorage": "30"}, ""},
		{"instance security groups", "AWS::RDS::DBInstance", "VPCSecurityGroups", []any{"sg-1"}, false, map[string]any{"VpcSecurityGroupIds": []any{"sg-1"}}, ""},
		{"instance retention dropped", "AWS::RDS::DBInstance", "BackupRetentionPeriod", nil, false, map[string]any{"BackupRetentionPeriod": 1.0}, ""},
		{"instance parameter group dropped", "AWS::RDS::DBInstance", "DBParameterGroupName", nil, false, nil, "NotImplemented: niwa does not reset AWS::RDS::DBInstance property to the default when the template drops it: give DBParameterGroupName a value"},
		{"instance engine version", "AWS::RDS::DBInstance", "EngineVersion", "8.4", false, nil, "NotImplemented: niwa does not update AWS::RDS::DBInstance property in place (its ModifyDBInstance does not change EngineVersion)"},
		{"instance multi-az", "AWS::RDS::DBInstance", "MultiAZ", true, false, nil, "does not change MultiAZ"},
		{"instance retention as text", "AWS::RDS::DBInstance", "BackupRetentionPeriod", "3", false, map[string]any{}, ""},
		{"instance name", "AWS::RDS::DBInstance", "DBName", "other", true, nil, ""},
		{"instance identifier", "AWS::RDS::DBInstance", "DBInstanceIdentifier", "db2", true, nil, ""},
		{"instance engine", "AWS::RDS::DBInstance", "Engine", "postgres", true, nil, ""},
		{"instance encryption", "AWS::RDS::DBInstance", "StorageEncrypted", true, true, nil, ""},
		{"instance port", "AWS::RDS::DBInstance", "Port", "3307", true, nil, ""},
		{"instance subnet group", "AWS::RDS::DBInstance", "DBSubnetGroupName", "g2", true, nil, ""},
		{"instance timezone", "AWS::RDS::DBInstance", "Timezone", "UTC", true, nil, ""},
		{"cluster tags", "AWS::RDS::DBCluster", "Tags", []any{}, false, map[string]any{}, ""},
		{"cluster retention", "AWS::RDS::DBCluster", "BackupRetentionPeriod", "7", false, map[string]any{"BackupRetentionPeriod": "7"}, ""},
		{"cluster deletion protection", "AWS::RDS::DBCluster", "DeletionProtection", true, false, map[string]any{"DeletionProtection": true}, ""},
		{"cluster port", "AWS::RDS::DBCluster", "Port", "3307", false, nil, "does not change Port"},
		{"cluster database name", "AWS::RDS::DBCluster", "DatabaseName", "app", true, nil, ""},
		{"cluster engine mode", "AWS::RDS::DBCluster", "EngineMode", "serverless", true, nil, ""},
		{"cluster publicly accessible", "AWS::RDS::DBCluster", "PubliclyAccessible", true, true, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := replaces(c.typ, c.prop); got != c.replace {
				t.Fatalf("%s replaces: %v, want %v", c.prop, got, c.replace)
			}
			if c.replace {
				return
			}
			table, op := instanceInPlace, "ModifyDBInstance"
			if c.typ == "AWS::RDS::DBCluster" {
				table, op = clusterInPlace, "ModifyDBCluster"
			}
			got, err := cfnModifyPlan(c.typ, op, table, base, with(c.prop, c.value))
			if c.err != "" {
				if err == nil || !awserr.NotImplemented.Is(err) || !strings.Contains(err.Error(), strings.TrimPrefix(c.err, "NotImplemented: ")) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil || kit.PropJSON(map[string]any{"v": got}, "v") != kit.PropJSON(map[string]any{"v": c.members}, "v") {
				t.Fatalf("plan = %v, %v; want %v", got, err, c.members)
			}
		})
	}
}

// TestCloudFormationInstanceUpdateInPlace: a real MariaDB instance made
// by the provider keeps its identifier, endpoint and data through a tag,
// class and storage change made in place; a smaller AllocatedStorage is
// refused as RDS refuses it, and ModifyDBInstance without
// ApplyImmediately leaves a larger one pending.
func TestCloudFormationInstanceUpdateInPlace(t *testing.T) {
	requireMariaDB(t)
	s, h := newService(t, nil)
	ctx := h.Ctx()
	p := s.cfnResources()["AWS::RDS::DBInstance"]
	r := kit.ResourceRequest{LogicalID: "Db", StackName: "app", Properties: map[string]any{
		"Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20", "MasterUsername": "admin", "DBName": "app",
		"MasterUserPassword": "secret-pw1", "BackupRetentionPeriod": "0",
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}, map[string]any{"Key": "gone", "Value": "x"}}}}
	res, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	r.PhysicalID, r.Attributes = res.PhysicalID, res.Attributes
	h.Clock.Advance(createTime)
	d := waitStatus(t, s, h, res.PhysicalID, "available")
	srv, _, _ := s.server(ptr.Deref(d.DbiResourceId))
	if _, err := srv.Exec(ctx, "app", "CREATE TABLE t (k varchar(8)); INSERT INTO t VALUES ('kept');"); err != nil {
		t.Fatal(err)
	}

	r.OldProperties, r.Properties = r.Properties, map[string]any{
		"Engine": "mysql", "DBInstanceClass": "db.t3.small", "AllocatedStorage": 30, "MasterUsername": "admin", "DBName": "app",
		"MasterUserPassword": "secret-pw1", "BackupRetentionPeriod": "0",
		"Tags": []any{map[string]any{"Key": "team", "Value": "b"}, map[string]any{"Key": "new", "Value": "y"}}}
	up, err := p.Update(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if up.PhysicalID != res.PhysicalID || up.Attributes["Endpoint.Address"] != res.Attributes["Endpoint.Address"] ||
		up.Attributes["Endpoint.Port"] != res.Attributes["Endpoint.Port"] || up.Attributes["DbiResourceId"] != res.Attributes["DbiResourceId"] {
		t.Fatalf("after update %+v, before %+v", up, res)
	}
	h.Clock.Advance(modifyTime)
	d = waitStatus(t, s, h, res.PhysicalID, "available")
	if ptr.Deref(d.DBInstanceClass) != "db.t3.small" || ptr.Deref(d.AllocatedStorage) != 30 {
		t.Fatalf("class %s storage %d", ptr.Deref(d.DBInstanceClass), ptr.Deref(d.AllocatedStorage))
	}
	tags, err := s.ListTagsForResource(ctx, &rdsapi.ListTagsForResourceInput{ResourceName: d.DBInstanceArn})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, tg := range tags.TagList {
		got[ptr.Deref(tg.Key)] = ptr.Deref(tg.Value)
	}
	if len(got) != 2 || got["team"] != "b" || got["new"] != "y" {
		t.Fatalf("tags %v", got)
	}
	srv, _, _ = s.server(ptr.Deref(d.DbiResourceId))
	if out, err := srv.Exec(ctx, "app", "SELECT k FROM t"); err != nil || strings.TrimSpace(out) != "kept" {
		t.Fatalf("data after the update: %q %v", out, err)
	}

	r.OldProperties, r.Properties = r.Properties, map[string]any{}
	for k, v := range r.OldProperties {
		r.Properties[k] = v
	}
	r.Properties["AllocatedStorage"] = "25"
	if _, err := p.Update(ctx, r); err == nil || !strings.Contains(err.Error(), "InvalidParameterValue: Invalid storage size for engine name mysql and storage type gp2: 25") {
		t.Fatalf("storage decrease: %v", err)
	}
	// Without ApplyImmediately a larger size waits for the maintenance
	// window, shown in PendingModifiedValues.
	if _, err := s.ModifyDBInstance(ctx, &rdsapi.ModifyDBInstanceInput{DBInstanceIdentifier: &res.PhysicalID, AllocatedStorage: ptr.To(int32(40))}); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, s, h, res.PhysicalID); ptr.Deref(d.AllocatedStorage) != 30 || ptr.Deref(d.PendingModifiedValues.AllocatedStorage) != 40 {
		t.Fatalf("storage %d pending %v", ptr.Deref(d.AllocatedStorage), d.PendingModifiedValues.AllocatedStorage)
	}
	if err := p.Delete(ctx, r); err != nil {
		t.Fatal(err)
	}
}

// TestCloudFormationClusterUpdateInPlace: an Aurora MySQL cluster made
// by the provider takes its tags, backup retention and deletion
// protection in place under the same identifier.
func TestCloudFormationClusterUpdateInPlace(t *testing.T) {
	requireMariaDB(t)
	s, h := newService(t, nil)
	ctx := h.Ctx()
	p := s.cfnResources()["AWS::RDS::DBCluster"]
	r := kit.ResourceRequest{LogicalID: "Cluster", StackName: "app", Properties: map[string]any{"Engine": "aurora-mysql",
		"MasterUsername": "admin", "MasterUserPassword": "secret-pw1", "BackupRetentionPeriod": "3",
		"Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}}
	res, err := p.Create(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	r.PhysicalID = res.PhysicalID
	h.Clock.Advance(clusterCreateTime)
	waitCluster(t, s, h, res.PhysicalID, "available")
	r.OldProperties, r.Properties = r.Properties, map[string]any{"Engine": "aurora-mysql",
		"MasterUsername": "admin", "MasterUserPassword": "secret-pw1", "BackupRetentionPeriod": 7, "DeletionProtection": true,
		"Tags": []any{map[string]any{"Key": "team", "Value": "b"}}}
	up, err := p.Update(ctx, r)
	if err != nil {
		t.Fatal(err)
	}
	if up.PhysicalID != res.PhysicalID || up.Attributes["Endpoint.Address"] != res.Attributes["Endpoint.Address"] {
		t.Fatalf("after update %+v, before %+v", up, res)
	}
	c := waitCluster(t, s, h, res.PhysicalID, "available")
	if ptr.Deref(c.BackupRetentionPeriod) != 7 || !ptr.Deref(c.DeletionProtection) {
		t.Fatalf("retention %d protection %v", ptr.Deref(c.BackupRetentionPeriod), ptr.Deref(c.DeletionProtection))
	}
	if len(c.TagList) != 1 || ptr.Deref(c.TagList[0].Value) != "b" {
		t.Fatalf("tags %+v", c.TagList)
	}
	if err := p.Delete(ctx, r); err == nil {
		t.Fatal("a protected cluster was deleted")
	}
}
