package s3

import (
	"context"
	"crypto/tls"
	"net/http"
	"reflect"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// inputContext adds the S3 condition keys read from an operation's input
// beyond the common ones of contextKeys: the SSE-C algorithm, the KMS key
// of a write, and the tags a request sets (s3:RequestObjectTag/<key>,
// s3:RequestObjectTagKeys) — from x-amz-tagging on writes or the TagSet
// of PutObjectTagging.
func inputContext(op string, x s3Input, c *iam.Context) {
	setKey(c, "s3:x-amz-server-side-encryption-customer-algorithm", x.str(mSSECAlg))
	setKey(c, "s3:x-amz-server-side-encryption-aws-kms-key-id", x.str(mSSEKMSKeyID))
	// CreateBucket's namespace, which policies use to require account
	// regional buckets.
	setKey(c, "s3:x-amz-bucket-namespace", x.str(mBucketNamespace))
	var pairs [][2]string
	switch op {
	case "PutObject", "CopyObject", "CreateMultipartUpload":
		if tagging := x.str(mTagging); tagging != "" {
			if tags, err := parseTagging(tagging); err == nil {
				for _, t := range tags {
					pairs = append(pairs, [2]string{*t.Key, *t.Value})
				}
			}
		}
	case "PutObjectTagging":
		set := reflect.Indirect(x.in.Value().FieldByName("Tagging"))
		if set.IsValid() && set.Kind() == reflect.Struct {
			ts := set.FieldByName("TagSet")
			for i := 0; ts.IsValid() && ts.Kind() == reflect.Slice && i < ts.Len(); i++ {
				t := kit.ValueInput(ts.Index(i))
				pairs = append(pairs, [2]string{t.Str("Key"), t.Str("Value")})
			}
		}
	}
	if len(pairs) > 0 {
		requestTagKeys(c, pairs)
	}
}

// requestTagKeys sets s3:RequestObjectTag/<key> (a repeated key's last
// value) and s3:RequestObjectTagKeys (each key once, in order).
func requestTagKeys(c *iam.Context, pairs [][2]string) {
	tags := make(map[string]string, len(pairs))
	var order []string
	for _, p := range pairs {
		if _, dup := tags[p[0]]; !dup {
			order = append(order, p[0])
		}
		tags[p[0]] = p[1]
	}
	if *c == nil {
		*c = iam.Context{}
	}
	for _, k := range order {
		(*c)["s3:requestobjecttag/"+strings.ToLower(k)] = []string{tags[k]}
	}
	(*c)["s3:requestobjecttagkeys"] = order
}

// requestContext is the condition keys S3 reads from the HTTP request
// itself: aws:Referer, s3:signatureversion ("AWS" for SigV2,
// "AWS4-HMAC-SHA256"), s3:authType (REST-HEADER, REST-QUERY-STRING) and
// s3:TlsVersion — absent on plain http, so that a condition on it holds
// only with ...IfExists, as on S3 (S3 User Guide, "Bucket policy
// examples using condition keys").
func requestContext(r *http.Request) iam.Context {
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

// deleteObjectsResources are the objects a DeleteObjects names, one check
// each: S3 authorizes s3:DeleteObject per key and answers a denied key
// with its own AccessDenied entry (kit.Authz.PerItem). A request that
// names none (refused by the handler as MalformedXML) is checked on the
// bucket's objects.
func deleteObjectsResources(in kit.Input, bucket string) []string {
	d := reflect.Indirect(in.Value().FieldByName("Delete"))
	var out []string
	if d.IsValid() && d.Kind() == reflect.Struct {
		objs := d.FieldByName("Objects")
		seen := map[string]bool{}
		for i := 0; objs.IsValid() && objs.Kind() == reflect.Slice && i < objs.Len(); i++ {
			arn := "arn:aws:s3:::" + bucket + "/" + kit.ValueInput(objs.Index(i)).Str("Key")
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

// missingKey applies S3's rule for reads of a key that does not exist
// (GetObject, HeadObject): the caller learns "404 NoSuchKey" only if it
// may also s3:ListBucket the bucket — evaluated with s3:prefix set to the
// key, so a ListBucket allowed for a prefix answers for keys under it —
// and gets 403 AccessDenied otherwise (S3 API Reference, GetObject and
// HeadObject "Permissions"). The authorizer asks the ListBucket question
// first and looks the object up only when it is refused; the question's
// s3:prefix key (missingKeyKeys) and the look-up (missingKeyExists) are
// built only then, so a GET of an existing key by a caller allowed the
// question pays the bucket's ARN alone.
func (s *S3) missingKey() *kit.Existence {
	return &kit.Existence{Check: s.missingKeyCheck, Keys: s.missingKeyKeys, Exists: s.missingKeyExists}
}

// missingKeyTarget is the bucket and key missingKey's question is about;
// ok false for an operation or request that asks none (another
// operation, a version's read).
func (s *S3) missingKeyTarget(op string, in kit.Input) (bucket, key string, ok bool) {
	if op != "GetObject" && op != "HeadObject" {
		return "", "", false
	}
	x := s.input(in)
	bucket, key = x.str(mBucket), x.str(mKey)
	if bucket == "" || key == "" || x.str(mVersionID) != "" {
		return "", "", false
	}
	return bucket, key, true
}

func (s *S3) missingKeyCheck(op string, in kit.Input) (kit.Check, bool) {
	bucket, _, ok := s.missingKeyTarget(op, in)
	if !ok {
		return kit.Check{}, false
	}
	return kit.Check{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + bucket}, true
}

func (s *S3) missingKeyKeys(op string, in kit.Input) iam.Context {
	_, key, _ := s.missingKeyTarget(op, in)
	return iam.Context{"s3:prefix": {key}}
}

func (s *S3) missingKeyExists(ctx context.Context, op string, in kit.Input) (bool, error) {
	bucket, key, ok := s.missingKeyTarget(op, in)
	if !ok {
		return true, nil // asked no question: nothing to hide
	}
	return s.ObjectExists(ctx, bucket, key)
}
