package s3

import (
	"crypto/md5"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDocumentedLimits: each documented S3 size or count limit is refused
// with S3's error code and message, and nothing is stored; a request at
// the limit is accepted.
func TestDocumentedLimits(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "limits")
	key32 := strings.Repeat("k", 32)
	keyB64 := base64.StdEncoding.EncodeToString([]byte(key32))
	sum := md5.Sum([]byte(key32))
	keyMD5 := base64.StdEncoding.EncodeToString(sum[:])
	rules := func(n int) *s3api.BucketLifecycleConfiguration {
		c := &s3api.BucketLifecycleConfiguration{}
		for i := 0; i < n; i++ {
			c.Rules = append(c.Rules, s3api.LifecycleRule{ID: ptr.To(fmt.Sprint("r", i)), Status: ptr.To("Enabled"),
				Filter: &s3api.LifecycleRuleFilter{Prefix: ptr.To(fmt.Sprint("p", i, "/"))}, Expiration: &s3api.LifecycleExpiration{Days: ptr.To(int32(1))}})
		}
		return c
	}
	meta := func(size int) map[string]string {
		// "k" (1 byte) plus a value: size bytes in all.
		return map[string]string{"k": strings.Repeat("v", size-1)}
	}
	putObject := func(in *s3api.PutObjectInput) error {
		in.Bucket, in.Body = ptr.To("limits"), strings.NewReader("data")
		_, err := f.s.PutObject(f.ctx(), in)
		return err
	}
	for _, c := range []struct {
		name string
		call func() error
		// code and msg are "" when the call must succeed.
		code, msg string
	}{
		{"1,000 lifecycle rules", func() error {
			_, err := f.s.PutBucketLifecycleConfiguration(f.ctx(), &s3api.PutBucketLifecycleConfigurationInput{Bucket: ptr.To("limits"), LifecycleConfiguration: rules(1000)})
			return err
		}, "", ""},
		{"5,000 lifecycle rules", func() error {
			_, err := f.s.PutBucketLifecycleConfiguration(f.ctx(), &s3api.PutBucketLifecycleConfigurationInput{Bucket: ptr.To("limits"), LifecycleConfiguration: rules(5000)})
			return err
		}, "MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema"},
		{"2 KB of metadata", func() error { return putObject(&s3api.PutObjectInput{Key: ptr.To("m2k"), Metadata: meta(2048)}) }, "", ""},
		{"10 KB of metadata", func() error { return putObject(&s3api.PutObjectInput{Key: ptr.To("m10k"), Metadata: meta(10 << 10)}) },
			"MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."},
		{"metadata one byte over", func() error {
			_, err := f.s.CreateMultipartUpload(f.ctx(), &s3api.CreateMultipartUploadInput{Bucket: ptr.To("limits"), Key: ptr.To("mp"), Metadata: meta(2049)})
			return err
		}, "MetadataTooLarge", "Your metadata headers exceed the maximum allowed metadata size."},
		{"SSE-C key", func() error {
			return putObject(&s3api.PutObjectInput{Key: ptr.To("ssec"), SSECustomerAlgorithm: ptr.To("AES256"), SSECustomerKey: ptr.To(keyB64), SSECustomerKeyMD5: ptr.To(keyMD5)})
		}, "", ""},
		{"SSE-C key not base64", func() error {
			return putObject(&s3api.PutObjectInput{Key: ptr.To("ssec1"), SSECustomerAlgorithm: ptr.To("AES256"), SSECustomerKey: ptr.To("not base64!"), SSECustomerKeyMD5: ptr.To(keyMD5)})
		}, "InvalidArgument", "The secret key was invalid for the specified algorithm."},
		{"SSE-C key of 16 bytes", func() error {
			return putObject(&s3api.PutObjectInput{Key: ptr.To("ssec2"), SSECustomerAlgorithm: ptr.To("AES256"), SSECustomerKey: ptr.To(base64.StdEncoding.EncodeToString([]byte(key32[:16])))})
		}, "InvalidArgument", "The secret key was invalid for the specified algorithm."},
		{"SSE-C key MD5 mismatch", func() error {
			return putObject(&s3api.PutObjectInput{Key: ptr.To("ssec3"), SSECustomerAlgorithm: ptr.To("AES256"), SSECustomerKey: ptr.To(keyB64), SSECustomerKeyMD5: ptr.To("AAAAAAAAAAAAAAAAAAAAAA==")})
		}, "InvalidArgument", "The calculated MD5 hash of the key did not match the hash that was provided."},
		{"SSE-C without a key", func() error {
			return putObject(&s3api.PutObjectInput{Key: ptr.To("ssec4"), SSECustomerAlgorithm: ptr.To("AES256"), SSECustomerKeyMD5: ptr.To(keyMD5)})
		}, "InvalidArgument", "Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key."},
		{"key of 1,025 bytes", func() error { return putObject(&s3api.PutObjectInput{Key: ptr.To(strings.Repeat("a", 1025))}) },
			"KeyTooLongError", "Your key is too long"},
		{"11 object tags", func() error {
			tags := []string{}
			for i := 0; i < 11; i++ {
				tags = append(tags, fmt.Sprintf("k%d=v", i))
			}
			return putObject(&s3api.PutObjectInput{Key: ptr.To("tags"), Tagging: ptr.To(strings.Join(tags, "&"))})
		}, "InvalidTag", "Object tags cannot be greater than 10"},
		{"101 CORS rules", func() error {
			cfg := &s3api.CORSConfiguration{}
			for i := 0; i < 101; i++ {
				cfg.CORSRules = append(cfg.CORSRules, s3api.CORSRule{AllowedMethods: []string{"GET"}, AllowedOrigins: []string{"*"}})
			}
			_, err := f.s.PutBucketCors(f.ctx(), &s3api.PutBucketCorsInput{Bucket: ptr.To("limits"), CORSConfiguration: cfg})
			return err
		}, "InvalidRequest", "The number of CORS rules should not exceed allowed limit of 100 rules."},
		{"GetObject with an SSE-C key not base64", func() error {
			_, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("limits"), Key: ptr.To("ssec"), SSECustomerAlgorithm: ptr.To("AES256"),
				SSECustomerKey: ptr.To("not base64!"), SSECustomerKeyMD5: ptr.To(keyMD5)})
			return err
		}, "InvalidArgument", "The secret key was invalid for the specified algorithm."},
		{"HeadObject with the SSE-C key", func() error {
			_, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To("limits"), Key: ptr.To("ssec"), SSECustomerAlgorithm: ptr.To("AES256"),
				SSECustomerKey: ptr.To(keyB64), SSECustomerKeyMD5: ptr.To(keyMD5)})
			return err
		}, "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			err := c.call()
			if c.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code.Code != c.code || ae.Code.Status != 400 || ae.Message != c.msg {
				t.Fatalf("got %v, want %s %q", err, c.code, c.msg)
			}
		})
	}
	// Nothing refused was stored.
	for _, k := range []string{"m10k", "ssec1", "ssec2", "ssec3", "ssec4", "tags"} {
		if _, err := f.s.HeadObject(f.ctx(), &s3api.HeadObjectInput{Bucket: ptr.To("limits"), Key: ptr.To(k)}); err == nil {
			t.Errorf("%s was stored", k)
		}
	}
	out, err := f.s.GetBucketLifecycleConfiguration(f.ctx(), &s3api.GetBucketLifecycleConfigurationInput{Bucket: ptr.To("limits")})
	if err != nil || len(out.Rules) != 1000 {
		t.Fatalf("lifecycle after the refused 5,000 rules: %v, %v rules", err, len(out.Rules))
	}
}

