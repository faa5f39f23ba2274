package ssm

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeInstances runs scripts by looking them up: "block" waits for the
// context, anything else echoes itself.
type fakeInstances struct {
	mu      sync.Mutex
	list    []ManagedInstance
	stopped map[string]bool
	outputs map[string]string
	logs    map[string][]string
	started chan string
}

func (f *fakeInstances) List(ctx context.Context, account, region string) ([]ManagedInstance, error) {
	return f.list, nil
}

func (f *fakeInstances) Run(ctx context.Context, account, region, id string, c RunSpec) (RunResult, error) {
	f.mu.Lock()
	stopped := f.stopped[id]
	f.mu.Unlock()
	if stopped {
		return RunResult{}, ErrNotRunning
	}
	if f.started != nil {
		f.started <- id
	}
	switch {
	case strings.Contains(c.Script, "block"):
		<-ctx.Done()
		return RunResult{ExitCode: -1, Stdout: "partial\n", Killed: true}, nil
	case strings.Contains(c.Script, "fail"):
		return RunResult{ExitCode: 2, Stderr: "bad\n"}, nil
	}
	return RunResult{Stdout: c.Script + "\n"}, nil
}

func (f *fakeInstances) PutOutput(ctx context.Context, account, region, id, bucket, key string, body []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.outputs[bucket+"/"+key] = string(body)
	return nil
}

func (f *fakeInstances) PutLogs(ctx context.Context, account, region, id, group, stream string, at time.Time, lines []string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.logs[group+"|"+stream] = append(f.logs[group+"|"+stream], lines...)
	return nil
}

func runHarness(t *testing.T) (*servicetest.Harness, *SSM, *fakeInstances) {
	h := servicetest.New(t, "ssm")
	f := &fakeInstances{stopped: map[string]bool{}, outputs: map[string]string{}, logs: map[string][]string{},
		list: []ManagedInstance{
			{ID: "i-1", State: "running", Role: "web", Managed: true, Tags: map[string]string{"Env": "prod"}, IP: "10.0.0.5"},
			{ID: "i-2", State: "running", Role: "web", Managed: true, Tags: map[string]string{"Env": "dev"}},
			{ID: "i-3", State: "running"},
			{ID: "i-4", State: "stopped", Role: "web", Managed: true},
		}}
	s := New(h.Store(), h.Clock, Options{Instances: f})
	t.Cleanup(func() { _ = s.Close() })
	return h, s, f
}

