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
		// Ref is the filter name.
		"AWS::Logs::MetricFilter": {Create: l.cfnPutMetricFilter, Update: l.cfnPutMetricFilter, Delete: l.cfnDeleteMetricFilter,
			Replace: []string{"FilterName", "LogGroupName"}},
		// Ref is the filter name.
		"AWS::Logs::SubscriptionFilter": {Create: l.cfnPutSubscriptionFilter, Update: l.cfnPutSubscriptionFilter,
			Delete: l.cfnDeleteSubscriptionFilter, Replace: []string{"FilterName", "LogGroupName"}},
		// Ref is the policy name.
		"AWS::Logs::ResourcePolicy": {Create: l.cfnPutResourcePolicy, Update: l.cfnPutResourcePolicy, Delete: l.cfnDeleteResourcePolicy,
			Replace: []string{"PolicyName"}},
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

func cfnFilterName(r kit.ResourceRequest) string {
	if r.PhysicalID != "" {
		return r.PhysicalID
	}
	if n := r.Str("FilterName"); n != "" {
		return n
	}
	return kit.PhysicalName(r, 512)
}

func cfnStrp(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (l *Logs) cfnPutMetricFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, group, pattern := cfnFilterName(r), r.Str("LogGroupName"), r.Str("FilterPattern")
	in := &logsapi.PutMetricFilterRequest{LogGroupName: &group, FilterName: &name, FilterPattern: &pattern}
	ts, _ := r.Properties["MetricTransformations"].([]any)
	for _, x := range ts {
		m, _ := x.(map[string]any)
		mt := logsapi.MetricTransformation{MetricName: cfnStrp(kit.PropStr(m, "MetricName")),
			MetricNamespace: cfnStrp(kit.PropStr(m, "MetricNamespace")), MetricValue: cfnStrp(kit.PropStr(m, "MetricValue")),
			Unit: cfnStrp(kit.PropStr(m, "Unit"))}
		if kit.Has(m, "DefaultValue") {
			f, err := strconv.ParseFloat(kit.PropStr(m, "DefaultValue"), 64)
			if err != nil {
				return kit.ResourceResult{}, logsapi.ErrInvalidParameterException.New("DefaultValue must be a number")
			}
			mt.DefaultValue = &f
		}
		if dims := kit.PropTags(map[string]any{"Tags": m["Dimensions"]}); len(dims) > 0 {
			mt.Dimensions = dims
		}
		in.MetricTransformations = append(in.MetricTransformations, mt)
	}
	if _, err := l.PutMetricFilter(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteMetricFilter(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("LogGroupName")
	_, err := l.DeleteMetricFilter(ctx, &logsapi.DeleteMetricFilterRequest{LogGroupName: &group, FilterName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutSubscriptionFilter(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, group, pattern := cfnFilterName(r), r.Str("LogGroupName"), r.Str("FilterPattern")
	if _, err := l.PutSubscriptionFilter(ctx, &logsapi.PutSubscriptionFilterRequest{LogGroupName: &group, FilterName: &name,
		FilterPattern: &pattern, DestinationArn: cfnStrp(r.Str("DestinationArn")), RoleArn: cfnStrp(r.Str("RoleArn")),
		Distribution: cfnStrp(r.Str("Distribution"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteSubscriptionFilter(ctx *request.Context, r kit.ResourceRequest) error {
	group := r.Str("LogGroupName")
	_, err := l.DeleteSubscriptionFilter(ctx, &logsapi.DeleteSubscriptionFilterRequest{LogGroupName: &group, FilterName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func (l *Logs) cfnPutResourcePolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, doc := r.Str("PolicyName"), kit.PropJSON(r.Properties, "PolicyDocument")
	if _, err := l.PutResourcePolicy(ctx, &logsapi.PutResourcePolicyRequest{PolicyName: &name, PolicyDocument: &doc}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (l *Logs) cfnDeleteResourcePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteResourcePolicy(ctx, &logsapi.DeleteResourcePolicyRequest{PolicyName: &r.PhysicalID})
	if logsapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}
