package s3_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/base64"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

// TestSDKUpdateObjectEncryption: an SSE-S3 object moves to SSE-KMS
// (sealed at rest from then on) and then to another key, keeping its
// ETag, date and bytes; what S3 refuses is refused with its words.
func TestSDKUpdateObjectEncryption(t *testing.T) {
	e := newSSEKMSEnv(t)
	ctx := context.Background()
	keyA, keyB := e.key(t, "alias/upd-a"), e.key(t, "alias/upd-b")
	marker := "update-encryption-" + strings.Repeat("m", 64)
	put, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("doc"), Body: strings.NewReader(marker)})
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sse"), Key: aws.String("doc")})
	if err != nil || before.ServerSideEncryption != types.ServerSideEncryptionAes256 {
		t.Fatalf("before: %v %v", before, err)
	}
	update := func(key, arn string, bucketKey *bool) error {
		_, err := e.s3.UpdateObjectEncryption(ctx, &s3.UpdateObjectEncryptionInput{Bucket: aws.String("sse"), Key: aws.String(key),
			ObjectEncryption: &types.ObjectEncryptionMemberSSEKMS{Value: types.SSEKMSEncryption{KMSKeyArn: aws.String(arn), BucketKeyEnabled: bucketKey}}})
		return err
	}
	check := func(step, keyARN string) {
		t.Helper()
		h, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sse"), Key: aws.String("doc")})
		if err != nil {
			t.Fatal(err)
		}
		if h.ServerSideEncryption != types.ServerSideEncryptionAwsKms || aws.ToString(h.SSEKMSKeyId) != keyARN ||
			aws.ToString(h.ETag) != aws.ToString(put.ETag) || !aws.ToTime(h.LastModified).Equal(aws.ToTime(before.LastModified)) {
			t.Fatalf("%s: %q %q etag %q date %v", step, h.ServerSideEncryption, aws.ToString(h.SSEKMSKeyId), aws.ToString(h.ETag), h.LastModified)
		}
		if got, err := e.get(t, e.s3, "doc", nil); err != nil || got != marker {
			t.Fatalf("%s: GET %q %v", step, got, err)
		}
	}
	if err := update("doc", keyA, nil); err != nil {
		t.Fatal(err)
	}
	check("SSE-S3 to key A", keyA)
	holding := 0
	if err := filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err == nil && bytes.Contains(b, []byte(marker)) {
			holding++
		}
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if holding != 0 {
		t.Fatalf("%d files still hold the plaintext", holding)
	}
	if err := update("doc", keyB, aws.Bool(true)); err != nil {
		t.Fatal(err)
	}
	check("key A to key B", keyB)
	// The object no longer needs key A.
	if _, err := e.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyA)}); err != nil {
		t.Fatal(err)
	}
	if got, err := e.get(t, e.s3, "doc", nil); err != nil || got != marker {
		t.Fatalf("after disabling key A: %q %v", got, err)
	}

	ssecKey := bytes.Repeat([]byte{7}, 32)
	ssecMD5 := md5.Sum(ssecKey)
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("ssec"), Body: strings.NewReader("x"),
		SSECustomerAlgorithm: aws.String("AES256"), SSECustomerKey: aws.String(base64.StdEncoding.EncodeToString(ssecKey)),
		SSECustomerKeyMD5: aws.String(base64.StdEncoding.EncodeToString(ssecMD5[:]))}); err != nil {
		t.Fatal(err)
	}
	alias := strings.Replace(keyB, ":key/", ":alias/", 1)
	other := strings.Replace(keyB, ":"+strings.Split(keyB, ":")[4]+":", ":111122223333:", 1)
	for _, tc := range []struct {
		name, key, arn, code string
	}{
		{"an alias ARN", "doc", alias, "InvalidRequest"},
		{"another account's key", "doc", other, "AccessDenied"},
		{"an SSE-C object", "ssec", keyB, "InvalidRequest"},
		{"a missing key", "nothing", keyB, "NoSuchKey"},
	} {
		if code, _ := sdkErr(update(tc.key, tc.arn, nil)); code != tc.code {
			t.Errorf("%s: %q, want %s", tc.name, code, tc.code)
		}
	}
}
