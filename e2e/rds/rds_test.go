// Package rds drives RDS through the real aws CLI against the built
// niwa: an instance is a real database server the mysql and psql clients
// connect to with the master password; its data survives a kill -9 and
// restart of niwa with --data-dir; a snapshot restores to a new instance
// holding the rows.
package rds

import (
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// waitAvailable advances niwa's clock past creation and waits until the
// instance's server is up, then checks the CLI waiter agrees.
func waitAvailable(t *testing.T, n *framework.Niwa, id string) framework.DBEndpoint {
	t.Helper()
	ep := *n.WaitDBInstance(t, id).Endpoint
	n.MustAWS(t, "rds", "wait", "db-instance-available", "--db-instance-identifier", id)
	if !strings.HasPrefix(ep.Address, id+".") || !strings.HasSuffix(ep.Address, "."+n.Region+".rds.localhost") {
		t.Fatalf("endpoint address %q", ep.Address)
	}
	return ep
}

func mysqlQuery(t *testing.T, ep framework.DBEndpoint, password, db, sql string) (string, error) {
	t.Helper()
	client := framework.RequireTool(t, "mysql")
	cmd := exec.Command(client, "--no-defaults", "-h", "127.0.0.1", "-P", strconv.Itoa(ep.Port), "-uadmin", "-p"+password, "-N", "-B", db, "-e", sql)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

func TestMySQLInstance(t *testing.T) {
	t.Parallel()
	framework.RequireTool(t, "mariadbd", "/usr/sbin/mariadbd")
	dir := t.TempDir()
	n := framework.StartBinary(t, "--data-dir", dir)

	// (CreateDBInstance's refusals are unit tests: internal/service/rds.)
	n.MustAWS(t, "rds", "create-db-instance", "--db-instance-identifier", "shop", "--engine", "mysql",
		"--db-instance-class", "db.t3.micro", "--master-username", "admin", "--master-user-password", "secret-pw1",
		"--allocated-storage", "20", "--db-name", "app", "--backup-retention-period", "0")
	ep := waitAvailable(t, n, "shop")
	if _, err := mysqlQuery(t, ep, "wrong-password", "app", "SELECT 1"); err == nil {
		t.Fatal("a wrong password connected")
	}
	if out, err := mysqlQuery(t, ep, "secret-pw1", "app",
		"CREATE TABLE items (k varchar(20) primary key, v varchar(50)); INSERT INTO items VALUES ('a','apple'),('b','banana'); SELECT v FROM items WHERE k='b'"); err != nil || out != "banana" {
		t.Fatalf("query: %q %v", out, err)
	}

	_, errOut, err := n.AWS(t, nil, "rds", "delete-db-instance", "--db-instance-identifier", "shop")
	if err == nil || !strings.Contains(errOut, "FinalDBSnapshotIdentifier is required unless SkipFinalSnapshot is specified") {
		t.Fatalf("delete without snapshot choice: %v %s", err, errOut)
	}

	// niwa killed with -9 and started again: the server is found, its
	// stale process cleared and the data served again.
	n.Kill9AndRestart()
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, err := mysqlQuery(t, ep, "secret-pw1", "app", "SELECT v FROM items WHERE k='a'")
		return err == nil && out == "apple"
	}, "rows after restart")

	// A snapshot restores to a new instance with the rows.
	n.MustAWS(t, "rds", "create-db-snapshot", "--db-instance-identifier", "shop", "--db-snapshot-identifier", "shop-snap")
	n.MustAWS(t, "rds", "restore-db-instance-from-db-snapshot", "--db-instance-identifier", "shop2", "--db-snapshot-identifier", "shop-snap")
	ep2 := waitAvailable(t, n, "shop2")
	if ep2.Port == ep.Port {
		t.Fatalf("restored instance shares port %d", ep.Port)
	}
	if out, err := mysqlQuery(t, ep2, "secret-pw1", "app", "SELECT v FROM items WHERE k='b'"); err != nil || out != "banana" {
		t.Fatalf("restored: %q %v", out, err)
	}

	// A new master password takes effect on the server.
	n.MustAWS(t, "rds", "modify-db-instance", "--db-instance-identifier", "shop2", "--master-user-password", "new-secret-2", "--apply-immediately")
	if out, err := mysqlQuery(t, ep2, "new-secret-2", "app", "SELECT count(*) FROM items"); err != nil || out != "2" {
		t.Fatalf("new password: %q %v", out, err)
	}

	// Stopping stops the server (once the modification is done).
	waitAvailable(t, n, "shop2")
	n.MustAWS(t, "rds", "stop-db-instance", "--db-instance-identifier", "shop2")
	if _, err := mysqlQuery(t, ep2, "new-secret-2", "app", "SELECT 1"); err == nil {
		t.Fatal("a stopped instance answered")
	}
	n.MustAWS(t, "rds", "delete-db-instance", "--db-instance-identifier", "shop", "--skip-final-snapshot")
	_, errOut, err = n.AWS(t, nil, "rds", "describe-db-instances", "--db-instance-identifier", "shop")
	if err == nil || !strings.Contains(errOut, "DBInstanceNotFound") {
		t.Fatalf("deleted: %v %s", err, errOut)
	}
}

