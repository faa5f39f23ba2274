package s3_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKPolicyConditionKeys: bucket policy conditions on the keys S3
// fills in from the request — the SSE-C algorithm, the tags a write sets
// and the object's tags, aws:Referer with and without ...IfExists,
// s3:authType and s3:signatureversion — decide as on S3. Each policy
// denies the bucket owner itself (a Deny binds the account root too).
func TestSDKPolicyConditionKeys(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "conds")
	b := aws.String("conds")
	ssecKey := aws.String("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
	ssecMD5 := aws.String("hRasmdxgYDKV3nvbahU1MA==")
	put := func(key string, fn func(*s3.PutObjectInput)) error {
		in := &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader("x")}
		if fn != nil {
			fn(in)
		}
		_, err := c.PutObject(ctx, in)
		return err
	}
	ssec := func(in *s3.PutObjectInput) {
		in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5 = aws.String("AES256"), ssecKey, ssecMD5
	}
	if err := put("tagged", func(in *s3.PutObjectInput) { in.Tagging = aws.String("class=open") }); err != nil {
		t.Fatal(err)
	}
	if err := put("plain", nil); err != nil {
		t.Fatal(err)
	}
	presigned := func(key, referer string) int {
		p, err := s3.NewPresignClient(c).PresignGetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		req, _ := http.NewRequest("GET", p.URL, nil)
		if referer != "" {
			req.Header.Set("Referer", referer)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	get := func(key string) int {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
		_, status := sdkErr(err)
		return status
	}
	deny := func(action, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"` + action +
			`","Resource":"arn:aws:s3:::conds/*","Condition":` + cond + `}]}`
	}
	denyBucket := func(action, cond string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"` + action +
			`","Resource":"arn:aws:s3:::conds","Condition":` + cond + `}]}`
	}
	list := func(fn func(*s3.ListObjectsV2Input)) int {
		in := &s3.ListObjectsV2Input{Bucket: b}
		if fn != nil {
			fn(in)
		}
		_, err := c.ListObjectsV2(ctx, in)
		_, status := sdkErr(err)
		return status
	}
	cases := []struct {
		name   string
		policy string
		try    func() int
		want   int
	}{
		{"SSE-C required, plain put", deny("s3:PutObject", `{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"true"}}`),
			func() int { _, s := sdkErr(put("new", nil)); return s }, 403},
		{"SSE-C required, SSE-C put", deny("s3:PutObject", `{"Null":{"s3:x-amz-server-side-encryption-customer-algorithm":"true"}}`),
			func() int { _, s := sdkErr(put("new", ssec)); return s }, 200},
		{"request tag denied", deny("s3:PutObject", `{"StringEquals":{"s3:RequestObjectTag/class":"secret"}}`),
			func() int {
				_, s := sdkErr(put("new", func(in *s3.PutObjectInput) { in.Tagging = aws.String("class=secret&x=1") }))
				return s
			}, 403},
		{"request tag other value", deny("s3:PutObject", `{"StringEquals":{"s3:RequestObjectTag/class":"secret"}}`),
			func() int {
				_, s := sdkErr(put("new", func(in *s3.PutObjectInput) { in.Tagging = aws.String("class=open") }))
				return s
			}, 200},
		{"PutObjectTagging request tag", deny("s3:PutObjectTagging", `{"StringEquals":{"s3:RequestObjectTag/class":"secret"}}`),
			func() int {
				_, err := c.PutObjectTagging(ctx, &s3.PutObjectTaggingInput{Bucket: b, Key: aws.String("plain"),
					Tagging: &types.Tagging{TagSet: []types.Tag{{Key: aws.String("class"), Value: aws.String("secret")}}}})
				_, s := sdkErr(err)
				return s
			}, 403},
		{"request tag keys", deny("s3:PutObject", `{"ForAnyValue:StringEquals":{"s3:RequestObjectTagKeys":["x"]}}`),
			func() int {
				_, s := sdkErr(put("new", func(in *s3.PutObjectInput) { in.Tagging = aws.String("class=open&x=1") }))
				return s
			}, 403},
		{"existing tag", deny("s3:GetObject", `{"StringEquals":{"s3:ExistingObjectTag/class":"open"}}`),
			func() int { return get("tagged") }, 403},
		{"existing tag, untagged object", deny("s3:GetObject", `{"StringEquals":{"s3:ExistingObjectTag/class":"open"}}`),
			func() int { return get("plain") }, 200},
		{"referer denied", deny("s3:GetObject", `{"StringLike":{"aws:Referer":"https://bad.example/*"}}`),
			func() int { return presigned("plain", "https://bad.example/page") }, 403},
		{"referer other", deny("s3:GetObject", `{"StringLike":{"aws:Referer":"https://bad.example/*"}}`),
			func() int { return presigned("plain", "https://good.example/page") }, 200},
		{"referer IfExists, none sent", deny("s3:GetObject", `{"StringNotLikeIfExists":{"aws:Referer":"https://good.example/*"}}`),
			func() int { return presigned("plain", "") }, 403},
		{"referer IfExists, good", deny("s3:GetObject", `{"StringNotLikeIfExists":{"aws:Referer":"https://good.example/*"}}`),
			func() int { return presigned("plain", "https://good.example/x") }, 200},
		{"authType query string", deny("s3:GetObject", `{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}`),
			func() int { return presigned("plain", "") }, 403},
		{"authType header", deny("s3:GetObject", `{"StringEquals":{"s3:authType":"REST-QUERY-STRING"}}`),
			func() int { return get("plain") }, 200},
		{"signature version 4 only", deny("s3:GetObject", `{"StringNotEquals":{"s3:signatureversion":"AWS4-HMAC-SHA256"}}`),
			func() int { return get("plain") }, 200},
		{"max-keys over 10", denyBucket("s3:ListBucket", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`),
			func() int { return list(func(in *s3.ListObjectsV2Input) { in.MaxKeys = aws.Int32(100) }) }, 403},
		{"max-keys 5", denyBucket("s3:ListBucket", `{"NumericGreaterThan":{"s3:max-keys":"10"}}`),
			func() int { return list(func(in *s3.ListObjectsV2Input) { in.MaxKeys = aws.Int32(5) }) }, 200},
		{"delimiter", denyBucket("s3:ListBucket", `{"StringEquals":{"s3:delimiter":"/"}}`),
			func() int { return list(func(in *s3.ListObjectsV2Input) { in.Delimiter = aws.String("/") }) }, 403},
		{"no delimiter", denyBucket("s3:ListBucket", `{"StringEquals":{"s3:delimiter":"/"}}`),
			func() int { return list(nil) }, 200},
		{"x-amz-acl required, none", deny("s3:PutObject", `{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`),
			func() int { _, s := sdkErr(put("new", nil)); return s }, 403},
		{"x-amz-acl required, given", deny("s3:PutObject", `{"StringNotEquals":{"s3:x-amz-acl":"bucket-owner-full-control"}}`),
			func() int {
				_, s := sdkErr(put("new", func(in *s3.PutObjectInput) { in.ACL = types.ObjectCannedACLBucketOwnerFullControl }))
				return s
			}, 200},
		{"TLS version absent on http", deny("s3:GetObject", `{"NumericLessThanIfExists":{"s3:TlsVersion":"1.2"}}`),
			func() int { return get("plain") }, 403},
	}
	for _, tc := range cases {
		if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(tc.policy)}); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := tc.try(); got != tc.want {
			t.Errorf("%s: %d, want %d", tc.name, got, tc.want)
		}
	}
}

// TestSDKDeleteObjectsPerKeyDeny: under a bucket policy denying some keys,
// DeleteObjects answers 200 with AccessDenied for those keys and deletes
// the others, as S3 does (not a 403 for the whole request).
func TestSDKDeleteObjectsPerKeyDeny(t *testing.T) {
	c, _ := sdkClient(t)
	ctx := context.Background()
	sdkBucket(t, c, "batch")
	b := aws.String("batch")
	for _, k := range []string{"keep/a", "keep/b", "go/c"} {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String(k), Body: strings.NewReader("x")}); err != nil {
			t.Fatal(err)
		}
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:DeleteObject","Resource":"arn:aws:s3:::batch/keep/*"}]}`
	if _, err := c.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	out, err := c.DeleteObjects(ctx, &s3.DeleteObjectsInput{Bucket: b, Delete: &types.Delete{Objects: []types.ObjectIdentifier{
		{Key: aws.String("keep/a")}, {Key: aws.String("go/c")}, {Key: aws.String("keep/b")}}}})
	if err != nil {
		t.Fatalf("DeleteObjects under a per-key Deny: %v", err)
	}
	var denied []string
	for _, e := range out.Errors {
		if aws.ToString(e.Code) == "AccessDenied" {
			denied = append(denied, aws.ToString(e.Key))
		}
	}
	if len(out.Deleted) != 1 || aws.ToString(out.Deleted[0].Key) != "go/c" || strings.Join(denied, ",") != "keep/a,keep/b" {
		t.Fatalf("deleted %+v, denied %v", out.Deleted, denied)
	}
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b})
	if err != nil || len(list.Contents) != 2 {
		t.Fatalf("left %+v %v", list, err)
	}
}

// TestSDKMissingKeyNeedsListBucket: a GET or HEAD of a key that does not
// exist answers 404 only to a caller who may also list the bucket — here
// with s3:prefix, so only under "open/" — and 403 to others, as S3 does.
func TestSDKMissingKeyNeedsListBucket(t *testing.T) {
	owner, other := aclClients(t)
	ctx := context.Background()
	sdkBucket(t, owner, "listing")
	b := aws.String("listing")
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("closed/there"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	head := func(key string) int {
		_, err := other.HeadObject(ctx, &s3.HeadObjectInput{Bucket: b, Key: aws.String(key)})
		_, status := sdkErr(err)
		return status
	}
	getObj := `{"Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":"s3:GetObject","Resource":"arn:aws:s3:::listing/*"}`
	list := `{"Effect":"Allow","Principal":{"AWS":"333333333333"},"Action":"s3:ListBucket","Resource":"arn:aws:s3:::listing","Condition":{"StringLike":{"s3:prefix":"open/*"}}}`
	for _, c := range []struct {
		statements string
		key        string
		want       int
	}{
		{getObj, "open/missing", 403},
		{getObj, "closed/there", 200},
		{getObj + "," + list, "open/missing", 404},
		{getObj + "," + list, "closed/missing", 403},
		{getObj + "," + list, "closed/there", 200},
	} {
		policy := `{"Version":"2012-10-17","Statement":[` + c.statements + `]}`
		if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)}); err != nil {
			t.Fatal(err)
		}
		if got := head(c.key); got != c.want {
			t.Errorf("HEAD %s under %s: %d, want %d", c.key, c.statements, got, c.want)
		}
	}
	// The bucket owner may list its bucket: 404.
	_, err := owner.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("nothing")})
	if code, status := sdkErr(err); code != "NoSuchKey" || status != 404 {
		t.Fatalf("owner GET of a missing key: %q %d", code, status)
	}
}
