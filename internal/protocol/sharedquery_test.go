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