// FuzzCheckSSECKey: any key and MD5 header values are either refused
// with InvalidArgument or are base64 of exactly 256 bits whose MD5 is
// what gets recorded.
func FuzzCheckSSECKey(f *testing.F) {
	k := base64.StdEncoding.EncodeToString(make([]byte, 32))
	f.Add(k, "", false)
	f.Add(k, "cr0/VUdvQ4mTgxDYDzx0xQ==", true)
	f.Add("not base64!", "", true)
	f.Add("====", "x", true)
	f.Fuzz(func(t *testing.T, key, keyMD5 string, withMD5 bool) {
		var md *string
		if withMD5 {
			md = &keyMD5
		}
		got, err := checkSSECKey(&key, md, false)
		if err != nil {
			var ae *awserr.Error
			if !errors.As(err, &ae) || ae.Code.Code != "InvalidArgument" {
				t.Fatalf("error %v", err)
			}
			return
		}
		raw, derr := base64.StdEncoding.DecodeString(key)
		sum := md5.Sum(raw)
		if derr != nil || len(raw) != 32 || got != base64.StdEncoding.EncodeToString(sum[:]) || (md != nil && *md != got) {
			t.Fatalf("accepted key %q (md5 %v) recording %q", key, md, got)
		}
	})
}

// TestDeleteObjectsWithoutKey: an <Object> without its <Key> does not
// validate against S3's schema; the whole request answers MalformedXML and
// the objects it also names stay.
func TestDeleteObjectsWithoutKey(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "del-nokey")
	f.put(t, "del-nokey", "a", "x")
	_, err := f.s.DeleteObjects(f.ctx(), &s3api.DeleteObjectsInput{Bucket: ptr.To("del-nokey"),
		Delete: &s3api.Delete{Objects: []s3api.ObjectIdentifier{{Key: ptr.To("a")}, {}}}})
	var ae *awserr.Error
	if !errors.As(err, &ae) || ae.Code.Code != "MalformedXML" {
		t.Fatalf("err = %v, want MalformedXML", err)
	}
	if !f.exists(t, "del-nokey", "a") {
		t.Fatal("the object the refused request named was deleted")
	}
}
