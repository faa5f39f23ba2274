package s3

import (
	"reflect"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestAuthzRules: S3's operations ask for the action the Service
// Authorization Reference names, on the bucket or object; listings carry
// s3:prefix even when empty; a copy also reads its source.
func TestAuthzRules(t *testing.T) {
	s := &S3{}
	a := kit.Authz{Renames: renames, Resources: s.resources, Context: s.contextKeys, Extra: s.extraChecks}
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	type ar struct{ action, resource string }
	for _, tc := range []struct {
		op   string
		in   any
		want []ar
	}{
		{"ListObjectsV2", &s3api.ListObjectsV2Input{Bucket: ptr.To("b")}, []ar{{"s3:ListBucket", "arn:aws:s3:::b"}}},
		{"HeadObject", &s3api.HeadObjectInput{Bucket: ptr.To("b"), Key: ptr.To("k")}, []ar{{"s3:GetObject", "arn:aws:s3:::b/k"}}},
		{"DeleteObjects", &s3api.DeleteObjectsInput{Bucket: ptr.To("b")}, []ar{{"s3:DeleteObject", "arn:aws:s3:::b/*"}}},
		{"CopyObject", &s3api.CopyObjectInput{Bucket: ptr.To("b"), Key: ptr.To("k"), CopySource: ptr.To("/src/a%20b?versionId=1")},
			[]ar{{"s3:PutObject", "arn:aws:s3:::b/k"}, {"s3:GetObject", "arn:aws:s3:::src/a b"}}},
		{"ListBuckets", &s3api.ListBucketsInput{}, []ar{{"s3:ListAllMyBuckets", "*"}}},
	} {
		var got []ar
		for _, c := range a.Checks("s3", tc.op, tc.in, env) {
			got = append(got, ar{c.Action, c.Resource})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
	c := a.Checks("s3", "ListObjects", &s3api.ListObjectsInput{Bucket: ptr.To("b")}, env)[0].Context
	if !reflect.DeepEqual(c["s3:prefix"], []string{""}) {
		t.Errorf("s3:prefix of a listing without one: %v", c)
	}
	c = a.Checks("s3", "CreateBucket", &s3api.CreateBucketInput{Bucket: ptr.To("b"), BucketNamespace: ptr.To("account-regional")}, env)[0].Context
	if !reflect.DeepEqual(c["s3:x-amz-bucket-namespace"], []string{"account-regional"}) {
		t.Errorf("s3:x-amz-bucket-namespace of CreateBucket: %v", c)
	}
}

// TestAuditRules: object calls are data events, bucket calls management
// events.
func TestAuditRules(t *testing.T) {
	for op, want := range map[string]bool{"PutObject": true, "UploadPart": true, "ListObjectsV2": true, "CreateBucket": false, "PutBucketPolicy": false} {
		if dataEvents[op] != want {
			t.Errorf("%s: data event %v, want %v", op, dataEvents[op], want)
		}
	}
}

// TestTagKeys: objects answer s3:ExistingObjectTag; buckets nothing
// (bucket tags take part only with ABAC enabled).
func TestTagKeys(t *testing.T) {
	if got := tagKeys("arn:aws:s3:::b/k"); !reflect.DeepEqual(got, []string{"s3:existingobjecttag/"}) {
		t.Errorf("object: %v", got)
	}
	if got := tagKeys("arn:aws:s3:::b"); got != nil {
		t.Errorf("bucket: %v", got)
	}
}

// TestS3ObjectLockAndAttributesChecks: the governance bypass and
// GetObjectAttributes ask a second question, as S3 does; the Intelligent-
// Tiering operations use their IAM action names.
func TestS3ObjectLockAndAttributesChecks(t *testing.T) {
	s := &S3{}
	tr := true
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	a := kit.Authz{Renames: renames, Resources: s.resources, Context: s.contextKeys, Extra: s.extraChecks}
	for _, tc := range []struct {
		op   string
		in   any
		want []string // action@resource of every check
	}{
		{"DeleteObject", &s3api.DeleteObjectInput{Bucket: ptr.To("b"), Key: ptr.To("k")}, []string{"s3:DeleteObject@arn:aws:s3:::b/k"}},
		{"DeleteObject", &s3api.DeleteObjectInput{Bucket: ptr.To("b"), Key: ptr.To("k"), BypassGovernanceRetention: &tr},
			[]string{"s3:DeleteObject@arn:aws:s3:::b/k", "s3:BypassGovernanceRetention@arn:aws:s3:::b/k"}},
		{"DeleteObjects", &s3api.DeleteObjectsInput{Bucket: ptr.To("b"), BypassGovernanceRetention: &tr},
			[]string{"s3:DeleteObject@arn:aws:s3:::b/*", "s3:BypassGovernanceRetention@arn:aws:s3:::b/*"}},
		{"PutObjectRetention", &s3api.PutObjectRetentionInput{Bucket: ptr.To("b"), Key: ptr.To("k"), BypassGovernanceRetention: &tr},
			[]string{"s3:PutObjectRetention@arn:aws:s3:::b/k", "s3:BypassGovernanceRetention@arn:aws:s3:::b/k"}},
		{"GetObjectAttributes", &s3api.GetObjectAttributesInput{Bucket: ptr.To("b"), Key: ptr.To("k")},
			[]string{"s3:GetObject@arn:aws:s3:::b/k", "s3:GetObjectAttributes@arn:aws:s3:::b/k"}},
		{"UpdateObjectEncryption", &s3api.UpdateObjectEncryptionInput{Bucket: ptr.To("b"), Key: ptr.To("k")},
			[]string{"s3:UpdateObjectEncryption@arn:aws:s3:::b/k", "s3:PutObject@arn:aws:s3:::b/k"}},
		{"PutBucketIntelligentTieringConfiguration", &s3api.PutBucketIntelligentTieringConfigurationInput{Bucket: ptr.To("b")},
			[]string{"s3:PutIntelligentTieringConfiguration@arn:aws:s3:::b"}},
		{"ListBucketIntelligentTieringConfigurations", &s3api.ListBucketIntelligentTieringConfigurationsInput{Bucket: ptr.To("b")},
			[]string{"s3:GetIntelligentTieringConfiguration@arn:aws:s3:::b"}},
	} {
		var got []string
		for _, c := range a.Checks("s3", tc.op, tc.in, env) {
			got = append(got, c.Action+"@"+c.Resource)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.op, got, tc.want)
		}
	}
}

// TestMissingKeyQuestion: GetObject's and HeadObject's missing-key
// question is s3:ListBucket on the bucket with s3:prefix the key, asked
// of neither another operation nor a version's read; Exists answers the
// store; and asking the question builds neither the keys nor the
// look-up: one allocation (the bucket's ARN) where building them with
// it cost five, whatever the answer turns out to need.
func TestMissingKeyQuestion(t *testing.T) {
	f := newFixture(t)
	f.bucket(t, "missing-key")
	f.put(t, "missing-key", "there", "x")
	e := f.s.missingKey()
	in := func(v any) kit.Input { i, _ := kit.NewInput(v); return i }
	get := in(&s3api.GetObjectInput{Bucket: ptr.To("missing-key"), Key: ptr.To("there")})
	for _, tc := range []struct {
		op string
		in kit.Input
		ok bool
	}{
		{"GetObject", get, true},
		{"HeadObject", in(&s3api.HeadObjectInput{Bucket: ptr.To("missing-key"), Key: ptr.To("there")}), true},
		{"GetObject", in(&s3api.GetObjectInput{Bucket: ptr.To("missing-key"), Key: ptr.To("there"), VersionId: ptr.To("v")}), false},
		{"GetObject", in(&s3api.GetObjectInput{Bucket: ptr.To("missing-key")}), false},
		{"GetObjectTagging", in(&s3api.GetObjectTaggingInput{Bucket: ptr.To("missing-key"), Key: ptr.To("there")}), false},
	} {
		c, ok := e.Check(tc.op, tc.in)
		if ok != tc.ok {
			t.Fatalf("%s: asked %v, want %v", tc.op, ok, tc.ok)
		}
		if !ok {
			continue
		}
		if c.Action != "s3:ListBucket" || c.Resource != "arn:aws:s3:::missing-key" || c.Context != nil {
			t.Errorf("%s: %+v", tc.op, c)
		}
		if k := e.Keys(tc.op, tc.in); !reflect.DeepEqual(k, iam.Context{"s3:prefix": {"there"}}) {
			t.Errorf("%s: keys %v", tc.op, k)
		}
	}
	ctx := f.ctx()
	for key, want := range map[string]bool{"there": true, "gone": false} {
		there, err := e.Exists(ctx, "GetObject", in(&s3api.GetObjectInput{Bucket: ptr.To("missing-key"), Key: ptr.To(key)}))
		if err != nil || there != want {
			t.Errorf("%s: exists %v, %v; want %v", key, there, err, want)
		}
	}
	if n := testing.AllocsPerRun(100, func() {
		if _, ok := e.Check("GetObject", get); !ok {
			t.Fatal("no question")
		}
	}); n > 1 {
		t.Errorf("the missing-key question allocates %v times, want at most 1 (the bucket's ARN)", n)
	}
}
