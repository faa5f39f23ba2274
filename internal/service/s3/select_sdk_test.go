package s3_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/md5"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/internal/sqlengine/duckdb"
	"github.com/niwa-cloud/niwa/niwatest"
)

// selectClient is an in-process niwa with the DuckDB engine linked, as
// the niwa binary has it.
func selectClient(t *testing.T) *s3.Client {
	t.Helper()
	n := niwatest.Start(t, niwatest.WithSQLEngine(duckdb.New(duckdb.Options{})))
	c := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
	sdkBucket(t, c, "sel")
	return c
}

type selectAnswer struct {
	records  string
	stats    *types.Stats
	progress bool
	end      bool
}

// runSelect runs in over bucket sel and reads the whole stream.
func runSelect(t *testing.T, c *s3.Client, in *s3.SelectObjectContentInput) (*selectAnswer, error) {
	t.Helper()
	in.Bucket = aws.String("sel")
	if in.ExpressionType == "" {
		in.ExpressionType = types.ExpressionTypeSql
	}
	out, err := c.SelectObjectContent(context.Background(), in)
	if err != nil {
		return nil, err
	}
	st := out.GetStream()
	defer func() { _ = st.Close() }()
	a := &selectAnswer{}
	var b strings.Builder
	for ev := range st.Events() {
		switch e := ev.(type) {
		case *types.SelectObjectContentEventStreamMemberRecords:
			b.Write(e.Value.Payload)
		case *types.SelectObjectContentEventStreamMemberStats:
			a.stats = e.Value.Details
		case *types.SelectObjectContentEventStreamMemberProgress:
			a.progress = true
		case *types.SelectObjectContentEventStreamMemberEnd:
			a.end = true
		}
	}
	a.records = b.String()
	return a, st.Err()
}

