package cloudformation

import (
	"strings"
	"time"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// nestedType is a stack inside a stack, its template at TemplateURL.
const nestedType = "AWS::CloudFormation::Stack"

// nestedPoll is how often a parent looks at its nested stack's status.
const nestedPoll = 50 * time.Millisecond

func nestedParams(props map[string]any) []cfnapi.Parameter {
	m := kit.PropMap(props, "Parameters")
	var out []cfnapi.Parameter
	for _, k := range sortedKeys(m) {
		out = append(out, cfnapi.Parameter{ParameterKey: ptr.To(k), ParameterValue: ptr.To(kit.PropStr(m, k))})
	}
	return out
}

// allCapabilities are what a nested stack runs with: its parent was
// allowed them when it was created.
var allCapabilities = []string{"CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"}

func (c *CloudFormation) createNested(ctx *request.Context, rs *runState, req kit.ResourceRequest) (kit.ResourceResult, error) {
	name := kit.PhysicalName(kit.ResourceRequest{StackName: rs.s.Name, LogicalID: req.LogicalID}, 128)
	in := &cfnapi.CreateStackInput{StackName: ptr.To(name), TemplateURL: ptr.To(req.Str("TemplateURL")),
		Parameters: nestedParams(req.Properties), Capabilities: allCapabilities}
	for _, t := range rs.s.Tags {
		in.Tags = append(in.Tags, cfnapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)})
	}
	out, err := c.CreateStack(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	root := rs.s.RootID
	if root == "" {
		root = rs.s.ID
	}
	if err := c.mutate(scopeOf(ctx), *out.StackId, func(s *stackRec) error {
		s.ParentID, s.RootID = rs.s.ID, root
		return nil
	}); err != nil {
		return kit.ResourceResult{}, err
	}
	return c.awaitNested(ctx, *out.StackId, "created", func(st string) bool { return st == "CREATE_COMPLETE" })
}

// awaitNested waits for a nested stack's operation to end and reads its
// outputs as the resource's attributes (Outputs.<key>).
func (c *CloudFormation) awaitNested(ctx *request.Context, id, verb string, ok func(status string) bool) (kit.ResourceResult, error) {
	for {
		s, found, err := c.load(scopeOf(ctx), id)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		if !found {
			return kit.ResourceResult{}, failuref("Embedded stack %s was not successfully %s: it does not exist", id, verb)
		}
		if !inProgress(s.Status) {
			if !ok(s.Status) {
				return kit.ResourceResult{PhysicalID: id}, failuref("Embedded stack %s was not successfully %s: %s", id, verb, strings.TrimSpace(lastReason(s)))
			}
			attrs := map[string]any{}
			for _, o := range s.Outputs {
				attrs["Outputs."+o.Key] = o.Value
			}
			return kit.ResourceResult{PhysicalID: id, Attributes: attrs}, nil
		}
		select {
		case <-ctx.Done():
			return kit.ResourceResult{}, ctx.Err()
		case <-time.After(nestedPoll):
		}
	}
}

// lastReason is the reason the stack's last failing event gave.
func lastReason(s *stackRec) string {
	for i := len(s.Events) - 1; i >= 0; i-- {
		e := s.Events[i]
		if e.LogicalID == s.Name && e.Reason != "" && (strings.HasSuffix(e.Status, "ROLLBACK_IN_PROGRESS") || strings.HasSuffix(e.Status, "FAILED")) {
			return e.Reason
		}
	}
	return s.StatusReason
}

func (c *CloudFormation) updateNested(ctx *request.Context, req kit.ResourceRequest) (kit.ResourceResult, error) {
	_, err := c.UpdateStack(ctx, &cfnapi.UpdateStackInput{StackName: ptr.To(req.PhysicalID), TemplateURL: ptr.To(req.Str("TemplateURL")),
		Parameters: nestedParams(req.Properties), Capabilities: allCapabilities})
	if err != nil && !strings.Contains(err.Error(), "No updates are to be performed.") {
		return kit.ResourceResult{}, err
	}
	return c.awaitNested(ctx, req.PhysicalID, "updated", func(st string) bool {
		return st == "UPDATE_COMPLETE" || st == "CREATE_COMPLETE"
	})
}

func (c *CloudFormation) deleteNested(ctx *request.Context, id string) error {
	if _, err := c.DeleteStack(ctx, &cfnapi.DeleteStackInput{StackName: ptr.To(id)}); err != nil {
		return err
	}
	_, err := c.awaitNested(ctx, id, "deleted", func(st string) bool { return st == "DELETE_COMPLETE" })
	return err
}
