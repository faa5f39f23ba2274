package events

import (
	"encoding/json"
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
		"AWS::Events::Rule": {Read: e.cfnReadRule, Create: e.cfnPutRule, Update: e.cfnPutRule, Delete: e.cfnDeleteRule,
			Replace: []string{"Name", "EventBusName"}},
		// Ref is the bus name; Fn::GetAtt Arn, Name.
		"AWS::Events::EventBus": {Create: e.cfnCreateBus, Update: e.cfnUpdateBus, Delete: e.cfnDeleteBus,
			Replace: []string{"Name", "EventSourceName"}, Tags: true},
		// Ref is the archive name; Fn::GetAtt Arn.
		"AWS::Events::Archive": {Read: e.cfnReadArchive, Create: e.cfnCreateArchive, Update: e.cfnUpdateArchive, Delete: e.cfnDeleteArchive,
			Replace: []string{"ArchiveName", "SourceArn"}},
		// Ref is the connection name; Fn::GetAtt Arn, SecretArn.
		"AWS::Events::Connection": {Read: e.cfnReadConnection, Create: e.cfnCreateConnection, Update: e.cfnUpdateConnection, Delete: e.cfnDeleteConnection,
			Replace: []string{"Name"}},
		// Ref is the API destination name; Fn::GetAtt Arn, ArnForPolicy.
		"AWS::Events::ApiDestination": {Read: e.cfnReadApiDestination, Create: e.cfnCreateApiDestination, Update: e.cfnUpdateApiDestination,
			Delete: e.cfnDeleteApiDestination, Replace: []string{"Name"}},
		// Ref is the statement id.
		"AWS::Events::EventBusPolicy": {Create: e.cfnPutBusPolicy, Update: e.cfnPutBusPolicy, Delete: e.cfnDeleteBusPolicy,
			Replace: []string{"EventBusName", "StatementId"}},
		// Ref is the endpoint name; Fn::GetAtt Arn, EndpointId,
		// EndpointUrl, State, StateReason.
		"AWS::Events::Endpoint": {Create: e.cfnCreateEndpoint, Update: e.cfnUpdateEndpoint, Delete: e.cfnDeleteEndpoint,
			Replace: []string{"Name"}},
	}
}

// cfnDecode decodes the properties into out, JSON-valued members given
// as text first (kit.DecodeProperties).
func cfnDecode(r kit.ResourceRequest, out any, jsonText ...string) error {
	return kit.DecodeProperties(r, out, jsonText...)
}

// cfnName is the resource's name (kit.ResourceName).
func cfnName(r kit.ResourceRequest, prop string, max int) string {
	return kit.ResourceName(r, prop, max)
}

func (e *Events) cfnCreateArchive(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.CreateArchiveRequest
	if err := cfnDecode(r, &in, "EventPattern"); err != nil {
		return kit.ResourceResult{}, err
	}
	name, src := cfnName(r, "ArchiveName", 48), r.Str("SourceArn")
	in.ArchiveName, in.EventSourceArn = &name, &src
	out, err := e.CreateArchive(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.ArchiveArn}}, nil
}

