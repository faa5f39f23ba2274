package cloudtrail

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeObjects is S3 as CloudTrail sees it: buckets that exist, whether
// their policy lets cloudtrail.amazonaws.com write, and what was written.
type fakeObjects struct {
	mu      sync.Mutex
	buckets map[string]bool // bucket → policy allows CloudTrail
	objs    map[string][]byte
	meta    map[string]map[string]string
	checked []objects.Principal
}

func newFakeObjects() *fakeObjects {
	return &fakeObjects{buckets: map[string]bool{}, objs: map[string][]byte{}, meta: map[string]map[string]string{}}
}

func (f *fakeObjects) access(bucket string, p objects.Principal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	allowed, ok := f.buckets[bucket]
	f.checked = append(f.checked, p)
	switch {
	case !ok:
		return objects.ErrNoSuchBucket
	case !allowed || p.Service != "cloudtrail.amazonaws.com":
		return objects.ErrAccessDenied
	}
	return nil
}

func (f *fakeObjects) CheckObjectAccess(_ context.Context, bucket, _ string, p objects.Principal, _ ...string) (string, string, error) {
	return "us-east-1", servicetest.DefaultAccount, f.access(bucket, p)
}

func (f *fakeObjects) PutServiceObject(ctx context.Context, bucket, key string, body []byte, p objects.Principal) error {
	return f.PutServiceObjectWith(ctx, bucket, key, body, p, objects.PutOptions{})
}

func (f *fakeObjects) PutServiceObjectWith(_ context.Context, bucket, key string, body []byte, p objects.Principal, o objects.PutOptions) error {
	if err := f.access(bucket, p); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.objs[bucket+"/"+key] = append([]byte(nil), body...)
	f.meta[bucket+"/"+key] = o.Metadata
	return nil
}

func (f *fakeObjects) ListServiceObjects(context.Context, string, string, objects.Principal) ([]objects.Object, error) {
	return nil, nil
}

func (f *fakeObjects) OpenServiceObject(context.Context, string, string, objects.Principal) (io.ReadCloser, int64, error) {
	return nil, 0, objects.ErrNoSuchKey
}

// keys returns the written keys under prefix, sorted.
func (f *fakeObjects) keys(prefix string) []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []string
	for k := range f.objs {
		if strings.HasPrefix(k, prefix) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func (f *fakeObjects) gunzip(t *testing.T, key string) []byte {
	t.Helper()
	f.mu.Lock()
	body := f.objs[key]
	f.mu.Unlock()
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// fixture is CloudTrail on a fake clock with fake S3, and a bus.
type fixture struct {
	h   *servicetest.Harness
	c   *CloudTrail
	obj *fakeObjects
	bus *events.Bus
	clk *clock.Fake
	n   int
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	return newFixtureWith(t, Options{})
}

// newFixtureWith is newFixture with opts (Objects is the fixture's).
func newFixtureWith(t *testing.T, opts Options) *fixture {
	t.Helper()
	h := servicetest.New(t, "cloudtrail")
	obj := newFakeObjects()
	obj.buckets["logs"] = true
	obj.buckets["locked"] = false
	bus := events.New()
	opts.Objects = obj
	c := New(h.Store(), h.Clock, bus, opts)
	t.Cleanup(func() { _ = c.Close() })
	bus.HandleRecords(c)
	return &fixture{h: h, c: c, obj: obj, bus: bus, clk: h.Clock}
}

func (f *fixture) ctx(region string) *request.Context {
	ctx := f.h.Ctx()
	ctx.Region = region
	return ctx
}

// record hands CloudTrail a record as the audit hook builds it.
func (f *fixture) record(region, source, name string, readOnly, management bool, params map[string]any) string {
	f.n++
	id := fmt.Sprintf("00000000-0000-4000-8000-%012d", f.n)
	cat := "Management"
	if !management {
		cat = "Data"
	}
	rec := map[string]any{
		"eventVersion": "1.08",
		"userIdentity": map[string]any{"type": "IAMUser", "principalId": "AIDAALICE", "arn": "arn:aws:iam::123456789012:user/alice",
			"accountId": "123456789012", "accessKeyId": "AKIAALICE", "userName": "alice"},
		"eventTime": f.clk.Now().UTC().Format(time.RFC3339), "eventSource": source, "eventName": name, "awsRegion": region,
		"sourceIPAddress": "127.0.0.1", "userAgent": "aws-cli/2", "requestParameters": params, "responseElements": nil,
		"requestID": "req", "eventID": id, "readOnly": readOnly, "eventType": "AwsApiCall", "managementEvent": management,
		"recipientAccountId": "123456789012", "eventCategory": cat,
	}
	detail, _ := json.Marshal(rec)
	// The fields the audit hook hands along with the JSON.
	fields := &events.RecordFields{Time: f.clk.Now().UTC().Truncate(time.Second), Name: name, Source: source,
		ReadOnly: readOnly, Management: management, EventType: "AwsApiCall", UserType: "IAMUser",
		UserARN: "arn:aws:iam::123456789012:user/alice", AccessKeyID: "AKIAALICE", UserName: "alice", RequestParameters: params}
	f.bus.PublishRecord(events.Record{Event: events.Event{ID: id, Account: "123456789012", Region: region, Detail: detail}, Fields: fields})
	return id
}

func (f *fixture) createTrail(t *testing.T, in *cloudtrailapi.CreateTrailInput) *cloudtrailapi.CreateTrailOutput {
	t.Helper()
	if in.S3BucketName == nil {
		in.S3BucketName = ptr.To("logs")
	}
	out, err := f.c.CreateTrail(f.ctx(servicetest.DefaultRegion), in)
	if err != nil {
		t.Fatalf("CreateTrail: %v", err)
	}
	return out
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if err == nil || !strings.Contains(err.Error(), code) {
		t.Fatalf("error %v, want %s", err, code)
	}
}

func TestTrailNames(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"my-trail", true}, {"My.Trail_1", true}, {"ab", false}, {strings.Repeat("a", 129), false},
		{"-trail", false}, {"trail-", false}, {"my--trail", false}, {"my-_trail", false},
		{"my trail", false}, {"10.0.0.1", false}, {"abc", true},
	}
	for _, tc := range tests {
		err := validateTrailName(tc.name)
		if (err == nil) != tc.ok {
			t.Errorf("validateTrailName(%q) = %v, want ok=%v", tc.name, err, tc.ok)
		}
		if err != nil && !cloudtrailapi.ErrInvalidTrailNameException.Is(err) {
			t.Errorf("validateTrailName(%q) = %v, want InvalidTrailNameException", tc.name, err)
		}
	}
}

