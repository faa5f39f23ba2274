package auth

import (
	"net/http"
	"time"
)

// parseAmzDate is time.Parse(iso8601Basic, s): X-Amz-Date is parsed on
// every signed request, and a string in exactly the layout's form
// ("20240501T120000Z") is read without time.Parse's layout walk. Anything
// else (fractional seconds, another length) goes to time.Parse, so what is
// accepted, and the instant, are time.Parse's (TestParseAmzDate).
func parseAmzDate(s string) (time.Time, bool) {
	if len(s) == len(iso8601Basic) && s[8] == 'T' && s[15] == 'Z' {
		if y, mo, d, ok := parseYMD(s[:8]); ok {
			h, okH := twoDigits(s[9:11])
			mi, okM := twoDigits(s[11:13])
			se, okS := twoDigits(s[13:15])
			if okH && okM && okS && h < 24 && mi < 60 && se < 60 {
				return time.Date(y, time.Month(mo), d, h, mi, se, 0, time.UTC), true
			}
			return time.Time{}, false
		}
	}
	t, err := time.Parse(iso8601Basic, s)
	return t, err == nil
}

// validScopeDate reports whether time.Parse("20060102", s) succeeds for
// the 8 characters of a credential scope's date.
func validScopeDate(s string) bool {
	if len(s) != 8 {
		return false
	}
	_, _, _, ok := parseYMD(s)
	return ok
}

// parseYMD reads "YYYYMMDD" as time.Parse's 2006, 01 and 02 do: four
// digits of year, a month 01–12 and a day that exists in that month.
func parseYMD(s string) (y, m, d int, ok bool) {
	for i := 0; i < 8; i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, 0, 0, false
		}
	}
	y = int(s[0]-'0')*1000 + int(s[1]-'0')*100 + int(s[2]-'0')*10 + int(s[3]-'0')
	m, _ = twoDigits(s[4:6])
	d, _ = twoDigits(s[6:8])
	if m < 1 || m > 12 || d < 1 || d > daysIn(time.Month(m), y) {
		return 0, 0, 0, false
	}
	return y, m, d, true
}

func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

// daysIn is the number of days of month m (1–12) in year y, as
// time.Parse checks a day against it.
func daysIn(m time.Month, y int) int {
	if m == time.February && y%4 == 0 && (y%100 != 0 || y%400 == 0) {
		return 29
	}
	return int(monthDays[m-1])
}

var monthDays = [12]uint8{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}

// header is r.Header.Get(key) for a key already in canonical form (every
// caller passes a constant), without canonicalizing it again.
func header(r *http.Request, key string) string {
	if v := r.Header[key]; len(v) > 0 {
		return v[0]
	}
	return ""
}
