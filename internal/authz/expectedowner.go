package authz

import (
	"net/url"
	"reflect"
	"strings"
)

// ExpectedOwner is a bucket an S3 request names together with the account
// the caller expects to own it (x-amz-expected-bucket-owner, or
// x-amz-source-expected-bucket-owner for a copy's source).
type ExpectedOwner struct {
	Bucket, Account string
}

// S3ExpectedOwners lists the expected bucket owners an S3 input (a
// pointer to its typed input shape) carries. S3 answers 403 AccessDenied
// when a bucket's owner differs, whoever the caller is.
func S3ExpectedOwners(input any) []ExpectedOwner {
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return nil
	}
	in := fields{v}
	var out []ExpectedOwner
	if acct, b := in.str("ExpectedBucketOwner"), in.str("Bucket"); acct != "" && b != "" {
		out = append(out, ExpectedOwner{Bucket: b, Account: acct})
	}
	if acct, src := in.str("ExpectedSourceBucketOwner"), in.str("CopySource"); acct != "" && src != "" {
		if u, err := url.PathUnescape(src); err == nil {
			src = u
		}
		if b, _, ok := strings.Cut(strings.TrimPrefix(src, "/"), "/"); ok && b != "" {
			out = append(out, ExpectedOwner{Bucket: b, Account: acct})
		}
	}
	return out
}

// S3RequestPayer is the x-amz-request-payer an S3 input carries ("" when
// none): a Requester Pays bucket serves other accounts only with it.
func S3RequestPayer(input any) string {
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	return fields{v}.str("RequestPayer")
}

// S3Bucket is the bucket an S3 input names ("" when none).
func S3Bucket(input any) string {
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return ""
	}
	return fields{v}.str("Bucket")
}
