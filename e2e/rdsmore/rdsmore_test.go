// Package rdsmore drives the second part of RDS through the real aws CLI
// and boto3 against the built niwa: an Aurora cluster whose writer
// endpoint (resolved through niwa's DNS) the mysql client reaches, and
// the Data API on it.
package rdsmore

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

func TestMain(m *testing.M) { framework.Main(m) }

// resolve asks niwa's DNS server for name, as a client in a VPC would.
func resolve(t *testing.T, n *framework.Niwa, name string) string {
	t.Helper()
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, n.DNSAddr)
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	addrs, err := r.LookupHost(ctx, name)
	if err != nil || len(addrs) == 0 {
		t.Fatalf("resolving %s through niwa's DNS: %v %v", name, addrs, err)
	}
	return addrs[0]
}

type cluster struct {
	DBClusterArn, Endpoint, ReaderEndpoint, Status string
	Port                                           int
	DBClusterMembers                               []struct {
		DBInstanceIdentifier string
		IsClusterWriter      bool
	}
}

// waitCluster advances niwa's clock past creation and waits until the
// cluster and its instance are available.
func waitCluster(t *testing.T, n *framework.Niwa, id, instance string) cluster {
	t.Helper()
	n.AdvanceClock(t, 10*time.Minute)
	var c cluster
	framework.WaitUntil(t, framework.Patience, func() bool {
		var d struct{ DBClusters []cluster }
		framework.MustJSON(t, n.MustAWS(t, "rds", "describe-db-clusters", "--db-cluster-identifier", id), &d)
		c = d.DBClusters[0]
		if c.Status == "failed" {
			t.Fatalf("cluster %s failed: %s", id, n.MustAWS(t, "rds", "describe-events", "--source-identifier", id))
		}
		return c.Status == "available"
	}, id+" available")
	n.MustAWS(t, "rds", "wait", "db-instance-available", "--db-instance-identifier", instance)
	return c
}

