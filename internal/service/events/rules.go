package events

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/events/pattern"
	"github.com/niwa-cloud/niwa/internal/events/schedule"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const maxTargetsPerRule = 5

// maxPatternLength is the EventPattern member's length limit in
// EventBridge's model (the default "Event pattern size" quota). A longer
// pattern is refused before it is parsed, as AWS's request validation
// refuses it.
const maxPatternLength = 2048

// compilePattern validates an EventPattern parameter of PutRule,
// TestEventPattern, CreateArchive or UpdateArchive.
func compilePattern(s string) (*pattern.Pattern, error) {
	if len(s) > maxPatternLength && utf8.RuneCountInString(s) > maxPatternLength {
		return nil, validation("%s", model.Summary([]model.Violation{{Path: "eventPattern", Value: s,
			Message: fmt.Sprintf("Member must have length less than or equal to %d", maxPatternLength)}}))
	}
	p, err := pattern.Compile(s)
	if err != nil {
		return nil, eventsapi.ErrInvalidEventPatternException.New("%s", err.Error())
	}
	return p, nil
}

func managedErr(r ruleRecord) error {
	return eventsapi.ErrManagedRuleException.New(
		"Rule %s is managed by AWS service %s and cannot be modified. Try again with the Force flag, or use the service that manages it.", r.Name, r.ManagedBy)
}

// PutRule creates or updates a rule.
func (e *Events) PutRule(ctx *request.Context, in *eventsapi.PutRuleRequest) (*eventsapi.PutRuleResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	name := ptr.Deref(in.Name)
	pat, sched := ptr.Deref(in.EventPattern), ptr.Deref(in.ScheduleExpression)
	if pat == "" && sched == "" {
		return nil, validation("Parameter(s) EventPattern or ScheduleExpression must be specified.")
	}
	if pat != "" {
		if _, err := compilePattern(pat); err != nil {
			return nil, err
		}
	}
	if sched != "" {
		if bus != defaultBus {
			return nil, validation("ScheduleExpression is supported only on the default event bus.")
		}
		if _, err := schedule.Parse(sched, ctx.Now()); err != nil {
			return nil, validation("Parameter ScheduleExpression is not valid.")
		}
	}
	state := ptr.Deref(in.State)
	if state == "" {
		state = "ENABLED"
	}
	tags, err := tagMap(in.Tags)
	if err != nil {
		return nil, err
	}
	var rec ruleRecord
	err = e.store.Update(func(tx storage.Tx) error {
		if _, ok, err := getBus(tx, sc, bus); err != nil {
			return err
		} else if !ok {
			return busNotFound(bus)
		}
		old, exists, err := rules.Get(tx, sc, bus, name)
		if err != nil {
			return err
		}
		if exists && old.ManagedBy != "" {
			return managedErr(old)
		}
		rec = ruleRecord{Name: name, Bus: bus, EventPattern: pat, ScheduleExpression: sched, State: state,
			Description: ptr.Deref(in.Description), RoleArn: ptr.Deref(in.RoleArn), CreatedBy: ctx.Account, Created: ctx.Now()}
		if exists {
			rec.Targets, rec.Created, rec.Tags, rec.CreatedBy = old.Targets, old.Created, old.Tags, old.CreatedBy
			if sched != "" && old.ScheduleExpression == sched {
				rec.Created = old.Created
			} else if sched != "" {
				rec.Created = ctx.Now() // a new period counts from now
			}
		}
		for k, v := range tags {
			if rec.Tags == nil {
				rec.Tags = map[string]string{}
			}
			rec.Tags[k] = v
		}
		if err := rules.Put(tx, sc, rec, bus, name); err != nil {
			return err
		}
		return e.syncScheduleRecord(tx, sc, rec)
	})
	if err != nil {
		return nil, err
	}
	e.indexRule(sc, rec)
	e.armSchedule(sc, rec)
	return &eventsapi.PutRuleResponse{RuleArn: ptr.To(ruleARN(sc, bus, name))}, nil
}

