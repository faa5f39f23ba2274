package events

import (
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestBusWantsOnlyWhereARuleOrArchiveCouldSee: publishers (the CloudTrail
// records of API calls) build events only for regions whose default bus
// has an enabled pattern rule or an archive; a rule on another bus, in
// another region or account does not count.
func TestBusWantsOnlyWhereARuleOrArchiveCouldSee(t *testing.T) {
	f := newFixture(t)
	if f.bus.Wants(testAccount, testRegion) {
		t.Fatal("wants events with no rule or archive")
	}
	must(f.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	must(f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("onbus"), EventBusName: ptr.To("orders"), EventPattern: ptr.To(`{"source":["aws.iam"]}`)}))
	if f.bus.Wants(testAccount, testRegion) {
		t.Fatal("a rule on a custom bus makes the default bus want events")
	}
	must(f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("iam"), EventPattern: ptr.To(`{"source":["aws.iam"]}`)}))
	if !f.bus.Wants(testAccount, testRegion) {
		t.Fatal("a default-bus rule does not make the bus want events")
	}
	if f.bus.Wants("210987654321", testRegion) || f.bus.Wants(testAccount, "us-west-2") {
		t.Fatal("the rule makes other accounts or regions want events")
	}
	must(f.DeleteRule(f.ctx, &eventsapi.DeleteRuleRequest{Name: ptr.To("iam")}))
	if f.bus.Wants(testAccount, testRegion) {
		t.Fatal("still wants events after the rule was deleted")
	}
	must(f.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("all"),
		EventSourceArn: ptr.To("arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/default")}))
	if !f.bus.Wants(testAccount, testRegion) {
		t.Fatal("an archive of the default bus does not make it want events")
	}
}
