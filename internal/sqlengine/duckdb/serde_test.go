package duckdb

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/sqlengine"
)

// decodeRows reads converted JSON lines back, a missing key and null
// alike absent (DuckDB reads both as NULL).
func decodeRows(t testing.TB, b []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxLine)
	for sc.Scan() {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.UseNumber()
		var m map[string]any
		if err := dec.Decode(&m); err != nil {
			t.Fatalf("converted line %q: %v", sc.Text(), err)
		}
		for k, v := range m {
			if v == nil {
				delete(m, k)
			}
		}
		out = append(out, m)
	}
	return out
}

// convert runs the SerDe under test and the legacy one over table.
func convert(t testing.TB, table sqlengine.Table) (got, want []map[string]any, gotErr, wantErr error) {
	t.Helper()
	sd, err := newSerde(table)
	if err != nil {
		t.Fatal(err)
	}
	var nb, ob bytes.Buffer
	gotErr = sd.write(&nb)
	wantErr = (&legacySerde{sd}).write(&ob)
	if gotErr == nil {
		got = decodeRows(t, nb.Bytes())
	}
	if wantErr == nil {
		want = decodeRows(t, ob.Bytes())
	}
	return got, want, gotErr, wantErr
}

func cols(spec ...string) []sqlengine.Column {
	var out []sqlengine.Column
	for _, s := range spec {
		n, ty, _ := strings.Cut(s, ":")
		out = append(out, sqlengine.Column{Name: n, Type: ty})
	}
	return out
}

