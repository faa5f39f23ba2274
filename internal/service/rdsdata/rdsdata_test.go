package rdsdata

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	"github.com/niwa-cloud/niwa/internal/dbengine"
	"github.com/niwa-cloud/niwa/internal/dbengine/dbenginetest"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func str(name, v string) rdsdataapi.SqlParameter {
	return rdsdataapi.SqlParameter{Name: ptr.To(name), Value: &rdsdataapi.Field{StringValue: ptr.To(v)}}
}

func long(name string, v int64) rdsdataapi.SqlParameter {
	return rdsdataapi.SqlParameter{Name: ptr.To(name), Value: &rdsdataapi.Field{LongValue: ptr.To(v)}}
}

// TestBind: named parameters become the driver's placeholders; quoted
// text, comments, casts and dollar-quoted strings are left alone.
func TestBind(t *testing.T) {
	ps := []rdsdataapi.SqlParameter{str("k", "a"), long("n", 3),
		{Name: ptr.To("d"), Value: &rdsdataapi.Field{StringValue: ptr.To("2024-01-02")}, TypeHint: ptr.To("DATE")}}
	cases := []struct {
		sql      string
		pg       bool
		want     string
		wantArgs []any
		err      string
	}{
		{"SELECT * FROM t WHERE k = :k AND n > :n", false, "SELECT * FROM t WHERE k = ? AND n > ?", []any{"a", int64(3)}, ""},
		{"SELECT * FROM t WHERE k = :k OR k2 = :k AND n = :n", true, "SELECT * FROM t WHERE k = $1 OR k2 = $1 AND n = $2", []any{"a", int64(3)}, ""},
		{"SELECT ':k', \":k\", `:k` FROM t -- :k\n WHERE x = :n /* :k */", false, "SELECT ':k', \":k\", `:k` FROM t -- :k\n WHERE x = ? /* :k */", []any{int64(3)}, ""},
		{"SELECT 'it''s :k', x::text, $$ :k $$, $q$ :k $q$ FROM t WHERE d = :d", true, "SELECT 'it''s :k', x::text, $$ :k $$, $q$ :k $q$ FROM t WHERE d = $1::date", []any{"2024-01-02"}, ""},
		{"SELECT 'a\\':k' FROM t", false, "SELECT 'a\\':k' FROM t", nil, ""},
		{"SELECT :missing", false, "", nil, "No value specified for parameter: missing"},
		{"SELECT 1:2", false, "SELECT 1:2", nil, ""},
		{"SELECT 'unterminated :k", false, "SELECT 'unterminated :k", nil, ""},
	}
	for _, c := range cases {
		got, args, err := bind(c.sql, ps, c.pg)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: err %v, want %q", c.sql, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want || !reflect.DeepEqual(args, c.wantArgs) {
			t.Errorf("%q (pg %v):\n got %q %#v %v\nwant %q %#v", c.sql, c.pg, got, args, err, c.want, c.wantArgs)
		}
	}
	bad := []rdsdataapi.SqlParameter{{Name: ptr.To("x"), Value: &rdsdataapi.Field{}}}
	if _, _, err := bind("SELECT :x", bad, false); err == nil || !strings.Contains(err.Error(), "has no value") {
		t.Errorf("an empty value: %v", err)
	}
	arr := []rdsdataapi.SqlParameter{{Name: ptr.To("x"), Value: &rdsdataapi.Field{ArrayValue: &rdsdataapi.ArrayValue{LongValues: []int64{1}}}}}
	if _, _, err := bind("SELECT :x", arr, false); err == nil {
		t.Error("an array parameter on MySQL accepted")
	}
	hint := []rdsdataapi.SqlParameter{{Name: ptr.To("x"), Value: &rdsdataapi.Field{StringValue: ptr.To("1")}, TypeHint: ptr.To("MONEY")}}
	if _, _, err := bind("SELECT :x", hint, true); err == nil || !strings.Contains(err.Error(), "Invalid type hint") {
		t.Errorf("a bad type hint: %v", err)
	}
}

// FuzzBind: any statement and parameter name binds or is refused, never
// panics, and text outside parameters is kept.
func FuzzBind(f *testing.F) {
	for _, s := range []string{"SELECT :a", "'", "$$", "$a$ :a", "/* :a", "-- :a", "::", ":a::int", "\"x\\", "$"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, sql string, pg bool) {
		out, args, err := bind(sql, []rdsdataapi.SqlParameter{str("a", "v")}, pg)
		if err != nil {
			return
		}
		if !strings.Contains(sql, ":a") && (out != sql || len(args) != 0) {
			t.Fatalf("%q became %q with %v", sql, out, args)
		}
	})
}

// fakes: a cluster on a real server, and a secret.
type oneCluster struct {
	c   Cluster
	arn string
}

