package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// The examples of "Signing and Authenticating REST Requests" (S3
// Signature Version 2), all signed with the documentation's example key.
func TestSigV2DocumentedExamples(t *testing.T) {
	cases := []struct {
		name    string
		method  string
		target  string
		bucket  string
		headers [][2]string
		sig     string
	}{
		{"object GET", "GET", "/photos/puppy.jpg", "johnsmith",
			[][2]string{{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:36:42 +0000"}},
			"bWq2s1WEIj+Ydj0vQ697zp+IXMU="},
		{"object PUT", "PUT", "/photos/puppy.jpg", "johnsmith",
			[][2]string{{"Host", "johnsmith.s3.amazonaws.com"}, {"Content-Type", "image/jpeg"}, {"Content-Length", "94328"}, {"Date", "Tue, 27 Mar 2007 21:15:45 +0000"}},
			"MyyxeRY7whkBe+bq8fHCL/2kKUg="},
		{"list", "GET", "/?prefix=photos&max-keys=50&marker=puppy", "johnsmith",
			[][2]string{{"Host", "johnsmith.s3.amazonaws.com"}, {"User-Agent", "Mozilla/5.0"}, {"Date", "Tue, 27 Mar 2007 19:42:41 +0000"}},
			"htDYFYduRNen8P9ZfE/s9SuKy0U="},
		{"fetch ACL", "GET", "/?acl", "johnsmith",
			[][2]string{{"Host", "johnsmith.s3.amazonaws.com"}, {"Date", "Tue, 27 Mar 2007 19:44:46 +0000"}},
			"c2WLPFtWHVgbEmeEG93a4cG37dM="},
		{"delete with x-amz-date", "DELETE", "/johnsmith/photos/puppy.jpg", "",
			[][2]string{{"Host", "s3.amazonaws.com"}, {"User-Agent", "dotnet"}, {"Date", "Tue, 27 Mar 2007 21:20:27 +0000"}, {"x-amz-date", "Tue, 27 Mar 2007 21:20:26 +0000"}},
			// The documentation prints 9b2sXq0KfxsxHtdZkzx/9Ngqyh8=, computed
			// over a StringToSign missing the empty Date line; this is the
			// signature of the StringToSign it documents.
			"R4dJ53KECjStyBO5iTBJZ4XVOaI="},
		{"upload with metadata (CNAME bucket)", "PUT", "/db-backup.dat.gz", "static.johnsmith.net",
			[][2]string{
				{"Host", "static.johnsmith.net:8080"}, {"User-Agent", "curl/7.15.5"}, {"Date", "Tue, 27 Mar 2007 21:06:08 +0000"},
				{"x-amz-acl", "public-read"}, {"content-type", "application/x-download"}, {"Content-MD5", "4gJE4saaMU4BqNR0kLY+lw=="},
				{"X-Amz-Meta-ReviewedBy", "joe@johnsmith.net"}, {"X-Amz-Meta-ReviewedBy", "jane@johnsmith.net"},
				{"X-Amz-Meta-FileChecksum", "0x02661779"}, {"X-Amz-Meta-ChecksumAlgorithm", "crc32"},
				{"Content-Disposition", "attachment; filename=database.dat"}, {"Content-Encoding", "gzip"}, {"Content-Length", "5913339"},
			},
			"ilyl83RwaSoYIEdixDQcA4OnAnc="},
		{"list all my buckets", "GET", "/", "",
			[][2]string{{"Host", "s3.amazonaws.com"}, {"Date", "Wed, 28 Mar 2007 01:29:59 +0000"}},
			"qGdzdERIC03wnaRNKh6OqZehG9s="},
		{"unicode keys", "GET", "/dictionary/fran%C3%A7ais/pr%c3%a9f%c3%a8re", "",
			[][2]string{{"Host", "s3.amazonaws.com"}, {"Date", "Wed, 28 Mar 2007 01:49:49 +0000"}},
			"DNEZGsoieTZ92F3bUfSPQcbGmlM="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			build := func(sig string) *http.Request {
				r := httptest.NewRequest(c.method, c.target, nil)
				for _, h := range c.headers {
					if h[0] == "Host" {
						r.Host = h[1]
						continue
					}
					r.Header.Add(h[0], h[1])
				}
				r.Header.Set("Authorization", "AWS "+docAKID+":"+sig)
				return r
			}
			date, ok := parseHTTPDate(build("").Header.Get("Date"))
			if !ok {
				t.Fatal("date")
			}
			v := docVerifier()
			v.Clock = clock.NewFake(date)
			res, err := v.VerifyS3(build(c.sig), c.bucket)
			if err != nil {
				t.Fatalf("%v %v", err, fieldsOf(err))
			}
			if res.Scheme != SchemeSigV2 || res.Credential.AccessKeyID != docAKID {
				t.Errorf("result %+v", res)
			}
			e := wantErr(t, func() error { _, err := v.VerifyS3(build("AAAA"+c.sig[4:]), c.bucket); return err }(), "SignatureDoesNotMatch", 403)
			if e.Fields["StringToSign"] == nil || e.Fields["SignatureProvided"] != "AAAA"+c.sig[4:] {
				t.Errorf("fields %v", e.Fields)
			}
		})
	}
}

func TestSigV2DocumentedPresignedURL(t *testing.T) {
	build := func(target string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, target, nil)
		r.Host = "johnsmith.s3.amazonaws.com"
		return r
	}
	const target = "/photos/puppy.jpg?AWSAccessKeyId=AKIAIOSFODNN7EXAMPLE&Signature=NpgCjnDzrM%2BWFzoENXmpNDUsSn8%3D&Expires=1175139620"
	v := docVerifier()
	clk := clock.NewFake(time.Unix(1175139620, 0))
	v.Clock = clk
	res, err := v.VerifyS3(build(target), "johnsmith")
	if err != nil {
		t.Fatal(err)
	}
	if res.Scheme != SchemeSigV2Presign {
		t.Errorf("scheme %q", res.Scheme)
	}
	wantErr(t, func() error {
		_, err := v.VerifyS3(build(strings.Replace(target, "puppy", "kitty", 1)), "johnsmith")
		return err
	}(), "SignatureDoesNotMatch", 403)

	clk.Set(time.Unix(1175139621, 0))
	e := wantErr(t, func() error { _, err := v.VerifyS3(build(target), "johnsmith"); return err }(), "AccessDenied", 403)
	if e.Message != "Request has expired" || e.Fields["Expires"] != "2007-03-29T03:40:20Z" || e.Fields["ServerTime"] != "2007-03-29T03:40:21Z" {
		t.Errorf("%q %v", e.Message, e.Fields)
	}
}

