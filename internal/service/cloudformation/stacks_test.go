package cloudformation

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeCloud is a provider of Test::Thing resources that records what it
// was asked and fails properties saying Fail: true.
type fakeCloud struct {
	mu    sync.Mutex
	live  map[string]map[string]any
	calls []string
	n     int
}

func (f *fakeCloud) providers(typ string) (kit.ResourceProvider, bool) {
	switch typ {
	case "Test::Thing", "AWS::IAM::Role":
		return kit.ResourceProvider{
			Create: func(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.calls = append(f.calls, "create "+r.LogicalID)
				if kit.PropBool(r.Properties, "Fail") {
					return kit.ResourceResult{}, awserr.ValidationError.New("thing %s refused", r.LogicalID)
				}
				f.n++
				id := fmt.Sprintf("thing-%d", f.n)
				if f.live == nil {
					f.live = map[string]map[string]any{}
				}
				f.live[id] = r.Properties
				return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Arn": "arn:test:" + id, "Name": r.Str("Name")}}, nil
			},
			Update: func(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.calls = append(f.calls, "update "+r.LogicalID)
				if kit.PropBool(r.Properties, "Fail") {
					return kit.ResourceResult{}, awserr.ValidationError.New("thing %s refused", r.LogicalID)
				}
				f.live[r.PhysicalID] = r.Properties
				return kit.ResourceResult{Attributes: map[string]any{"Arn": "arn:test:" + r.PhysicalID, "Name": r.Str("Name")}}, nil
			},
			Delete: func(ctx *request.Context, r kit.ResourceRequest) error {
				f.mu.Lock()
				defer f.mu.Unlock()
				f.calls = append(f.calls, "delete "+r.LogicalID)
				delete(f.live, r.PhysicalID)
				return nil
			},
			Read: func(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
				f.mu.Lock()
				defer f.mu.Unlock()
				live, ok := f.live[r.PhysicalID]
				if !ok {
					return nil, kit.ErrResourceGone
				}
				return map[string]any{"Name": live["Name"], "Size": live["Size"], "Tags": live["Tags"]}, nil
			},
			Replace: []string{"Name", "Config.Kind", "Ports.Number"},
			Tags:    true,
		}, true
	}
	return kit.ResourceProvider{}, false
}

func (f *fakeCloud) liveCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.live)
}

func newTestService(t *testing.T) (*CloudFormation, *servicetest.Harness, *fakeCloud) {
	t.Helper()
	h := servicetest.New(t, "cloudformation")
	f := &fakeCloud{}
	c := New(h.Store(), h.Clock, nil, Config{Providers: f.providers})
	t.Cleanup(func() { _ = c.Close() })
	return c, h, f
}

