package cloudformation

import (
	"testing"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const driftTemplate = `
Resources:
  Kept:
    Type: Test::Thing
    Properties: {Name: kept, Size: 5}
  Changed:
    Type: Test::Thing
    Properties:
      Name: changed
      Size: 5
      Tags: [{Key: team, Value: a}]
  Gone:
    Type: Test::Thing
    Properties: {Name: gone}
  Unchecked:
    Type: AWS::CloudFormation::WaitConditionHandle
`

func TestDriftDetection(t *testing.T) {
	c, h, f := newTestService(t)
	ctx := h.Ctx()
	if _, err := c.CreateStack(ctx, &cfnapi.CreateStackInput{StackName: ptr.To("d"), TemplateBody: ptr.To(driftTemplate)}); err != nil {
		t.Fatal(err)
	}
	if s := waitStatus(t, c, ctx, "d"); *s.StackStatus != "CREATE_COMPLETE" || *s.DriftInformation.StackDriftStatus != "NOT_CHECKED" {
		t.Fatalf("stack %s drift %s", *s.StackStatus, *s.DriftInformation.StackDriftStatus)
	}
	res, err := c.DescribeStackResources(ctx, &cfnapi.DescribeStackResourcesInput{StackName: ptr.To("d")})
	if err != nil {
		t.Fatal(err)
	}
	phys := map[string]string{}
	for _, r := range res.StackResources {
		phys[*r.LogicalResourceId] = *r.PhysicalResourceId
	}
	// Out of band: Changed's size and tags change, Gone is deleted.
	f.mu.Lock()
	f.live[phys["Changed"]] = map[string]any{"Name": "changed", "Size": "6", "Tags": []any{
		map[string]any{"Key": "team", "Value": "a"}, map[string]any{"Key": "extra", "Value": "x"}}}
	delete(f.live, phys["Gone"])
	f.mu.Unlock()

	// In sync before detection for the one resource asked.
	one, err := c.DetectStackResourceDrift(ctx, &cfnapi.DetectStackResourceDriftInput{StackName: ptr.To("d"), LogicalResourceId: ptr.To("Kept")})
	if err != nil || *one.StackResourceDrift.StackResourceDriftStatus != "IN_SYNC" {
		t.Fatalf("Kept: %+v %v", one, err)
	}
	det, err := c.DetectStackDrift(ctx, &cfnapi.DetectStackDriftInput{StackName: ptr.To("d")})
	if err != nil {
		t.Fatal(err)
	}
	st, err := c.DescribeStackDriftDetectionStatus(ctx, &cfnapi.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: det.StackDriftDetectionId})
	if err != nil {
		t.Fatal(err)
	}
	if *st.DetectionStatus != "DETECTION_COMPLETE" || *st.StackDriftStatus != "DRIFTED" || *st.DriftedStackResourceCount != 2 {
		t.Fatalf("status %s drift %s count %d", *st.DetectionStatus, *st.StackDriftStatus, *st.DriftedStackResourceCount)
	}
	drifts, err := c.DescribeStackResourceDrifts(ctx, &cfnapi.DescribeStackResourceDriftsInput{StackName: ptr.To("d")})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]cfnapi.StackResourceDrift{}
	for _, d := range drifts.StackResourceDrifts {
		got[*d.LogicalResourceId] = d
	}
	for l, want := range map[string]string{"Kept": "IN_SYNC", "Changed": "MODIFIED", "Gone": "DELETED", "Unchecked": "NOT_CHECKED"} {
		if d, ok := got[l]; !ok || *d.StackResourceDriftStatus != want {
			t.Errorf("%s: %+v, want %s", l, d.StackResourceDriftStatus, want)
		}
	}
	diffs := map[string]string{}
	for _, p := range got["Changed"].PropertyDifferences {
		diffs[*p.PropertyPath] = *p.DifferenceType + " " + *p.ExpectedValue + " -> " + *p.ActualValue
	}
	want := map[string]string{"/Size": "NOT_EQUAL 5 -> 6", "/Tags/0": "ADD null -> {\"Key\":\"extra\",\"Value\":\"x\"}"}
	if len(diffs) != len(want) {
		t.Errorf("differences %v, want %v", diffs, want)
	}
	for p, w := range want {
		if diffs[p] != w {
			t.Errorf("%s: %q, want %q", p, diffs[p], w)
		}
	}
	filtered, err := c.DescribeStackResourceDrifts(ctx, &cfnapi.DescribeStackResourceDriftsInput{StackName: ptr.To("d"),
		StackResourceDriftStatusFilters: []string{"DELETED"}})
	if err != nil || len(filtered.StackResourceDrifts) != 1 || *filtered.StackResourceDrifts[0].LogicalResourceId != "Gone" {
		t.Fatalf("filtered: %+v %v", filtered, err)
	}
	s := waitStatus(t, c, ctx, "d")
	if *s.DriftInformation.StackDriftStatus != "DRIFTED" || s.DriftInformation.LastCheckTimestamp == nil {
		t.Fatalf("stack drift information %+v", s.DriftInformation)
	}
	if _, err := c.DescribeStackDriftDetectionStatus(ctx, &cfnapi.DescribeStackDriftDetectionStatusInput{StackDriftDetectionId: ptr.To("nope")}); err == nil {
		t.Fatal("unknown detection id answered")
	}
}

func TestCompareProp(t *testing.T) {
	for name, tc := range map[string]struct {
		exp, act any
		want     []diffRec
	}{
		"number as text":    {exp: 5.0, act: "5"},
		"json text vs map":  {exp: `{"a": 1}`, act: map[string]any{"a": 1.0}},
		"removed":           {exp: "x", act: nil, want: []diffRec{{"/P", "x", "null", "REMOVE"}}},
		"nested not equal":  {exp: map[string]any{"a": "1"}, act: map[string]any{"a": "2"}, want: []diffRec{{"/P/a", "1", "2", "NOT_EQUAL"}}},
		"list shorter":      {exp: []any{"a", "b"}, act: []any{"a"}, want: []diffRec{{"/P/1", "b", "null", "REMOVE"}}},
		"tags in any order": {exp: []any{map[string]any{"Key": "b", "Value": "2"}, map[string]any{"Key": "a", "Value": "1"}}, act: []any{map[string]any{"Key": "a", "Value": "1"}, map[string]any{"Key": "b", "Value": "2"}}},
		"map key added":     {exp: map[string]any{}, act: map[string]any{"k": "v"}, want: []diffRec{{"/P/k", "null", "v", "ADD"}}},
	} {
		t.Run(name, func(t *testing.T) {
			var got []diffRec
			compareProp("/P", tc.exp, tc.act, &got)
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Errorf("got %v, want %v", got[i], tc.want[i])
				}
			}
		})
	}
}
