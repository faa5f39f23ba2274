package events

import (
	"encoding/json"
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const (
	hcARN     = "arn:aws:route53:::healthcheck/3a3e4f5b-1111-2222-3333-444455556666"
	otherRgn  = "us-east-1"
	endpRole  = "arn:aws:iam::123456789012:role/replication"
	busInHome = "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/orders"
	busInSec  = "arn:aws:events:" + otherRgn + ":" + testAccount + ":event-bus/orders"
)

func endpointIn(name string, buses ...string) *eventsapi.CreateEndpointRequest {
	in := &eventsapi.CreateEndpointRequest{Name: ptr.To(name),
		RoutingConfig: &eventsapi.RoutingConfig{FailoverConfig: &eventsapi.FailoverConfig{
			Primary: &eventsapi.Primary{HealthCheck: ptr.To(hcARN)}, Secondary: &eventsapi.Secondary{Route: ptr.To(otherRgn)}}},
		ReplicationConfig: &eventsapi.ReplicationConfig{State: ptr.To("DISABLED")}}
	for _, b := range buses {
		in.EventBuses = append(in.EventBuses, eventsapi.EndpointEventBus{EventBusArn: ptr.To(b)})
	}
	return in
}

// TestGlobalEndpoint: CreateEndpoint validates the buses (two, one name,
// two regions, one in the endpoint's region), the health check and the
// secondary route as AWS documents; events sent with its EndpointId reach
// the primary region's bus, and with replication the secondary's too.
// https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_CreateEndpoint.html
func TestGlobalEndpoint(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		name string
		in   *eventsapi.CreateEndpointRequest
		msg  string
	}{
		{"one bus", endpointIn("e", busInHome), "length less than or equal to 2"},
		{"names differ", endpointIn("e", busInHome, "arn:aws:events:us-east-1:123456789012:event-bus/other"), "must be identical"},
		{"same region", endpointIn("e", busInHome, busInHome), "different Regions"},
		{"no bus here", endpointIn("e", "arn:aws:events:eu-west-1:123456789012:event-bus/orders", busInSec), "primary Region"},
		{"bad name", endpointIn("bad name", busInHome, busInSec), "regular expression"},
		{"bad health check", func() *eventsapi.CreateEndpointRequest {
			in := endpointIn("e", busInHome, busInSec)
			in.RoutingConfig.FailoverConfig.Primary.HealthCheck = ptr.To("hc-1")
			return in
		}(), "health check"},
		{"wrong secondary", func() *eventsapi.CreateEndpointRequest {
			in := endpointIn("e", busInHome, busInSec)
			in.RoutingConfig.FailoverConfig.Secondary.Route = ptr.To("eu-west-1")
			return in
		}(), "secondary Region"},
		{"replication without role", func() *eventsapi.CreateEndpointRequest {
			in := endpointIn("e", busInHome, busInSec)
			in.ReplicationConfig = nil
			return in
		}(), "RoleArn is required"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.CreateEndpoint(f.ctx, c.in)
			wantErr(t, err, "ValidationException", c.msg)
		})
	}

	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	sec := *f.ctx
	sec.Region = otherRgn
	must(f.CreateEventBus(&sec, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	const secQueue = "arn:aws:sqs:us-east-1:123456789012:q2"
	must(f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventBusName: ptr.To("orders"), EventPattern: ptr.To(`{"source":["shop"]}`)}))
	must(f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To("r"), EventBusName: ptr.To("orders"), Targets: []eventsapi.Target{target("q", queueARN)}}))
	must(f.PutRule(&sec, &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventBusName: ptr.To("orders"), EventPattern: ptr.To(`{"source":["shop"]}`)}))
	must(f.PutTargets(&sec, &eventsapi.PutTargetsRequest{Rule: ptr.To("r"), EventBusName: ptr.To("orders"), Targets: []eventsapi.Target{target("q", secQueue)}}))

	created := must(f.CreateEndpoint(f.ctx, endpointIn("orders-ge", busInSec, busInHome)))
	if *created.State != "ACTIVE" || *created.Arn != "arn:aws:events:"+testRegion+":"+testAccount+":endpoint/orders-ge" {
		t.Fatalf("created %+v", created)
	}
	_, err := f.CreateEndpoint(f.ctx, endpointIn("orders-ge", busInSec, busInHome))
	wantErr(t, err, "ResourceAlreadyExistsException", "")
	d := must(f.DescribeEndpoint(f.ctx, &eventsapi.DescribeEndpointRequest{Name: ptr.To("orders-ge")}))
	if d.EndpointId == nil || *d.EndpointUrl != "https://"+*d.EndpointId+".endpoint.events.amazonaws.com" ||
		*d.RoutingConfig.FailoverConfig.Primary.HealthCheck != hcARN || len(d.EventBuses) != 2 {
		t.Fatalf("described %+v", d)
	}
	if l := must(f.ListEndpoints(f.ctx, &eventsapi.ListEndpointsRequest{NamePrefix: ptr.To("orders")})); len(l.Endpoints) != 1 {
		t.Fatalf("listed %+v", l)
	}
	if l := must(f.ListEndpoints(f.ctx, &eventsapi.ListEndpointsRequest{HomeRegion: ptr.To(otherRgn)})); len(l.Endpoints) != 0 {
		t.Fatalf("listed in another home region: %+v", l)
	}

	// Sent from any region, an event for the endpoint lands on the
	// primary region's bus only (replication is disabled).
	put := must(f.PutEvents(&sec, &eventsapi.PutEventsRequest{EndpointId: d.EndpointId, Entries: []eventsapi.PutEventsRequestEntry{
		{Source: ptr.To("shop"), DetailType: ptr.To("order"), Detail: ptr.To(`{"n":1}`), EventBusName: ptr.To("orders")}}}))
	if *put.FailedEntryCount != 0 {
		t.Fatalf("put %+v", put.Entries)
	}
	m := f.next(f.sqs)
	var ev map[string]any
	if err := json.Unmarshal([]byte(m.Body), &ev); err != nil || m.TargetARN != queueARN || ev["region"] != testRegion {
		t.Fatalf("delivered to %s: %s", m.TargetARN, m.Body)
	}
	f.none(f.sqs)

	// With replication the secondary's bus gets the event too.
	up := must(f.UpdateEndpoint(f.ctx, &eventsapi.UpdateEndpointRequest{Name: ptr.To("orders-ge"),
		ReplicationConfig: &eventsapi.ReplicationConfig{State: ptr.To("ENABLED")}, RoleArn: ptr.To(endpRole)}))
	if *up.ReplicationConfig.State != "ENABLED" || *up.EndpointId != *d.EndpointId {
		t.Fatalf("updated %+v", up)
	}
	must(f.PutEvents(f.ctx, &eventsapi.PutEventsRequest{EndpointId: d.EndpointId, Entries: []eventsapi.PutEventsRequestEntry{
		{Source: ptr.To("shop"), DetailType: ptr.To("order"), Detail: ptr.To(`{"n":2}`)}}}))
	got := map[string]string{}
	for range 2 {
		m := f.next(f.sqs)
		_ = json.Unmarshal([]byte(m.Body), &ev)
		got[m.TargetARN], _ = ev["region"].(string)
	}
	if got[queueARN] != testRegion || got[secQueue] != otherRgn {
		t.Fatalf("replicated deliveries %v", got)
	}

	// An entry naming another bus fails; an unknown endpoint fails whole.
	put = must(f.PutEvents(f.ctx, &eventsapi.PutEventsRequest{EndpointId: d.EndpointId, Entries: []eventsapi.PutEventsRequestEntry{
		{Source: ptr.To("shop"), DetailType: ptr.To("order"), Detail: ptr.To(`{}`), EventBusName: ptr.To("default")}}}))
	if *put.FailedEntryCount != 1 || *put.Entries[0].ErrorCode != "InvalidArgument" {
		t.Fatalf("other bus: %+v", put.Entries)
	}
	must(f.DeleteEndpoint(f.ctx, &eventsapi.DeleteEndpointRequest{Name: ptr.To("orders-ge")}))
	_, err = f.PutEvents(f.ctx, &eventsapi.PutEventsRequest{EndpointId: d.EndpointId, Entries: []eventsapi.PutEventsRequestEntry{
		{Source: ptr.To("shop"), DetailType: ptr.To("order"), Detail: ptr.To(`{}`)}}})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = f.DescribeEndpoint(f.ctx, &eventsapi.DescribeEndpointRequest{Name: ptr.To("orders-ge")})
	wantErr(t, err, "ResourceNotFoundException", "Endpoint orders-ge does not exist.")
}

