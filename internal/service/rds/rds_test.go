package rds

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func newService(t *testing.T, start func(context.Context, dbengine.Spec) (*dbengine.Server, error)) (*RDS, *servicetest.Harness) {
	t.Helper()
	h := servicetest.New(t, "rds")
	s, err := New(Options{Store: h.Store(), Clock: h.Clock, StartServer: start})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, h
}

func requireMariaDB(t *testing.T) {
	t.Helper()
	if _, err := dbengine.Find(dbengine.MariaDB); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%v (.ci/run installs mariadb-server)", err)
		}
		t.Skipf("%v", err)
	}
}

func mysqlInput(id string) *rdsapi.CreateDBInstanceInput {
	return &rdsapi.CreateDBInstanceInput{DBInstanceIdentifier: ptr.To(id), Engine: ptr.To("mysql"),
		DBInstanceClass: ptr.To("db.t3.micro"), MasterUsername: ptr.To("admin"), MasterUserPassword: ptr.To("secret-pw1"),
		AllocatedStorage: ptr.To(int32(20))}
}

// TestCreateRefusals: AWS's validation of CreateDBInstance and
// DeleteDBInstance, before any server starts.
func TestCreateRefusals(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		t.Error("a refused create started a server")
		return nil, fmt.Errorf("no")
	})
	cases := []struct {
		name   string
		change func(*rdsapi.CreateDBInstanceInput)
		want   string
	}{
		{"short password", func(in *rdsapi.CreateDBInstanceInput) { in.MasterUserPassword = ptr.To("short") }, "InvalidParameterValue: The parameter MasterUserPassword is not a valid password because it is shorter than 8 characters."},
		{"password with @", func(in *rdsapi.CreateDBInstanceInput) { in.MasterUserPassword = ptr.To("secret@pw1") }, "Only printable ASCII characters besides '/', '@', '\"', ' ' may be used."},
		{"no password", func(in *rdsapi.CreateDBInstanceInput) { in.MasterUserPassword = nil }, "The parameter MasterUserPassword must be provided and must not be blank."},
		{"both passwords", func(in *rdsapi.CreateDBInstanceInput) { in.ManageMasterUserPassword = ptr.To(true) }, "InvalidParameterCombination"},
		{"bad user", func(in *rdsapi.CreateDBInstanceInput) { in.MasterUsername = ptr.To("1admin") }, "The parameter MasterUsername is not a valid identifier."},
		{"reserved user", func(in *rdsapi.CreateDBInstanceInput) { in.MasterUsername = ptr.To("root") }, "MasterUsername root cannot be used as it is a reserved word used by the engine"},
		{"bad class", func(in *rdsapi.CreateDBInstanceInput) { in.DBInstanceClass = ptr.To("db.z1.tiny") }, "InvalidParameterCombination: RDS does not support creating a DB instance with the following combination: DBInstanceClass=db.z1.tiny, Engine=mysql"},
		{"bad engine", func(in *rdsapi.CreateDBInstanceInput) { in.Engine = ptr.To("oracle-ee") }, "InvalidParameterValue: Invalid DB engine: oracle-ee"},
		{"bad version", func(in *rdsapi.CreateDBInstanceInput) { in.EngineVersion = ptr.To("3.1") }, "Cannot find version 3.1 for mysql"},
		{"bad id", func(in *rdsapi.CreateDBInstanceInput) { in.DBInstanceIdentifier = ptr.To("a--b") }, "The parameter DBInstanceIdentifier is not a valid identifier."},
		{"small storage", func(in *rdsapi.CreateDBInstanceInput) { in.AllocatedStorage = ptr.To(int32(5)) }, "Invalid storage size for engine name mysql"},
		{"no subnet group", func(in *rdsapi.CreateDBInstanceInput) { in.DBSubnetGroupName = ptr.To("nope") }, "DBSubnetGroupNotFoundFault: DBSubnetGroup 'nope' not found."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := mysqlInput("db1")
			c.change(in)
			_, err := s.CreateDBInstance(h.Ctx(), in)
			if err == nil || !strings.Contains(err.Error(), strings.TrimPrefix(c.want, "DBSubnetGroupNotFoundFault: ")) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}
	_, err := s.DeleteDBInstance(h.Ctx(), &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: ptr.To("db1")})
	if err == nil || !strings.Contains(err.Error(), "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified.") {
		t.Fatalf("delete: %v", err)
	}
	_, err = s.DeleteDBInstance(h.Ctx(), &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: ptr.To("db1"), SkipFinalSnapshot: ptr.To(true)})
	if err == nil || !strings.Contains(err.Error(), "DBInstanceNotFound") {
		t.Fatalf("delete missing: %v", err)
	}
}

