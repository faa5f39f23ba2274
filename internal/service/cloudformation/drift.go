package cloudformation

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Drift detection compares each resource's template properties with
// what its provider reads back from the live resource (kit's
// ResourceProvider.Read). Detection runs at once: DetectStackDrift's
// detection is complete when DescribeStackDriftDetectionStatus is asked.

// driftRec is the last drift result of one resource.
type driftRec struct {
	Status           string
	Expected, Actual string
	Differences      []diffRec
	Checked          time.Time
}

type diffRec struct{ Path, Expected, Actual, Type string }

// detectionRec is one DetectStackDrift run.
type detectionRec struct {
	ID, Status, Reason, StackDriftStatus string
	Drifted                              int32
	Time                                 time.Time
}

// maxDetections bounds the detection runs a stack keeps.
const maxDetections = 20

// driftable are the statuses a stack's drift can be detected in.
func driftable(status string) bool {
	switch status {
	case "CREATE_COMPLETE", "UPDATE_COMPLETE", "UPDATE_ROLLBACK_COMPLETE", "UPDATE_ROLLBACK_FAILED":
		return true
	}
	return false
}

// detect reads one resource back and compares it with its properties.
func (c *CloudFormation) detect(ctx *request.Context, s *stackRec, r *resourceRec) *driftRec {
	now := c.clock.Now().UTC()
	d := &driftRec{Status: "NOT_CHECKED", Checked: now}
	expected := r.Props
	if expected == nil {
		expected = map[string]any{}
	}
	if b, err := json.Marshal(expected); err == nil {
		d.Expected = string(b)
	}
	p, ok := c.providers(r.Type)
	if !ok || p.Read == nil || r.PhysicalID == "" {
		return d
	}
	actual, err := p.Read(ctx, kit.ResourceRequest{LogicalID: r.LogicalID, StackName: s.Name, StackID: s.ID,
		PhysicalID: r.PhysicalID, Properties: r.Props, Attributes: r.Attrs})
	if errors.Is(err, kit.ErrResourceGone) {
		d.Status, d.Actual = "DELETED", ""
		return d
	}
	if err != nil {
		c.log.Warn("cloudformation: drift: reading resource", "stack", s.Name, "resource", r.LogicalID, "err", err)
		return d
	}
	// Actual properties are the expected ones with what was read over
	// them, as AWS shows them.
	merged := map[string]any{}
	for k, v := range expected {
		merged[k] = v
	}
	for _, k := range sortedKeys(actual) {
		if _, want := expected[k]; !want {
			continue
		}
		if actual[k] == nil {
			delete(merged, k)
			continue
		}
		merged[k] = actual[k]
	}
	if b, err := json.Marshal(merged); err == nil {
		d.Actual = string(b)
	}
	for _, k := range sortedKeys(actual) {
		exp, want := expected[k]
		if !want {
			continue
		}
		compareProp("/"+k, exp, actual[k], &d.Differences)
	}
	d.Status = "IN_SYNC"
	if len(d.Differences) > 0 {
		d.Status = "MODIFIED"
	}
	return d
}

// compareProp records the differences between an expected and an actual
// value at path, as AWS's PropertyDifferences: maps by key, lists by
// position (lists of tags by Key), scalars by their text.
func compareProp(path string, exp, act any, out *[]diffRec) {
	exp, act = normalizeDrift(exp), normalizeDrift(act)
	if act == nil {
		*out = append(*out, diffRec{Path: path, Expected: driftText(exp), Actual: "null", Type: "REMOVE"})
		return
	}
	switch e := exp.(type) {
	case map[string]any:
		a, ok := act.(map[string]any)
		if !ok {
			break
		}
		for _, k := range sortedKeys(e) {
			if av, ok := a[k]; ok {
				compareProp(path+"/"+k, e[k], av, out)
			} else {
				*out = append(*out, diffRec{Path: path + "/" + k, Expected: driftText(e[k]), Actual: "null", Type: "REMOVE"})
			}
		}
		for _, k := range sortedKeys(a) {
			if _, ok := e[k]; !ok {
				*out = append(*out, diffRec{Path: path + "/" + k, Expected: "null", Actual: driftText(a[k]), Type: "ADD"})
			}
		}
		return
	case []any:
		a, ok := act.([]any)
		if !ok {
			break
		}
		if keyedList(e) && keyedList(a) {
			compareKeyed(path, e, a, out)
			return
		}
		for i := range e {
			p := path + "/" + strconv.Itoa(i)
			if i < len(a) {
				compareProp(p, e[i], a[i], out)
			} else {
				*out = append(*out, diffRec{Path: p, Expected: driftText(e[i]), Actual: "null", Type: "REMOVE"})
			}
		}
		for i := len(e); i < len(a); i++ {
			*out = append(*out, diffRec{Path: path + "/" + strconv.Itoa(i), Expected: "null", Actual: driftText(a[i]), Type: "ADD"})
		}
		return
	default:
		if _, isMap := act.(map[string]any); !isMap {
			if _, isList := act.([]any); !isList {
				if driftText(exp) == driftText(act) {
					return
				}
			}
		}
	}
	*out = append(*out, diffRec{Path: path, Expected: driftText(exp), Actual: driftText(act), Type: "NOT_EQUAL"})
}

