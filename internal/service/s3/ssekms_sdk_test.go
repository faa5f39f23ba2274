package s3_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/niwatest"
)

// ssekmsEnv is a niwa on disk with S3 and KMS clients as root.
type ssekmsEnv struct {
	n   *niwatest.Niwa
	dir string
	s3  *s3.Client
	kms *kms.Client
	iam *iam.Client
}

func newSSEKMSEnv(t *testing.T) *ssekmsEnv {
	t.Helper()
	dir := t.TempDir()
	n := niwatest.Start(t, niwatest.WithDataDir(dir))
	cfg := n.AWSConfig()
	e := &ssekmsEnv{n: n, dir: dir, s3: s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true }),
		kms: kms.NewFromConfig(cfg), iam: iam.NewFromConfig(cfg)}
	sdkBucket(t, e.s3, "sse")
	return e
}

// key makes a symmetric key with an alias and returns its ARN.
func (e *ssekmsEnv) key(t *testing.T, alias string) string {
	t.Helper()
	ctx := context.Background()
	k, err := e.kms.CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	if alias != "" {
		if _, err := e.kms.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(alias), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	return *k.KeyMetadata.Arn
}

// user makes an IAM user with an inline policy and returns an S3 client
// signing as it.
func (e *ssekmsEnv) user(t *testing.T, name, policy string) *s3.Client {
	t.Helper()
	ctx := context.Background()
	if _, err := e.iam.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.iam.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("p"), PolicyDocument: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	ak, err := e.iam.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
	if err != nil {
		t.Fatal(err)
	}
	cfg := e.n.AWSConfigWith(*ak.AccessKey.AccessKeyId, *ak.AccessKey.SecretAccessKey, "")
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle = true })
}

func (e *ssekmsEnv) get(t *testing.T, c *s3.Client, key string, rng *string) (string, error) {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String("sse"), Key: aws.String(key), Range: rng})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	return string(b), err
}

func errMessage(err error) string {
	var ae smithy.APIError
	if ok := asAPIError(err, &ae); ok {
		return ae.ErrorMessage()
	}
	return ""
}

