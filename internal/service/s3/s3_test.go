package s3

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

func TestValidBucketName(t *testing.T) {
	for name, want := range map[string]bool{
		"abc": true, "my.bucket-1": true, "ab": false, "Upper": false, "a_b": false, "-ab": false, "ab-": false,
		"a..b": false, "192.168.1.1": false, "xn--abc": false, strings.Repeat("a", 64): false, strings.Repeat("a", 63): true,
		"a.-b": false, "x-s3alias": false,
	} {
		if got := validBucketName(name); got != want {
			t.Errorf("%q: %v, want %v", name, got, want)
		}
	}
}

func TestCreateBucketLocation(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		region, constraint, code string
	}{
		{"ap-northeast-1", "", "IllegalLocationConstraintException"},
		{"ap-northeast-1", "eu-west-1", "IllegalLocationConstraintException"},
		{"us-east-1", "us-east-1", "InvalidLocationConstraint"},
		{"us-east-1", "", ""},
		{"ap-northeast-1", "ap-northeast-1", ""},
		// The global endpoint creates buckets anywhere.
		{"us-east-1", "eu-central-1", ""},
		{"us-east-1", "EU", ""},
	}
	for i, c := range cases {
		ctx := f.ctx()
		ctx.Region = c.region
		in := &s3api.CreateBucketInput{Bucket: ptr.To("loc-" + string(rune('a'+i)) + "-bucket")}
		if c.constraint != "" {
			in.CreateBucketConfiguration = &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To(c.constraint)}
		}
		_, err := f.s.CreateBucket(ctx, in)
		if codeOf(err) != c.code {
			t.Errorf("%+v: got %v", c, err)
		}
	}
	f.bucket(t, "dup-bucket")
	_, err := f.s.CreateBucket(f.ctx(), &s3api.CreateBucketInput{Bucket: ptr.To("dup-bucket"),
		CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}})
	if codeOf(err) != "BucketAlreadyOwnedByYou" {
		t.Errorf("dup: %v", err)
	}
	other := f.ctx()
	other.Account = "111111111111"
	_, err = f.s.CreateBucket(other, &s3api.CreateBucketInput{Bucket: ptr.To("dup-bucket"),
		CreateBucketConfiguration: &s3api.CreateBucketConfiguration{LocationConstraint: ptr.To("ap-northeast-1")}})
	if codeOf(err) != "BucketAlreadyExists" {
		t.Errorf("other account: %v", err)
	}
	loc, _ := f.s.GetBucketLocation(f.ctx(), &s3api.GetBucketLocationInput{Bucket: ptr.To("loc-d-bucket")})
	if loc.LocationConstraint != nil {
		t.Errorf("us-east-1 location: %v", *loc.LocationConstraint)
	}
	for name, want := range map[string]string{"loc-f-bucket": "eu-central-1", "loc-g-bucket": "eu-west-1"} {
		loc, err := f.s.GetBucketLocation(f.ctx(), &s3api.GetBucketLocationInput{Bucket: ptr.To(name)})
		if err != nil || ptr.Deref(loc.LocationConstraint) != want {
			t.Errorf("%s location: %v %v, want %s", name, loc, err, want)
		}
	}
}

