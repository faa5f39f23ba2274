package selectsql

import (
	"errors"
	"strings"
	"testing"
)

var csvHeader = Schema{Table: "t", CSV: true, Headers: true, Columns: []Column{{Name: "_1", Key: "name"}, {Name: "_2", Key: "Age"}, {Name: "_3", Key: "city"}}}
var csvPlain = Schema{Table: "t", CSV: true, Columns: []Column{{Name: "_1"}, {Name: "_2"}}}
var jsonRecs = Schema{Table: "t", Record: "rec", Columns: []Column{{Name: "c1", Key: "id"}, {Name: "c2", Key: "tags", JSON: true}}}

func TestTranslate(t *testing.T) {
	cases := []struct {
		name, sql string
		schema    Schema
		want      string
		outputs   string // names, JSON ones marked with +
	}{
		{"star csv", "SELECT * FROM S3Object", csvHeader, `SELECT "_1", "_2", "_3" FROM "t"`, "name Age city"},
		{"star csv no header", "select * from s3object", csvPlain, `SELECT "_1", "_2" FROM "t"`, "_1 _2"},
		{"star json", "SELECT * FROM S3Object[*] s", jsonRecs, `SELECT "rec" FROM "t"`, "_1+"},
		{"positional", "SELECT s._2, s._1 FROM S3Object s WHERE s._1 = 'x'", csvPlain,
			`SELECT "_2", "_1" FROM "t" WHERE ("_1" = 'x')`, "_2 _1"},
		{"header names any case", `SELECT s.NAME, s."Age" FROM S3Object s`, csvHeader, `SELECT "_1", "_2" FROM "t"`, "NAME Age"},
		{"quoted header mismatched case is missing", `SELECT s."age" FROM S3Object s`, csvHeader, `SELECT NULL FROM "t"`, "age"},
		{"positional past the fields is missing", "SELECT s._9 FROM S3Object s", csvPlain, `SELECT NULL FROM "t"`, "_9"},
		{"no alias", "SELECT _1 FROM S3Object LIMIT 5", csvPlain, `SELECT "_1" FROM "t" LIMIT 5`, "_1"},
		{"s3object prefix", "SELECT S3Object._1 FROM S3Object", csvPlain, `SELECT "_1" FROM "t"`, "_1"},
		{"cast and aggregate", "SELECT COUNT(*), SUM(CAST(s._2 AS INT)), AVG(CAST(s._2 AS FLOAT)) AS a FROM S3Object s WHERE CAST(s._2 AS INTEGER) > 30",
			csvPlain, `SELECT count(*), sum(CAST("_2" AS bigint)), avg(CAST("_2" AS double)) FROM "t" WHERE (CAST("_2" AS bigint) > 30)`, "_1 _2 a"},
		{"like between in", "SELECT s._1 FROM S3Object s WHERE s._1 LIKE 'a%' AND s._2 NOT BETWEEN 1 AND 5 OR s._1 IN ('x', 'y') AND s._2 IS NOT MISSING",
			csvPlain, `SELECT "_1" FROM "t" WHERE ((CAST("_1" AS varchar) LIKE 'a%') AND ("_2" NOT BETWEEN 1 AND 5)) OR (("_1" IN ('x', 'y')) AND ("_2" IS NOT NULL))`, "_1"},
		{"string functions", "SELECT LOWER(s._1), UPPER(s._1), CHAR_LENGTH(s._1), TRIM(LEADING 'x' FROM s._1), SUBSTRING(s._1 FROM 2 FOR 3), s._1 || '!' FROM S3Object s",
			csvPlain, `SELECT lower("_1"), upper("_1"), length("_1"), ltrim("_1", 'x'), substr(CAST("_1" AS varchar), greatest(2, 1), greatest(3 + least(2, 1) - 1, 0)), concat(CAST("_1" AS varchar), CAST('!' AS varchar)) FROM "t"`,
			"_1 _2 _3 _4 _5 _6"},
		{"date functions", "SELECT EXTRACT(YEAR FROM TO_TIMESTAMP(s._1)), DATE_ADD(day, 1, TO_TIMESTAMP(s._1)), DATE_DIFF(hour, TO_TIMESTAMP(s._1), UTCNOW()) FROM S3Object s",
			csvPlain, `SELECT extract(year FROM from_iso8601_timestamp("_1")), date_add('day', 1, from_iso8601_timestamp("_1")), date_diff('hour', from_iso8601_timestamp("_1"), current_timestamp) FROM "t"`, "_1 _2 _3"},
		{"case coalesce", "SELECT CASE WHEN s._1 = '' THEN 'none' ELSE s._1 END, COALESCE(s._2, '0'), NULLIF(s._2, '') FROM S3Object s",
			csvPlain, `SELECT CASE WHEN ("_1" = '') THEN 'none' ELSE "_1" END, coalesce("_2", '0'), nullif("_2", '') FROM "t"`, "_1 _2 _3"},
		{"json path", "SELECT s.tags[0], s.tags.a.b FROM S3Object[*] s WHERE s.id != 3 AND s.tags[1] = 'x'", jsonRecs,
			`SELECT json_extract("c2", '$[0]'), json_extract("c2", '$."a"."b"') FROM "t" WHERE (("c1" <> 3) AND (json_extract_scalar("c2", '$[1]') = 'x'))`, "_1+ b+"},
		{"json whole nested", "SELECT s.tags, s.nope FROM S3Object s", jsonRecs, `SELECT "c2", NULL FROM "t"`, "tags+ nope"},
		{"quote escaping", `SELECT s."na""me" FROM S3Object s WHERE s._1 = 'it''s'`, csvPlain, "", ""},
		{"arithmetic", "SELECT -CAST(s._1 AS INT) * 2 + 1 % 3 FROM S3Object s", csvPlain, `SELECT ((-CAST("_1" AS bigint)) * 2) + (1 % 3) FROM "t"`, "_1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q, err := Parse(c.sql)
			if err != nil {
				if c.want == "" {
					return
				}
				t.Fatal(err)
			}
			tr, err := Translate(q, c.sql, c.schema)
			if c.want == "" {
				var se *Error
				if !errors.As(err, &se) || se.Code != "MissingHeaders" {
					t.Fatalf("want MissingHeaders, got %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if norm(tr.SQL) != norm(c.want) {
				t.Errorf("SQL\n got %s\nwant %s", tr.SQL, c.want)
			}
			var names []string
			for _, o := range tr.Outputs {
				n := o.Name
				if o.JSON {
					n += "+"
				}
				names = append(names, n)
			}
			if got := strings.Join(names, " "); got != c.outputs {
				t.Errorf("outputs %q, want %q", got, c.outputs)
			}
		})
	}
}

// norm drops the parentheses the translator adds around every operation
// where the expectation does not spell them.
func norm(s string) string { return strings.NewReplacer("(", "", ")", "").Replace(s) }

func TestErrors(t *testing.T) {
	cases := []struct{ sql, code string }{
		{"SELEC * FROM S3Object", "ParseExpectedKeyword"},
		{"SELECT * FROM S3Object WHERE", "ParseUnexpectedTerm"},
		{"SELECT * FROM S3Object s WHERE s._1 = = 1", "ParseUnexpectedToken"},
		{"SELECT *", "ParseSelectMissingFrom"},
		{"SELECT * S3Object", "ParseExpectedKeywordFrom"},
		{"SELECT * FROM mytable", "InvalidDataSource"},
		{"SELECT * FROM S3Object s GROUP BY s._1", "UnsupportedSqlOperation"},
		{"SELECT DISTINCT s._1 FROM S3Object s", "UnsupportedSqlOperation"},
		{"DELETE FROM S3Object", "UnsupportedSqlOperation"},
		{"SELECT * FROM S3Object LIMIT -1", "EvaluatorNegativeLimit"},
		{"SELECT * FROM S3Object LIMIT x", "ParseInvalidTypeParam"},
		{"SELECT CAST(s._1 AS BLOB) FROM S3Object s", "ParseExpectedTypeName"},
		{"SELECT 'abc FROM S3Object", "LexerInvalidLiteral"},
		{"SELECT s._1 FROM S3Object s WHERE s._1 # 2", "LexerInvalidChar"},
		{"SELECT COUNT(*) FROM S3Object s WHERE (s._1 = 1", "ParseExpectedRightParenBuiltinFunctionCall"},
		{"SELECT EXTRACT(WEEKDAY FROM s._1) FROM S3Object s", "ParseExpectedDatePart"},
		{"SELECT CASE END FROM S3Object", "ParseExpectedWhenClause"},
		{"SELECT 1.2.3 FROM S3Object", "ParseInvalidNumber"},
		{"SELECT * FROM S3Object WHERE " + strings.Repeat("(", 300) + "1" + strings.Repeat(")", 300), "ParseUnsupportedSyntax"},
		{strings.Repeat(" ", MaxExpression+1), "ExpressionTooLong"},
	}
	for _, c := range cases {
		_, err := Parse(c.sql)
		var se *Error
		if !errors.As(err, &se) || se.Code != c.code {
			t.Errorf("%.60q: got %v, want %s", c.sql, err, c.code)
		}
	}
	translateErrs := []struct {
		sql    string
		schema Schema
		code   string
	}{
		{"SELECT s.name FROM S3Object s", csvPlain, "MissingHeaders"},
		{"SELECT s._0 FROM S3Object s", csvPlain, "InvalidColumnIndex"},
		{"SELECT MD5(s._1) FROM S3Object s", csvPlain, "UnsupportedFunction"},
		{"SELECT LOWER(s._1, s._2) FROM S3Object s", csvPlain, "IncorrectSqlFunctionArgumentType"},
		{"SELECT s.x FROM S3Object s", Schema{Table: "t", Columns: []Column{{Name: "a", Key: "X"}, {Name: "b", Key: "x "}, {Name: "c", Key: "x"}}}, ""},
	}
	for _, c := range translateErrs {
		q, err := Parse(c.sql)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Translate(q, c.sql, c.schema)
		var se *Error
		if c.code == "" {
			if err != nil {
				t.Errorf("%s: %v", c.sql, err)
			}
			continue
		}
		if !errors.As(err, &se) || se.Code != c.code {
			t.Errorf("%s: got %v, want %s", c.sql, err, c.code)
		}
	}
	// An unquoted name that matches two keys only in case is ambiguous.
	q, _ := Parse("SELECT s.x FROM S3Object s")
	var se *Error
	if _, err := Translate(q, "", Schema{Table: "t", Columns: []Column{{Name: "a", Key: "X"}, {Name: "b", Key: "x"}}}); err != nil {
		t.Errorf("the exact match should win: %v", err)
	}
	if _, err := Translate(q, "", Schema{Table: "t", Columns: []Column{{Name: "a", Key: "X"}, {Name: "b", Key: "X"}}}); !errors.As(err, &se) || se.Code != "AmbiguousFieldName" {
		t.Errorf("two keys in another case: %v", err)
	}
}

func TestFromPath(t *testing.T) {
	q, err := Parse(`SELECT * FROM S3Object[*].items[*] AS it WHERE it.n > 1`)
	if err != nil {
		t.Fatal(err)
	}
	if len(q.From) != 3 || !q.From[0].Wildcard || q.From[1].Name != "items" || !q.From[2].Wildcard || q.Alias != "it" {
		t.Errorf("from %+v alias %q", q.From, q.Alias)
	}
	if r := q.Where.(*Binary).L.(*Ref); len(r.Path) != 1 || r.Path[0].Name != "n" {
		t.Errorf("alias not stripped: %+v", r.Path)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT * FROM S3Object",
		"SELECT s._1, CAST(s._2 AS INT) FROM S3Object s WHERE s._3 LIKE '%x' LIMIT 3",
		`SELECT s."a b".c[0] FROM S3Object[*].x[*] s WHERE NOT s.y IS MISSING`,
		"SELECT CASE s._1 WHEN 'a' THEN 1 ELSE 2 END, TRIM(BOTH 'x' FROM s._1), SUBSTRING(s._1, 1, 2) FROM S3Object s",
		"SELECT COUNT(*) FROM S3Object s WHERE s._1 IN (1, 2) AND s._2 BETWEEN 'a' AND 'b'",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			var se *Error
			if !errors.As(err, &se) {
				t.Fatalf("not an S3 Select error: %v", err)
			}
			return
		}
		for _, sc := range []Schema{csvHeader, csvPlain, jsonRecs} {
			if _, err := Translate(q, s, sc); err != nil {
				var se *Error
				if !errors.As(err, &se) {
					t.Fatalf("not an S3 Select error: %v", err)
				}
			}
		}
	})
}
