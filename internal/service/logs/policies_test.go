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
	"github.com/niwa-cloud/niwa/internal/events"
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

// s3Bus stands in for an S3 that takes deliveries: objects by ARN.
type s3Bus struct {
	mu      sync.Mutex
	objects map[string]string
}

func (b *s3Bus) Deliver(_ context.Context, m events.Message) error {
	if !strings.HasPrefix(m.TargetARN, "arn:aws:s3:::bucket") {
		return fmt.Errorf("NoSuchBucket")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !m.Validate {
		b.objects[strings.TrimPrefix(m.TargetARN, "arn:aws:s3:::")] = m.Body
	}
	return nil
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
	// Without any S3 on the bus the task is kept, FAILED, and says why.
	l.bus = events.New()
	first, err := create("bucket")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{TaskId: first.TaskId})
	if len(d.ExportTasks) != 1 || *d.ExportTasks[0].Status.Code != "FAILED" || !strings.Contains(*d.ExportTasks[0].Status.Message, "S3") {
		t.Fatalf("no S3: %+v", d.ExportTasks)
	}
	b := &s3Bus{objects: map[string]string{}}
	l.bus = b
	clk.Advance(time.Second)
	if _, err := create("elsewhere"); code(err) != "InvalidParameterException" {
		t.Fatalf("unwritable bucket: %v", err)
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
	obj := b.objects["bucket/out/"+*second.TaskId+"/a/000000.gz"]
	zr, err := gzip.NewReader(bytes.NewReader([]byte(obj)))
	if err != nil {
		t.Fatalf("object a: %v %v", err, b.objects)
	}
	text, _ := io.ReadAll(zr)
	if string(text) != "2026-05-01T12:00:00.000Z one\n2026-05-01T12:00:00.001Z two\n" || b.objects["bucket/out/aws-logs-write-test"] == "" || len(b.objects) != 3 {
		t.Fatalf("export %q %v", text, b.objects)
	}
	d, _ = l.DescribeExportTasks(ctx, &logsapi.DescribeExportTasksRequest{Limit: ptr.To(int32(1))})
	if len(d.ExportTasks) != 1 || *d.ExportTasks[0].TaskId != *second.TaskId || *d.ExportTasks[0].Status.Code != "COMPLETED" || d.NextToken == nil {
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
}