// TestSerdeRowsAsBefore holds the SerDes, which write rows straight as
// JSON text, to what decoding into maps and encoding/json made of the
// same files: the same value, NULL or error for every column of every
// row, across what Hive's SerDes read loosely (spaces around numbers,
// bad values, \N, short and long lines, keys in any case, strings with
// escapes, invalid UTF-8, nested values for string columns).
func TestSerdeRowsAsBefore(t *testing.T) {
	dir := t.TempDir()
	scalars := cols("id:bigint", "name:string", "amount:double", "price:decimal(10,2)", "ok:boolean", "day:date", "ts:timestamp", "small:tinyint", "raw:binary")
	nested := cols("id:int", "Name:string", "tags:array<string>", "attrs:map<string,int>", "who:struct<type:string,n:bigint,inner:struct<a:string>>", "doc:string", "f:float", "b:boolean")
	tests := []struct {
		name  string
		table sqlengine.Table
		body  string
	}{
		{"delimited", sqlengine.Table{Format: sqlengine.FormatDelimited, Delimiter: ",", SkipHeaderLines: 1, Columns: scalars},
			"id,name,amount\n" +
				"1,apple,1.5,2.25,true,2026-01-02,2026-01-02 03:04:05,7,xx\n" +
				" 2 ,\"quoted\",x,1e3,TRUE,,  ,300\n" +
				"\\N,\\N,\\N,\\N,\\N,\\N,\\N,\\N\n" +
				"3\n" +
				"4,a\\b\"c\u00e9\x01\x1f\xff\xfetail,-0,0.000001,1,bad,x,-128,z,extra,fields\r\n" +
				",,,,,,,\n" +
				"99999999999999999999,\u2028x,1e400,NaNx,t,2026-13-45,2026-01-02T03:04:05Z,1.5\n" +
				"\n"},
		{"default delimiter", sqlengine.Table{Format: sqlengine.FormatDelimited, Columns: cols("a:int", "b:string")},
			"1\x01one\n2\x01two\x01three\n"},
		{"multi-byte delimiter", sqlengine.Table{Format: sqlengine.FormatDelimited, Delimiter: "||", Columns: cols("a:int", "b:string")},
			"1||one\n2|two\n"},
		{"partitions", sqlengine.Table{Format: sqlengine.FormatDelimited, Delimiter: "\t", Columns: cols("a:int", "b:string", "dt:string", "n:int"), PartitionKeys: []string{"dt", "n"}},
			"1\tx\tignored\t5\n2\n"},
		{"regex", sqlengine.Table{Format: sqlengine.FormatRegex, Regex: `([^ ]*) \[(.*?)\] ([0-9]+)(?: (.*))?`, Columns: cols("who:string", "stamp:string", "n:bigint", "rest:string")},
			"bob [06/Feb/2019:00:00:38 +0000] 200\nnot a match\nann [x] 404 more \"text\"\n"},
		{"opencsv", sqlengine.Table{Format: sqlengine.FormatOpenCSV, SkipHeaderLines: 1, Columns: cols("a:string", "b:bigint", "c:string")},
			"a,b,c\n\"x, y\",\"12\",\"multi\nline\"\nplain,bad,\"q\"\"q\"\n,,\nonly\n"},
		{"opencsv semicolon", sqlengine.Table{Format: sqlengine.FormatOpenCSV, Delimiter: ";", Columns: cols("a:string", "b:int")},
			"x;1\n\"y;z\";2\n"},
		{"json", sqlengine.Table{Format: sqlengine.FormatJSON, Columns: nested},
			`{"id":1,"name":"a","tags":["x","y"],"attrs":{"k":1,"j":"2"},"who":{"TYPE":"IAMUser","n":"7","inner":{"A":1}},"doc":{"z":1,"a":[1.50,"<&>"]},"f":1.50,"b":"true"}` + "\n" +
				`{"ID":"2","NAME":3.250,"tags":"notarray","attrs":[1],"who":[],"doc":[true,null],"f":"x","b":1}` + "\n" +
				`  {"id":3.5,"name":true,"extra":{"deep":[{"x":"\u00e9\ud800"}]},"other":[1,2],"n":null,"name":null}  ` + "\n" +
				`{"id":-0,"name":"esc \"q\" \\ \/ \b\f\n\r\t \u0041\u00e9\ud83d\ude00 \udc00 x","doc":"s","f":1e2,"b":false}` + "\n" +
				"{\"id\":4,\"name\":\"raw \xff\xfe invalid \u00e9\",\"n\u00e4me\":1,\"\xffkey\":2}\n" +
				`{"id":5,"name":"dup1","name":"dup2","id":6}` + "\n" +
				`{}` + "\n" +
				"\n   \n" +
				`{"id":7} trailing` + "\n" +
				`{"id":8}{"id":9}` + "\n" +
				`null` + "\n" +
				`{"id":10,"tags":[1,2.5,"3",null,{"a":1}],"attrs":{"k":null,"j":1.5},"who":{"inner":"x"}}` + "\n" +
				`{"id":12345678901234567890,"f":-1.5e-300,"doc":12.50e+3,"b":"TRUE"}` + "\n" +
				`{"id" : 11 , "name" : "spaced" }` + "\n"},
		{"json non-ASCII names", sqlengine.Table{Format: sqlengine.FormatJSON, Columns: cols("名前:string", "\u212aelvin:int", "plain:string")},
			`{"名前":"x","kelvin":1,"PLAIN":"p"}` + "\n" + `{"KELVIN":"2","plain":{"a":1}}` + "\n"},
		{"json long keys", sqlengine.Table{Format: sqlengine.FormatJSON, Columns: cols(strings.Repeat("k", 80)+":string", "a:int")},
			`{"` + strings.Repeat("K", 80) + `":"long","A":1}` + "\n"},
		{"cloudtrail", sqlengine.Table{Format: sqlengine.FormatCloudTrail, Columns: cloudTrailColumns}, trailFile},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.table.Database, tt.table.Name = "default", "t"
			f := sqlengine.File{Path: plain(t, dir, strings.ReplaceAll(tt.name, " ", "_"), tt.body)}
			if len(tt.table.PartitionKeys) > 0 {
				f.Partition = map[string]string{"DT": "2026-01-01", "n": "x"}
			}
			tt.table.Files = []sqlengine.File{f, {Path: gz(t, dir, strings.ReplaceAll(tt.name, " ", "_")+".gz", tt.body), Partition: f.Partition}}
			got, want, gotErr, wantErr := convert(t, tt.table)
			if gotErr != nil || wantErr != nil {
				t.Fatalf("errors: got %v, before %v", gotErr, wantErr)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("rows\n got %v\nwant %v", got, want)
			}
			if len(got) == 0 {
				t.Fatal("no rows")
			}
		})
	}
}

