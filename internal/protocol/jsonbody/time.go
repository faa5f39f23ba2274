package jsonbody

import (
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
)

// FormatTimestamp formats t in one of the model's timestamp formats:
// iso8601 ("2015-01-25T08:00:00Z", with milliseconds when t has them),
// rfc822 ("Sun, 25 Jan 2015 08:00:00 GMT") or unixTimestamp (epoch
// seconds, with fractional milliseconds when t has them).
func FormatTimestamp(t time.Time, format string) string {
	t = t.UTC()
	switch format {
	case model.RFC822:
		return t.Format(http.TimeFormat)
	case model.UnixTimestamp:
		ms := t.Nanosecond() / int(time.Millisecond)
		s := strconv.FormatInt(t.Unix(), 10)
		if ms == 0 {
			return s
		}
		frac := strings.TrimRight(strconv.Itoa(1000 + ms)[1:], "0")
		return s + "." + frac
	default:
		if t.Nanosecond()/int(time.Millisecond) == 0 {
			return t.Format("2006-01-02T15:04:05Z")
		}
		return t.Format("2006-01-02T15:04:05.000Z")
	}
}

var errTimestamp = errors.New("not a timestamp")

// ParseTimestamp reads a timestamp in any of the formats clients send
// (iso8601 with or without fractional seconds or offset, rfc822 and the
// other HTTP date forms, epoch seconds with an optional fraction),
// whatever format the model names: clients and the smithy spec are lenient
// readers and so is niwa.
func ParseTimestamp(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, errTimestamp
	}
	if c := s[0]; c >= '0' && c <= '9' || c == '-' || c == '+' {
		if t, err := ParseEpoch(s); err == nil {
			return t, nil
		}
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05.999999999Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04:05.999999999", "20060102T150405Z"} {
			if t, err := time.Parse(layout, s); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, errTimestamp
	}
	if t, err := http.ParseTime(s); err == nil {
		return t.UTC(), nil
	}
	for _, layout := range []string{time.RFC1123Z, "Mon, 2 Jan 2006 15:04:05 GMT", "Mon, 2 Jan 2006 15:04:05 MST"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, errTimestamp
}

// ParseEpoch reads epoch seconds with an optional decimal fraction exactly
// (no float rounding of the fraction), or in exponent form.
func ParseEpoch(s string) (time.Time, error) {
	intPart, frac, hasFrac := strings.Cut(s, ".")
	if !strings.ContainsAny(s, "eE") {
		sec, err := strconv.ParseInt(intPart, 10, 64)
		if err != nil {
			return time.Time{}, err
		}
		var ns int64
		if hasFrac {
			if frac == "" || len(frac) > 18 {
				return time.Time{}, errTimestamp
			}
			digits := frac
			if len(digits) > 9 {
				digits = digits[:9]
			}
			n, err := strconv.ParseInt(digits, 10, 64)
			if err != nil || n < 0 || strings.ContainsAny(frac, "+-") {
				return time.Time{}, errTimestamp
			}
			for i := len(digits); i < 9; i++ {
				n *= 10
			}
			ns = n
			if strings.HasPrefix(intPart, "-") {
				ns = -ns
			}
		}
		return time.Unix(sec, ns).UTC(), nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) > 1e15 {
		return time.Time{}, errTimestamp
	}
	sec, fr := math.Modf(f)
	return time.Unix(int64(sec), int64(math.Round(fr*1e6))*1e3).UTC(), nil
}