// TestMissingEngineFails: without the engine's server on the machine the
// instance goes to failed with an event naming the Debian package.
func TestMissingEngineFails(t *testing.T) {
	s, h := newService(t, func(context.Context, dbengine.Spec) (*dbengine.Server, error) {
		return nil, fmt.Errorf("%w: mariadb (install the Debian package mariadb-server)", dbengine.ErrMissing)
	})
	if _, err := s.CreateDBInstance(h.Ctx(), mysqlInput("db1")); err != nil {
		t.Fatal(err)
	}
	status := waitStatus(t, s, h, "db1", "failed")
	if status.Endpoint != nil {
		t.Fatal("a failed instance has an endpoint")
	}
	ev, err := s.DescribeEvents(h.Ctx(), &rdsapi.DescribeEventsInput{SourceIdentifier: ptr.To("db1")})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range ev.Events {
		found = found || strings.Contains(ptr.Deref(e.Message), "install the Debian package mariadb-server")
	}
	if !found {
		t.Fatalf("no event names the package: %+v", ev.Events)
	}
}

// waitStatus polls DescribeDBInstances (the server starts in the
// background; the clock alone does not make it ready) until the
// instance has status.
func waitStatus(t *testing.T, s *RDS, h *servicetest.Harness, id, status string) rdsapi.DBInstance {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		out, err := s.DescribeDBInstances(h.Ctx(), &rdsapi.DescribeDBInstancesInput{DBInstanceIdentifier: ptr.To(id)})
		if err != nil {
			t.Fatal(err)
		}
		d := out.DBInstances[0]
		last = ptr.Deref(d.DBInstanceStatus)
		if last == status {
			return d
		}
		time.Sleep(50 * time.Millisecond) // polling a real server's start, not moving time
	}
	t.Fatalf("%s is %s, want %s", id, last, status)
	return rdsapi.DBInstance{}
}

func describe(t *testing.T, s *RDS, h *servicetest.Harness, id string) rdsapi.DBInstance {
	t.Helper()
	out, err := s.DescribeDBInstances(h.Ctx(), &rdsapi.DescribeDBInstancesInput{DBInstanceIdentifier: ptr.To(id)})
	if err != nil {
		t.Fatal(err)
	}
	return out.DBInstances[0]
}

