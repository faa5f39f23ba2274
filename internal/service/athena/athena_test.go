package athena

import (
	"bytes"
	"compress/gzip"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/sqlengine"
	"github.com/niwa-cloud/niwa/internal/sqlengine/duckdb"
)

// fakeCatalog is a Glue catalog in memory (the real one is another
// service; internal/server wires it).
type fakeCatalog struct {
	mu     sync.Mutex
	dbs    map[string]bool
	tables map[string]Table
	parts  map[string][]Partition
}

func newCatalog() *fakeCatalog {
	return &fakeCatalog{dbs: map[string]bool{"default": true}, tables: map[string]Table{}, parts: map[string][]Partition{}}
}

var (
	errNotFound = awserr.Code{Code: "EntityNotFoundException", Status: 400, Sender: true}
	errExists   = awserr.Code{Code: "AlreadyExistsException", Status: 400, Sender: true}
)

func (c *fakeCatalog) CreateDatabase(_ *request.Context, name, _, _ string, _ map[string]string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.dbs[name] {
		return errExists.New("Database already exists.")
	}
	c.dbs[name] = true
	return nil
}
func (c *fakeCatalog) DeleteDatabase(_ *request.Context, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dbs[name] {
		return errNotFound.New("Database %s not found.", name)
	}
	delete(c.dbs, name)
	return nil
}
func (c *fakeCatalog) Databases(*request.Context) ([]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for d := range c.dbs {
		out = append(out, d)
	}
	sort.Strings(out)
	return out, nil
}
func (c *fakeCatalog) Database(_ *request.Context, name string) (string, map[string]string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dbs[name] {
		return "", nil, errNotFound.New("Database %s not found.", name)
	}
	return "", nil, nil
}
func (c *fakeCatalog) CreateTable(_ *request.Context, t Table) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dbs[t.Database] {
		return errNotFound.New("Database %s not found.", t.Database)
	}
	if _, ok := c.tables[t.Database+"."+t.Name]; ok {
		return errExists.New("Table already exists.")
	}
	c.tables[t.Database+"."+t.Name] = t
	return nil
}
func (c *fakeCatalog) UpdateTable(_ *request.Context, t Table) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tables[t.Database+"."+t.Name] = t
	return nil
}
func (c *fakeCatalog) Table(_ *request.Context, db, name string) (Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.tables[db+"."+name]
	if !ok {
		return t, errNotFound.New("Table %s not found.", name)
	}
	return t, nil
}
func (c *fakeCatalog) Tables(_ *request.Context, db string) ([]Table, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.dbs[db] {
		return nil, errNotFound.New("Database %s not found.", db)
	}
	var out []Table
	for _, t := range c.tables {
		if t.Database == db {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}
func (c *fakeCatalog) DeleteTable(_ *request.Context, db, name string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.tables[db+"."+name]; !ok {
		return errNotFound.New("Table %s not found.", name)
	}
	delete(c.tables, db+"."+name)
	return nil
}
func (c *fakeCatalog) Partitions(_ *request.Context, db, table string) ([]Partition, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]Partition{}, c.parts[db+"."+table]...), nil
}
func (c *fakeCatalog) AddPartitions(_ *request.Context, db, table string, parts []Partition, ifNotExists bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
next:
	for _, p := range parts {
		for _, q := range c.parts[db+"."+table] {
			if strings.Join(q.Values, "/") == strings.Join(p.Values, "/") {
				if ifNotExists {
					continue next
				}
				return errExists.New("Partition already exists.")
			}
		}
		c.parts[db+"."+table] = append(c.parts[db+"."+table], p)
	}
	return nil
}
func (c *fakeCatalog) DeletePartition(_ *request.Context, db, table string, values []string) error {
	return nil
}

// fakeObjects is S3 in memory; denied keys answer AccessDenied.
type fakeObjects struct {
	mu     sync.Mutex
	objs   map[string][]byte // bucket/key
	denied string            // a key prefix (bucket/prefix) the caller may not read
	// block, when set, holds every read until it is closed or the query
	// is cancelled: a query that stays RUNNING.
	block chan struct{}
}

func (o *fakeObjects) put(bucket, key string, body []byte) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.objs[bucket+"/"+key] = body
}

func (o *fakeObjects) get(bucket, key string) ([]byte, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	b, ok := o.objs[bucket+"/"+key]
	return b, ok
}

