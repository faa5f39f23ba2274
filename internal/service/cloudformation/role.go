package cloudformation

import "github.com/niwa-cloud/niwa/internal/request"

// A stack's service role (RoleARN): CloudFormation checks it can assume
// the role when the stack operation is asked for (the caller's
// iam:PassRole on it is the gateway's check of the RoleARN member), and
// makes the stack's resources as a session of it.

// checkRole answers AWS's refusal of a role CloudFormation cannot
// assume.
func (c *CloudFormation) checkRole(ctx *request.Context, roleARN string) error {
	if roleARN == "" || c.assume == nil {
		return nil
	}
	_, err := c.assume(ctx, roleARN)
	return err
}

// asServiceRole makes ctx a session of the stack's service role, when it
// has one; a role that can no longer be assumed leaves the caller, whose
// calls the policy engine then judges.
func (c *CloudFormation) asServiceRole(ctx *request.Context, s *stackRec) {
	if s.RoleARN == "" || c.assume == nil {
		return
	}
	caller, err := c.assume(ctx, s.RoleARN)
	if err != nil {
		c.log.Warn("cloudformation: assuming the stack's role", "stack", s.Name, "role", s.RoleARN, "err", err)
		return
	}
	ctx.Caller = caller
}