// settled waits (wall clock: the invocation runs in a goroutine) until
// the invocation leaves Pending and InProgress.
func settled(t *testing.T, h *servicetest.Harness, s *SSM, cmd, inst string) *ssmapi.GetCommandInvocationResult {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.GetCommandInvocation(h.Ctx(), &ssmapi.GetCommandInvocationRequest{CommandId: ptr.To(cmd), InstanceId: ptr.To(inst)})
		if err != nil {
			t.Fatal(err)
		}
		if st := ptr.Deref(out.Status); st != "Pending" && st != "InProgress" && st != "Delayed" {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s on %s still %s", cmd, inst, ptr.Deref(out.Status))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func code(err error) string {
	if err == nil {
		return ""
	}
	return awserr.As(err).Code.Code
}

func TestSendCommandTargets(t *testing.T) {
	h, s, f := runHarness(t)
	cases := []struct {
		name    string
		in      ssmapi.SendCommandRequest
		want    []string
		errCode string
	}{
		{"by id", ssmapi.SendCommandRequest{InstanceIds: []string{"i-1"}}, []string{"i-1"}, ""},
		{"by tag", ssmapi.SendCommandRequest{Targets: []ssmapi.Target{{Key: ptr.To("tag:Env"), Values: []string{"dev"}}}}, []string{"i-2"}, ""},
		{"by tag-key", ssmapi.SendCommandRequest{Targets: []ssmapi.Target{{Key: ptr.To("tag-key"), Values: []string{"Env"}}}}, []string{"i-1", "i-2"}, ""},
		{"unmanaged", ssmapi.SendCommandRequest{InstanceIds: []string{"i-3"}}, nil, "InvalidInstanceId"},
		{"duplicate", ssmapi.SendCommandRequest{InstanceIds: []string{"i-1", "i-1"}}, nil, "DuplicateInstanceId"},
		{"neither", ssmapi.SendCommandRequest{}, nil, "InvalidParameters"},
		{"bad target key", ssmapi.SendCommandRequest{Targets: []ssmapi.Target{{Key: ptr.To("resource-groups:Name"), Values: []string{"x"}}}}, nil, "InvalidTarget"},
		{"missing document", ssmapi.SendCommandRequest{InstanceIds: []string{"i-1"}, DocumentName: ptr.To("Nope")}, nil, "InvalidDocument"},
		{"unknown parameter", ssmapi.SendCommandRequest{InstanceIds: []string{"i-1"}, Parameters: map[string][]string{"commands": {"x"}, "bogus": {"y"}}}, nil, "InvalidParameters"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in
			if in.DocumentName == nil {
				in.DocumentName = ptr.To("AWS-RunShellScript")
			}
			if in.Parameters == nil {
				in.Parameters = map[string][]string{"commands": {"echo hi"}}
			}
			out, err := s.SendCommand(h.Ctx(), &in)
			if code(err) != c.errCode {
				t.Fatalf("err %v, want %s", err, c.errCode)
			}
			if err != nil {
				return
			}
			if int(ptr.Deref(out.Command.TargetCount)) != len(c.want) {
				t.Fatalf("TargetCount %d, want %d", ptr.Deref(out.Command.TargetCount), len(c.want))
			}
			for _, id := range c.want {
				inv := settled(t, h, s, ptr.Deref(out.Command.CommandId), id)
				if ptr.Deref(inv.Status) != "Success" || ptr.Deref(inv.StandardOutputContent) != "echo hi\n" {
					t.Errorf("%s: %s %q", id, ptr.Deref(inv.Status), ptr.Deref(inv.StandardOutputContent))
				}
			}
		})
	}
	_ = f
}