func TestObjectsRangesAndConditions(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "obj-bucket")
	put := f.put(t, "obj-bucket", "k", "0123456789")
	if *put.ETag != `"781e5e245d69b566979b86e28d23f2c7"` || ptr.Deref(put.ServerSideEncryption) != "AES256" {
		t.Fatalf("put: %+v", put)
	}
	cases := []struct {
		rng, body, cr string
	}{
		{"bytes=2-4", "234", "bytes 2-4/10"},
		{"bytes=7-", "789", "bytes 7-9/10"},
		{"bytes=-2", "89", "bytes 8-9/10"},
		{"bytes=5-100", "56789", "bytes 5-9/10"},
		{"bytes=1-2,4-5", "0123456789", ""}, // multiple ranges: whole object
		{"items=1-2", "0123456789", ""},
	}
	for _, c := range cases {
		body, out := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("obj-bucket"), Key: ptr.To("k"), Range: ptr.To(c.rng)})
		if body != c.body || ptr.Deref(out.ContentRange) != c.cr || *out.ContentLength != int64(len(c.body)) {
			t.Errorf("%s: %q %q %d", c.rng, body, ptr.Deref(out.ContentRange), *out.ContentLength)
		}
	}
	_, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("obj-bucket"), Key: ptr.To("k"), Range: ptr.To("bytes=10-")})
	if codeOf(err) != "InvalidRange" {
		t.Errorf("unsatisfiable: %v", err)
	}
	past := f.clk.Now().Add(-time.Hour)
	future := f.clk.Now().Add(time.Hour)
	conds := []struct {
		in   s3api.GetObjectInput
		code string
	}{
		{s3api.GetObjectInput{IfMatch: put.ETag}, ""},
		{s3api.GetObjectInput{IfMatch: ptr.To(`"x"`)}, "PreconditionFailed"},
		{s3api.GetObjectInput{IfNoneMatch: put.ETag}, "NotModified"},
		{s3api.GetObjectInput{IfNoneMatch: ptr.To("*")}, "NotModified"},
		{s3api.GetObjectInput{IfModifiedSince: &future}, "NotModified"},
		{s3api.GetObjectInput{IfModifiedSince: &past}, ""},
		{s3api.GetObjectInput{IfUnmodifiedSince: &past}, "PreconditionFailed"},
		{s3api.GetObjectInput{IfMatch: put.ETag, IfUnmodifiedSince: &past}, ""}, // If-Match wins
		{s3api.GetObjectInput{IfNoneMatch: ptr.To(`"x"`), IfModifiedSince: &future}, ""},
	}
	for i, c := range conds {
		in := c.in
		in.Bucket, in.Key = ptr.To("obj-bucket"), ptr.To("k")
		_, err := f.s.GetObject(f.ctx(), &in)
		if codeOf(err) != c.code {
			t.Errorf("condition %d: %v, want %s", i, err, c.code)
		}
	}
	_, err = f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("obj-bucket"), Key: ptr.To("none")})
	if codeOf(err) != "NoSuchKey" {
		t.Errorf("missing: %v", err)
	}
	_, err = f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("no-bucket"), Key: ptr.To("k")})
	if codeOf(err) != "NoSuchBucket" {
		t.Errorf("missing bucket: %v", err)
	}
	_, err = f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("obj-bucket"), Key: ptr.To("bad"), Body: strings.NewReader("x"), ContentMD5: ptr.To("AAAAAAAAAAAAAAAAAAAAAA==")})
	if codeOf(err) != "BadDigest" {
		t.Errorf("md5: %v", err)
	}
	_, err = f.s.PutObject(f.ctx(), &s3api.PutObjectInput{Bucket: ptr.To("obj-bucket"), Key: ptr.To("bad"), Body: strings.NewReader("x"), ContentMD5: ptr.To("nope")})
	if codeOf(err) != "InvalidDigest" {
		t.Errorf("bad md5: %v", err)
	}
	_, err = f.s.DeleteBucket(f.ctx(), &s3api.DeleteBucketInput{Bucket: ptr.To("obj-bucket")})
	if codeOf(err) != "BucketNotEmpty" {
		t.Errorf("delete non-empty: %v", err)
	}
}

func TestChecksumHeaders(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "sum-bucket")
	ctx := f.ctx()
	ctx.HTTP.Header.Set("X-Amz-Checksum-Crc32", "NhCmhg==") // crc32("hello")
	out, err := f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr.To("sum-bucket"), Key: ptr.To("k"), Body: strings.NewReader("hello")})
	if err != nil || ptr.Deref(out.ChecksumCRC32) != "NhCmhg==" {
		t.Fatalf("%v %+v", err, out)
	}
	ctx.HTTP.Header.Set("X-Amz-Checksum-Crc32", "AAAAAA==")
	_, err = f.s.PutObject(ctx, &s3api.PutObjectInput{Bucket: ptr.To("sum-bucket"), Key: ptr.To("k"), Body: strings.NewReader("hello")})
	if codeOf(err) != "BadDigest" {
		t.Fatalf("wrong checksum: %v", err)
	}
	_, got := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("sum-bucket"), Key: ptr.To("k"), ChecksumMode: ptr.To("ENABLED")})
	if ptr.Deref(got.ChecksumCRC32) != "NhCmhg==" {
		t.Fatalf("checksum mode: %+v", got)
	}
}