// PutManagedRule creates or replaces a rule that an AWS service manages
// on the customer's behalf (ManagedBy); customers can then only change it
// with Force. It is for other parts of niwa, not the API.
func (e *Events) PutManagedRule(account, region, name, managedBy, eventPattern string, targets []eventsapi.Target) error {
	sc := storage.Scope{Account: account, Region: region}
	if _, err := pattern.Compile(eventPattern); err != nil {
		return err
	}
	rec := ruleRecord{Name: name, Bus: defaultBus, EventPattern: eventPattern, State: "ENABLED", ManagedBy: managedBy,
		CreatedBy: account, Created: e.clock.Now(), Targets: targets}
	if err := e.store.Update(func(tx storage.Tx) error { return rules.Put(tx, sc, rec, defaultBus, name) }); err != nil {
		return err
	}
	e.indexRule(sc, rec)
	return nil
}

func (e *Events) getRule(sc storage.Scope, bus, name string) (ruleRecord, error) {
	var r ruleRecord
	err := e.store.View(func(tx storage.Tx) error {
		if _, ok, err := getBus(tx, sc, bus); err != nil {
			return err
		} else if !ok {
			return busNotFound(bus)
		}
		var ok bool
		var err error
		r, ok, err = rules.Get(tx, sc, bus, name)
		if err == nil && !ok {
			err = ruleNotFound(name, bus)
		}
		return err
	})
	return r, err
}

func ruleShape(sc storage.Scope, r ruleRecord) eventsapi.Rule {
	out := eventsapi.Rule{Name: ptr.To(r.Name), Arn: ptr.To(ruleARN(sc, r.Bus, r.Name)), State: ptr.To(r.State), EventBusName: ptr.To(r.Bus)}
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return ptr.To(s)
	}
	out.EventPattern, out.ScheduleExpression = opt(r.EventPattern), opt(r.ScheduleExpression)
	out.Description, out.RoleArn, out.ManagedBy = opt(r.Description), opt(r.RoleArn), opt(r.ManagedBy)
	return out
}

// DescribeRule describes a rule.
func (e *Events) DescribeRule(ctx *request.Context, in *eventsapi.DescribeRuleRequest) (*eventsapi.DescribeRuleResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	r, err := e.getRule(sc, bus, ptr.Deref(in.Name))
	if err != nil {
		return nil, err
	}
	s := ruleShape(sc, r)
	return &eventsapi.DescribeRuleResponse{Name: s.Name, Arn: s.Arn, EventPattern: s.EventPattern, ScheduleExpression: s.ScheduleExpression,
		State: s.State, Description: s.Description, RoleArn: s.RoleArn, ManagedBy: s.ManagedBy, EventBusName: s.EventBusName,
		CreatedBy: ptr.To(r.CreatedBy)}, nil
}

func (e *Events) listRules(sc storage.Scope, bus string) ([]ruleRecord, error) {
	var out []ruleRecord
	err := e.store.View(func(tx storage.Tx) error {
		if _, ok, err := getBus(tx, sc, bus); err != nil {
			return err
		} else if !ok {
			return busNotFound(bus)
		}
		return rules.List(tx, sc, []string{bus}, storage.ListOptions{}, func(_ []string, r ruleRecord) bool {
			out = append(out, r)
			return true
		})
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, err
}

// ListRules lists a bus's rules.
func (e *Events) ListRules(ctx *request.Context, in *eventsapi.ListRulesRequest) (*eventsapi.ListRulesResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	all, err := e.listRules(sc, bus)
	if err != nil {
		return nil, err
	}
	prefix := ptr.Deref(in.NamePrefix)
	var filtered []ruleRecord
	for _, r := range all {
		if strings.HasPrefix(r.Name, prefix) {
			filtered = append(filtered, r)
		}
	}
	items, next := page(filtered, func(r ruleRecord) string { return r.Name }, in.NextToken, in.Limit)
	out := &eventsapi.ListRulesResponse{Rules: []eventsapi.Rule{}, NextToken: next}
	for _, r := range items {
		out.Rules = append(out.Rules, ruleShape(sc, r))
	}
	return out, nil
}

func (e *Events) setState(ctx *request.Context, busP, nameP *string, state string) error {
	sc, bus := busName(ctx, busP)
	name := ptr.Deref(nameP)
	var rec ruleRecord
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := rules.Get(tx, sc, bus, name)
		if err != nil {
			return err
		}
		if !ok {
			return ruleNotFound(name, bus)
		}
		if r.ManagedBy != "" {
			return managedErr(r)
		}
		r.State = state
		rec = r
		return rules.Put(tx, sc, r, bus, name)
	})
	if err != nil {
		return err
	}
	e.indexRule(sc, rec)
	e.armSchedule(sc, rec)
	return nil
}