func TestCommandStatuses(t *testing.T) {
	h, s, f := runHarness(t)
	send := func(doc string, params map[string][]string, extra func(*ssmapi.SendCommandRequest)) string {
		in := &ssmapi.SendCommandRequest{InstanceIds: []string{"i-1"}, DocumentName: ptr.To(doc), Parameters: params}
		if extra != nil {
			extra(in)
		}
		out, err := s.SendCommand(h.Ctx(), in)
		if err != nil {
			t.Fatal(err)
		}
		return ptr.Deref(out.Command.CommandId)
	}
	// Failure: exit code and stderr.
	id := send("AWS-RunShellScript", map[string][]string{"commands": {"fail"}}, nil)
	inv := settled(t, h, s, id, "i-1")
	if ptr.Deref(inv.Status) != "Failed" || ptr.Deref(inv.ResponseCode) != 2 || ptr.Deref(inv.StandardErrorContent) != "bad\n" {
		t.Errorf("failed: %+v", inv)
	}
	// Output to S3 and CloudWatch Logs.
	id = send("AWS-RunShellScript", map[string][]string{"commands": {"echo out"}}, func(in *ssmapi.SendCommandRequest) {
		in.OutputS3BucketName, in.OutputS3KeyPrefix = ptr.To("b"), ptr.To("p")
		in.CloudWatchOutputConfig = &ssmapi.CloudWatchOutputConfig{CloudWatchOutputEnabled: ptr.To(true)}
	})
	inv = settled(t, h, s, id, "i-1")
	key := "b/p/" + id + "/i-1/awsrunShellScript/0.awsrunShellScript/stdout"
	f.mu.Lock()
	if f.outputs[key] != "echo out\n" {
		t.Errorf("S3 output %v, want %s", f.outputs, key)
	}
	if got := f.logs["/aws/ssm/AWS-RunShellScript|"+id+"/i-1/awsrunShellScript/stdout"]; len(got) != 1 || got[0] != "echo out" {
		t.Errorf("logs %v", f.logs)
	}
	f.mu.Unlock()
	if !strings.HasSuffix(ptr.Deref(inv.StandardOutputUrl), "/b/"+strings.TrimPrefix(key, "b/")) {
		t.Errorf("StandardOutputUrl %s", ptr.Deref(inv.StandardOutputUrl))
	}
	// Execution timeout on the clock.
	f.started = make(chan string, 1)
	id = send("AWS-RunShellScript", map[string][]string{"commands": {"block"}, "executionTimeout": {"10"}}, nil)
	<-f.started
	h.Clock.Advance(11 * time.Second)
	inv = settled(t, h, s, id, "i-1")
	if ptr.Deref(inv.Status) != "TimedOut" || ptr.Deref(inv.StatusDetails) != "ExecutionTimedOut" || ptr.Deref(inv.StandardOutputContent) != "partial\n" {
		t.Errorf("timeout: %s %s %q", ptr.Deref(inv.Status), ptr.Deref(inv.StatusDetails), ptr.Deref(inv.StandardOutputContent))
	}
	// Cancel.
	id = send("AWS-RunShellScript", map[string][]string{"commands": {"block"}}, nil)
	<-f.started
	f.started = nil
	if _, err := s.CancelCommand(h.Ctx(), &ssmapi.CancelCommandRequest{CommandId: ptr.To(id)}); err != nil {
		t.Fatal(err)
	}
	if inv = settled(t, h, s, id, "i-1"); ptr.Deref(inv.Status) != "Cancelled" {
		t.Errorf("cancel: %s", ptr.Deref(inv.Status))
	}
	// PowerShell on Linux.
	id = send("AWS-RunPowerShellScript", map[string][]string{"commands": {"Get-Date"}}, nil)
	if inv = settled(t, h, s, id, "i-1"); ptr.Deref(inv.Status) != "Failed" || !strings.Contains(ptr.Deref(inv.StandardOutputContent), "unsupported platform") {
		t.Errorf("powershell: %+v", inv)
	}
	// Delivery timeout: the stopped instance never runs it.
	f.mu.Lock()
	f.stopped["i-4"] = true
	f.mu.Unlock()
	id = send("AWS-RunShellScript", map[string][]string{"commands": {"echo"}}, func(in *ssmapi.SendCommandRequest) {
		in.InstanceIds = []string{"i-4"}
		in.TimeoutSeconds = ptr.To(int32(60))
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, _ := s.GetCommandInvocation(h.Ctx(), &ssmapi.GetCommandInvocationRequest{CommandId: ptr.To(id), InstanceId: ptr.To("i-4")})
		if ptr.Deref(out.Status) == "Delayed" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never Delayed: %s", ptr.Deref(out.Status))
		}
		time.Sleep(5 * time.Millisecond)
	}
	h.Clock.Advance(61 * time.Second)
	if inv = settled(t, h, s, id, "i-4"); ptr.Deref(inv.Status) != "TimedOut" || ptr.Deref(inv.StatusDetails) != "DeliveryTimedOut" {
		t.Errorf("delivery timeout: %s %s", ptr.Deref(inv.Status), ptr.Deref(inv.StatusDetails))
	}
	// Listings.
	lc, err := s.ListCommands(h.Ctx(), &ssmapi.ListCommandsRequest{Filters: []ssmapi.CommandFilter{{Key: ptr.To("Status"), Value: ptr.To("TimedOut")}}})
	if err != nil || len(lc.Commands) != 2 {
		t.Errorf("list-commands Status=TimedOut: %v %v", lc, err)
	}
	li, err := s.ListCommandInvocations(h.Ctx(), &ssmapi.ListCommandInvocationsRequest{InstanceId: ptr.To("i-1"), Details: ptr.To(true), MaxResults: ptr.To(int32(2))})
	if err != nil || len(li.CommandInvocations) != 2 || li.NextToken == nil || len(li.CommandInvocations[0].CommandPlugins) != 1 {
		t.Errorf("list-command-invocations: %v %v", li, err)
	}
	if _, err := s.GetCommandInvocation(h.Ctx(), &ssmapi.GetCommandInvocationRequest{CommandId: ptr.To("nope"), InstanceId: ptr.To("i-1")}); code(err) != "InvalidCommandId" {
		t.Errorf("unknown command: %v", err)
	}
}

