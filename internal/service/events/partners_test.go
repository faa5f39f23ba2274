package events

import (
	"encoding/json"
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

const (
	partnerAccount = "210987654321"
	source         = "aws.partner/saas.example.com/" + testAccount + "/orders"
)

// TestPartnerEventSource walks the SaaS integration flow: a partner
// creates a source for a customer, who sees it PENDING, creates the
// partner bus (which activates it) and a rule; PutPartnerEvents reach the
// rule's target with the customer's account; a deactivated source drops
// events; the partner deletes the source.
// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-saas.html
func TestPartnerEventSource(t *testing.T) {
	f := newFixture(t)
	partner := *f.ctx
	partner.Account = partnerAccount

	_, err := f.CreatePartnerEventSource(&partner, &eventsapi.CreatePartnerEventSourceRequest{Name: ptr.To("my/source"), Account: ptr.To(testAccount)})
	wantErr(t, err, "ValidationException", "aws\\.partner")
	_, err = f.CreatePartnerEventSource(&partner, &eventsapi.CreatePartnerEventSourceRequest{Name: ptr.To(source), Account: ptr.To("123")})
	wantErr(t, err, "ValidationException", "account")
	cr := must(f.CreatePartnerEventSource(&partner, &eventsapi.CreatePartnerEventSourceRequest{Name: ptr.To(source), Account: ptr.To(testAccount)}))
	if *cr.EventSourceArn != "arn:aws:events:"+testRegion+"::event-source/"+source {
		t.Fatalf("arn %s", *cr.EventSourceArn)
	}
	_, err = f.CreatePartnerEventSource(&partner, &eventsapi.CreatePartnerEventSourceRequest{Name: ptr.To(source), Account: ptr.To(testAccount)})
	wantErr(t, err, "ResourceAlreadyExistsException", "")

	d := must(f.DescribeEventSource(f.ctx, &eventsapi.DescribeEventSourceRequest{Name: ptr.To(source)}))
	if *d.State != "PENDING" || *d.CreatedBy != "aws.partner/saas.example.com" || d.ExpirationTime == nil {
		t.Fatalf("customer sees %+v", d)
	}
	if l := must(f.ListEventSources(f.ctx, &eventsapi.ListEventSourcesRequest{NamePrefix: ptr.To("aws.partner/saas")})); len(l.EventSources) != 1 {
		t.Fatalf("listed %+v", l)
	}
	if l := must(f.ListPartnerEventSources(&partner, &eventsapi.ListPartnerEventSourcesRequest{NamePrefix: ptr.To("aws.partner/")})); len(l.PartnerEventSources) != 1 {
		t.Fatalf("partner lists %+v", l)
	}
	_, err = f.DescribePartnerEventSource(f.ctx, &eventsapi.DescribePartnerEventSourceRequest{Name: ptr.To(source)})
	wantErr(t, err, "ResourceNotFoundException", "") // the customer is not the partner

	// The partner bus must be named after the source.
	_, err = f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("x"), EventSourceName: ptr.To(source)})
	wantErr(t, err, "ValidationException", "must match")
	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To(source), EventSourceName: ptr.To(source)}))
	if d := must(f.DescribeEventSource(f.ctx, &eventsapi.DescribeEventSourceRequest{Name: ptr.To(source)})); *d.State != "ACTIVE" || d.ExpirationTime != nil {
		t.Fatalf("after association %+v", d)
	}
	acc := must(f.ListPartnerEventSourceAccounts(&partner, &eventsapi.ListPartnerEventSourceAccountsRequest{EventSourceName: ptr.To(source)}))
	if len(acc.PartnerEventSourceAccounts) != 1 || *acc.PartnerEventSourceAccounts[0].State != "ACTIVE" || *acc.PartnerEventSourceAccounts[0].Account != testAccount {
		t.Fatalf("accounts %+v", acc)
	}
	must(f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("r"), EventBusName: ptr.To(source), EventPattern: ptr.To(`{"source":["` + source + `"]}`)}))
	must(f.PutTargets(f.ctx, &eventsapi.PutTargetsRequest{Rule: ptr.To("r"), EventBusName: ptr.To(source), Targets: []eventsapi.Target{target("q", queueARN)}}))

	put := must(f.PutPartnerEvents(&partner, &eventsapi.PutPartnerEventsRequest{Entries: []eventsapi.PutPartnerEventsRequestEntry{
		{Source: ptr.To(source), DetailType: ptr.To("Order Created"), Detail: ptr.To(`{"id":7}`)},
		{Source: ptr.To("aws.partner/saas.example.com/other"), DetailType: ptr.To("x"), Detail: ptr.To(`{}`)},
	}}))
	if *put.FailedEntryCount != 1 || put.Entries[0].EventId == nil || *put.Entries[1].ErrorCode != "InvalidArgument" {
		t.Fatalf("put %+v", put.Entries)
	}
	m := f.next(f.sqs)
	var ev map[string]any
	if err := json.Unmarshal([]byte(m.Body), &ev); err != nil || ev["source"] != source || ev["account"] != testAccount || ev["detail-type"] != "Order Created" {
		t.Fatalf("delivered %s", m.Body)
	}

	// A customer cannot send as the partner.
	put = must(f.PutPartnerEvents(f.ctx, &eventsapi.PutPartnerEventsRequest{Entries: []eventsapi.PutPartnerEventsRequestEntry{
		{Source: ptr.To(source), DetailType: ptr.To("x"), Detail: ptr.To(`{}`)}}}))
	if *put.FailedEntryCount != 1 {
		t.Fatalf("customer sent as partner: %+v", put.Entries)
	}

	must(f.DeactivateEventSource(f.ctx, &eventsapi.DeactivateEventSourceRequest{Name: ptr.To(source)}))
	must(f.PutPartnerEvents(&partner, &eventsapi.PutPartnerEventsRequest{Entries: []eventsapi.PutPartnerEventsRequestEntry{
		{Source: ptr.To(source), DetailType: ptr.To("x"), Detail: ptr.To(`{}`)}}}))
	f.none(f.sqs)
	must(f.ActivateEventSource(f.ctx, &eventsapi.ActivateEventSourceRequest{Name: ptr.To(source)}))

	must(f.DeletePartnerEventSource(&partner, &eventsapi.DeletePartnerEventSourceRequest{Name: ptr.To(source), Account: ptr.To(testAccount)}))
	_, err = f.DescribeEventSource(f.ctx, &eventsapi.DescribeEventSourceRequest{Name: ptr.To(source)})
	wantErr(t, err, "ResourceNotFoundException", "")
	_, err = f.ActivateEventSource(f.ctx, &eventsapi.ActivateEventSourceRequest{Name: ptr.To(source)})
	wantErr(t, err, "ResourceNotFoundException", "")
}
