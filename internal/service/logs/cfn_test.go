package logs

import (
	"strings"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
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
	// Tags change in place.
	gu := kit.ResourceRequest{LogicalID: "G", PhysicalID: g.PhysicalID,
		OldProperties: map[string]any{"LogGroupName": "/app", "RetentionInDays": 7, "Tags": []any{map[string]any{"Key": "a", "Value": "1"}}},
		Properties:    map[string]any{"LogGroupName": "/app", "RetentionInDays": 7, "Tags": []any{map[string]any{"Key": "b", "Value": "2"}}}}
	if _, err := l.TagLogGroup(ctx, &logsapi.TagLogGroupRequest{LogGroupName: ptrS("/app"), Tags: map[string]string{"a": "1"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::Logs::LogGroup"].Update(ctx, gu); err != nil {
		t.Fatal(err)
	}
	if tags, err := l.ListTagsLogGroup(ctx, &logsapi.ListTagsLogGroupRequest{LogGroupName: ptrS("/app")}); err != nil || len(tags.Tags) != 1 || tags.Tags["b"] != "2" {
		t.Fatalf("tags after update %+v %v", tags, err)
	}
}

func ptrS(s string) *string { return ptr.To(s) }

// TestCloudFormationDestinationQueryAndPolicies: AWS::Logs::Destination
// (with its access policy), QueryDefinition (Ref is the id, kept on
// update) and AccountPolicy (Ref <account>|<type>|<name>) made, updated
// in place and deleted (a second delete tolerated).
func TestCloudFormationDestinationQueryAndPolicies(t *testing.T) {
	l, ctx, _ := newLogs(t)
	p := l.cfnResources()
	kin, role := "arn:aws:kinesis:us-east-1:000000000000:stream/s", "arn:aws:iam::000000000000:role/cwl"
	access := func(acct string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"AWS": acct}, "Action": "logs:PutSubscriptionFilter", "Resource": "*"}}}
	}
	dr := kit.ResourceRequest{LogicalID: "Dest", StackName: "stk", Properties: map[string]any{"TargetArn": kin, "RoleArn": role,
		"DestinationPolicy": access("111111111111")}}
	d, err := p["AWS::Logs::Destination"].Create(ctx, dr)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(d.PhysicalID, "stk-Dest-") || d.Attributes["Arn"] != "arn:aws:logs:us-east-1:000000000000:destination:"+d.PhysicalID {
		t.Fatalf("destination %+v", d)
	}
	dr.PhysicalID, dr.OldProperties = d.PhysicalID, dr.Properties
	dr.Properties = map[string]any{"TargetArn": kin, "RoleArn": role, "DestinationPolicy": access("222222222222")}
	if _, err := p["AWS::Logs::Destination"].Update(ctx, dr); err != nil {
		t.Fatal(err)
	}
	ds, err := l.DescribeDestinations(ctx, &logsapi.DescribeDestinationsRequest{DestinationNamePrefix: &d.PhysicalID})
	if err != nil || len(ds.Destinations) != 1 || !strings.Contains(ptr.Deref(ds.Destinations[0].AccessPolicy), "222222222222") {
		t.Fatalf("destination after update %+v %v", ds, err)
	}

	qr := kit.ResourceRequest{LogicalID: "Q", Properties: map[string]any{"Name": "errors", "QueryString": "filter level = 'error'",
		"LogGroupNames": []any{"/app"}}}
	q, err := p["AWS::Logs::QueryDefinition"].Create(ctx, qr)
	if err != nil || q.PhysicalID == "" || q.Attributes["QueryDefinitionId"] != q.PhysicalID {
		t.Fatalf("query %+v %v", q, err)
	}
	qr.PhysicalID, qr.OldProperties = q.PhysicalID, qr.Properties
	qr.Properties = map[string]any{"Name": "errors", "QueryString": "fields @message"}
	if u, err := p["AWS::Logs::QueryDefinition"].Update(ctx, qr); err != nil || u.PhysicalID != q.PhysicalID {
		t.Fatalf("query update %+v %v", u, err)
	}
	qs, err := l.DescribeQueryDefinitions(ctx, &logsapi.DescribeQueryDefinitionsRequest{})
	if err != nil || len(qs.QueryDefinitions) != 1 || *qs.QueryDefinitions[0].QueryString != "fields @message" {
		t.Fatalf("queries %+v %v", qs, err)
	}
	if _, err := p["AWS::Logs::QueryDefinition"].Create(ctx, kit.ResourceRequest{LogicalID: "Bad",
		Properties: map[string]any{"Name": "bad", "QueryString": "nonsense here"}}); !logsapi.ErrMalformedQueryException.Is(err) {
		t.Fatalf("a malformed query: %v", err)
	}

	doc := func(name string) map[string]any {
		return map[string]any{"Name": name, "Version": "2021-06-01", "Statement": []any{}}
	}
	ar := kit.ResourceRequest{LogicalID: "AP", Properties: map[string]any{"PolicyName": "p", "PolicyType": "DATA_PROTECTION_POLICY",
		"PolicyDocument": doc("one")}}
	a, err := p["AWS::Logs::AccountPolicy"].Create(ctx, ar)
	if err != nil || a.PhysicalID != "000000000000|DATA_PROTECTION_POLICY|p" || a.Attributes["AccountId"] != "000000000000" {
		t.Fatalf("account policy %+v %v", a, err)
	}
	ar.PhysicalID, ar.OldProperties = a.PhysicalID, ar.Properties
	ar.Properties = map[string]any{"PolicyName": "p", "PolicyType": "DATA_PROTECTION_POLICY", "PolicyDocument": doc("two")}
	if _, err := p["AWS::Logs::AccountPolicy"].Update(ctx, ar); err != nil {
		t.Fatal(err)
	}
	typ := "DATA_PROTECTION_POLICY"
	aps, err := l.DescribeAccountPolicies(ctx, &logsapi.DescribeAccountPoliciesRequest{PolicyType: &typ})
	if err != nil || len(aps.AccountPolicies) != 1 || !strings.Contains(*aps.AccountPolicies[0].PolicyDocument, "two") {
		t.Fatalf("account policies %+v %v", aps, err)
	}

	for i := 0; i < 2; i++ {
		for typ, r := range map[string]kit.ResourceRequest{"AWS::Logs::Destination": dr, "AWS::Logs::QueryDefinition": qr, "AWS::Logs::AccountPolicy": ar} {
			if err := p[typ].Delete(ctx, r); err != nil {
				t.Fatalf("delete %s (%d): %v", typ, i, err)
			}
		}
	}
	if ds, _ := l.DescribeDestinations(ctx, &logsapi.DescribeDestinationsRequest{}); len(ds.Destinations) != 0 {
		t.Fatalf("destinations after delete %+v", ds)
	}
	if qs, _ := l.DescribeQueryDefinitions(ctx, &logsapi.DescribeQueryDefinitionsRequest{}); len(qs.QueryDefinitions) != 0 {
		t.Fatalf("queries after delete %+v", qs)
	}
	if aps, _ := l.DescribeAccountPolicies(ctx, &logsapi.DescribeAccountPoliciesRequest{PolicyType: &typ}); len(aps.AccountPolicies) != 0 {
		t.Fatalf("account policies after delete %+v", aps)
	}
}