func TestDescribeInstanceInformation(t *testing.T) {
	h, s, _ := runHarness(t)
	out, err := s.DescribeInstanceInformation(h.Ctx(), &ssmapi.DescribeInstanceInformationRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, i := range out.InstanceInformationList {
		got = append(got, ptr.Deref(i.InstanceId)+"="+ptr.Deref(i.PingStatus))
	}
	if strings.Join(got, ",") != "i-1=Online,i-2=Online,i-4=ConnectionLost" {
		t.Errorf("got %v", got)
	}
	out, err = s.DescribeInstanceInformation(h.Ctx(), &ssmapi.DescribeInstanceInformationRequest{Filters: []ssmapi.InstanceInformationStringFilter{{Key: ptr.To("PingStatus"), Values: []string{"Online"}}, {Key: ptr.To("tag:Env"), Values: []string{"prod"}}}})
	if err != nil || len(out.InstanceInformationList) != 1 || ptr.Deref(out.InstanceInformationList[0].InstanceId) != "i-1" {
		t.Errorf("filtered: %v %v", out, err)
	}
	if _, err := s.DescribeInstanceInformation(h.Ctx(), &ssmapi.DescribeInstanceInformationRequest{Filters: []ssmapi.InstanceInformationStringFilter{{Key: ptr.To("Bogus"), Values: []string{"x"}}}}); code(err) != "InvalidInstanceInformationFilterValue" {
		t.Errorf("bad key: %v", err)
	}
}

func TestDocuments(t *testing.T) {
	h, s, f := runHarness(t)
	doc := `{"schemaVersion":"2.2","description":"d","parameters":{"who":{"type":"String","default":"world"}},"mainSteps":[{"action":"aws:runShellScript","name":"hello","inputs":{"runCommand":["echo hello {{ who }}"]}}]}`
	if _, err := s.CreateDocument(h.Ctx(), &ssmapi.CreateDocumentRequest{Name: ptr.To("Hello"), Content: ptr.To(doc)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateDocument(h.Ctx(), &ssmapi.CreateDocumentRequest{Name: ptr.To("Hello"), Content: ptr.To(doc)}); code(err) != "DocumentAlreadyExists" {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := s.CreateDocument(h.Ctx(), &ssmapi.CreateDocumentRequest{Name: ptr.To("AWS-Mine"), Content: ptr.To(doc)}); code(err) != "InvalidDocument" {
		t.Errorf("reserved prefix: %v", err)
	}
	if _, err := s.CreateDocument(h.Ctx(), &ssmapi.CreateDocumentRequest{Name: ptr.To("Broken"), Content: ptr.To("{")}); code(err) != "InvalidDocumentContent" {
		t.Errorf("bad content: %v", err)
	}
	if _, err := s.UpdateDocument(h.Ctx(), &ssmapi.UpdateDocumentRequest{Name: ptr.To("Hello"), Content: ptr.To(doc), DocumentVersion: ptr.To("$LATEST")}); code(err) != "DuplicateDocumentContent" {
		t.Errorf("same content: %v", err)
	}
	v2 := strings.Replace(doc, "hello", "bye", 2)
	up, err := s.UpdateDocument(h.Ctx(), &ssmapi.UpdateDocumentRequest{Name: ptr.To("Hello"), Content: ptr.To(v2), DocumentVersion: ptr.To("$LATEST")})
	if err != nil || ptr.Deref(up.DocumentDescription.LatestVersion) != "2" || ptr.Deref(up.DocumentDescription.DefaultVersion) != "1" {
		t.Fatalf("update: %v %v", up, err)
	}
	g, err := s.GetDocument(h.Ctx(), &ssmapi.GetDocumentRequest{Name: ptr.To("Hello"), DocumentVersion: ptr.To("$LATEST")})
	if err != nil || ptr.Deref(g.Content) != v2 {
		t.Errorf("get latest: %v %v", g, err)
	}
	if _, err := s.UpdateDocumentDefaultVersion(h.Ctx(), &ssmapi.UpdateDocumentDefaultVersionRequest{Name: ptr.To("Hello"), DocumentVersion: ptr.To("2")}); err != nil {
		t.Fatal(err)
	}
	vs, err := s.ListDocumentVersions(h.Ctx(), &ssmapi.ListDocumentVersionsRequest{Name: ptr.To("Hello")})
	if err != nil || len(vs.DocumentVersions) != 2 || !ptr.Deref(vs.DocumentVersions[1].IsDefaultVersion) {
		t.Errorf("versions: %v %v", vs, err)
	}
	// The default (v2) runs, with the parameter's default substituted.
	out, err := s.SendCommand(h.Ctx(), &ssmapi.SendCommandRequest{InstanceIds: []string{"i-1"}, DocumentName: ptr.To("Hello")})
	if err != nil {
		t.Fatal(err)
	}
	inv := settled(t, h, s, ptr.Deref(out.Command.CommandId), "i-1")
	if ptr.Deref(inv.StandardOutputContent) != "echo bye world\n" || ptr.Deref(inv.PluginName) != "bye" {
		t.Errorf("custom document ran %q (%s)", ptr.Deref(inv.StandardOutputContent), ptr.Deref(inv.PluginName))
	}
	ld, err := s.ListDocuments(h.Ctx(), &ssmapi.ListDocumentsRequest{Filters: []ssmapi.DocumentKeyValuesFilter{{Key: ptr.To("Owner"), Values: []string{"Amazon"}}}})
	if err != nil || len(ld.DocumentIdentifiers) == 0 || ptr.Deref(ld.DocumentIdentifiers[0].Owner) != "Amazon" {
		t.Errorf("list Amazon documents: %v %v", ld, err)
	}
	names := map[string]bool{}
	for _, d := range ld.DocumentIdentifiers {
		names[ptr.Deref(d.Name)] = true
	}
	if !names["AWS-RunShellScript"] || names["Hello"] {
		t.Errorf("Amazon documents: %v", names)
	}
	if _, err := s.DeleteDocument(h.Ctx(), &ssmapi.DeleteDocumentRequest{Name: ptr.To("AWS-RunShellScript")}); code(err) != "InvalidDocumentOperation" {
		t.Errorf("delete AWS document: %v", err)
	}
	if _, err := s.DeleteDocument(h.Ctx(), &ssmapi.DeleteDocumentRequest{Name: ptr.To("Hello"), DocumentVersion: ptr.To("2")}); code(err) != "InvalidDocumentOperation" {
		t.Errorf("delete default version: %v", err)
	}
	// Associations: create, update (a new version), describe an old
	// version, refuse deleting the document while associated.
	a, err := s.CreateAssociation(h.Ctx(), &ssmapi.CreateAssociationRequest{Name: ptr.To("Hello"), Targets: []ssmapi.Target{{Key: ptr.To("tag:Env"), Values: []string{"prod"}}}, ScheduleExpression: ptr.To("rate(30 minutes)")})
	if err != nil {
		t.Fatal(err)
	}
	aid := a.AssociationDescription.AssociationId
	if _, err := s.DeleteDocument(h.Ctx(), &ssmapi.DeleteDocumentRequest{Name: ptr.To("Hello")}); code(err) != "AssociatedInstances" {
		t.Errorf("delete associated document: %v", err)
	}
	u, err := s.UpdateAssociation(h.Ctx(), &ssmapi.UpdateAssociationRequest{AssociationId: aid, ScheduleExpression: ptr.To("rate(1 hour)")})
	if err != nil || ptr.Deref(u.AssociationDescription.AssociationVersion) != "2" {
		t.Fatalf("update association: %v %v", u, err)
	}
	d1, err := s.DescribeAssociation(h.Ctx(), &ssmapi.DescribeAssociationRequest{AssociationId: aid, AssociationVersion: ptr.To("1")})
	if err != nil || ptr.Deref(d1.AssociationDescription.ScheduleExpression) != "rate(30 minutes)" {
		t.Errorf("version 1: %v %v", d1, err)
	}
	la, err := s.ListAssociations(h.Ctx(), &ssmapi.ListAssociationsRequest{AssociationFilterList: []ssmapi.AssociationFilter{{Key: ptr.To("Name"), Value: ptr.To("Hello")}}})
	if err != nil || len(la.Associations) != 1 {
		t.Errorf("list associations: %v %v", la, err)
	}
	if _, err := s.DeleteAssociation(h.Ctx(), &ssmapi.DeleteAssociationRequest{AssociationId: aid}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DescribeAssociation(h.Ctx(), &ssmapi.DescribeAssociationRequest{AssociationId: aid}); code(err) != "AssociationDoesNotExist" {
		t.Errorf("deleted association: %v", err)
	}
	if _, err := s.DeleteDocument(h.Ctx(), &ssmapi.DeleteDocumentRequest{Name: ptr.To("Hello")}); err != nil {
		t.Errorf("delete document: %v", err)
	}
	_ = f
}

func FuzzParseDocument(f *testing.F) {
	f.Add(runShellScript)
	f.Add(configureAWSPackage)
	f.Add("schemaVersion: '2.2'\nmainSteps:\n- action: aws:runShellScript\n  name: x\n  inputs:\n    runCommand: ['{{ a }}']\n")
	f.Fuzz(func(t *testing.T, content string) {
		d, err := parseDocument(content)
		if err != nil {
			return
		}
		params, err := resolveParams(d, map[string][]string{})
		if err != nil {
			return
		}
		_ = steps(d, params)
	})
}

// TestInterruptedCommandsFailAfterARestart: a command that ran when SSM
// closed fails when it starts again on the same store.
func TestInterruptedCommandsFailAfterARestart(t *testing.T) {
	h, s, f := runHarness(t)
	f.started = make(chan string, 1)
	out, err := s.SendCommand(h.Ctx(), &ssmapi.SendCommandRequest{InstanceIds: []string{"i-1"}, DocumentName: ptr.To("AWS-RunShellScript"),
		Parameters: map[string][]string{"commands": {"block"}}})
	if err != nil {
		t.Fatal(err)
	}
	<-f.started
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	id := ptr.Deref(out.Command.CommandId)
	still, err := s.GetCommandInvocation(h.Ctx(), &ssmapi.GetCommandInvocationRequest{CommandId: ptr.To(id), InstanceId: ptr.To("i-1")})
	if err != nil || ptr.Deref(still.Status) != "InProgress" {
		t.Fatalf("at close: %v %v", ptr.Deref(still.Status), err)
	}
	again := New(h.Store(), h.Clock, Options{Instances: f})
	t.Cleanup(func() { _ = again.Close() })
	inv, err := again.GetCommandInvocation(h.Ctx(), &ssmapi.GetCommandInvocationRequest{CommandId: ptr.To(id), InstanceId: ptr.To("i-1")})
	if err != nil || ptr.Deref(inv.Status) != "Failed" || !strings.Contains(ptr.Deref(inv.StandardErrorContent), "niwa stopped") {
		t.Fatalf("after a restart: %+v %v", inv, err)
	}
	lc, err := again.ListCommands(h.Ctx(), &ssmapi.ListCommandsRequest{CommandId: ptr.To(id)})
	if err != nil || ptr.Deref(lc.Commands[0].Status) != "Failed" {
		t.Fatalf("command: %v %v", lc, err)
	}
}