// waitStatus waits for a stack to leave its *_IN_PROGRESS statuses.
func waitStatus(t *testing.T, c *CloudFormation, ctx *request.Context, name string) *cfnapi.Stack {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		out, err := c.DescribeStacks(ctx, &cfnapi.DescribeStacksInput{StackName: ptr.To(name)})
		if err != nil {
			t.Fatal(err)
		}
		if s := out.Stacks[0]; !strings.HasSuffix(*s.StackStatus, "_IN_PROGRESS") {
			return &s
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("stack %s still in progress", name)
	return nil
}

func events(t *testing.T, c *CloudFormation, ctx *request.Context, name string) []string {
	t.Helper()
	out, err := c.DescribeStackEvents(ctx, &cfnapi.DescribeStackEventsInput{StackName: ptr.To(name)})
	if err != nil {
		t.Fatal(err)
	}
	var l []string
	for i := len(out.StackEvents) - 1; i >= 0; i-- {
		e := out.StackEvents[i]
		s := *e.LogicalResourceId + " " + *e.ResourceStatus
		if e.ResourceStatusReason != nil {
			s += " " + *e.ResourceStatusReason
		}
		l = append(l, s)
	}
	return l
}

const twoThings = `
Parameters:
  Name: {Type: String, Default: one}
Resources:
  A:
    Type: Test::Thing
    Properties: {Name: !Ref Name}
  B:
    Type: Test::Thing
    Properties:
      Name: !Sub "${A.Name}-b"
      Peer: !GetAtt A.Arn
Outputs:
  BArn:
    Value: !GetAtt B.Arn
    Export: {Name: !Sub "${AWS::StackName}-b"}
`

func TestCreateStackEventsAndOutputs(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(twoThings),
		Tags: []cfnapi.Tag{{Key: ptr.To("team"), Value: ptr.To("x")}}}); err != nil {
		t.Fatal(err)
	}
	s := waitStatus(t, c, ctx, "s")
	if *s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	want := []string{"s CREATE_IN_PROGRESS User Initiated",
		"A CREATE_IN_PROGRESS", "A CREATE_IN_PROGRESS Resource creation Initiated", "A CREATE_COMPLETE",
		"B CREATE_IN_PROGRESS", "B CREATE_IN_PROGRESS Resource creation Initiated", "B CREATE_COMPLETE",
		"s CREATE_COMPLETE"}
	if got := events(t, c, ctx, "s"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	if len(s.Outputs) != 1 || *s.Outputs[0].OutputValue != "arn:test:thing-2" || *s.Outputs[0].ExportName != "s-b" {
		t.Fatalf("outputs %+v", s.Outputs)
	}
	// Properties resolved through Sub/GetAtt, stack tags propagated.
	b := f.live["thing-2"]
	if b["Name"] != "one-b" || b["Peer"] != "arn:test:thing-1" {
		t.Fatalf("B properties %v", b)
	}
	if tags := kit.PropTags(b); tags["team"] != "x" {
		t.Fatalf("tags %v", tags)
	}
	ex, err := c.ListExports(ctx, &cfnapi.ListExportsInput{})
	if err != nil || len(ex.Exports) != 1 || *ex.Exports[0].Name != "s-b" {
		t.Fatalf("exports %+v %v", ex, err)
	}
	// A second stack may not export the same name.
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s2"), TemplateBody: ptr.To(strings.ReplaceAll(twoThings, "${AWS::StackName}", "s"))}); err != nil {
		t.Fatal(err)
	}
	s2 := waitStatus(t, c, ctx, "s2")
	if *s2.StackStatus != "ROLLBACK_COMPLETE" || !contains(events(t, c, ctx, "s2"), "s2 ROLLBACK_IN_PROGRESS Export with name s-b is already exported by stack s. Rollback requested by user.") {
		t.Fatalf("s2 %s\n%s", *s2.StackStatus, strings.Join(events(t, c, ctx, "s2"), "\n"))
	}
	// Existing name.
	_, err = c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(twoThings)})
	if !cfnapi.ErrAlreadyExistsException.Is(err) {
		t.Fatalf("err %v", err)
	}
}

func TestCreateFailureRollsBack(t *testing.T) {
	for _, disable := range []bool{false, true} {
		t.Run(fmt.Sprint("disableRollback=", disable), func(t *testing.T) {
			c, h, f := newTestService(t)
			ctx := h.Ctx()
			body := `{"Resources": {"A": {"Type": "Test::Thing"}, "B": {"Type": "Test::Thing", "DependsOn": "A", "Properties": {"Fail": true}}}}`
			if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(body), DisableRollback: ptr.To(disable)}); err != nil {
				t.Fatal(err)
			}
			s := waitStatus(t, c, ctx, "s")
			got := events(t, c, ctx, "s")
			failed := `B CREATE_FAILED Resource handler returned message: "thing B refused" (HandlerErrorCode: InvalidRequest)`
			if disable {
				if *s.StackStatus != "CREATE_FAILED" || f.liveCount() != 1 {
					t.Fatalf("status %s live %d", *s.StackStatus, f.liveCount())
				}
				if got[len(got)-2] != failed || got[len(got)-1] != "s CREATE_FAILED The following resource(s) failed to create: [B]. " {
					t.Fatalf("events:\n%s", strings.Join(got, "\n"))
				}
				return
			}
			if *s.StackStatus != "ROLLBACK_COMPLETE" || f.liveCount() != 0 {
				t.Fatalf("status %s live %d", *s.StackStatus, f.liveCount())
			}
			want := []string{failed,
				"s ROLLBACK_IN_PROGRESS The following resource(s) failed to create: [B]. Rollback requested by user.",
				"B DELETE_COMPLETE", "A DELETE_IN_PROGRESS", "A DELETE_COMPLETE", "s ROLLBACK_COMPLETE"}
			if strings.Join(got[len(got)-len(want):], "\n") != strings.Join(want, "\n") {
				t.Fatalf("events:\n%s", strings.Join(got, "\n"))
			}
			// A stack in ROLLBACK_COMPLETE can only be deleted.
			_, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(body)})
			if err == nil || !strings.Contains(err.Error(), "ROLLBACK_COMPLETE state and can not be updated") {
				t.Fatalf("update: %v", err)
			}
		})
	}
}

