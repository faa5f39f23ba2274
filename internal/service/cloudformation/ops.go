package cloudformation

import (
	"encoding/json"
	"strings"
	"sync"

	cfnapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Stack operations beyond create, update and delete: cancelling an
// update, rolling back a stack left failed (DisableRollback), continuing
// a rollback, and the change set hooks niwa has none of.

// cancels are the running updates' cancellation channels, by stack id.
type cancels struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

// cancelled is closed when the stack's running update is cancelled.
func (c *CloudFormation) cancelled(id string) <-chan struct{} {
	c.stops.mu.Lock()
	defer c.stops.mu.Unlock()
	if c.stops.ch == nil {
		c.stops.ch = map[string]chan struct{}{}
	}
	ch, ok := c.stops.ch[id]
	if !ok {
		ch = make(chan struct{})
		c.stops.ch[id] = ch
	}
	return ch
}

// isCancelled reports a cancelled update.
func (c *CloudFormation) isCancelled(id string) bool {
	select {
	case <-c.cancelled(id):
		return true
	default:
		return false
	}
}

// resetCancel forgets a finished operation's cancellation.
func (c *CloudFormation) resetCancel(id string) {
	c.stops.mu.Lock()
	defer c.stops.mu.Unlock()
	delete(c.stops.ch, id)
}

// errCancelled is how a resource fails when its update is cancelled.
func errCancelled() error { return failuref("Resource update cancelled") }

// CancelUpdateStack cancels a running update: the resource being
// updated fails and the stack rolls back.
func (c *CloudFormation) CancelUpdateStack(ctx *request.Context, in *cfnapi.CancelUpdateStackInput) (*cfnapi.CancelUpdateStackOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if s.Status != "UPDATE_IN_PROGRESS" {
		return nil, validation("CancelUpdateStack cannot be called from current stack status %s", s.Status)
	}
	_ = c.cancelled(s.ID)
	c.stops.mu.Lock()
	ch := c.stops.ch[s.ID]
	select {
	case <-ch:
	default:
		close(ch)
	}
	c.stops.mu.Unlock()
	return &cfnapi.CancelUpdateStackOutput{}, nil
}

// ContinueUpdateRollback finishes a rollback that failed, skipping the
// resources named (niwa's rollbacks do not stop at UPDATE_ROLLBACK_FAILED,
// so only a stack in that state is accepted, as AWS does).
func (c *CloudFormation) ContinueUpdateRollback(ctx *request.Context, in *cfnapi.ContinueUpdateRollbackInput) (*cfnapi.ContinueUpdateRollbackOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if s.Status != "UPDATE_ROLLBACK_FAILED" {
		return nil, validation("Stack %s is in %s state and can not continue update rollback.", s.ID, s.Status)
	}
	err = c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		for _, l := range in.ResourcesToSkip {
			if r, ok := cur.Resources[l]; ok {
				r.Status = "UPDATE_COMPLETE"
				c.event(cur, l, r.PhysicalID, r.Type, "UPDATE_COMPLETE", "Resource skipped during UpdateRollback", nil)
			}
		}
		c.stackEvent(cur, "UPDATE_ROLLBACK_COMPLETE", "")
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &cfnapi.ContinueUpdateRollbackOutput{}, nil
}

// RollbackStack rolls back a stack left CREATE_FAILED or UPDATE_FAILED
// (DisableRollback): what the failed operation made is deleted, what it
// changed is put back.
func (c *CloudFormation) RollbackStack(ctx *request.Context, in *cfnapi.RollbackStackInput) (*cfnapi.RollbackStackOutput, error) {
	s, err := c.find(ctx, ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	if s.Status != "CREATE_FAILED" && s.Status != "UPDATE_FAILED" {
		return nil, validation("Stack %s is in %s state and can not be rolled back. Rollback is only allowed for stacks in CREATE_FAILED or UPDATE_FAILED state.", s.ID, s.Status)
	}
	if err := c.checkRole(ctx, ptrStr(in.RoleARN)); err != nil {
		return nil, err
	}
	var prev *stackRec
	if s.Status == "UPDATE_FAILED" {
		if s.PrevState == "" {
			return nil, validation("Stack %s has no previous state to roll back to.", s.ID)
		}
		prev = &stackRec{}
		if err := json.Unmarshal([]byte(s.PrevState), prev); err != nil {
			return nil, err
		}
	}
	from := s.Status
	if from == "CREATE_FAILED" {
		c.stackEvent(s, "ROLLBACK_IN_PROGRESS", "Rollback requested by user.")
	} else {
		c.stackEvent(s, "UPDATE_ROLLBACK_IN_PROGRESS", "Rollback requested by user.")
	}
	s.Caller, s.Token = ctx.Caller, ptrStr(in.ClientRequestToken)
	if in.RoleARN != nil {
		s.RoleARN = *in.RoleARN
	}
	if err := c.mutate(scopeOf(ctx), s.ID, func(cur *stackRec) error {
		if cur.Status != from {
			return validation("Stack %s is in %s state and can not be rolled back.", cur.ID, cur.Status)
		}
		*cur = *s
		return nil
	}); err != nil {
		return nil, err
	}
	c.start(func() {
		if prev == nil {
			c.rollbackCreate(s)
		} else {
			c.rollbackUpdate(s, prev)
		}
	})
	return &cfnapi.RollbackStackOutput{StackId: &s.ID}, nil
}

// rollbackCreate deletes a failed stack's resources.
func (c *CloudFormation) rollbackCreate(s *stackRec) {
	ctx := c.opContext(s)
	failed := false
	for _, l := range deleteOrder(s) {
		rec := s.Resources[l]
		if rec.Status == "DELETE_COMPLETE" || rec.Status == "DELETE_SKIPPED" {
			continue
		}
		if rec.PhysicalID == "" {
			rec.Status = "DELETE_COMPLETE"
			c.event(s, l, "", rec.Type, "DELETE_COMPLETE", "", nil)
			continue
		}
		policy := ""
		if rec.DeletionPolicy == "Retain" {
			policy = "Retain"
		}
		if c.deleteOne(ctx, s, rec, policy) != nil {
			failed = true
		}
	}
	if failed {
		c.stackEvent(s, "ROLLBACK_FAILED", "The following resource(s) failed to delete: ["+strings.Join(failedDeletes(s), ", ")+"]. ")
	} else {
		c.stackEvent(s, "ROLLBACK_COMPLETE", "")
	}
	c.save(s)
}

// rollbackUpdate puts a stack left UPDATE_FAILED back as it was before
// the update.
func (c *CloudFormation) rollbackUpdate(s *stackRec, prev *stackRec) {
	ctx := c.opContext(s)
	for _, l := range sortedKeys(s.Resources) {
		cur := s.Resources[l]
		old, wasOld := prev.Resources[l]
		switch {
		case !wasOld:
			// Made by the failed update: deleted in cleanup below.
		case old.PhysicalID != cur.PhysicalID && cur.PhysicalID != "":
			// Replaced: the old resource comes back, the new one goes.
			if err := c.deleteOne(ctx, s, cur, ""); err != nil {
				continue
			}
			restored := *old
			restored.Status = "UPDATE_COMPLETE"
			s.Resources[l] = &restored
			c.event(s, l, restored.PhysicalID, restored.Type, "UPDATE_COMPLETE", "", nil)
		case len(changedProps(old.Props, cur.Props)) > 0 || cur.Status == "UPDATE_FAILED":
			p, ok := c.providers(cur.Type)
			if (ok && p.Update != nil) || isCustom(cur.Type) {
				c.event(s, l, cur.PhysicalID, cur.Type, "UPDATE_IN_PROGRESS", "", nil)
				if _, err := c.update(ctx, s, cur.Type, kit.ResourceRequest{LogicalID: l, StackName: s.Name, StackID: s.ID,
					PhysicalID: cur.PhysicalID, Properties: old.Props, OldProperties: cur.Props, Attributes: cur.Attrs}); err != nil {
					c.event(s, l, cur.PhysicalID, cur.Type, "UPDATE_FAILED", failureReason(err), nil)
					continue
				}
			}
			restored := *old
			restored.Status = "UPDATE_COMPLETE"
			s.Resources[l] = &restored
			c.event(s, l, restored.PhysicalID, restored.Type, "UPDATE_COMPLETE", "", nil)
		}
	}
	c.stackEvent(s, "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS", "")
	c.save(s)
	for _, l := range deleteOrder(s) {
		if _, wasOld := prev.Resources[l]; wasOld {
			continue
		}
		if rec := s.Resources[l]; rec != nil {
			if rec.PhysicalID != "" && rec.Status != "DELETE_COMPLETE" {
				_ = c.deleteOne(ctx, s, rec, "")
			}
			delete(s.Resources, l)
		}
	}
	s.Template, s.Params, s.Outputs, s.Tags, s.PrevState = prev.Template, prev.Params, prev.Outputs, prev.Tags, ""
	c.stackEvent(s, "UPDATE_ROLLBACK_COMPLETE", "")
	c.save(s)
}

// prevState is what RollbackStack puts a stack back to after a failed
// update: the stack before it, without its events.
func prevState(prev stackRec) string {
	prev.Events, prev.Detections, prev.PrevState = nil, nil, ""
	b, err := json.Marshal(prev)
	if err != nil {
		return ""
	}
	return string(b)
}

// DescribeChangeSetHooks answers a change set's hooks: niwa runs no
// hooks, so there are none.
func (c *CloudFormation) DescribeChangeSetHooks(ctx *request.Context, in *cfnapi.DescribeChangeSetHooksInput) (*cfnapi.DescribeChangeSetHooksOutput, error) {
	cs, s, err := c.findChangeSet(ctx, ptrStr(in.ChangeSetName), ptrStr(in.StackName))
	if err != nil {
		return nil, err
	}
	out := &cfnapi.DescribeChangeSetHooksOutput{ChangeSetId: &cs.ID, ChangeSetName: &cs.Name, Hooks: []cfnapi.ChangeSetHook{},
		Status: stringPtr("UNAVAILABLE")}
	if s != nil {
		out.StackId, out.StackName = &s.ID, &s.Name
	}
	return out, nil
}

func stringPtr(s string) *string { return &s }