func put(t *testing.T, c *s3.Client, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("sel"), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

const people = "name,age,city\nalice,34,Paris\nbob,27,\"New York, NY\"\ncarol,41,Tokyo\n"

func csvIn(hdr types.FileHeaderInfo) *types.InputSerialization {
	return &types.InputSerialization{CSV: &types.CSVInput{FileHeaderInfo: hdr}}
}

var csvOutput = &types.OutputSerialization{CSV: &types.CSVOutput{}}
var jsonOutput = &types.OutputSerialization{JSON: &types.JSONOutput{}}

func TestSelectObjectContent(t *testing.T) {
	c := selectClient(t)
	put(t, c, "people.csv", []byte(people))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte(people))
	_ = zw.Close()
	put(t, c, "people.csv.gz", gz.Bytes())
	put(t, c, "events.jsonl", []byte(`{"id":1,"kind":"click","tags":["a","b"],"user":{"name":"x"}}
{"id":2,"kind":"view","score":1.5}
{"id":3,"kind":"click","user":{"name":"y"}}
`))
	put(t, c, "doc.json", []byte(`{"items":[{"n":1},{"n":2},{"n":3}]}`))
	put(t, c, "semi.txt", []byte("# a comment\r\na;'b;c';1\r\nd;e;2\r\n"))

	cases := []struct {
		name, key, sql string
		in             *types.InputSerialization
		out            *types.OutputSerialization
		want           string
	}{
		{"csv header names", "people.csv", "SELECT s.name, s.city FROM S3Object s WHERE CAST(s.age AS INT) > 30", csvIn(types.FileHeaderInfoUse), csvOutput,
			"alice,Paris\ncarol,Tokyo\n"},
		{"csv positional quoted field", "people.csv", "SELECT s._3 FROM S3Object s WHERE s._1 = 'bob'", csvIn(types.FileHeaderInfoIgnore), csvOutput,
			"\"New York, NY\"\n"},
		{"csv no header reads the first line", "people.csv", "SELECT s._1 FROM S3Object s LIMIT 2", csvIn(types.FileHeaderInfoNone), csvOutput,
			"name\nalice\n"},
		{"aggregates", "people.csv", "SELECT COUNT(*), SUM(CAST(s.age AS INT)), MIN(CAST(s.age AS INT)), MAX(s.name) FROM S3Object s", csvIn(types.FileHeaderInfoUse), csvOutput,
			"3,102,27,carol\n"},
		{"json output of csv", "people.csv", "SELECT s.name, CAST(s.age AS INT) AS age FROM S3Object s LIMIT 1", csvIn(types.FileHeaderInfoUse), jsonOutput,
			`{"name":"alice","age":34}` + "\n"},
		{"star csv to json", "people.csv", "SELECT * FROM S3Object LIMIT 1", csvIn(types.FileHeaderInfoUse), jsonOutput,
			`{"name":"alice","age":"34","city":"Paris"}` + "\n"},
		{"gzip", "people.csv.gz", "SELECT UPPER(s.name) FROM S3Object s WHERE s.city LIKE 'T%'",
			&types.InputSerialization{CSV: &types.CSVInput{FileHeaderInfo: types.FileHeaderInfoUse}, CompressionType: types.CompressionTypeGzip}, csvOutput, "CAROL\n"},
		{"json lines", "events.jsonl", "SELECT s.id, s.user.name FROM S3Object[*] s WHERE s.kind = 'click'",
			&types.InputSerialization{JSON: &types.JSONInput{Type: types.JSONTypeLines}}, jsonOutput, `{"id":1,"name":"x"}` + "\n" + `{"id":3,"name":"y"}` + "\n"},
		{"json star", "events.jsonl", "SELECT * FROM S3Object s WHERE s.score > 1",
			&types.InputSerialization{JSON: &types.JSONInput{Type: types.JSONTypeLines}}, jsonOutput, `{"id":2,"kind":"view","score":1.5}` + "\n"},
		{"json nested to csv", "events.jsonl", "SELECT s.tags[1], s.kind FROM S3Object s WHERE s.id = 1",
			&types.InputSerialization{JSON: &types.JSONInput{Type: types.JSONTypeLines}}, csvOutput, "b,click\n"},
		{"json document path", "doc.json", "SELECT SUM(i.n) AS total FROM S3Object[*].items[*] i",
			&types.InputSerialization{JSON: &types.JSONInput{Type: types.JSONTypeDocument}}, jsonOutput, `{"total":6}` + "\n"},
		{"csv options", "semi.txt", "SELECT s._2, s._3 FROM S3Object s",
			&types.InputSerialization{CSV: &types.CSVInput{FieldDelimiter: aws.String(";"), QuoteCharacter: aws.String("'"), Comments: aws.String("#"), RecordDelimiter: aws.String("\r\n")}},
			&types.OutputSerialization{CSV: &types.CSVOutput{FieldDelimiter: aws.String("|"), QuoteFields: types.QuoteFieldsAlways}}, "\"b;c\"|\"1\"\n\"e\"|\"2\"\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, err := runSelect(t, c, &s3.SelectObjectContentInput{Key: aws.String(tc.key), Expression: aws.String(tc.sql), InputSerialization: tc.in, OutputSerialization: tc.out})
			if err != nil {
				t.Fatal(err)
			}
			if a.records != tc.want {
				t.Errorf("records %q, want %q", a.records, tc.want)
			}
			if !a.end || a.stats == nil || aws.ToInt64(a.stats.BytesReturned) != int64(len(tc.want)) || aws.ToInt64(a.stats.BytesScanned) == 0 {
				t.Errorf("end %v stats %+v", a.end, a.stats)
			}
		})
	}

	t.Run("progress and scan range", func(t *testing.T) {
		// The records that begin within bytes 14-30: alice's (at 14) and
		// bob's (at 29).
		a, err := runSelect(t, c, &s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String("SELECT s._1 FROM S3Object s"),
			InputSerialization: csvIn(types.FileHeaderInfoNone), OutputSerialization: csvOutput,
			ScanRange: &types.ScanRange{Start: aws.Int64(14), End: aws.Int64(30)}, RequestProgress: &types.RequestProgress{Enabled: aws.Bool(true)}})
		if err != nil {
			t.Fatal(err)
		}
		if a.records != "alice\nbob\n" || !a.progress {
			t.Errorf("records %q progress %v", a.records, a.progress)
		}
		// End alone is the last End bytes: carol's record begins 15
		// bytes before the end.
		a, err = runSelect(t, c, &s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String("SELECT s._1 FROM S3Object s"),
			InputSerialization: csvIn(types.FileHeaderInfoNone), OutputSerialization: csvOutput, ScanRange: &types.ScanRange{End: aws.Int64(15)}})
		if err != nil || a.records != "carol\n" || a.progress {
			t.Errorf("last bytes: %+v %v", a, err)
		}
	})

	t.Run("errors before the stream", func(t *testing.T) {
		for _, e := range []struct {
			in   *s3.SelectObjectContentInput
			code string
		}{
			{&s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String("SELECT FROM S3Object"), InputSerialization: csvIn(""), OutputSerialization: csvOutput}, "ParseUnexpectedToken"},
			{&s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String("SELECT * FROM S3Object"),
				InputSerialization: &types.InputSerialization{CSV: &types.CSVInput{}, CompressionType: "ZIP"}, OutputSerialization: csvOutput}, "InvalidCompressionFormat"},
			{&s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String("SELECT * FROM S3Object"),
				InputSerialization: &types.InputSerialization{CSV: &types.CSVInput{}, JSON: &types.JSONInput{Type: types.JSONTypeLines}}, OutputSerialization: csvOutput}, "ObjectSerializationConflict"},
			{&s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String("SELECT * FROM S3Object"),
				InputSerialization: csvIn("MAYBE"), OutputSerialization: csvOutput}, "InvalidFileHeaderInfo"},
			{&s3.SelectObjectContentInput{Key: aws.String("nope.csv"), Expression: aws.String("SELECT * FROM S3Object"), InputSerialization: csvIn(""), OutputSerialization: csvOutput}, "NoSuchKey"},
		} {
			_, err := runSelect(t, c, e.in)
			var ae smithy.APIError
			if !errors.As(err, &ae) || ae.ErrorCode() != e.code {
				t.Errorf("%s: got %v, want %s", aws.ToString(e.in.Expression), err, e.code)
			}
		}
	})

	t.Run("errors in the stream", func(t *testing.T) {
		for _, e := range []struct{ sql, code string }{
			{"SELECT s.name FROM S3Object s", "MissingHeaders"},
			{"SELECT CAST(s._1 AS INT) FROM S3Object s", "CastFailed"},
		} {
			_, err := runSelect(t, c, &s3.SelectObjectContentInput{Key: aws.String("people.csv"), Expression: aws.String(e.sql), InputSerialization: csvIn(types.FileHeaderInfoNone), OutputSerialization: csvOutput})
			if err == nil || !strings.Contains(err.Error(), e.code) {
				t.Errorf("%s: got %v, want %s", e.sql, err, e.code)
			}
		}
	})

	t.Run("SSE-C object", func(t *testing.T) {
		key := bytes.Repeat([]byte{7}, 32)
		sum := md5.Sum(key)
		k64, m64 := base64.StdEncoding.EncodeToString(key), base64.StdEncoding.EncodeToString(sum[:])
		if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("sel"), Key: aws.String("secret.csv"), Body: strings.NewReader("x,1\ny,2\n"),
			SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(k64), SSECustomerKeyMD5: aws.String(m64)}); err != nil {
			t.Fatal(err)
		}
		in := &s3.SelectObjectContentInput{Key: aws.String("secret.csv"), Expression: aws.String("SELECT s._1 FROM S3Object s WHERE s._2 = '2'"), InputSerialization: csvIn(""), OutputSerialization: csvOutput}
		if _, err := runSelect(t, c, in); err == nil {
			t.Error("an SSE-C object was read without its key")
		}
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), aws.String(k64), aws.String(m64)
		a, err := runSelect(t, c, in)
		if err != nil || a.records != "y\n" {
			t.Errorf("records %v %v", a, err)
		}
	})
}
