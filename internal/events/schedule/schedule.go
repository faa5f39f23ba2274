// Package schedule parses AWS schedule expressions (EventBridge rules and
// Scheduler, Secrets Manager rotation) — rate(...) and
// AWS's six-field cron(...), plus EventBridge Scheduler's one-time
// at(...) and time zones — and computes their firing times. It knows
// nothing of clocks or timers: the services ask Next
// and arm a timer on the platform's clock. It is a platform package so
// that both services share it without importing each other.
package schedule

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ErrInvalid is returned for an expression AWS would reject.
var ErrInvalid = errors.New("schedule: invalid expression")

// Schedule is a parsed expression.
type Schedule interface {
	// Next returns the first firing time strictly after t, or the zero
	// time when there is none (a cron whose years have passed). Firing
	// times are whole minutes in UTC.
	Next(t time.Time) time.Time
}

// Parse parses "rate(N unit)" or "cron(m h dom mon dow y)". For rate
// expressions, anchor is the time the period counts from (the rule's
// creation).
func Parse(expr string, anchor time.Time) (Schedule, error) {
	switch {
	case strings.HasPrefix(expr, "rate(") && strings.HasSuffix(expr, ")"):
		return parseRate(expr[5:len(expr)-1], anchor)
	case strings.HasPrefix(expr, "cron(") && strings.HasSuffix(expr, ")"):
		return parseCron(expr[5 : len(expr)-1])
	}
	return nil, ErrInvalid
}

// ParseIn parses an EventBridge Scheduler expression: rate(...), or
// cron(...) and at(yyyy-mm-ddThh:mm:ss) read as wall-clock times of loc
// (nil is UTC).
func ParseIn(expr string, anchor time.Time, loc *time.Location) (Schedule, error) {
	if loc == nil {
		loc = time.UTC
	}
	if strings.HasPrefix(expr, "at(") && strings.HasSuffix(expr, ")") {
		t, err := time.ParseInLocation("2006-01-02T15:04:05", expr[3:len(expr)-1], loc)
		if err != nil {
			return nil, ErrInvalid
		}
		return At{T: t}, nil
	}
	s, err := Parse(expr, anchor)
	if err != nil {
		return nil, err
	}
	if c, ok := s.(*Cron); ok {
		c.loc = loc
	}
	return s, nil
}

// At fires once, at T.
type At struct{ T time.Time }

// Next implements Schedule.
func (a At) Next(t time.Time) time.Time {
	if t.Before(a.T) {
		return a.T
	}
	return time.Time{}
}

// Rate fires every Period from Anchor.
type Rate struct {
	Period time.Duration
	Anchor time.Time
}

