package duckdb

import "testing"

func TestTranslate(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"struct access passes", `select useridentity.username from t`, `select useridentity.username from t`},
		{"json_extract_scalar", `select json_extract_scalar(requestparameters, '$.key') from t`, `select json_extract_string(requestparameters, '$.key') from t`},
		{"regexp_like", `where regexp_like(useragent, '^aws-cli')`, `where regexp_matches(useragent, '^aws-cli')`},
		{"date_parse format", `select date_parse('2024-01-02 03:04', '%Y-%m-%d %H:%i')`, `select strptime('2024-01-02 03:04', '%Y-%m-%d %H:%M')`},
		{"date_format seconds", `date_format(ts, '%H:%i:%s')`, `strftime(ts, '%H:%M:%S')`},
		{"date_parse nested first arg", `date_parse(substr(x, 1, 10), '%d/%b/%Y')`, `strptime(substr(x, 1, 10), '%d/%b/%Y')`},
		{"format_datetime java", `format_datetime(ts, 'yyyy-MM-dd''T''HH:mm:ss.SSS')`, `strftime(ts, '%Y-%m-%dT%H:%M:%S.%g')`},
		{"parse_datetime java", `parse_datetime(s, 'dd/MMM/yyyy:HH:mm:ss Z')`, `strptime(s, '%d/%b/%Y:%H:%M:%S %z')`},
		{"date_add", `date_add('day', 1, ts)`, `niwa_date_add('day', 1, ts)`},
		{"values of one column", `select * from (values 1, 2 + 3, f(4, 5)) as t(x)`, `select * from (values (1), (2 + 3), (f(4, 5))) as t(x)`},
		{"values rows untouched", `values (1, 'a'), (2, 'b')`, `values (1, 'a'), (2, 'b')`},
		{"values at the end", `values 1, 2`, `values (1), (2)`},
		{"from_iso8601_timestamp is a macro", `from_iso8601_timestamp(eventtime)`, `from_iso8601_timestamp(eventtime)`},
		{"default schema quoted", `select * from default.t`, `select * from "default".t`},
		{"default schema already quoted", `select * from "default"."t"`, `select * from "default"."t"`},
		{"awsdatacatalog prefix", `select * from AwsDataCatalog."default".t`, `select * from "default".t`},
		{"backticks", "select `a b` from t", `select "a b" from t`},
		{"strings untouched", `select 'regexp_like(' from t`, `select 'regexp_like(' from t`},
		{"column named like a function", `select split from t`, `select split from t`},
		{"field named like a function", `select x.split(1)`, `select x.split(1)`},
		{"arbitrary", `select arbitrary(a) from t`, `select any_value(a) from t`},
		{"cardinality", `select cardinality(arr)`, `select len(arr)`},
		{"comments become space", "select 1 -- x\nfrom t", "select 1  \nfrom t"},
		{"like untouched", `where requestparameters like '%hane.jpg%'`, `where requestparameters like '%hane.jpg%'`},
		{"unnest", `select x from t cross join unnest(arr) as u(x)`, `select x from t cross join unnest(arr) as u(x)`},
		{"window", `select row_number() over (partition by a order by b) from t`, `select row_number() over (partition by a order by b) from t`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Translate(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("Translate(%q)\n got %q\nwant %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestTranslateErrors(t *testing.T) {
	for _, in := range []string{`select 'abc`, `select "abc`, `select /* x`} {
		if _, err := Translate(in); err == nil {
			t.Errorf("Translate(%q): no error", in)
		}
	}
}

func FuzzTranslate(f *testing.F) {
	f.Add(`select date_parse(x, '%i') from "default".t where regexp_like(a, 'b')`)
	f.Add("select `a` -- c\n")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = Translate(s)
	})
}

func TestParseTypes(t *testing.T) {
	tests := []struct{ hive, duck, back string }{
		{"string", "VARCHAR", "string"},
		{"struct<type:string,userName:string,sessionContext:struct<attributes:struct<mfaAuthenticated:string>>>",
			`STRUCT("type" VARCHAR, "userName" VARCHAR, "sessionContext" STRUCT("attributes" STRUCT("mfaAuthenticated" VARCHAR)))`,
			"struct<type:string,userName:string,sessionContext:struct<attributes:struct<mfaAuthenticated:string>>>"},
		{"array<struct<arn:string>>", `STRUCT("arn" VARCHAR)[]`, "array<struct<arn:string>>"},
		{"map<string,bigint>", "MAP(VARCHAR, BIGINT)", "map<string,bigint>"},
		{"decimal(10, 2)", "DECIMAL(10,2)", "decimal(10,2)"},
	}
	for _, tt := range tests {
		h, err := parseHive(tt.hive)
		if err != nil {
			t.Fatalf("parseHive(%q): %v", tt.hive, err)
		}
		if got := h.duckType(); got != tt.duck {
			t.Errorf("duckType(%q) = %q, want %q", tt.hive, got, tt.duck)
		}
		d, err := parseDuck(tt.duck)
		if err != nil {
			t.Fatalf("parseDuck(%q): %v", tt.duck, err)
		}
		if got := d.hive(); got != tt.back {
			t.Errorf("hive(%q) = %q, want %q", tt.duck, got, tt.back)
		}
	}
	for _, bad := range []string{"struct<a string>", "array<int", "nosuch", "map<string>"} {
		if _, err := parseHive(bad); err == nil {
			t.Errorf("parseHive(%q): no error", bad)
		}
	}
}

func FuzzParseHive(f *testing.F) {
	f.Add("struct<a:array<map<string,int>>>")
	f.Fuzz(func(t *testing.T, s string) {
		_, _ = parseHive(s)
		_, _ = parseDuck(s)
	})
}
