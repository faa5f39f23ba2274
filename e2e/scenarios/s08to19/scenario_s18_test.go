package s08to19

import (
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS18RDSLambda runs scenarios/S18-rds-lambda/run.sh against
// the built binary: a MySQL RDS instance (a real MariaDB server) in a
// VPC's DB subnet group, rows written by a function in the allowed
// security group, a Python Lambda in the VPC bundling pymysql that
// returns the row for a key, and one in another group that cannot connect.
func TestScenarioS18RDSLambda(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "MariaDB's server (Debian's mariadb-server)", "test", "-x", "/usr/sbin/mariadbd")
	framework.RequireClient(t, "Debian's python3-pymysql", "test", "-d", "/usr/lib/python3/dist-packages/pymysql")
	n := framework.StartBinary(t, "--iam-enforcement", "on")
	framework.RunScenario(t, n, "S18-rds-lambda", "NIWA_DNS_ADDR="+n.DNSAddr)
}