// TestLifecycleOnTheClock walks one real MariaDB instance through AWS's
// statuses: creating until the clock passes creation, backing-up (an
// automated snapshot is listed), available; stopping, stopped, and
// started again by RDS after seven days.
func TestLifecycleOnTheClock(t *testing.T) {
	requireMariaDB(t)
	s, h := newService(t, nil)
	// A parameter group's max_connections reaches the server.
	if _, err := s.CreateDBParameterGroup(h.Ctx(), &rdsapi.CreateDBParameterGroupInput{DBParameterGroupName: ptr.To("small"),
		DBParameterGroupFamily: ptr.To("mysql8.0"), Description: ptr.To("few connections")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ModifyDBParameterGroup(h.Ctx(), &rdsapi.ModifyDBParameterGroupInput{DBParameterGroupName: ptr.To("small"),
		Parameters: []rdsapi.Parameter{{ParameterName: ptr.To("max_connections"), ParameterValue: ptr.To("37"), ApplyMethod: ptr.To("pending-reboot")}}}); err != nil {
		t.Fatal(err)
	}
	in := mysqlInput("db1")
	in.DBName = ptr.To("app")
	in.DBParameterGroupName = ptr.To("small")
	out, err := s.CreateDBInstance(h.Ctx(), in)
	if err != nil {
		t.Fatal(err)
	}
	if st := ptr.Deref(out.DBInstance.DBInstanceStatus); st != "creating" || out.DBInstance.Endpoint != nil {
		t.Fatalf("created as %s with endpoint %v", st, out.DBInstance.Endpoint)
	}
	if _, err := s.CreateDBInstance(h.Ctx(), mysqlInput("DB1")); !rdsapi.ErrDBInstanceAlreadyExistsFault.Is(err) {
		t.Fatalf("second create: %v", err)
	}
	if st := ptr.Deref(describe(t, s, h, "db1").DBInstanceStatus); st != "creating" {
		t.Fatalf("before the clock moves: %s", st)
	}
	h.Clock.Advance(createTime)
	d := waitStatus(t, s, h, "db1", "backing-up")
	if d.Endpoint == nil || !strings.HasSuffix(ptr.Deref(d.Endpoint.Address), "."+h.Region+".rds.localhost") {
		t.Fatalf("endpoint %+v", d.Endpoint)
	}
	if ok, err := s.OwnsName(ptr.Deref(d.Endpoint.Address) + "."); err != nil || !ok {
		t.Fatalf("DNS does not own %s: %v", ptr.Deref(d.Endpoint.Address), err)
	}
	if ok, _ := s.OwnsName("other." + h.Region + ".rds.localhost"); ok {
		t.Fatal("DNS owns an unknown name")
	}
	// Hosts files list the endpoint (kit.Declaration's EachName).
	var listed []string
	if err := s.EachName(func(n string) bool { listed = append(listed, n); return true }); err != nil || !slices.Contains(listed, ptr.Deref(d.Endpoint.Address)) {
		t.Fatalf("EachName lists %v, not %s: %v", listed, ptr.Deref(d.Endpoint.Address), err)
	}
	h.Clock.Advance(backupTime)
	d = waitStatus(t, s, h, "db1", "available")
	srv, _, _ := s.server(ptr.Deref(d.DbiResourceId))
	if got, err := srv.Exec(h.Ctx(), "", "SELECT @@max_connections"); err != nil || strings.TrimSpace(got) != "37" {
		t.Fatalf("max_connections = %q, %v", got, err)
	}

	// A read replica is a second, read-only server seeded from the source.
	if _, err := srv.Exec(h.Ctx(), "app", "CREATE TABLE t (k varchar(8)); INSERT INTO t VALUES ('row');"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDBInstanceReadReplica(h.Ctx(), &rdsapi.CreateDBInstanceReadReplicaInput{DBInstanceIdentifier: ptr.To("db1r"),
		SourceDBInstanceIdentifier: ptr.To("db1")}); err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(createTime + backupTime)
	rd := waitStatus(t, s, h, "db1r", "available")
	if ptr.Deref(rd.ReadReplicaSourceDBInstanceIdentifier) != "db1" {
		t.Fatalf("replica source %v", rd.ReadReplicaSourceDBInstanceIdentifier)
	}
	if src := describe(t, s, h, "db1"); len(src.ReadReplicaDBInstanceIdentifiers) != 1 || src.ReadReplicaDBInstanceIdentifiers[0] != "db1r" {
		t.Fatalf("source lists replicas %v", src.ReadReplicaDBInstanceIdentifiers)
	}
	rsrv, _, _ := s.server(ptr.Deref(rd.DbiResourceId))
	if got, err := rsrv.Exec(h.Ctx(), "app", "SELECT k FROM t; SELECT @@read_only;"); err != nil || strings.Fields(got)[0] != "row" || strings.Fields(got)[1] != "1" {
		t.Fatalf("replica: %q, %v", got, err)
	}
	if _, err := s.DeleteDBInstance(h.Ctx(), &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: ptr.To("db1r"), SkipFinalSnapshot: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	snaps, err := s.DescribeDBSnapshots(h.Ctx(), &rdsapi.DescribeDBSnapshotsInput{SnapshotType: ptr.To("automated")})
	if err != nil || len(snaps.DBSnapshots) != 1 || !strings.HasPrefix(ptr.Deref(snaps.DBSnapshots[0].DBSnapshotIdentifier), "rds:db1-") {
		t.Fatalf("automated snapshots: %+v %v", snaps, err)
	}

	if _, err := s.StartDBInstance(h.Ctx(), &rdsapi.StartDBInstanceInput{DBInstanceIdentifier: ptr.To("db1")}); !rdsapi.ErrInvalidDBInstanceStateFault.Is(err) {
		t.Fatalf("start of a running instance: %v", err)
	}
	if _, err := s.StopDBInstance(h.Ctx(), &rdsapi.StopDBInstanceInput{DBInstanceIdentifier: ptr.To("db1")}); err != nil {
		t.Fatal(err)
	}
	if st := ptr.Deref(describe(t, s, h, "db1").DBInstanceStatus); st != "stopping" {
		t.Fatalf("after stop: %s", st)
	}
	h.Clock.Advance(stopTime)
	d = describe(t, s, h, "db1")
	if ptr.Deref(d.DBInstanceStatus) != "stopped" || d.AutomaticRestartTime == nil {
		t.Fatalf("stopped: %s %v", ptr.Deref(d.DBInstanceStatus), d.AutomaticRestartTime)
	}
	h.Clock.Advance(autoStartAge)
	if st := ptr.Deref(describe(t, s, h, "db1").DBInstanceStatus); st != "starting" {
		t.Fatalf("after seven days stopped: %s", st)
	}
	h.Clock.Advance(startTime)
	waitStatus(t, s, h, "db1", "available")

	// Paging: MaxRecords below 20 is refused as AWS refuses it.
	if _, err := s.DescribeDBInstances(h.Ctx(), &rdsapi.DescribeDBInstancesInput{MaxRecords: ptr.To(int32(5))}); err == nil {
		t.Fatal("MaxRecords 5 accepted")
	}
	if _, err := s.DeleteDBInstance(h.Ctx(), &rdsapi.DeleteDBInstanceInput{DBInstanceIdentifier: ptr.To("db1"), SkipFinalSnapshot: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeDBInstances(h.Ctx(), &rdsapi.DescribeDBInstancesInput{DBInstanceIdentifier: ptr.To("db1")}); !rdsapi.ErrDBInstanceNotFoundFault.Is(err) {
		t.Fatalf("after delete: %v", err)
	}
}