// EnableRule enables a rule.
func (e *Events) EnableRule(ctx *request.Context, in *eventsapi.EnableRuleRequest) (*eventsapi.EnableRuleOutput, error) {
	if err := e.setState(ctx, in.EventBusName, in.Name, "ENABLED"); err != nil {
		return nil, err
	}
	return &eventsapi.EnableRuleOutput{}, nil
}

// DisableRule disables a rule: it stops matching and firing.
func (e *Events) DisableRule(ctx *request.Context, in *eventsapi.DisableRuleRequest) (*eventsapi.DisableRuleOutput, error) {
	if err := e.setState(ctx, in.EventBusName, in.Name, "DISABLED"); err != nil {
		return nil, err
	}
	return &eventsapi.DisableRuleOutput{}, nil
}

// DeleteRule deletes a rule that has no targets. Deleting a rule that
// does not exist succeeds, as in AWS.
func (e *Events) DeleteRule(ctx *request.Context, in *eventsapi.DeleteRuleRequest) (*eventsapi.DeleteRuleOutput, error) {
	sc, bus := busName(ctx, in.EventBusName)
	name := ptr.Deref(in.Name)
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := rules.Get(tx, sc, bus, name)
		if err != nil || !ok {
			return err
		}
		if r.ManagedBy != "" && !ptr.Deref(in.Force) {
			return managedErr(r)
		}
		if len(r.Targets) > 0 {
			return validation("Rule can't be deleted since it has targets.")
		}
		if err := rules.Delete(tx, sc, bus, name); err != nil {
			return err
		}
		return scheduled.Delete(tx, storage.Scope{}, sc.Account, sc.Region, name)
	})
	if err != nil {
		return nil, err
	}
	e.unindexRule(sc, bus, name)
	e.disarm(scheduleKey(sc, name))
	return &eventsapi.DeleteRuleOutput{}, nil
}

// ListRuleNamesByTarget lists the rules of a bus that have a target ARN.
func (e *Events) ListRuleNamesByTarget(ctx *request.Context, in *eventsapi.ListRuleNamesByTargetRequest) (*eventsapi.ListRuleNamesByTargetResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	all, err := e.listRules(sc, bus)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, r := range all {
		for _, t := range r.Targets {
			if ptr.Deref(t.Arn) == ptr.Deref(in.TargetArn) {
				names = append(names, r.Name)
				break
			}
		}
	}
	items, next := page(names, func(s string) string { return s }, in.NextToken, in.Limit)
	if items == nil {
		items = []string{}
	}
	return &eventsapi.ListRuleNamesByTargetResponse{RuleNames: items, NextToken: next}, nil
}

// ListTargetsByRule lists a rule's targets.
func (e *Events) ListTargetsByRule(ctx *request.Context, in *eventsapi.ListTargetsByRuleRequest) (*eventsapi.ListTargetsByRuleResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	r, err := e.getRule(sc, bus, ptr.Deref(in.Rule))
	if err != nil {
		return nil, err
	}
	ts := append([]eventsapi.Target(nil), r.Targets...)
	sort.SliceStable(ts, func(i, j int) bool { return ptr.Deref(ts[i].Id) < ptr.Deref(ts[j].Id) })
	items, next := page(ts, func(t eventsapi.Target) string { return ptr.Deref(t.Id) }, in.NextToken, in.Limit)
	if items == nil {
		items = []eventsapi.Target{}
	}
	return &eventsapi.ListTargetsByRuleResponse{Targets: items, NextToken: next}, nil
}

