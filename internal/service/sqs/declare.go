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

// QueueARN turns a queue URL (http://host/<account>/<name>) into its ARN.
func QueueARN(u string, env kit.Env) string {
	path := u
	if pu, err := url.Parse(u); err == nil && pu.Path != "" {
		path = pu.Path
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	name, acct := parts[len(parts)-1], env.Account
	if len(parts) >= 2 {
		acct = parts[len(parts)-2]
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
