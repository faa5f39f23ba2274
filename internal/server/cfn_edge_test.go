package server_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/route53"

	"github.com/niwa-cloud/niwa/niwatest"
)

// edgeStack wires the edge services' types by Ref and Fn::GetAtt: a
// distribution using a cache policy and an origin access control, a
// failover record on a health check pointing at the distribution, a
// rule group on a regex pattern set, and ACM's account setting.
const edgeStack = `
Parameters:
  Ttl: {Type: Number, Default: 60}
  Port: {Type: Number, Default: 80}
  CheckType: {Type: String, Default: HTTP}
Resources:
  Policy:
    Type: AWS::CloudFront::CachePolicy
    Properties:
      CachePolicyConfig:
        Name: !Sub "${AWS::StackName}-cache"
        DefaultTTL: !Ref Ttl
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
      OriginAccessControlConfig: {Name: edge-oac, OriginAccessControlOriginType: s3, SigningBehavior: always, SigningProtocol: sigv4}
  Cdn:
    Type: AWS::CloudFront::Distribution
    Properties:
      DistributionConfig:
        Enabled: true
        Origins:
          - Id: s3
            DomainName: bucket.s3.us-east-1.amazonaws.com
            S3OriginConfig: {OriginAccessIdentity: ""}
            OriginAccessControlId: !GetAtt Oac.Id
        DefaultCacheBehavior: {TargetOriginId: s3, ViewerProtocolPolicy: redirect-to-https, CachePolicyId: !Ref Policy}
  Check:
    Type: AWS::Route53::HealthCheck
    Properties:
      HealthCheckConfig: {Type: !Ref CheckType, IPAddress: 192.0.2.10, Port: !Ref Port, ResourcePath: /}
  Zone:
    Type: AWS::Route53::HostedZone
    Properties: {Name: edge.example}
  Record:
    Type: AWS::Route53::RecordSet
    Properties:
      HostedZoneId: !Ref Zone
      Name: www.edge.example
      Type: CNAME
      TTL: 60
      SetIdentifier: primary
      Failover: PRIMARY
      HealthCheckId: !GetAtt Check.HealthCheckId
      ResourceRecords: [!GetAtt Cdn.DomainName]
  Patterns:
    Type: AWS::WAFv2::RegexPatternSet
    Properties: {Scope: REGIONAL, RegularExpressionList: ["^/admin"]}
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
  Account:
    Type: AWS::CertificateManager::Account
    Properties:
      ExpiryEventsConfiguration: {DaysBeforeExpiry: 20}
Outputs:
  Domain: {Value: !GetAtt Cdn.DomainName}
  PolicyModified: {Value: !GetAtt Policy.LastModifiedTime}
  GroupArn: {Value: !GetAtt Group.Arn}
  Check: {Value: !Ref Check}
  Zone: {Value: !Ref Zone}
  Acct: {Value: !GetAtt Account.AccountId}
`

