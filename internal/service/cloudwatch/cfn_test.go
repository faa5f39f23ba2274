package cloudwatch

import (
	"strings"
	"testing"

	cwapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationCompositeAlarmAndDashboard: a composite alarm over a
// metric alarm, its rule and tags updated in place, Arn; a dashboard
// whose body may be given as an object; both deleted (twice).
func TestCloudFormationCompositeAlarmAndDashboard(t *testing.T) {
	f := newFixture(t)
	ctx, p := f.h.Ctx(), f.c.cfnResources()
	if _, err := p["AWS::CloudWatch::Alarm"].Create(ctx, kit.ResourceRequest{LogicalID: "A", Properties: map[string]any{"AlarmName": "cpu",
		"Namespace": "App", "MetricName": "CPU", "Statistic": "Average", "Period": 60, "EvaluationPeriods": 1, "Threshold": 80,
		"ComparisonOperator": "GreaterThanThreshold"}}); err != nil {
		t.Fatal(err)
	}
	ca := kit.ResourceRequest{LogicalID: "Comp", StackName: "stk", Properties: map[string]any{"AlarmRule": `ALARM("cpu")`,
		"AlarmDescription": "one", "Tags": []any{map[string]any{"Key": "team", "Value": "a"}}}}
	res, err := p["AWS::CloudWatch::CompositeAlarm"].Create(ctx, ca)
	if err != nil {
		t.Fatal(err)
	}
	arn := "arn:aws:cloudwatch:" + ctx.Region + ":" + ctx.Account + ":alarm:" + res.PhysicalID
	if !strings.HasPrefix(res.PhysicalID, "stk-Comp-") || res.Attributes["Arn"] != arn {
		t.Fatalf("composite %+v", res)
	}
	ca.PhysicalID, ca.OldProperties = res.PhysicalID, ca.Properties
	ca.Properties = map[string]any{"AlarmRule": `ALARM("cpu") OR FALSE`, "AlarmDescription": "two", "Tags": []any{map[string]any{"Key": "env", "Value": "dev"}}}
	if _, err := p["AWS::CloudWatch::CompositeAlarm"].Update(ctx, ca); err != nil {
		t.Fatal(err)
	}
	out, err := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{AlarmNames: []string{res.PhysicalID}, AlarmTypes: []string{"CompositeAlarm"}})
	if err != nil || len(out.CompositeAlarms) != 1 || *out.CompositeAlarms[0].AlarmRule != `ALARM("cpu") OR FALSE` || *out.CompositeAlarms[0].AlarmDescription != "two" {
		t.Fatalf("after update %+v %v", out, err)
	}
	tags, err := f.c.ListTagsForResource(ctx, &cwapi.ListTagsForResourceInput{ResourceARN: &arn})
	if err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("tags after update %+v %v", tags, err)
	}

	db := kit.ResourceRequest{LogicalID: "Dash", Properties: map[string]any{"DashboardName": "ops",
		"DashboardBody": map[string]any{"widgets": []any{map[string]any{"type": "text", "x": 0, "y": 0, "width": 6, "height": 3,
			"properties": map[string]any{"markdown": "hello"}}}}}}
	d, err := p["AWS::CloudWatch::Dashboard"].Create(ctx, db)
	if err != nil || d.PhysicalID != "ops" {
		t.Fatalf("dashboard %+v %v", d, err)
	}
	db.PhysicalID, db.OldProperties = d.PhysicalID, db.Properties
	db.Properties = map[string]any{"DashboardName": "ops", "DashboardBody": `{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"bye"}}]}`}
	if _, err := p["AWS::CloudWatch::Dashboard"].Update(ctx, db); err != nil {
		t.Fatal(err)
	}
	if g, err := f.c.GetDashboard(ctx, &cwapi.GetDashboardInput{DashboardName: ptr.To("ops")}); err != nil || !strings.Contains(*g.DashboardBody, "bye") {
		t.Fatalf("dashboard after update %+v %v", g, err)
	}
	if _, err := p["AWS::CloudWatch::Dashboard"].Create(ctx, kit.ResourceRequest{LogicalID: "Bad", Properties: map[string]any{"DashboardBody": "{"}}); err == nil {
		t.Fatal("a dashboard body that is not JSON was accepted")
	}
	for i := 0; i < 2; i++ {
		if err := p["AWS::CloudWatch::Dashboard"].Delete(ctx, db); err != nil {
			t.Fatalf("dashboard delete %d: %v", i, err)
		}
		if err := p["AWS::CloudWatch::CompositeAlarm"].Delete(ctx, ca); err != nil {
			t.Fatalf("composite delete %d: %v", i, err)
		}
	}
	if _, err := f.c.GetDashboard(ctx, &cwapi.GetDashboardInput{DashboardName: ptr.To("ops")}); !cwapi.ErrDashboardNotFoundError.Is(err) {
		t.Fatalf("dashboard after delete: %v", err)
	}
	if out, _ := f.c.DescribeAlarms(ctx, &cwapi.DescribeAlarmsInput{AlarmNames: []string{res.PhysicalID}, AlarmTypes: []string{"CompositeAlarm"}}); len(out.CompositeAlarms) != 0 {
		t.Fatalf("composite after delete %+v", out)
	}
}

