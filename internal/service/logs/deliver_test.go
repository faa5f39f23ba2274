package logs

import (
	"context"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDeliverFromEventBridge: an EventBridge delivery to a log group
// lands in a stream named by the event id once a resource policy allows
// events.amazonaws.com, as on AWS.
func TestDeliverFromEventBridge(t *testing.T) {
	l, ctx, _ := newLogs(t)
	mustGroup(t, l, ctx, "/aws/events/app")
	body := `{"version":"0","id":"6a7e8feb-b491-4cf7-a9f1-bf3703467718","detail-type":"x","source":"app","time":"2026-05-01T11:59:00Z","detail":{}}`
	m := events.Message{TargetARN: "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/app:*", Body: body,
		SourceService: "events.amazonaws.com", SourceARN: "arn:aws:events:us-east-1:000000000000:rule/r", SourceAccount: "000000000000"}
	if err := l.Deliver(context.Background(), m); err == nil {
		t.Fatal("delivered without a resource policy")
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":["events.amazonaws.com","delivery.logs.amazonaws.com"]},"Action":["logs:CreateLogStream","logs:PutLogEvents"],"Resource":"arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/*:*"}]}`
	if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: ptr.To("events"), PolicyDocument: ptr.To(policy)}); err != nil {
		t.Fatal(err)
	}
	if err := l.Deliver(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	out, err := l.GetLogEvents(ctx, &logsapi.GetLogEventsRequest{LogGroupName: ptr.To("/aws/events/app"), LogStreamName: ptr.To("6a7e8feb-b491-4cf7-a9f1-bf3703467718")})
	if err != nil || len(out.Events) != 1 || *out.Events[0].Message != body || *out.Events[0].Timestamp != t0.Add(-60e9).UnixMilli() {
		t.Fatalf("%v %+v", err, out)
	}
	m.TargetARN = "arn:aws:logs:us-east-1:000000000000:log-group:/aws/events/missing"
	if err := l.Deliver(context.Background(), m); err == nil {
		t.Fatal("delivered to a missing group")
	}
}
