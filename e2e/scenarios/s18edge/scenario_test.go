package s18edge

import (
	"strconv"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestScenarioS18ProtectedAPI runs scenarios/S18-protected-api/run.sh
// against the built binary with IAM enforcement on and an HTTPS port:
// through the distribution's alternate domain, over TLS with the ACM
// certificate (validated by the approval mail an SES receipt rule stored
// in S3), the caller the web ACL allows gets the RDS row as JSON from the
// VPC Lambda behind API Gateway; a wrong Authorization header or a caller
// outside the IP set gets 403 "Request blocked.", the API without its key
// 403 Forbidden, and POST CloudFront's method error.
func TestScenarioS18ProtectedAPI(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "aws CLI", "aws", "--version")
	framework.RequireClient(t, "curl", "curl", "--version")
	framework.RequireClient(t, "openssl", "openssl", "version")
	framework.RequireClient(t, "python3", "python3", "--version")
	framework.RequireClient(t, "the mysql client (Debian's mariadb-server)", "mysql", "--version")
	framework.RequireClient(t, "MariaDB's server (Debian's mariadb-server)", "test", "-x", "/usr/sbin/mariadbd")
	framework.RequireClient(t, "Debian's python3-pymysql", "test", "-d", "/usr/lib/python3/dist-packages/pymysql")
	https := strconv.Itoa(framework.FreePort(t))
	n := framework.StartBinary(t, "--iam-enforcement", "on", "--https-port", https)
	framework.RunScenario(t, n, "S18-protected-api", "NIWA_DNS_ADDR="+n.DNSAddr, "NIWA_HTTPS_PORT="+https)
}