func TestCreateTrailChecks(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	tests := []struct {
		name string
		in   cloudtrailapi.CreateTrailInput
		code string
	}{
		{"policy does not allow CloudTrail", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("locked")}, "InsufficientS3BucketPolicyException"},
		{"no bucket", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("nope")}, "S3BucketDoesNotExistException"},
		{"bad bucket name", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("Bad_Bucket")}, "InvalidS3BucketNameException"},
		{"organization", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("logs"), IsOrganizationTrail: ptr.To(true)}, "OrganizationsNotInUseException"},
		{"bad name", cloudtrailapi.CreateTrailInput{Name: ptr.To("t"), S3BucketName: ptr.To("logs")}, "InvalidTrailNameException"},
		{"multi-region without global", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("logs"),
			IsMultiRegionTrail: ptr.To(true), IncludeGlobalServiceEvents: ptr.To(false)}, "InvalidParameterCombinationException"},
		{"unknown topic", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("logs"), SnsTopicName: ptr.To("nope")}, "InsufficientSnsTopicPolicyException"},
		{"key without KMS", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("logs"), KmsKeyId: ptr.To("alias/k")}, "KmsKeyNotFoundException"},
		{"log group without role", cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("logs"),
			CloudWatchLogsLogGroupArn: ptr.To("arn:aws:logs:us-east-1:123456789012:log-group:g:*")}, "InvalidCloudWatchLogsRoleArnException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.c.CreateTrail(ctx, &tc.in)
			wantCode(t, err, tc.code)
		})
	}
	// The bucket check acts as cloudtrail.amazonaws.com for the trail.
	p := f.obj.checked[0]
	if p.Service != "cloudtrail.amazonaws.com" || p.SourceARN != "arn:aws:cloudtrail:us-east-1:123456789012:trail/tr1" || p.SourceAccount != "123456789012" {
		t.Fatalf("bucket checked as %+v", p)
	}
	out := f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1")})
	if ptr.Deref(out.TrailARN) != "arn:aws:cloudtrail:us-east-1:123456789012:trail/tr1" || !ptr.Deref(out.IncludeGlobalServiceEvents) {
		t.Fatalf("CreateTrail = %+v", out)
	}
	_, err := f.c.CreateTrail(ctx, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3BucketName: ptr.To("logs")})
	wantCode(t, err, "TrailAlreadyExistsException")
	for i := 2; i <= 5; i++ {
		f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To(fmt.Sprintf("tr%d", i))})
	}
	_, err = f.c.CreateTrail(ctx, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr6"), S3BucketName: ptr.To("logs")})
	wantCode(t, err, "MaximumNumberOfTrailsExceededException")
}

