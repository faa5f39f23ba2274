package events

import (
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
