package server_test

import (
	"context"
	"encoding/xml"
	"net/url"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatch"
	cwtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatch/types"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"

	"github.com/niwa-cloud/niwa/niwatest"
)

// driftStack holds one resource of each type whose drift niwa reads back
// through its service's Describe/Get call.
const driftStack = `
Resources:
  Policy:
    Type: AWS::CloudFront::CachePolicy
    Properties:
      CachePolicyConfig:
        Name: drift-cache
        DefaultTTL: 60
        MaxTTL: 600
        MinTTL: 0
        ParametersInCacheKeyAndForwardedToOrigin:
          EnableAcceptEncodingGzip: true
          CookiesConfig: {CookieBehavior: none}
          HeadersConfig: {HeaderBehavior: whitelist, Headers: [Origin]}
          QueryStringsConfig: {QueryStringBehavior: none}
  Oac:
    Type: AWS::CloudFront::OriginAccessControl
    Properties:
      OriginAccessControlConfig: {Name: drift-oac, OriginAccessControlOriginType: s3, SigningBehavior: always, SigningProtocol: sigv4}
  Ips:
    Type: AWS::WAFv2::IPSet
    Properties: {Scope: REGIONAL, IPAddressVersion: IPV4, Addresses: [192.0.2.0/24, 10.0.0.0/8], Description: blocked}
  Patterns:
    Type: AWS::WAFv2::RegexPatternSet
    Properties: {Scope: REGIONAL, RegularExpressionList: ["^/admin", "^/debug"]}
  Group:
    Type: AWS::WAFv2::RuleGroup
    Properties:
      Scope: REGIONAL
      Capacity: 50
      VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: group}
      Rules:
        - Name: paths
          Priority: 1
          Action: {Block: {}}
          VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: paths}
          Statement:
            RegexPatternSetReferenceStatement:
              Arn: !GetAtt Patterns.Arn
              FieldToMatch: {UriPath: {}}
              TextTransformations: [{Priority: 0, Type: NONE}]
        - Name: agent
          Priority: 2
          Action: {Count: {}}
          VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: agent}
          Statement:
            ByteMatchStatement:
              SearchString: badbot
              FieldToMatch: {SingleHeader: {Name: user-agent}}
              PositionalConstraint: CONTAINS
              TextTransformations: [{Priority: 0, Type: LOWERCASE}]
  Acl:
    Type: AWS::WAFv2::WebACL
    Properties:
      Scope: REGIONAL
      DefaultAction: {Allow: {}}
      VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: acl}
      Rules:
        - Name: group
          Priority: 0
          OverrideAction: {None: {}}
          VisibilityConfig: {SampledRequestsEnabled: false, CloudWatchMetricsEnabled: false, MetricName: grp}
          Statement:
            RuleGroupReferenceStatement: {Arn: !GetAtt Group.Arn}
  Check:
    Type: AWS::Route53::HealthCheck
    Properties:
      HealthCheckConfig: {Type: HTTP, IPAddress: 192.0.2.10, Port: "80", ResourcePath: /health}
      HealthCheckTags: [{Key: team, Value: web}]
  Rule:
    Type: AWS::Events::Rule
    Properties:
      ScheduleExpression: rate(1 hour)
      State: ENABLED
      Targets:
        - {Id: q, Arn: !Sub "arn:aws:sqs:${AWS::Region}:${AWS::AccountId}:drift-q", Input: '{"a":1}'}
  Key:
    Type: AWS::KMS::Key
    Properties:
      Description: drift key
      Enabled: true
      EnableKeyRotation: true
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - {Sid: root, Effect: Allow, Principal: {AWS: !Sub "arn:aws:iam::${AWS::AccountId}:root"}, Action: "kms:*", Resource: "*"}
      Tags: [{Key: team, Value: sec}]
  Archive:
    Type: AWS::Events::Archive
    Properties:
      SourceArn: !Sub "arn:aws:events:${AWS::Region}:${AWS::AccountId}:event-bus/default"
      EventPattern: {source: [app]}
      RetentionDays: 7
  Conn:
    Type: AWS::Events::Connection
    Properties:
      AuthorizationType: API_KEY
      Description: hook
      AuthParameters: {ApiKeyAuthParameters: {ApiKeyName: x-key, ApiKeyValue: secret}}
  Dest:
    Type: AWS::Events::ApiDestination
    Properties:
      ConnectionArn: !GetAtt Conn.Arn
      InvocationEndpoint: https://example.com/hook
      HttpMethod: POST
      InvocationRateLimitPerSecond: 10
  Cpu:
    Type: AWS::CloudWatch::Alarm
    Properties: {Namespace: App, MetricName: CPU, Statistic: Average, Period: 60, EvaluationPeriods: 1, Threshold: 80,
      ComparisonOperator: GreaterThanThreshold, Dimensions: [{Name: Host, Value: a}], TreatMissingData: breaching}
  Composite:
    Type: AWS::CloudWatch::CompositeAlarm
    Properties:
      AlarmRule: !Sub 'ALARM("${Cpu}")'
      AlarmDescription: any
      ActionsEnabled: false
  Dash:
    Type: AWS::CloudWatch::Dashboard
    Properties:
      DashboardBody: '{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"hi"}}]}'
  Doc:
    Type: AWS::SSM::Document
    Properties:
      DocumentType: Command
      Content:
        schemaVersion: "2.2"
        description: say hi
        mainSteps:
          - {action: "aws:runShellScript", name: run, inputs: {runCommand: [echo hi]}}
`