func TestMultiRegionShadows(t *testing.T) {
	f := newFixture(t)
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("everywhere"), IsMultiRegionTrail: ptr.To(true)})
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("home-only")})
	west := f.ctx("us-west-2")

	d, err := f.c.DescribeTrails(west, &cloudtrailapi.DescribeTrailsInput{})
	if err != nil || len(d.TrailList) != 1 || ptr.Deref(d.TrailList[0].HomeRegion) != "us-east-1" || ptr.Deref(d.TrailList[0].Name) != "everywhere" {
		t.Fatalf("DescribeTrails from us-west-2 = %+v, %v", d, err)
	}
	d, _ = f.c.DescribeTrails(west, &cloudtrailapi.DescribeTrailsInput{IncludeShadowTrails: ptr.To(false)})
	if len(d.TrailList) != 0 {
		t.Fatalf("without shadows = %+v", d.TrailList)
	}
	if _, err := f.c.GetTrail(west, &cloudtrailapi.GetTrailInput{Name: ptr.To("everywhere")}); err != nil {
		t.Fatalf("GetTrail of a shadow: %v", err)
	}
	_, err = f.c.GetTrail(west, &cloudtrailapi.GetTrailInput{Name: ptr.To("home-only")})
	wantCode(t, err, "TrailNotFoundException")
	_, err = f.c.DeleteTrail(west, &cloudtrailapi.DeleteTrailInput{Name: ptr.To("everywhere")})
	wantCode(t, err, "InvalidHomeRegionException")
	_, err = f.c.StartLogging(west, &cloudtrailapi.StartLoggingInput{Name: ptr.To("everywhere")})
	wantCode(t, err, "InvalidHomeRegionException")
	l, err := f.c.ListTrails(west, &cloudtrailapi.ListTrailsInput{})
	if err != nil || len(l.Trails) != 1 {
		t.Fatalf("ListTrails from us-west-2 = %+v, %v", l, err)
	}
}

// deliveredRecords reads every log file delivered under prefix.
func (f *fixture) deliveredRecords(t *testing.T, prefix string) (files []string, recs []map[string]any) {
	t.Helper()
	for _, k := range f.obj.keys(prefix) {
		if !strings.Contains(k, "/CloudTrail/") {
			continue
		}
		files = append(files, k)
		var doc struct {
			Records []map[string]any `json:"Records"`
		}
		if err := json.Unmarshal(f.obj.gunzip(t, k), &doc); err != nil {
			t.Fatal(err)
		}
		recs = append(recs, doc.Records...)
	}
	return files, recs
}

var logKeyRE = regexp.MustCompile(`^logs/pre/AWSLogs/123456789012/CloudTrail/us-east-1/2026/05/01/123456789012_CloudTrail_us-east-1_20260501T\d{4}Z_[A-Za-z0-9]{16}\.json\.gz$`)

func TestDeliveryOnTheClock(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), S3KeyPrefix: ptr.To("pre")})
	f.record("us-east-1", "s3.amazonaws.com", "CreateBucket", false, true, map[string]any{"bucketName": "before"})
	if _, err := f.c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	f.record("us-east-1", "s3.amazonaws.com", "CreateBucket", false, true, map[string]any{"bucketName": "b1"})
	f.record("us-east-1", "s3.amazonaws.com", "PutObject", false, false, map[string]any{"bucketName": "b1", "key": "hane.jpg"})
	f.record("us-west-2", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "q"})
	f.record("us-east-1", "iam.amazonaws.com", "CreateRole", false, true, map[string]any{"roleName": "r"})

	// Nothing is delivered before the interval has passed.
	if files, _ := f.deliveredRecords(t, "logs/"); len(files) != 0 {
		t.Fatalf("delivered before the interval: %v", files)
	}
	f.advance(t, DefaultDeliveryInterval)
	files, recs := f.deliveredRecords(t, "logs/")
	if len(files) != 1 || !logKeyRE.MatchString(files[0]) {
		t.Fatalf("delivered files %v", files)
	}
	var names []string
	for _, r := range recs {
		names = append(names, r["eventName"].(string)+":"+fmt.Sprint(r["requestParameters"]))
	}
	// The default selectors: management events of the home region,
	// global service events included; not the data event, not what was
	// recorded before logging started, not another region's.
	want := []string{"CreateBucket:map[bucketName:b1]", "CreateRole:map[roleName:r]"}
	if fmt.Sprint(names) != fmt.Sprint(want) {
		t.Fatalf("delivered %v, want %v", names, want)
	}
	st, err := f.c.GetTrailStatus(ctx, &cloudtrailapi.GetTrailStatusInput{Name: ptr.To("tr1")})
	if err != nil || !ptr.Deref(st.IsLogging) || st.LatestDeliveryTime == nil || st.LatestDeliveryError != nil {
		t.Fatalf("status %+v, %v", st, err)
	}

	// Delivered records are not delivered again.
	f.advance(t, DefaultDeliveryInterval)
	if files, _ := f.deliveredRecords(t, "logs/"); len(files) != 1 {
		t.Fatalf("files after an idle interval: %v", files)
	}

	// S3 data events with a basic selector on the bucket.
	if _, err := f.c.PutEventSelectors(ctx, &cloudtrailapi.PutEventSelectorsInput{TrailName: ptr.To("tr1"),
		EventSelectors: []cloudtrailapi.EventSelector{{ReadWriteType: ptr.To("WriteOnly"), IncludeManagementEvents: ptr.To(false),
			DataResources: []cloudtrailapi.DataResource{{Type: ptr.To("AWS::S3::Object"), Values: []string{"arn:aws:s3:::b1/"}}}}}}); err != nil {
		t.Fatal(err)
	}
	f.record("us-east-1", "s3.amazonaws.com", "PutObject", false, false, map[string]any{"bucketName": "b1", "key": "hane.jpg"})
	f.record("us-east-1", "s3.amazonaws.com", "PutObject", false, false, map[string]any{"bucketName": "other", "key": "x"})
	f.record("us-east-1", "s3.amazonaws.com", "GetObject", true, false, map[string]any{"bucketName": "b1", "key": "hane.jpg"})
	f.record("us-east-1", "s3.amazonaws.com", "DeleteBucket", false, true, map[string]any{"bucketName": "b1"})
	f.advance(t, DefaultDeliveryInterval)
	files, recs = f.deliveredRecords(t, "logs/")
	last := recs[len(recs)-1]
	if len(files) != 2 || len(recs) != 3 || last["eventName"] != "PutObject" || last["requestParameters"].(map[string]any)["key"] != "hane.jpg" {
		t.Fatalf("after data selectors: %d files, records %v", len(files), recs)
	}
	// Data events carry their resources, the object first, as CloudTrail
	// writes them.
	res, _ := json.Marshal(last["resources"])
	if string(res) != `[{"ARN":"arn:aws:s3:::b1/hane.jpg","type":"AWS::S3::Object"},{"ARN":"arn:aws:s3:::b1","accountId":"123456789012","type":"AWS::S3::Bucket"}]` {
		t.Fatalf("resources %s", res)
	}
}

