package ssm

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Parameter policies ("Assigning parameter policies in Parameter
// Store"): a JSON array of at most 10 {Type, Version, Attributes}
// objects, for advanced parameters only:
//
//	Expiration              {"Timestamp": ISO_INSTANT or ISO_OFFSET_DATE_TIME}
//	ExpirationNotification  {"Before": "15", "Unit": "Days"|"Hours"}
//	NoChangeNotification    {"After": "20", "Unit": "Days"|"Hours"}
//
// "[{}]" removes every policy; a new version without Policies keeps the
// previous version's. AWS applies them with periodic scans; niwa keeps
// one schedule (dueTable) across accounts and regions, ordered by when
// each action is due on the injected clock, and one timer for its
// earliest entry. Expiration deletes the parameter; every action
// publishes a "Parameter Store Policy Action" event (source aws.ssm) to
// the account's default bus.

// policy is one parsed policy of a version.
type policy struct {
	Type   string `json:"type"`
	Text   string `json:"text"`
	Status string `json:"status"`
	// At is when the action is due (zero: it never is, e.g. a
	// notification without an expiration).
	At time.Time `json:"at"`
	// N and Unit are Before/After and their unit, for the event's reason.
	N    int    `json:"n,omitempty"`
	Unit string `json:"unit,omitempty"`
}

// due is one scheduled policy action.
type due struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
	Index   int    `json:"index"`
}

// dueTable lives in the empty scope: one schedule for the whole store.
var dueTable = storage.NewTable[due]("due")

const (
	policyPending  = "Pending"
	policyFinished = "Finished"
)

var errPolicyAttr = ssmapi.ErrInvalidPolicyAttributeException

// parsePolicies parses a Policies document; removeAll is true for "[{}]".
func parsePolicies(doc string, now time.Time) (out []policy, removeAll bool, err error) {
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(doc), &raw); err != nil {
		return nil, false, errPolicyAttr.New("Invalid policies input: %s", doc)
	}
	if len(raw) == 1 && bytes.Equal(bytes.Join(bytes.Fields(raw[0]), nil), []byte("{}")) {
		return nil, true, nil
	}
	if len(raw) > maxPolicies {
		return nil, false, ssmapi.ErrPoliciesLimitExceededException.New("You specified more than the maximum number of allowed policies for the parameter. The maximum is 10.")
	}
	var expires time.Time
	for _, r := range raw {
		var p struct {
			Type       string            `json:"Type"`
			Version    string            `json:"Version"`
			Attributes map[string]string `json:"Attributes"`
		}
		if err := json.Unmarshal(r, &p); err != nil {
			return nil, false, errPolicyAttr.New("Invalid policies input: %s", doc)
		}
		if p.Version != "1.0" {
			return nil, false, errPolicyAttr.New("Invalid policy version: %s. Valid version: 1.0", p.Version)
		}
		compact := new(bytes.Buffer)
		if err := json.Compact(compact, r); err != nil {
			return nil, false, errPolicyAttr.New("Invalid policies input: %s", doc)
		}
		pol := policy{Type: p.Type, Text: compact.String(), Status: policyPending}
		switch p.Type {
		case "Expiration":
			if !expires.IsZero() {
				return nil, false, errIncompatible()
			}
			ts, ok := p.Attributes["Timestamp"]
			t, perr := parseTimestamp(ts)
			if !ok || perr != nil || len(p.Attributes) != 1 {
				return nil, false, errPolicyAttr.New("Invalid Timestamp attribute for Expiration policy: %s", ts)
			}
			if !t.After(now) {
				return nil, false, errPolicyAttr.New("Expiration timestamp must be in the future: %s", ts)
			}
			expires, pol.At = t, t
		case "ExpirationNotification", "NoChangeNotification":
			key := "Before"
			if p.Type == "NoChangeNotification" {
				key = "After"
			}
			n, err := strconv.Atoi(p.Attributes[key])
			unit := p.Attributes["Unit"]
			if err != nil || n < 1 || (unit != "Days" && unit != "Hours") || len(p.Attributes) != 2 {
				return nil, false, errPolicyAttr.New("Invalid attributes for %s policy: %s must be a positive number and Unit Days or Hours", p.Type, key)
			}
			pol.N, pol.Unit = n, unit
		default:
			return nil, false, ssmapi.ErrInvalidPolicyTypeException.New("The policy type isn't supported. Parameter Store supports the following policy types: Expiration, ExpirationNotification, and NoChangeNotification.")
		}
		out = append(out, pol)
	}
	for _, p := range out {
		if p.Type == "ExpirationNotification" && expires.IsZero() {
			return nil, false, errIncompatible()
		}
	}
	return out, false, nil
}

