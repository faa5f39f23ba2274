package apigatewayv2

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// Access logs: a stage with AccessLogSettings writes one line per call
// to its log group, in the stage's format with $context variables filled
// ("-" for what a call does not have), to the stream <apiId>_<stage>.

var contextVar = lazyre.New(`\$(?:\{context\.([A-Za-z0-9_.]+)\}|context\.([A-Za-z0-9_.]+))`)

// accessLogLine renders the format for a call.
func (c *call) accessLogLine(format string) string {
	return contextVar.ReplaceAllStringFunc(format, func(m string) string {
		sub := contextVar.FindStringSubmatch(m)
		name := sub[1]
		if name == "" {
			name = sub[2]
		}
		name = strings.TrimSuffix(name, ".")
		if v := c.contextValue(name); v != "" {
			return v
		}
		return "-"
	})
}

// accessLog writes the call's line when its stage logs.
func (s *APIGatewayV2) accessLog(c *call) {
	l := c.stage.AccessLogSettings
	if s.logs == nil || l == nil || ptr.Deref(l.Format) == "" {
		return
	}
	// arn:aws:logs:<region>:<account>:log-group:<name>[:*]
	p := strings.SplitN(strings.TrimSuffix(ptr.Deref(l.DestinationArn), ":*"), ":", 7)
	if len(p) != 7 || p[5] != "log-group" {
		return
	}
	line := c.accessLogLine(ptr.Deref(l.Format))
	stream := c.apiID + "_" + c.stageName()
	if err := s.logs.AppendLogEvents(p[4], p[3], p[6], stream, []LogLine{{Time: c.now, Message: line}}); err != nil {
		s.log.Warn("apigatewayv2: writing an access log line failed", "log_group", p[6], "error", err)
	}
}
