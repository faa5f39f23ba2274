package rds

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
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
	if _, err := s.DescribeDBParameters(ctx, &rdsapi.DescribeDBParametersInput{DBParameterGroupName: ptr.To("bad")}); err == nil {
		t.Fatal("a failed create left its group")
	}
}

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

// TestCloudFormationMoreProviders: a cluster parameter group whose
// parameters change in place; an option group (options refused: niwa
// has no ModifyOptionGroup); a proxy changed in place, its default target
// group given an instance and pool settings, and a reader endpoint; an
// event subscription. Each delete runs twice (the second finds it gone).
func TestCloudFormationMoreProviders(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("no database server in this test")
	})
	ctx := h.Ctx()
	p := s.cfnResources()
	create := func(typ string, props map[string]any) kit.ResourceRequest {
		t.Helper()
		r := kit.ResourceRequest{LogicalID: "R", StackName: "s", Properties: props}
		res, err := p[typ].Create(ctx, r)
		if err != nil {
			t.Fatalf("create %s: %v", typ, err)
		}
		r.PhysicalID, r.Attributes = res.PhysicalID, res.Attributes
		return r
	}
	update := func(typ string, r *kit.ResourceRequest, props map[string]any) {
		t.Helper()
		for _, name := range p[typ].Replace {
			if kit.PropJSON(props, name) != kit.PropJSON(r.Properties, name) {
				t.Fatalf("%s: %s changes only by replacement", typ, name)
			}
		}
		r.OldProperties, r.Properties = r.Properties, props
		res, err := p[typ].Update(ctx, *r)
		if err != nil || res.PhysicalID != r.PhysicalID {
			t.Fatalf("update %s: %+v %v", typ, res, err)
		}
		r.Attributes = res.Attributes
	}
	remove := func(typ string, r kit.ResourceRequest) {
		t.Helper()
		for i := 0; i < 2; i++ {
			if err := p[typ].Delete(ctx, r); err != nil {
				t.Fatalf("delete %s (%d): %v", typ, i, err)
			}
		}
	}

	cpg := create("AWS::RDS::DBClusterParameterGroup", map[string]any{"Description": "aurora", "Family": "aurora-mysql8.0",
		"Parameters": map[string]any{"time_zone": "UTC"}})
	update("AWS::RDS::DBClusterParameterGroup", &cpg, map[string]any{"Description": "aurora", "Family": "aurora-mysql8.0",
		"Parameters": map[string]any{"time_zone": "Europe/Paris"}})
	params, err := s.DescribeDBClusterParameters(ctx, &rdsapi.DescribeDBClusterParametersInput{DBClusterParameterGroupName: &cpg.PhysicalID, Source: ptr.To("user")})
	if err != nil || len(params.Parameters) != 1 || *params.Parameters[0].ParameterValue != "Europe/Paris" {
		t.Fatalf("cluster parameters %+v %v", params, err)
	}
	if _, err := p["AWS::RDS::DBClusterParameterGroup"].Create(ctx, kit.ResourceRequest{LogicalID: "X", Properties: map[string]any{"Family": "aurora-mysql8.0"}}); err == nil {
		t.Fatal("a group without Description was made")
	}
	remove("AWS::RDS::DBClusterParameterGroup", cpg)

	og := create("AWS::RDS::OptionGroup", map[string]any{"EngineName": "mysql", "MajorEngineVersion": "8.0", "OptionGroupDescription": "opts"})
	if og.PhysicalID == "" {
		t.Fatal("no option group name")
	}
	if _, err := p["AWS::RDS::OptionGroup"].Create(ctx, kit.ResourceRequest{LogicalID: "O2", Properties: map[string]any{"EngineName": "mysql",
		"MajorEngineVersion": "8.0", "OptionGroupDescription": "o", "OptionConfigurations": []any{map[string]any{"OptionName": "MARIADB_AUDIT_PLUGIN"}}}}); err == nil ||
		!strings.Contains(err.Error(), "ModifyOptionGroup") {
		t.Fatalf("options: %v", err)
	}
	remove("AWS::RDS::OptionGroup", og)

	db, err := p["AWS::RDS::DBInstance"].Create(ctx, kit.ResourceRequest{LogicalID: "Db", StackName: "s", Properties: map[string]any{
		"DBInstanceIdentifier": "db1", "Engine": "mysql", "DBInstanceClass": "db.t3.micro", "AllocatedStorage": "20",
		"MasterUsername": "admin", "MasterUserPassword": "secret-pw1"}})
	if err != nil {
		t.Fatal(err)
	}
	auth := []any{map[string]any{"AuthScheme": "SECRETS", "SecretArn": "arn:aws:secretsmanager:us-east-1:000000000000:secret:admin-AbCdEf", "IAMAuth": "DISABLED"}}
	proxyProps := func(tls bool) map[string]any {
		return map[string]any{"DBProxyName": "shop-proxy", "EngineFamily": "MYSQL", "RoleArn": "arn:aws:iam::000000000000:role/proxy",
			"VpcSubnetIds": []any{"subnet-1", "subnet-2"}, "Auth": auth, "RequireTLS": tls}
	}
	// The proxy's create waits for it to be available.
	proxy := kit.ResourceRequest{LogicalID: "P", StackName: "s", Properties: proxyProps(false)}
	made := make(chan kit.ResourceResult, 1)
	go func() {
		res, err := p["AWS::RDS::DBProxy"].Create(ctx, proxy)
		if err != nil {
			t.Error(err)
		}
		made <- res
	}()
	for deadline := time.Now().Add(30 * time.Second); h.Clock.Waiters() == 0 && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	select {
	case <-made:
		t.Fatal("the proxy's create did not wait for it to be available")
	default:
	}
	h.Clock.Advance(proxyCreateTime)
	res := <-made
	proxy.PhysicalID, proxy.Attributes = res.PhysicalID, res.Attributes
	if proxy.PhysicalID != "shop-proxy" || !strings.HasPrefix(proxy.Attributes["Endpoint"].(string), "shop-proxy.proxy-") ||
		!strings.Contains(proxy.Attributes["DBProxyArn"].(string), ":db-proxy:prx-") {
		t.Fatalf("proxy %+v", proxy)
	}
	update("AWS::RDS::DBProxy", &proxy, proxyProps(true))
	px, err := s.DescribeDBProxies(ctx, &rdsapi.DescribeDBProxiesInput{DBProxyName: ptr.To("shop-proxy")})
	if err != nil || len(px.DBProxies) != 1 || !*px.DBProxies[0].RequireTLS {
		t.Fatalf("proxy after update %+v %v", px, err)
	}
	tg := create("AWS::RDS::DBProxyTargetGroup", map[string]any{"DBProxyName": "shop-proxy", "TargetGroupName": "default",
		"DBInstanceIdentifiers": []any{db.PhysicalID}, "ConnectionPoolConfigurationInfo": map[string]any{"MaxConnectionsPercent": 90}})
	if !strings.Contains(tg.PhysicalID, ":target-group:") || tg.Attributes["TargetGroupArn"] != tg.PhysicalID {
		t.Fatalf("target group %+v", tg)
	}
	targets := func() int {
		out, err := s.DescribeDBProxyTargets(ctx, &rdsapi.DescribeDBProxyTargetsInput{DBProxyName: ptr.To("shop-proxy")})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Targets)
	}
	if targets() == 0 {
		t.Fatal("the instance was not registered")
	}
	update("AWS::RDS::DBProxyTargetGroup", &tg, map[string]any{"DBProxyName": "shop-proxy", "TargetGroupName": "default",
		"ConnectionPoolConfigurationInfo": map[string]any{"MaxConnectionsPercent": 80}})
	if n := targets(); n != 0 {
		t.Fatalf("%d targets after the template dropped the instance", n)
	}
	groups, err := s.DescribeDBProxyTargetGroups(ctx, &rdsapi.DescribeDBProxyTargetGroupsInput{DBProxyName: ptr.To("shop-proxy")})
	if err != nil || *groups.TargetGroups[0].ConnectionPoolConfig.MaxConnectionsPercent != 80 {
		t.Fatalf("pool %+v %v", groups, err)
	}
	remove("AWS::RDS::DBProxyTargetGroup", tg)

	ep := create("AWS::RDS::DBProxyEndpoint", map[string]any{"DBProxyEndpointName": "reader", "DBProxyName": "shop-proxy",
		"VpcSubnetIds": []any{"subnet-1", "subnet-2"}, "TargetRole": "READ_ONLY"})
	if ep.PhysicalID != "reader" || ep.Attributes["TargetRole"] != "READ_ONLY" || ep.Attributes["IsDefault"] != "false" || ep.Attributes["Endpoint"] == "" {
		t.Fatalf("proxy endpoint %+v", ep)
	}
	update("AWS::RDS::DBProxyEndpoint", &ep, map[string]any{"DBProxyEndpointName": "reader", "DBProxyName": "shop-proxy",
		"VpcSubnetIds": []any{"subnet-1", "subnet-2"}, "TargetRole": "READ_ONLY", "VpcSecurityGroupIds": []any{"sg-1"}})
	eps, err := s.DescribeDBProxyEndpoints(ctx, &rdsapi.DescribeDBProxyEndpointsInput{DBProxyEndpointName: ptr.To("reader")})
	if err != nil || len(eps.DBProxyEndpoints) != 1 || len(eps.DBProxyEndpoints[0].VpcSecurityGroupIds) != 1 {
		t.Fatalf("endpoint after update %+v %v", eps, err)
	}
	remove("AWS::RDS::DBProxyEndpoint", ep)
	remove("AWS::RDS::DBProxy", proxy)

	sub := create("AWS::RDS::EventSubscription", map[string]any{"SubscriptionName": "ops", "SnsTopicArn": "arn:aws:sns:us-east-1:000000000000:ops",
		"SourceType": "db-instance", "EventCategories": []any{"failure"}})
	subs, err := s.DescribeEventSubscriptions(ctx, &rdsapi.DescribeEventSubscriptionsInput{SubscriptionName: ptr.To("ops")})
	if err != nil || sub.PhysicalID != "ops" || len(subs.EventSubscriptionsList) != 1 {
		t.Fatalf("subscription %+v %+v %v", sub, subs, err)
	}
	remove("AWS::RDS::EventSubscription", sub)
}

