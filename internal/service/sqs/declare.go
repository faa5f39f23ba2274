package sqs

import (
	"net/url"
	"strings"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is SQS as the platform sees it: queues are named by URL or
// name, queue policies are resource policies, queue tags answer
// aws:ResourceTag, and message calls are CloudTrail data events.
func (s *SQS) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "sqs",
		Authz: kit.Authz{
			// The batch calls need the single action (Service
			// Authorization Reference).
			Renames: map[string]string{
				"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
				"ChangeMessageVisibilityBatch": "ChangeMessageVisibility",
			},
			Resources: resources,
			Policies:  s,
		},
		// Messages are at most 1 MiB; a batch of them JSON-escaped (or
		// form-encoded by the query protocol) stays under 4 MiB.
		Limits: kit.Limits{MaxBody: 4 << 20},
		// SQS, a query service at heart, words violations itself.
		Validation: kit.Validation{Error: s.ConstraintError},
		Audit: kit.Audit{DataEvents: kit.Set("SendMessage", "SendMessageBatch", "ReceiveMessage", "DeleteMessage",
			"DeleteMessageBatch", "ChangeMessageVisibility", "ChangeMessageVisibilityBatch")},
		Tags: kit.TagLookup(s.resourceTags),

		Resources: s.cfnResources(), // CloudFormation (cfn.go)
		// Long-polling waiters are woken to re-read the emptied store.
		Reset: s.Reset,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if u := in.Str("QueueUrl"); u != "" {
		return []string{QueueARN(u, env)}
	}
	if n := in.Str("QueueName"); n != "" {
		acct := in.Str("QueueOwnerAWSAccountId")
		if acct == "" {
			acct = env.Account
		}
		return []string{kit.ARN("sqs", env.Region, acct, n)}
	}
	return nil
}

// QueueARN turns a queue URL (http://host/<account>/<name>) into its ARN:
// the last two segments of its path (of the whole string when it has no
// path) name the account and the queue; the caller's account when there
// is one segment.
func QueueARN(u string, env kit.Env) string {
	path := u
	if _, p, ok := plainURL(u); ok {
		// What url.Parse answers for a plain URL, without its
		// allocations (authorization asks on every call).
		if p != "" {
			path = p
		}
	} else if pu, err := url.Parse(u); err == nil && pu.Path != "" {
		path = pu.Path
	}
	path = strings.Trim(path, "/")
	name, acct := path, env.Account
	if i := strings.LastIndexByte(path, '/'); i >= 0 {
		name, acct = path[i+1:], path[:i]
		if j := strings.LastIndexByte(acct, '/'); j >= 0 {
			acct = acct[j+1:]
		}
	}
	return kit.ARN("sqs", env.Region, acct, name)
}

// resourceTags reads a queue's tags through GetQueueUrl and
// ListQueueTags.
func (s *SQS) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, name, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	u, err := s.GetQueueUrl(c, &sqsapi.GetQueueUrlInput{QueueName: &name, QueueOwnerAWSAccountId: &c.Account})
	if err != nil {
		return kit.NotFound(err)
	}
	out, err := s.ListQueueTags(c, &sqsapi.ListQueueTagsInput{QueueUrl: u.QueueUrl})
	if err != nil {
		return kit.NotFound(err)
	}
	return out.Tags, true, nil
}
