package s3

import (
	"crypto/md5"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestParseCopySourceRange(t *testing.T) {
	cases := []struct {
		v           string
		start, n    int64
		code, inMsg string
	}{
		{"bytes=0-9", 0, 10, "", ""},
		{"bytes=3-3", 3, 1, "", ""},
		{"bytes=0-0", 0, 1, "", ""},
		{"bytes=00-09", 0, 10, "", ""},
		{"bytes=0-10", 0, 0, "InvalidArgument", "Range specified is not valid for source object of size: 10"},
		{"bytes=10-12", 0, 0, "InvalidArgument", "Range specified is not valid for source object of size: 10"},
		{"bytes=5-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"0-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=0", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=-3", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=3-", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=0-2,4-5", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=+1-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes= 1-2", 0, 0, "InvalidArgument", "must be of the form"},
		{"bytes=0-99999999999999999999", 0, 0, "InvalidArgument", "must be of the form"},
		{"", 0, 0, "InvalidArgument", "must be of the form"},
	}
	for _, c := range cases {
		st, n, err := parseCopySourceRange(c.v, 10)
		if codeOf(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.inMsg)) || (err == nil && (st != c.start || n != c.n)) {
			t.Errorf("%q: %d %d %v", c.v, st, n, err)
		}
	}
}

func FuzzParseCopySourceRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=5-2", "bytes=-1", "bytes=0-99999999999999999999", "bytes=1-2,3-4"} {
		f.Add(s, int64(10))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		st, n, err := parseCopySourceRange(v, size)
		if err == nil && (st < 0 || n < 1 || st+n > size) {
			t.Fatalf("%q size %d: accepted %d+%d", v, size, st, n)
		}
	})
}