// TestUpdateEventBus: description, KMS key and dead-letter queue are kept
// and described; a DLQ that is not a queue is refused.
func TestUpdateEventBus(t *testing.T) {
	f := newFixture(t)
	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("b"), Description: ptr.To("first")}))
	up := must(f.UpdateEventBus(f.ctx, &eventsapi.UpdateEventBusRequest{Name: ptr.To("b"), Description: ptr.To("second"),
		DeadLetterConfig: &eventsapi.DeadLetterConfig{Arn: ptr.To(queueARN)}}))
	if *up.Description != "second" || *up.DeadLetterConfig.Arn != queueARN {
		t.Fatalf("updated %+v", up)
	}
	d := must(f.DescribeEventBus(f.ctx, &eventsapi.DescribeEventBusRequest{Name: ptr.To("b")}))
	if *d.Description != "second" || *d.DeadLetterConfig.Arn != queueARN || d.CreationTime == nil {
		t.Fatalf("described %+v", d)
	}
	_, err := f.UpdateEventBus(f.ctx, &eventsapi.UpdateEventBusRequest{Name: ptr.To("b"), DeadLetterConfig: &eventsapi.DeadLetterConfig{Arn: ptr.To(fnARN)}})
	wantErr(t, err, "ValidationException", "not an Amazon SQS queue ARN")
	_, err = f.UpdateEventBus(f.ctx, &eventsapi.UpdateEventBusRequest{Name: ptr.To("nope")})
	wantErr(t, err, "ResourceNotFoundException", "")
}