func (o *oneCluster) Cluster(_ *request.Context, arn string) (Cluster, bool, error) {
	return o.c, arn == o.arn, nil
}

type oneSecret map[string]string

func (o oneSecret) SecretString(_ *request.Context, arn string) (string, error) {
	v, ok := o[arn]
	if !ok {
		return "", os.ErrNotExist
	}
	return v, nil
}

const (
	clusterARN = "arn:aws:rds:us-east-1:000000000000:cluster:shop"
	secretARN  = "arn:aws:secretsmanager:us-east-1:000000000000:secret:shop-AbCdEf"
)

// TestStatements runs the Data API on a real server of each engine:
// typed parameters and records, metadata, JSON records, generated keys,
// batches, transactions (commit, rollback, expiry on niwa's clock) and
// AWS's refusals.
func TestStatements(t *testing.T) {
	for _, k := range []dbengine.Kind{dbengine.MariaDB, dbengine.Postgres} {
		t.Run(string(k), func(t *testing.T) {
			t.Parallel()
			srv := dbenginetest.Start(t, k)
			h := servicetest.New(t, "rds-data")
			engine := "aurora-mysql"
			ddl := "CREATE TABLE items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(20) NOT NULL, price DOUBLE, ok BOOLEAN, born DATE, note TEXT)"
			if k == dbengine.Postgres {
				engine = "aurora-postgresql"
				ddl = "CREATE TABLE items (id SERIAL PRIMARY KEY, name VARCHAR(20) NOT NULL, price DOUBLE PRECISION, ok BOOLEAN, born DATE, note TEXT)"
			}
			cl := &oneCluster{c: Cluster{ID: "shop", Engine: engine, Status: "available", DBName: "app", Port: srv.Port(), HTTPEndpoint: true}, arn: clusterARN}
			s := New(Options{Clusters: cl, Secrets: oneSecret{secretARN: `{"username":"admin","password":"secret-pw1"}`, "bad": "x"}, Clock: h.Clock})
			t.Cleanup(func() { _ = s.Close() })
			exec := func(sql string, ps ...rdsdataapi.SqlParameter) (*rdsdataapi.ExecuteStatementOutput, error) {
				return s.ExecuteStatement(h.Ctx(), &rdsdataapi.ExecuteStatementInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN),
					Sql: ptr.To(sql), Parameters: ps, IncludeResultMetadata: ptr.To(true)})
			}
			if _, err := exec(ddl); err != nil {
				t.Fatal(err)
			}
			ins, err := exec("INSERT INTO items (name, price, ok, born) VALUES (:name, :price, :ok, :born)",
				str("name", "apple"), rdsdataapi.SqlParameter{Name: ptr.To("price"), Value: &rdsdataapi.Field{DoubleValue: ptr.To(1.5)}},
				rdsdataapi.SqlParameter{Name: ptr.To("ok"), Value: &rdsdataapi.Field{BooleanValue: ptr.To(true)}},
				rdsdataapi.SqlParameter{Name: ptr.To("born"), Value: &rdsdataapi.Field{StringValue: ptr.To("2024-02-03")}, TypeHint: ptr.To("DATE")})
			if err != nil || ptr.Deref(ins.NumberOfRecordsUpdated) != 1 {
				t.Fatalf("insert: %+v %v", ins, err)
			}
			if k == dbengine.MariaDB && (len(ins.GeneratedFields) != 1 || ptr.Deref(ins.GeneratedFields[0].LongValue) != 1) {
				t.Fatalf("generated fields %+v", ins.GeneratedFields)
			}
			out, err := exec("SELECT id, name, price, ok, born, note FROM items WHERE name = :name", str("name", "apple"))
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Records) != 1 {
				t.Fatalf("records %+v", out.Records)
			}
			r := out.Records[0]
			if ptr.Deref(r[0].LongValue) != 1 || ptr.Deref(r[1].StringValue) != "apple" || ptr.Deref(r[2].DoubleValue) != 1.5 ||
				!(ptr.Deref(r[3].BooleanValue) || k == dbengine.MariaDB && ptr.Deref(r[3].LongValue) == 1) || ptr.Deref(r[4].StringValue) != "2024-02-03" || !ptr.Deref(r[5].IsNull) {
				b, _ := json.Marshal(r)
				t.Fatalf("record %s", b)
			}
			if len(out.ColumnMetadata) != 6 || ptr.Deref(out.ColumnMetadata[1].Name) != "name" || ptr.Deref(out.ColumnMetadata[1].Type) != jdbcVarchar ||
				ptr.Deref(out.ColumnMetadata[4].Type) != jdbcDate {
				b, _ := json.Marshal(out.ColumnMetadata)
				t.Fatalf("metadata %s", b)
			}
			js, err := s.ExecuteStatement(h.Ctx(), &rdsdataapi.ExecuteStatementInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN),
				Sql: ptr.To("SELECT id, name FROM items"), FormatRecordsAs: ptr.To("JSON")})
			if err != nil || ptr.Deref(js.FormattedRecords) != `[{"id":1,"name":"apple"}]` || js.Records != nil {
				t.Fatalf("JSON: %+v %v", js, err)
			}

			// A batch inserts every parameter set in one transaction.
			b, err := s.BatchExecuteStatement(h.Ctx(), &rdsdataapi.BatchExecuteStatementInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN),
				Sql: ptr.To("INSERT INTO items (name) VALUES (:name)"), ParameterSets: [][]rdsdataapi.SqlParameter{{str("name", "b1")}, {str("name", "b2")}}})
			if err != nil || len(b.UpdateResults) != 2 {
				t.Fatalf("batch: %+v %v", b, err)
			}
			count := func() int64 {
				out, err := exec("SELECT COUNT(*) FROM items")
				if err != nil {
					t.Fatal(err)
				}
				return ptr.Deref(out.Records[0][0].LongValue)
			}
			if n := count(); n != 3 {
				t.Fatalf("after the batch: %d rows", n)
			}

			// Transactions: a rollback discards, a commit keeps.
			begin := func() string {
				bt, err := s.BeginTransaction(h.Ctx(), &rdsdataapi.BeginTransactionInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN)})
				if err != nil {
					t.Fatal(err)
				}
				return ptr.Deref(bt.TransactionId)
			}
			inTxn := func(id, name string) error {
				_, err := s.ExecuteStatement(h.Ctx(), &rdsdataapi.ExecuteStatementInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN),
					Sql: ptr.To("INSERT INTO items (name) VALUES (:name)"), Parameters: []rdsdataapi.SqlParameter{str("name", name)}, TransactionId: ptr.To(id)})
				return err
			}
			id := begin()
			if err := inTxn(id, "t1"); err != nil {
				t.Fatal(err)
			}
			rb, err := s.RollbackTransaction(h.Ctx(), &rdsdataapi.RollbackTransactionInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN), TransactionId: ptr.To(id)})
			if err != nil || ptr.Deref(rb.TransactionStatus) != "Rollback Complete" || count() != 3 {
				t.Fatalf("rollback: %+v %v", rb, err)
			}
			if err := inTxn(id, "t1"); !rdsdataapi.ErrTransactionNotFoundException.Is(err) {
				t.Fatalf("an ended transaction: %v", err)
			}
			id = begin()
			if err := inTxn(id, "t2"); err != nil {
				t.Fatal(err)
			}
			cm, err := s.CommitTransaction(h.Ctx(), &rdsdataapi.CommitTransactionInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To(secretARN), TransactionId: ptr.To(id)})
			if err != nil || ptr.Deref(cm.TransactionStatus) != "Transaction Committed" || count() != 4 {
				t.Fatalf("commit: %+v %v", cm, err)
			}
			// A transaction unused for three minutes of niwa's clock is gone.
			id = begin()
			h.Clock.Advance(txnIdle + time.Second)
			if err := inTxn(id, "t3"); !rdsdataapi.ErrTransactionNotFoundException.Is(err) {
				t.Fatalf("an expired transaction: %v", err)
			}

			// Refusals.
			if _, err := exec("SELECT * FROM nope"); !rdsdataapi.ErrDatabaseErrorException.Is(err) {
				t.Fatalf("a database error: %v", err)
			}
			if _, err := s.ExecuteStatement(h.Ctx(), &rdsdataapi.ExecuteStatementInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To("bad"), Sql: ptr.To("SELECT 1")}); !rdsdataapi.ErrInvalidSecretException.Is(err) {
				t.Fatalf("a bad secret: %v", err)
			}
			if _, err := s.ExecuteStatement(h.Ctx(), &rdsdataapi.ExecuteStatementInput{ResourceArn: ptr.To(clusterARN), SecretArn: ptr.To("missing"), Sql: ptr.To("SELECT 1")}); !rdsdataapi.ErrSecretsErrorException.Is(err) {
				t.Fatalf("a missing secret: %v", err)
			}
			cl.c.HTTPEndpoint = false
			if _, err := exec("SELECT 1"); !rdsdataapi.ErrHttpEndpointNotEnabledException.Is(err) || !strings.Contains(err.Error(), "HttpEndpoint is not enabled for cluster shop.") {
				t.Fatalf("endpoint off: %v", err)
			}
			cl.c.HTTPEndpoint = true
			if _, err := s.ExecuteStatement(h.Ctx(), &rdsdataapi.ExecuteStatementInput{ResourceArn: ptr.To("arn:aws:rds:us-east-1:000000000000:cluster:other"), SecretArn: ptr.To(secretARN), Sql: ptr.To("SELECT 1")}); !rdsdataapi.ErrBadRequestException.Is(err) {
				t.Fatalf("another cluster: %v", err)
			}
		})
	}
}