// TestSerdeErrorsAsBefore: lines that are not JSON objects fail the
// query with the same words as before.
func TestSerdeErrorsAsBefore(t *testing.T) {
	dir := t.TempDir()
	for i, line := range []string{
		`[1,2]`, `{"a":1`, `{"a":tru}`, `{"a":"x\q"}`, `{"a":"\u12"}`, "{\"a\":\"tab\tin\"}", `{"a":01}`, `{"a":1.}`, `{"a":-}`,
		`{"a":{"b":}}`, `{"z":[1,]}`, `{a:1}`, `{"a" 1}`, `{"a":1,}`, `"str"`, `12`, "\v{\"a\":1}", `{"a":"unterminated}`,
		`{"a":` + strings.Repeat("[", 10001) + strings.Repeat("]", 10001) + `}`,
	} {
		table := sqlengine.Table{Database: "default", Name: "t", Format: sqlengine.FormatJSON, Columns: cols("a:string", "b:int"),
			Files: []sqlengine.File{{Path: plain(t, dir, fmt.Sprintf("bad%d", i), line+"\n")}}}
		_, _, gotErr, wantErr := convert(t, table)
		if wantErr == nil || gotErr == nil || gotErr.Error() != wantErr.Error() {
			t.Errorf("%.40q: got %v, before %v", line, gotErr, wantErr)
		}
	}
}

// FuzzSerdeJSONLine holds the quick JSON line reader to encoding/json's.
func FuzzSerdeJSONLine(f *testing.F) {
	for _, s := range []string{`{"id":1,"Name":"x","tags":["a"],"who":{"type":"t"},"doc":{"b":2,"a":1}}`, `{"ID":"2","f":"1e5"}`, `{"name":"\u00e9\ud800"}`, `{}`, `[]`, `{"a":1} x`} {
		f.Add(s)
	}
	dir := f.TempDir()
	columns := cols("id:int", "Name:string", "tags:array<string>", "who:struct<type:string>", "doc:string", "f:double")
	f.Fuzz(func(t *testing.T, line string) {
		if strings.ContainsAny(line, "\n\r") {
			return
		}
		table := sqlengine.Table{Database: "default", Name: "t", Format: sqlengine.FormatJSON, Columns: columns,
			Files: []sqlengine.File{{Path: plain(t, dir, "f", line+"\n")}}}
		got, want, gotErr, wantErr := convert(t, table)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("%q: error %v, before %v", line, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %v\nwant %v", line, got, want)
		}
	})
}

// FuzzSerdeText holds the delimited, regex and OpenCSV readers to the
// legacy ones over any file.
func FuzzSerdeText(f *testing.F) {
	f.Add("1,a,1.5,true,2026-01-02\n\\N, 2 ,x,0,\n", uint8(0))
	f.Add("bob [x] 200\nno\n", uint8(1))
	f.Add("\"a,b\",1\n\"q\"\"\",x\n", uint8(2))
	dir := f.TempDir()
	columns := cols("id:int", "name:string", "amount:double", "ok:boolean", "day:date", "p:string")
	f.Fuzz(func(t *testing.T, body string, format uint8) {
		table := sqlengine.Table{Database: "default", Name: "t", Columns: columns, PartitionKeys: []string{"p"}, Delimiter: ",",
			Files: []sqlengine.File{{Path: plain(t, dir, "f", body), Partition: map[string]string{"p": "v"}}}}
		switch format % 3 {
		case 0:
			table.Format = sqlengine.FormatDelimited
		case 1:
			table.Format, table.Regex = sqlengine.FormatRegex, `([^ ]*) \[(.*?)\] ([0-9]+)`
		default:
			table.Format = sqlengine.FormatOpenCSV
		}
		got, want, gotErr, wantErr := convert(t, table)
		if (gotErr == nil) != (wantErr == nil) || gotErr != nil && gotErr.Error() != wantErr.Error() {
			t.Fatalf("%q: error %v, before %v", body, gotErr, wantErr)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n got %v\nwant %v", body, got, want)
		}
	})
}

