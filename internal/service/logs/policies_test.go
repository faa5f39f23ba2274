package logs

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestResourcePolicies(t *testing.T) {
	l, ctx, _ := newLogs(t)
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"logs:PutLogEvents","Resource":"*"}]}`
	out, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: ptr.To("p0"), PolicyDocument: ptr.To(doc)})
	if err != nil || *out.ResourcePolicy.PolicyName != "p0" || *out.ResourcePolicy.PolicyDocument != doc || *out.ResourcePolicy.LastUpdatedTime != ms(t0) {
		t.Fatalf("put: %v %+v", err, out)
	}
	if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: ptr.To("bad"), PolicyDocument: ptr.To("{not json")}); code(err) != "InvalidParameterException" {
		t.Fatalf("bad json: %v", err)
	}
	for i := 1; i < maxResourcePolicies; i++ {
		if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: ptr.To(fmt.Sprintf("p%d", i)), PolicyDocument: ptr.To(doc)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: ptr.To("p10"), PolicyDocument: ptr.To(doc)}); code(err) != "LimitExceededException" {
		t.Fatalf("limit: %v", err)
	}
	if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: ptr.To("p3"), PolicyDocument: ptr.To(`{}`)}); err != nil {
		t.Fatalf("replace at limit: %v", err)
	}
	var names []string
	var tok *string
	for {
		d, err := l.DescribeResourcePolicies(ctx, &logsapi.DescribeResourcePoliciesRequest{Limit: ptr.To(int32(4)), NextToken: tok})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range d.ResourcePolicies {
			names = append(names, *p.PolicyName)
		}
		if tok = d.NextToken; tok == nil {
			break
		}
	}
	if strings.Join(names, ",") != "p0,p1,p2,p3,p4,p5,p6,p7,p8,p9" {
		t.Fatalf("paged %v", names)
	}
	if _, err := l.DeleteResourcePolicy(ctx, &logsapi.DeleteResourcePolicyRequest{PolicyName: ptr.To("p0")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeleteResourcePolicy(ctx, &logsapi.DeleteResourcePolicyRequest{PolicyName: ptr.To("p0")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
}

func TestDestinations(t *testing.T) {
	l, ctx, _ := newLogs(t)
	kin, role := "arn:aws:kinesis:us-east-1:000000000000:stream/s", "arn:aws:iam::000000000000:role/cwl"
	out, err := l.PutDestination(ctx, &logsapi.PutDestinationRequest{DestinationName: ptr.To("d1"), TargetArn: ptr.To(kin), RoleArn: ptr.To(role)})
	if err != nil || *out.Destination.Arn != "arn:aws:logs:us-east-1:000000000000:destination:d1" || *out.Destination.TargetArn != kin {
		t.Fatalf("put: %v %+v", err, out)
	}
	for _, c := range []struct{ name, target, role string }{
		{"lambda target", "arn:aws:lambda:us-east-1:000000000000:function:f", role},
		{"bad role", kin, "role"},
	} {
		if _, err := l.PutDestination(ctx, &logsapi.PutDestinationRequest{DestinationName: ptr.To("x"), TargetArn: ptr.To(c.target), RoleArn: ptr.To(c.role)}); code(err) != "InvalidParameterException" {
			t.Fatalf("%s: %v", c.name, err)
		}
	}
	pol := `{"Version":"2012-10-17","Statement":[]}`
	if _, err := l.PutDestinationPolicy(ctx, &logsapi.PutDestinationPolicyRequest{DestinationName: ptr.To("d1"), AccessPolicy: ptr.To(pol)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutDestinationPolicy(ctx, &logsapi.PutDestinationPolicyRequest{DestinationName: ptr.To("nope"), AccessPolicy: ptr.To(pol)}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("policy on missing: %v", err)
	}
	l.PutDestination(ctx, &logsapi.PutDestinationRequest{DestinationName: ptr.To("other"), TargetArn: ptr.To(kin), RoleArn: ptr.To(role)})
	d, err := l.DescribeDestinations(ctx, &logsapi.DescribeDestinationsRequest{DestinationNamePrefix: ptr.To("d")})
	if err != nil || len(d.Destinations) != 1 || *d.Destinations[0].AccessPolicy != pol {
		t.Fatalf("describe: %v %+v", err, d)
	}
	// A subscription filter may name the destination.
	mustGroup(t, l, ctx, "/g")
	if _, err := l.PutSubscriptionFilter(ctx, &logsapi.PutSubscriptionFilterRequest{LogGroupName: ptr.To("/g"), FilterName: ptr.To("f"), FilterPattern: ptr.To(""),
		DestinationArn: out.Destination.Arn}); err != nil {
		t.Fatalf("subscribe to destination: %v", err)
	}
	if _, err := l.DeleteDestination(ctx, &logsapi.DeleteDestinationRequest{DestinationName: ptr.To("d1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeleteDestination(ctx, &logsapi.DeleteDestinationRequest{DestinationName: ptr.To("d1")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
	if _, err := l.PutSubscriptionFilter(ctx, &logsapi.PutSubscriptionFilterRequest{LogGroupName: ptr.To("/g"), FilterName: ptr.To("f"), FilterPattern: ptr.To(""),
		DestinationArn: out.Destination.Arn}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("subscribe to deleted destination: %v", err)
	}
}

func TestDataProtectionPolicy(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/dp")
	doc := `{"Name":"p","Version":"2021-06-01","Statement":[]}`
	get := func() (*logsapi.GetDataProtectionPolicyResponse, error) {
		return l.GetDataProtectionPolicy(ctx, &logsapi.GetDataProtectionPolicyRequest{LogGroupIdentifier: ptr.To("/dp")})
	}
	if g, err := get(); err != nil || g.PolicyDocument != nil {
		t.Fatalf("none yet: %v %+v", err, g)
	}
	if _, err := l.PutDataProtectionPolicy(ctx, &logsapi.PutDataProtectionPolicyRequest{LogGroupIdentifier: ptr.To("/dp"), PolicyDocument: ptr.To(doc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.PutDataProtectionPolicy(ctx, &logsapi.PutDataProtectionPolicyRequest{LogGroupIdentifier: ptr.To("/nope"), PolicyDocument: ptr.To(doc)}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}
	if g, err := get(); err != nil || *g.PolicyDocument != doc {
		t.Fatalf("get: %v %+v", err, g)
	}
	lg, _ := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{})
	if lg.LogGroups[0].DataProtectionStatus == nil || *lg.LogGroups[0].DataProtectionStatus != "ACTIVATED" {
		t.Fatalf("status %+v", lg.LogGroups[0])
	}
	if _, err := l.DeleteDataProtectionPolicy(ctx, &logsapi.DeleteDataProtectionPolicyRequest{LogGroupIdentifier: ptr.To("/dp")}); err != nil {
		t.Fatal(err)
	}
	if _, err := l.DeleteDataProtectionPolicy(ctx, &logsapi.DeleteDataProtectionPolicyRequest{LogGroupIdentifier: ptr.To("/dp")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("delete twice: %v", err)
	}
}

// fakeObjects stands in for S3 behind the objects seam: buckets with a
// region and the actions their policy grants logs.amazonaws.com.
type fakeObjects struct {
	mu      sync.Mutex
	buckets map[string]fakeBucket
	objects map[string]string
	seen    objects.Principal
}

type fakeBucket struct {
	region string
	grants map[string]bool
}

func (f *fakeObjects) access(bucket string, p objects.Principal, actions ...string) (fakeBucket, error) {
	f.seen = p
	b, ok := f.buckets[bucket]
	if !ok {
		return b, objects.ErrNoSuchBucket
	}
	for _, a := range actions {
		if !b.grants[a] {
			return b, objects.ErrAccessDenied
		}
	}
	return b, nil
}

func (f *fakeObjects) CheckObjectAccess(_ context.Context, bucket, _ string, p objects.Principal, actions ...string) (string, string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	b, err := f.access(bucket, p, actions...)
	return b.region, "000000000000", err
}

func (f *fakeObjects) PutServiceObject(_ context.Context, bucket, key string, body []byte, p objects.Principal) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, err := f.access(bucket, p, "s3:PutObject"); err != nil {
		return err
	}
	f.objects[bucket+"/"+key] = string(body)
	return nil
}

func (f *fakeObjects) ListServiceObjects(context.Context, string, string, objects.Principal) ([]objects.Object, error) {
	return nil, fmt.Errorf("not used")
}

func (f *fakeObjects) OpenServiceObject(context.Context, string, string, objects.Principal) (io.ReadCloser, int64, error) {
	return nil, 0, fmt.Errorf("not used")
}

func TestExportTasks(t *testing.T) {
	l, ctx, clk := newLogs(t)
	mustGroup(t, l, ctx, "/ex", "a", "b")
	put(t, l, ctx, "/ex", "a", "one", "two")
	put(t, l, ctx, "/ex", "b", "three")
	from, to := ms(t0), ms(t0)+1000
	create := func(bucket string) (*logsapi.CreateExportTaskResponse, error) {
		return l.CreateExportTask(ctx, &logsapi.CreateExportTaskRequest{LogGroupName: ptr.To("/ex"), From: &from, To: &to, Destination: ptr.To(bucket), DestinationPrefix: ptr.To("out")})
	}
	// settled waits (on a generous deadline, returning at once when it
	// holds) for the task run by the fake clock's timer goroutine.
	settled := func(id *string, want string) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			d, _ := l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{TaskId: id})
			if len(d.ExportTasks) == 1 && *d.ExportTasks[0].Status.Code == want {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatalf("task %s never %s", *id, want)
	}
	status := func(id *string) (string, string) {
		t.Helper()
		d, err := l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{TaskId: id})
		if err != nil || len(d.ExportTasks) != 1 {
			t.Fatalf("describe %s: %v %+v", *id, err, d)
		}
		return *d.ExportTasks[0].Status.Code, *d.ExportTasks[0].Status.Message
	}
	// Without S3 the task is kept, FAILED, and says why.
	first, err := create("bucket")
	if err != nil {
		t.Fatal(err)
	}
	if c, m := status(first.TaskId); c != "FAILED" || !strings.Contains(m, "S3") {
		t.Fatalf("no S3: %s %s", c, m)
	}
	all := map[string]bool{"s3:GetBucketAcl": true, "s3:PutObject": true}
	f := &fakeObjects{objects: map[string]string{}, buckets: map[string]fakeBucket{
		"bucket":  {region: "us-east-1", grants: all},
		"noacl":   {region: "us-east-1", grants: map[string]bool{"s3:PutObject": true}},
		"noput":   {region: "us-east-1", grants: map[string]bool{"s3:GetBucketAcl": true}},
		"faraway": {region: "eu-west-1", grants: all},
	}}
	l.opts.Objects = f
	clk.Advance(time.Second)
	// The bucket is checked at once, with AWS's messages.
	for bucket, want := range map[string]string{"noacl": exportBucketError, "missing": exportNoBucket, "faraway": exportRegionError} {
		if _, err := create(bucket); code(err) != "InvalidParameterException" || !strings.Contains(err.Error(), want) {
			t.Fatalf("%s: %v", bucket, err)
		}
	}
	if _, err := l.CreateExportTask(ctx, &logsapi.CreateExportTaskRequest{LogGroupName: ptr.To("/ex"), From: &to, To: &from, Destination: ptr.To("bucket")}); code(err) != "InvalidParameterException" {
		t.Fatalf("from after to: %v", err)
	}
	if _, err := l.CreateExportTask(ctx, &logsapi.CreateExportTaskRequest{LogGroupName: ptr.To("/nope"), From: &from, To: &to, Destination: ptr.To("bucket")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing group: %v", err)
	}
	second, err := create("bucket")
	if err != nil {
		t.Fatal(err)
	}
	if c, _ := status(second.TaskId); c != "PENDING" || len(f.objects) != 0 {
		t.Fatalf("new task: %s %v", c, f.objects)
	}
	// One active task per account.
	if _, err := create("bucket"); code(err) != "LimitExceededException" {
		t.Fatalf("second active task: %v", err)
	}
	clk.Advance(exportStartDelay)
	settled(second.TaskId, "COMPLETED")
	if c, m := status(second.TaskId); c != "COMPLETED" || m != "Completed successfully" {
		t.Fatalf("after run: %s %s", c, m)
	}
	if f.seen.Service != "logs.amazonaws.com" || f.seen.SourceAccount != "000000000000" || f.seen.SourceARN != groupARN(scope(ctx), "/ex")+":*" {
		t.Fatalf("principal %+v", f.seen)
	}
	obj := f.objects["bucket/out/"+*second.TaskId+"/a/000000.gz"]
	zr, err := gzip.NewReader(bytes.NewReader([]byte(obj)))
	if err != nil {
		t.Fatalf("object a: %v %v", err, f.objects)
	}
	text, _ := io.ReadAll(zr)
	if string(text) != "2026-05-01T12:00:00.000Z one\n2026-05-01T12:00:00.001Z two\n" || f.objects["bucket/out/aws-logs-write-test"] == "" || len(f.objects) != 3 {
		t.Fatalf("export %q %v", text, f.objects)
	}
	d, _ := l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{Limit: ptr.To(int32(1))})
	if len(d.ExportTasks) != 1 || *d.ExportTasks[0].TaskId != *second.TaskId || *d.ExportTasks[0].Status.Code != "COMPLETED" || d.NextToken == nil ||
		d.ExportTasks[0].ExecutionInfo.CompletionTime == nil {
		t.Fatalf("newest first: %+v", d)
	}
	d, _ = l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{Limit: ptr.To(int32(1)), NextToken: d.NextToken})
	if len(d.ExportTasks) != 1 || *d.ExportTasks[0].TaskId != *first.TaskId || d.NextToken != nil {
		t.Fatalf("page 2: %+v", d)
	}
	d, _ = l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{StatusCode: ptr.To("FAILED")})
	if len(d.ExportTasks) != 1 {
		t.Fatalf("by status: %+v", d)
	}
	if _, err := l.CancelExportTask(ctx, &logsapi.CancelExportTaskRequest{TaskId: second.TaskId}); code(err) != "InvalidOperationException" {
		t.Fatalf("cancel finished: %v", err)
	}
	if _, err := l.CancelExportTask(ctx, &logsapi.CancelExportTaskRequest{TaskId: ptr.To("nope")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("cancel unknown: %v", err)
	}
	// A bucket that grants GetBucketAcl but not PutObject: the task fails
	// when it writes.
	noput, err := create("noput")
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(exportStartDelay)
	settled(noput.TaskId, "FAILED")
	if c, m := status(noput.TaskId); c != "FAILED" || m != exportPutDenied {
		t.Fatalf("no PutObject grant: %s %s", c, m)
	}
	// A pending task cancelled writes nothing.
	before := len(f.objects)
	third, err := create("bucket")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := l.CancelExportTask(ctx, &logsapi.CancelExportTaskRequest{TaskId: third.TaskId}); err != nil {
		t.Fatal(err)
	}
	clk.Advance(exportStartDelay)
	if c, _ := status(third.TaskId); c != "CANCELLED" || len(f.objects) != before {
		t.Fatalf("cancelled: %s %d", c, len(f.objects))
	}
}