// TestCloudFormationAnomalyDetectorAndInsightRule: an anomaly detector
// (Configuration updated in place, deleted by its metric), and a
// Contributor Insights rule whose Ref is its ARN, its state and tags
// updated in place.
func TestCloudFormationAnomalyDetectorAndInsightRule(t *testing.T) {
	f := newFixture(t)
	ctx, p := f.h.Ctx(), f.c.cfnResources()
	ad := kit.ResourceRequest{LogicalID: "AD", StackName: "stk", Properties: map[string]any{"SingleMetricAnomalyDetector": map[string]any{
		"Namespace": "App", "MetricName": "Latency", "Stat": "Average", "Dimensions": []any{map[string]any{"Name": "svc", "Value": "api"}}}}}
	res, err := p["AWS::CloudWatch::AnomalyDetector"].Create(ctx, ad)
	if err != nil || res.Attributes["Id"] != res.PhysicalID || res.PhysicalID == "" {
		t.Fatalf("detector %+v %v", res, err)
	}
	ad.PhysicalID, ad.OldProperties = res.PhysicalID, ad.Properties
	ad.Properties = map[string]any{"SingleMetricAnomalyDetector": ad.OldProperties["SingleMetricAnomalyDetector"],
		"Configuration": map[string]any{"MetricTimeZone": "Asia/Tokyo"}}
	if _, err := p["AWS::CloudWatch::AnomalyDetector"].Update(ctx, ad); err != nil {
		t.Fatal(err)
	}
	ds, err := f.c.DescribeAnomalyDetectors(ctx, &cwapi.DescribeAnomalyDetectorsInput{Namespace: ptr.To("App")})
	if err != nil || len(ds.AnomalyDetectors) != 1 || ds.AnomalyDetectors[0].Configuration == nil ||
		ptr.Deref(ds.AnomalyDetectors[0].Configuration.MetricTimezone) != "Asia/Tokyo" {
		t.Fatalf("detectors %+v %v", ds, err)
	}
	for i := 0; i < 2; i++ {
		if err := p["AWS::CloudWatch::AnomalyDetector"].Delete(ctx, ad); err != nil {
			t.Fatalf("detector delete %d: %v", i, err)
		}
	}
	if ds, _ := f.c.DescribeAnomalyDetectors(ctx, &cwapi.DescribeAnomalyDetectorsInput{Namespace: ptr.To("App")}); len(ds.AnomalyDetectors) != 0 {
		t.Fatalf("after delete %+v", ds)
	}

	body := map[string]any{"Schema": map[string]any{"Name": "CloudWatchLogRule", "Version": 1}, "LogGroupNames": []any{"/app"},
		"LogFormat": "JSON", "Contribution": map[string]any{"Keys": []any{"$.ip"}}, "AggregateOn": "Count"}
	ir := kit.ResourceRequest{LogicalID: "IR", Properties: map[string]any{"RuleName": "top-ips", "RuleBody": body, "RuleState": "ENABLED",
		"Tags": []any{map[string]any{"Key": "k", "Value": "v"}}}}
	r, err := p["AWS::CloudWatch::InsightRule"].Create(ctx, ir)
	arn := "arn:aws:cloudwatch:" + ctx.Region + ":" + ctx.Account + ":insight-rule/top-ips"
	if err != nil || r.PhysicalID != "top-ips" || r.Ref != arn || r.Attributes["Arn"] != arn || r.Attributes["RuleName"] != "top-ips" {
		t.Fatalf("insight rule %+v %v", r, err)
	}
	ir.PhysicalID, ir.OldProperties = r.PhysicalID, ir.Properties
	ir.Properties = map[string]any{"RuleName": "top-ips", "RuleBody": body, "RuleState": "DISABLED",
		"Tags": []any{map[string]any{"Key": "k", "Value": "w"}}}
	if _, err := p["AWS::CloudWatch::InsightRule"].Update(ctx, ir); err != nil {
		t.Fatal(err)
	}
	rules, err := f.c.DescribeInsightRules(ctx, &cwapi.DescribeInsightRulesInput{})
	if err != nil || len(rules.InsightRules) != 1 || *rules.InsightRules[0].State != "DISABLED" {
		t.Fatalf("rules %+v %v", rules, err)
	}
	if tags, err := f.c.ListTagsForResource(ctx, &cwapi.ListTagsForResourceInput{ResourceARN: &arn}); err != nil || len(tags.Tags) != 1 || *tags.Tags[0].Value != "w" {
		t.Fatalf("tags %+v %v", tags, err)
	}
	for i := 0; i < 2; i++ {
		if err := p["AWS::CloudWatch::InsightRule"].Delete(ctx, ir); err != nil {
			t.Fatalf("rule delete %d: %v", i, err)
		}
	}
	if rules, _ := f.c.DescribeInsightRules(ctx, &cwapi.DescribeInsightRulesInput{}); len(rules.InsightRules) != 0 {
		t.Fatalf("after delete %+v", rules)
	}
}
