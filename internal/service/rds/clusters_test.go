package rds

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func clusterInput(id string) *rdsapi.CreateDBClusterInput {
	return &rdsapi.CreateDBClusterInput{DBClusterIdentifier: ptr.To(id), Engine: ptr.To("aurora-mysql"),
		MasterUsername: ptr.To("admin"), MasterUserPassword: ptr.To("secret-pw1")}
}

// TestClusterRefusals: AWS's validation of clusters and of instances
// joining them, before any server starts.
func TestClusterRefusals(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("%w: mariadb", dbengine.ErrMissing)
	})
	cases := []struct {
		name   string
		change func(*rdsapi.CreateDBClusterInput)
		want   string
	}{
		{"bad engine", func(in *rdsapi.CreateDBClusterInput) { in.Engine = ptr.To("aurora") }, "Invalid DB engine: aurora"},
		{"multi-az cluster", func(in *rdsapi.CreateDBClusterInput) { in.Engine = ptr.To("mysql") }, "Multi-AZ DB clusters of engine mysql are not supported"},
		{"bad version", func(in *rdsapi.CreateDBClusterInput) { in.EngineVersion = ptr.To("9.9") }, "Cannot find version 9.9 for aurora-mysql"},
		{"serverless v1", func(in *rdsapi.CreateDBClusterInput) { in.EngineMode = ptr.To("serverless") }, "engine mode serverless"},
		{"no password", func(in *rdsapi.CreateDBClusterInput) { in.MasterUserPassword = nil }, "MasterUserPassword must be provided"},
		{"bad scaling", func(in *rdsapi.CreateDBClusterInput) {
			in.ServerlessV2ScalingConfiguration = &rdsapi.ServerlessV2ScalingConfiguration{MinCapacity: ptr.To(4.0), MaxCapacity: ptr.To(2.0)}
		}, "Serverless v2 maximum capacity 2 isn't valid"},
		{"bad id", func(in *rdsapi.CreateDBClusterInput) { in.DBClusterIdentifier = ptr.To("c-") }, "DBClusterIdentifier is not a valid identifier"},
		{"no param group", func(in *rdsapi.CreateDBClusterInput) { in.DBClusterParameterGroupName = ptr.To("nope") }, "DBClusterParameterGroup not found: nope"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := clusterInput("c1")
			c.change(in)
			if _, err := s.CreateDBCluster(h.Ctx(), in); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	member := func(change func(*rdsapi.CreateDBInstanceInput)) *rdsapi.CreateDBInstanceInput {
		in := &rdsapi.CreateDBInstanceInput{DBInstanceIdentifier: ptr.To("i1"), DBClusterIdentifier: ptr.To("c1"),
			Engine: ptr.To("aurora-mysql"), DBInstanceClass: ptr.To("db.r6g.large")}
		change(in)
		return in
	}
	if _, err := s.CreateDBInstance(h.Ctx(), member(func(*rdsapi.CreateDBInstanceInput) {})); !rdsapi.ErrDBClusterNotFoundFault.Is(err) {
		t.Fatalf("member of a missing cluster: %v", err)
	}
	if _, err := s.CreateDBCluster(h.Ctx(), clusterInput("c1")); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		change func(*rdsapi.CreateDBInstanceInput)
		want   string
	}{
		"password":   {func(in *rdsapi.CreateDBInstanceInput) { in.MasterUserPassword = ptr.To("secret-pw1") }, "Set master user password for the DB Cluster."},
		"engine":     {func(in *rdsapi.CreateDBInstanceInput) { in.Engine = ptr.To("aurora-postgresql") }, "doesn't match the engine name of your DB cluster (aurora-mysql)"},
		"class":      {func(in *rdsapi.CreateDBInstanceInput) { in.DBInstanceClass = ptr.To("db.t3.micro") }, "DBInstanceClass=db.t3.micro, Engine=aurora-mysql"},
		"serverless": {func(in *rdsapi.CreateDBInstanceInput) { in.DBInstanceClass = ptr.To("db.serverless") }, "Serverless v2 scaling configuration"},
		"no cluster": {func(in *rdsapi.CreateDBInstanceInput) { in.DBClusterIdentifier = nil }, "DBClusterIdentifier parameter is required"},
	} {
		if _, err := s.CreateDBInstance(h.Ctx(), member(c.change)); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := s.CreateDBCluster(h.Ctx(), clusterInput("C1")); !rdsapi.ErrDBClusterAlreadyExistsFault.Is(err) {
		t.Fatalf("second create: %v", err)
	}
	if _, err := s.DeleteDBCluster(h.Ctx(), &rdsapi.DeleteDBClusterInput{DBClusterIdentifier: ptr.To("c1")}); err == nil ||
		!strings.Contains(err.Error(), "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.") {
		t.Fatalf("delete without a final snapshot choice: %v", err)
	}
	if _, err := s.DescribeDBClusters(h.Ctx(), &rdsapi.DescribeDBClustersInput{DBClusterIdentifier: ptr.To("nope")}); !rdsapi.ErrDBClusterNotFoundFault.Is(err) {
		t.Fatalf("describe missing: %v", err)
	}
	// The engine is missing: the cluster fails, with an event naming the package.
	c := waitCluster(t, s, h, "c1", "failed")
	if ptr.Deref(c.Status) != "failed" {
		t.Fatal(c.Status)
	}
	if _, err := s.StopDBCluster(h.Ctx(), &rdsapi.StopDBClusterInput{DBClusterIdentifier: ptr.To("c1")}); !rdsapi.ErrInvalidDBClusterStateFault.Is(err) ||
		!strings.Contains(err.Error(), "DbCluster c1 is in failed state but expected it to be one of available.") {
		t.Fatalf("stop of a failed cluster: %v", err)
	}
}

func waitCluster(t *testing.T, s *RDS, h *servicetest.Harness, id, status string) rdsapi.DBCluster {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		out, err := s.DescribeDBClusters(h.Ctx(), &rdsapi.DescribeDBClustersInput{DBClusterIdentifier: ptr.To(id)})
		if err != nil {
			t.Fatal(err)
		}
		last = ptr.Deref(out.DBClusters[0].Status)
		if last == status {
			return out.DBClusters[0]
		}
		time.Sleep(50 * time.Millisecond) // polling a real server's start, not moving time
	}
	t.Fatalf("cluster %s is %s, want %s", id, last, status)
	return rdsapi.DBCluster{}
}