type resourceDrift struct {
	LogicalResourceId        string
	PhysicalResourceId       string
	StackResourceDriftStatus string
	PropertyDifferences      []struct{ PropertyPath, ExpectedValue, ActualValue, DifferenceType string } `xml:"PropertyDifferences>member"`
}

// TestCloudFormationDriftNewTypes: every resource of driftStack is
// IN_SYNC after deployment (read back, not NOT_CHECKED); an alarm's
// threshold, a dashboard's body, an archive's retention, a rule's state
// and a key's state changed out of band are MODIFIED with AWS's property
// differences, the others stay IN_SYNC.
func TestCloudFormationDriftNewTypes(t *testing.T) {
	n := niwatest.Start(t)
	call := func(params url.Values) string {
		t.Helper()
		params.Set("Version", "2010-05-15")
		r := query(t, n, time.Now(), rootCreds, "cloudformation", params.Encode())
		if r.status != 200 {
			t.Fatalf("%s: %d %s", params.Get("Action"), r.status, r.body)
		}
		return r.body
	}
	drifts := func() map[string]resourceDrift {
		t.Helper()
		call(url.Values{"Action": {"DetectStackDrift"}, "StackName": {"drift"}})
		var out struct {
			Drifts []resourceDrift `xml:"DescribeStackResourceDriftsResult>StackResourceDrifts>member"`
		}
		body := call(url.Values{"Action": {"DescribeStackResourceDrifts"}, "StackName": {"drift"}})
		if err := xml.Unmarshal([]byte(body), &out); err != nil {
			t.Fatal(err)
		}
		m := map[string]resourceDrift{}
		for _, d := range out.Drifts {
			m[d.LogicalResourceId] = d
		}
		return m
	}
	call(url.Values{"Action": {"CreateStack"}, "StackName": {"drift"}, "TemplateBody": {driftStack}})
	if s, _ := settled(t, n, "drift"); s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("create: %s %s", s.StackStatus, s.StackStatusReason)
	}
	checked := []string{"Policy", "Oac", "Ips", "Patterns", "Group", "Acl", "Check", "Rule", "Key", "Archive", "Conn", "Dest", "Cpu", "Composite", "Dash", "Doc"}
	got := drifts()
	for _, l := range checked {
		if d := got[l]; d.StackResourceDriftStatus != "IN_SYNC" {
			t.Errorf("%s: %s %+v", l, d.StackResourceDriftStatus, d.PropertyDifferences)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	ctx := context.Background()
	cw := cloudwatch.NewFromConfig(n.AWSConfig())
	dash := got["Dash"].PhysicalResourceId
	if _, err := cw.PutDashboard(ctx, &cloudwatch.PutDashboardInput{DashboardName: &dash,
		DashboardBody: &[]string{`{"widgets":[{"type":"text","x":0,"y":0,"width":6,"height":3,"properties":{"markdown":"bye"}}]}`}[0]}); err != nil {
		t.Fatal(err)
	}
	eb := eventbridge.NewFromConfig(n.AWSConfig())
	archive := got["Archive"].PhysicalResourceId
	if _, err := eb.UpdateArchive(ctx, &eventbridge.UpdateArchiveInput{ArchiveName: &archive, RetentionDays: &[]int32{30}[0]}); err != nil {
		t.Fatal(err)
	}
	rule := got["Rule"].PhysicalResourceId
	if _, err := eb.DisableRule(ctx, &eventbridge.DisableRuleInput{Name: &rule}); err != nil {
		t.Fatal(err)
	}
	key := got["Key"].PhysicalResourceId
	if _, err := kms.NewFromConfig(n.AWSConfig()).DisableKey(ctx, &kms.DisableKeyInput{KeyId: &key}); err != nil {
		t.Fatal(err)
	}
	cpu := got["Cpu"].PhysicalResourceId
	if _, err := cw.PutMetricAlarm(ctx, &cloudwatch.PutMetricAlarmInput{AlarmName: &cpu, Namespace: &[]string{"App"}[0],
		MetricName: &[]string{"CPU"}[0], Statistic: "Average", Period: &[]int32{60}[0], EvaluationPeriods: &[]int32{1}[0],
		Threshold: &[]float64{90}[0], ComparisonOperator: "GreaterThanThreshold", Dimensions: []cwtypes.Dimension{{Name: &[]string{"Host"}[0], Value: &[]string{"a"}[0]}},
		TreatMissingData: &[]string{"breaching"}[0]}); err != nil {
		t.Fatal(err)
	}
	got = drifts()
	want := map[string]string{"Cpu": "/Threshold 80 90 NOT_EQUAL", "Rule": "/State ENABLED DISABLED NOT_EQUAL", "Key": "/Enabled true false NOT_EQUAL", "Dash": "/DashboardBody/widgets/0/properties/markdown hi bye NOT_EQUAL", "Archive": "/RetentionDays 7 30 NOT_EQUAL"}
	for _, l := range checked {
		d := got[l]
		w, modified := want[l]
		switch {
		case !modified && d.StackResourceDriftStatus != "IN_SYNC":
			t.Errorf("%s: %s %+v", l, d.StackResourceDriftStatus, d.PropertyDifferences)
		case modified && (d.StackResourceDriftStatus != "MODIFIED" || len(d.PropertyDifferences) != 1 ||
			d.PropertyDifferences[0].PropertyPath+" "+d.PropertyDifferences[0].ExpectedValue+" "+d.PropertyDifferences[0].ActualValue+" "+
				d.PropertyDifferences[0].DifferenceType != w):
			t.Errorf("%s: %s %+v, want MODIFIED %s", l, d.StackResourceDriftStatus, d.PropertyDifferences, w)
		}
	}
}