// presignV2 follows the documented algorithm as botocore implements it:
// x-amz-* headers are signed and then moved into the query string.
func presignV2(method, host, path, rawQuery, bucket, akid, secret, token string, expires int64) string {
	amz := ""
	if token != "" {
		amz = "x-amz-security-token:" + token + "\n"
	}
	resource := path
	if bucket != "" {
		resource = "/" + bucket + path
	}
	if rawQuery != "" {
		resource += "?" + rawQuery
	}
	sts := method + "\n\n\n" + strconv.FormatInt(expires, 10) + "\n" + amz + resource
	m := hmac.New(sha1.New, []byte(secret))
	m.Write([]byte(sts))
	q := url.Values{
		"AWSAccessKeyId": {akid},
		"Expires":        {strconv.FormatInt(expires, 10)},
		"Signature":      {base64.StdEncoding.EncodeToString(m.Sum(nil))},
	}
	if token != "" {
		q.Set("x-amz-security-token", token)
	}
	sep := "?"
	if rawQuery != "" {
		sep = "?" + rawQuery + "&"
	}
	return "http://" + host + path + sep + q.Encode()
}

func TestSigV2Presigned(t *testing.T) {
	v, clk := newTestVerifier(t0)
	expires := t0.Add(time.Hour).Unix()
	for _, c := range []struct {
		name, akid, secret, token, bucket, path, query string
	}{
		{"path style", testAKID, testSecret, "", "", "/bucket/" + "dir/a%20b%2Bc/%C3%BC//x.txt", "versionId=3"},
		{"virtual host", testAKID, testSecret, "", "bucket", "/key.txt", "response-content-type=text/plain&uploads"},
		{"temporary credentials", tempAKID, tempSecret, tempToken, "bucket", "/key.txt", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk.Set(t0)
			u := presignV2("GET", "localhost:4566", c.path, c.query, c.bucket, c.akid, c.secret, c.token, expires)
			res, err := v.VerifyS3(httptest.NewRequest(http.MethodGet, u, nil), c.bucket)
			if err != nil {
				t.Fatalf("%v %v", err, fieldsOf(err))
			}
			if res.Credential.AccessKeyID != c.akid || res.Scheme != SchemeSigV2Presign {
				t.Errorf("result %+v", res)
			}
			// Tampered: another sub-resource.
			bad := strings.Replace(u, "Expires=", "acl&Expires=", 1)
			wantErr(t, func() error {
				_, err := v.VerifyS3(httptest.NewRequest(http.MethodGet, bad, nil), c.bucket)
				return err
			}(), "SignatureDoesNotMatch", 403)
			// Non-sub-resource parameters are not signed, as in S3.
			extra := strings.Replace(u, "Expires=", "foo=bar&Expires=", 1)
			if _, err := v.VerifyS3(httptest.NewRequest(http.MethodGet, extra, nil), c.bucket); err != nil {
				t.Errorf("unsigned parameter: %v", err)
			}
		})
	}
	// Missing pieces and bad Expires.
	for target, want := range map[string]string{
		"/b/k?AWSAccessKeyId=" + testAKID + "&Expires=1":              "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters",
		"/b/k?AWSAccessKeyId=" + testAKID + "&Signature=x&Expires=xx": "Invalid date (should be seconds since epoch): xx",
	} {
		e := wantErr(t, func() error { _, err := v.VerifyS3(httptest.NewRequest(http.MethodGet, target, nil), ""); return err }(), "AccessDenied", 403)
		if e.Message != want {
			t.Errorf("%q", e.Message)
		}
	}
}

