package s3

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

func readCSV(in string, o *csvOptions) ([][]string, []int64, error) {
	r := &csvReader{r: bufio.NewReader(strings.NewReader(in)), o: o}
	var recs [][]string
	var offs []int64
	for {
		f, off, err := r.record()
		if errors.Is(err, io.EOF) {
			return recs, offs, nil
		}
		if err != nil {
			return recs, offs, err
		}
		recs, offs = append(recs, f), append(offs, off)
	}
}

func TestCSVReader(t *testing.T) {
	def := func(mod func(*csvOptions)) *csvOptions {
		o := &csvOptions{field: ",", record: "\n", quote: `"`, escape: `"`}
		if mod != nil {
			mod(o)
		}
		return o
	}
	cases := []struct {
		name, in string
		o        *csvOptions
		want     string // records joined by |, fields by /
		offs     []int64
	}{
		{"plain", "a,b\nc,d\n", def(nil), "a/b|c/d", []int64{0, 4}},
		{"crlf and blank lines", "a,b\r\n\r\nc,d", def(nil), "a/b|c/d", []int64{0, 7}},
		{"quoted delimiter and doubled quote", `"a,1","say ""hi"""` + "\n", def(nil), `a,1/say "hi"`, []int64{0}},
		{"escape character", `"a\"b",c` + "\n", def(func(o *csvOptions) { o.escape = `\` }), `a"b/c`, []int64{0}},
		{"quoted record delimiter split", "\"a\nb\",c\n", def(nil), "a|b\"/c", []int64{0, 3}},
		{"quoted record delimiter allowed", "\"a\nb\",c\n", def(func(o *csvOptions) { o.allowQuotedRecord = true }), "a\nb/c", []int64{0}},
		{"comments", "#x,y\na,b\n#z\n", def(func(o *csvOptions) { o.comments = "#" }), "a/b", []int64{5}},
		{"custom delimiters", "a;b|c;d|", def(func(o *csvOptions) { o.field, o.record = ";", "|" }), "a/b|c/d", []int64{0, 4}},
		{"empty fields", ",,\n", def(nil), "//", []int64{0}},
	}
	for _, c := range cases {
		recs, offs, err := readCSV(c.in, c.o)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var rs []string
		for _, r := range recs {
			rs = append(rs, strings.Join(r, "/"))
		}
		if got := strings.Join(rs, "|"); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
		if len(offs) != len(c.offs) {
			t.Errorf("%s: offsets %v, want %v", c.name, offs, c.offs)
			continue
		}
		for i := range offs {
			if offs[i] != c.offs[i] {
				t.Errorf("%s: offsets %v, want %v", c.name, offs, c.offs)
			}
		}
	}
	_, _, err := readCSV(strings.Repeat("x", maxSelectRecord+10), def(nil))
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code.Code != "OverMaxRecordSize" {
		t.Errorf("a long record: %v", err)
	}
}

// FuzzCSVReader: any input and options read to records or an S3 Select
// error, never a panic, and the offsets only grow.
func FuzzCSVReader(f *testing.F) {
	f.Add("a,b\n\"c,\"\"d\"\n", ",", "\n", `"`, `"`, "#", false)
	f.Add("x;y\r\n#c\r\n'q''q';z", ";", "\r\n", "'", "'", "#", true)
	f.Fuzz(func(t *testing.T, in, field, record, quote, escape, comments string, allow bool) {
		o := &csvOptions{header: "NONE", field: field, record: record, quote: quote, escape: escape, comments: comments, allowQuotedRecord: allow}
		if o.check() != nil {
			return
		}
		var buf bytes.Buffer
		l := &loader{end: -1}
		if err := l.loadCSV(strings.NewReader(in), &buf, o); err != nil {
			var ae *awserr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("not an S3 Select error: %v", err)
			}
			return
		}
		_, offs, _ := readCSV(in, o)
		for i := 1; i < len(offs); i++ {
			if offs[i] <= offs[i-1] {
				t.Fatalf("offsets %v", offs)
			}
		}
	})
}