// TestNonFiniteDoubles: a double's NaN and Infinity read as Hive reads
// them (encoding/json could not write them: the query failed).
func TestNonFiniteDoubles(t *testing.T) {
	dir := t.TempDir()
	tbl := sqlengine.Table{Database: "default", Name: "t", Format: sqlengine.FormatDelimited, Delimiter: ",",
		Columns: cols("a:double", "d:decimal(10,2)", "s:string", "f:float"),
		Files:   []sqlengine.File{{Path: plain(t, dir, "n.csv", "NaN,NaN,nan,NaN\nInfinity,inf,pos,Infinity\n-Inf,-inf,neg,-infinity\n1.5,2.5,one,1.5\n")}}}
	r, err := New(Options{}).Query(context.Background(), sqlengine.Query{SQL: `select s, a, d is null, cast(f as varchar) from t`, Database: "default", Tables: []sqlengine.Table{tbl}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rows(r), "nan|NaN|true|nan\npos|Infinity|true|inf\nneg|-Infinity|true|-inf\none|1.5|false|1.5"; got != want {
		t.Fatalf("rows\n%s\nwant\n%s", got, want)
	}
}

// BenchmarkSerde is the conversion of 1 MiB of the bench workload's
// CSV and JSON lines (bench/workloads_athena.go).
func BenchmarkSerde(b *testing.B) {
	dir := b.TempDir()
	columns := cols("id:bigint", "category:string", "amount:double", "note:string")
	for _, bench := range []struct {
		name   string
		format sqlengine.Format
		line   func(id int) string
	}{
		{"CSV", sqlengine.FormatDelimited, func(id int) string {
			return fmt.Sprintf("%d,%s,%.2f,%s\n", id, fmt.Sprintf("cat-%d", id%8), float64(id%1000)/10, fmt.Sprintf("item %07d of the generated bench data set", id))
		}},
		{"JSON", sqlengine.FormatJSON, func(id int) string {
			return fmt.Sprintf(`{"id":%d,"category":%q,"amount":%.2f,"note":%q}`+"\n", id, fmt.Sprintf("cat-%d", id%8), float64(id%1000)/10, fmt.Sprintf("item %07d of the generated bench data set", id))
		}},
	} {
		var body strings.Builder
		for id := 0; body.Len() < 1<<20; id++ {
			body.WriteString(bench.line(id))
		}
		table := sqlengine.Table{Database: "default", Name: "t", Format: bench.format, Delimiter: ",", Columns: columns,
			Files: []sqlengine.File{{Path: plain(b, dir, bench.name, body.String())}}}
		sd, err := newSerde(table)
		if err != nil {
			b.Fatal(err)
		}
		for _, impl := range []struct {
			name  string
			write func(io.Writer) error
		}{{"rows", sd.write}, {"legacy", (&legacySerde{sd}).write}} {
			b.Run(bench.name+"/"+impl.name, func(b *testing.B) {
				b.SetBytes(int64(body.Len()))
				b.ReportAllocs()
				for b.Loop() {
					if err := impl.write(io.Discard); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkQuery is the bench workload's query over 4 MiB of its CSV
// and JSON lines (bench/workloads_athena.go): load, then aggregate.
func BenchmarkQuery(b *testing.B) {
	dir := b.TempDir()
	columns := cols("id:bigint", "category:string", "amount:double", "note:string")
	e := New(Options{})
	for _, bench := range []struct {
		name   string
		format sqlengine.Format
		line   string
	}{
		{"CSV", sqlengine.FormatDelimited, "%d,%s,%.2f,%s\n"},
		{"JSON", sqlengine.FormatJSON, `{"id":%d,"category":%q,"amount":%.2f,"note":%q}` + "\n"},
	} {
		var files []sqlengine.File
		size, id := 0, 0
		for o := 0; o < 4; o++ {
			var body strings.Builder
			for body.Len() < 1<<20 {
				fmt.Fprintf(&body, bench.line, id, fmt.Sprintf("cat-%d", id%8), float64(id%1000)/10, fmt.Sprintf("item %07d of the generated bench data set", id))
				id++
			}
			size += body.Len()
			files = append(files, sqlengine.File{Path: plain(b, dir, fmt.Sprintf("%s-%d", bench.name, o), body.String())})
		}
		table := sqlengine.Table{Database: "default", Name: "t", Format: bench.format, Delimiter: ",", Columns: columns, Files: files}
		q := sqlengine.Query{SQL: "SELECT category, count(*) AS n, sum(amount) AS total, max(id) AS max_id FROM t GROUP BY category ORDER BY category",
			Database: "default", Tables: []sqlengine.Table{table}}
		b.Run(bench.name, func(b *testing.B) {
			b.SetBytes(int64(size))
			cpu0 := cpuTime()
			for b.Loop() {
				r, err := e.Query(context.Background(), q)
				if err != nil || len(r.Rows) != 8 {
					b.Fatal(r, err)
				}
			}
			// The process's CPU (DuckDB's threads too) per scanned MiB:
			// steadier than ns/op on a shared machine.
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(time.Millisecond)/float64(b.N)/(float64(size)/(1<<20)), "cpu-ms/MiB")
		})
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