// TestCloudFormationDeliveriesAndAnomalyDetector: a delivery source,
// destination (with its policy) and the delivery between them, their
// attributes as AWS documents them; an anomaly detector updated in place;
// all deleted, dependents first, as CloudFormation orders them.
func TestCloudFormationDeliveriesAndAnomalyDetector(t *testing.T) {
	l, ctx, _ := newLogs(t)
	p := l.cfnResources()
	src, err := p["AWS::Logs::DeliverySource"].Create(ctx, kit.ResourceRequest{LogicalID: "Src", Properties: map[string]any{"Name": "cf",
		"ResourceArn": "arn:aws:cloudfront::000000000000:distribution/E1", "LogType": "ACCESS_LOGS"}})
	if err != nil || src.PhysicalID != "cf" || src.Attributes["Arn"] != "arn:aws:logs:us-east-1:000000000000:delivery-source:cf" ||
		src.Attributes["Service"] != "cloudfront" || len(src.Attributes["ResourceArns"].([]any)) != 1 {
		t.Fatalf("source %+v %v", src, err)
	}
	policy := func(acct string) map[string]any {
		return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
			"Principal": map[string]any{"AWS": acct}, "Action": "logs:CreateDelivery", "Resource": "*"}}}
	}
	dd := kit.ResourceRequest{LogicalID: "Dst", Properties: map[string]any{"Name": "bucket", "OutputFormat": "json",
		"DestinationResourceArn": "arn:aws:s3:::logs-bucket", "DeliveryDestinationPolicy": policy("111111111111")}}
	dst, err := p["AWS::Logs::DeliveryDestination"].Create(ctx, dd)
	if err != nil || dst.Attributes["DeliveryDestinationType"] != "S3" || dst.Attributes["Arn"] != "arn:aws:logs:us-east-1:000000000000:delivery-destination:bucket" {
		t.Fatalf("destination %+v %v", dst, err)
	}
	dd.PhysicalID, dd.OldProperties = dst.PhysicalID, dd.Properties
	dd.Properties = map[string]any{"Name": "bucket", "OutputFormat": "json", "DestinationResourceArn": "arn:aws:s3:::logs-bucket",
		"DeliveryDestinationPolicy": map[string]any{"DeliveryDestinationName": "bucket", "DeliveryDestinationPolicy": policy("222222222222")}}
	if _, err := p["AWS::Logs::DeliveryDestination"].Update(ctx, dd); err != nil {
		t.Fatal(err)
	}
	pol, err := l.GetDeliveryDestinationPolicy(ctx, &logsapi.GetDeliveryDestinationPolicyRequest{DeliveryDestinationName: ptr.To("bucket")})
	if err != nil || !strings.Contains(ptr.Deref(pol.Policy.DeliveryDestinationPolicy), "222222222222") {
		t.Fatalf("policy after update %+v %v", pol, err)
	}
	del := kit.ResourceRequest{LogicalID: "Del", Properties: map[string]any{"DeliverySourceName": "cf", "DeliveryDestinationArn": dst.Attributes["Arn"]}}
	dv, err := p["AWS::Logs::Delivery"].Create(ctx, del)
	if err != nil || dv.Attributes["DeliveryId"] != dv.PhysicalID || dv.Attributes["DeliveryDestinationType"] != "S3" ||
		dv.Attributes["Arn"] != "arn:aws:logs:us-east-1:000000000000:delivery:"+dv.PhysicalID {
		t.Fatalf("delivery %+v %v", dv, err)
	}
	del.PhysicalID = dv.PhysicalID
	if _, err := l.GetDelivery(ctx, &logsapi.GetDeliveryRequest{Id: &dv.PhysicalID}); err != nil {
		t.Fatal(err)
	}
	// A change of Tags only keeps the delivery (a second one between the
	// same source and destination would be refused).
	up := del
	up.OldProperties, up.Properties = del.Properties, map[string]any{"DeliverySourceName": "cf", "DeliveryDestinationArn": dst.Attributes["Arn"],
		"Tags": []any{map[string]any{"Key": "k", "Value": "v"}}}
	if u, err := p["AWS::Logs::Delivery"].Update(ctx, up); err != nil || u.PhysicalID != dv.PhysicalID || u.Attributes["Arn"] != dv.Attributes["Arn"] {
		t.Fatalf("delivery update %+v %v", u, err)
	}

	mustGroup(t, l, ctx, "/an")
	ad := kit.ResourceRequest{LogicalID: "AD", Properties: map[string]any{"DetectorName": "d", "EvaluationFrequency": "FIVE_MIN",
		"LogGroupArnList": []any{"arn:aws:logs:us-east-1:000000000000:log-group:/an"}}}
	a, err := p["AWS::Logs::LogAnomalyDetector"].Create(ctx, ad)
	if err != nil || !strings.HasPrefix(a.PhysicalID, "arn:aws:logs:us-east-1:000000000000:anomaly-detector:") ||
		a.Attributes["AnomalyDetectorArn"] != a.PhysicalID || a.Attributes["AnomalyDetectorStatus"] == nil || a.Attributes["CreationTimeStamp"] == nil {
		t.Fatalf("detector %+v %v", a, err)
	}
	ad.PhysicalID, ad.OldProperties = a.PhysicalID, ad.Properties
	ad.Properties = map[string]any{"DetectorName": "d", "EvaluationFrequency": "ONE_HOUR", "LogGroupArnList": ad.OldProperties["LogGroupArnList"]}
	if _, err := p["AWS::Logs::LogAnomalyDetector"].Update(ctx, ad); err != nil {
		t.Fatal(err)
	}
	g, err := l.GetLogAnomalyDetector(ctx, &logsapi.GetLogAnomalyDetectorRequest{AnomalyDetectorArn: &a.PhysicalID})
	if err != nil || *g.EvaluationFrequency != "ONE_HOUR" {
		t.Fatalf("detector after update %+v %v", g, err)
	}

	for i := 0; i < 2; i++ {
		for _, c := range []struct {
			typ string
			r   kit.ResourceRequest
		}{{"AWS::Logs::Delivery", del}, {"AWS::Logs::DeliverySource", kit.ResourceRequest{PhysicalID: "cf"}}, {"AWS::Logs::DeliveryDestination", dd},
			{"AWS::Logs::LogAnomalyDetector", ad}} {
			if err := p[c.typ].Delete(ctx, c.r); err != nil {
				t.Fatalf("delete %s (%d): %v", c.typ, i, err)
			}
		}
	}
	if _, err := l.GetDeliverySource(ctx, &logsapi.GetDeliverySourceRequest{Name: ptr.To("cf")}); !logsapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("source after delete: %v", err)
	}
	if _, err := l.GetLogAnomalyDetector(ctx, &logsapi.GetLogAnomalyDetectorRequest{AnomalyDetectorArn: &a.PhysicalID}); !logsapi.ErrResourceNotFoundException.Is(err) {
		t.Fatalf("detector after delete: %v", err)
	}
}