func errIncompatible() error {
	return ssmapi.ErrIncompatiblePolicyException.New("There is a conflict in the policies specified for this parameter. You can't, for example, specify two Expiration policies for a parameter. Review your policies, and try again.")
}

// parseTimestamp reads ISO_INSTANT and ISO_OFFSET_DATE_TIME.
func parseTimestamp(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999Z07:00:00", "2006-01-02T15:04Z07:00"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad timestamp %q", s)
}

func unitDuration(n int, unit string) time.Duration {
	d := time.Duration(n) * time.Hour
	if unit == "Days" {
		d *= 24
	}
	return d
}

// schedule computes when each policy is due, for a version modified at
// modified: notifications relative to the expiration or the last change.
func schedule(pols []policy, modified time.Time) {
	var expires time.Time
	for _, p := range pols {
		if p.Type == "Expiration" {
			expires = p.At
		}
	}
	for i := range pols {
		p := &pols[i]
		switch p.Type {
		case "ExpirationNotification":
			p.At = expires.Add(-unitDuration(p.N, p.Unit))
		case "NoChangeNotification":
			p.At = modified.Add(unitDuration(p.N, p.Unit))
		}
	}
}

func dueKey(at time.Time, sc storage.Scope, name string, i int) []string {
	return []string{fmt.Sprintf("%020d", at.UnixNano()), sc.Account, sc.Region, name, strconv.Itoa(i)}
}

// reschedule replaces a parameter's schedule entries with those of v's
// pending policies, inside the caller's transaction.
func reschedule(tx storage.Tx, sc storage.Scope, p *param, v *version) error {
	if err := unschedule(tx, p); err != nil {
		return err
	}
	for i, pol := range v.Policies {
		if pol.Status != policyPending || pol.At.IsZero() {
			continue
		}
		k := dueKey(pol.At, sc, p.Name, i)
		if err := dueTable.Put(tx, storage.Scope{}, due{Account: sc.Account, Region: sc.Region, Name: p.Name, Index: i}, k...); err != nil {
			return err
		}
		p.Due = append(p.Due, k)
	}
	return nil
}

func unschedule(tx storage.Tx, p *param) error {
	for _, k := range p.Due {
		if err := dueTable.Delete(tx, storage.Scope{}, k...); err != nil {
			return err
		}
	}
	p.Due = nil
	return nil
}

// armPolicies arms the timer for the earliest scheduled action, if it is
// earlier than the one armed.
func (s *SSM) armPolicies() {
	var first time.Time
	err := s.store.View(func(tx storage.Tx) error {
		return dueTable.List(tx, storage.Scope{}, nil, storage.ListOptions{Limit: 1}, func(k []string, _ due) bool {
			if n, err := strconv.ParseInt(k[0], 10, 64); err == nil {
				first = time.Unix(0, n).UTC()
			}
			return false
		})
	})
	if err != nil {
		s.opts.Log.Error("ssm: reading the policy schedule failed; policies wait for the next change", "err", err)
		return
	}
	if first.IsZero() {
		return
	}
	s.pmu.Lock()
	defer s.pmu.Unlock()
	if s.stopped || (s.ptimer != nil && !s.pnext.After(first)) {
		return
	}
	if s.ptimer != nil {
		s.ptimer.Stop()
	}
	s.pnext = first
	s.pgen++
	gen := s.pgen
	s.ptimer = s.clock.AfterFunc(first.Sub(s.clock.Now()), func() {
		s.pmu.Lock()
		// A timer armed since (for an earlier action) replaced this
		// one: leave it in place.
		if s.pgen == gen {
			s.ptimer = nil
			s.pnext = time.Time{}
		}
		s.pmu.Unlock()
		s.RunPolicies()
		s.armPolicies()
	})
}

