package logs

import (
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestResourceARNs: log calls are checked on the group (":*", which
// covers its streams) or the stream named.
func TestResourceARNs(t *testing.T) {
	env := kit.Env{Account: "123456789012", Region: "us-east-1"}
	const group = "arn:aws:logs:us-east-1:123456789012:log-group:g"
	rules := kit.Authz{Resources: resources}
	for _, tc := range []struct {
		op   string
		in   any
		want string
	}{
		{"CreateLogGroup", &logsapi.CreateLogGroupRequest{LogGroupName: ptr.To("g")}, group + ":*"},
		{"PutLogEvents", &logsapi.PutLogEventsRequest{LogGroupName: ptr.To("g"), LogStreamName: ptr.To("s")}, group + ":log-stream:s"},
		{"GetLogEvents", &logsapi.GetLogEventsRequest{LogGroupIdentifier: ptr.To(group), LogStreamName: ptr.To("s")}, group},
		{"DescribeLogGroups", &logsapi.DescribeLogGroupsRequest{}, "*"},
	} {
		if got := rules.Checks("logs", tc.op, tc.in, env)[0].Resource; got != tc.want {
			t.Errorf("%s: %s, want %s", tc.op, got, tc.want)
		}
	}
}
