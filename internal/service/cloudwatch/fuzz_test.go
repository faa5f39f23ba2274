package cloudwatch

import (
	"reflect"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// FuzzAlarmRule: any rule either parses, and then evaluates and lists its
// references without panicking, or is refused with an error.
func FuzzAlarmRule(f *testing.F) {
	for _, s := range []string{`ALARM("a") AND OK(b)`, `NOT (INSUFFICIENT_DATA(x) OR TRUE)`, `ALARM(arn:aws:cloudwatch:us-east-1:1:alarm:a)`,
		`((((FALSE))))`, `ALARM(`, `ALARM("a"`, `AND`, strings.Repeat("NOT ", 100) + "TRUE", strings.Repeat("(", 200)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseAlarmRule(s)
		if err != nil {
			return
		}
		for _, r := range n.refs(nil) {
			if r == "" {
				t.Fatalf("empty reference in %q", s)
			}
		}
		n.eval(func(string) string { return "ALARM" })
	})
}

// FuzzMetricMath: any expression either parses and evaluates (to a value
// or an error) over a small fixed data set, or is refused.
func FuzzMetricMath(f *testing.F) {
	for _, s := range []string{"m1 + m2 * 2", "SUM(METRICS())", "FILL(m1, LINEAR)", "IF(m1 > 1 AND NOT m2, m1, -1)",
		`SEARCH('{App,Host} MetricName="c"', 'Sum', 60)`, "m1 ^ 2 / (m2 - m2)", "((((", "AVG(m1) - MIN(METRICS('m'))", "1e400", strings.Repeat("-", 300) + "1"} {
		f.Add(s)
	}
	s1 := &series{label: "m1", period: 60, pts: map[int64]float64{0: 1, 60: 2, 120: 3}}
	s2 := &series{label: "m2", period: 60, pts: map[int64]float64{0: 5, 120: 0}}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := parseExpr(s)
		if err != nil {
			return
		}
		env := &evalEnv{start: 0, end: 180, period: 60,
			ref: func(id string) (value, error) {
				switch id {
				case "m1":
					return value{arr: []*series{s1}}, nil
				case "m2":
					return value{arr: []*series{s2}}, nil
				}
				return value{}, errUnknown(id)
			},
			metrics: func() ([]*series, error) { return []*series{s1, s2}, nil },
			search: func(expr, stat string, period int64) ([]*series, error) {
				q, err := parseSearch(expr)
				if err != nil {
					return nil, err
				}
				q.matches(metricRecord{Namespace: "App", Name: "c", Dimensions: []dim{{N: "Host", V: "h"}}})
				return []*series{s1}, nil
			}}
		env.eval(n)
	})
}

type errUnknown string

func (e errUnknown) Error() string { return "unknown id " + string(e) }

// FuzzSearch: SEARCH expressions parse or fail, never panic.
func FuzzSearch(f *testing.F) {
	for _, s := range []string{`{AWS/EC2,InstanceId} MetricName="CPUUtilization"`, `{"My NS",A,B} x y`, `{`, `a="`, `Host=h1 AND cpu`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := parseSearch(s)
		if err != nil {
			return
		}
		q.matches(metricRecord{Namespace: "AWS/EC2", Name: "CPUUtilization", Dimensions: []dim{{N: "InstanceId", V: "i-1"}}})
	})
}

// FuzzBucketRecord: any stored bytes either decode and then survive a
// second round trip unchanged, or are refused with an error; none panics.
// The summary-only read (no distinct values) of bytes the full read
// accepts agrees with it; it may accept bytes whose value lists it skips
// unread.
func FuzzBucketRecord(f *testing.F) {
	for _, b := range []bucket{
		{Res: 60, Entries: []entry{{N: 1, Sum: 2, Min: 2, Max: 2, V: []float64{2}, C: []float64{1}, Unit: "Count"}}},
		{Res: 300, Entries: []entry{{S: 7, N: 3, Sum: 6, Min: 1, Max: 3, V: []float64{1, 2, 3}, C: []float64{1, 1, 1}, Unit: "Widgets"}, {N: 4, Sum: 20, Min: 2, Max: 8}}},
	} {
		data, _ := storage.EncodeRecord(&b)
		f.Add(data)
	}
	f.Add([]byte(`{"res":60,"e":[{"n":1,"sum":4,"min":4,"max":4,"v":[4],"c":[1]}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var b, summary bucket
		err := storage.DecodeRecord(data, &b)
		serr := decodeBucket(data, &summary, false)
		if err != nil {
			return
		}
		if serr != nil || len(summary.Entries) != len(b.Entries) {
			t.Fatalf("summary read: %v, %d entries of %d", serr, len(summary.Entries), len(b.Entries))
		}
		for i, e := range b.Entries {
			e.V, e.C = nil, nil
			if !reflect.DeepEqual(bitsOf(bucket{Entries: []entry{e}}), bitsOf(bucket{Entries: summary.Entries[i : i+1]})) {
				t.Fatalf("summary of entry %d: %+v, full %+v", i, summary.Entries[i], b.Entries[i])
			}
		}
		again, err := storage.EncodeRecord(&b)
		if err != nil {
			t.Fatal(err)
		}
		var b2 bucket
		if err := storage.DecodeRecord(again, &b2); err != nil {
			t.Fatalf("re-encoded %x does not decode: %v", again, err)
		}
		if !reflect.DeepEqual(bitsOf(b), bitsOf(b2)) {
			t.Fatalf("second round trip:\n%+v\n%+v", b, b2)
		}
	})
}