// checkTarget returns the per-target error AWS reports in FailedEntries,
// or a request error.
func checkTarget(t eventsapi.Target) (code, msg string, err error) {
	arn := ptr.Deref(t.Arn)
	if !strings.HasPrefix(arn, "arn:") || len(strings.SplitN(arn, ":", 6)) < 6 {
		return "", "", validation("Parameter %s is not valid.", arn)
	}
	if t.Input != nil && !json.Valid([]byte(*t.Input)) {
		return "", "", validation("Parameter Input is not valid.")
	}
	n := 0
	for _, set := range []bool{t.Input != nil, t.InputPath != nil, t.InputTransformer != nil} {
		if set {
			n++
		}
	}
	if n > 1 {
		return "", "", validation("Only one of Input, InputPath, or InputTransformer must be provided.")
	}
	if t.InputPath != nil {
		if _, err := parsePath(*t.InputPath); err != nil {
			return "", "", validation("Parameter InputPath is not valid.")
		}
	}
	if it := t.InputTransformer; it != nil {
		if len(it.InputPathsMap) > 100 {
			return "", "", validation("InputPathsMap can have at most 100 entries.")
		}
		for k, v := range it.InputPathsMap {
			if strings.HasPrefix(k, "aws.events.") {
				return "", "", validation("Parameter InputPathsMap is not valid: Key %s is reserved.", k)
			}
			if _, err := parsePath(v); err != nil {
				return "", "", validation("Parameter InputPathsMap is not valid: %s is not a valid JsonPath.", v)
			}
		}
	}
	if ibusService(arn) == "sqs" && strings.HasSuffix(arn, ".fifo") && (t.SqsParameters == nil || t.SqsParameters.MessageGroupId == nil) {
		return "", "", validation("Parameter(s) SqsParameters must be specified for target: %s.", ptr.Deref(t.Id))
	}
	return "", "", nil
}

// PutTargets adds or replaces targets of a rule.
func (e *Events) PutTargets(ctx *request.Context, in *eventsapi.PutTargetsRequest) (*eventsapi.PutTargetsResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	name := ptr.Deref(in.Rule)
	out := &eventsapi.PutTargetsResponse{FailedEntries: []eventsapi.PutTargetsResultEntry{}}
	var accepted []eventsapi.Target
	for _, t := range in.Targets {
		code, msg, err := checkTarget(t)
		if err != nil {
			return nil, err
		}
		if code != "" {
			out.FailedEntries = append(out.FailedEntries, eventsapi.PutTargetsResultEntry{TargetId: t.Id, ErrorCode: ptr.To(code), ErrorMessage: ptr.To(msg)})
			continue
		}
		accepted = append(accepted, t)
	}
	var rec ruleRecord
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := rules.Get(tx, sc, bus, name)
		if err != nil {
			return err
		}
		if !ok {
			return ruleNotFound(name, bus)
		}
		if r.ManagedBy != "" {
			return managedErr(r)
		}
		for _, t := range accepted {
			replaced := false
			for i := range r.Targets {
				if ptr.Deref(r.Targets[i].Id) == ptr.Deref(t.Id) {
					r.Targets[i], replaced = t, true
				}
			}
			if !replaced {
				r.Targets = append(r.Targets, t)
			}
		}
		if len(r.Targets) > maxTargetsPerRule {
			return eventsapi.ErrLimitExceededException.New("The requested resource exceeds the maximum number allowed.")
		}
		rec = r
		return rules.Put(tx, sc, r, bus, name)
	})
	if err != nil {
		return nil, err
	}
	e.indexRule(sc, rec)
	out.FailedEntryCount = ptr.To(int32(len(out.FailedEntries)))
	return out, nil
}