func TestUpdateStack(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(twoThings)}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, ctx, "s")
	// Nothing changed.
	_, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("s"), UsePreviousTemplate: ptr.To(true)})
	if err == nil || err.Error() != "ValidationError: No updates are to be performed." {
		t.Fatalf("no-op update: %v", err)
	}
	// A new Name replaces A and, through A.Name, B; cleanup deletes the
	// old ones.
	if _, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("s"), UsePreviousTemplate: ptr.To(true),
		Parameters: []cfnapi.Parameter{{ParameterKey: ptr.To("Name"), ParameterValue: ptr.To("two")}}}); err != nil {
		t.Fatal(err)
	}
	s := waitStatus(t, c, ctx, "s")
	if *s.StackStatus != "UPDATE_COMPLETE" || f.liveCount() != 2 || *s.Outputs[0].OutputValue != "arn:test:thing-4" {
		t.Fatalf("status %s live %d outputs %+v", *s.StackStatus, f.liveCount(), s.Outputs)
	}
	got := events(t, c, ctx, "s")
	if !contains(got, "A UPDATE_IN_PROGRESS Requested update requires the creation of a new physical resource; hence creating one.") ||
		!contains(got, "s UPDATE_COMPLETE_CLEANUP_IN_PROGRESS") {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	// A failing update rolls back to the previous template.
	bad := strings.Replace(twoThings, "Peer: !GetAtt A.Arn", "Peer: !GetAtt A.Arn\n      Fail: true", 1)
	if _, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(bad)}); err != nil {
		t.Fatal(err)
	}
	s = waitStatus(t, c, ctx, "s")
	if *s.StackStatus != "UPDATE_ROLLBACK_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	got = events(t, c, ctx, "s")
	if !contains(got, "s UPDATE_ROLLBACK_IN_PROGRESS The following resource(s) failed to update: [B]. ") {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	tb, _ := c.GetTemplate(ctx, &cfnapi.GetTemplateInput{StackName: ptr.To("s")})
	if *tb.TemplateBody != twoThings {
		t.Fatalf("template not rolled back")
	}
	// Removing B deletes it.
	one := "Resources:\n  A:\n    Type: Test::Thing\n    Properties: {Name: two}\n"
	if _, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(one)}); err != nil {
		t.Fatal(err)
	}
	if s = waitStatus(t, c, ctx, "s"); *s.StackStatus != "UPDATE_COMPLETE" || f.liveCount() != 1 {
		t.Fatalf("status %s live %d", *s.StackStatus, f.liveCount())
	}
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

