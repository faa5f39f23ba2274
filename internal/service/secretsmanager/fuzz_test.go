package secretsmanager

import (
	"strings"
	"testing"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// FuzzResolveID: any SecretId resolves without panicking, to candidates
// that stay inside the ARN's (or the caller's) scope.
func FuzzResolveID(f *testing.F) {
	for _, s := range []string{"name", "arn:aws:secretsmanager:us-east-1:123456789012:secret:a/b-AbCdEf",
		"arn:aws:secretsmanager:us-east-1:123456789012:secret:x", "arn:aws:s3:::b", "arn:", "arn:aws:secretsmanager:r:a:secret:-abcdef"} {
		f.Add(s)
	}
	h := servicetest.New(f, "secretsmanager")
	f.Fuzz(func(t *testing.T, id string) {
		sc, cands := resolveID(h.Ctx(), id)
		for _, c := range cands {
			if c.name == "" || !strings.Contains(id, c.name+"-"+c.suffix) && c.suffix != "" {
				t.Fatalf("%q: candidate %+v", id, c)
			}
		}
		if id != "" && !strings.HasPrefix(id, "arn:") && (sc.Account != h.Account || len(cands) != 1) {
			t.Fatalf("%q: scope %v %v", id, sc, cands)
		}
	})
}

// FuzzParseRules: rotation rules parse or are refused, and what parses
// has a next rotation after now (or none for a cron in the past).
func FuzzParseRules(f *testing.F) {
	f.Add(int64(30), "", "")
	f.Add(int64(0), "rate(10 days)", "3h")
	f.Add(int64(0), "cron(0 8 1 * ? *)", "2h")
	f.Add(int64(0), "rate(4 hours)", "1h")
	now := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, days int64, expr, dur string) {
		in := &smapi.RotationRulesType{}
		if days != 0 {
			in.AutomaticallyAfterDays = ptr.To(days)
		}
		if expr != "" {
			in.ScheduleExpression = ptr.To(expr)
		}
		if dur != "" {
			in.Duration = ptr.To(dur)
		}
		r, err := parseRules(in)
		if err != nil || r == nil {
			return
		}
		next := rotation{Days: r.Days, Expression: r.Expression}.nextAfter(now)
		if next != nil && !next.After(now) {
			t.Fatalf("%+v: next %v not after %v", r, next, now)
		}
	})
}

// FuzzFilters: filter values never panic the matcher.
func FuzzFilters(f *testing.F) {
	f.Add("name", "!pro")
	f.Add("all", "")
	f.Add("tag-key", "env")
	sec := &secret{Name: "prod/db", Description: ptr.To("d"), Tags: []tag{{"env", "prod"}}}
	f.Fuzz(func(t *testing.T, key, val string) {
		match, err := compileFilters([]smapi.Filter{{Key: &key, Values: []string{val}}})
		if err == nil {
			match(sec)
		}
	})
}
