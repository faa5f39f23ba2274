package logs

import (
	"strings"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is CloudWatch Logs as the platform sees it: calls are checked
// on the log group (or its stream) they name, and log group tags answer
// aws:ResourceTag.
func (s *Logs) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:       s,
		Namespace:  "logs",
		Authz:      kit.Authz{Resources: resources},
		Tags:       kit.TagLookup(s.resourceTags),
		Validation: kit.Validation{Error: constraintError},
	}
}

// constraintError: CloudWatch Logs answers model constraint violations
// of its classic operations as InvalidParameterException with the usual
// "1 validation error detected: ..." message; its delivery operations
// declare ValidationException instead, and answer it.
func constraintError(op *model.Operation, vs []model.Violation) error {
	for _, e := range op.Errors {
		if e.Shape != nil && e.Shape.Name == "InvalidParameterException" {
			return logsapi.ErrInvalidParameterException.New("%s", model.Summary(vs))
		}
	}
	return awserr.ValidationException.New("%s", model.Summary(vs))
}

func resources(op string, in kit.Input, env kit.Env) []string {
	g := in.Str("LogGroupName")
	if g == "" {
		g = in.Str("LogGroupIdentifier")
		if strings.HasPrefix(g, "arn:") {
			return []string{g}
		}
	}
	if g == "" {
		if a := in.Str("ResourceArn"); a != "" {
			return []string{a}
		}
		return nil
	}
	res := "log-group:" + g
	if s := in.Str("LogStreamName"); s != "" {
		return []string{kit.ARN("logs", env.Region, env.Account, res+":log-stream:"+s)}
	}
	return []string{kit.ARN("logs", env.Region, env.Account, res+":*")}
}

// resourceTags reads a log group's tags through ListTagsLogGroup.
func (s *Logs) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, res, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	group, ok := strings.CutPrefix(res, "log-group:")
	if !ok {
		return nil, false, nil
	}
	if i := strings.Index(group, ":log-stream:"); i >= 0 {
		group = group[:i]
	}
	group = strings.TrimSuffix(group, ":*")
	out, err := s.ListTagsLogGroup(c, &logsapi.ListTagsLogGroupRequest{LogGroupName: &group})
	if err != nil {
		return kit.NotFound(err)
	}
	return out.Tags, true, nil
}