func TestListings(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "list-bucket")
	for _, k := range []string{"a", "b/1", "b/2", "c/x/1", "d", "e e"} {
		f.put(t, "list-bucket", k, "x")
	}
	out, err := f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("list-bucket"), Delimiter: ptr.To("/"), MaxKeys: ptr.To(int32(3))})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 1 || len(out.CommonPrefixes) != 2 || !*out.IsTruncated || *out.KeyCount != 3 {
		t.Fatalf("page 1: %+v", out)
	}
	out2, _ := f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("list-bucket"), Delimiter: ptr.To("/"), ContinuationToken: out.NextContinuationToken})
	if len(out2.Contents) != 2 || *out2.Contents[0].Key != "d" || *out2.IsTruncated {
		t.Fatalf("page 2: %+v", out2)
	}
	enc, _ := f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("list-bucket"), EncodingType: ptr.To("url"), StartAfter: ptr.To("d")})
	if len(enc.Contents) != 1 || *enc.Contents[0].Key != "e+e" {
		t.Fatalf("url encoding: %+v", enc.Contents)
	}
	v1, _ := f.s.ListObjects(f.ctx(), &s3api.ListObjectsInput{Bucket: ptr.To("list-bucket"), Prefix: ptr.To("b/"), Marker: ptr.To("b/1")})
	if len(v1.Contents) != 1 || *v1.Contents[0].Key != "b/2" || v1.Contents[0].Owner == nil {
		t.Fatalf("v1 marker: %+v", v1.Contents)
	}
	_, err = f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("list-bucket"), ContinuationToken: ptr.To("garbage!")})
	if codeOf(err) != "InvalidArgument" {
		t.Fatalf("bad token: %v", err)
	}
}

func TestVersioning(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "ver-bucket")
	f.put(t, "ver-bucket", "k", "pre") // null version
	f.s.PutBucketVersioning(f.ctx(), &s3api.PutBucketVersioningInput{Bucket: ptr.To("ver-bucket"), VersioningConfiguration: &s3api.VersioningConfiguration{Status: ptr.To("Enabled")}})
	v1 := f.put(t, "ver-bucket", "k", "one")
	del, err := f.s.DeleteObject(f.ctx(), &s3api.DeleteObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k")})
	if err != nil || !ptr.Deref(del.DeleteMarker) {
		t.Fatalf("delete: %v %+v", err, del)
	}
	if _, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k")}); codeOf(err) != "NoSuchKey" {
		t.Fatalf("after delete marker: %v", err)
	}
	if _, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k"), VersionId: del.VersionId}); codeOf(err) != "MethodNotAllowed" {
		t.Fatalf("get delete marker: %v", err)
	}
	lv, _ := f.s.ListObjectVersions(f.ctx(), &s3api.ListObjectVersionsInput{Bucket: ptr.To("ver-bucket")})
	if len(lv.Versions) != 2 || len(lv.DeleteMarkers) != 1 || *lv.Versions[0].VersionId != *v1.VersionId || *lv.Versions[1].VersionId != "null" {
		t.Fatalf("versions: %+v", lv)
	}
	body, _ := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k"), VersionId: ptr.To("null")})
	if body != "pre" {
		t.Fatalf("null version: %q", body)
	}
	f.s.DeleteObject(f.ctx(), &s3api.DeleteObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k"), VersionId: del.VersionId})
	body, _ = f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k")})
	if body != "one" {
		t.Fatalf("after removing the marker: %q", body)
	}
	if _, err := f.s.GetObject(f.ctx(), &s3api.GetObjectInput{Bucket: ptr.To("ver-bucket"), Key: ptr.To("k"), VersionId: ptr.To(strings.Repeat("x", 32))}); codeOf(err) != "NoSuchVersion" {
		t.Fatalf("missing version: %v", err)
	}
}

