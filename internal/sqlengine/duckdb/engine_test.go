package duckdb

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// cloudTrailColumns is AWS's documented CloudTrail table, as Glue holds
// it (abridged to the columns the tests read plus nested ones).
var cloudTrailColumns = []sqlengine.Column{
	{Name: "eventversion", Type: "string"},
	{Name: "useridentity", Type: "struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,accesskeyid:string,userName:string,sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>>>"},
	{Name: "eventtime", Type: "string"},
	{Name: "eventsource", Type: "string"},
	{Name: "eventname", Type: "string"},
	{Name: "requestparameters", Type: "string"},
	{Name: "resources", Type: "array<struct<arn:string,accountid:string,type:string>>"},
	{Name: "readonly", Type: "string"},
}

const trailFile = `{"Records":[
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::000000000000:user/alice","accountId":"000000000000","userName":"alice"},"eventTime":"2026-01-02T03:04:05Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"bucketName":"b","key":"hane.jpg"},"resources":[{"ARN":"arn:aws:s3:::b/hane.jpg","type":"AWS::S3::Object"}],"readOnly":false},
{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000"},"eventTime":"2026-01-02T03:05:05Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","requestParameters":null,"readOnly":true}
]}`

func gz(t testing.TB, dir, name, body string) string {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(body))
	_ = w.Close()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func plain(t testing.TB, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func rows(r *sqlengine.Result) string {
	var lines []string
	for _, row := range r.Rows {
		var cells []string
		for _, c := range row {
			if c == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, *c)
			}
		}
		lines = append(lines, strings.Join(cells, "|"))
	}
	return strings.Join(lines, "\n")
}

