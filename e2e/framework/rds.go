package framework

import (
	"testing"
	"time"
)

// DBEndpoint is where an RDS instance's server listens.
type DBEndpoint struct {
	Address string
	Port    int
}

// DBInstance is an RDS instance as describe-db-instances answers it.
type DBInstance struct {
	DbiResourceId    string
	DBInstanceStatus string
	Endpoint         *DBEndpoint
}

// WaitDBInstance advances niwa's clock past an instance's creation and
// waits until it is available with its endpoint; an instance that failed
// fails the test with its events.
func (n *Niwa) WaitDBInstance(t testing.TB, id string) DBInstance {
	t.Helper()
	n.AdvanceClock(t, 10*time.Minute)
	var in DBInstance
	WaitUntil(t, Patience, func() bool {
		var d struct{ DBInstances []DBInstance }
		MustJSON(t, n.MustAWS(t, "rds", "describe-db-instances", "--db-instance-identifier", id), &d)
		in = d.DBInstances[0]
		if in.DBInstanceStatus == "failed" {
			t.Fatalf("instance %s failed: %s", id, n.MustAWS(t, "rds", "describe-events", "--source-identifier", id))
		}
		return in.DBInstanceStatus == "available" && in.Endpoint != nil
	}, id+" available")
	return in
}