func TestAdvancedSelectors(t *testing.T) {
	mk := func(source, name string, ro, mgmt bool, params map[string]any) *histRecord {
		return &histRecord{Source: source, Name: name, ReadOnly: ro, Management: mgmt, Resources: resourcesOf(source, "us-east-1", "123456789012", params)}
	}
	sel := func(fs ...cloudtrailapi.AdvancedFieldSelector) cloudtrailapi.AdvancedEventSelector {
		return cloudtrailapi.AdvancedEventSelector{FieldSelectors: fs}
	}
	fld := func(name string, eq ...string) cloudtrailapi.AdvancedFieldSelector {
		return cloudtrailapi.AdvancedFieldSelector{Field: ptr.To(name), Equals: eq}
	}
	trail := &trailRecord{IncludeGlobalServiceEvents: true, Advanced: []cloudtrailapi.AdvancedEventSelector{
		sel(fld("eventCategory", "Management"), fld("readOnly", "false"),
			cloudtrailapi.AdvancedFieldSelector{Field: ptr.To("eventSource"), NotEquals: []string{"kms.amazonaws.com"}}),
		sel(fld("eventCategory", "Data"), fld("resources.type", "AWS::S3::Object"),
			cloudtrailapi.AdvancedFieldSelector{Field: ptr.To("resources.ARN"), StartsWith: []string{"arn:aws:s3:::b1/photos/"}}),
		sel(fld("eventCategory", "Data"), fld("resources.type", "AWS::Lambda::Function")),
	}}
	if err := validateAdvanced(trail.Advanced); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		rec  *histRecord
		want bool
	}{
		{mk("iam.amazonaws.com", "CreateRole", false, true, nil), true},
		{mk("iam.amazonaws.com", "GetRole", true, true, nil), false},
		{mk("kms.amazonaws.com", "CreateKey", false, true, nil), false},
		{mk("s3.amazonaws.com", "PutObject", false, false, map[string]any{"bucketName": "b1", "key": "photos/a.jpg"}), true},
		{mk("s3.amazonaws.com", "PutObject", false, false, map[string]any{"bucketName": "b1", "key": "docs/a.txt"}), false},
		{mk("lambda.amazonaws.com", "Invoke", false, false, map[string]any{"functionName": "f"}), true},
		{mk("dynamodb.amazonaws.com", "PutItem", false, false, map[string]any{"tableName": "t"}), false},
	}
	for _, tc := range tests {
		if got := trail.selects(tc.rec); got != tc.want {
			t.Errorf("%s %s: selected %v, want %v", tc.rec.Source, tc.rec.Name, got, tc.want)
		}
	}
	bad := []cloudtrailapi.AdvancedEventSelector{sel(fld("eventName", "PutObject"))}
	wantCode(t, validateAdvanced(bad), "InvalidEventSelectorsException")
	wantCode(t, validateBasic([]cloudtrailapi.EventSelector{{DataResources: []cloudtrailapi.DataResource{{Type: ptr.To("AWS::Nope"), Values: []string{"arn:x"}}}}}),
		"InvalidEventSelectorsException")
}