func parseRate(s string, anchor time.Time) (Schedule, error) {
	f := strings.Fields(s)
	if len(f) != 2 || strings.TrimSpace(s) != s {
		return nil, ErrInvalid
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 || f[0][0] == '+' {
		return nil, ErrInvalid
	}
	var unit time.Duration
	switch f[1] {
	case "minute", "minutes":
		unit = time.Minute
	case "hour", "hours":
		unit = time.Hour
	case "day", "days":
		unit = 24 * time.Hour
	default:
		return nil, ErrInvalid
	}
	// AWS: singular for 1, plural otherwise.
	if (n == 1) != !strings.HasSuffix(f[1], "s") {
		return nil, ErrInvalid
	}
	return Rate{Period: time.Duration(n) * unit, Anchor: anchor.UTC().Truncate(time.Minute)}, nil
}

// Next implements Schedule.
func (r Rate) Next(t time.Time) time.Time {
	if t.Before(r.Anchor) {
		return r.Anchor.Add(r.Period)
	}
	k := t.Sub(r.Anchor)/r.Period + 1
	return r.Anchor.Add(k * r.Period)
}

// Cron is AWS's six-field cron: minutes, hours, day-of-month, month,
// day-of-week (1 = Sunday), year; in UTC unless ParseIn gave a time
// zone.
type Cron struct {
	minutes, hours, months, years set
	dom                           domSpec
	dow                           dowSpec
	// loc is the zone whose wall clock the fields describe (nil: UTC).
	loc *time.Location
}

type set map[int]bool

type domSpec struct {
	any      bool // '?' or '*'
	days     set
	last     bool // L
	lastWeek bool // LW
	weekday  int  // nW (0 = none)
}

type dowSpec struct {
	any   bool
	days  set
	last  int // nL: last weekday n of the month (0 = none)
	nth   int // n#k
	nthOf int
}

var monthNames = map[string]int{"JAN": 1, "FEB": 2, "MAR": 3, "APR": 4, "MAY": 5, "JUN": 6, "JUL": 7, "AUG": 8, "SEP": 9, "OCT": 10, "NOV": 11, "DEC": 12}
var dayNames = map[string]int{"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}

func parseCron(s string) (Schedule, error) {
	f := strings.Fields(s)
	if len(f) != 6 {
		return nil, ErrInvalid
	}
	c := &Cron{}
	var err error
	if c.minutes, err = parseSet(f[0], 0, 59, nil); err != nil {
		return nil, err
	}
	if c.hours, err = parseSet(f[1], 0, 23, nil); err != nil {
		return nil, err
	}
	if c.months, err = parseSet(f[3], 1, 12, monthNames); err != nil {
		return nil, err
	}
	if c.years, err = parseSet(f[5], 1970, 2199, nil); err != nil {
		return nil, err
	}
	// Exactly one of day-of-month and day-of-week is '?'.
	if (f[2] == "?") == (f[4] == "?") {
		return nil, ErrInvalid
	}
	if f[2] == "?" {
		c.dom.any = true
	} else if c.dom, err = parseDOM(f[2]); err != nil {
		return nil, err
	}
	if f[4] == "?" {
		c.dow.any = true
	} else if c.dow, err = parseDOW(f[4]); err != nil {
		return nil, err
	}
	return c, nil
}

func parseDOM(s string) (domSpec, error) {
	switch {
	case s == "*":
		return domSpec{any: true}, nil
	case s == "L":
		return domSpec{last: true}, nil
	case s == "LW":
		return domSpec{lastWeek: true}, nil
	case strings.HasSuffix(s, "W"):
		n, err := strconv.Atoi(s[:len(s)-1])
		if err != nil || n < 1 || n > 31 {
			return domSpec{}, ErrInvalid
		}
		return domSpec{weekday: n}, nil
	}
	days, err := parseSet(s, 1, 31, nil)
	return domSpec{days: days}, err
}

func parseDOW(s string) (dowSpec, error) {
	switch {
	case s == "*":
		return dowSpec{any: true}, nil
	case s == "L":
		return dowSpec{days: set{7: true}}, nil
	case strings.HasSuffix(s, "L"):
		n, err := dayValue(s[:len(s)-1])
		if err != nil {
			return dowSpec{}, err
		}
		return dowSpec{last: n}, nil
	case strings.Contains(s, "#"):
		d, k, _ := strings.Cut(s, "#")
		n, err := dayValue(d)
		if err != nil {
			return dowSpec{}, err
		}
		kk, err := strconv.Atoi(k)
		if err != nil || kk < 1 || kk > 5 {
			return dowSpec{}, ErrInvalid
		}
		return dowSpec{nth: n, nthOf: kk}, nil
	}
	days, err := parseSet(s, 1, 7, dayNames)
	return dowSpec{days: days}, err
}

func dayValue(s string) (int, error) {
	if n, ok := dayNames[strings.ToUpper(s)]; ok {
		return n, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 7 {
		return 0, ErrInvalid
	}
	return n, nil
}

// parseSet parses a list of values, ranges, '*' and increments.
func parseSet(s string, lo, hi int, names map[string]int) (set, error) {
	out := set{}
	val := func(v string) (int, error) {
		if n, ok := names[strings.ToUpper(v)]; ok {
			return n, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			return 0, ErrInvalid
		}
		return n, nil
	}
	for _, part := range strings.Split(s, ",") {
		rng, stepStr, hasStep := strings.Cut(part, "/")
		step := 1
		if hasStep {
			var err error
			step, err = strconv.Atoi(stepStr)
			if err != nil || step < 1 {
				return nil, ErrInvalid
			}
		}
		var from, to int
		switch {
		case rng == "*":
			from, to = lo, hi
		case strings.Contains(rng, "-"):
			a, b, _ := strings.Cut(rng, "-")
			var err error
			if from, err = val(a); err != nil {
				return nil, err
			}
			if to, err = val(b); err != nil {
				return nil, err
			}
		default:
			var err error
			if from, err = val(rng); err != nil {
				return nil, err
			}
			to = from
			if hasStep {
				to = hi
			}
		}
		if from <= to {
			for v := from; v <= to; v += step {
				out[v] = true
			}
		} else { // wrapping range (FRI-MON, NOV-FEB)
			n := hi - lo + 1
			for i := 0; i <= (to-from+n)%n; i += step {
				out[lo+(from-lo+i)%n] = true
			}
		}
	}
	return out, nil
}

// Next implements Schedule. In a zone other than UTC, the fields are
// matched against the wall clock: a wall time that does not exist (the
// hour skipped when daylight saving starts) fires at the same offset after
// the jump, and a repeated wall time fires once.
func (c *Cron) Next(t time.Time) time.Time {
	if c.loc == nil || c.loc == time.UTC {
		return c.nextUTC(t)
	}
	wall := t.In(c.loc)
	w := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), time.UTC)
	for i := 0; i < 4; i++ {
		r := c.nextUTC(w)
		if r.IsZero() {
			return r
		}
		real := time.Date(r.Year(), r.Month(), r.Day(), r.Hour(), r.Minute(), 0, 0, c.loc)
		if lw := real.In(c.loc); lw.Hour() != r.Hour() || lw.Minute() != r.Minute() {
			// A skipped wall time: read it with the offset in force
			// before the jump, which lands as far after the jump.
			_, off := real.Add(-3 * time.Hour).In(c.loc).Zone()
			real = r.Add(-time.Duration(off) * time.Second)
		}
		if real.After(t) {
			return real.UTC()
		}
		w = r
	}
	return time.Time{}
}

func (c *Cron) nextUTC(t time.Time) time.Time {
	t = t.UTC().Truncate(time.Minute).Add(time.Minute)
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	for day.Year() <= 2199 {
		if !c.years[day.Year()] {
			day = time.Date(day.Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if !c.months[int(day.Month())] {
			day = time.Date(day.Year(), day.Month()+1, 1, 0, 0, 0, 0, time.UTC)
			continue
		}
		if c.dayMatches(day) {
			startMin := 0
			if day.Equal(time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)) {
				startMin = t.Hour()*60 + t.Minute()
			}
			for m := startMin; m < 24*60; m++ {
				if c.hours[m/60] && c.minutes[m%60] {
					return day.Add(time.Duration(m) * time.Minute)
				}
			}
		}
		day = day.AddDate(0, 0, 1)
	}
	return time.Time{}
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func (c *Cron) dayMatches(d time.Time) bool {
	last := daysIn(d.Year(), d.Month())
	wd := int(d.Weekday()) + 1 // 1 = Sunday
	switch {
	case !c.dom.any:
		switch {
		case c.dom.last:
			return d.Day() == last
		case c.dom.lastWeek:
			return d.Day() == nearestWeekday(d, last)
		case c.dom.weekday > 0:
			n := c.dom.weekday
			if n > last {
				n = last
			}
			return d.Day() == nearestWeekday(d, n)
		}
		return c.dom.days[d.Day()]
	case !c.dow.any:
		switch {
		case c.dow.last > 0:
			return wd == c.dow.last && d.Day()+7 > last
		case c.dow.nth > 0:
			return wd == c.dow.nth && (d.Day()-1)/7+1 == c.dow.nthOf
		}
		return c.dow.days[wd]
	}
	return true
}

// nearestWeekday returns the day of d's month that is the weekday nearest
// to day n, not leaving the month (Quartz's "nW").
func nearestWeekday(d time.Time, n int) int {
	last := daysIn(d.Year(), d.Month())
	t := time.Date(d.Year(), d.Month(), n, 0, 0, 0, 0, time.UTC)
	switch t.Weekday() {
	case time.Saturday:
		if n == 1 {
			return 3
		}
		return n - 1
	case time.Sunday:
		if n == last {
			return n - 2
		}
		return n + 1
	}
	return n
}