func TestMultipart(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "mp-bucket")
	ctx := f.ctx()
	mp, err := f.s.CreateMultipartUpload(ctx, &s3api.CreateMultipartUploadInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big")})
	if err != nil {
		t.Fatal(err)
	}
	p1, err := f.s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), UploadId: mp.UploadId, PartNumber: ptr.To(int32(1)), Body: strings.NewReader(strings.Repeat("a", minPartSize))})
	if err != nil {
		t.Fatal(err)
	}
	p2, _ := f.s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), UploadId: mp.UploadId, PartNumber: ptr.To(int32(2)), Body: strings.NewReader("tail")})
	if _, err := f.s.UploadPart(ctx, &s3api.UploadPartInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), UploadId: mp.UploadId, PartNumber: ptr.To(int32(10001)), Body: strings.NewReader("x")}); codeOf(err) != "InvalidArgument" {
		t.Fatalf("part 10001: %v", err)
	}
	bad := []s3api.CompletedPart{{ETag: p1.ETag, PartNumber: ptr.To(int32(1))}, {ETag: ptr.To(`"nope"`), PartNumber: ptr.To(int32(2))}}
	if _, err := f.s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), UploadId: mp.UploadId,
		MultipartUpload: &s3api.CompletedMultipartUpload{Parts: bad}}); codeOf(err) != "InvalidPart" {
		t.Fatalf("bad etag: %v", err)
	}
	out, err := f.s.CompleteMultipartUpload(ctx, &s3api.CompleteMultipartUploadInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), UploadId: mp.UploadId,
		MultipartUpload: &s3api.CompletedMultipartUpload{Parts: []s3api.CompletedPart{{ETag: p1.ETag, PartNumber: ptr.To(int32(1))}, {ETag: p2.ETag, PartNumber: ptr.To(int32(2))}}}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(*out.ETag, `-2"`) || len(*out.ETag) != 36 {
		t.Fatalf("etag %s", *out.ETag)
	}
	body, got := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), PartNumber: ptr.To(int32(2))})
	if body != "tail" || ptr.Deref(got.PartsCount) != 2 {
		t.Fatalf("part 2: %q %+v", body, got)
	}
	if _, err := f.s.ListParts(ctx, &s3api.ListPartsInput{Bucket: ptr.To("mp-bucket"), Key: ptr.To("big"), UploadId: mp.UploadId}); codeOf(err) != "NoSuchUpload" {
		t.Fatalf("completed upload: %v", err)
	}
}

func TestCopyInPlace(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "copy-bucket")
	f.put(t, "copy-bucket", "k", "data")
	_, err := f.s.CopyObject(f.ctx(), &s3api.CopyObjectInput{Bucket: ptr.To("copy-bucket"), Key: ptr.To("k"), CopySource: ptr.To("copy-bucket/k")})
	if codeOf(err) != "InvalidRequest" {
		t.Fatalf("copy to itself: %v", err)
	}
	out, err := f.s.CopyObject(f.ctx(), &s3api.CopyObjectInput{Bucket: ptr.To("copy-bucket"), Key: ptr.To("k"), CopySource: ptr.To("/copy-bucket/k"), ServerSideEncryption: ptr.To("aws:kms")})
	if err != nil || ptr.Deref(out.ServerSideEncryption) != "aws:kms" || !strings.Contains(ptr.Deref(out.SSEKMSKeyId), "alias/aws/s3") {
		t.Fatalf("copy with sse: %v %+v", err, out)
	}
	body, got := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("copy-bucket"), Key: ptr.To("k")})
	if body != "data" || ptr.Deref(got.ServerSideEncryption) != "aws:kms" {
		t.Fatalf("after copy: %q %+v", body, got)
	}
	_, err = f.s.CopyObject(f.ctx(), &s3api.CopyObjectInput{Bucket: ptr.To("copy-bucket"), Key: ptr.To("k2"), CopySource: ptr.To("copy-bucket/k"), CopySourceIfMatch: ptr.To(`"x"`)})
	if codeOf(err) != "PreconditionFailed" {
		t.Fatalf("copy condition: %v", err)
	}
}