func TestDeliveryFailureIsReported(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1")})
	if _, err := f.c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	f.obj.mu.Lock()
	f.obj.buckets["logs"] = false // the bucket policy was changed
	f.obj.mu.Unlock()
	f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "q"})
	f.advance(t, DefaultDeliveryInterval)
	st, _ := f.c.GetTrailStatus(ctx, &cloudtrailapi.GetTrailStatusInput{Name: ptr.To("tr1")})
	if ptr.Deref(st.LatestDeliveryError) != "AccessDenied" || st.LatestDeliveryTime != nil {
		t.Fatalf("status %+v", st)
	}
	// Fixed: the records still waiting are delivered at the next pass.
	f.obj.mu.Lock()
	f.obj.buckets["logs"] = true
	f.obj.mu.Unlock()
	f.advance(t, DefaultDeliveryInterval)
	st, _ = f.c.GetTrailStatus(ctx, &cloudtrailapi.GetTrailStatusInput{Name: ptr.To("tr1")})
	if _, recs := f.deliveredRecords(t, "logs/"); len(recs) != 1 || st.LatestDeliveryError != nil {
		t.Fatalf("after the fix: %d records, status %+v", len(recs), st)
	}
}

// verifyDigest checks a digest as validate-logs does and returns it.
func verifyDigest(t *testing.T, f *fixture, key string, pub *rsa.PublicKey) digestFile {
	t.Helper()
	content := f.obj.gunzip(t, key)
	var d digestFile
	if err := json.Unmarshal(content, &d); err != nil {
		t.Fatal(err)
	}
	meta := f.obj.meta[key]
	if meta["signature-algorithm"] != "SHA256withRSA" {
		t.Fatalf("metadata %v", meta)
	}
	sig, err := hex.DecodeString(meta["signature"])
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(stringToSign(&d, content))
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig); err != nil {
		t.Fatalf("digest %s: signature: %v", key, err)
	}
	if "logs/"+d.DigestS3Object != key || d.DigestS3Bucket != "logs" {
		t.Fatalf("digest names %s/%s, stored at %s", d.DigestS3Bucket, d.DigestS3Object, key)
	}
	return d
}

func TestDigestChain(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), EnableLogFileValidation: ptr.To(true)})
	if _, err := f.c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "q"})
	for i := 0; i < 12; i++ {
		f.advance(t, DefaultDeliveryInterval)
	}
	pk, err := f.c.ListPublicKeys(ctx, &cloudtrailapi.ListPublicKeysInput{})
	if err != nil || len(pk.PublicKeyList) != 1 {
		t.Fatalf("ListPublicKeys = %+v, %v", pk, err)
	}
	pub, err := x509.ParsePKCS1PublicKey(pk.PublicKeyList[0].Value)
	if err != nil {
		t.Fatalf("public key is not PKCS #1 DER: %v", err)
	}
	digests := f.obj.keys("logs/AWSLogs/123456789012/CloudTrail-Digest/")
	if len(digests) != 1 || !regexp.MustCompile(`/123456789012_CloudTrail-Digest_us-east-1_tr1_us-east-1_20260501T130000Z\.json\.gz$`).MatchString(digests[0]) {
		t.Fatalf("digests %v", digests)
	}
	d1 := verifyDigest(t, f, digests[0], pub)
	files, _ := f.deliveredRecords(t, "logs/")
	if d1.PreviousDigestSignature != nil || len(d1.LogFiles) != 1 || "logs/"+d1.LogFiles[0].S3Object != files[0] ||
		d1.DigestPublicKeyFingerprint != ptr.Deref(pk.PublicKeyList[0].Fingerprint) {
		t.Fatalf("first digest %+v (files %v)", d1, files)
	}
	sum := sha256.Sum256(f.obj.gunzip(t, files[0]))
	if d1.LogFiles[0].HashValue != hex.EncodeToString(sum[:]) {
		t.Fatalf("log file hash %s, want %x", d1.LogFiles[0].HashValue, sum)
	}
	// The next hour's digest (no log files) chains to the first.
	for i := 0; i < 12; i++ {
		f.advance(t, DefaultDeliveryInterval)
	}
	digests = f.obj.keys("logs/AWSLogs/123456789012/CloudTrail-Digest/")
	if len(digests) != 2 {
		t.Fatalf("digests %v", digests)
	}
	d2 := verifyDigest(t, f, digests[1], pub)
	if ptr.Deref(d2.PreviousDigestSignature) != f.obj.meta[digests[0]]["signature"] || ptr.Deref(d2.PreviousDigestS3Object) != d1.DigestS3Object ||
		d2.DigestStartTime != d1.DigestEndTime || len(d2.LogFiles) != 0 {
		t.Fatalf("second digest %+v", d2)
	}
}