// RemoveTargets removes targets by id; ids that are not targets are
// reported in FailedEntries.
func (e *Events) RemoveTargets(ctx *request.Context, in *eventsapi.RemoveTargetsRequest) (*eventsapi.RemoveTargetsResponse, error) {
	sc, bus := busName(ctx, in.EventBusName)
	name := ptr.Deref(in.Rule)
	out := &eventsapi.RemoveTargetsResponse{FailedEntries: []eventsapi.RemoveTargetsResultEntry{}}
	var rec ruleRecord
	err := e.store.Update(func(tx storage.Tx) error {
		r, ok, err := rules.Get(tx, sc, bus, name)
		if err != nil {
			return err
		}
		if !ok {
			return ruleNotFound(name, bus)
		}
		if r.ManagedBy != "" && !ptr.Deref(in.Force) {
			return managedErr(r)
		}
		for _, id := range in.Ids {
			found := false
			kept := r.Targets[:0]
			for _, t := range r.Targets {
				if ptr.Deref(t.Id) == id {
					found = true
					continue
				}
				kept = append(kept, t)
			}
			r.Targets = kept
			if !found {
				out.FailedEntries = append(out.FailedEntries, eventsapi.RemoveTargetsResultEntry{TargetId: ptr.To(id),
					ErrorCode: ptr.To("ResourceNotFoundException"), ErrorMessage: ptr.To("Target " + id + " does not exist on Rule " + name + ".")})
			}
		}
		rec = r
		return rules.Put(tx, sc, r, bus, name)
	})
	if err != nil {
		return nil, err
	}
	e.indexRule(sc, rec)
	out.FailedEntryCount = ptr.To(int32(len(out.FailedEntries)))
	return out, nil
}

// TestEventPattern matches an event against a pattern with the matcher
// rules use.
func (e *Events) TestEventPattern(ctx *request.Context, in *eventsapi.TestEventPatternRequest) (*eventsapi.TestEventPatternResponse, error) {
	p, err := compilePattern(ptr.Deref(in.EventPattern))
	if err != nil {
		return nil, err
	}
	var ev map[string]json.RawMessage
	if json.Unmarshal([]byte(ptr.Deref(in.Event)), &ev) != nil {
		return nil, validation("Parameter Event is not valid.")
	}
	for _, f := range []string{"id", "account", "source", "time", "region", "detail-type"} {
		var s string
		if json.Unmarshal(ev[f], &s) != nil {
			return nil, validation("Parameter Event is not valid.")
		}
	}
	return &eventsapi.TestEventPatternResponse{Result: ptr.To(p.Match([]byte(ptr.Deref(in.Event))))}, nil
}

// Pattern index cache.

// busKey names one bus's pattern index: a comparable struct, so that a
// lookup (asked for every mutating call, EventBridge's wants) builds no
// string.
type busKey struct {
	sc  storage.Scope
	bus string
}

func indexKey(sc storage.Scope, bus string) busKey { return busKey{sc, bus} }

// index returns the bus's index, building it from the stored rules on
// first use.
func (e *Events) index(sc storage.Scope, bus string) (*pattern.Index, error) {
	e.imu.Lock()
	defer e.imu.Unlock()
	if x := e.indexes[indexKey(sc, bus)]; x != nil {
		return x, nil
	}
	x := pattern.NewIndex()
	err := e.store.View(func(tx storage.Tx) error {
		return rules.List(tx, sc, []string{bus}, storage.ListOptions{}, func(_ []string, r ruleRecord) bool {
			if r.State == "ENABLED" && r.EventPattern != "" {
				if p, err := pattern.Compile(r.EventPattern); err == nil {
					x.Put(r.Name, p)
				}
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	e.indexes[indexKey(sc, bus)] = x
	return x, nil
}

// indexRule brings a loaded index up to date with a rule; an index not
// loaded yet will read the rule from the store.
func (e *Events) indexRule(sc storage.Scope, r ruleRecord) {
	e.imu.Lock()
	x := e.indexes[indexKey(sc, r.Bus)]
	e.imu.Unlock()
	if x == nil {
		return
	}
	if r.State != "ENABLED" || r.EventPattern == "" {
		x.Remove(r.Name)
		return
	}
	if p, err := pattern.Compile(r.EventPattern); err == nil {
		x.Put(r.Name, p)
	}
}

func (e *Events) unindexRule(sc storage.Scope, bus, name string) {
	e.imu.Lock()
	x := e.indexes[indexKey(sc, bus)]
	e.imu.Unlock()
	if x != nil {
		x.Remove(name)
	}
}

func (e *Events) dropIndex(sc storage.Scope, bus string) {
	e.imu.Lock()
	delete(e.indexes, indexKey(sc, bus))
	e.imu.Unlock()
}
