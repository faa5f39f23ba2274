package protocol

import (
	"net/url"
	"reflect"
	"strings"
	"testing"
)

var sharedQueries = []string{
	"", "x-id=GetObject", "a=1&b=2&a=3", "&&a=1&&", "a", "a=", "=v", "a+b=c+d", "a%20b=%41", "a=%zz&b=2",
	"a%=1&b=2", "a;b=1&c=2", "a=1;b=2", "X-Amz-Credential=test%2F20260101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Signature=abc",
	"AWSAccessKeyId=AKID&Expires=1&Signature=x", "Version=2011-06-15&Action=GetCallerIdentity", "X%2DAmz-Credential=k",
	"Ver+sion=1", "Version", "versionId=1&Version=2", "list-type=2&prefix=a%2Fb&delimiter=%2F&max-keys=5",
	strings.Repeat("k=v&", 10001),
}

// TestSharedQueryValues: Values, Get and Has answer what url.ParseQuery
// does (what the codecs and the gateway read before the query was
// shared), for malformed queries too.
func TestSharedQueryValues(t *testing.T) {
	for _, raw := range sharedQueries {
		var q SharedQuery
		q.Reset(raw)
		want, wantErr := url.ParseQuery(raw)
		got, gotErr := q.ValuesErr()
		if !reflect.DeepEqual(got, want) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("%.60q: Values %v, %v; url.ParseQuery %v, %v", raw, got, gotErr, want, wantErr)
		}
		for _, key := range []string{"x-id", "a", "a b", "b", "Version", "X-Amz-Credential", "AWSAccessKeyId", "Ver sion", "c", "k", "missing"} {
			var fresh SharedQuery
			fresh.Reset(raw)
			if g, w := fresh.Get(key), want.Get(key); g != w {
				t.Errorf("%.60q: Get(%q) = %q, want %q", raw, key, g, w)
			}
			fresh.Reset(raw)
			if g, w := fresh.Has(key), want.Has(key); g != w {
				t.Errorf("%.60q: Has(%q) = %v, want %v", raw, key, g, w)
			}
		}
	}
}

// TestSharedQueryParams: Params is SigV4's reading of the query: every
// non-empty pair in order, unescaped, or as sent when it does not
// unescape; in one allocation.
func TestSharedQueryParams(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want []QueryParam
	}{
		{"", nil},
		{"x-id=GetObject", []QueryParam{{"x-id", "GetObject"}}},
		{"&&b=2&a&a=", []QueryParam{{"b", "2"}, {"a", ""}, {"a", ""}}},
		{"a+b=c%20d&e=%zz&%41=1;2", []QueryParam{{"a b", "c d"}, {"e", "%zz"}, {"A", "1;2"}}},
	} {
		var q SharedQuery
		q.Reset(c.raw)
		got := q.Params()
		if len(got) != len(c.want) || len(got) > 0 && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: Params %q, want %q", c.raw, got, c.want)
		}
	}
	var q SharedQuery
	if n := testing.AllocsPerRun(100, func() {
		q.Reset("a=1&b=2&c=3&x-id=GetObject")
		_ = q.Params()
	}); n > 1 {
		t.Errorf("Params of four plain pairs: %v allocations, want 1", n)
	}
}