// TestACLsWithBucketOwnerEnforced: a bucket whose ACLs are disabled may
// not be given (or keep) an ACL that grants anyone but its owner.
func TestACLsWithBucketOwnerEnforced(t *testing.T) {
	f := newFixture(t)
	loc := &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}
	for acl, want := range map[string]string{
		"public-read":               "InvalidBucketAclWithObjectOwnership",
		"authenticated-read":        "InvalidBucketAclWithObjectOwnership",
		"private":                   "",
		"bucket-owner-full-control": "",
	} {
		name := "enf-" + strings.ReplaceAll(acl, "-", "")
		_, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To(name), ACL: ptr.To(acl), CreateBucketConfiguration: loc})
		if codeOf(err) != want {
			t.Errorf("CreateBucket ACL %s: %v", acl, err)
		}
	}
	// ObjectWriter with a public ACL, then enforcing: refused, ACL kept.
	_, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To("writer-bucket"), ObjectOwnership: ptr.To("ObjectWriter"), CreateBucketConfiguration: loc})
	if err != nil {
		t.Fatal(err)
	}
	// New buckets block public ACLs, as on AWS.
	if _, err := f.s.DeletePublicAccessBlock(f.ctx(), &s3api.DeletePublicAccessBlockInput{Bucket: ptr.To("writer-bucket")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutBucketAcl(f.ctx(), &s3api.PutBucketAclInput{Bucket: ptr.To("writer-bucket"), ACL: ptr.To("public-read")}); err != nil {
		t.Fatal(err)
	}
	enforce := &s3api.PutBucketOwnershipControlsInput{Bucket: ptr.To("writer-bucket"), OwnershipControls: &s3api.OwnershipControls{
		Rules: []s3api.OwnershipControlsRule{{ObjectOwnership: ptr.To("BucketOwnerEnforced")}}}}
	if _, err := f.s.PutBucketOwnershipControls(f.ctx(), enforce); codeOf(err) != "InvalidBucketAclWithObjectOwnership" {
		t.Fatalf("enforcing over a public ACL: %v", err)
	}
	if _, err := f.s.PutBucketAcl(f.ctx(), &s3api.PutBucketAclInput{Bucket: ptr.To("writer-bucket"), ACL: ptr.To("private")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PutBucketOwnershipControls(f.ctx(), enforce); err != nil {
		t.Fatalf("enforcing over a private ACL: %v", err)
	}
}

func TestSSECValidation(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "ssec-bucket")
	key := base64.StdEncoding.EncodeToString([]byte("0123456789abcdef0123456789abcdef"))
	sum := md5.Sum([]byte("0123456789abcdef0123456789abcdef"))
	keyMD5 := base64.StdEncoding.EncodeToString(sum[:])
	other := base64.StdEncoding.EncodeToString([]byte("fedcba9876543210fedcba9876543210"))
	osum := md5.Sum([]byte("fedcba9876543210fedcba9876543210"))
	otherMD5 := base64.StdEncoding.EncodeToString(osum[:])
	aes := ptr.To("AES256")
	put := func(alg, k, m *string) error {
		_, err := f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("ssec-bucket"), Key: ptr.To("k"), Body: strings.NewReader("x"),
			SSECustomerAlgorithm: alg, SSECustomerKey: k, SSECustomerKeyMD5: m})
		return err
	}
	for _, c := range []struct {
		name       string
		alg, k, m  *string
		code, text string
	}{
		{"wrong MD5", aes, &key, &otherMD5, "InvalidArgument", "The calculated MD5 hash of the key did not match"},
		{"no MD5", aes, &key, nil, "InvalidArgument", "must provide the client calculated MD5 of the secret key"},
		{"no key", aes, nil, &keyMD5, "InvalidArgument", "must provide an appropriate secret key"},
		{"key without algorithm", nil, &key, &keyMD5, "InvalidArgument", "must provide a valid encryption algorithm"},
		{"good", aes, &key, &keyMD5, "", ""},
	} {
		err := put(c.alg, c.k, c.m)
		if codeOf(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.text)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
	// GET/HEAD refuse x-amz-server-side-encryption.
	ctx := f.ctx()
	ctx.HTTP.Header.Set("X-Amz-Server-Side-Encryption", "AES256")
	if _, err := f.s.HeadObject(ctx, &s3api.HeadObjectInput{Bucket: ptr.To("ssec-bucket"), Key: ptr.To("k")}); codeOf(err) != "InvalidArgument" {
		t.Errorf("HEAD with x-amz-server-side-encryption: %v", err)
	}
	if _, err := f.s.GetObject(ctx, &s3api.GetObjectInput{Bucket: ptr.To("ssec-bucket"), Key: ptr.To("k")}); codeOf(err) != "InvalidArgument" {
		t.Errorf("GET with x-amz-server-side-encryption: %v", err)
	}
	// Parts of an SSE-C upload carry its key.
	cr, err := f.s.CreateMultipartUpload(f.ctx(), &s3api.CreateMultipartUploadInput{Bucket: ptr.To("ssec-bucket"), Key: ptr.To("mp"),
		SSECustomerAlgorithm: aes, SSECustomerKey: &key, SSECustomerKeyMD5: &keyMD5})
	if err != nil {
		t.Fatal(err)
	}
	part := func(alg, k, m *string) error {
		_, err := f.s.UploadPart(f.ctx(), &s3api.UploadPartInput{Bucket: ptr.To("ssec-bucket"), Key: ptr.To("mp"), UploadId: cr.UploadId,
			PartNumber: ptr.To(int32(1)), Body: strings.NewReader("p"), SSECustomerAlgorithm: alg, SSECustomerKey: k, SSECustomerKeyMD5: m})
		return err
	}
	if err := part(nil, nil, nil); codeOf(err) != "InvalidRequest" {
		t.Errorf("part without the key: %v", err)
	}
	if err := part(aes, &other, &otherMD5); codeOf(err) != "InvalidRequest" {
		t.Errorf("part with another key: %v", err)
	}
	if err := part(aes, &key, &keyMD5); err != nil {
		t.Errorf("part with the key: %v", err)
	}
}

func TestLifecycleValidation(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "lc-bucket")
	midnight := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	noon := midnight.Add(12 * time.Hour)
	rule := func(id string, exp *s3api.LifecycleExpiration, tr []s3api.Transition) error {
		_, err := f.s.PutBucketLifecycleConfiguration(f.ctx(), &s3api.PutBucketLifecycleConfigurationInput{Bucket: ptr.To("lc-bucket"),
			LifecycleConfiguration: &s3api.BucketLifecycleConfiguration{Rules: []s3api.LifecycleRule{{ID: ptr.To(id), Status: ptr.To("Enabled"),
				Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To("")}, Expiration: exp, Transitions: tr}}}})
		return err
	}
	for _, c := range []struct {
		name       string
		err        error
		code, text string
	}{
		{"ID of 255", rule(strings.Repeat("a", 255), &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}, nil), "", ""},
		{"ID of 256", rule(strings.Repeat("a", 256), &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}, nil), "InvalidArgument", "ID length should not exceed allowed limit of 255"},
		{"expiration at midnight", rule("r", &s3api.LifecycleExpiration{Date: &midnight}, nil), "", ""},
		{"expiration at noon", rule("r", &s3api.LifecycleExpiration{Date: &noon}, nil), "InvalidArgument", "'Date' must be at midnight GMT"},
		{"transition at noon", rule("r", nil, []s3api.Transition{{Date: &noon, StorageClass: ptr.To("GLACIER")}}), "InvalidArgument", "'Date' must be at midnight GMT"},
	} {
		if codeOf(c.err) != c.code || (c.err != nil && !strings.Contains(c.err.Error(), c.text)) {
			t.Errorf("%s: %v", c.name, c.err)
		}
	}
}

