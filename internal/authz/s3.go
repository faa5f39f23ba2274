package authz

import (
	"crypto/tls"
	"net/http"
	"net/url"
	"reflect"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// s3InputContext adds the S3 condition keys read from an operation's
// input beyond the common ones of contextRules: the SSE-C algorithm, the
// KMS key of a write, and the tags a request sets
// (s3:RequestObjectTag/<key>, s3:RequestObjectTagKeys) — from
// x-amz-tagging on writes or the TagSet of PutObjectTagging.
func s3InputContext(op string, in fields, c iam.Context) {
	c.Set("s3:x-amz-server-side-encryption-customer-algorithm", in.str("SSECustomerAlgorithm"))
	c.Set("s3:x-amz-server-side-encryption-aws-kms-key-id", in.str("SSEKMSKeyId"))
	tags := map[string]string{}
	var order []string
	add := func(k, v string) {
		if _, dup := tags[k]; !dup {
			order = append(order, k)
		}
		tags[k] = v
	}
	switch op {
	case "PutObject", "CopyObject", "CreateMultipartUpload":
		if q, err := url.ParseQuery(in.str("Tagging")); err == nil {
			for k, vs := range q {
				add(k, vs[0])
			}
		}
	case "PutObjectTagging":
		set := in.v.FieldByName("Tagging")
		for set.IsValid() && set.Kind() == reflect.Pointer && !set.IsNil() {
			set = set.Elem()
		}
		if set.IsValid() && set.Kind() == reflect.Struct {
			ts := set.FieldByName("TagSet")
			for i := 0; ts.IsValid() && ts.Kind() == reflect.Slice && i < ts.Len(); i++ {
				t := fields{ts.Index(i)}
				add(t.str("Key"), t.str("Value"))
			}
		}
	}
	if len(order) == 0 {
		return
	}
	for _, k := range order {
		c["s3:requestobjecttag/"+strings.ToLower(k)] = []string{tags[k]}
	}
	c["s3:requestobjecttagkeys"] = order
}

// S3RequestContext is the condition keys S3 reads from the HTTP request
// itself: aws:Referer, s3:signatureversion ("AWS" for SigV2,
// "AWS4-HMAC-SHA256"), s3:authType (REST-HEADER, REST-QUERY-STRING) and
// s3:TlsVersion — absent on plain http, so that a condition on it holds
// only with ...IfExists, as on S3 (S3 User Guide, "Bucket policy
// examples using condition keys").
func S3RequestContext(r *http.Request) iam.Context {
	c := iam.Context{}
	if r == nil {
		return c
	}
	c.Set("aws:Referer", r.Header.Get("Referer"))
	authz, q := r.Header.Get("Authorization"), r.URL.Query()
	switch {
	case strings.HasPrefix(authz, "AWS4-HMAC-SHA256"):
		c.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
		c.Set("s3:authType", "REST-HEADER")
	case strings.HasPrefix(authz, "AWS "):
		c.Set("s3:signatureversion", "AWS")
		c.Set("s3:authType", "REST-HEADER")
	case q.Get("X-Amz-Algorithm") != "":
		c.Set("s3:signatureversion", "AWS4-HMAC-SHA256")
		c.Set("s3:authType", "REST-QUERY-STRING")
	case q.Get("Signature") != "" && q.Get("AWSAccessKeyId") != "":
		c.Set("s3:signatureversion", "AWS")
		c.Set("s3:authType", "REST-QUERY-STRING")
	}
	if r.TLS != nil {
		switch r.TLS.Version {
		case tls.VersionTLS10:
			c.Set("s3:TlsVersion", "1.0")
		case tls.VersionTLS11:
			c.Set("s3:TlsVersion", "1.1")
		case tls.VersionTLS12:
			c.Set("s3:TlsVersion", "1.2")
		case tls.VersionTLS13:
			c.Set("s3:TlsVersion", "1.3")
		}
	}
	return c
}

// s3DeleteObjectsResources are the objects a DeleteObjects names, one
// check each: S3 authorizes s3:DeleteObject per key and answers a denied
// key with its own AccessDenied entry (Check.PerItem). A request that
// names none (refused by the handler as MalformedXML) is checked on the
// bucket's objects.
func s3DeleteObjectsResources(in fields, bucket string) []string {
	d := in.v.FieldByName("Delete")
	for d.IsValid() && d.Kind() == reflect.Pointer && !d.IsNil() {
		d = d.Elem()
	}
	var out []string
	if d.IsValid() && d.Kind() == reflect.Struct {
		objs := d.FieldByName("Objects")
		seen := map[string]bool{}
		for i := 0; objs.IsValid() && objs.Kind() == reflect.Slice && i < objs.Len(); i++ {
			arn := "arn:aws:s3:::" + bucket + "/" + fields{reflect.Indirect(objs.Index(i))}.str("Key")
			if !seen[arn] {
				seen[arn] = true
				out = append(out, arn)
			}
		}
	}
	if len(out) == 0 {
		return []string{"arn:aws:s3:::" + bucket + "/*"}
	}
	return out
}

// S3Object is the bucket, key and version id an S3 input names ("" for
// those it lacks).
func S3Object(input any) (bucket, key, version string) {
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return "", "", ""
	}
	f := fields{v}
	return f.str("Bucket"), f.str("Key"), f.str("VersionId")
}
