package events

import (
	"encoding/json"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"

	"github.com/niwa-cloud/niwa/internal/events/schedule"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func scheduleKey(sc storage.Scope, rule string) string {
	return sc.Account + "|" + sc.Region + "|" + rule
}

// syncScheduleRecord keeps the global list of scheduled rules in step with
// a rule, inside the rule's transaction.
func (e *Events) syncScheduleRecord(tx storage.Tx, sc storage.Scope, r ruleRecord) error {
	if r.ScheduleExpression == "" {
		return scheduled.Delete(tx, storage.Scope{}, sc.Account, sc.Region, r.Name)
	}
	return scheduled.Put(tx, storage.Scope{}, scheduleRecord{Account: sc.Account, Region: sc.Region, Rule: r.Name}, sc.Account, sc.Region, r.Name)
}

// armAllSchedules arms the timers of every stored scheduled rule (at
// start, so schedules survive a restart with --data-dir).
func (e *Events) armAllSchedules() {
	var recs []scheduleRecord
	if err := e.store.View(func(tx storage.Tx) error {
		return scheduled.List(tx, storage.Scope{}, nil, storage.ListOptions{}, func(_ []string, s scheduleRecord) bool {
			recs = append(recs, s)
			return true
		})
	}); err != nil {
		// Start anyway: the schedules read so far are armed, the others
		// wait until their rule is put again.
		e.log.Error("events: reading scheduled rules failed; some schedules are not armed", "err", err)
	}
	for _, s := range recs {
		sc := storage.Scope{Account: s.Account, Region: s.Region}
		var r ruleRecord
		var ok bool
		if err := e.store.View(func(tx storage.Tx) error {
			var err error
			r, ok, err = rules.Get(tx, sc, defaultBus, s.Rule)
			return err
		}); err != nil {
			e.log.Error("events: reading a scheduled rule failed; its schedule is not armed", "rule", s.Rule, "err", err)
			continue
		}
		if ok {
			e.armSchedule(sc, r)
		}
	}
}

func (e *Events) disarm(key string) {
	e.tmu.Lock()
	if t, ok := e.timers[key]; ok {
		t.Stop()
		delete(e.timers, key)
	}
	e.tmu.Unlock()
}

// armSchedule (re)arms the timer of a scheduled rule for its next firing
// after now; a disabled or unscheduled rule has none.
func (e *Events) armSchedule(sc storage.Scope, r ruleRecord) {
	key := scheduleKey(sc, r.Name)
	e.disarm(key)
	if r.ScheduleExpression == "" || r.State != "ENABLED" || r.Bus != defaultBus {
		return
	}
	s, err := schedule.Parse(r.ScheduleExpression, r.Created)
	if err != nil {
		return
	}
	now := e.clock.Now()
	next := s.Next(now)
	if next.IsZero() {
		return
	}
	e.arm(sc, r, key, next, now)
}

func (e *Events) arm(sc storage.Scope, r ruleRecord, key string, at, now time.Time) {
	e.tmu.Lock()
	defer e.tmu.Unlock()
	select {
	case <-e.stop:
		return
	default:
	}
	e.gen++
	gen := e.gen
	t := e.clock.AfterFunc(at.Sub(now), func() { e.fire(sc, r.Name, r.ScheduleExpression, at, gen) })
	e.timers[key] = armed{Timer: t, gen: gen}
}

// armed is a schedule timer; gen tells a firing whether it is still the
// current timer of its rule (a rule updated meanwhile has a newer one).
type armed struct {
	clock.Timer
	gen uint64
}

// fire emits a Scheduled Event for the rule, if it still exists unchanged
// and enabled, and arms the next firing.
func (e *Events) fire(sc storage.Scope, name, expr string, at time.Time, gen uint64) {
	key := scheduleKey(sc, name)
	e.tmu.Lock()
	cur, current := e.timers[key]
	e.tmu.Unlock()
	if !current || cur.gen != gen {
		return
	}
	var r ruleRecord
	var ok bool
	if err := e.store.View(func(tx storage.Tx) error {
		var err error
		r, ok, err = rules.Get(tx, sc, defaultBus, name)
		return err
	}); err != nil || !ok || r.State != "ENABLED" || r.ScheduleExpression != expr {
		return
	}
	arn := ruleARN(sc, defaultBus, name)
	body := marshalEvent(wireEvent{ID: awsid.UUID(), DetailType: "Scheduled Event", Source: "aws.events", Account: sc.Account,
		Time: formatTime(at), Region: sc.Region, Resources: []string{arn}, Detail: json.RawMessage("{}")})
	e.enqueue(envelope{sc: sc, bus: defaultBus, event: body, onlyRule: name})

	s, err := schedule.Parse(r.ScheduleExpression, r.Created)
	if err != nil {
		return
	}
	now := e.clock.Now()
	// The next firing after this one; if the clock jumped over several
	// periods, AWS does not replay the missed ones: continue from now.
	from := at
	if now.After(from) {
		from = now
	}
	next := s.Next(from)
	if next.IsZero() {
		return
	}
	e.arm(sc, r, scheduleKey(sc, name), next, now)
}