func (o *fakeObjects) List(_ *request.Context, bucket, prefix string) ([]objects.Object, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []objects.Object
	for k, v := range o.objs {
		if strings.HasPrefix(k, bucket+"/"+prefix) {
			out = append(out, objects.Object{Key: strings.TrimPrefix(k, bucket+"/"), Size: int64(len(v))})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

func (o *fakeObjects) Open(ctx *request.Context, bucket, key string) (io.ReadCloser, int64, error) {
	if o.block != nil {
		select {
		case <-o.block:
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	if o.denied != "" && strings.HasPrefix(bucket+"/"+key, o.denied) {
		return nil, 0, awserr.AccessDenied.New("Access Denied")
	}
	b, ok := o.get(bucket, key)
	if !ok {
		return nil, 0, objects.ErrNoSuchKey
	}
	return io.NopCloser(bytes.NewReader(b)), int64(len(b)), nil
}

func (o *fakeObjects) Put(_ *request.Context, bucket, key string, body []byte) error {
	o.put(bucket, key, body)
	return nil
}

type fixture struct {
	t   testing.TB
	h   *servicetest.Harness
	a   *Athena
	cat *fakeCatalog
	s3  *fakeObjects
}

func newFixture(t testing.TB, engine sqlengine.Engine, opts ...func(*Options)) *fixture {
	h := servicetest.New(t, "athena")
	f := &fixture{t: t, h: h, cat: newCatalog(), s3: &fakeObjects{objs: map[string][]byte{}}}
	o := Options{Engine: engine, Catalog: f.cat, Objects: f.s3, TempDir: t.TempDir()}
	for _, opt := range opts {
		opt(&o)
	}
	f.a = New(h.Store(), h.Clock, o)
	t.Cleanup(func() { _ = f.a.Close() })
	return f
}

// run starts q and waits for it to finish (the query runs on its own
// goroutine; the deadline is generous for a loaded machine).
func (f *fixture) run(q string) *athenaapi.QueryExecution {
	f.t.Helper()
	out, err := f.a.StartQueryExecution(f.h.Ctx(), &athenaapi.StartQueryExecutionInput{QueryString: ptr.To(q),
		ResultConfiguration: &athenaapi.ResultConfiguration{OutputLocation: ptr.To("s3://out/results/")}})
	if err != nil {
		f.t.Fatalf("StartQueryExecution(%s): %v", q, err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ge, err := f.a.GetQueryExecution(f.h.Ctx(), &athenaapi.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
		if err != nil {
			f.t.Fatal(err)
		}
		if finished(*ge.QueryExecution.Status.State) {
			return ge.QueryExecution
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("query %s still %s", q, *ge.QueryExecution.Status.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// ok runs q, which must succeed, and answers its result rows as
// "a|b" lines (the header row included).
func (f *fixture) ok(q string) []string {
	f.t.Helper()
	qe := f.run(q)
	if *qe.Status.State != stateSucceeded {
		f.t.Fatalf("%s: %s: %s", q, *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
	}
	res, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId})
	if err != nil {
		f.t.Fatal(err)
	}
	var lines []string
	for _, r := range res.ResultSet.Rows {
		var cells []string
		for _, d := range r.Data {
			cells = append(cells, ptr.Deref(d.VarCharValue))
		}
		lines = append(lines, strings.Join(cells, "|"))
	}
	return lines
}

func gzipped(s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	_, _ = w.Write([]byte(s))
	_ = w.Close()
	return b.Bytes()
}

const cloudTrailDDL = `CREATE EXTERNAL TABLE cloudtrail_logs (
eventversion STRING,
useridentity STRUCT<type:STRING, principalid:STRING, arn:STRING, accountid:STRING, invokedby:STRING, accesskeyid:STRING, userName:STRING,
  sessioncontext:STRUCT<attributes:STRUCT<mfaauthenticated:STRING, creationdate:STRING>,
  sessionissuer:STRUCT<type:STRING, principalId:STRING, arn:STRING, accountId:STRING, userName:STRING>>>,
eventtime STRING, eventsource STRING, eventname STRING, awsregion STRING, sourceipaddress STRING, useragent STRING,
errorcode STRING, errormessage STRING, requestparameters STRING, responseelements STRING, additionaleventdata STRING,
requestid STRING, eventid STRING,
resources ARRAY<STRUCT<ARN:STRING, accountId:STRING, type:STRING>>,
eventtype STRING, apiversion STRING, readonly STRING, recipientaccountid STRING, serviceeventdetails STRING,
sharedeventid STRING, vpcendpointid STRING
)
COMMENT 'CloudTrail table for trail-bucket'
ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://trail-bucket/AWSLogs/000000000000/CloudTrail/'
TBLPROPERTIES ('classification'='cloudtrail');`

const trailRecords = `{"Records":[
{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA1","arn":"arn:aws:iam::000000000000:user/hana","accountId":"000000000000","userName":"hana"},"eventTime":"2026-05-01T12:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","requestParameters":{"bucketName":"photos","key":"hane.jpg"},"readOnly":false},
{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000"},"eventTime":"2026-05-01T12:01:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","requestParameters":null,"readOnly":true}
]}`

func TestCloudTrailQuery(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	f.s3.put("trail-bucket", "AWSLogs/000000000000/CloudTrail/us-east-1/2026/05/01/000000000000_CloudTrail_us-east-1_20260501T1200Z_a.json.gz", gzipped(trailRecords))
	f.s3.put("trail-bucket", "AWSLogs/000000000000/CloudTrail-Digest/us-east-1/2026/05/01/digest.json.gz", gzipped(`{"not":"records"}`))
	f.ok(cloudTrailDDL)
	tb, err := f.cat.Table(nil, "default", "cloudtrail_logs")
	if err != nil {
		t.Fatal(err)
	}
	if tb.SerDe != "com.amazon.emr.hive.serde.CloudTrailSerde" || len(tb.Columns) != 23 || tb.Columns[1].Type[:7] != "struct<" {
		t.Fatalf("catalog table %+v", tb)
	}
	got := f.ok(`select eventTime, userIdentity.userName, eventName, eventSource from cloudtrail_logs where requestparameters like '%hane.jpg%' limit 10`)
	want := []string{"eventtime|username|eventname|eventsource", "2026-05-01T12:00:00Z|hana|PutObject|s3.amazonaws.com"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("rows\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	qe := f.run(`select count(*) as n from "default"."cloudtrail_logs"`)
	if *qe.Statistics.DataScannedInBytes == 0 || qe.Statistics.TotalExecutionTimeInMillis == nil || qe.StatementType == nil || *qe.StatementType != "DML" {
		t.Fatalf("statistics %+v", qe)
	}
	csv, ok := f.s3.get("out", "results/"+*qe.QueryExecutionId+".csv")
	if !ok || string(csv) != "\"n\"\n\"2\"\n" {
		t.Fatalf("result CSV %q (%v)", csv, ok)
	}
	if _, ok := f.s3.get("out", "results/"+*qe.QueryExecutionId+".csv.metadata"); !ok {
		t.Fatal("no .csv.metadata")
	}
	if got := *qe.ResultConfiguration.OutputLocation; got != "s3://out/results/"+*qe.QueryExecutionId+".csv" {
		t.Fatalf("OutputLocation %s", got)
	}
}

func TestQueryFailures(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	f.s3.put("trail-bucket", "AWSLogs/000000000000/CloudTrail/a.json.gz", gzipped(trailRecords))
	f.ok(cloudTrailDDL)
	tests := []struct {
		name, q   string
		reason    string
		errType   int32
		setDenied string
	}{
		{"missing table", `select * from nosuch`, "TABLE_NOT_FOUND: line 1:1: Table 'awsdatacatalog.default.nosuch' does not exist", 1110, ""},
		{"syntax", `selec 1`, "Parser Error", 1006, ""},
		{"data denied", `select count(*) from cloudtrail_logs`, "Permission denied on S3 path: s3://trail-bucket/AWSLogs/000000000000/CloudTrail/a.json.gz", 1501, "trail-bucket/"},
		{"unsupported", `explain select 1`, "NOT_SUPPORTED", 1200, ""},
		{"two statements", `select 1; select 2`, "Only one sql statement is allowed.", 1006, ""},
		{"ddl needs a location", `create external table t (a int)`, "must have a LOCATION", 1100, ""},
		{"duplicate table", cloudTrailDDL, "AlreadyExistsException", 1003, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f.s3.denied = tt.setDenied
			defer func() { f.s3.denied = "" }()
			qe := f.run(tt.q)
			if *qe.Status.State != stateFailed || !strings.Contains(ptr.Deref(qe.Status.StateChangeReason), tt.reason) {
				t.Fatalf("%s: %s", *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
			}
			if e := qe.Status.AthenaError; e == nil || *e.ErrorType != tt.errType || *e.ErrorMessage != *qe.Status.StateChangeReason {
				t.Fatalf("AthenaError %+v", e)
			}
			_, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId})
			if !athenaapi.ErrInvalidRequestException.Is(err) {
				t.Fatalf("GetQueryResults of a failed query: %v", err)
			}
		})
	}
}

func TestNoEngine(t *testing.T) {
	f := newFixture(t, nil)
	qe := f.run(`select 1`)
	if *qe.Status.State != stateFailed || !strings.Contains(*qe.Status.StateChangeReason, "no SQL engine is linked") {
		t.Fatalf("%s: %s", *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
	}
	// DDL needs no engine.
	f.ok(`create database sales`)
	if got := f.ok(`show databases`); strings.Join(got, ",") != "default,sales" {
		t.Fatalf("show databases: %v", got)
	}
}

func TestFormatsAndPartitions(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	f.s3.put("data", "orders/dt=2026-01-01/part-0.csv", []byte("id,item,price\n1,apple,1.5\n2,pear,2\n"))
	f.s3.put("data", "orders/dt=2026-01-02/part-0.csv", []byte("id,item,price\n3,apple,4\n"))
	f.s3.put("data", "orders/dt=2026-01-02/_SUCCESS", []byte(""))
	f.s3.put("data", "events/a.json", []byte(`{"name":"x","n":1}`+"\n"+`{"name":"y","n":2}`+"\n"))
	f.s3.put("data", "quoted/a.csv", []byte("\"a,b\",\"1\"\n"))
	f.ok(`CREATE EXTERNAL TABLE orders (id int, item string, price double) PARTITIONED BY (dt string)
ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://data/orders/' TBLPROPERTIES ('skip.header.line.count'='1')`)
	if got := f.ok(`select count(*) from orders`); got[1] != "0" {
		t.Fatalf("before MSCK: %v", got)
	}
	if got := f.ok(`MSCK REPAIR TABLE orders`); len(got) != 4 {
		t.Fatalf("MSCK: %v", got)
	}
	if got := f.ok(`show partitions orders`); strings.Join(got, ",") != "dt=2026-01-01,dt=2026-01-02" {
		t.Fatalf("partitions: %v", got)
	}
	got := f.ok(`select dt, item, sum(price) as total from orders group by dt, item order by dt, item`)
	if strings.Join(got, ",") != "dt|item|total,2026-01-01|apple|1.5,2026-01-01|pear|2.0,2026-01-02|apple|4.0" {
		t.Fatalf("group by: %v", got)
	}
	f.ok(`CREATE EXTERNAL TABLE events (name string, n bigint) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/events/'`)
	if got := f.ok(`select name from events where n > 1`); strings.Join(got, ",") != "name,y" {
		t.Fatalf("json: %v", got)
	}
	f.ok(`CREATE EXTERNAL TABLE quoted (a string, b string) ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde' WITH SERDEPROPERTIES ('separatorChar'=',', 'quoteChar'='"') LOCATION 's3://data/quoted/'`)
	if got := f.ok(`select a, b from quoted`); strings.Join(got, ",") != "a|b,a,b|1" {
		t.Fatalf("opencsv: %v", got)
	}
	f.ok(`CREATE VIEW apples AS SELECT id, price FROM orders WHERE item = 'apple'`)
	if got := f.ok(`select sum(price) from apples`); got[1] != "5.5" {
		t.Fatalf("view: %v", got)
	}
	if got := f.ok(`show tables`); strings.Join(got, ",") != "events,orders,quoted" {
		t.Fatalf("show tables: %v", got)
	}
	if got := f.ok(`show views`); strings.Join(got, ",") != "apples" {
		t.Fatalf("show views: %v", got)
	}
	f.ok(`ALTER TABLE orders ADD IF NOT EXISTS PARTITION (dt='2026-01-01') PARTITION (dt='2026-01-03') LOCATION 's3://data/elsewhere/'`)
	if ps, _ := f.cat.Partitions(nil, "default", "orders"); len(ps) != 3 || ps[2].Location != "s3://data/elsewhere/" {
		t.Fatalf("partitions %+v", ps)
	}
}

func TestPartitionProjection(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	f.s3.put("logs", "app/2026/01/01/eu/a.json", []byte(`{"msg":"a"}`+"\n"))
	f.s3.put("logs", "app/2026/01/02/us/b.json", []byte(`{"msg":"b"}`+"\n"))
	f.s3.put("logs", "app/2026/01/02/xx/c.json", []byte(`{"msg":"c"}`+"\n"))
	f.ok(`CREATE EXTERNAL TABLE app (msg string) PARTITIONED BY (day string, region string)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe' LOCATION 's3://logs/app/'
TBLPROPERTIES ('projection.enabled'='true', 'projection.day.type'='date', 'projection.day.format'='yyyy/MM/dd',
'projection.day.range'='2026/01/01,NOW', 'projection.region.type'='enum', 'projection.region.values'='eu,us',
'storage.location.template'='s3://logs/app/${day}/${region}/')`)
	got := f.ok(`select day, region, msg from app order by msg`)
	if strings.Join(got, ",") != "day|region|msg,2026/01/01|eu|a,2026/01/02|us|b" {
		t.Fatalf("projection: %v", got)
	}
}

func TestResultsPagingAndLists(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	qe := f.run(`select * from (values (1), (2), (3)) as t(x) order by x`)
	var seen []string
	var token *string
	for {
		res, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId, MaxResults: ptr.To[int32](2), NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.ResultSet.ResultSetMetadata.ColumnInfo) != 1 || *res.ResultSet.ResultSetMetadata.ColumnInfo[0].Type != "integer" {
			t.Fatalf("column info %+v", res.ResultSet.ResultSetMetadata.ColumnInfo)
		}
		for _, r := range res.ResultSet.Rows {
			seen = append(seen, *r.Data[0].VarCharValue)
		}
		if token = res.NextToken; token == nil {
			break
		}
	}
	if strings.Join(seen, ",") != "x,1,2,3" {
		t.Fatalf("pages: %v", seen)
	}
	second := f.run(`select 2`)
	list, err := f.a.ListQueryExecutions(f.h.Ctx(), &athenaapi.ListQueryExecutionsInput{})
	if err != nil || len(list.QueryExecutionIds) != 2 {
		t.Fatalf("list %v %v", list, err)
	}
	batch, err := f.a.BatchGetQueryExecution(f.h.Ctx(), &athenaapi.BatchGetQueryExecutionInput{QueryExecutionIds: []string{*second.QueryExecutionId, "nope"}})
	if err != nil || len(batch.QueryExecutions) != 1 || len(batch.UnprocessedQueryExecutionIds) != 1 {
		t.Fatalf("batch %+v %v", batch, err)
	}
}

// TestResultPages: every page size answers the same rows in order (the
// header first), NULL apart from the empty string; a NextToken at the
// end answers an empty page, past it is refused.
func TestResultPages(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	qe := f.run(`select * from (values ('a', cast(null as varchar)), ('', 'b'), (null, '')) as t(x, y)`)
	cell := func(v *string) string {
		if v == nil {
			return "NULL"
		}
		return "'" + *v + "'"
	}
	for _, size := range []int32{1, 2, 3, 1000} {
		var seen []string
		var token *string
		for pages := 0; ; pages++ {
			res, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId, MaxResults: ptr.To(size), NextToken: token})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.ResultSet.Rows) > int(size) || pages > 4 {
				t.Fatalf("page of %d: %d rows, page %d", size, len(res.ResultSet.Rows), pages)
			}
			for _, r := range res.ResultSet.Rows {
				seen = append(seen, cell(r.Data[0].VarCharValue)+"|"+cell(r.Data[1].VarCharValue))
			}
			if token = res.NextToken; token == nil {
				break
			}
		}
		if got, want := strings.Join(seen, ","), "'x'|'y','a'|NULL,''|'b',NULL|''"; got != want {
			t.Errorf("pages of %d: %s, want %s", size, got, want)
		}
	}
	end, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId, NextToken: ptr.To("4")})
	if err != nil || len(end.ResultSet.Rows) != 0 || end.NextToken != nil {
		t.Fatalf("at the end: %+v %v", end, err)
	}
	if _, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId, NextToken: ptr.To("5")}); err == nil {
		t.Fatal("a NextToken past the end was taken")
	}
}

func TestNamedQueriesAndPreparedStatements(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	ctx := f.h.Ctx()
	nq, err := f.a.CreateNamedQuery(ctx, &athenaapi.CreateNamedQueryInput{Name: ptr.To("n"), Database: ptr.To("default"), QueryString: ptr.To("select 1")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := f.a.GetNamedQuery(ctx, &athenaapi.GetNamedQueryInput{NamedQueryId: nq.NamedQueryId})
	if err != nil || *got.NamedQuery.QueryString != "select 1" || *got.NamedQuery.WorkGroup != "primary" {
		t.Fatalf("%+v %v", got, err)
	}
	if _, err := f.a.DeleteNamedQuery(ctx, &athenaapi.DeleteNamedQueryInput{NamedQueryId: nq.NamedQueryId}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.GetNamedQuery(ctx, &athenaapi.GetNamedQueryInput{NamedQueryId: nq.NamedQueryId}); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("deleted: %v", err)
	}
	if _, err := f.a.CreatePreparedStatement(ctx, &athenaapi.CreatePreparedStatementInput{StatementName: ptr.To("add"), WorkGroup: ptr.To("primary"),
		QueryStatement: ptr.To("select ? + ? as s")}); err != nil {
		t.Fatal(err)
	}
	if got := f.ok(`EXECUTE add USING 1, 2`); strings.Join(got, ",") != "s,3" {
		t.Fatalf("execute: %v", got)
	}
	out, err := f.a.StartQueryExecution(ctx, &athenaapi.StartQueryExecutionInput{QueryString: ptr.To("select ? as v"), ExecutionParameters: []string{"'x'"},
		ResultConfiguration: &athenaapi.ResultConfiguration{OutputLocation: ptr.To("s3://out/")}})
	if err != nil {
		t.Fatal(err)
	}
	_ = out
}

func TestWorkGroups(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	ctx := f.h.Ctx()
	if _, err := f.a.CreateWorkGroup(ctx, &athenaapi.CreateWorkGroupInput{Name: ptr.To("analysts"), Configuration: &athenaapi.WorkGroupConfiguration{
		ResultConfiguration: &athenaapi.ResultConfiguration{OutputLocation: ptr.To("s3://wg-out/q/")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.CreateWorkGroup(ctx, &athenaapi.CreateWorkGroupInput{Name: ptr.To("analysts")}); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("duplicate: %v", err)
	}
	wg, err := f.a.GetWorkGroup(ctx, &athenaapi.GetWorkGroupInput{WorkGroup: ptr.To("analysts")})
	if err != nil || *wg.WorkGroup.Configuration.EngineVersion.EffectiveEngineVersion != "Athena engine version 3" {
		t.Fatalf("%+v %v", wg, err)
	}
	// The workgroup's output location is enforced.
	out, err := f.a.StartQueryExecution(ctx, &athenaapi.StartQueryExecutionInput{QueryString: ptr.To("select 1"), WorkGroup: ptr.To("analysts"),
		ResultConfiguration: &athenaapi.ResultConfiguration{OutputLocation: ptr.To("s3://mine/")}})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ge, _ := f.a.GetQueryExecution(ctx, &athenaapi.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
		if finished(*ge.QueryExecution.Status.State) {
			if _, ok := f.s3.get("wg-out", "q/"+*out.QueryExecutionId+".csv"); !ok {
				t.Fatalf("result not in the workgroup's location: %+v", ge.QueryExecution.ResultConfiguration)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("query did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	arn := "arn:aws:athena:" + f.h.Region + ":" + f.h.Account + ":workgroup/analysts"
	if _, err := f.a.TagResource(ctx, &athenaapi.TagResourceInput{ResourceARN: ptr.To(arn), Tags: []athenaapi.Tag{{Key: ptr.To("team"), Value: ptr.To("data")}, {Key: ptr.To("x"), Value: ptr.To("1")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.UntagResource(ctx, &athenaapi.UntagResourceInput{ResourceARN: ptr.To(arn), TagKeys: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	tags, err := f.a.ListTagsForResource(ctx, &athenaapi.ListTagsForResourceInput{ResourceARN: ptr.To(arn)})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "team" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	if _, err := f.a.ListTagsForResource(ctx, &athenaapi.ListTagsForResourceInput{ResourceARN: ptr.To(arn + "x")}); !athenaapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("missing workgroup: %v", err)
	}
	list, err := f.a.ListWorkGroups(ctx, &athenaapi.ListWorkGroupsInput{})
	if err != nil || len(list.WorkGroups) != 2 || *list.WorkGroups[1].Name != "primary" {
		t.Fatalf("%+v %v", list, err)
	}
	if _, err := f.a.DeleteWorkGroup(ctx, &athenaapi.DeleteWorkGroupInput{WorkGroup: ptr.To("primary")}); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("delete primary: %v", err)
	}
	if _, err := f.a.StartQueryExecution(ctx, &athenaapi.StartQueryExecutionInput{QueryString: ptr.To("select 1")}); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("no output location: %v", err)
	}
}

func FuzzLex(f *testing.F) {
	f.Add(cloudTrailDDL)
	f.Add(`select '\\' from "x""y" -- c`)
	f.Fuzz(func(t *testing.T, s string) {
		toks, err := lex(s, true)
		if err != nil {
			return
		}
		p := &parser{src: s, toks: toks}
		_, _ = p.columns()
		classify(s)
		_, _ = bind(s, []string{"1"})
	})
}

// albDDL is AWS's documented table for Application Load Balancer access
// logs (Athena User Guide, "Create the table for ALB logs").
const albDDL = `CREATE EXTERNAL TABLE IF NOT EXISTS alb_access_logs (
            type string,
            time string,
            elb string,
            client_ip string,
            client_port int,
            target_ip string,
            target_port int,
            request_processing_time double,
            target_processing_time double,
            response_processing_time double,
            elb_status_code int,
            target_status_code string,
            received_bytes bigint,
            sent_bytes bigint,
            request_verb string,
            request_url string,
            request_proto string,
            user_agent string,
            ssl_cipher string,
            ssl_protocol string,
            target_group_arn string,
            trace_id string,
            domain_name string,
            chosen_cert_arn string,
            matched_rule_priority string,
            request_creation_time string,
            actions_executed string,
            redirect_url string,
            lambda_error_reason string,
            target_port_list string,
            target_status_code_list string,
            classification string,
            classification_reason string,
            conn_trace_id string
            )
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
            WITH SERDEPROPERTIES (
            'serialization.format' = '1',
            'input.regex' =
        '([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) ([-.0-9]*) (|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) \"([^ ]*) (.*) (- |[^ ]*)\" \"([^\"]*)\" ([A-Z0-9-_]+) ([A-Za-z0-9.-]*) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" ([-.0-9]*) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" \"([^ ]*)\" \"([^\\s]+?)\" \"([^\\s]+)\" \"([^ ]*)\" \"([^ ]*)\" ?([^ ]*)?( .*)?'
            )
            LOCATION 's3://alb-logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/'`

// albLines are ALB log entries in AWS's documented format.
const albLines = `http 2026-05-01T22:23:00.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.39:2817 10.0.0.1:80 0.000 0.001 0.000 200 200 34 366 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.46.0" - - arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe354" "-" "-" 0 2026-05-01T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef90
https 2026-05-01T22:23:01.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.40:2818 10.0.0.1:80 0.000 0.002 0.000 404 404 34 120 "GET https://www.example.com:443/missing HTTP/1.1" "curl/7.46.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe355" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2026-05-01T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "404" "-" "-" TID_1234abcd5678ef91
https 2026-05-01T22:23:02.186641Z app/my-loadbalancer/50dc6c495c0c9188 192.168.131.41:2819 10.0.0.1:80 0.000 0.003 0.000 200 200 34 366 "GET https://www.example.com:443/ HTTP/1.1" "Mozilla/5.0" ECDHE-RSA-AES128-GCM-SHA256 TLSv1.2 arn:aws:elasticloadbalancing:us-east-2:123456789012:targetgroup/my-targets/73e2d6bc24d8a067 "Root=1-58337262-36d228ad5d99923122bbe356" "www.example.com" "arn:aws:acm:us-east-2:123456789012:certificate/12345678-1234-1234-1234-123456789012" 1 2026-05-01T22:22:48.364000Z "forward" "-" "-" "10.0.0.1:80" "200" "-" "-" TID_1234abcd5678ef92
`

func TestALBLogs(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	f.s3.put("alb-logs", "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/05/01/123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.50dc6c495c0c9188_20260501T2225Z_10.0.0.1_abc.log.gz", gzipped(albLines))
	f.ok(albDDL)
	got := f.ok(`SELECT elb_status_code, count(*) AS requests, sum(sent_bytes) AS bytes FROM alb_access_logs GROUP BY elb_status_code ORDER BY elb_status_code`)
	if strings.Join(got, ",") != "elb_status_code|requests|bytes,200|2|732,404|1|120" {
		t.Fatalf("ALB GROUP BY: %v", got)
	}
	got = f.ok(`SELECT client_ip, request_url, user_agent, ssl_protocol, target_processing_time FROM alb_access_logs WHERE elb_status_code = 404`)
	if strings.Join(got, ",") != "client_ip|request_url|user_agent|ssl_protocol|target_processing_time,192.168.131.40|https://www.example.com:443/missing|curl/7.46.0|TLSv1.2|0.002" {
		t.Fatalf("ALB fields: %v", got)
	}
}

func TestCTASAndInsert(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}))
	f.s3.put("data", "events/a.json", []byte(`{"name":"x","n":1}`+"\n"+`{"name":"y","n":2}`+"\n"+`{"name":"y","n":5}`+"\n"))
	f.ok(`CREATE EXTERNAL TABLE events (name string, n bigint) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/events/'`)
	for _, format := range []string{"PARQUET", "JSON", "TEXTFILE"} {
		name := "totals_" + strings.ToLower(format)
		qe := f.run(`CREATE TABLE ` + name + ` WITH (format = '` + format + `', external_location = 's3://data/` + name + `/') AS
SELECT name, sum(n) AS total FROM events GROUP BY name`)
		if *qe.Status.State != stateSucceeded || *qe.SubstatementType != "CREATE_TABLE_AS_SELECT" {
			t.Fatalf("%s: %s %s", format, *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
		}
		res, err := f.a.GetQueryResults(f.h.Ctx(), &athenaapi.GetQueryResultsInput{QueryExecutionId: qe.QueryExecutionId})
		if err != nil || ptr.Deref(res.UpdateCount) != 2 {
			t.Fatalf("%s: UpdateCount %v %v", format, res, err)
		}
		tb, err := f.cat.Table(nil, "default", name)
		if err != nil || tb.Location != "s3://data/"+name+"/" || len(tb.Columns) != 2 || tb.Columns[1].Type != "bigint" {
			t.Fatalf("%s: table %+v %v", format, tb, err)
		}
		f.ok(`INSERT INTO ` + name + ` SELECT 'z', 9`)
		if got := f.ok(`select name, total from ` + name + ` order by name`); strings.Join(got, ",") != "name|total,x|1,y|7,z|9" {
			t.Fatalf("%s: read back %v", format, got)
		}
	}
	// The default location is under the query's output location.
	qe := f.run(`CREATE TABLE copied AS SELECT * FROM events`)
	tb, err := f.cat.Table(nil, "default", "copied")
	if err != nil || tb.Location != "s3://out/results/tables/"+*qe.QueryExecutionId+"/" {
		t.Fatalf("default location %+v %v", tb, err)
	}
	// A location with objects is refused, as Athena refuses it.
	qe = f.run(`CREATE TABLE again WITH (external_location = 's3://data/events/') AS SELECT 1 AS a`)
	if *qe.Status.State != stateFailed || !strings.Contains(*qe.Status.StateChangeReason, "HIVE_PATH_ALREADY_EXISTS") {
		t.Fatalf("%s %s", *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
	}
	qe = f.run(`INSERT INTO nosuch SELECT 1`)
	if *qe.Status.State != stateFailed || !strings.Contains(*qe.Status.StateChangeReason, "TABLE_NOT_FOUND") {
		t.Fatalf("%s %s", *qe.Status.State, ptr.Deref(qe.Status.StateChangeReason))
	}
}

func TestDataCatalogAPI(t *testing.T) {
	f := newFixture(t, nil)
	ctx := f.h.Ctx()
	f.ok(`CREATE EXTERNAL TABLE logs (msg string) PARTITIONED BY (dt string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/logs/'`)
	dbs, err := f.a.ListDatabases(ctx, &athenaapi.ListDatabasesInput{CatalogName: ptr.To("AwsDataCatalog")})
	if err != nil || len(dbs.DatabaseList) != 1 || *dbs.DatabaseList[0].Name != "default" {
		t.Fatalf("%+v %v", dbs, err)
	}
	md, err := f.a.GetTableMetadata(ctx, &athenaapi.GetTableMetadataInput{CatalogName: ptr.To("AwsDataCatalog"), DatabaseName: ptr.To("default"), TableName: ptr.To("logs")})
	if err != nil || *md.TableMetadata.TableType != "EXTERNAL_TABLE" || md.TableMetadata.Parameters["location"] != "s3://data/logs/" ||
		*md.TableMetadata.PartitionKeys[0].Name != "dt" || *md.TableMetadata.Columns[0].Type != "string" {
		t.Fatalf("%+v %v", md, err)
	}
	if _, err := f.a.GetTableMetadata(ctx, &athenaapi.GetTableMetadataInput{CatalogName: ptr.To("AwsDataCatalog"), DatabaseName: ptr.To("default"), TableName: ptr.To("nosuch")}); !athenaapi.ErrMetadataException.Is(err) {
		t.Fatalf("missing table: %v", err)
	}
	if _, err := f.a.ListDatabases(ctx, &athenaapi.ListDatabasesInput{CatalogName: ptr.To("other")}); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("other catalog: %v", err)
	}
	list, err := f.a.ListTableMetadata(ctx, &athenaapi.ListTableMetadataInput{CatalogName: ptr.To("AwsDataCatalog"), DatabaseName: ptr.To("default"), Expression: ptr.To("lo*")})
	if err != nil || len(list.TableMetadataList) != 1 {
		t.Fatalf("%+v %v", list, err)
	}
}

func TestStopQueryExecution(t *testing.T) {
	f := newFixture(t, duckdb.New(duckdb.Options{}), func(o *Options) { o.MaxConcurrent = 1 })
	f.s3.put("data", "events/a.json", []byte(`{"name":"x"}`+"\n"))
	f.ok(`CREATE EXTERNAL TABLE events (name string) ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe' LOCATION 's3://data/events/'`)
	f.s3.block = make(chan struct{})
	ctx := f.h.Ctx()
	out, err := f.a.StartQueryExecution(ctx, &athenaapi.StartQueryExecutionInput{QueryString: ptr.To("select * from events"),
		ResultConfiguration: &athenaapi.ResultConfiguration{OutputLocation: ptr.To("s3://out/")}})
	if err != nil {
		t.Fatal(err)
	}
	state := func() *athenaapi.QueryExecution {
		ge, err := f.a.GetQueryExecution(ctx, &athenaapi.GetQueryExecutionInput{QueryExecutionId: out.QueryExecutionId})
		if err != nil {
			t.Fatal(err)
		}
		return ge.QueryExecution
	}
	deadline := time.Now().Add(60 * time.Second)
	for *state().Status.State != stateRunning {
		if time.Now().After(deadline) {
			t.Fatalf("never RUNNING: %s", *state().Status.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := f.a.GetQueryResults(ctx, &athenaapi.GetQueryResultsInput{QueryExecutionId: out.QueryExecutionId}); err == nil ||
		err.Error() != "InvalidRequestException: Query has not yet finished. Current state: RUNNING" {
		t.Fatalf("results while running: %v", err)
	}
	// One query runs at a time here: a second one waits QUEUED, and
	// stopping it there cancels it.
	second, err := f.a.StartQueryExecution(ctx, &athenaapi.StartQueryExecutionInput{QueryString: ptr.To("select 1"),
		ResultConfiguration: &athenaapi.ResultConfiguration{OutputLocation: ptr.To("s3://out/")}})
	if err != nil {
		t.Fatal(err)
	}
	ge, err := f.a.GetQueryExecution(ctx, &athenaapi.GetQueryExecutionInput{QueryExecutionId: second.QueryExecutionId})
	if err != nil || *ge.QueryExecution.Status.State != stateQueued {
		t.Fatalf("second query: %+v %v", ge, err)
	}
	if _, err := f.a.StopQueryExecution(ctx, &athenaapi.StopQueryExecutionInput{QueryExecutionId: second.QueryExecutionId}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.a.StopQueryExecution(ctx, &athenaapi.StopQueryExecutionInput{QueryExecutionId: out.QueryExecutionId}); err != nil {
		t.Fatal(err)
	}
	// The query's goroutine ends, and the state stays CANCELLED.
	if err := f.a.Close(); err != nil {
		t.Fatal(err)
	}
	qe := state()
	if *qe.Status.State != stateCancelled || *qe.Status.AthenaError.ErrorType != 1011 || qe.Status.CompletionDateTime == nil {
		t.Fatalf("%+v", qe.Status)
	}
	if _, err := f.a.StopQueryExecution(ctx, &athenaapi.StopQueryExecutionInput{QueryExecutionId: ptr.To("nope")}); !athenaapi.ErrInvalidRequestException.Is(err) {
		t.Fatalf("unknown id: %v", err)
	}
}