func TestDeleteStack(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	body := `{"Resources": {"A": {"Type": "Test::Thing"}, "Kept": {"Type": "Test::Thing", "DeletionPolicy": "Retain"}},
	  "Outputs": {"O": {"Value": {"Ref": "A"}, "Export": {"Name": "shared"}}}}`
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(body), EnableTerminationProtection: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	created := waitStatus(t, c, ctx, "s")
	importer := `{"Resources": {"I": {"Type": "Test::Thing", "Properties": {"X": {"Fn::ImportValue": "shared"}}}}}`
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("imp"), TemplateBody: ptr.To(importer)}); err != nil {
		t.Fatal(err)
	}
	waitStatus(t, c, ctx, "imp")
	imps, err := c.ListImports(ctx, &cfnapi.ListImportsInput{ExportName: ptr.To("shared")})
	if err != nil || len(imps.Imports) != 1 || imps.Imports[0] != "imp" {
		t.Fatalf("imports %+v %v", imps, err)
	}
	_, err = c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To("s")})
	if err == nil || !strings.Contains(err.Error(), "cannot be deleted while TerminationProtection is enabled") {
		t.Fatalf("err %v", err)
	}
	if _, err := c.UpdateTerminationProtection(ctx, &cfnapi.UpdateTerminationProtectionInput{StackName: ptr.To("s"), EnableTerminationProtection: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	s := waitStatus(t, c, ctx, "s")
	if *s.StackStatus != "DELETE_FAILED" || *s.StackStatusReason != "Export shared cannot be deleted as it is in use by imp" {
		t.Fatalf("status %s %s", *s.StackStatus, ptr.Deref(s.StackStatusReason))
	}
	if _, err := c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To("imp")}); err != nil {
		t.Fatal(err)
	}
	waitDeleted(t, c, ctx, "imp")
	if _, err := c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	waitDeleted(t, c, ctx, "s")
	// Retained resources stay.
	if f.liveCount() != 1 {
		t.Fatalf("live %d", f.liveCount())
	}
	got := events(t, c, ctx, *created.StackId)
	if !contains(got, "Kept DELETE_SKIPPED") || got[len(got)-1] != "s DELETE_COMPLETE" {
		t.Fatalf("events:\n%s", strings.Join(got, "\n"))
	}
	// Gone by name, listed as deleted.
	_, err = c.DescribeStacks(ctx, &cfnapi.DescribeStacksInput{StackName: ptr.To("s")})
	if err == nil || err.Error() != "ValidationError: Stack with id s does not exist" {
		t.Fatalf("err %v", err)
	}
	l, _ := c.ListStacks(ctx, &cfnapi.ListStacksInput{StackStatusFilter: []string{"DELETE_COMPLETE"}})
	if len(l.StackSummaries) != 2 {
		t.Fatalf("deleted stacks %d", len(l.StackSummaries))
	}
}

func waitDeleted(t *testing.T, c *CloudFormation, ctx *request.Context, name string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := c.DescribeStacks(ctx, &cfnapi.DescribeStacksInput{StackName: ptr.To(name)}); err != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("stack %s not deleted", name)
}

func TestCreateStackRefusals(t *testing.T) {
	c, h, _ := newTestService(t)
	ctx := h.Ctx()
	cases := []struct {
		name, body string
		params     []cfnapi.Parameter
		caps       []string
		want       string
	}{
		{"cycle", `{"Resources": {"A": {"Type": "Test::Thing", "Properties": {"X": {"Ref": "B"}}}, "B": {"Type": "Test::Thing", "DependsOn": "A"}}}`, nil, nil,
			"ValidationError: Circular dependency between resources: [A, B]"},
		{"unknown type", `{"Resources": {"A": {"Type": "AWS::Nope::Thing"}}}`, nil, nil,
			"ValidationError: Template format error: Unrecognized resource types: [AWS::Nope::Thing]"},
		{"no resources", `{"Resources": {}}`, nil, nil, "ValidationError: Template format error: At least one Resources member must be defined."},
		{"bad ref", `{"Resources": {"A": {"Type": "Test::Thing", "Properties": {"X": {"Ref": "Nope"}}}}}`, nil, nil,
			"ValidationError: Template format error: Unresolved resource dependencies [Nope] in the Resources block of the template"},
		{"missing parameter", `{"Parameters": {"P": {"Type": "String"}}, "Resources": {"A": {"Type": "Test::Thing"}}}`, nil, nil,
			"ValidationError: Parameters: [P] must have values"},
		{"unknown parameter", `{"Resources": {"A": {"Type": "Test::Thing"}}}`, []cfnapi.Parameter{{ParameterKey: ptr.To("Q"), ParameterValue: ptr.To("x")}}, nil,
			"ValidationError: Parameters: [Q] do not exist in the template"},
		{"allowed values", `{"Parameters": {"P": {"Type": "String", "AllowedValues": ["a"]}}, "Resources": {"A": {"Type": "Test::Thing"}}}`,
			[]cfnapi.Parameter{{ParameterKey: ptr.To("P"), ParameterValue: ptr.To("b")}}, nil, "ValidationError: Parameter 'P' must be one of AllowedValues"},
		{"iam capability", `{"Resources": {"R": {"Type": "AWS::IAM::Role"}}}`, nil, nil,
			"InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_IAM]"},
		{"named iam capability", `{"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "r"}}}}`, nil, []string{"CAPABILITY_IAM"},
			"InsufficientCapabilitiesException: Requires capabilities : [CAPABILITY_NAMED_IAM]"},
		{"yaml", "Resources:\n  A: [", nil, nil, "ValidationError: Template format error: YAML not well-formed."},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(tc.body), Parameters: tc.params, Capabilities: tc.caps})
			if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
				t.Fatalf("err %v, want %s", err, tc.want)
			}
			var ae *awserr.Error
			if !errors.As(err, &ae) {
				t.Fatalf("not an AWS error: %v", err)
			}
		})
	}
}

