package schedule

import (
	"testing"
	"time"
)

func at(s string) time.Time {
	t, err := time.Parse("2006-01-02T15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestNext(t *testing.T) {
	anchor := at("2024-01-01T10:00")
	cases := []struct {
		expr, from string
		want       []string
	}{
		{"rate(5 minutes)", "2024-01-01T10:00", []string{"2024-01-01T10:05", "2024-01-01T10:10"}},
		{"rate(1 minute)", "2024-01-01T10:07", []string{"2024-01-01T10:08", "2024-01-01T10:09"}},
		{"rate(1 hour)", "2024-01-01T10:30", []string{"2024-01-01T11:00", "2024-01-01T12:00"}},
		{"rate(2 days)", "2024-01-01T10:00", []string{"2024-01-03T10:00", "2024-01-05T10:00"}},
		{"cron(0/5 * * * ? *)", "2024-01-01T10:02", []string{"2024-01-01T10:05", "2024-01-01T10:10"}},
		{"cron(0 10 * * ? *)", "2024-01-01T10:00", []string{"2024-01-02T10:00", "2024-01-03T10:00"}},
		{"cron(15 12 * * ? *)", "2024-01-01T00:00", []string{"2024-01-01T12:15", "2024-01-02T12:15"}},
		{"cron(0 18 ? * MON-FRI *)", "2024-01-05T18:00", []string{"2024-01-08T18:00", "2024-01-09T18:00"}}, // Fri -> Mon
		{"cron(0 8 1 * ? *)", "2024-01-15T00:00", []string{"2024-02-01T08:00", "2024-03-01T08:00"}},
		{"cron(0/10 * ? * MON-FRI *)", "2024-01-06T00:00", []string{"2024-01-08T00:00", "2024-01-08T00:10"}},
		{"cron(0/5 8-17 ? * MON-FRI *)", "2024-01-08T17:55", []string{"2024-01-09T08:00", "2024-01-09T08:05"}},
		{"cron(0 9 ? * 2#1 *)", "2024-01-01T10:00", []string{"2024-02-05T09:00", "2024-03-04T09:00"}}, // first Monday
		{"cron(0 0 L * ? *)", "2024-02-01T00:00", []string{"2024-02-29T00:00", "2024-03-31T00:00"}},
		{"cron(0 0 ? * 6L *)", "2024-01-01T00:00", []string{"2024-01-26T00:00", "2024-02-23T00:00"}},  // last Friday
		{"cron(0 0 15W * ? *)", "2024-06-01T00:00", []string{"2024-06-14T00:00", "2024-07-15T00:00"}}, // 15 Jun 2024 is Sat
		{"cron(0 0 LW * ? *)", "2024-08-01T00:00", []string{"2024-08-30T00:00", "2024-09-30T00:00"}},  // 31 Aug is Sat
		{"cron(0 0 1W * ? *)", "2024-06-01T00:00", []string{"2024-06-03T00:00", "2024-07-01T00:00"}},  // 1 Jun is Sat
		{"cron(30 6 ? * L *)", "2024-01-01T00:00", []string{"2024-01-06T06:30", "2024-01-13T06:30"}},  // Saturdays
		{"cron(0 12 1,15 JAN,JUL ? 2025)", "2024-01-01T00:00", []string{"2025-01-01T12:00", "2025-01-15T12:00", "2025-07-01T12:00"}},
		{"cron(0 0 ? * FRI-MON *)", "2024-01-02T00:00", []string{"2024-01-05T00:00", "2024-01-06T00:00", "2024-01-07T00:00", "2024-01-08T00:00", "2024-01-12T00:00"}},
		{"cron(0 0 1 1 ? 2020)", "2024-01-01T00:00", []string{"0001-01-01T00:00"}},
	}
	for _, c := range cases {
		s, err := Parse(c.expr, anchor)
		if err != nil {
			t.Errorf("Parse(%s): %v", c.expr, err)
			continue
		}
		cur := at(c.from)
		for _, w := range c.want {
			cur = s.Next(cur)
			if !cur.Equal(at(w)) {
				t.Errorf("%s: next = %s, want %s", c.expr, cur.Format("2006-01-02T15:04 Mon"), w)
				break
			}
		}
	}
}

func TestInvalid(t *testing.T) {
	for _, e := range []string{
		"rate(0 minutes)", "rate(1 minutes)", "rate(5 minute)", "rate(5 weeks)", "rate(-1 minutes)", "rate(5)", "rate( 5 minutes)",
		"cron(0 10 * * * *)", "cron(0 10 ? * ? *)", "cron(0 10 * *)", "cron(60 10 * * ? *)", "cron(0 24 * * ? *)",
		"cron(0 0 32 * ? *)", "cron(0 0 ? * 8 *)", "cron(0 0 ? 13 ? *)", "cron(0 0 ? * 2#6 *)", "cron(0 0 * * ? 1969)",
		"cron(0/0 * * * ? *)", "every 5 minutes", "",
	} {
		if _, err := Parse(e, time.Time{}); err == nil {
			t.Errorf("Parse(%q) accepted", e)
		}
	}
}

// EventBridge Scheduler: at() one-time and cron in a time zone
// (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
func TestParseIn(t *testing.T) {
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	ny, _ := time.LoadLocation("America/New_York")
	cases := []struct {
		expr string
		loc  *time.Location
		from string
		want []string // UTC; empty string: no further firing
	}{
		{"at(2024-03-01T09:30:00)", nil, "2024-01-01T00:00", []string{"2024-03-01T09:30", ""}},
		{"at(2024-03-01T09:30:00)", tokyo, "2024-01-01T00:00", []string{"2024-03-01T00:30", ""}},
		{"at(2024-03-01T09:30:00)", nil, "2024-03-01T09:30", []string{""}},
		{"cron(0 9 * * ? *)", tokyo, "2024-01-01T00:00", []string{"2024-01-02T00:00", "2024-01-03T00:00"}},
		// New York leaves EST (UTC-5) for EDT (UTC-4) on 10 Mar 2024.
		{"cron(0 12 * * ? *)", ny, "2024-03-09T00:00", []string{"2024-03-09T17:00", "2024-03-10T16:00"}},
		// 02:30 does not exist on 10 Mar 2024 in New York: it fires after the jump.
		{"cron(30 2 * * ? *)", ny, "2024-03-09T12:00", []string{"2024-03-10T07:30", "2024-03-11T06:30"}},
		{"rate(5 minutes)", tokyo, "2024-01-01T10:00", []string{"2024-01-01T10:05"}},
	}
	for _, c := range cases {
		s, err := ParseIn(c.expr, at("2024-01-01T10:00"), c.loc)
		if err != nil {
			t.Fatalf("ParseIn(%q): %v", c.expr, err)
		}
		cur := at(c.from)
		for _, w := range c.want {
			got := s.Next(cur)
			if w == "" {
				if !got.IsZero() {
					t.Errorf("%s in %v: Next(%v) = %v, want none", c.expr, c.loc, cur, got)
				}
				break
			}
			if !got.Equal(at(w)) {
				t.Errorf("%s in %v: Next(%v) = %v, want %s", c.expr, c.loc, cur, got, w)
				break
			}
			cur = got
		}
	}
	for _, e := range []string{"at(2024-03-01 09:30:00)", "at(2024-13-01T09:30:00)", "at()", "at(2024-03-01T09:30)"} {
		if _, err := ParseIn(e, time.Time{}, nil); err == nil {
			t.Errorf("ParseIn(%q) accepted", e)
		}
	}
	if _, err := Parse("at(2024-03-01T09:30:00)", time.Time{}); err == nil {
		t.Error("EventBridge rules accepted at()")
	}
}

// FuzzParse: no expression panics or makes Next loop without end, and
// Next always moves forward.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"rate(5 minutes)", "cron(0 10 * * ? *)", "cron(0 0 ? * 6L *)", "at(2024-03-01T09:30:00)", "cron(0/5 8-17 ? * MON-FRI 2030)"} {
		f.Add(s)
	}
	ny, _ := time.LoadLocation("America/New_York")
	from := at("2024-03-09T12:00")
	f.Fuzz(func(t *testing.T, expr string) {
		s, err := ParseIn(expr, from, ny)
		if err != nil {
			return
		}
		if n := s.Next(from); !n.IsZero() && !n.After(from) {
			t.Fatalf("%q: Next(%v) = %v", expr, from, n)
		}
	})
}