// TestHistoryBound: past Options.MaxHistory management events in an
// account and region the oldest are dropped first; LookupEvents returns
// the newest, newest first, and other regions keep their own.
func TestHistoryBound(t *testing.T) {
	f := newFixtureWith(t, Options{MaxHistory: 3})
	for i := range 5 {
		f.advance(t, time.Minute)
		f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": fmt.Sprint("q", i)})
	}
	f.record("us-west-2", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "west"})
	names := func(region string) []string {
		t.Helper()
		out, err := f.c.LookupEvents(f.ctx(region), &cloudtrailapi.LookupEventsInput{})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range out.Events {
			got = append(got, ptr.Deref(e.Resources[0].ResourceName))
		}
		return got
	}
	if got := fmt.Sprint(names("us-east-1")); got != "[q4 q3 q2]" {
		t.Fatalf("us-east-1 with a bound of 3: %s, want [q4 q3 q2]", got)
	}
	if got := fmt.Sprint(names("us-west-2")); got != "[west]" {
		t.Fatalf("us-west-2: %s", got)
	}
	if c := New(f.h.Store(), f.clk, events.New(), Options{}); c.opts.MaxHistory != DefaultMaxHistory {
		t.Fatalf("default bound %d, want %d", c.opts.MaxHistory, DefaultMaxHistory)
	} else {
		_ = c.Close()
	}
}

// TestHistoryBoundWaitsForDelivery: the bound drops no management event a
// logging trail has yet to deliver; once delivered, the oldest go.
func TestHistoryBoundWaitsForDelivery(t *testing.T) {
	f := newFixtureWith(t, Options{MaxHistory: 2})
	ctx := f.ctx("us-east-1")
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1")})
	if _, err := f.c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": fmt.Sprint("q", i)})
	}
	count := func() int {
		t.Helper()
		out, err := f.c.LookupEvents(ctx, &cloudtrailapi.LookupEventsInput{})
		if err != nil {
			t.Fatal(err)
		}
		return len(out.Events)
	}
	if n := count(); n != 5 {
		t.Fatalf("before delivery: %d events kept, want all 5", n)
	}
	f.advance(t, DefaultDeliveryInterval)
	if _, recs := f.deliveredRecords(t, "logs/"); len(recs) != 5 {
		t.Fatalf("delivered %d records, want 5", len(recs))
	}
	f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "q5"})
	// The delivered ones may go now; the new one is the trail's to deliver.
	if n := count(); n != 2 {
		t.Fatalf("after delivery: %d events kept, want 2", n)
	}
}

