package events

import (
	"sync/atomic"
	"testing"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	ibus "github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
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

// countingStore counts the read transactions a service opens.
type countingStore struct {
	storage.Store
	views atomic.Int64
}

func (s *countingStore) View(fn func(storage.Tx) error) error {
	s.views.Add(1)
	return s.Store.View(fn)
}

// TestHasArchiveFollowsCreateAndDelete: whether a bus is archived is read
// from the store once per account and region (it is asked twice for every
// mutating call while the default bus has no rule) and the answer follows
// CreateArchive and DeleteArchive, for the bus the archive names only.
func TestHasArchiveFollowsCreateAndDelete(t *testing.T) {
	f := newFixture(t)
	cs := &countingStore{Store: f.store}
	e := New(cs, ibus.New(), f.clock)
	t.Cleanup(func() { _ = e.Close() })
	sc := storage.Scope{Account: testAccount, Region: testRegion}
	must(e.CreateEventBus(f.ctx, &eventsapi.CreateEventBusRequest{Name: ptr.To("orders")}))
	busArn := func(bus string) string {
		return "arn:aws:events:" + testRegion + ":" + testAccount + ":event-bus/" + bus
	}
	want := func(step string, def, orders bool) {
		t.Helper()
		if got := e.hasArchive(sc, defaultBus); got != def {
			t.Fatalf("%s: default bus archived = %v, want %v", step, got, def)
		}
		if got := e.hasArchive(sc, "orders"); got != orders {
			t.Fatalf("%s: orders archived = %v, want %v", step, got, orders)
		}
	}

	want("no archive", false, false)
	before := cs.views.Load()
	for range 10 {
		want("no archive, asked again", false, false)
	}
	if n := cs.views.Load() - before; n != 0 {
		t.Fatalf("asking again read the store %d times, want 0", n)
	}

	must(e.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("orders-all"), EventSourceArn: ptr.To(busArn("orders"))}))
	want("archive of orders", false, true)
	must(e.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("default-all"), EventSourceArn: ptr.To(busArn(defaultBus))}))
	want("archives of both", true, true)
	// A failed create (the name is taken) changes nothing.
	if _, err := e.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("orders-all"), EventSourceArn: ptr.To(busArn(defaultBus))}); err == nil {
		t.Fatal("CreateArchive of a taken name succeeded")
	}
	want("failed create", true, true)
	must(e.UpdateArchive(f.ctx, &eventsapi.UpdateArchiveRequest{ArchiveName: ptr.To("orders-all"), Description: ptr.To("d")}))
	want("update", true, true)
	must(e.DeleteArchive(f.ctx, &eventsapi.DeleteArchiveRequest{ArchiveName: ptr.To("orders-all")}))
	want("orders' archive deleted", true, false)
	must(e.DeleteArchive(f.ctx, &eventsapi.DeleteArchiveRequest{ArchiveName: ptr.To("default-all")}))
	want("both deleted", false, false)

	// Another region is cached on its own.
	other := storage.Scope{Account: testAccount, Region: "us-west-2"}
	if e.hasArchive(other, defaultBus) {
		t.Fatal("an archive in another region")
	}
	must(e.CreateArchive(f.ctx, &eventsapi.CreateArchiveRequest{ArchiveName: ptr.To("again"), EventSourceArn: ptr.To(busArn(defaultBus))}))
	if e.hasArchive(other, defaultBus) {
		t.Fatal("an archive of ap-northeast-1 counts in us-west-2")
	}
	want("recreated", true, false)

	// POST /_niwa/reset empties the store; the cache goes with it.
	must(0, f.store.Update(func(tx storage.Tx) error { return archives.Delete(tx, sc, "again") }))
	must(0, e.Reset())
	want("reset", false, false)
}

// TestBusWantsAllocatesNothing: the audit hook asks the bus, twice for
// every mutating call (PutItem, PutObject, SendMessage), whether EventBridge
// wants the call's record; for a region with no rule and no archive (the
// usual case) the answer, once its caches are read, costs no allocation.
func TestBusWantsAllocatesNothing(t *testing.T) {
	f := newFixture(t)
	if f.bus.Wants(testAccount, testRegion) {
		t.Fatal("wants events with no rule or archive")
	}
	if n := testing.AllocsPerRun(100, func() { f.bus.Wants(testAccount, testRegion) }); n != 0 {
		t.Errorf("Wants allocated %v times per call, want 0", n)
	}
	// The next call after a rule appears still sees it.
	must(f.PutRule(f.ctx, &eventsapi.PutRuleRequest{Name: ptr.To("any"), EventPattern: ptr.To(`{"source":["aws.s3"]}`)}))
	if !f.bus.Wants(testAccount, testRegion) {
		t.Fatal("a default-bus rule does not make the bus want events")
	}
}
