package restarts

import (
	"strconv"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestRestartS1DDNS: after the restart the EventBridge rule still invokes
// the DDNS function, which finds its table and zones: a new instance's
// records appear and the first instance's stop deletes its records.
func TestRestartS1DDNS(t *testing.T) {
	t.Parallel()
	requireCLIAndBoto3(t)
	n := start(t)
	framework.RunScenarioRestarting(t, n, "S1-ddns", "NIWA_DNS_ADDR="+n.DNSAddr)
}

// TestRestartS5S3SQSLambda: after the restart a new upload still goes
// bucket notification → queue → event source mapping → function.
func TestRestartS5S3SQSLambda(t *testing.T) {
	t.Parallel()
	requireCLIAndBoto3(t)
	n := start(t)
	framework.RunScenarioRestarting(t, n, "S5-s3-sqs-lambda")
}

// TestRestartS13EC2Scheduler: the stack made before the restart keeps
// scheduling after it (the clock's offset is kept with the data dir).
func TestRestartS13EC2Scheduler(t *testing.T) {
	t.Parallel()
	requireCLIAndBoto3(t)
	n := start(t)
	framework.RunScenarioRestarting(t, n, "S13-ec2-scheduler")
}

// TestRestartS18ProtectedAPI: the whole of S18 — database, VPC function,
// API key and stage, web ACL, e-mail-validated certificate and
// distribution — set up before the restart answers through the edge
// after it.
func TestRestartS18ProtectedAPI(t *testing.T) {
	t.Parallel()
	requireCLIAndBoto3(t)
	framework.RequireClient(t, "openssl", "openssl", "version")
	framework.RequireClient(t, "MariaDB's server (Debian's mariadb-server)", "test", "-x", "/usr/sbin/mariadbd")
	framework.RequireClient(t, "Debian's python3-pymysql", "test", "-d", "/usr/lib/python3/dist-packages/pymysql")
	https := strconv.Itoa(framework.FreePort(t))
	n := framework.StartBinary(t, "--iam-enforcement", "on", "--data-dir", t.TempDir(), "--https-port", https)
	framework.RunScenarioRestarting(t, n, "S18-protected-api", "NIWA_DNS_ADDR="+n.DNSAddr, "NIWA_HTTPS_PORT="+https)
}