func TestSigV2HeaderSkew(t *testing.T) {
	v, _ := newTestVerifier(t0)
	r := httptest.NewRequest(http.MethodGet, "/bucket/key", nil)
	r.Header.Set("Date", t0.Add(-time.Hour).Format(http.TimeFormat))
	r.Header.Set("Authorization", "AWS "+testAKID+":c2lnbmF0dXJl")
	e := wantErr(t, func() error { _, err := v.VerifyS3(r, ""); return err }(), "RequestTimeTooSkewed", 403)
	if e.Fields["MaxAllowedSkewMilliseconds"] != "900000" {
		t.Errorf("fields %v", e.Fields)
	}
}

// TestSigV2PathStyleBucket: a path-style request to a bucket itself
// ("/bucket", no key) verifies when signed over "/bucket/" (as botocore
// signs it) as well as over "/bucket"; a key's path is not widened.
func TestSigV2PathStyleBucket(t *testing.T) {
	v, _ := newTestVerifier(t0)
	sign := func(method, path, resource string) *http.Request {
		r := httptest.NewRequest(method, path, nil)
		date := t0.Format(http.TimeFormat)
		r.Header.Set("Date", date)
		m := hmac.New(sha1.New, []byte(testSecret))
		m.Write([]byte(method + "\n\n\n" + date + "\n" + resource))
		r.Header.Set("Authorization", "AWS "+testAKID+":"+base64.StdEncoding.EncodeToString(m.Sum(nil)))
		return r
	}
	for _, c := range []struct {
		method, path, resource string
		ok                     bool
	}{
		{"PUT", "/bucket", "/bucket/", true},
		{"PUT", "/bucket", "/bucket", true},
		{"GET", "/bucket/", "/bucket/", true},
		{"GET", "/bucket?acl", "/bucket/?acl", true},
		{"GET", "/bucket/key", "/bucket/key/", false},
		{"GET", "/bucket/key", "/bucket/key", true},
	} {
		_, err := v.VerifyS3(sign(c.method, c.path, c.resource), "")
		if (err == nil) != c.ok {
			t.Errorf("%s %s signed over %q: %v", c.method, c.path, c.resource, err)
		}
	}
}

// TestSigV2BadDates: an empty x-amz-date (with a good Date) and a date
// before the epoch are "AWS authentication requires a valid Date or
// x-amz-date header" (403 AccessDenied), as S3 answers; a far future date
// is RequestTimeTooSkewed.
func TestSigV2BadDates(t *testing.T) {
	v, _ := newTestVerifier(t0)
	for _, c := range []struct {
		name   string
		header map[string]string
		code   string
	}{
		{"empty x-amz-date", map[string]string{"Date": t0.Format(http.TimeFormat), "X-Amz-Date": ""}, "AccessDenied"},
		{"Date before the epoch", map[string]string{"Date": "Tue, 07 Jul 1950 21:53:04 GMT"}, "AccessDenied"},
		{"x-amz-date before the epoch", map[string]string{"X-Amz-Date": "Tue, 07 Jul 1950 21:53:04 GMT"}, "AccessDenied"},
		{"Date after the end", map[string]string{"Date": "Tue, 07 Jul 9999 21:53:04 GMT"}, "RequestTimeTooSkewed"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/bucket/key", nil)
		for k, val := range c.header {
			r.Header[http.CanonicalHeaderKey(k)] = []string{val}
		}
		r.Header.Set("Authorization", "AWS "+testAKID+":c2lnbmF0dXJl")
		_, err := v.VerifyS3(r, "")
		e := wantErr(t, err, c.code, 403)
		if c.code == "AccessDenied" && e.Message != "AWS authentication requires a valid Date or x-amz-date header" {
			t.Errorf("%s: %q", c.name, e.Message)
		}
	}
}