func FuzzStoredEncoding(f *testing.F) {
	for _, s := range []string{"aws-chunked", "aws-chunked,gzip", "gzip, AWS-CHUNKED , br", "", ",,"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		got := storedEncoding(v)
		for _, c := range strings.Split(got, ",") {
			if strings.EqualFold(strings.TrimSpace(c), "aws-chunked") {
				t.Fatalf("%q kept aws-chunked: %q", v, got)
			}
		}
		if !strings.Contains(strings.ToLower(v), "aws-chunked") && got != v {
			t.Fatalf("%q changed to %q", v, got)
		}
	})
}

// TestListObjectsV1PrefixNotEncoded: under encoding-type=url, v1 answers
// Prefix as sent (keys, markers and common prefixes encoded); v2 encodes it.
func TestListObjectsV1PrefixNotEncoded(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "enc-bucket")
	f.put(t, "enc-bucket", "a b/c d", "x")
	v1, err := f.s.ListObjects(f.ctx(), &s3api.ListObjectsInput{Bucket: ptr.To("enc-bucket"), Prefix: ptr.To("a b/"), EncodingType: ptr.To("url")})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(v1.Prefix) != "a b/" || len(v1.Contents) != 1 || ptr.Deref(v1.Contents[0].Key) != "a+b/c+d" {
		t.Fatalf("v1 prefix %q contents %+v", ptr.Deref(v1.Prefix), v1.Contents)
	}
	v2, err := f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("enc-bucket"), Prefix: ptr.To("a b/"), EncodingType: ptr.To("url")})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(v2.Prefix) != "a+b/" {
		t.Fatalf("v2 prefix %q", ptr.Deref(v2.Prefix))
	}
}

// TestParseTagging: x-amz-tagging keeps its order; duplicates and bad
// escapes are refused.
func TestParseTagging(t *testing.T) {
	for _, c := range []struct {
		in, want, code string
	}{
		{"b=2&a=1", "b=2,a=1", ""},
		{"k%20one=v%2Fx&flag", "k one=v/x,flag=", ""},
		{"a=1&a=2", "", "InvalidTag"},
		{"a=%zz", "", "InvalidArgument"},
		{"", "", ""},
	} {
		tags, err := parseTagging(c.in)
		var got []string
		for _, tg := range tags {
			got = append(got, ptr.Deref(tg.Key)+"="+ptr.Deref(tg.Value))
		}
		if codeOf(err) != c.code && !(c.code == "" && err == nil) || strings.Join(got, ",") != c.want {
			t.Errorf("%q: %v %v", c.in, got, err)
		}
	}
}

func FuzzParseTagging(f *testing.F) {
	for _, s := range []string{"a=1&b=2", "a", "a=1&a=1", "%", "=&=", strings.Repeat("k=v&", 12)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		tags, err := parseTagging(v)
		if err != nil {
			return
		}
		seen := map[string]bool{}
		for _, tg := range tags {
			if seen[ptr.Deref(tg.Key)] {
				t.Fatalf("%q: duplicate key %q accepted", v, ptr.Deref(tg.Key))
			}
			seen[ptr.Deref(tg.Key)] = true
		}
		if len(tags) > 10 {
			t.Fatalf("%q: %d tags accepted", v, len(tags))
		}
	})
}