func asAPIError(err error, target *smithy.APIError) bool {
	for err != nil {
		if ae, ok := err.(smithy.APIError); ok {
			*target = ae
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestSDKSSEKMSKeys: the key an SSE-KMS write names must exist (S3 answers
// KMS's NotFoundException as KMS.NotFoundException); the response names
// the key's ARN whatever the request named it by; the default is the AWS
// managed key alias/aws/s3, made on first use; bucket default encryption
// and bucket keys apply to writes that say nothing.
func TestSDKSSEKMSKeys(t *testing.T) {
	e := newSSEKMSEnv(t)
	ctx := context.Background()
	put := func(key string, fn func(*s3.PutObjectInput)) (*s3.PutObjectOutput, error) {
		in := &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String(key), Body: strings.NewReader("body of " + key)}
		fn(in)
		return e.s3.PutObject(ctx, in)
	}
	kmsPut := func(id string) func(*s3.PutObjectInput) {
		return func(in *s3.PutObjectInput) {
			in.ServerSideEncryption = types.ServerSideEncryptionAwsKms
			if id != "" {
				in.SSEKMSKeyId = aws.String(id)
			}
		}
	}
	_, err := put("early", kmsPut("alias/demo"))
	if code, status := sdkErr(err); code != "KMS.NotFoundException" || status != 400 || !strings.Contains(errMessage(err), "alias/demo") {
		t.Fatalf("no such alias: %s %d %v", code, status, err)
	}
	_, err = put("early", kmsPut("aws/s3"))
	if code, status := sdkErr(err); code != "KMS.NotFoundException" || status != 400 || errMessage(err) != "Invalid keyId aws/s3" {
		t.Fatalf("aws/s3 without alias/: %s %d %v", code, status, err)
	}
	_, err = put("early", kmsPut("0f6a6c0e-6f9a-4a43-8d7c-4e3c5b2a1f00"))
	if code, _ := sdkErr(err); code != "KMS.NotFoundException" || !strings.Contains(errMessage(err), "key/0f6a6c0e-6f9a-4a43-8d7c-4e3c5b2a1f00' does not exist") {
		t.Fatalf("no such key: %s %v", code, err)
	}
	if _, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sse"), Key: aws.String("early")}); err == nil {
		t.Fatal("a refused write stored an object")
	}

	keyARN := e.key(t, "alias/demo")
	keyID := keyARN[strings.LastIndex(keyARN, "/")+1:]
	managed, err := e.kms.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String("alias/aws/s3")})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, key string
		fn        func(*s3.PutObjectInput)
		alg       types.ServerSideEncryption
		keyARN    string
		bucketKey bool
	}{
		{"alias", "a", kmsPut("alias/demo"), "aws:kms", keyARN, false},
		{"alias ARN", "b", kmsPut(strings.Replace(keyARN, "key/"+keyID, "alias/demo", 1)), "aws:kms", keyARN, false},
		{"key id", "c", kmsPut(keyID), "aws:kms", keyARN, false},
		{"key ARN", "d", kmsPut(keyARN), "aws:kms", keyARN, false},
		{"AWS managed key", "e", kmsPut(""), "aws:kms", *managed.KeyMetadata.Arn, false},
		{"dual-layer", "f", func(in *s3.PutObjectInput) {
			in.ServerSideEncryption, in.SSEKMSKeyId = types.ServerSideEncryptionAwsKmsDsse, aws.String("alias/demo")
		}, "aws:kms:dsse", keyARN, false},
		{"bucket key", "g", func(in *s3.PutObjectInput) {
			kmsPut("alias/demo")(in)
			in.BucketKeyEnabled = aws.Bool(true)
		}, "aws:kms", keyARN, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := put(tc.key, tc.fn)
			if err != nil {
				t.Fatal(err)
			}
			if out.ServerSideEncryption != tc.alg || aws.ToString(out.SSEKMSKeyId) != tc.keyARN || aws.ToBool(out.BucketKeyEnabled) != tc.bucketKey {
				t.Fatalf("put: %s %s %v", out.ServerSideEncryption, aws.ToString(out.SSEKMSKeyId), aws.ToBool(out.BucketKeyEnabled))
			}
			head, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sse"), Key: aws.String(tc.key)})
			if err != nil || head.ServerSideEncryption != tc.alg || aws.ToString(head.SSEKMSKeyId) != tc.keyARN || aws.ToBool(head.BucketKeyEnabled) != tc.bucketKey {
				t.Fatalf("head: %v", err)
			}
			if body, err := e.get(t, e.s3, tc.key, nil); err != nil || body != "body of "+tc.key {
				t.Fatalf("get: %q %v", body, err)
			}
		})
	}

	// Bucket default encryption: writes that say nothing use it.
	if _, err := e.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("sse"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("alias/demo")},
			BucketKeyEnabled:                   aws.Bool(true),
		}}}}); err != nil {
		t.Fatal(err)
	}
	out, err := put("default", func(*s3.PutObjectInput) {})
	if err != nil || out.ServerSideEncryption != "aws:kms" || aws.ToString(out.SSEKMSKeyId) != keyARN || !aws.ToBool(out.BucketKeyEnabled) {
		t.Fatalf("bucket default: %+v %v", out, err)
	}
	if body, err := e.get(t, e.s3, "default", nil); err != nil || body != "body of default" {
		t.Fatalf("get: %q %v", body, err)
	}
	// A default naming a key that does not exist fails every write.
	if _, err := e.s3.PutBucketEncryption(ctx, &s3.PutBucketEncryptionInput{Bucket: aws.String("sse"),
		ServerSideEncryptionConfiguration: &types.ServerSideEncryptionConfiguration{Rules: []types.ServerSideEncryptionRule{{
			ApplyServerSideEncryptionByDefault: &types.ServerSideEncryptionByDefault{SSEAlgorithm: types.ServerSideEncryptionAwsKms, KMSMasterKeyID: aws.String("aws/s3")},
		}}}}); err != nil {
		t.Fatal(err)
	}
	_, err = put("bad-default", func(*s3.PutObjectInput) {})
	if code, _ := sdkErr(err); code != "KMS.NotFoundException" || errMessage(err) != "Invalid keyId aws/s3" {
		t.Fatalf("default with a bad key: %s %v", code, err)
	}

	// Encryption context: base64 JSON, echoed with aws:s3:arn added.
	ec := base64.StdEncoding.EncodeToString([]byte(`{"project":"niwa"}`))
	out, err = put("ctx", func(in *s3.PutObjectInput) { kmsPut("alias/demo")(in); in.SSEKMSEncryptionContext = aws.String(ec) })
	if err != nil {
		t.Fatal(err)
	}
	got, _ := base64.StdEncoding.DecodeString(aws.ToString(out.SSEKMSEncryptionContext))
	if !strings.Contains(string(got), `"project":"niwa"`) || !strings.Contains(string(got), `"aws:s3:arn":"arn:aws:s3:::sse/ctx"`) {
		t.Fatalf("encryption context %s", got)
	}
	if body, err := e.get(t, e.s3, "ctx", nil); err != nil || body != "body of ctx" {
		t.Fatalf("get: %q %v", body, err)
	}
	for _, bad := range []string{"not base64!", base64.StdEncoding.EncodeToString([]byte(`["a"]`)), base64.StdEncoding.EncodeToString([]byte(`{"a":1}`))} {
		_, err = put("ctx2", func(in *s3.PutObjectInput) { kmsPut("alias/demo")(in); in.SSEKMSEncryptionContext = aws.String(bad) })
		if code, status := sdkErr(err); code != "InvalidArgument" || status != 400 {
			t.Fatalf("context %q: %s %d", bad, code, status)
		}
	}
}