func TestLookupEvents(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	f.record("us-east-1", "s3.amazonaws.com", "CreateBucket", false, true, map[string]any{"bucketName": "b1"})
	f.advance(t, time.Minute)
	id := f.record("us-east-1", "s3.amazonaws.com", "ListBuckets", true, true, nil)
	f.record("us-east-1", "s3.amazonaws.com", "PutObject", false, false, map[string]any{"bucketName": "b1", "key": "k"})
	for i := 0; i < 3; i++ {
		f.advance(t, time.Minute)
		f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": fmt.Sprint("q", i)})
	}
	f.record("us-west-2", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "west"})

	look := func(key, val string) []cloudtrailapi.Event {
		t.Helper()
		in := &cloudtrailapi.LookupEventsInput{}
		if key != "" {
			in.LookupAttributes = []cloudtrailapi.LookupAttribute{{AttributeKey: ptr.To(key), AttributeValue: ptr.To(val)}}
		}
		out, err := f.c.LookupEvents(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return out.Events
	}
	tests := []struct {
		key, val string
		want     int
	}{
		{"", "", 5}, {"EventName", "CreateBucket", 1}, {"ReadOnly", "true", 1}, {"ReadOnly", "false", 4},
		{"Username", "alice", 5}, {"ResourceType", "AWS::S3::Bucket", 1}, {"ResourceName", "q1", 1},
		{"EventSource", "sqs.amazonaws.com", 3}, {"AccessKeyId", "AKIAALICE", 5}, {"EventId", id, 1}, {"EventName", "PutObject", 0},
	}
	for _, tc := range tests {
		if got := look(tc.key, tc.val); len(got) != tc.want {
			t.Errorf("%s=%s: %d events, want %d", tc.key, tc.val, len(got), tc.want)
		}
	}
	evs := look("EventName", "CreateBucket")
	var rec map[string]any
	if err := json.Unmarshal([]byte(ptr.Deref(evs[0].CloudTrailEvent)), &rec); err != nil || rec["eventName"] != "CreateBucket" ||
		ptr.Deref(evs[0].Username) != "alice" || len(evs[0].Resources) != 1 || ptr.Deref(evs[0].Resources[0].ResourceName) != "b1" {
		t.Fatalf("event %+v (%v)", evs[0], err)
	}
	// Newest first, by pages.
	var names []string
	var tok *string
	for {
		out, err := f.c.LookupEvents(ctx, &cloudtrailapi.LookupEventsInput{MaxResults: ptr.To(int32(2)), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range out.Events {
			names = append(names, ptr.Deref(e.EventName))
		}
		if tok = out.NextToken; tok == nil {
			break
		}
	}
	if fmt.Sprint(names) != "[CreateQueue CreateQueue CreateQueue ListBuckets CreateBucket]" {
		t.Fatalf("pages: %v", names)
	}
	// A time window.
	start := servicetest.Epoch().Add(30 * time.Second)
	out, _ := f.c.LookupEvents(ctx, &cloudtrailapi.LookupEventsInput{StartTime: &start, EndTime: ptr.To(start.Add(90 * time.Second))})
	if len(out.Events) != 2 {
		t.Fatalf("window: %d events", len(out.Events))
	}
	_, err := f.c.LookupEvents(ctx, &cloudtrailapi.LookupEventsInput{NextToken: ptr.To("garbage")})
	wantCode(t, err, "InvalidNextTokenException")
	_, err = f.c.LookupEvents(ctx, &cloudtrailapi.LookupEventsInput{LookupAttributes: []cloudtrailapi.LookupAttribute{
		{AttributeKey: ptr.To("EventName"), AttributeValue: ptr.To("a")}, {AttributeKey: ptr.To("Username"), AttributeValue: ptr.To("b")}}})
	wantCode(t, err, "InvalidLookupAttributesException")

	// 90 days later the history is gone.
	f.advance(t, 91*24*time.Hour)
	if got := look("", ""); len(got) != 0 {
		t.Fatalf("after 91 days: %d events", len(got))
	}
}

func TestTags(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	out := f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1"), TagsList: []cloudtrailapi.Tag{{Key: ptr.To("a"), Value: ptr.To("1")}}})
	arn := ptr.Deref(out.TrailARN)
	if _, err := f.c.AddTags(ctx, &cloudtrailapi.AddTagsInput{ResourceId: &arn, TagsList: []cloudtrailapi.Tag{{Key: ptr.To("b"), Value: ptr.To("2")}, {Key: ptr.To("a"), Value: ptr.To("3")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.RemoveTags(ctx, &cloudtrailapi.RemoveTagsInput{ResourceId: &arn, TagsList: []cloudtrailapi.Tag{{Key: ptr.To("b")}}}); err != nil {
		t.Fatal(err)
	}
	l, err := f.c.ListTags(ctx, &cloudtrailapi.ListTagsInput{ResourceIdList: []string{arn}})
	if err != nil || len(l.ResourceTagList) != 1 || len(l.ResourceTagList[0].TagsList) != 1 || ptr.Deref(l.ResourceTagList[0].TagsList[0].Value) != "3" {
		t.Fatalf("ListTags = %+v, %v", l, err)
	}
	tags, found, err := f.c.resourceTags(ctx, arn)
	if err != nil || !found || tags["a"] != "3" {
		t.Fatalf("resourceTags = %v %v %v", tags, found, err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"eventTime":"2026-05-01T12:00:00Z","eventName":"PutObject","eventSource":"s3.amazonaws.com","userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/r/s"},"requestParameters":{"bucketName":"b","key":"k"}}`))
	f.Add([]byte(`{"userIdentity":{"type":"AssumedRole","arn":""},"requestParameters":{"functionName":7}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"managementEvent":false,"eventSource":"s3.amazonaws.com","recipientAccountId":"1","requestParameters":{"bucketName":"b","key":"k"}}`))
	f.Add([]byte(` {"managementEvent":false,"eventSource":"lambda.amazonaws.com","requestParameters":{"functionName":"f"}} `))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := parse(b)
		if err == nil && h.Raw == nil && len(b) > 0 {
			t.Fatalf("parsed %q without keeping it", b)
		}
		// The record delivered is still JSON (resources may be added).
		if err == nil && !json.Valid(h.Raw) {
			t.Fatalf("parse(%q) keeps invalid JSON %q", b, h.Raw)
		}
	})
}

// advance moves the clock and runs the delivery pass the timer starts
// (the fake clock runs timer functions on goroutines of their own).
func (f *fixture) advance(t *testing.T, d time.Duration) {
	t.Helper()
	f.clk.Advance(d)
	if err := f.c.Tick(); err != nil {
		t.Fatalf("Tick: %v", err)
	}
}

// TestRestartWithAnEarlierClock: niwa's advanced clock is not kept across
// restarts, so a restarted CloudTrail may read an earlier time than its
// stored records; what it records then is still delivered (sequences keep
// growing from the last stored one).
func TestRestartWithAnEarlierClock(t *testing.T) {
	h := servicetest.New(t, "cloudtrail", servicetest.OnDisk(t.TempDir()))
	obj := newFakeObjects()
	obj.buckets["logs"] = true
	start := func(clk *clock.Fake) *fixture {
		bus := events.New()
		c := New(h.Store(), clk, bus, Options{Objects: obj})
		bus.HandleRecords(c)
		return &fixture{h: h, c: c, obj: obj, bus: bus, clk: clk}
	}
	f := start(h.Clock)
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1")})
	if _, err := f.c.StartLogging(f.ctx("us-east-1"), &cloudtrailapi.StartLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	f.advance(t, 2*time.Hour)
	f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "before"})
	f.advance(t, DefaultDeliveryInterval)
	if _, recs := f.deliveredRecords(t, "logs/"); len(recs) != 1 {
		t.Fatalf("before the restart: %d records", len(recs))
	}
	if err := f.c.Close(); err != nil {
		t.Fatal(err)
	}
	h.Reopen()

	g := start(clock.NewFake(servicetest.Epoch().Add(time.Minute)))
	defer func() { _ = g.c.Close() }()
	g.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "after"})
	g.advance(t, DefaultDeliveryInterval)
	if _, recs := g.deliveredRecords(t, "logs/"); len(recs) != 2 {
		t.Fatalf("after the restart: %d records, want 2", len(recs))
	}
}

// TestMultiRegionDelivery: a multi-region trail delivers each region's
// records under that region's path, with a digest chain per region; a
// single-region trail in another region without global events does not
// get IAM's.
func TestMultiRegionDelivery(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("everywhere"), IsMultiRegionTrail: ptr.To(true), EnableLogFileValidation: ptr.To(true)})
	if _, err := f.c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: ptr.To("everywhere")}); err != nil {
		t.Fatal(err)
	}
	west := f.ctx("us-west-2")
	if _, err := f.c.CreateTrail(west, &cloudtrailapi.CreateTrailInput{Name: ptr.To("west-only"), S3BucketName: ptr.To("logs"),
		S3KeyPrefix: ptr.To("west"), IncludeGlobalServiceEvents: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.c.StartLogging(west, &cloudtrailapi.StartLoggingInput{Name: ptr.To("west-only")}); err != nil {
		t.Fatal(err)
	}
	f.record("us-west-2", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "w"})
	f.record("us-east-1", "iam.amazonaws.com", "CreateRole", false, true, map[string]any{"roleName": "r"})
	f.advance(t, DefaultDeliveryInterval)

	east, _ := f.deliveredRecords(t, "logs/AWSLogs/123456789012/CloudTrail/us-east-1/")
	westFiles, _ := f.deliveredRecords(t, "logs/AWSLogs/123456789012/CloudTrail/us-west-2/")
	_, westOnly := f.deliveredRecords(t, "logs/west/")
	if len(east) != 1 || len(westFiles) != 1 || len(westOnly) != 1 || westOnly[0]["eventName"] != "CreateQueue" {
		t.Fatalf("east %v, west %v, west-only trail %v", east, westFiles, westOnly)
	}
	f.advance(t, time.Hour)
	for _, r := range []string{"us-east-1", "us-west-2"} {
		if d := f.obj.keys("logs/AWSLogs/123456789012/CloudTrail-Digest/" + r + "/"); len(d) != 1 || !strings.Contains(d[0], "_CloudTrail-Digest_"+r+"_everywhere_us-east-1_") {
			t.Fatalf("digests of %s: %v", r, d)
		}
	}
}

// TestStopLoggingDeliversWhatWasLogged: StopLogging delivers the records
// of the logging period at once; later calls are not delivered.
func TestStopLoggingDeliversWhatWasLogged(t *testing.T) {
	f := newFixture(t)
	ctx := f.ctx("us-east-1")
	f.createTrail(t, &cloudtrailapi.CreateTrailInput{Name: ptr.To("tr1")})
	if _, err := f.c.StartLogging(ctx, &cloudtrailapi.StartLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "during"})
	f.clk.Advance(time.Second)
	if _, err := f.c.StopLogging(ctx, &cloudtrailapi.StopLoggingInput{Name: ptr.To("tr1")}); err != nil {
		t.Fatal(err)
	}
	f.clk.Advance(time.Second)
	f.record("us-east-1", "sqs.amazonaws.com", "CreateQueue", false, true, map[string]any{"queueName": "after"})
	f.advance(t, DefaultDeliveryInterval)
	_, recs := f.deliveredRecords(t, "logs/")
	if len(recs) != 1 || recs[0]["requestParameters"].(map[string]any)["queueName"] != "during" {
		t.Fatalf("delivered %v", recs)
	}
	st, _ := f.c.GetTrailStatus(ctx, &cloudtrailapi.GetTrailStatusInput{Name: ptr.To("tr1")})
	if ptr.Deref(st.IsLogging) || st.StopLoggingTime == nil || st.LatestDeliveryTime == nil {
		t.Fatalf("status %+v", st)
	}
}
