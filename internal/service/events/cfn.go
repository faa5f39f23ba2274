package events

import (
	"strings"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are EventBridge's CloudFormation resource types.
func (e *Events) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the rule name (<bus>|<name> on another bus than the
		// default); Fn::GetAtt Arn.
		"AWS::Events::Rule": {Create: e.cfnPutRule, Update: e.cfnPutRule, Delete: e.cfnDeleteRule,
			Replace: []string{"Name", "EventBusName"}},
		// Ref is the bus name; Fn::GetAtt Arn, Name.
		"AWS::Events::EventBus": {Create: e.cfnCreateBus, Delete: e.cfnDeleteBus, Replace: []string{"Name", "EventSourceName"}, Tags: true},
	}
}

func (e *Events) cfnPutRule(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if r.PhysicalID != "" {
		name = r.PhysicalID[strings.LastIndex(r.PhysicalID, "|")+1:]
	}
	if name == "" {
		name = kit.PhysicalName(r, 64)
	}
	bus := r.Str("EventBusName")
	in := &eventsapi.PutRuleInput{Name: &name}
	if bus != "" {
		in.EventBusName = &bus
	}
	for _, p := range []struct {
		name string
		out  **string
	}{{"ScheduleExpression", &in.ScheduleExpression}, {"State", &in.State}, {"Description", &in.Description}, {"RoleArn", &in.RoleArn}} {
		if v := r.Str(p.name); v != "" {
			*p.out = &v
		}
	}
	if in.State == nil {
		enabled := "ENABLED"
		in.State = &enabled
	}
	if p := kit.PropJSON(r.Properties, "EventPattern"); p != "" {
		in.EventPattern = &p
	}
	if r.PhysicalID == "" {
		for k, v := range kit.PropTags(r.Properties) {
			key, val := k, v
			in.Tags = append(in.Tags, eventsapi.Tag{Key: &key, Value: &val})
		}
	}
	out, err := e.PutRule(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	var targets []eventsapi.Target
	if err := kit.DecodeProp(r.Properties, "Targets", &targets); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/Targets: %v", r.LogicalID, err)
	}
	keep := map[string]bool{}
	for _, t := range targets {
		if t.Id != nil {
			keep[*t.Id] = true
		}
	}
	var gone []string
	if old, ok := r.OldProperties["Targets"].([]any); ok {
		for _, t := range old {
			if m, ok := t.(map[string]any); ok && !keep[kit.PropStr(m, "Id")] {
				gone = append(gone, kit.PropStr(m, "Id"))
			}
		}
	}
	if len(gone) > 0 {
		rm := &eventsapi.RemoveTargetsInput{Rule: &name, Ids: gone}
		if bus != "" {
			rm.EventBusName = &bus
		}
		if _, err := e.RemoveTargets(ctx, rm); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(targets) > 0 {
		pt := &eventsapi.PutTargetsInput{Rule: &name, Targets: targets}
		if bus != "" {
			pt.EventBusName = &bus
		}
		res, err := e.PutTargets(ctx, pt)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		if res.FailedEntryCount != nil && *res.FailedEntryCount > 0 && len(res.FailedEntries) > 0 {
			f := res.FailedEntries[0]
			return kit.ResourceResult{}, awserr.ValidationError.New("%s: %s", deref(f.ErrorCode), deref(f.ErrorMessage))
		}
	}
	id := name
	if bus != "" && bus != "default" {
		id = bus + "|" + name
	}
	return kit.ResourceResult{PhysicalID: id, Ref: name, Attributes: map[string]any{"Arn": *out.RuleArn}}, nil
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (e *Events) cfnDeleteRule(ctx *request.Context, r kit.ResourceRequest) error {
	name := r.PhysicalID[strings.LastIndex(r.PhysicalID, "|")+1:]
	bus := r.Str("EventBusName")
	list := &eventsapi.ListTargetsByRuleInput{Rule: &name}
	if bus != "" {
		list.EventBusName = &bus
	}
	ts, err := e.ListTargetsByRule(ctx, list)
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var ids []string
	for _, t := range ts.Targets {
		ids = append(ids, *t.Id)
	}
	if len(ids) > 0 {
		rm := &eventsapi.RemoveTargetsInput{Rule: &name, Ids: ids}
		if bus != "" {
			rm.EventBusName = &bus
		}
		if _, err := e.RemoveTargets(ctx, rm); err != nil {
			return err
		}
	}
	del := &eventsapi.DeleteRuleInput{Name: &name}
	if bus != "" {
		del.EventBusName = &bus
	}
	_, err = e.DeleteRule(ctx, del)
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (e *Events) cfnCreateBus(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	in := &eventsapi.CreateEventBusInput{Name: &name}
	if s := r.Str("EventSourceName"); s != "" {
		in.EventSourceName = &s
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, eventsapi.Tag{Key: &key, Value: &val})
	}
	out, err := e.CreateEventBus(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.EventBusArn, "Name": name}}, nil
}

func (e *Events) cfnDeleteBus(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := e.DeleteEventBus(ctx, &eventsapi.DeleteEventBusInput{Name: &r.PhysicalID})
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}
