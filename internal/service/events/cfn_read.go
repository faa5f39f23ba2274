package events

import (
	"sort"
	"strings"

	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Drift reads: the properties CloudFormation compares with the template
// (a connection's AuthParameters are not: its secrets are not read back).

func readGone(err error) error {
	if eventsapi.ErrResourceNotFoundException.Is(err) {
		return kit.ErrResourceGone
	}
	return err
}

func (e *Events) cfnReadArchive(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := e.DescribeArchive(ctx, &eventsapi.DescribeArchiveRequest{ArchiveName: &r.PhysicalID})
	if err != nil {
		return nil, readGone(err)
	}
	return kit.ShapeProps(out, "ArchiveName", "SourceArn=EventSourceArn", "Description", "EventPattern", "RetentionDays"), nil
}

func (e *Events) cfnReadConnection(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := e.DescribeConnection(ctx, &eventsapi.DescribeConnectionRequest{Name: &r.PhysicalID})
	if err != nil {
		return nil, readGone(err)
	}
	return kit.ShapeProps(out, "Name", "Description", "AuthorizationType"), nil
}

func (e *Events) cfnReadApiDestination(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := e.DescribeApiDestination(ctx, &eventsapi.DescribeApiDestinationRequest{Name: &r.PhysicalID})
	if err != nil {
		return nil, readGone(err)
	}
	return kit.ShapeProps(out, "Name", "Description", "ConnectionArn", "InvocationEndpoint", "HttpMethod", "InvocationRateLimitPerSecond"), nil
}

func (e *Events) cfnReadRule(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name, bus := r.PhysicalID, ""
	if i := strings.LastIndex(name, "|"); i >= 0 {
		bus, name = name[:i], name[i+1:]
	}
	in := &eventsapi.DescribeRuleInput{Name: &name}
	lt := &eventsapi.ListTargetsByRuleInput{Rule: &name}
	if bus != "" {
		in.EventBusName, lt.EventBusName = &bus, &bus
	}
	out, err := e.DescribeRule(ctx, in)
	if err != nil {
		return nil, readGone(err)
	}
	live := kit.ShapeProps(out, "Name", "Description", "EventPattern", "ScheduleExpression", "State", "RoleArn")
	var targets []eventsapi.Target
	for {
		page, err := e.ListTargetsByRule(ctx, lt)
		if err != nil {
			return nil, readGone(err)
		}
		targets = append(targets, page.Targets...)
		if page.NextToken == nil || *page.NextToken == "" {
			break
		}
		lt.NextToken = page.NextToken
	}
	// In the template's order of ids, then the others by id.
	pos := map[string]int{}
	for i, t := range kit.PropList(map[string]any{"l": idsOf(r.Properties["Targets"])}, "l") {
		pos[t] = i
	}
	sort.SliceStable(targets, func(i, j int) bool {
		a, aok := pos[deref(targets[i].Id)]
		b, bok := pos[deref(targets[j].Id)]
		if aok != bok {
			return aok
		}
		if aok {
			return a < b
		}
		return deref(targets[i].Id) < deref(targets[j].Id)
	})
	live["Targets"] = kit.Project(kit.ShapeProps(map[string]any{"T": targets}, "T")["T"], r.Properties["Targets"])
	return live, nil
}

// idsOf lists the Id of each target of a template's Targets.
func idsOf(v any) []any {
	l, _ := v.([]any)
	out := make([]any, 0, len(l))
	for _, t := range l {
		m, _ := t.(map[string]any)
		out = append(out, kit.PropStr(m, "Id"))
	}
	return out
}