// TestCloudFormationGroupTags: a subnet group's and a parameter group's
// tags change in place (a dropped key goes); a subnet group's subnets
// replace it (niwa has no ModifyDBSubnetGroup).
func TestCloudFormationGroupTags(t *testing.T) {
	s, h := newService(t, nil)
	ctx := h.Ctx()
	p := s.cfnResources()
	tags := func(kv ...string) []any {
		var l []any
		for i := 0; i < len(kv); i += 2 {
			l = append(l, map[string]any{"Key": kv[i], "Value": kv[i+1]})
		}
		return l
	}
	listTags := func(arn string) map[string]string {
		out, err := s.ListTagsForResource(ctx, &rdsapi.ListTagsForResourceInput{ResourceName: &arn})
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]string{}
		for _, tg := range out.TagList {
			m[*tg.Key] = *tg.Value
		}
		return m
	}
	for _, tc := range []struct{ typ, kind string }{{"AWS::RDS::DBSubnetGroup", "subgrp"}, {"AWS::RDS::DBParameterGroup", "pg"},
		{"AWS::RDS::DBClusterParameterGroup", "cluster-pg"}} {
		base := map[string]any{"DBSubnetGroupDescription": "d", "SubnetIds": []any{"subnet-a", "subnet-b"}}
		if tc.kind == "pg" {
			base = map[string]any{"Description": "d", "Family": "mysql8.0"}
		} else if tc.kind == "cluster-pg" {
			base = map[string]any{"Description": "d", "Family": "aurora-mysql8.0"}
		}
		props := func(tl []any) map[string]any {
			m := map[string]any{"Tags": tl}
			for k, v := range base {
				m[k] = v
			}
			return m
		}
		r := kit.ResourceRequest{LogicalID: "G", StackName: "s", Properties: props(tags("a", "1", "b", "2"))}
		res, err := p[tc.typ].Create(ctx, r)
		if err != nil {
			t.Fatalf("%s: %v", tc.typ, err)
		}
		r.PhysicalID, r.OldProperties, r.Properties = res.PhysicalID, r.Properties, props(tags("a", "3"))
		if up, err := p[tc.typ].Update(ctx, r); err != nil || up.PhysicalID != r.PhysicalID {
			t.Fatalf("%s update: %+v %v", tc.typ, up, err)
		}
		if got := listTags(arn(ctx, tc.kind, r.PhysicalID)); len(got) != 1 || got["a"] != "3" {
			t.Fatalf("%s tags after update %v", tc.typ, got)
		}
	}
	for _, name := range []string{"DBSubnetGroupDescription", "SubnetIds"} {
		found := false
		for _, rp := range p["AWS::RDS::DBSubnetGroup"].Replace {
			found = found || rp == name
		}
		if !found {
			t.Errorf("a change of %s should replace the subnet group", name)
		}
	}
}