// keyedList reports a list of {Key, ...} objects (tags).
func keyedList(l []any) bool {
	if len(l) == 0 {
		return false
	}
	for _, e := range l {
		m, ok := e.(map[string]any)
		if !ok {
			return false
		}
		if _, ok := m["Key"].(string); !ok {
			return false
		}
	}
	return true
}

// compareKeyed compares lists of tags as sets keyed by Key: a tag added
// out of band is ADD at its position in the actual list, one removed is
// REMOVE at its position in the expected one.
func compareKeyed(path string, exp, act []any, out *[]diffRec) {
	pos := func(l []any) map[string]int {
		m := map[string]int{}
		for i, e := range l {
			m[e.(map[string]any)["Key"].(string)] = i
		}
		return m
	}
	ep, ap := pos(exp), pos(act)
	for i, e := range exp {
		k := e.(map[string]any)["Key"].(string)
		j, ok := ap[k]
		if !ok {
			*out = append(*out, diffRec{Path: path + "/" + strconv.Itoa(i), Expected: driftText(e), Actual: "null", Type: "REMOVE"})
			continue
		}
		compareProp(path+"/"+strconv.Itoa(j), e, act[j], out)
	}
	for j, a := range act {
		if _, ok := ep[a.(map[string]any)["Key"].(string)]; !ok {
			*out = append(*out, diffRec{Path: path + "/" + strconv.Itoa(j), Expected: "null", Actual: driftText(a), Type: "ADD"})
		}
	}
}

// normalizeDrift makes values comparable: JSON documents given as text
// are parsed, and lists of {Key, Value} are ordered by Key.
func normalizeDrift(v any) any {
	switch x := v.(type) {
	case string:
		t := strings.TrimSpace(x)
		if strings.HasPrefix(t, "{") {
			var m map[string]any
			if json.Unmarshal([]byte(t), &m) == nil {
				return m
			}
		}
	case []any:
		keyed := len(x) > 0
		for _, e := range x {
			m, ok := e.(map[string]any)
			if !ok {
				keyed = false
				break
			}
			if _, ok := m["Key"].(string); !ok {
				keyed = false
				break
			}
		}
		if keyed {
			out := append([]any(nil), x...)
			sort.SliceStable(out, func(i, j int) bool {
				return out[i].(map[string]any)["Key"].(string) < out[j].(map[string]any)["Key"].(string)
			})
			return out
		}
	}
	return v
}