func TestPostgresInstance(t *testing.T) {
	t.Parallel()
	framework.RequireTool(t, "postgres", "/usr/lib/postgresql/15/bin/postgres", "/usr/lib/postgresql/16/bin/postgres")
	psql := framework.RequireTool(t, "psql")
	n := framework.StartBinary(t)
	// An event subscription sends the instance's events to SNS, here to
	// an SQS queue whose policy lets SNS send.
	topic := strings.TrimSpace(n.MustAWS(t, "sns", "create-topic", "--name", "rds-events", "--query", "TopicArn", "--output", "text"))
	queue := strings.TrimSpace(n.MustAWS(t, "sqs", "create-queue", "--queue-name", "rds-events", "--query", "QueueUrl", "--output", "text"))
	queueARN := strings.TrimSpace(n.MustAWS(t, "sqs", "get-queue-attributes", "--queue-url", queue, "--attribute-names", "QueueArn",
		"--query", "Attributes.QueueArn", "--output", "text"))
	policy, _ := json.Marshal(map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"sns.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + queueARN + `"}]}`})
	n.MustAWS(t, "sqs", "set-queue-attributes", "--queue-url", queue, "--attributes", string(policy))
	n.MustAWS(t, "sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", queueARN)
	n.MustAWS(t, "rds", "create-event-subscription", "--subscription-name", "pg-events", "--sns-topic-arn", topic,
		"--source-type", "db-instance", "--source-ids", "pg")
	// RDS manages the master password in Secrets Manager.
	n.MustAWS(t, "rds", "create-db-instance", "--db-instance-identifier", "pg", "--engine", "postgres",
		"--db-instance-class", "db.t3.micro", "--master-username", "master", "--manage-master-user-password",
		"--allocated-storage", "20", "--db-name", "app")
	ep := waitAvailable(t, n, "pg")
	secretARN := strings.TrimSpace(n.MustAWS(t, "rds", "describe-db-instances", "--db-instance-identifier", "pg",
		"--query", "DBInstances[0].MasterUserSecret.SecretArn", "--output", "text"))
	var secret struct{ Username, Password string }
	value := n.MustAWS(t, "secretsmanager", "get-secret-value", "--secret-id", secretARN, "--query", "SecretString", "--output", "text")
	if err := json.Unmarshal([]byte(value), &secret); err != nil || secret.Username != "master" || len(secret.Password) < 8 {
		t.Fatalf("secret %q: %v", value, err)
	}
	got := ""
	framework.WaitUntil(t, framework.Patience, func() bool {
		got += n.MustAWS(t, "sqs", "receive-message", "--queue-url", queue, "--wait-time-seconds", "1", "--max-number-of-messages", "10")
		// The notification is JSON inside SNS's JSON inside the CLI's.
		return strings.Contains(got, `Event Message`) && strings.Contains(got, `DB instance created`) && strings.Contains(got, `RDS Notification Message`)
	}, "the DB instance created notification")
	cmd := exec.Command(psql, "-X", "-A", "-t", "-h", "127.0.0.1", "-p", strconv.Itoa(ep.Port), "-U", "master", "-d", "app",
		"-c", "CREATE TABLE t (k text); INSERT INTO t VALUES ('x');", "-c", "SELECT k FROM t")
	cmd.Env = append(os.Environ(), "PGPASSWORD="+secret.Password)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "x") {
		t.Fatalf("psql: %s %v", out, err)
	}
	cmd = exec.Command(psql, "-X", "-h", "127.0.0.1", "-p", strconv.Itoa(ep.Port), "-U", "master", "-d", "app", "-c", "SELECT 1")
	cmd.Env = append(os.Environ(), "PGPASSWORD=wrong-one")
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("a wrong password connected: %s", out)
	}
}