func mysql(t *testing.T, host string, port int, user, password, db, sql string) (string, error) {
	t.Helper()
	client := framework.RequireTool(t, "mysql")
	cmd := exec.Command(client, "--no-defaults", "--connect-timeout=30", "-h", host, "-P", strconv.Itoa(port), "-u"+user, "-p"+password, "-N", "-B", db, "-e", sql)
	out, err := cmd.CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// TestAuroraAndDataAPI: an aurora-mysql cluster with a writer and a
// reader; the mysql client writes through the writer endpoint and reads
// through the reader endpoint (one cluster volume); the Data API answers
// on it with the aws CLI and boto3.
func TestAuroraAndDataAPI(t *testing.T) {
	t.Parallel()
	framework.RequireTool(t, "mariadbd", "/usr/sbin/mariadbd")
	n := framework.StartBinary(t)
	n.MustAWS(t, "rds", "create-db-cluster", "--db-cluster-identifier", "shop", "--engine", "aurora-mysql",
		"--engine-version", "8.0", "--master-username", "admin", "--master-user-password", "secret-pw1",
		"--database-name", "app", "--enable-http-endpoint",
		"--serverless-v2-scaling-configuration", "MinCapacity=0.5,MaxCapacity=2")
	for _, id := range []string{"shop-1", "shop-2"} {
		n.MustAWS(t, "rds", "create-db-instance", "--db-instance-identifier", id, "--db-cluster-identifier", "shop",
			"--engine", "aurora-mysql", "--db-instance-class", "db.serverless")
	}
	c := waitCluster(t, n, "shop", "shop-2")
	if !strings.HasPrefix(c.Endpoint, "shop.cluster-") || !strings.HasPrefix(c.ReaderEndpoint, "shop.cluster-ro-") || len(c.DBClusterMembers) != 2 {
		t.Fatalf("cluster %+v", c)
	}
	writer := resolve(t, n, c.Endpoint)
	if out, err := mysql(t, writer, c.Port, "admin", "secret-pw1", "app",
		"CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20), price DECIMAL(6,2)); INSERT INTO items (name, price) VALUES ('apple', 1.25)"); err != nil {
		t.Fatalf("writer: %s %v", out, err)
	}
	if out, err := mysql(t, resolve(t, n, c.ReaderEndpoint), c.Port, "admin", "secret-pw1", "app", "SELECT name FROM items"); err != nil || out != "apple" {
		t.Fatalf("reader: %q %v", out, err)
	}

	// A Lambda function connects to the writer endpoint by its name, with
	// no resolver code: the name is in its /etc/hosts.
	lambdaReadsWriter(t, n, c)

	// The Data API with the aws CLI: a secret with the user's password.
	secret := strings.TrimSpace(n.MustAWS(t, "secretsmanager", "create-secret", "--name", "shop-admin",
		"--secret-string", `{"username":"admin","password":"secret-pw1"}`, "--query", "ARN", "--output", "text"))
	out := n.MustAWS(t, "rds-data", "execute-statement", "--resource-arn", c.DBClusterArn, "--secret-arn", secret,
		"--database", "app", "--sql", "SELECT id, name, price FROM items WHERE name = :name",
		"--parameters", `[{"name":"name","value":{"stringValue":"apple"}}]`, "--include-result-metadata")
	var res struct {
		Records        [][]map[string]any
		ColumnMetadata []struct{ Name, TypeName string }
	}
	framework.MustJSON(t, out, &res)
	if len(res.Records) != 1 || res.Records[0][0]["longValue"] != 1.0 || res.Records[0][1]["stringValue"] != "apple" ||
		res.Records[0][2]["stringValue"] != "1.25" || len(res.ColumnMetadata) != 3 || res.ColumnMetadata[2].TypeName != "DECIMAL" {
		t.Fatalf("execute-statement: %s", out)
	}
	_, errOut, err := n.AWS(t, nil, "rds-data", "execute-statement", "--resource-arn", c.DBClusterArn, "--secret-arn", secret,
		"--database", "app", "--sql", "SELECT * FROM nope")
	if err == nil || !strings.Contains(errOut, "DatabaseErrorException") || !strings.Contains(errOut, "nope") {
		t.Fatalf("a database error: %v %s", err, errOut)
	}

	// boto3: a transaction, a batch and JSON records.
	script := `
import boto3, json, os
c = boto3.client("rds-data", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
kw = dict(resourceArn=os.environ["CLUSTER"], secretArn=os.environ["SECRET"], database="app")
tx = c.begin_transaction(**kw)["transactionId"]
r = c.execute_statement(sql="INSERT INTO items (name, price) VALUES (:n, :p)", transactionId=tx,
    parameters=[{"name": "n", "value": {"stringValue": "pear"}}, {"name": "p", "value": {"stringValue": "2.50"}, "typeHint": "DECIMAL"}], **kw)
assert r["numberOfRecordsUpdated"] == 1 and r["generatedFields"][0]["longValue"] == 2, r
print(c.commit_transaction(resourceArn=kw["resourceArn"], secretArn=kw["secretArn"], transactionId=tx)["transactionStatus"])
tx = c.begin_transaction(**kw)["transactionId"]
c.execute_statement(sql="DELETE FROM items", transactionId=tx, **kw)
print(c.rollback_transaction(resourceArn=kw["resourceArn"], secretArn=kw["secretArn"], transactionId=tx)["transactionStatus"])
b = c.batch_execute_statement(sql="INSERT INTO items (name) VALUES (:n)", parameterSets=[[{"name": "n", "value": {"stringValue": "fig"}}], [{"name": "n", "value": {"stringValue": "kiwi"}}]], **kw)
assert len(b["updateResults"]) == 2, b
r = c.execute_statement(sql="SELECT name FROM items ORDER BY id", formatRecordsAs="JSON", **kw)
print(r["formattedRecords"])
try:
    c.execute_statement(sql="SELECT 1", transactionId="nope", **kw)
except c.exceptions.TransactionNotFoundException as e:
    print("not found:", e.response["Error"]["Message"])
`
	got := n.Python(t, script, "CLUSTER="+c.DBClusterArn, "SECRET="+secret)
	for _, want := range []string{"Transaction Committed", "Rollback Complete", `[{"name":"apple"},{"name":"pear"},{"name":"fig"},{"name":"kiwi"}]`, "not found: Transaction nope is not found"} {
		if !strings.Contains(got, want) {
			t.Fatalf("boto3 output lacks %q:\n%s", want, got)
		}
	}

	// The Data API answers only with the HTTP endpoint on.
	n.MustAWS(t, "rds", "disable-http-endpoint", "--resource-arn", c.DBClusterArn)
	_, errOut, err = n.AWS(t, nil, "rds-data", "execute-statement", "--resource-arn", c.DBClusterArn, "--secret-arn", secret, "--sql", "SELECT 1")
	if err == nil || !strings.Contains(errOut, "HttpEndpointNotEnabledException") {
		t.Fatalf("endpoint off: %v %s", err, errOut)
	}
	var fo struct{ DBCluster cluster }
	framework.MustJSON(t, n.MustAWS(t, "rds", "failover-db-cluster", "--db-cluster-identifier", "shop", "--target-db-instance-identifier", "shop-2"), &fo)
	for _, m := range fo.DBCluster.DBClusterMembers {
		if m.IsClusterWriter != (m.DBInstanceIdentifier == "shop-2") {
			t.Fatalf("after failover: %+v", fo.DBCluster.DBClusterMembers)
		}
	}
}

// iamUsers makes IAM users with inline policies (one boto3 process for
// all: each CLI call costs seconds on a loaded machine) and returns the
// access key pair of each.
func iamUsers(t *testing.T, n *framework.Niwa, policies map[string]string) map[string][2]string {
	t.Helper()
	in, _ := json.Marshal(policies)
	out := n.Python(t, `
import boto3, json, os
iam = boto3.client("iam", endpoint_url=os.environ["AWS_ENDPOINT_URL"])
keys = {}
for name, policy in json.loads(os.environ["POLICIES"]).items():
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="db", PolicyDocument=policy)
    k = iam.create_access_key(UserName=name)["AccessKey"]
    keys[name] = [k["AccessKeyId"], k["SecretAccessKey"]]
print(json.dumps(keys))
`, "POLICIES="+string(in))
	var keys map[string][2]string
	framework.MustJSON(t, out, &keys)
	return keys
}

// tokenReq is one token to sign: as user (an IAM user's name), for
// host:port and the database user.
type tokenReq struct {
	Signer, Host string
	Port         int
	DBUser       string
}

// tokens signs IAM authentication tokens with boto3 (one process).
func tokens(t *testing.T, n *framework.Niwa, keys map[string][2]string, reqs []tokenReq) []string {
	t.Helper()
	k, _ := json.Marshal(keys)
	r, _ := json.Marshal(reqs)
	out := n.Python(t, `
import boto3, json, os
keys, out = json.loads(os.environ["KEYS"]), []
for r in json.loads(os.environ["REQS"]):
    a, s = keys[r["Signer"]]
    rds = boto3.client("rds", region_name=os.environ["AWS_DEFAULT_REGION"], aws_access_key_id=a, aws_secret_access_key=s)
    out.append(rds.generate_db_auth_token(DBHostname=r["Host"], Port=r["Port"], DBUsername=r["DBUser"]))
print(json.dumps(out))
`, "KEYS="+string(k), "REQS="+string(r))
	var toks []string
	framework.MustJSON(t, out, &toks)
	return toks
}

// cliToken signs a token with the aws CLI as the IAM user whose keys
// are given.
func cliToken(t *testing.T, n *framework.Niwa, key [2]string, host string, port int, user string) string {
	t.Helper()
	out, errOut, err := n.AWS(t, []string{"AWS_ACCESS_KEY_ID=" + key[0], "AWS_SECRET_ACCESS_KEY=" + key[1]}, "rds", "generate-db-auth-token",
		"--hostname", host, "--port", strconv.Itoa(port), "--username", user)
	if err != nil {
		t.Fatalf("generate-db-auth-token: %v %s", err, errOut)
	}
	return strings.TrimSpace(out)
}

// debianPyMySQL is where python3-pymysql puts pymysql; the python3 with
// boto3 may be another interpreter.
const debianPyMySQL = "/usr/lib/python3/dist-packages"

// TestIAMDatabaseAuthentication: users set up for IAM authentication on
// a MySQL and a PostgreSQL instance sign in with tokens from
// generate-db-auth-token (pymysql, psql) when their signer may
// rds-db:connect, not otherwise; password logins keep working; an RDS
// Proxy before the MySQL instance takes passwords and its own tokens.
func TestIAMDatabaseAuthentication(t *testing.T) {
	t.Parallel()
	framework.RequireTool(t, "mariadbd", "/usr/sbin/mariadbd")
	framework.RequireTool(t, "postgres", "/usr/lib/postgresql/15/bin/postgres", "/usr/lib/postgresql/16/bin/postgres")
	psql := framework.RequireTool(t, "psql")
	if _, err := os.Stat(debianPyMySQL + "/pymysql"); err != nil {
		framework.RequireTool(t, "python3-pymysql (pymysql)")
	}
	n := framework.StartBinary(t)
	n.MustAWS(t, "rds", "create-db-instance", "--db-instance-identifier", "my", "--engine", "mysql",
		"--db-instance-class", "db.t3.micro", "--master-username", "admin", "--master-user-password", "secret-pw1",
		"--allocated-storage", "20", "--db-name", "app", "--backup-retention-period", "0", "--enable-iam-database-authentication")
	n.MustAWS(t, "rds", "create-db-instance", "--db-instance-identifier", "pg", "--engine", "postgres",
		"--db-instance-class", "db.t3.micro", "--master-username", "master", "--master-user-password", "secret-pw1",
		"--allocated-storage", "20", "--db-name", "app", "--backup-retention-period", "0", "--enable-iam-database-authentication")
	// An RDS Proxy before the MySQL instance, its IAM authentication
	// required for the user its secret holds.
	secret := strings.TrimSpace(n.MustAWS(t, "secretsmanager", "create-secret", "--name", "my-admin",
		"--secret-string", `{"username":"admin","password":"secret-pw1"}`, "--query", "ARN", "--output", "text"))
	var px struct {
		DBProxy struct{ DBProxyArn, Endpoint string }
	}
	framework.MustJSON(t, n.MustAWS(t, "rds", "create-db-proxy", "--db-proxy-name", "my-proxy", "--engine-family", "MYSQL",
		"--role-arn", "arn:aws:iam::000000000000:role/proxy", "--vpc-subnet-ids", "subnet-1", "subnet-2",
		"--auth", `[{"AuthScheme":"SECRETS","SecretArn":"`+secret+`","IAMAuth":"REQUIRED"}]`), &px)
	n.MustAWS(t, "rds", "register-db-proxy-targets", "--db-proxy-name", "my-proxy", "--db-instance-identifiers", "my")
	my, pg := n.WaitDBInstance(t, "my"), n.WaitDBInstance(t, "pg")

	if out, err := mysql(t, "127.0.0.1", my.Endpoint.Port, "admin", "secret-pw1", "app",
		"CREATE USER jane IDENTIFIED WITH AWSAuthenticationPlugin AS 'RDS'; GRANT SELECT ON app.* TO jane; CREATE TABLE t (v VARCHAR(9)); INSERT INTO t VALUES ('mine')"); err != nil {
		t.Fatalf("setting up jane: %s %v", out, err)
	}
	psqlRun := func(user, password, sql string) (string, error) {
		cmd := exec.Command(psql, "-X", "-A", "-t", "-h", "127.0.0.1", "-p", strconv.Itoa(pg.Endpoint.Port), "-U", user, "-d", "app", "-c", sql)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
		out, err := cmd.CombinedOutput()
		return strings.TrimSpace(string(out)), err
	}
	if out, err := psqlRun("master", "secret-pw1", "CREATE USER jane; GRANT rds_iam TO jane;"); err != nil {
		t.Fatalf("setting up jane on postgres: %s %v", out, err)
	}

	// AWS's proxies listen on the engine's port; niwa says which port it
	// gave the proxy in an event.
	var evs struct{ Events []struct{ Message string } }
	framework.MustJSON(t, n.MustAWS(t, "rds", "describe-events", "--source-type", "db-proxy", "--source-identifier", "my-proxy"), &evs)
	proxyPort := 0
	for _, e := range evs.Events {
		if i := strings.LastIndex(e.Message, "port "); i >= 0 {
			proxyPort, _ = strconv.Atoi(e.Message[i+5:])
		}
	}
	proxyHost := px.DBProxy.Endpoint
	if !strings.HasPrefix(proxyHost, "my-proxy.proxy-") {
		t.Fatalf("proxy endpoint %q", proxyHost)
	}
	if out, err := mysql(t, resolve(t, n, proxyHost), proxyPort, "admin", "secret-pw1", "app", "SELECT v FROM t"); err != nil || out != "mine" {
		t.Fatalf("through the proxy on port %d: %q %v (events %+v)", proxyPort, out, err, evs)
	}

	dbuser := func(resource, user string) string {
		return `"arn:aws:rds-db:` + n.Region + `:000000000000:dbuser:` + resource + `/` + user + `"`
	}
	proxyID := px.DBProxy.DBProxyArn[strings.LastIndex(px.DBProxy.DBProxyArn, ":")+1:]
	keys := iamUsers(t, n, map[string]string{
		"dev":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":[` + dbuser(my.DbiResourceId, "jane") + `,` + dbuser(pg.DbiResourceId, "jane") + `]}]}`,
		"other": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":"arn:aws:rds-db:*:*:dbuser:*/john"}]}`,
		"app":   `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"rds-db:connect","Resource":` + dbuser(proxyID, "admin") + `}]}`,
	})
	good := cliToken(t, n, keys["dev"], my.Endpoint.Address, my.Endpoint.Port, "jane")
	toks := tokens(t, n, keys, []tokenReq{
		{"other", my.Endpoint.Address, my.Endpoint.Port, "jane"},
		{"dev", pg.Endpoint.Address, pg.Endpoint.Port, "jane"},
		{"other", pg.Endpoint.Address, pg.Endpoint.Port, "jane"},
		{"app", proxyHost, proxyPort, "admin"},
	})

	script := `
import os, sys
sys.path.append(os.environ["PYMYSQL"])
import pymysql
def q(port, user, tok):
    try:
        c = pymysql.connect(host="127.0.0.1", port=int(port), user=user, password=tok, database="app")
        with c.cursor() as cur:
            cur.execute("SELECT v FROM t")
            return cur.fetchone()[0]
    except pymysql.err.OperationalError as e:
        return "refused %d" % e.args[0]
print("good:", q(os.environ["PORT"], "jane", os.environ["GOOD"]))
print("other:", q(os.environ["PORT"], "jane", os.environ["OTHER"]))
print("password:", q(os.environ["PORT"], "jane", "secret-pw1"))
print("proxy:", q(os.environ["PROXY_PORT"], "admin", os.environ["PROXY"]))
`
	got := n.Python(t, script, "PYMYSQL="+debianPyMySQL, "PORT="+strconv.Itoa(my.Endpoint.Port), "PROXY_PORT="+strconv.Itoa(proxyPort),
		"GOOD="+good, "OTHER="+toks[0], "PROXY="+toks[3])
	for _, want := range []string{"good: mine", "other: refused 1045", "password: refused 1045", "proxy: mine"} {
		if !strings.Contains(got, want) {
			t.Fatalf("pymysql output lacks %q:\n%s", want, got)
		}
	}
	// The mysql command line client (MariaDB's) with the token as password.
	if out, err := mysql(t, "127.0.0.1", my.Endpoint.Port, "jane", good, "app", "SELECT v FROM t"); err != nil || out != "mine" {
		t.Fatalf("mysql with a token: %q %v", out, err)
	}
	if out, err := psqlRun("jane", toks[1], "SELECT current_user"); err != nil || out != "jane" {
		t.Fatalf("psql with a token: %q %v", out, err)
	}
	if out, err := psqlRun("jane", toks[2], "SELECT 1"); err == nil || !strings.Contains(out, "PAM authentication failed for user \"jane\"") {
		t.Fatalf("psql with another's token: %q %v", out, err)
	}
	// A token for the MySQL instance does not open the PostgreSQL one.
	if out, err := psqlRun("jane", good, "SELECT 1"); err == nil {
		t.Fatalf("a token for another port: %q", out)
	}
	// IAM authentication turned off: tokens stop working, passwords do not.
	n.MustAWS(t, "rds", "modify-db-instance", "--db-instance-identifier", "pg", "--no-enable-iam-database-authentication", "--apply-immediately")
	if out, err := psqlRun("jane", toks[1], "SELECT 1"); err == nil {
		t.Fatalf("a token with IAM authentication off: %q", out)
	}
	if out, err := psqlRun("master", "secret-pw1", "SELECT 1"); err != nil || out != "1" {
		t.Fatalf("the master password: %q %v", out, err)
	}
}

// lambdaReadsWriter deploys a Python function bundling pymysql that
// reads the items table through the cluster's writer endpoint, named
// in its environment as a user names it.
func lambdaReadsWriter(t *testing.T, n *framework.Niwa, c cluster) {
	t.Helper()
	src := debianPyMySQL + "/pymysql"
	files := map[string][]byte{"handler.py": []byte(`
import os, json, pymysql
def handler(event, context):
    c = pymysql.connect(host=os.environ["DB_HOST"], port=int(os.environ["DB_PORT"]), user="admin", password="secret-pw1", database="app")
    with c.cursor() as cur:
        cur.execute("SELECT name FROM items ORDER BY id LIMIT 1")
        return {"name": cur.fetchone()[0]}
`)}
	err := filepath.Walk(src, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || strings.Contains(p, "__pycache__") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(debianPyMySQL, p)
		files[rel] = b
		return nil
	})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("pymysql for the function: %v (.ci/run installs python3-pymysql)", err)
		}
		t.Logf("no pymysql to bundle (%v): the function step is skipped", err)
		return
	}
	zip := framework.ZipFiles(t, t.TempDir(), files)
	role := framework.LambdaRole(t, n, "db-reader")
	n.MustAWS(t, "lambda", "create-function", "--function-name", "db-reader", "--runtime", "python3.12", "--handler", "handler.handler",
		"--role", role, "--zip-file", "fileb://"+zip, "--timeout", "30",
		"--environment", "Variables={DB_HOST="+c.Endpoint+",DB_PORT="+strconv.Itoa(c.Port)+"}")
	n.MustAWS(t, "lambda", "wait", "function-active-v2", "--function-name", "db-reader")
	out := filepath.Join(t.TempDir(), "out.json")
	n.MustAWS(t, "lambda", "invoke", "--function-name", "db-reader", out)
	b, err := os.ReadFile(out)
	if err != nil || !strings.Contains(string(b), `"name": "apple"`) && !strings.Contains(string(b), `"name":"apple"`) {
		t.Fatalf("the function's answer: %s %v", b, err)
	}
}