// driftText is a value as PropertyDifferences shows it: scalars as
// their text, documents as JSON.
func driftText(v any) string {
	if s, ok := scalarString(v); ok {
		return s
	}
	if v == nil {
		return "null"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

func (d *driftRec) api(s *stackRec, r *resourceRec) cfnapi.StackResourceDrift {
	out := cfnapi.StackResourceDrift{StackId: ptr.To(s.ID), LogicalResourceId: ptr.To(r.LogicalID),
		PhysicalResourceId: ptr.To(r.PhysicalID), ResourceType: ptr.To(r.Type), StackResourceDriftStatus: ptr.To(d.Status),
		Timestamp: ptr.To(d.Checked), PropertyDifferences: []cfnapi.PropertyDifference{}}
	if d.Expected != "" {
		out.ExpectedProperties = ptr.To(d.Expected)
	}
	if d.Actual != "" {
		out.ActualProperties = ptr.To(d.Actual)
	}
	for _, p := range d.Differences {
		out.PropertyDifferences = append(out.PropertyDifferences, cfnapi.PropertyDifference{PropertyPath: ptr.To(p.Path),
			ExpectedValue: ptr.To(p.Expected), ActualValue: ptr.To(p.Actual), DifferenceType: ptr.To(p.Type)})
	}
	return out
}

// driftStack checks the stack's drift status is one drift can be
// detected in.
func driftStack(s *stackRec) error {
	if !driftable(s.Status) {
		return validation("Drift detection is not supported on stack [%s] with status [%s].", s.Name, s.Status)
	}
	return nil
}

// DetectStackDrift compares every resource of a stack (or those named)
// with its template and records the result.
func (c *CloudFormation) DetectStackDrift(ctx *request.Context, in *cfnapi.DetectStackDriftInput) (*cfnapi.DetectStackDriftOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if err := driftStack(s); err != nil {
		return nil, err
	}
	only := map[string]bool{}
	for _, l := range in.LogicalResourceIds {
		if _, ok := s.Resources[l]; !ok {
			return nil, validation("Resource [%s] does not exist in stack [%s]", l, s.Name)
		}
		only[l] = true
	}
	results := map[string]*driftRec{}
	for _, r := range liveResources(s) {
		if len(only) > 0 && !only[r.LogicalID] {
			continue
		}
		results[r.LogicalID] = c.detect(c.opContext(s), s, r)
	}
	id := awsid.UUID()
	now := c.clock.Now().UTC()
	err = c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		drifted := int32(0)
		for l, d := range results {
			if r, ok := cur.Resources[l]; ok {
				r.Drift = d
			}
		}
		for _, r := range cur.Resources {
			if r.Drift != nil && (r.Drift.Status == "MODIFIED" || r.Drift.Status == "DELETED") && results[r.LogicalID] != nil {
				drifted++
			}
		}
		status := "IN_SYNC"
		if drifted > 0 {
			status = "DRIFTED"
		}
		cur.DriftStatus, cur.DriftChecked = status, now
		cur.Detections = append(cur.Detections, detectionRec{ID: id, Status: "DETECTION_COMPLETE", StackDriftStatus: status,
			Drifted: drifted, Time: now})
		if len(cur.Detections) > maxDetections {
			cur.Detections = cur.Detections[len(cur.Detections)-maxDetections:]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfnapi.DetectStackDriftOutput{StackDriftDetectionId: ptr.To(id)}, nil
}

// DescribeStackDriftDetectionStatus answers a detection run's status.
func (c *CloudFormation) DescribeStackDriftDetectionStatus(ctx *request.Context, in *cfnapi.DescribeStackDriftDetectionStatusInput) (*cfnapi.DescribeStackDriftDetectionStatusOutput, error) {
	id := ptrStr(in.StackDriftDetectionId)
	all, err := c.all(scopeOf(ctx))
	if err != nil {
		return nil, err
	}
	for i := range all {
		s := &all[i]
		for _, d := range s.Detections {
			if d.ID != id {
				continue
			}
			out := &cfnapi.DescribeStackDriftDetectionStatusOutput{StackId: ptr.To(s.ID), StackDriftDetectionId: ptr.To(d.ID),
				StackDriftStatus: ptr.To(d.StackDriftStatus), DetectionStatus: ptr.To(d.Status),
				DriftedStackResourceCount: ptr.To(d.Drifted), Timestamp: ptr.To(d.Time)}
			if d.Reason != "" {
				out.DetectionStatusReason = ptr.To(d.Reason)
			}
			return out, nil
		}
	}
	return nil, validation("Drift detection with id [%s] does not exist", id)
}

// DetectStackResourceDrift checks one resource.
func (c *CloudFormation) DetectStackResourceDrift(ctx *request.Context, in *cfnapi.DetectStackResourceDriftInput) (*cfnapi.DetectStackResourceDriftOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if err := driftStack(s); err != nil {
		return nil, err
	}
	l := ptrStr(in.LogicalResourceId)
	r, ok := s.Resources[l]
	if !ok || r.Status == "DELETE_COMPLETE" {
		return nil, validation("Resource [%s] does not exist in stack [%s]", l, s.Name)
	}
	d := c.detect(c.opContext(s), s, r)
	if err := c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		if cr, ok := cur.Resources[l]; ok {
			cr.Drift = d
		}
		return nil
	}); err != nil {
		return nil, err
	}
	out := d.api(s, r)
	return &cfnapi.DetectStackResourceDriftOutput{StackResourceDrift: &out}, nil
}

// DescribeStackResourceDrifts lists the last drift results of a stack's
// resources.
func (c *CloudFormation) DescribeStackResourceDrifts(ctx *request.Context, in *cfnapi.DescribeStackResourceDriftsInput) (*cfnapi.DescribeStackResourceDriftsOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	filter := map[string]bool{}
	for _, f := range in.StackResourceDriftStatusFilters {
		switch f {
		case "IN_SYNC", "MODIFIED", "DELETED", "NOT_CHECKED":
		default:
			return nil, validation("1 validation error detected: Value '[%s]' at 'stackResourceDriftStatusFilters' failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy enum value set: [IN_SYNC, MODIFIED, DELETED, NOT_CHECKED]]", f)
		}
		filter[f] = true
	}
	n := 100
	if in.MaxResults != nil {
		if *in.MaxResults < 1 || *in.MaxResults > 100 {
			return nil, validation("1 validation error detected: Value '%d' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 100", *in.MaxResults)
		}
		n = int(*in.MaxResults)
	}
	var all []cfnapi.StackResourceDrift
	for _, l := range sortedKeys(s.Resources) {
		r := s.Resources[l]
		if r.Drift == nil || (len(filter) > 0 && !filter[r.Drift.Status]) {
			continue
		}
		all = append(all, r.Drift.api(s, r))
	}
	pg, next, err := page(all, in.NextToken, n)
	if err != nil {
		return nil, err
	}
	if pg == nil {
		pg = []cfnapi.StackResourceDrift{}
	}
	return &cfnapi.DescribeStackResourceDriftsOutput{StackResourceDrifts: pg, NextToken: next}, nil
}

// resourceDriftInfo is a resource's drift as DescribeStackResource(s)
// show it.
func driftInfo(r *resourceRec) (*string, *time.Time) {
	if r.Drift == nil {
		return ptr.To("NOT_CHECKED"), nil
	}
	t := r.Drift.Checked
	return ptr.To(r.Drift.Status), &t
}