func TestParsePolicy(t *testing.T) {
	ok := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::b/*"}]}`
	cases := map[string]string{
		ok:     "",
		"nope": "Policies must be valid JSON and the first byte must be '{'",
		`{"Statement":[{"Effect":"Maybe","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::b"}]}`:   "Invalid effect: Maybe",
		`{"Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"arn:aws:s3:::b"}]}`:                   "Missing required field Principal",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"ec2:*","Resource":"arn:aws:s3:::b"}]}`:  "Policy has invalid action",
		`{"Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"arn:aws:s3:::c/*"}]}`: "Policy has invalid resource",
		`{"Version":"2012-10-17"}`: "Missing required field Statement",
	}
	for doc, msg := range cases {
		_, err := parsePolicy("b", doc)
		if msg == "" && err != nil || msg != "" && (err == nil || !strings.Contains(err.Error(), msg)) {
			t.Errorf("%s: %v, want %q", doc, err, msg)
		}
	}
}

func TestAnonymousReadAndPublicBlock(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "pub-bucket")
	f.put(t, "pub-bucket", "index.html", "hi")
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::pub-bucket/*"}]}`
	_, err := f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To("pub-bucket"), Policy: ptr.To(policy)})
	if codeOf(err) != "AccessDenied" {
		t.Fatalf("public policy under BlockPublicPolicy: %v", err)
	}
	if ok, _ := f.s.AllowsAnonymousRead(context.Background(), "pub-bucket", "index.html"); ok {
		t.Fatal("private bucket readable")
	}
	f.s.DeletePublicAccessBlock(f.ctx(), &s3api.DeletePublicAccessBlockInput{Bucket: ptr.To("pub-bucket")})
	if _, err := f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To("pub-bucket"), Policy: ptr.To(policy)}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.s.AllowsAnonymousRead(context.Background(), "pub-bucket", "index.html"); !ok {
		t.Fatal("public-read policy not honoured")
	}
	doc, owner, found, _ := f.s.ResourcePolicy(context.Background(), "arn:aws:s3:::pub-bucket/index.html")
	if !found || owner != testAccount || doc != policy {
		t.Fatalf("ResourcePolicy: %v %q %q", found, owner, doc)
	}
	// ACLs are disabled by default (BucketOwnerEnforced).
	_, err = f.s.PutBucketAcl(f.ctx(), &s3api.PutBucketAclInput{Bucket: ptr.To("pub-bucket"), ACL: ptr.To("public-read")})
	if codeOf(err) != "AccessControlListNotSupported" {
		t.Fatalf("acl on enforced bucket: %v", err)
	}
	f.s.PutBucketOwnershipControls(f.ctx(), &s3api.PutBucketOwnershipControlsInput{Bucket: ptr.To("pub-bucket"),
		OwnershipControls: &s3api.OwnershipControls{Rules: []s3api.OwnershipControlsRule{{ObjectOwnership: ptr.To("ObjectWriter")}}}})
	if _, err := f.s.PutBucketAcl(f.ctx(), &s3api.PutBucketAclInput{Bucket: ptr.To("pub-bucket"), ACL: ptr.To("public-read")}); err != nil {
		t.Fatal(err)
	}
	if ok, _ := f.s.ACLAllows(context.Background(), "s3:ListBucket", "arn:aws:s3:::pub-bucket", ""); !ok {
		t.Fatal("public-read bucket ACL not reported")
	}
	if ok, _ := f.s.ACLAllows(context.Background(), "s3:PutObject", "arn:aws:s3:::pub-bucket/", ""); ok {
		t.Fatal("public-read ACL reported writable")
	}
}

func TestNotifications(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "note-bucket")
	cfg := &s3api.NotificationConfiguration{QueueConfigurations: []s3api.QueueConfiguration{{
		QueueArn: ptr.To("arn:aws:sqs:ap-northeast-1:000000000000:q"), Events: []string{"s3:ObjectCreated:*"},
		Filter: &s3api.NotificationConfigurationFilter{Key: &s3api.S3KeyFilter{FilterRules: []s3api.FilterRule{{Name: ptr.To("prefix"), Value: ptr.To("in/")}, {Name: ptr.To("suffix"), Value: ptr.To(".jpg")}}}},
	}}}
	_, err := f.s.PutBucketNotificationConfiguration(f.ctx(), &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr.To("note-bucket"), NotificationConfiguration: cfg})
	if codeOf(err) != "InvalidArgument" || !strings.Contains(err.Error(), "Unable to validate the following destination configurations") {
		t.Fatalf("no SQS yet: %v", err)
	}
	var mu sync.Mutex
	var got []events.Message
	f.bus.Handle("sqs", events.HandlerFunc(func(ctx context.Context, m events.Message) error {
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
		return nil
	}))
	var bridged []events.Event
	f.bus.Subscribe(func(e events.Event) { bridged = append(bridged, e) })
	cfg.EventBridgeConfiguration = &s3api.EventBridgeConfiguration{}
	if _, err := f.s.PutBucketNotificationConfiguration(f.ctx(), &s3api.PutBucketNotificationConfigurationInput{Bucket: ptr.To("note-bucket"), NotificationConfiguration: cfg}); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Validate || !strings.Contains(got[1].Body, `"Event":"s3:TestEvent"`) {
		t.Fatalf("validation and test event: %+v", got)
	}
	f.put(t, "note-bucket", "in/cat.jpg", "meow")
	f.put(t, "note-bucket", "out/cat.jpg", "meow")
	f.put(t, "note-bucket", "in/cat.png", "meow")
	if len(got) != 3 {
		t.Fatalf("filtered deliveries: %d", len(got))
	}
	var rec struct {
		Records []struct {
			EventVersion, EventSource, AwsRegion, EventName, EventTime string
			S3                                                         struct {
				ConfigurationID string `json:"configurationId"`
				Bucket          struct{ Name, Arn string }
				Object          struct {
					Key       string
					Size      int64
					ETag      string `json:"eTag"`
					Sequencer string
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(got[2].Body), &rec); err != nil {
		t.Fatal(err)
	}
	r := rec.Records[0]
	if r.EventVersion != "2.1" || r.EventSource != "aws:s3" || r.EventName != "ObjectCreated:Put" || r.AwsRegion != "ap-northeast-1" ||
		r.EventTime != "2026-05-01T12:00:00.000Z" || r.S3.Bucket.Arn != "arn:aws:s3:::note-bucket" || r.S3.Object.Key != "in/cat.jpg" ||
		r.S3.Object.Size != 4 || r.S3.Object.ETag == "" || r.S3.Object.Sequencer == "" || r.S3.ConfigurationID == "" {
		t.Fatalf("record: %s", got[2].Body)
	}
	// S3 writes the fields in a fixed order; the text keeps it.
	inOrder := func(body string, keys ...string) {
		t.Helper()
		at := -1
		for _, k := range keys {
			i := strings.Index(body, `"`+k+`":`)
			if i <= at {
				t.Fatalf("%q not after the previous key in %s", k, body)
			}
			at = i
		}
	}
	inOrder(got[1].Body, "Service", "Event", "Time", "Bucket", "RequestId", "HostId")
	inOrder(got[2].Body, "Records", "eventVersion", "eventSource", "awsRegion", "eventTime", "eventName", "userIdentity",
		"principalId", "requestParameters", "sourceIPAddress", "responseElements", "x-amz-request-id", "x-amz-id-2",
		"s3", "s3SchemaVersion", "configurationId", "bucket", "name", "ownerIdentity", "arn", "object", "key", "size", "eTag", "sequencer")
	if got[2].SourceService != "s3.amazonaws.com" || got[2].SourceARN != "arn:aws:s3:::note-bucket" {
		t.Fatalf("source: %+v", got[2])
	}
	if len(bridged) != 3 || bridged[0].Source != "aws.s3" || bridged[0].DetailType != "Object Created" {
		t.Fatalf("eventbridge: %+v", bridged)
	}
}

func TestAccessLogFlushedOnClock(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "src-bucket")
	f.bucket(t, "dst-bucket")
	f.allowLogDelivery(t, "dst-bucket", "src-bucket")
	if _, err := f.s.PutBucketLogging(f.ctx(), &s3api.PutBucketLoggingInput{Bucket: ptr.To("src-bucket"), BucketLoggingStatus: &s3api.BucketLoggingStatus{
		LoggingEnabled: &s3api.LoggingEnabled{TargetBucket: ptr.To("dst-bucket"), TargetPrefix: ptr.To("logs/")}}}); err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/src-bucket/key?versionId=v1", nil)
	r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=...")
	r.Header.Set("User-Agent", "test-agent")
	f.s.ObserveRequest(request.Observation{Request: r, Operation: "GetObject", Status: 404, ErrorCode: "NoSuchKey", BytesSent: 300,
		RequestID: "RID", HostID: "HID", Caller: "arn:aws:iam::000000000000:user/u", Duration: 3 * time.Millisecond})
	list := func() []s3api.Object {
		out, _ := f.s.ListObjectsV2(f.ctx(), &s3api.ListObjectsV2Input{Bucket: ptr.To("dst-bucket")})
		return out.Contents
	}
	if n := len(list()); n != 0 {
		t.Fatalf("flushed early: %d", n)
	}
	f.clk.Advance(5 * time.Second)
	var objs []s3api.Object
	for i := 0; i < 500 && len(objs) == 0; i++ { // AfterFunc runs on its own goroutine
		objs = list()
		time.Sleep(time.Millisecond)
	}
	if len(objs) != 1 || !strings.HasPrefix(*objs[0].Key, "logs/2026-05-01-12-00-05-") {
		t.Fatalf("log objects: %+v", objs)
	}
	body, _ := f.get(t, &s3api.GetObjectInput{Bucket: ptr.To("dst-bucket"), Key: objs[0].Key})
	want := canonicalID(testAccount) + ` src-bucket [01/May/2026:12:00:00 +0000] 192.0.2.1 arn:aws:iam::000000000000:user/u RID REST.GET.OBJECT key "GET /src-bucket/key?versionId=v1 HTTP/1.1" 404 NoSuchKey 300 - 3 3 "-" "test-agent" v1 HID SigV4 - AuthHeader example.com - - -` + "\n"
	if body != want {
		t.Fatalf("log line:\n%s\nwant:\n%s", body, want)
	}
}

func TestWebsiteServing(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "site-bucket")
	f.put(t, "site-bucket", "index.html", "home")
	f.s.PutBucketWebsite(f.ctx(), &s3api.PutBucketWebsiteInput{Bucket: ptr.To("site-bucket"), WebsiteConfiguration: &s3api.WebsiteConfiguration{
		IndexDocument: &s3api.IndexDocument{Suffix: ptr.To("index.html")},
		RoutingRules:  []s3api.RoutingRule{{Condition: &s3api.Condition{KeyPrefixEquals: ptr.To("old/")}, Redirect: &s3api.Redirect{ReplaceKeyPrefixWith: ptr.To("new/")}}},
	}})
	route := f.websiteRoute()
	do := func(path string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("GET", "http://site-bucket.s3-website-ap-northeast-1.localhost"+path, nil)
		if !route.Match(r) {
			t.Fatalf("route does not match %s", r.Host)
		}
		w := httptest.NewRecorder()
		route.Handler.ServeHTTP(w, r)
		return w
	}
	if w := do("/"); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "<li>Code: AccessDenied</li>") {
		t.Fatalf("private: %d %s", w.Code, w.Body)
	}
	f.s.DeletePublicAccessBlock(f.ctx(), &s3api.DeletePublicAccessBlockInput{Bucket: ptr.To("site-bucket")})
	f.s.PutBucketPolicy(f.ctx(), &s3api.PutBucketPolicyInput{Bucket: ptr.To("site-bucket"), Policy: ptr.To(
		`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":["s3:GetObject"],"Resource":["arn:aws:s3:::site-bucket/*"]}]}`)})
	if w := do("/"); w.Code != 200 || w.Body.String() != "home" {
		t.Fatalf("index: %d %s", w.Code, w.Body)
	}
	if w := do("/missing"); w.Code != 404 || !strings.Contains(w.Body.String(), "<li>Code: NoSuchKey</li>") || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Fatalf("missing: %d %s", w.Code, w.Body)
	}
	if w := do("/old/page.html"); w.Code != 301 || w.Header().Get("Location") != "http://site-bucket.s3-website-ap-northeast-1.localhost/new/page.html" {
		t.Fatalf("routing rule: %d %v", w.Code, w.Header())
	}
	io.Discard.Write(nil)
}
