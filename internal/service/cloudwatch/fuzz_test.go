package cloudwatch

import (
	"strings"
	"testing"
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
