package sqs

import (
	"context"
	"sort"
	"strconv"
	"strings"
	"time"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Deliver receives a message another service sends to a queue through the
// event bus (S3 notifications, SNS fan-out, EventBridge targets). With
// m.Validate it only checks that the queue exists and accepts the sender.
//
// Who may send: as on AWS, S3, SNS and EventBridge may send only when the
// queue policy allows their service principal sqs:SendMessage on the
// queue (evaluated by the IAM policy engine with the aws:SourceArn and
// aws:SourceAccount they supply; an explicit Deny wins, no policy
// refuses), for Validate too, so S3 can refuse the configuration. Other
// senders (Lambda destinations act with the function's role) are
// accepted from the queue's own account only.
func (s *SQS) Deliver(ctx context.Context, m events.Message) error {
	ref, ok := parseQueueARN(m.TargetARN)
	if !ok {
		return queueMissing()
	}
	checkPolicy := policyChecked(m.SourceService)
	if !checkPolicy && m.SourceAccount != "" && m.SourceAccount != ref.scope.Account {
		return awsAccessDenied()
	}
	now := s.clock.Now()
	err := s.store.Update(func(tx storage.Tx) error {
		q, found, err := queues.Get(tx, ref.scope, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return queueMissing()
		}
		if checkPolicy && !policyAllowsService(q.Attrs["Policy"], ref.arn(), m) {
			return awsAccessDenied()
		}
		if m.Validate {
			return nil
		}
		r := &sendRequest{body: m.Body, sender: senderForService(m)}
		if len(m.Attributes) > 0 {
			r.attrs = map[string]sqsapi.MessageAttributeValue{}
			names := make([]string, 0, len(m.Attributes))
			for n := range m.Attributes {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				v, dt := m.Attributes[n], "String"
				r.attrs[n] = sqsapi.MessageAttributeValue{DataType: &dt, StringValue: &v}
			}
		}
		if q.fifo() {
			g, d := m.MessageGroupID, m.DeduplicationID
			r.groupID = &g
			if d != "" {
				r.dedupID = &d
			} else if q.Attrs["ContentBasedDeduplication"] != "true" {
				d = sha256Hex(m.Body)
				r.dedupID = &d
			}
		}
		if err := r.validate(&q); err != nil {
			return err
		}
		if err := loadSeq(tx, ref, &q); err != nil {
			return err
		}
		if _, err := s.enqueue(tx, ref, &q, r, now); err != nil {
			return err
		}
		return saveSeq(tx, ref, &q)
	})
	if err == nil && !m.Validate {
		s.wake.broadcast(ref)
	}
	return err
}

// policyChecked tells whether AWS authorizes a service principal's
// deliveries by the queue policy alone (the queue's "Access policy").
func policyChecked(service string) bool {
	switch service {
	case "s3.amazonaws.com", "sns.amazonaws.com", "events.amazonaws.com":
		return true
	}
	return false
}

// policyAllowsService reports whether the queue policy doc lets the
// delivering service principal send to the queue. A missing or
// unparsable policy allows nothing.
func policyAllowsService(doc, queueARN string, m events.Message) bool {
	return iam.ServiceDeliveryAllowed(doc, "sqs:SendMessage", queueARN, m.SourceService, m.SourceARN, m.SourceAccount)
}

// senderForService is the SenderId a service's delivery carries: AWS shows
// the service's principal id; niwa shows the service principal name.
func senderForService(m events.Message) string {
	if m.SourceService != "" {
		return m.SourceService
	}
	return m.SourceAccount
}

// ResourcePolicy returns a queue's policy for the policy engine.
func (s *SQS) ResourcePolicy(ctx context.Context, arn string) (string, string, bool, error) {
	ref, ok := parseQueueARN(arn)
	if !ok {
		return "", "", false, nil
	}
	q, found, err := s.viewQueue(ref) // read-only
	if err != nil || !found {
		return "", ref.scope.Account, found, err
	}
	return q.Attrs["Policy"], ref.scope.Account, true, nil
}

// moveTask is a message move task (a DLQ redrive).
type moveTask struct {
	Handle      string    `json:"handle"`
	Status      string    `json:"status"`
	Source      string    `json:"source"`
	Destination string    `json:"destination,omitempty"`
	Rate        *int32    `json:"rate,omitempty"`
	Moved       int64     `json:"moved"`
	ToMove      int64     `json:"toMove"`
	Started     time.Time `json:"started"`
	Failure     string    `json:"failure,omitempty"`
}

// StartMessageMoveTask moves the messages of a dead-letter queue back to
// their source queues (or to DestinationArn). niwa moves them at once, so
// the task is COMPLETED when this returns.
func (s *SQS) StartMessageMoveTask(ctx *request.Context, in *sqsapi.StartMessageMoveTaskInput) (*sqsapi.StartMessageMoveTaskOutput, error) {
	src, ok := parseQueueARN(*in.SourceArn)
	if !ok {
		return nil, errInvalidParamValue.New("Value %s for parameter SourceArn is invalid. Reason: Invalid queue ARN.", *in.SourceArn)
	}
	if in.MaxNumberOfMessagesPerSecond != nil && (*in.MaxNumberOfMessagesPerSecond < 1 || *in.MaxNumberOfMessagesPerSecond > 500) {
		return nil, errInvalidParamValue.New("Value %d for parameter MaxNumberOfMessagesPerSecond is invalid. Reason: Must be between 1 and 500.", *in.MaxNumberOfMessagesPerSecond)
	}
	now := ctx.Now()
	task := moveTask{Handle: "", Status: "COMPLETED", Source: *in.SourceArn, Rate: in.MaxNumberOfMessagesPerSecond, Started: now}
	if in.DestinationArn != nil {
		task.Destination = *in.DestinationArn
	}
	var woken []queueRef
	err := s.store.Update(func(tx storage.Tx) error {
		woken = nil
		if _, ok := tx.Get(queues.Key(src.scope, src.name)); !ok {
			return errResourceNotFound.New("The resource that you specified for the SourceArn parameter doesn't exist.")
		}
		isDLQ := false
		if err := queues.List(tx, src.scope, nil, storage.ListOptions{}, func(_ []string, q queue) bool {
			t, _, ok := parseRedrive(q.Attrs["RedrivePolicy"])
			isDLQ = isDLQ || ok && t == src.arn()
			return !isDLQ
		}); err != nil {
			return err
		}
		if !isDLQ {
			return errInvalidParamValue.New("Source queue must be configured as a Dead Letter Queue.")
		}
		var running bool
		if err := tasks.List(tx, src.scope, []string{src.name}, storage.ListOptions{}, func(_ []string, t moveTask) bool {
			running = running || t.Status == "RUNNING"
			return !running
		}); err != nil {
			return err
		}
		if running {
			return errInvalidParamValue.New("There is already a task running. Only one active task is allowed for a source queue arn at a given time.")
		}
		if task.Destination != "" {
			ref, ok := parseQueueARN(task.Destination)
			if ok {
				_, ok = tx.Get(queues.Key(ref.scope, ref.name))
			}
			if !ok {
				return errResourceNotFound.New("The resource that you specified for the DestinationArn parameter doesn't exist.")
			}
		}
		dests := map[string]queue{}
		var keys []string
		var msgs []message
		if err := messages.List(tx, src.scope, []string{src.name}, storage.ListOptions{}, func(k []string, m message) bool {
			keys, msgs = append(keys, k[1]), append(msgs, m)
			return true
		}); err != nil {
			return err
		}
		for i, m := range msgs {
			target := task.Destination
			if target == "" {
				target = m.DLQSource
			}
			ref, ok := parseQueueARN(target)
			if !ok {
				continue
			}
			dq, seen := dests[target]
			if !seen {
				var found bool
				var err error
				if dq, found, err = queues.Get(tx, ref.scope, ref.name); err != nil {
					return err
				} else if !found {
					if task.Destination != "" {
						return errResourceNotFound.New("The resource that you specified for the DestinationArn parameter doesn't exist.")
					}
					continue
				}
				if err := loadSeq(tx, ref, &dq); err != nil {
					return err
				}
			}
			dq.Seq++
			m.DLQSource, m.Received, m.ReceiveCount, m.FirstReceive, m.Receipt, m.VisibleAt = "", false, 0, time.Time{}, "", now
			if err := messages.Put(tx, ref.scope, m, ref.name, seqKey(dq.Seq)); err != nil {
				return err
			}
			if err := messages.Delete(tx, src.scope, src.name, keys[i]); err != nil {
				return err
			}
			dests[target] = dq
			task.Moved++
			woken = append(woken, ref)
		}
		for arn, dq := range dests {
			ref, _ := parseQueueARN(arn)
			if err := saveSeq(tx, ref, &dq); err != nil {
				return err
			}
		}
		task.ToMove = task.Moved
		task.Handle = encodeToken(src.arn() + "\x00" + strconv.FormatInt(now.UnixNano(), 10))
		return tasks.Put(tx, src.scope, task, src.name, strconv.FormatInt(now.UnixNano(), 10))
	})
	if err != nil {
		return nil, err
	}
	for _, r := range woken {
		s.wake.broadcast(r)
	}
	return &sqsapi.StartMessageMoveTaskOutput{TaskHandle: &task.Handle}, nil
}

// ListMessageMoveTasks lists a source queue's recent tasks, newest first.
func (s *SQS) ListMessageMoveTasks(ctx *request.Context, in *sqsapi.ListMessageMoveTasksInput) (*sqsapi.ListMessageMoveTasksOutput, error) {
	src, ok := parseQueueARN(*in.SourceArn)
	if !ok {
		return nil, errInvalidParamValue.New("Value %s for parameter SourceArn is invalid. Reason: Invalid queue ARN.", *in.SourceArn)
	}
	max := 1
	if in.MaxResults != nil {
		max = int(*in.MaxResults)
		if max < 1 || max > 10 {
			return nil, errInvalidParamValue.New("Value %d for parameter MaxResults is invalid. Reason: Must be between 1 and 10.", max)
		}
	}
	out := &sqsapi.ListMessageMoveTasksOutput{Results: []sqsapi.ListMessageMoveTasksResultEntry{}}
	err := s.store.View(func(tx storage.Tx) error {
		if _, ok := tx.Get(queues.Key(src.scope, src.name)); !ok {
			return errResourceNotFound.New("The resource that you specified for the SourceArn parameter doesn't exist.")
		}
		return tasks.List(tx, src.scope, []string{src.name}, storage.ListOptions{Reverse: true, Limit: max}, func(_ []string, t moveTask) bool {
			e := sqsapi.ListMessageMoveTasksResultEntry{Status: &t.Status, SourceArn: &t.Source,
				ApproximateNumberOfMessagesMoved: &t.Moved, MaxNumberOfMessagesPerSecond: t.Rate}
			started := t.Started.UnixMilli()
			e.StartedTimestamp = &started
			if t.Destination != "" {
				e.DestinationArn = &t.Destination
			}
			e.ApproximateNumberOfMessagesToMove = &t.ToMove
			if t.Status == "RUNNING" {
				e.TaskHandle = &t.Handle
			}
			out.Results = append(out.Results, e)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// CancelMessageMoveTask cancels a running task. niwa's tasks complete as
// they start, so there is never one to cancel.
func (s *SQS) CancelMessageMoveTask(ctx *request.Context, in *sqsapi.CancelMessageMoveTaskInput) (*sqsapi.CancelMessageMoveTaskOutput, error) {
	raw, err := decodeToken(*in.TaskHandle)
	arn, _, ok := strings.Cut(raw, "\x00")
	src, valid := parseQueueARN(arn)
	if err != nil || !ok || !valid {
		return nil, errInvalidParamValue.New("Value for parameter TaskHandle is invalid.")
	}
	var exists bool
	if err := s.store.View(func(tx storage.Tx) error {
		_, exists = tx.Get(queues.Key(src.scope, src.name))
		return nil
	}); err != nil {
		return nil, err
	}
	if !exists {
		return nil, errResourceNotFound.New("The resource that you specified for the SourceArn parameter doesn't exist.")
	}
	return nil, errResourceNotFound.New("Task does not exist.")
}