func (e *Events) cfnUpdateArchive(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.UpdateArchiveRequest
	if err := cfnDecode(r, &in, "EventPattern"); err != nil {
		return kit.ResourceResult{}, err
	}
	in.ArchiveName = &r.PhysicalID
	if in.Description == nil {
		in.Description = new(string)
	}
	if in.RetentionDays == nil {
		in.RetentionDays = new(int32) // 0: kept indefinitely
	}
	out, err := e.UpdateArchive(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Arn": *out.ArchiveArn}}, nil
}

func (e *Events) cfnDeleteArchive(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := e.DeleteArchive(ctx, &eventsapi.DeleteArchiveRequest{ArchiveName: &r.PhysicalID})
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (e *Events) cfnConnectionResult(ctx *request.Context, name string) (kit.ResourceResult, error) {
	d, err := e.DescribeConnection(ctx, &eventsapi.DescribeConnectionRequest{Name: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": deref(d.ConnectionArn), "SecretArn": deref(d.SecretArn),
		"ArnForPolicy": arnForPolicy(deref(d.ConnectionArn))}}, nil
}

// arnForPolicy is an ARN without the id AWS appends to connections' and
// API destinations' names (what IAM policies name them by).
func arnForPolicy(arn string) string {
	if i := strings.LastIndex(arn, "/"); i > strings.Index(arn, "/") {
		return arn[:i]
	}
	return arn
}

func (e *Events) cfnCreateConnection(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.CreateConnectionRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	name := cfnName(r, "Name", 64)
	in.Name = &name
	if _, err := e.CreateConnection(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return e.cfnConnectionResult(ctx, name)
}

func (e *Events) cfnUpdateConnection(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.UpdateConnectionRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = &r.PhysicalID
	if _, err := e.UpdateConnection(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return e.cfnConnectionResult(ctx, r.PhysicalID)
}

func (e *Events) cfnDeleteConnection(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := e.DeleteConnection(ctx, &eventsapi.DeleteConnectionRequest{Name: &r.PhysicalID})
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func apiDestinationResult(name, arn string) kit.ResourceResult {
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": arn, "ArnForPolicy": arnForPolicy(arn)}}
}

func (e *Events) cfnCreateApiDestination(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.CreateApiDestinationRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	name := cfnName(r, "Name", 64)
	in.Name = &name
	out, err := e.CreateApiDestination(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return apiDestinationResult(name, *out.ApiDestinationArn), nil
}

func (e *Events) cfnUpdateApiDestination(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.UpdateApiDestinationRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = &r.PhysicalID
	out, err := e.UpdateApiDestination(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return apiDestinationResult(r.PhysicalID, *out.ApiDestinationArn), nil
}

func (e *Events) cfnDeleteApiDestination(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := e.DeleteApiDestination(ctx, &eventsapi.DeleteApiDestinationRequest{Name: &r.PhysicalID})
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnPutBusPolicy adds the statement to the bus's policy: Statement (an
// IAM statement, given the Sid StatementId) merged into the policy, or
// the older Action, Principal and Condition as PutPermission takes them.
func (e *Events) cfnPutBusPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	sid := r.Str("StatementId")
	var bus *string
	if b := r.Str("EventBusName"); b != "" {
		bus = &b
	}
	st := kit.PropMap(r.Properties, "Statement")
	if st == nil {
		in := &eventsapi.PutPermissionRequest{EventBusName: bus, StatementId: &sid}
		if err := cfnDecode(kit.ResourceRequest{LogicalID: r.LogicalID, Properties: map[string]any{
			"Action": r.Properties["Action"], "Principal": r.Properties["Principal"], "Condition": r.Properties["Condition"]}}, in); err != nil {
			return kit.ResourceResult{}, err
		}
		if r.PhysicalID != "" {
			_, _ = e.RemovePermission(ctx, &eventsapi.RemovePermissionRequest{EventBusName: bus, StatementId: &sid})
		}
		if _, err := e.PutPermission(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
		return kit.ResourceResult{PhysicalID: sid}, nil
	}
	if sid == "" {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [StatementId] not found", r.LogicalID)
	}
	d, err := e.DescribeEventBus(ctx, &eventsapi.DescribeEventBusRequest{Name: bus})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	doc := map[string]any{"Version": "2012-10-17"}
	if d.Policy != nil && *d.Policy != "" {
		if err := json.Unmarshal([]byte(*d.Policy), &doc); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	var kept []any
	old, _ := doc["Statement"].([]any)
	for _, s := range old {
		if m, ok := s.(map[string]any); !ok || kit.PropStr(m, "Sid") != sid {
			kept = append(kept, s)
		}
	}
	stmt := make(map[string]any, len(st)+1)
	for k, v := range st {
		stmt[k] = v
	}
	stmt["Sid"] = sid
	doc["Statement"] = append(kept, stmt)
	b, err := json.Marshal(doc)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	policy := string(b)
	if _, err := e.PutPermission(ctx, &eventsapi.PutPermissionRequest{EventBusName: bus, Policy: &policy}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: sid}, nil
}

func (e *Events) cfnDeleteBusPolicy(ctx *request.Context, r kit.ResourceRequest) error {
	in := &eventsapi.RemovePermissionRequest{StatementId: &r.PhysicalID}
	if b := r.Str("EventBusName"); b != "" {
		in.EventBusName = &b
	}
	_, err := e.RemovePermission(ctx, in)
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (e *Events) cfnEndpointResult(ctx *request.Context, name string) (kit.ResourceResult, error) {
	d, err := e.DescribeEndpoint(ctx, &eventsapi.DescribeEndpointRequest{Name: &name})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": deref(d.Arn), "EndpointId": deref(d.EndpointId),
		"EndpointUrl": deref(d.EndpointUrl), "State": deref(d.State), "StateReason": deref(d.StateReason)}}, nil
}

func (e *Events) cfnCreateEndpoint(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.CreateEndpointRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	name := cfnName(r, "Name", 64)
	in.Name = &name
	if _, err := e.CreateEndpoint(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return e.cfnEndpointResult(ctx, name)
}

func (e *Events) cfnUpdateEndpoint(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in eventsapi.UpdateEndpointRequest
	if err := cfnDecode(r, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = &r.PhysicalID
	if _, err := e.UpdateEndpoint(ctx, &in); err != nil {
		return kit.ResourceResult{}, err
	}
	return e.cfnEndpointResult(ctx, r.PhysicalID)
}

func (e *Events) cfnDeleteEndpoint(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := e.DeleteEndpoint(ctx, &eventsapi.DeleteEndpointRequest{Name: &r.PhysicalID})
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
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
	in := &eventsapi.CreateEventBusInput{}
	if err := cfnDecode(kit.ResourceRequest{LogicalID: r.LogicalID, Properties: map[string]any{"Description": r.Properties["Description"],
		"KmsKeyIdentifier": r.Properties["KmsKeyIdentifier"], "DeadLetterConfig": r.Properties["DeadLetterConfig"]}}, in); err != nil {
		return kit.ResourceResult{}, err
	}
	in.Name = &name
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
	if p := kit.PropJSON(r.Properties, "Policy"); p != "" {
		if _, err := e.PutPermission(ctx, &eventsapi.PutPermissionRequest{EventBusName: &name, Policy: &p}); err != nil {
			_, _ = e.DeleteEventBus(ctx, &eventsapi.DeleteEventBusInput{Name: &name})
			return kit.ResourceResult{}, err
		}
	}
	return busResult(name, *out.EventBusArn, r.Properties), nil
}

func busResult(name, arn string, props map[string]any) kit.ResourceResult {
	attrs := map[string]any{"Arn": arn, "Name": name}
	if p := kit.PropJSON(props, "Policy"); p != "" {
		attrs["Policy"] = p
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: attrs}
}

// cfnUpdateBus changes the bus in place: UpdateEventBus (a property
// removed from the template is cleared), its policy and its tags.
func (e *Events) cfnUpdateBus(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	desc, key := r.Str("Description"), r.Str("KmsKeyIdentifier")
	in := &eventsapi.UpdateEventBusRequest{Name: &name, Description: &desc, KmsKeyIdentifier: &key,
		DeadLetterConfig: &eventsapi.DeadLetterConfig{Arn: new(string)}}
	if err := kit.DecodeProp(r.Properties, "DeadLetterConfig", in.DeadLetterConfig); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/DeadLetterConfig: %v", r.LogicalID, err)
	}
	out, err := e.UpdateEventBus(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if p, old := kit.PropJSON(r.Properties, "Policy"), kit.PropJSON(r.OldProperties, "Policy"); p != old {
		if p != "" {
			_, err = e.PutPermission(ctx, &eventsapi.PutPermissionRequest{EventBusName: &name, Policy: &p})
		} else {
			all := true
			_, err = e.RemovePermission(ctx, &eventsapi.RemovePermissionRequest{EventBusName: &name, RemoveAllPermissions: &all})
		}
		if err != nil {
			return kit.ResourceResult{}, err
		}
	}
	tags, old := kit.PropTags(r.Properties), kit.PropTags(r.OldProperties)
	var gone []string
	for k := range old {
		if _, ok := tags[k]; !ok {
			gone = append(gone, k)
		}
	}
	if len(gone) > 0 {
		if _, err := e.UntagResource(ctx, &eventsapi.UntagResourceRequest{ResourceARN: out.Arn, TagKeys: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	var set []eventsapi.Tag
	for k, v := range tags {
		if ov, ok := old[k]; !ok || ov != v {
			key, val := k, v
			set = append(set, eventsapi.Tag{Key: &key, Value: &val})
		}
	}
	if len(set) > 0 {
		if _, err := e.TagResource(ctx, &eventsapi.TagResourceRequest{ResourceARN: out.Arn, Tags: set}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return busResult(name, *out.Arn, r.Properties), nil
}

func (e *Events) cfnDeleteBus(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := e.DeleteEventBus(ctx, &eventsapi.DeleteEventBusInput{Name: &r.PhysicalID})
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}
