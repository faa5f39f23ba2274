package logs

import (
	"strconv"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are CloudWatch Logs' CloudFormation resource types.
func (l *Logs) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the log group name; Fn::GetAtt Arn.
		"AWS::Logs::LogGroup": {Read: l.cfnReadLogGroup, Create: l.cfnCreateLogGroup, Update: l.cfnUpdateLogGroup, Delete: l.cfnDeleteLogGroup,
			Replace: []string{"LogGroupName", "LogGroupClass", "KmsKeyId"}, Tags: true},
		// Ref is the stream name.
		"AWS::Logs::LogStream": {Create: l.cfnCreateLogStream, Delete: l.cfnDeleteLogStream},
	}
}

func logGroupResult(ctx *request.Context, name string) kit.ResourceResult {
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{
		"Arn": "arn:aws:logs:" + ctx.Region + ":" + ctx.Account + ":log-group:" + name + ":*"}}
}

func (l *Logs) cfnRetention(ctx *request.Context, name string, props map[string]any) error {
	s := kit.PropStr(props, "RetentionInDays")
	if s == "" {
		_, err := l.DeleteRetentionPolicy(ctx, &logsapi.DeleteRetentionPolicyInput{LogGroupName: &name})
		return err
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return logsapi.ErrInvalidParameterException.New("Invalid RetentionInDays %s", s)
	}
	days := int32(n)
	_, err = l.PutRetentionPolicy(ctx, &logsapi.PutRetentionPolicyInput{LogGroupName: &name, RetentionInDays: &days})
	return err
}

func (l *Logs) cfnCreateLogGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("LogGroupName")
	if name == "" {
		name = kit.PhysicalName(r, 512)
	}
	in := &logsapi.CreateLogGroupInput{LogGroupName: &name}
	if k := r.Str("KmsKeyId"); k != "" {
		in.KmsKeyId = &k
	}
	if c := r.Str("LogGroupClass"); c != "" {
		in.LogGroupClass = &c
	}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		in.Tags = tags
	}
	if _, err := l.CreateLogGroup(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if kit.Has(r.Properties, "RetentionInDays") {
		if err := l.cfnRetention(ctx, name, r.Properties); err != nil {
			_, _ = l.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupInput{LogGroupName: &name})
			return kit.ResourceResult{}, err
		}
	}
	return logGroupResult(ctx, name), nil
}

func (l *Logs) cfnUpdateLogGroup(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if kit.PropStr(r.Properties, "RetentionInDays") != kit.PropStr(r.OldProperties, "RetentionInDays") {
		if err := l.cfnRetention(ctx, r.PhysicalID, r.Properties); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return logGroupResult(ctx, r.PhysicalID), nil
}

func (l *Logs) cfnDeleteLogGroup(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteLogGroup(ctx, &logsapi.DeleteLogGroupInput{LogGroupName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnCreateLogStream(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	group, name := r.Str("LogGroupName"), r.Str("LogStreamName")
	if name == "" {
		name = kit.PhysicalName(r, 512)
	}
	if _, err := l.CreateLogStream(ctx, &logsapi.CreateLogStreamInput{LogGroupName: &group, LogStreamName: &name}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteLogStream(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("LogGroupName")
	_, err := l.DeleteLogStream(ctx, &logsapi.DeleteLogStreamInput{LogGroupName: &group, LogStreamName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnReadLogGroup reads a log group's retention and key back for drift
// detection.
func (l *Logs) cfnReadLogGroup(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	name := r.PhysicalID
	out, err := l.DescribeLogGroups(ctx, &logsapi.DescribeLogGroupsRequest{LogGroupNamePrefix: &name})
	if err != nil {
		return nil, err
	}
	for _, g := range out.LogGroups {
		if g.LogGroupName == nil || *g.LogGroupName != name {
			continue
		}
		live := map[string]any{"LogGroupName": name, "RetentionInDays": nil, "KmsKeyId": nil}
		if g.RetentionInDays != nil {
			live["RetentionInDays"] = float64(*g.RetentionInDays)
		}
		if g.KmsKeyId != nil && *g.KmsKeyId != "" {
			live["KmsKeyId"] = *g.KmsKeyId
		}
		if g.LogGroupClass != nil {
			live["LogGroupClass"] = *g.LogGroupClass
		}
		return live, nil
	}
	return nil, kit.ErrResourceGone
}