func TestChangeSets(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	out, err := c.CreateChangeSet(ctx, &cfnapi.CreateChangeSetInput{StackName: ptr.To("s"), ChangeSetName: ptr.To("c1"),
		ChangeSetType: ptr.To("CREATE"), TemplateBody: ptr.To(twoThings)})
	if err != nil {
		t.Fatal(err)
	}
	st, _ := c.DescribeStacks(ctx, &cfnapi.DescribeStacksInput{StackName: ptr.To("s")})
	if *st.Stacks[0].StackStatus != "REVIEW_IN_PROGRESS" {
		t.Fatalf("status %s", *st.Stacks[0].StackStatus)
	}
	d, err := c.DescribeChangeSet(ctx, &cfnapi.DescribeChangeSetInput{ChangeSetName: out.Id})
	if err != nil || len(d.Changes) != 2 || *d.Changes[0].ResourceChange.Action != "Add" || *d.Status != "CREATE_COMPLETE" {
		t.Fatalf("change set %+v %v", d, err)
	}
	if _, err := c.ExecuteChangeSet(ctx, &cfnapi.ExecuteChangeSetInput{ChangeSetName: ptr.To("c1"), StackName: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "s"); *s.StackStatus != "CREATE_COMPLETE" || f.liveCount() != 2 {
		t.Fatalf("status %s", *s.StackStatus)
	}
	// Same template: the change set fails with AWS's reason.
	if _, err := c.CreateChangeSet(ctx, &cfnapi.CreateChangeSetInput{StackName: ptr.To("s"), ChangeSetName: ptr.To("c2"), TemplateBody: ptr.To(twoThings)}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeChangeSet(ctx, &cfnapi.DescribeChangeSetInput{ChangeSetName: ptr.To("c2"), StackName: ptr.To("s")})
	if *d.Status != "FAILED" || *d.StatusReason != noChanges || *d.ExecutionStatus != "UNAVAILABLE" {
		t.Fatalf("change set %+v", d)
	}
	// A changed Name (a replacement property) and a changed Peer.
	changed := strings.Replace(twoThings, "Properties: {Name: !Ref Name}", "Properties: {Name: fixed}", 1)
	changed = strings.Replace(changed, "Peer: !GetAtt A.Arn", "Peer: other", 1)
	if _, err := c.CreateChangeSet(ctx, &cfnapi.CreateChangeSetInput{StackName: ptr.To("s"), ChangeSetName: ptr.To("c3"), TemplateBody: ptr.To(changed)}); err != nil {
		t.Fatal(err)
	}
	d, _ = c.DescribeChangeSet(ctx, &cfnapi.DescribeChangeSetInput{ChangeSetName: ptr.To("c3"), StackName: ptr.To("s")})
	if len(d.Changes) != 2 || *d.Changes[0].ResourceChange.Replacement != "True" || *d.Changes[1].ResourceChange.Replacement != "False" ||
		*d.Changes[1].ResourceChange.Details[0].Target.Name != "Peer" {
		t.Fatalf("changes %+v", d.Changes)
	}
	l, _ := c.ListChangeSets(ctx, &cfnapi.ListChangeSetsInput{StackName: ptr.To("s")})
	if len(l.Summaries) != 3 {
		t.Fatalf("change sets %d", len(l.Summaries))
	}
	if _, err := c.ExecuteChangeSet(ctx, &cfnapi.ExecuteChangeSetInput{ChangeSetName: ptr.To("c3"), StackName: ptr.To("s")}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "s"); *s.StackStatus != "UPDATE_COMPLETE" {
		t.Fatalf("status %s", *s.StackStatus)
	}
	// Executing drops the stack's other change sets.
	if l, _ = c.ListChangeSets(ctx, &cfnapi.ListChangeSetsInput{StackName: ptr.To("s")}); len(l.Summaries) != 1 {
		t.Fatalf("change sets %d", len(l.Summaries))
	}
}

// physicalID is the physical id of a stack's resource.
func physicalID(t *testing.T, c *CloudFormation, ctx *request.Context, stack, logical string) string {
	t.Helper()
	out, err := c.DescribeStackResource(ctx, &cfnapi.DescribeStackResourceInput{StackName: ptr.To(stack), LogicalResourceId: ptr.To(logical)})
	if err != nil {
		t.Fatal(err)
	}
	return *out.StackResourceDetail.PhysicalResourceId
}

// A provider's nested replacement paths ("Config.Kind", "Ports.Number")
// replace the resource when the value at that path changes, and only
// then; change sets report the top-level property as RequiresRecreation
// Always, as AWS does for HealthCheckConfig.Type.
func TestNestedReplacementPaths(t *testing.T) {
	const base = `
Resources:
  A:
    Type: Test::Thing
    Properties:
      Config: {Kind: small, Size: 1}
      Ports: [{Number: 80, Label: web}]
`
	tests := []struct {
		name, from, to string
		replace        bool
	}{
		{"sibling of a nested path", "Size: 1", "Size: 2", false},
		{"nested path", "Kind: small", "Kind: large", true},
		{"nested path removed", "Kind: small, ", "", true},
		{"list element's other field", "Label: web", "Label: www", false},
		{"list element's nested path", "Number: 80", "Number: 81", true},
		{"list element added", "Label: web}]", "Label: web}, {Number: 443}]", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, h, f := newTestService(t)
			ctx := h.Ctx()
			if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("s"), TemplateBody: ptr.To(base)}); err != nil {
				t.Fatal(err)
			}
			waitStatus(t, c, ctx, "s")
			before := physicalID(t, c, ctx, "s", "A")
			next := strings.Replace(base, tt.from, tt.to, 1)
			if _, err := c.CreateChangeSet(ctx, &cfnapi.CreateChangeSetInput{StackName: ptr.To("s"), ChangeSetName: ptr.To("c"), TemplateBody: ptr.To(next)}); err != nil {
				t.Fatal(err)
			}
			d, err := c.DescribeChangeSet(ctx, &cfnapi.DescribeChangeSetInput{ChangeSetName: ptr.To("c"), StackName: ptr.To("s")})
			if err != nil || len(d.Changes) != 1 || len(d.Changes[0].ResourceChange.Details) != 1 {
				t.Fatalf("change set %+v %v", d, err)
			}
			rc := d.Changes[0].ResourceChange
			wantRepl, wantRecreate := "False", "Never"
			if tt.replace {
				wantRepl, wantRecreate = "True", "Always"
			}
			if got := rc.Details[0].Target; *rc.Replacement != wantRepl || *got.RequiresRecreation != wantRecreate ||
				(*got.Name != "Config" && *got.Name != "Ports") {
				t.Fatalf("Replacement %s, detail %s RequiresRecreation %s; want %s, %s", *rc.Replacement, *got.Name, *got.RequiresRecreation, wantRepl, wantRecreate)
			}
			if _, err := c.ExecuteChangeSet(ctx, &cfnapi.ExecuteChangeSetInput{ChangeSetName: ptr.To("c"), StackName: ptr.To("s")}); err != nil {
				t.Fatal(err)
			}
			if s := waitStatus(t, c, ctx, "s"); *s.StackStatus != "UPDATE_COMPLETE" {
				t.Fatalf("status %s", *s.StackStatus)
			}
			after := physicalID(t, c, ctx, "s", "A")
			if replaced := after != before; replaced != tt.replace || f.liveCount() != 1 {
				t.Fatalf("physical id %s -> %s (replace %v), live %d, calls %v", before, after, tt.replace, f.liveCount(), f.calls)
			}
		})
	}
}