// TestAuroraCluster: a cluster is one real MariaDB server; its writer
// and reader instances are endpoints of it (a reader sees the writer's
// rows at once), failover swaps roles, a cluster snapshot restores to a
// new cluster with the rows, and a cluster parameter group reaches the
// server.
func TestAuroraCluster(t *testing.T) {
	requireMariaDB(t)
	s, h := newService(t, nil)
	if _, err := s.CreateDBClusterParameterGroup(h.Ctx(), &rdsapi.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: ptr.To("few"),
		DBParameterGroupFamily: ptr.To("aurora-mysql8.0"), Description: ptr.To("few connections")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModifyDBClusterParameterGroup(h.Ctx(), &rdsapi.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: ptr.To("few"),
		Parameters: []rdsapi.Parameter{{ParameterName: ptr.To("max_connections"), ParameterValue: ptr.To("43")}}}); err != nil {
		t.Fatal(err)
	}
	in := clusterInput("shop")
	in.DatabaseName = ptr.To("app")
	in.DBClusterParameterGroupName = ptr.To("few")
	in.EngineVersion = ptr.To("8.0")
	in.DeletionProtection = ptr.To(true)
	in.ServerlessV2ScalingConfiguration = &rdsapi.ServerlessV2ScalingConfiguration{MinCapacity: ptr.To(0.5), MaxCapacity: ptr.To(4.0)}
	out, err := s.CreateDBCluster(h.Ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	c := out.DBCluster
	if ptr.Deref(c.Status) != "creating" || ptr.Deref(c.EngineVersion) != "8.0.mysql_aurora.3.08.0" ||
		!strings.HasPrefix(ptr.Deref(c.Endpoint), "shop.cluster-") || !strings.HasPrefix(ptr.Deref(c.ReaderEndpoint), "shop.cluster-ro-") ||
		ptr.Deref(c.ServerlessV2ScalingConfiguration.MaxCapacity) != 4 {
		t.Fatalf("created: %+v", c)
	}
	for _, n := range []string{ptr.Deref(c.Endpoint), ptr.Deref(c.ReaderEndpoint)} {
		if ok, err := s.OwnsName(n + "."); !ok || err != nil {
			t.Fatalf("DNS does not own %s: %v", n, err)
		}
	}
	for _, m := range []struct {
		id, class string
	}{{"shop-1", "db.r6g.large"}, {"shop-2", "db.serverless"}} {
		if _, err := s.CreateDBInstance(h.Ctx(), &rdsapi.CreateDBInstanceInput{DBInstanceIdentifier: ptr.To(m.id), DBClusterIdentifier: ptr.To("shop"),
			Engine: ptr.To("aurora-mysql"), DBInstanceClass: ptr.To(m.class)}); err != nil {
			t.Fatal(err)
		}
	}
	h.Clock.Advance(createTime)
	c2 := waitCluster(t, s, h, "shop", "available")
	roles := map[string]bool{}
	for _, m := range c2.DBClusterMembers {
		roles[ptr.Deref(m.DBInstanceIdentifier)] = ptr.Deref(m.IsClusterWriter)
	}
	if len(roles) != 2 || !roles["shop-1"] || roles["shop-2"] {
		t.Fatalf("members %+v", c2.DBClusterMembers)
	}
	w := waitStatus(t, s, h, "shop-1", "available")
	r := waitStatus(t, s, h, "shop-2", "available")
	if ptr.Deref(w.DBClusterIdentifier) != "shop" || ptr.Deref(w.Endpoint.Port) != ptr.Deref(c.Port) || ptr.Deref(r.Endpoint.Port) != ptr.Deref(c.Port) {
		t.Fatalf("member endpoints %+v %+v, cluster port %d", w.Endpoint, r.Endpoint, ptr.Deref(c.Port))
	}
	list, err := s.DescribeDBInstances(h.Ctx(), &rdsapi.DescribeDBInstancesInput{Filters: []rdsapi.Filter{{Name: ptr.To("db-cluster-id"), Values: []string{"shop"}}}})
	if err != nil || len(list.DBInstances) != 2 {
		t.Fatalf("filter db-cluster-id: %v %v", list, err)
	}
	srv, _, _ := s.server(ptr.Deref(c.DbClusterResourceId))
	if got, err := srv.Exec(h.Ctx(), "app", "CREATE TABLE t (k varchar(8)); INSERT INTO t VALUES ('row'); SELECT @@max_connections;"); err != nil || strings.TrimSpace(got) != "43" {
		t.Fatalf("server: %q %v", got, err)
	}
	// Instance-level operations Aurora does on the cluster are refused.
	if _, err := s.CreateDBSnapshot(h.Ctx(), &rdsapi.CreateDBSnapshotInput{DBInstanceIdentifier: ptr.To("shop-1"), DBSnapshotIdentifier: ptr.To("s")}); err == nil ||
		!strings.Contains(err.Error(), "Please use the CreateDBClusterSnapshot API instead.") {
		t.Fatalf("instance snapshot of a member: %v", err)
	}
	if _, err := s.StopDBInstance(h.Ctx(), &rdsapi.StopDBInstanceInput{DBInstanceIdentifier: ptr.To("shop-2")}); err == nil {
		t.Fatal("a member stopped alone")
	}

	// A proxy registered with the cluster reaches its server.
	px, err := s.CreateDBProxy(h.Ctx(), &rdsapi.CreateDBProxyInput{DBProxyName: ptr.To("shop-proxy"), EngineFamily: ptr.To("MYSQL"),
		RoleArn: ptr.To("arn:aws:iam::000000000000:role/proxy"), VpcSubnetIds: []string{"subnet-1", "subnet-2"},
		Auth: []rdsapi.UserAuthConfig{{SecretArn: ptr.To("arn:aws:secretsmanager:us-east-1:000000000000:secret:admin-AbCdEf")}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(ptr.Deref(px.DBProxy.Endpoint), "shop-proxy.proxy-") {
		t.Fatalf("proxy endpoint %s", ptr.Deref(px.DBProxy.Endpoint))
	}
	if ok, _ := s.OwnsName(ptr.Deref(px.DBProxy.Endpoint)); !ok {
		t.Fatal("DNS does not own the proxy's endpoint")
	}
	if _, err := s.RegisterDBProxyTargets(h.Ctx(), &rdsapi.RegisterDBProxyTargetsInput{DBProxyName: ptr.To("shop-proxy"), DBClusterIdentifiers: []string{"shop"}}); err != nil {
		t.Fatal(err)
	}
	targets, err := s.DescribeDBProxyTargets(h.Ctx(), &rdsapi.DescribeDBProxyTargetsInput{DBProxyName: ptr.To("shop-proxy")})
	if err != nil || len(targets.Targets) != 3 || ptr.Deref(targets.Targets[0].Type) != "TRACKED_CLUSTER" {
		t.Fatalf("targets %+v %v", targets, err)
	}
	proxyPort := ""
	s.mu.Lock()
	for key, r := range s.servers {
		if strings.HasPrefix(key, "proxy/") {
			proxyPort = r.front.Addr().String()
		}
	}
	s.mu.Unlock()
	db, err := sql.Open("mysql", "admin:secret-pw1@tcp("+proxyPort+")/app")
	if err != nil {
		t.Fatal(err)
	}
	var k string
	if err := db.QueryRow("SELECT k FROM t").Scan(&k); err != nil || k != "row" {
		t.Fatalf("through the proxy: %q %v", k, err)
	}
	_ = db.Close()
	if _, err := s.DeleteDBProxy(h.Ctx(), &rdsapi.DeleteDBProxyInput{DBProxyName: ptr.To("shop-proxy")}); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", proxyPort); err == nil {
		_ = c.Close()
		t.Fatal("a deleted proxy still listens")
	}

	// Failover: the reader becomes the writer.
	fo, err := s.FailoverDBCluster(h.Ctx(), &rdsapi.FailoverDBClusterInput{DBClusterIdentifier: ptr.To("shop"), TargetDBInstanceIdentifier: ptr.To("shop-2")})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range fo.DBCluster.DBClusterMembers {
		if ptr.Deref(m.IsClusterWriter) != (ptr.Deref(m.DBInstanceIdentifier) == "shop-2") {
			t.Fatalf("after failover: %+v", fo.DBCluster.DBClusterMembers)
		}
	}

	// A custom endpoint is answered by DNS.
	ep, err := s.CreateDBClusterEndpoint(h.Ctx(), &rdsapi.CreateDBClusterEndpointInput{DBClusterIdentifier: ptr.To("shop"),
		DBClusterEndpointIdentifier: ptr.To("reports"), EndpointType: ptr.To("READER"), StaticMembers: []string{"shop-1"}})
	if err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.OwnsName(ptr.Deref(ep.Endpoint)); !ok || !strings.HasPrefix(ptr.Deref(ep.Endpoint), "reports.cluster-custom-") {
		t.Fatalf("custom endpoint %s", ptr.Deref(ep.Endpoint))
	}
	if _, err := s.CreateDBClusterEndpoint(h.Ctx(), &rdsapi.CreateDBClusterEndpointInput{DBClusterIdentifier: ptr.To("shop"),
		DBClusterEndpointIdentifier: ptr.To("x"), EndpointType: ptr.To("ANY"), StaticMembers: []string{"other"}}); err == nil {
		t.Fatal("a custom endpoint with a stranger accepted")
	}
	eps, err := s.DescribeDBClusterEndpoints(h.Ctx(), &rdsapi.DescribeDBClusterEndpointsInput{DBClusterIdentifier: ptr.To("shop")})
	if err != nil || len(eps.DBClusterEndpoints) != 3 {
		t.Fatalf("endpoints %+v %v", eps, err)
	}

	// Cluster snapshot → a new cluster with the rows.
	if _, err := s.CreateDBClusterSnapshot(h.Ctx(), &rdsapi.CreateDBClusterSnapshotInput{DBClusterIdentifier: ptr.To("shop"), DBClusterSnapshotIdentifier: ptr.To("snap1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CopyDBClusterSnapshot(h.Ctx(), &rdsapi.CopyDBClusterSnapshotInput{SourceDBClusterSnapshotIdentifier: ptr.To("snap1"), TargetDBClusterSnapshotIdentifier: ptr.To("snap2")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RestoreDBClusterFromSnapshot(h.Ctx(), &rdsapi.RestoreDBClusterFromSnapshotInput{DBClusterIdentifier: ptr.To("shop2"),
		SnapshotIdentifier: ptr.To("snap2"), Engine: ptr.To("aurora-mysql")}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(clusterCreateTime)
	restored := waitCluster(t, s, h, "shop2", "available")
	rsrv, _, _ := s.server(ptr.Deref(restored.DbClusterResourceId))
	if got, err := rsrv.Exec(h.Ctx(), "app", "SELECT k FROM t"); err != nil || strings.TrimSpace(got) != "row" {
		t.Fatalf("restored: %q %v", got, err)
	}
	snaps, err := s.DescribeDBClusterSnapshots(h.Ctx(), &rdsapi.DescribeDBClusterSnapshotsInput{DBClusterIdentifier: ptr.To("shop")})
	if err != nil || len(snaps.DBClusterSnapshots) != 2 {
		t.Fatalf("snapshots %+v %v", snaps, err)
	}

	// Deletion: protected, then refused while instances remain.
	if _, err := s.DeleteDBCluster(h.Ctx(), &rdsapi.DeleteDBClusterInput{DBClusterIdentifier: ptr.To("shop"), SkipFinalSnapshot: ptr.To(true)}); err == nil ||
		!strings.Contains(err.Error(), "Cannot delete protected Cluster") {
		t.Fatalf("delete of a protected cluster: %v", err)
	}
	if _, err := s.ModifyDBCluster(h.Ctx(), &rdsapi.ModifyDBClusterInput{DBClusterIdentifier: ptr.To("shop"), DeletionProtection: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteDBCluster(h.Ctx(), &rdsapi.DeleteDBClusterInput{DBClusterIdentifier: ptr.To("shop"), SkipFinalSnapshot: ptr.To(true)}); !rdsapi.ErrInvalidDBClusterStateFault.Is(err) {
		t.Fatalf("delete with instances: %v", err)
	}
	// Deleting the writer hands the role to the other member.
	if _, err := s.DeleteDBInstance(h.Ctx(), &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: ptr.To("shop-2")}); err != nil {
		t.Fatal(err)
	}
	c3 := waitCluster(t, s, h, "shop", "available")
	if len(c3.DBClusterMembers) != 1 || !ptr.Deref(c3.DBClusterMembers[0].IsClusterWriter) {
		t.Fatalf("after the writer's deletion: %+v", c3.DBClusterMembers)
	}
	if _, err := s.DeleteDBInstance(h.Ctx(), &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: ptr.To("shop-1")}); err != nil {
		t.Fatal(err)
	}
	// Stop and start move the server.
	if _, err := s.StopDBCluster(h.Ctx(), &rdsapi.StopDBClusterInput{DBClusterIdentifier: ptr.To("shop")}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(stopTime)
	waitCluster(t, s, h, "shop", "stopped")
	if srv, _, _ := s.server(ptr.Deref(c.DbClusterResourceId)); srv != nil {
		t.Fatal("a stopped cluster's server runs")
	}
	if _, err := s.StartDBCluster(h.Ctx(), &rdsapi.StartDBClusterInput{DBClusterIdentifier: ptr.To("shop")}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(startTime)
	waitCluster(t, s, h, "shop", "available")
	if _, err := s.DeleteDBCluster(h.Ctx(), &rdsapi.DeleteDBClusterInput{DBClusterIdentifier: ptr.To("shop"), FinalDBSnapshotIdentifier: ptr.To("last")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeDBClusterSnapshots(h.Ctx(), &rdsapi.DescribeDBClusterSnapshotsInput{DBClusterSnapshotIdentifier: ptr.To("last")}); err != nil {
		t.Fatalf("final snapshot: %v", err)
	}
	if ok, _ := s.OwnsName(ptr.Deref(c.Endpoint)); ok {
		t.Fatal("DNS owns a deleted cluster's endpoint")
	}
}

// TestPortsNotHandedOutTwice: an endpoint port is reserved when it is
// handed out, before anything binds it, so two creates in a row get two
// ports.
func TestPortsNotHandedOutTwice(t *testing.T) {
	s, _ := newService(t, nil)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	free := int32(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	a, err := s.pickPort(free)
	if err != nil || a != free {
		t.Fatalf("first: %d %v, want %d", a, err, free)
	}
	b, err := s.pickPort(free)
	if err != nil || b == free {
		t.Fatalf("second: %d %v, want another port than %d", b, err, free)
	}
}

// TestAuroraPostgreSQL: an aurora-postgresql cluster is a PostgreSQL
// server with the cluster's database and master user; its parameter
// group family is aurora-postgresqlNN.
func TestAuroraPostgreSQL(t *testing.T) {
	if _, err := dbengine.Find(dbengine.Postgres); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (.ci/run installs postgresql)", err)
		}
		t.Skip(err)
	}
	s, h := newService(t, nil)
	if _, err := s.CreateDBClusterParameterGroup(h.Ctx(), &rdsapi.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: ptr.To("pg16"),
		DBParameterGroupFamily: ptr.To("aurora-postgresql16"), Description: ptr.To("work_mem")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModifyDBClusterParameterGroup(h.Ctx(), &rdsapi.ModifyDBClusterParameterGroupInput{DBClusterParameterGroupName: ptr.To("pg16"),
		Parameters: []rdsapi.Parameter{{ParameterName: ptr.To("work_mem"), ParameterValue: ptr.To("8MB")}}}); err != nil {
		t.Fatal(err)
	}
	in := clusterInput("pgc")
	in.Engine, in.MasterUsername, in.DatabaseName, in.DBClusterParameterGroupName = ptr.To("aurora-postgresql"), ptr.To("master"), ptr.To("app"), ptr.To("pg16")
	out, err := s.CreateDBCluster(h.Ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	if v := ptr.Deref(out.DBCluster.EngineVersion); v != "16.6" || ptr.Deref(out.DBCluster.Port) == 0 {
		t.Fatalf("version %s port %d", v, ptr.Deref(out.DBCluster.Port))
	}
	h.Clock.Advance(clusterCreateTime)
	c := waitCluster(t, s, h, "pgc", "available")
	srv, _, _ := s.server(ptr.Deref(c.DbClusterResourceId))
	if got, err := srv.Exec(h.Ctx(), "app", "SELECT current_user, current_setting('work_mem')"); err != nil || strings.TrimSpace(got) != "master|8MB" {
		t.Fatalf("server: %q %v", got, err)
	}
	if _, err := s.CreateDBClusterParameterGroup(h.Ctx(), &rdsapi.CreateDBClusterParameterGroupInput{DBClusterParameterGroupName: ptr.To("bad"),
		DBParameterGroupFamily: ptr.To("postgres16"), Description: ptr.To("x")}); err == nil {
		t.Fatal("an instance family accepted for a cluster parameter group")
	}
}