// RunPolicies applies every policy action due by now.
func (s *SSM) RunPolicies() {
	now := s.clock.Now()
	limit := fmt.Sprintf("%020d", now.UnixNano())
	for {
		var key []string
		var d due
		err := s.store.View(func(tx storage.Tx) error {
			return dueTable.List(tx, storage.Scope{}, nil, storage.ListOptions{Limit: 1}, func(k []string, v due) bool {
				key, d = k, v
				return false
			})
		})
		if err != nil {
			s.opts.Log.Error("ssm: reading the policy schedule failed", "err", err)
			return
		}
		if key == nil || key[0] > limit {
			return
		}
		if err := s.apply(key, d); err != nil {
			s.opts.Log.Error("ssm: applying a parameter policy failed; it is dropped", "parameter", d.Name, "err", err)
			if err := s.store.Update(func(tx storage.Tx) error { return dueTable.Delete(tx, storage.Scope{}, key...) }); err != nil {
				return
			}
		}
	}
}

// apply takes one due action and publishes its event.
func (s *SSM) apply(key []string, d due) error {
	sc := storage.Scope{Account: d.Account, Region: d.Region}
	var ev *events.Event
	err := s.store.Update(func(tx storage.Tx) error {
		if err := dueTable.Delete(tx, storage.Scope{}, key...); err != nil {
			return err
		}
		p, ok, err := params.Get(tx, sc, d.Name)
		if err != nil || !ok {
			return err
		}
		v, ok, err := versions.Get(tx, sc, d.Name, verKey(p.Latest))
		if err != nil || !ok || d.Index >= len(v.Policies) {
			return err
		}
		pol := v.Policies[d.Index]
		if pol.Type == "Expiration" {
			if err := s.deleteParam(tx, sc, &p); err != nil {
				return err
			}
		} else {
			v.Policies[d.Index].Status = policyFinished
			if err := versions.Put(tx, sc, v, d.Name, verKey(v.Version)); err != nil {
				return err
			}
			kept := p.Due[:0]
			for _, k := range p.Due {
				if strings.Join(k, "\x00") != strings.Join(key, "\x00") {
					kept = append(kept, k)
				}
			}
			p.Due = kept
			if err := params.Put(tx, sc, p, d.Name); err != nil {
				return err
			}
		}
		e := policyEvent(sc, d.Name, v.Type, pol, s.clock.Now())
		ev = &e
		return nil
	})
	if err == nil && ev != nil && s.opts.Bus != nil {
		s.opts.Bus.Publish(*ev)
	}
	return err
}

func policyEvent(sc storage.Scope, name, typ string, pol policy, at time.Time) events.Event {
	reason := ""
	switch pol.Type {
	case "Expiration":
		reason = "The parameter expired and was deleted."
	case "ExpirationNotification":
		reason = fmt.Sprintf("Expiration date occurs in %d %s.", pol.N, strings.ToLower(pol.Unit))
	case "NoChangeNotification":
		reason = fmt.Sprintf("Parameter has not been changed for %d %s.", pol.N, strings.ToLower(pol.Unit))
	}
	// "parameter-name" is what AWS's policy events carry; "name" too,
	// because the user guide's sample rule for these events matches on
	// detail.name.
	detail, _ := json.Marshal(map[string]string{
		"parameter-name": name, "name": name, "parameter-type": typ, "policy-type": pol.Type,
		"policy-content": pol.Text, "action-status": policyFinished, "action-reason": reason,
	})
	return events.Event{ID: awsid.UUID(), Version: "0", Source: "aws.ssm", DetailType: "Parameter Store Policy Action",
		Account: sc.Account, Region: sc.Region, Time: at.UTC().Truncate(time.Second), Resources: []string{arn(sc, name)}, Detail: detail}
}

// changeEvent is the "Parameter Store Change" event of an operation
// (Create, Update, Delete, LabelParameterVersion).
func changeEvent(sc storage.Scope, name, typ, description, op string, at time.Time) events.Event {
	d := map[string]string{"operation": op, "name": name, "type": typ}
	if description != "" {
		d["description"] = description
	}
	detail, _ := json.Marshal(d)
	return events.Event{ID: awsid.UUID(), Version: "0", Source: "aws.ssm", DetailType: "Parameter Store Change",
		Account: sc.Account, Region: sc.Region, Time: at.UTC().Truncate(time.Second), Resources: []string{arn(sc, name)}, Detail: detail}
}

func (s *SSM) publish(evs []events.Event) {
	if s.opts.Bus == nil {
		return
	}
	for _, e := range evs {
		s.opts.Bus.Publish(e)
	}
}