// TestSDKSSEKMSAccess: reading an SSE-KMS object needs kms:Decrypt on its
// key besides s3:GetObject; a grant gives it; writing needs
// kms:GenerateDataKey; a disabled key makes the object unreadable.
func TestSDKSSEKMSAccess(t *testing.T) {
	e := newSSEKMSEnv(t)
	ctx := context.Background()
	keyARN := e.key(t, "alias/demo")
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("secret"), Body: strings.NewReader("classified"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/demo")}); err != nil {
		t.Fatal(err)
	}
	reader := e.user(t, "reader", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","s3:PutObject"],"Resource":"arn:aws:s3:::sse/*"}]}`)
	_, err := e.get(t, reader, "secret", nil)
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 ||
		errMessage(err) != "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access." {
		t.Fatalf("read without kms:Decrypt: %s %d %q", code, status, errMessage(err))
	}
	// HEAD does not decrypt.
	if _, err := reader.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sse"), Key: aws.String("secret")}); err != nil {
		t.Fatalf("head: %v", err)
	}
	// Writing under the key needs kms:GenerateDataKey.
	_, err = reader.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("mine"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String(keyARN)})
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 || !strings.Contains(errMessage(err), "kms:GenerateDataKey on resource: "+keyARN) {
		t.Fatalf("write without kms:GenerateDataKey: %s %d %q", code, status, errMessage(err))
	}
	// The AWS managed key lets the account use it through S3.
	if _, err := reader.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("managed"), Body: strings.NewReader("m"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms}); err != nil {
		t.Fatalf("write under aws/s3: %v", err)
	}
	if body, err := e.get(t, reader, "managed", nil); err != nil || body != "m" {
		t.Fatalf("read under aws/s3: %q %v", body, err)
	}

	grant, err := e.kms.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(keyARN),
		GranteePrincipal: aws.String("arn:aws:iam::" + niwatest.Account + ":user/reader"), Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}})
	if err != nil {
		t.Fatal(err)
	}
	if body, err := e.get(t, reader, "secret", nil); err != nil || body != "classified" {
		t.Fatalf("read after a grant: %q %v", body, err)
	}
	if _, err := e.kms.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String(keyARN), GrantId: grant.GrantId}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.get(t, reader, "secret", nil); err == nil {
		t.Fatal("read after the grant was revoked")
	}

	// A disabled key: nobody reads, nobody writes.
	if _, err := e.kms.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.get(t, e.s3, "secret", nil)
	if code, status := sdkErr(err); code != "KMS.DisabledException" || status != 400 || errMessage(err) != keyARN+" is disabled." {
		t.Fatalf("read under a disabled key: %s %d %q", code, status, errMessage(err))
	}
	_, err = e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("x"), Body: strings.NewReader("x"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/demo")})
	if code, _ := sdkErr(err); code != "KMS.DisabledException" {
		t.Fatalf("write under a disabled key: %v", err)
	}
	if _, err := e.kms.EnableKey(ctx, &kms.EnableKeyInput{KeyId: aws.String(keyARN)}); err != nil {
		t.Fatal(err)
	}
	if body, err := e.get(t, e.s3, "secret", nil); err != nil || body != "classified" {
		t.Fatalf("read once enabled again: %q %v", body, err)
	}
	// A key pending deletion: KMS.KMSInvalidStateException.
	if _, err := e.kms.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(keyARN), PendingWindowInDays: aws.Int32(7)}); err != nil {
		t.Fatal(err)
	}
	_, err = e.get(t, e.s3, "secret", nil)
	if code, status := sdkErr(err); code != "KMS.KMSInvalidStateException" || status != 400 || errMessage(err) != keyARN+" is pending deletion." {
		t.Fatalf("read under a key pending deletion: %s %d %q", code, status, errMessage(err))
	}
}

// TestSDKSSEKMSAtRest: SSE-KMS objects, simple, multipart and copied, are
// encrypted in the blob store (no plaintext on disk), read back whole and
// by ranges that cross the encryption segments.
func TestSDKSSEKMSAtRest(t *testing.T) {
	e := newSSEKMSEnv(t)
	ctx := context.Background()
	e.key(t, "alias/demo")
	marker := "PLAINTEXT-MARKER-7f3a"
	body := strings.Repeat(marker+"-", (200<<10)/len(marker)) // ~200 KiB: several segments
	if _, err := e.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("sse"), Key: aws.String("simple"), Body: strings.NewReader(body),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/demo")}); err != nil {
		t.Fatal(err)
	}
	// Multipart: a 5 MiB part and a short one, under the upload's key.
	mp, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("sse"), Key: aws.String("multi"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: aws.String("alias/demo")})
	if err != nil || mp.ServerSideEncryption != "aws:kms" {
		t.Fatalf("create upload: %v", err)
	}
	part1 := strings.Repeat(marker, (5<<20)/len(marker)+1)
	part2 := "tail-" + marker
	var done []types.CompletedPart
	for i, p := range []string{part1, part2} {
		out, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("sse"), Key: aws.String("multi"), UploadId: mp.UploadId,
			PartNumber: aws.Int32(int32(i + 1)), Body: strings.NewReader(p)})
		if err != nil {
			t.Fatal(err)
		}
		done = append(done, types.CompletedPart{ETag: out.ETag, PartNumber: aws.Int32(int32(i + 1))})
	}
	if _, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("sse"), Key: aws.String("multi"),
		UploadId: mp.UploadId, MultipartUpload: &types.CompletedMultipartUpload{Parts: done}}); err != nil {
		t.Fatal(err)
	}
	// A full-object CRC64NVME checksum is computed over the plaintext of
	// the sealed parts.
	ck, err := e.s3.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: aws.String("sse"), Key: aws.String("crc"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms, ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
	if err != nil {
		t.Fatal(err)
	}
	up, err := e.s3.UploadPart(ctx, &s3.UploadPartInput{Bucket: aws.String("sse"), Key: aws.String("crc"), UploadId: ck.UploadId,
		PartNumber: aws.Int32(1), Body: strings.NewReader(body), ChecksumAlgorithm: types.ChecksumAlgorithmCrc64nvme})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.s3.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: aws.String("sse"), Key: aws.String("crc"), UploadId: ck.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: []types.CompletedPart{{ETag: up.ETag, PartNumber: aws.Int32(1), ChecksumCRC64NVME: up.ChecksumCRC64NVME}}}}); err != nil {
		t.Fatal(err)
	}
	crc := checksum.New(checksum.CRC64NVME)
	crc.Write([]byte(body))
	head, err := e.s3.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("sse"), Key: aws.String("crc"), ChecksumMode: types.ChecksumModeEnabled})
	if err != nil || aws.ToString(head.ChecksumCRC64NVME) != checksum.Sum(crc) {
		t.Fatalf("full-object CRC64NVME %q, want %q: %v", aws.ToString(head.ChecksumCRC64NVME), checksum.Sum(crc), err)
	}

	// Copies: SSE-KMS to SSE-S3 (decrypted) and back under another key.
	if _, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sse"), Key: aws.String("plain-copy"), CopySource: aws.String("sse/simple"),
		ServerSideEncryption: types.ServerSideEncryptionAes256}); err != nil {
		t.Fatal(err)
	}
	cp, err := e.s3.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("sse"), Key: aws.String("kms-copy"), CopySource: aws.String("sse/plain-copy"),
		ServerSideEncryption: types.ServerSideEncryptionAwsKms})
	if err != nil || cp.ServerSideEncryption != "aws:kms" || !strings.Contains(aws.ToString(cp.SSEKMSKeyId), ":key/") {
		t.Fatalf("copy to SSE-KMS: %+v %v", cp, err)
	}

	for _, tc := range []struct {
		key, want string
		rng       *string
	}{
		{"simple", body, nil},
		{"simple", body[65530:65546], aws.String("bytes=65530-65545")},
		{"simple", body[len(body)-10:], aws.String("bytes=-10")},
		{"multi", part1 + part2, nil},
		{"multi", (part1 + part2)[len(part1)-3 : len(part1)+7], aws.String("bytes=" + strconv.Itoa(len(part1)-3) + "-" + strconv.Itoa(len(part1)+6))},
		{"plain-copy", body, nil},
		{"kms-copy", body, nil},
	} {
		got, err := e.get(t, e.s3, tc.key, tc.rng)
		if err != nil || got != tc.want {
			t.Fatalf("get %s %v: %d bytes, want %d: %v", tc.key, aws.ToString(tc.rng), len(got), len(tc.want), err)
		}
	}

	// The marker is on disk only in plain-copy, stored as SSE-S3 (niwa
	// does not encrypt SSE-S3 objects): exactly one blob holds it.
	holding := 0
	if err := filepath.WalkDir(e.dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte(marker)) {
			holding++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if holding != 1 {
		t.Fatalf("%d files hold the plaintext, want 1 (the SSE-S3 copy)", holding)
	}
}