// TestCloudFormationEdgeStack deploys edgeStack through the engine,
// updates it in place (the cache policy's TTL, the health check's port),
// replaces the health check (its Type), and deletes it: the distribution is disabled and deleted once deployed
// on the clock, and every other resource goes.
func TestCloudFormationEdgeStack(t *testing.T) {
	clk := niwatest.NewFakeClock(time.Now())
	n := niwatest.Start(t, niwatest.WithClock(clk))
	call := func(params url.Values) rawResponse {
		t.Helper()
		r := query(t, n, clk.Now(), rootCreds, "cloudformation", params.Encode())
		if r.status != 200 {
			t.Fatalf("%s: %d %s", params.Get("Action"), r.status, r.body)
		}
		return r
	}
	describe := func() (cfnStack, bool) { return describeStack(t, n, clk.Now(), "edge") }
	// settle waits for the stack to leave *_IN_PROGRESS, moving the clock
	// (the distribution's deployment) while it waits.
	settle := func() cfnStack {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			s, ok := describe()
			if !ok {
				return cfnStack{StackStatus: "DELETE_COMPLETE"}
			}
			if !strings.HasSuffix(s.StackStatus, "_IN_PROGRESS") {
				return s
			}
			time.Sleep(20 * time.Millisecond)
			clk.Advance(5 * time.Second)
		}
		t.Fatal("stack did not settle")
		return cfnStack{}
	}
	events := func() string {
		r := call(url.Values{"Action": {"DescribeStackEvents"}, "StackName": {"edge"}, "Version": {"2010-05-15"}})
		return r.body
	}
	call(url.Values{"Action": {"CreateStack"}, "StackName": {"edge"}, "TemplateBody": {edgeStack}, "Version": {"2010-05-15"}})
	s := settle()
	if s.StackStatus != "CREATE_COMPLETE" {
		t.Fatalf("create: %s\n%s", s.StackStatus, events())
	}
	out := map[string]string{}
	for _, o := range s.Outputs {
		out[o.OutputKey] = o.OutputValue
	}
	if !strings.Contains(out["Domain"], ".cloudfront.") || out["PolicyModified"] == "" || !strings.Contains(out["GroupArn"], ":regional/rulegroup/") ||
		out["Acct"] != niwatest.Account {
		t.Fatalf("outputs %v", out)
	}
	r53 := route53.NewFromConfig(n.AWSConfig())
	ctx := context.Background()
	sets, err := r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: &[]string{out["Zone"]}[0]})
	if err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, rs := range sets.ResourceRecordSets {
		if *rs.Name == "www.edge.example." {
			found = *rs.HealthCheckId == out["Check"] && *rs.ResourceRecords[0].Value == out["Domain"]
		}
	}
	if !found {
		t.Fatalf("record sets %+v", sets.ResourceRecordSets)
	}

	call(url.Values{"Action": {"UpdateStack"}, "StackName": {"edge"}, "UsePreviousTemplate": {"true"}, "Version": {"2010-05-15"},
		"Parameters.member.1.ParameterKey": {"Ttl"}, "Parameters.member.1.ParameterValue": {"120"},
		"Parameters.member.2.ParameterKey": {"Port"}, "Parameters.member.2.ParameterValue": {"8080"}})
	if s = settle(); s.StackStatus != "UPDATE_COMPLETE" {
		t.Fatalf("update: %s\n%s", s.StackStatus, events())
	}
	hc, err := r53.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: &[]string{out["Check"]}[0]})
	if err != nil || *hc.HealthCheck.HealthCheckConfig.Port != 8080 {
		t.Fatalf("health check after update %+v %v", hc, err)
	}
	for _, o := range s.Outputs {
		if o.OutputKey == "Check" && o.OutputValue != out["Check"] {
			t.Fatalf("the health check was replaced: %s, was %s", o.OutputValue, out["Check"])
		}
	}

	// HealthCheckConfig.Type replaces the health check: a new one, the
	// record set pointed at it, the old one deleted in cleanup.
	call(url.Values{"Action": {"UpdateStack"}, "StackName": {"edge"}, "UsePreviousTemplate": {"true"}, "Version": {"2010-05-15"},
		"Parameters.member.1.ParameterKey": {"Ttl"}, "Parameters.member.1.UsePreviousValue": {"true"},
		"Parameters.member.2.ParameterKey": {"Port"}, "Parameters.member.2.UsePreviousValue": {"true"},
		"Parameters.member.3.ParameterKey": {"CheckType"}, "Parameters.member.3.ParameterValue": {"HTTPS"}})
	if s = settle(); s.StackStatus != "UPDATE_COMPLETE" {
		t.Fatalf("replacing update: %s\n%s", s.StackStatus, events())
	}
	oldCheck := out["Check"]
	for _, o := range s.Outputs {
		out[o.OutputKey] = o.OutputValue
	}
	if out["Check"] == oldCheck {
		t.Fatalf("changing HealthCheckConfig.Type kept health check %s", oldCheck)
	}
	if hc, err = r53.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: &[]string{out["Check"]}[0]}); err != nil ||
		hc.HealthCheck.HealthCheckConfig.Type != "HTTPS" || *hc.HealthCheck.HealthCheckConfig.Port != 8080 {
		t.Fatalf("new health check %+v %v", hc, err)
	}
	if _, err := r53.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: &oldCheck}); err == nil {
		t.Fatal("the replaced health check was not deleted")
	}
	if sets, err = r53.ListResourceRecordSets(ctx, &route53.ListResourceRecordSetsInput{HostedZoneId: &[]string{out["Zone"]}[0]}); err != nil {
		t.Fatal(err)
	}
	for _, rs := range sets.ResourceRecordSets {
		if *rs.Name == "www.edge.example." && *rs.HealthCheckId != out["Check"] {
			t.Fatalf("record set still on %s, want %s", *rs.HealthCheckId, out["Check"])
		}
	}

	call(url.Values{"Action": {"DeleteStack"}, "StackName": {"edge"}, "Version": {"2010-05-15"}})
	if s = settle(); s.StackStatus != "DELETE_COMPLETE" {
		t.Fatalf("delete: %s\n%s", s.StackStatus, events())
	}
	if _, err := r53.GetHealthCheck(ctx, &route53.GetHealthCheckInput{HealthCheckId: &[]string{out["Check"]}[0]}); err == nil {
		t.Fatal("health check left after delete")
	}
}
