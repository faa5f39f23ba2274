package inbound

import (
	"encoding/json"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestDatabaseFromTheHost: the machine's own mysql client is a client
// outside the VPC. It connects to a publicly accessible instance in a
// subnet routed to an internet gateway whose security group allows it
// (0.0.0.0/0, or the host's apparent address 127.0.0.1/32); made
// private, or without the rule, its connection is never answered and
// its connect timeout ends it.
func TestDatabaseFromTheHost(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "MariaDB's server (Debian's mariadb-server)", "test", "-x", "/usr/sbin/mariadbd")
	framework.RequireClient(t, "the mysql client (Debian's mariadb-server)", "mysql", "--version")
	const mysql = "mysql"
	n := framework.StartBinary(t)
	text := func(args ...string) string {
		return strings.TrimSpace(n.MustAWS(t, append(args, "--output", "text")...))
	}
	vpc := text("ec2", "create-vpc", "--cidr-block", "10.30.0.0/16", "--query", "Vpc.VpcId")
	igw := text("ec2", "create-internet-gateway", "--query", "InternetGateway.InternetGatewayId")
	n.MustAWS(t, "ec2", "attach-internet-gateway", "--internet-gateway-id", igw, "--vpc-id", vpc)
	rtb := text("ec2", "describe-route-tables", "--filters", "Name=vpc-id,Values="+vpc, "--query", "RouteTables[0].RouteTableId")
	n.MustAWS(t, "ec2", "create-route", "--route-table-id", rtb, "--destination-cidr-block", "0.0.0.0/0", "--gateway-id", igw)
	a := text("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.30.1.0/24", "--availability-zone", n.Region+"a", "--query", "Subnet.SubnetId")
	c := text("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.30.2.0/24", "--availability-zone", n.Region+"c", "--query", "Subnet.SubnetId")
	sg := text("ec2", "create-security-group", "--vpc-id", vpc, "--group-name", "db", "--description", "db", "--query", "GroupId")
	n.MustAWS(t, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "3306", "--cidr", "0.0.0.0/0")
	n.MustAWS(t, "rds", "create-db-subnet-group", "--db-subnet-group-name", "public", "--db-subnet-group-description", "public", "--subnet-ids", a, c)
	n.MustAWS(t, "rds", "create-db-instance", "--db-instance-identifier", "pub", "--engine", "mysql",
		"--db-instance-class", "db.t3.micro", "--master-username", "admin", "--master-user-password", "secret-pw1",
		"--allocated-storage", "20", "--backup-retention-period", "0", "--db-subnet-group-name", "public",
		"--vpc-security-group-ids", sg, "--publicly-accessible")
	n.AdvanceClock(t, 10*time.Minute)
	port := 0
	framework.WaitUntil(t, framework.Patience, func() bool {
		var d struct {
			DBInstances []struct {
				DBInstanceStatus string
				Endpoint         *struct{ Port int }
			}
		}
		if err := json.Unmarshal([]byte(n.MustAWS(t, "rds", "describe-db-instances", "--db-instance-identifier", "pub")), &d); err != nil {
			t.Fatal(err)
		}
		if st := d.DBInstances[0].DBInstanceStatus; st == "failed" {
			t.Fatalf("instance failed: %s", n.MustAWS(t, "rds", "describe-events", "--source-identifier", "pub"))
		} else if st == "available" && d.DBInstances[0].Endpoint != nil {
			port = d.DBInstances[0].Endpoint.Port
			return true
		}
		return false
	}, "pub available")
	query := func() (string, error) {
		cmd := exec.Command(mysql, "--no-defaults", "--connect-timeout=3", "-h", "127.0.0.1", "-P", strconv.Itoa(port),
			"-uadmin", "-psecret-pw1", "-N", "-B", "-e", "SELECT 40+2")
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	refused := func(when string) {
		t.Helper()
		start := time.Now()
		out, err := query()
		if err == nil || time.Since(start) < 2*time.Second {
			t.Errorf("%s: %q %v after %v, want a connect timeout", when, out, err, time.Since(start))
		}
	}
	if out, err := query(); err != nil || out != "42" {
		t.Fatalf("public, 0.0.0.0/0: %q %v", out, err)
	}
	n.MustAWS(t, "rds", "modify-db-instance", "--db-instance-identifier", "pub", "--no-publicly-accessible", "--apply-immediately")
	refused("not publicly accessible")
	n.MustAWS(t, "rds", "modify-db-instance", "--db-instance-identifier", "pub", "--publicly-accessible", "--apply-immediately")
	n.MustAWS(t, "ec2", "revoke-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "3306", "--cidr", "0.0.0.0/0")
	refused("no rule")
	n.MustAWS(t, "ec2", "authorize-security-group-ingress", "--group-id", sg, "--protocol", "tcp", "--port", "3306", "--cidr", "127.0.0.1/32")
	if out, err := query(); err != nil || out != "42" {
		t.Fatalf("public, the host's address allowed: %q %v", out, err)
	}
}
