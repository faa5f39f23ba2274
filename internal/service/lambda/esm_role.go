package lambda

import (
	"context"
	"strings"

	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// RoleAccess asks IAM whether an execution role, acting as the session
// named session (the function's name, as its credentials are minted),
// may perform each of actions on resource. It answers the first action
// the role may not perform, "" when it may perform them all. The server
// answers under its IAM enforcement mode: with enforcement off it is not
// set at all, in soft mode it logs the denial and answers "".
type RoleAccess func(ctx context.Context, account, region, roleARN, session, resource string, actions []string) (denied string, err error)

// The permissions Lambda checks an execution role for when a mapping is
// created (or moved to another function), in AWS's order; the first
// missing one is named in the refusal.
var (
	sqsSourceActions    = []string{"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}
	streamSourceActions = []string{"dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:DescribeStream", "dynamodb:ListStreams"}
)

// sourceActions returns the actions an execution role needs on the
// source of a mapping; nil for sources niwa does not poll.
func sourceActions(source string) []string {
	switch sourceService(source) {
	case "sqs":
		return sqsSourceActions
	case "dynamodb":
		return streamSourceActions
	}
	return nil
}

// checkSourceAccess refuses a mapping whose function's execution role may
// not read its source, with AWS's InvalidParameterValueException:
// "The function execution role does not have permissions to call
// ReceiveMessage on SQS" (the first missing SQS permission), or for a
// stream "Cannot access stream <arn>. Please ensure the role can perform
// the GetRecords, GetShardIterator, DescribeStream, and ListStreams
// Actions on your stream in IAM."
func (l *Lambda) checkSourceAccess(ctx context.Context, sc storage.Scope, name, qual, source string) error {
	actions := sourceActions(source)
	if l.opt.RoleAccess == nil || actions == nil {
		return nil
	}
	t, err := l.resolve(sc, name, qual)
	if err != nil {
		return err
	}
	denied, err := l.opt.RoleAccess(ctx, sc.Account, sc.Region, ptr.Deref(t.v.Config.Role), name, source, actions)
	if err != nil || denied == "" {
		return err
	}
	return errInvalidParam("%s", sourceAccessMessage(source, denied))
}

// sourceAccessMessage is AWS's wording for a role that may not perform
// denied on source.
func sourceAccessMessage(source, denied string) string {
	if sourceService(source) == "sqs" {
		return "The function execution role does not have permissions to call " + strings.TrimPrefix(denied, "sqs:") + " on SQS"
	}
	return "Cannot access stream " + source + ". Please ensure the role can perform the GetRecords, GetShardIterator, DescribeStream, and ListStreams Actions on your stream in IAM."
}

// pollAccess is what a poller asks before it reads a batch from its
// source: whether the function's execution role may still perform
// actions there. Permissions are read per poll, not per message: a
// policy detached from the role stops the mapping's next read, as on
// AWS. It answers "" when the role may (or when access is not checked)
// and the refusal's message when it may not.
func (l *Lambda) pollAccess(ctx context.Context, t target, name, source string, actions []string) string {
	if l.opt.RoleAccess == nil {
		return ""
	}
	denied, err := l.opt.RoleAccess(ctx, t.sc.Account, t.sc.Region, ptr.Deref(t.v.Config.Role), name, source, actions)
	if err != nil {
		l.opt.Log.Warn("lambda: execution role check failed", "source", source, "error", err)
		return ""
	}
	if denied == "" {
		return ""
	}
	return sourceAccessMessage(source, denied)
}

// setProcessingResult records a stream mapping's LastProcessingResult
// (kept as is when the mapping was deleted meanwhile).
func (l *Lambda) setProcessingResult(sc storage.Scope, id, result string) {
	if err := l.opt.Store.Update(func(tx storage.Tx) error {
		m, ok, err := mappings.Get(tx, sc, id)
		if err != nil || !ok || ptr.Deref(m.LastProcessingResult) == result {
			return err
		}
		m.LastProcessingResult = &result
		return mappings.Put(tx, sc, m, id)
	}); err != nil {
		// Only what GetEventSourceMapping reports is stale; polling goes on.
		l.opt.Log.Warn("lambda: recording a mapping's processing result failed", "mapping", id, "err", err)
	}
}
