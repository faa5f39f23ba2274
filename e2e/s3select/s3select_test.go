package s3select

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3: select_object_content over CSV with a header, JSON lines, a
// gzip object and an aggregate, read from boto3's event stream; a bad
// query is refused with ParseUnexpectedToken, a value that does not
// cast ends the stream with CastFailed.
func TestBoto3(t *testing.T) {
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import boto3, gzip, json
from botocore.exceptions import ClientError, EventStreamError
s3 = boto3.client('s3')
s3.create_bucket(Bucket='sel', CreateBucketConfiguration={'LocationConstraint': s3.meta.region_name})
people = b'name,age,city\nalice,34,Paris\nbob,27,"New York, NY"\ncarol,41,Tokyo\n'
s3.put_object(Bucket='sel', Key='people.csv', Body=people)
s3.put_object(Bucket='sel', Key='people.csv.gz', Body=gzip.compress(people))
s3.put_object(Bucket='sel', Key='events.jsonl', Body=b'{"id":1,"kind":"click","user":{"name":"x"}}\n{"id":2,"kind":"view"}\n{"id":3,"kind":"click","user":{"name":"y"}}\n')
def sel(key, sql, inp, out={'CSV': {}}, **kw):
    r = s3.select_object_content(Bucket='sel', Key=key, Expression=sql, ExpressionType='SQL', InputSerialization=inp, OutputSerialization=out, **kw)
    recs, kinds = b'', []
    for ev in r['Payload']:
        kinds.extend(ev.keys())
        if 'Records' in ev:
            recs += ev['Records']['Payload']
        if 'Stats' in ev:
            stats = ev['Stats']['Details']
    return {'records': recs.decode(), 'kinds': sorted(set(kinds)), 'returned': stats['BytesReturned'], 'scanned': stats['BytesScanned']}
res = {}
res['header'] = sel('people.csv', "SELECT s.name, s.city FROM S3Object s WHERE CAST(s.age AS INT) > 30", {'CSV': {'FileHeaderInfo': 'USE'}}, RequestProgress={'Enabled': True})
res['json'] = sel('events.jsonl', "SELECT s.id, s.user.name FROM S3Object[*] s WHERE s.kind = 'click'", {'JSON': {'Type': 'LINES'}}, {'JSON': {}})
res['gzip'] = sel('people.csv.gz', "SELECT s._1 FROM S3Object s WHERE s._3 LIKE 'New%'", {'CSV': {'FileHeaderInfo': 'IGNORE'}, 'CompressionType': 'GZIP'})
res['agg'] = sel('people.csv', "SELECT COUNT(*), AVG(CAST(s.age AS INT)) FROM S3Object s", {'CSV': {'FileHeaderInfo': 'USE'}}, {'JSON': {}})
try:
    sel('people.csv', "SELECT s.name FROM S3Object s WHERE", {'CSV': {'FileHeaderInfo': 'USE'}})
except ClientError as e:
    res['bad'] = [e.response['Error']['Code'], e.response['ResponseMetadata']['HTTPStatusCode']]
try:
    sel('people.csv', "SELECT CAST(s.name AS INT) FROM S3Object s", {'CSV': {'FileHeaderInfo': 'USE'}})
except EventStreamError as e:
    res['cast'] = e.response['Error']['Code']
print(json.dumps(res))
`)
	var got struct {
		Header, JSON, Gzip, Agg struct {
			Records           string
			Kinds             []string
			Returned, Scanned int
		}
		Bad  []any
		Cast string
	}
	framework.MustJSON(t, out, &got)
	if got.Header.Records != "alice,Paris\ncarol,Tokyo\n" || strings.Join(got.Header.Kinds, ",") != "End,Progress,Records,Stats" ||
		got.Header.Returned != len(got.Header.Records) || got.Header.Scanned == 0 {
		t.Errorf("csv with a header: %+v", got.Header)
	}
	if got.JSON.Records != "{\"id\":1,\"name\":\"x\"}\n{\"id\":3,\"name\":\"y\"}\n" {
		t.Errorf("json lines: %q", got.JSON.Records)
	}
	if got.Gzip.Records != "bob\n" {
		t.Errorf("gzip: %q", got.Gzip.Records)
	}
	if got.Agg.Records != "{\"_1\":3,\"_2\":34.0}\n" {
		t.Errorf("aggregate: %q", got.Agg.Records)
	}
	if len(got.Bad) != 2 || got.Bad[0] != "ParseUnexpectedTerm" || got.Bad[1] != float64(400) {
		t.Errorf("bad query: %v", got.Bad)
	}
	if got.Cast != "CastFailed" {
		t.Errorf("cast failure in the stream: %q", got.Cast)
	}
}

// TestCLI: aws s3api select-object-content writes the records to its
// outfile, with both CLI versions; a bad query fails the command with
// S3 Select's error code.
func TestCLI(t *testing.T) {
	n := framework.Start(t, framework.Binary)
	n.MustAWS(t, "s3", "mb", "s3://cli-sel")
	dir := t.TempDir()
	src := filepath.Join(dir, "in.csv")
	if err := os.WriteFile(src, []byte("id,item,qty\n1,apple,3\n2,pear,5\n3,plum,7\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	n.MustAWS(t, "s3api", "put-object", "--bucket", "cli-sel", "--key", "in.csv", "--body", src)
	for _, c := range framework.CLIs {
		outFile := filepath.Join(dir, c.Name+".json")
		n.MustCLI(t, c, "s3api", "select-object-content", "--bucket", "cli-sel", "--key", "in.csv",
			"--expression", "SELECT s.item, s.qty FROM S3Object s WHERE CAST(s.qty AS INT) >= 5", "--expression-type", "SQL",
			"--input-serialization", `{"CSV": {"FileHeaderInfo": "USE"}}`, "--output-serialization", `{"JSON": {}}`, outFile)
		b, err := os.ReadFile(outFile)
		if err != nil {
			t.Fatal(err)
		}
		if want := "{\"item\":\"pear\",\"qty\":\"5\"}\n{\"item\":\"plum\",\"qty\":\"7\"}\n"; string(b) != want {
			t.Errorf("%s: %q, want %q", c.Name, b, want)
		}
		_, errOut, err := n.RunCLI(t, c, nil, "s3api", "select-object-content", "--bucket", "cli-sel", "--key", "in.csv",
			"--expression", "SELECT * FROM mytable", "--expression-type", "SQL",
			"--input-serialization", `{"CSV": {}}`, "--output-serialization", `{"CSV": {}}`, filepath.Join(dir, "bad"))
		if err == nil || !strings.Contains(errOut, "InvalidDataSource") {
			t.Errorf("%s: bad query: %v %s", c.Name, err, errOut)
		}
	}
}
