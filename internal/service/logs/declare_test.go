package logs

import (
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/kit/kittest"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: log calls are checked on the group (":*", which
// covers its streams) or the stream named.
func TestResourceARNs(t *testing.T) {
	const group = "arn:aws:logs:us-east-1:123456789012:log-group:g"
	kittest.Resources(t, kit.Authz{Resources: resources}, "logs", []kittest.Case{
		{Op: "CreateLogGroup", In: &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("g")}, Resource: group + ":*"},
		{Op: "PutLogEvents", In: &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("g"), LogStreamName: ptr.To("s")}, Resource: group + ":log-stream:s"},
		{Op: "GetLogEvents", In: &logsapi.GetLogEventsRequest{LogGroupIdentifier: ptr.To(group), LogStreamName: ptr.To("s")}, Resource: group},
		{Op: "DescribeLogGroups", In: &logsapi.DescribeLogGroupsRequest{}, Resource: "*"},
	})
}
