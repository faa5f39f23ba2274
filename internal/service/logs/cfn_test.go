package logs

import (
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// TestCloudFormationFilters: a metric filter (dimensions as the
// template's [{Key, Value}]) and a resource policy made, updated and
// removed through the providers, and the log group read back for drift.
func TestCloudFormationFilters(t *testing.T) {
	l, ctx, _ := newLogs(t)
	p := l.cfnResources()
	g, err := p["AWS::Logs::LogGroup"].Create(ctx, kit.ResourceRequest{LogicalID: "G", Properties: map[string]any{
		"LogGroupName": "/app", "RetentionInDays": 7}})
	if err != nil {
		t.Fatal(err)
	}
	mf := kit.ResourceRequest{LogicalID: "Errors", StackName: "s", Properties: map[string]any{"LogGroupName": "/app",
		"FilterPattern": "ERROR", "MetricTransformations": []any{map[string]any{"MetricName": "Errors", "MetricNamespace": "App",
			"MetricValue": "1", "Dimensions": []any{map[string]any{"Key": "svc", "Value": "$.svc"}}}}}}
	f, err := p["AWS::Logs::MetricFilter"].Create(ctx, mf)
	if err != nil {
		t.Fatal(err)
	}
	out, err := l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{LogGroupName: ptrS("/app")})
	if err != nil || len(out.MetricFilters) != 1 || *out.MetricFilters[0].FilterName != f.PhysicalID ||
		out.MetricFilters[0].MetricTransformations[0].Dimensions["svc"] != "$.svc" {
		t.Fatalf("metric filters %+v %v", out, err)
	}
	mf.PhysicalID = f.PhysicalID
	mf.Properties["FilterPattern"] = "FATAL"
	if _, err := p["AWS::Logs::MetricFilter"].Update(ctx, mf); err != nil {
		t.Fatal(err)
	}
	if out, _ = l.DescribeMetricFilters(ctx, &logsapi.DescribeMetricFiltersRequest{LogGroupName: ptrS("/app")}); *out.MetricFilters[0].FilterPattern != "FATAL" {
		t.Fatalf("after update %+v", out.MetricFilters[0])
	}
	if err := p["AWS::Logs::MetricFilter"].Delete(ctx, mf); err != nil {
		t.Fatal(err)
	}
	pol := kit.ResourceRequest{LogicalID: "P", Properties: map[string]any{"PolicyName": "deliver", "PolicyDocument": map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "events.amazonaws.com"},
			"Action": "logs:PutLogEvents", "Resource": "*"}}}}}
	pr, err := p["AWS::Logs::ResourcePolicy"].Create(ctx, pol)
	if err != nil {
		t.Fatal(err)
	}
	if err := p["AWS::Logs::ResourcePolicy"].Delete(ctx, kit.ResourceRequest{PhysicalID: pr.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	live, err := p["AWS::Logs::LogGroup"].Read(ctx, kit.ResourceRequest{PhysicalID: g.PhysicalID})
	if err != nil || live["RetentionInDays"] != 7.0 {
		t.Fatalf("read back %v %v", live, err)
	}
}

func ptrS(s string) *string { return &s }