func TestEngine(t *testing.T) {
	dir := t.TempDir()
	ct := sqlengine.Table{Database: "default", Name: "cloudtrail_logs", Columns: cloudTrailColumns, Format: sqlengine.FormatCloudTrail,
		Files: []sqlengine.File{{Path: gz(t, dir, "a.json.gz", trailFile)}, {Path: plain(t, dir, "empty.json.gz", "")}, {Path: gz(t, dir, "empty2.json.gz", "")}}}
	csvT := sqlengine.Table{Database: "sales", Name: "orders", Format: sqlengine.FormatDelimited, Delimiter: ",", SkipHeaderLines: 1,
		Columns:       []sqlengine.Column{{Name: "id", Type: "int"}, {Name: "item", Type: "string"}, {Name: "price", Type: "double"}, {Name: "dt", Type: "string"}},
		PartitionKeys: []string{"dt"},
		Files: []sqlengine.File{
			{Path: plain(t, dir, "o1.csv", "id,item,price\n1,apple,1.5\n2,pear,x\n"), Partition: map[string]string{"dt": "2026-01-01"}},
			{Path: plain(t, dir, "o2.csv", "id,item,price\n3,apple,2\n"), Partition: map[string]string{"dt": "2026-01-02"}},
		}}
	reT := sqlengine.Table{Database: "default", Name: "lines", Format: sqlengine.FormatRegex, Regex: `([^ ]*) \[(.*?)\] ([0-9]+)`,
		Columns: []sqlengine.Column{{Name: "who", Type: "string"}, {Name: "stamp", Type: "string"}, {Name: "n", Type: "bigint"}},
		Files:   []sqlengine.File{{Path: plain(t, dir, "l.log", "bob [06/Feb/2019:00:00:38 +0000] 200\nnot a match\nann [x] 404\n")}}}
	jsonT := sqlengine.Table{Database: "default", Name: "events", Format: sqlengine.FormatJSON,
		Columns: []sqlengine.Column{{Name: "name", Type: "string"}, {Name: "tags", Type: "array<string>"}, {Name: "attrs", Type: "map<string,int>"}, {Name: "ts", Type: "timestamp"}},
		Files:   []sqlengine.File{{Path: plain(t, dir, "e.json", `{"Name":"a","tags":["x","y"],"attrs":{"k":1},"ts":"2026-01-02 03:04:05"}`+"\n"+`{"name":"b","tags":[],"ts":"bad"}`+"\n")}}}
	view := sqlengine.Table{Database: "default", Name: "puts", Format: sqlengine.FormatView, SQL: `select eventname from cloudtrail_logs where eventname like 'Put%'`}
	tables := []sqlengine.Table{ct, csvT, reT, jsonT, view}
	e := New(Options{})
	tests := []struct {
		name, sql, cols, want string
	}{
		{"seed query", `select eventTime, userIdentity.userName, eventName, eventSource from cloudtrail_logs where requestparameters like '%hane.jpg%' limit 10`,
			"eventtime:varchar,username:varchar,eventname:varchar,eventsource:varchar", "2026-01-02T03:04:05Z|alice|PutObject|s3.amazonaws.com"},
		{"quoted default", `select count(*) from "default"."cloudtrail_logs"`, "_col0:bigint", "2"},
		{"athena names", `select eventname, count(*), 1 + 1, eventname as "Event Name", 'x' as lit from cloudtrail_logs group by eventname order by 1 limit 1`,
			"eventname:varchar,_col1:bigint,_col2:integer,event name:varchar,lit:varchar", "ListBuckets|1|2|ListBuckets|x"},
		{"json_extract_scalar on object text", `select json_extract_scalar(requestparameters, '$.key') from cloudtrail_logs where eventname = 'PutObject'`, "", "hane.jpg"},
		{"from_iso8601_timestamp", `select from_iso8601_timestamp(eventtime) from cloudtrail_logs order by 1 limit 1`, "", "2026-01-02 03:04:05.000 UTC"},
		{"struct rendered", `select useridentity from cloudtrail_logs where eventname = 'ListBuckets'`, "useridentity:row",
			"{type=Root, principalid=000000000000, arn=arn:aws:iam::000000000000:root, accountid=000000000000, invokedby=null, accesskeyid=null, userName=null, sessioncontext=null}"},
		{"unnest", `select r.arn from cloudtrail_logs cross join unnest(resources) as t(r)`, "", "arn:aws:s3:::b/hane.jpg"},
		{"csv partitions and bad number", `select dt, item, price from sales.orders order by id`, "dt:varchar,item:varchar,price:double",
			"2026-01-01|apple|1.5\n2026-01-01|pear|NULL\n2026-01-02|apple|2.0"},
		{"group by", `select item, sum(price) s from sales.orders group by item order by item`, "item:varchar,s:double", "apple|3.5\npear|NULL"},
		{"window", `select id, row_number() over (partition by item order by id desc) from sales.orders order by id`, "", "1|2\n2|1\n3|1"},
		{"regex serde", `select who, stamp, n from lines`, "who:varchar,stamp:varchar,n:bigint", "bob|06/Feb/2019:00:00:38 +0000|200\nNULL|NULL|NULL\nann|x|404"},
		{"date_parse", `select date_parse(stamp, '%d/%b/%Y:%H:%i:%s +0000') from lines where who = 'bob'`, "", "2019-02-06 00:00:38.000"},
		{"regexp_like", `select who from lines where regexp_like(who, '^a')`, "", "ann"},
		{"parse_datetime and date_add", `select date_add('hour', 2, parse_datetime(stamp, 'dd/MMM/yyyy:HH:mm:ss Z')) from lines where who = 'bob'`, "", "2019-02-06 02:00:38.000 UTC"},
		{"trino values", `select sum(x) from (values 1, 2, 3) as t(x)`, "", "6"},
		{"format_datetime", `select format_datetime(from_iso8601_timestamp(eventtime), 'yyyy-MM-dd HH:mm') from cloudtrail_logs where eventname = 'PutObject'`, "", "2026-01-02 03:04"},
		{"json serde arrays maps", `select name, tags[1], cardinality(tags), attrs['k'], ts from events order by name`, "",
			"a|x|2|1|2026-01-02 03:04:05.000\nb|NULL|0|NULL|NULL"},
		{"array rendered", `select tags from events where name = 'a'`, "tags:array", "[x, y]"},
		{"view", `select * from puts`, "", "PutObject"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.Query(context.Background(), sqlengine.Query{SQL: tt.sql, Database: "default", Tables: tables})
			if err != nil {
				t.Fatal(err)
			}
			if tt.cols != "" {
				var cs []string
				for _, c := range r.Columns {
					cs = append(cs, c.Name+":"+c.Type)
				}
				if got := strings.Join(cs, ","); got != tt.cols {
					t.Errorf("columns %s, want %s", got, tt.cols)
				}
			}
			if got := rows(r); got != tt.want {
				t.Errorf("rows\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

func TestEngineRefuses(t *testing.T) {
	e := New(Options{})
	for _, q := range []string{
		`select * from read_csv('/etc/passwd')`,
		`select nosuchcolumn from (select 1 a)`,
		`SET enable_external_access=true`,
		`INSTALL httpfs`,
		`ATTACH '/tmp/niwa-attach.db'`,
		`select * from read_text('/etc/hostname')`,
		`select 'unterminated`,
	} {
		_, err := e.Query(context.Background(), sqlengine.Query{SQL: q, Database: "default"})
		if _, ok := err.(*sqlengine.QueryError); !ok {
			t.Errorf("%s: %v, want a QueryError", q, err)
		}
	}
}

func TestWrite(t *testing.T) {
	e := New(Options{})
	for _, f := range []string{"parquet", "json", "textfile"} {
		t.Run(f, func(t *testing.T) {
			dir := t.TempDir()
			res, err := e.Write(context.Background(), sqlengine.Query{SQL: `select 1 as a, 'x' as b union all select 2, null`, Database: "default"},
				sqlengine.WriteSpec{Dir: dir, Format: f})
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != 2 || len(res.Files) != 1 || len(res.Columns) != 2 || res.Columns[0].Type != "integer" || res.Columns[1].Type != "string" {
				t.Fatalf("%+v", res)
			}
			// Read back through the SerDe the table would have.
			tf := map[string]sqlengine.Format{"parquet": sqlengine.FormatParquet, "json": sqlengine.FormatJSON, "textfile": sqlengine.FormatDelimited}[f]
			tbl := sqlengine.Table{Database: "default", Name: "t", Format: tf, Columns: []sqlengine.Column{{Name: "a", Type: "int"}, {Name: "b", Type: "string"}},
				Files: []sqlengine.File{{Path: res.Files[0]}}}
			r, err := e.Query(context.Background(), sqlengine.Query{SQL: `select a, b from t order by a`, Database: "default", Tables: []sqlengine.Table{tbl}})
			if err != nil {
				t.Fatal(err)
			}
			if got := rows(r); got != "1|x\n2|NULL" {
				t.Fatalf("read back %q", got)
			}
		})
	}
	// INSERT INTO: positional, cast to the table's columns.
	res, err := e.Write(context.Background(), sqlengine.Query{SQL: `select '7', 'y'`, Database: "default"},
		sqlengine.WriteSpec{Dir: t.TempDir(), Format: "json", Columns: []sqlengine.Column{{Name: "a", Type: "bigint"}, {Name: "b", Type: "string"}}})
	if err != nil || res.Columns[0].Name != "a" || res.Columns[0].Type != "bigint" {
		t.Fatalf("%+v %v", res, err)
	}
	// The statement cannot write anywhere else.
	_, err = e.Query(context.Background(), sqlengine.Query{SQL: `copy (select 1) to '/tmp/niwa-escape.csv'`, Database: "default"})
	if _, ok := err.(*sqlengine.QueryError); !ok {
		t.Fatalf("copy outside: %v", err)
	}
}

// TestTrimAfterLastSession: the C heap is trimmed when the last open
// database closes — after a query, after a query that failed, and once
// (not per query) for queries that overlapped.
func TestTrimAfterLastSession(t *testing.T) {
	e := New(Options{})
	trims := 0
	e.trim = func() { trims++ }
	q := sqlengine.Query{SQL: `select 1`, Database: "default"}
	if _, err := e.Query(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if trims != 1 {
		t.Fatalf("after one query: %d trims, want 1", trims)
	}
	if _, err := e.Query(context.Background(), sqlengine.Query{SQL: `select * from missing`, Database: "default"}); err == nil {
		t.Fatal("query of a missing table: no error")
	}
	if trims != 2 {
		t.Fatalf("after a failed query: %d trims, want 2", trims)
	}
	a, err := e.open(context.Background(), q, "")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Query(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if trims != 2 {
		t.Fatalf("a query closed while another database is open: %d trims, want still 2", trims)
	}
	a.close()
	if trims != 3 {
		t.Fatalf("after the last database closed: %d trims, want 3", trims)
	}
	mallocTrim() // the real one links and runs
}
