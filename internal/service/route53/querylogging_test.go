package route53

import (
	"context"
	"errors"
	"fmt"
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestQueryLoggingConfigs: the log group ARN is checked (shape,
// us-east-1), the group through the bus (missing group, missing resource
// policy), one config per public zone.
func TestQueryLoggingConfigs(t *testing.T) {
	f := newFixture(t)
	bus := events.New()
	f.bus = bus
	var seen events.Message
	bus.Handle("logs", events.HandlerFunc(func(_ context.Context, m events.Message) error {
		seen = m
		switch m.TargetARN {
		case "arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/missing:*":
			return fmt.Errorf("logs: %s: %w", m.TargetARN, awserr.Code{Code: "ResourceNotFoundException", Status: 400, Sender: true}.New("The specified log group does not exist."))
		case "arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/nopolicy:*":
			return errors.New("logs: no resource policy allows route53.amazonaws.com")
		}
		return nil
	}))
	z := f.zone("example.com", nil)
	good := "arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/example.com:*"
	for _, c := range []struct{ arn, code, msg string }{
		{"not-an-arn", "InvalidInput", "The ARN for the CloudWatch Logs log group is invalid: not-an-arn"},
		{"arn:aws:logs:eu-west-1:123456789012:log-group:/aws/route53/x:*", "InvalidInput", "The CloudWatch Logs log group must be in the us-east-1 region: arn:aws:logs:eu-west-1:123456789012:log-group:/aws/route53/x:*"},
		{"arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/missing:*", "NoSuchCloudWatchLogsLogGroup", "The specified CloudWatch Logs log group doesn't exist."},
		{"arn:aws:logs:us-east-1:123456789012:log-group:/aws/route53/nopolicy:*", "InsufficientCloudWatchLogsResourcePolicy",
			"The resource policy that you're using for Route 53 query logging doesn't grant Route 53 sufficient permission to create a log stream in the specified log group."},
	} {
		_, err := f.CreateQueryLoggingConfig(f.ctx, &route53api.CreateQueryLoggingConfigInput{HostedZoneId: ptr.To(z), CloudWatchLogsLogGroupArn: ptr.To(c.arn)})
		wantErr(t, err, c.code, c.msg)
	}
	out, err := f.CreateQueryLoggingConfig(f.ctx, &route53api.CreateQueryLoggingConfigInput{HostedZoneId: ptr.To(z), CloudWatchLogsLogGroupArn: ptr.To(good)})
	if err != nil {
		t.Fatal(err)
	}
	if !seen.Validate || seen.SourceService != "route53.amazonaws.com" || seen.TargetARN != good {
		t.Fatalf("bus message %+v", seen)
	}
	_, err = f.CreateQueryLoggingConfig(f.ctx, &route53api.CreateQueryLoggingConfigInput{HostedZoneId: ptr.To(z), CloudWatchLogsLogGroupArn: ptr.To(good)})
	wantErr(t, err, "QueryLoggingConfigAlreadyExists", "A query logging configuration already exists for this hosted zone.")
	list, err := f.ListQueryLoggingConfigs(f.ctx, &route53api.ListQueryLoggingConfigsInput{HostedZoneId: ptr.To(z)})
	if err != nil || len(list.QueryLoggingConfigs) != 1 || *list.QueryLoggingConfigs[0].Id != *out.QueryLoggingConfig.Id {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := f.DeleteQueryLoggingConfig(f.ctx, &route53api.DeleteQueryLoggingConfigInput{Id: out.QueryLoggingConfig.Id}); err != nil {
		t.Fatal(err)
	}
	_, err = f.GetQueryLoggingConfig(f.ctx, &route53api.GetQueryLoggingConfigInput{Id: out.QueryLoggingConfig.Id})
	wantErr(t, err, "NoSuchQueryLoggingConfig", "There is no DNS query logging configuration with the ID "+*out.QueryLoggingConfig.Id+".")
}

// TestVPCAssociationAuthorizations: stored per private zone, listed,
// deleted once.
func TestVPCAssociationAuthorizations(t *testing.T) {
	f := newFixture(t)
	priv := f.zone("corp.internal", &route53api.VPC{VPCId: ptr.To("vpc-0a1b2c3d4e5f60718"), VPCRegion: ptr.To("us-east-1")})
	pub := f.zone("example.com", nil)
	other := &route53api.VPC{VPCId: ptr.To("vpc-0f0e0d0c0b0a09080"), VPCRegion: ptr.To("eu-west-1")}
	if _, err := f.CreateVPCAssociationAuthorization(f.ctx, &route53api.CreateVPCAssociationAuthorizationInput{HostedZoneId: ptr.To(priv), VPC: other}); err != nil {
		t.Fatal(err)
	}
	_, err := f.CreateVPCAssociationAuthorization(f.ctx, &route53api.CreateVPCAssociationAuthorizationInput{HostedZoneId: ptr.To(pub), VPC: other})
	wantErr(t, err, "InvalidInput", "The hosted zone "+bareID(pub)+" is not a private hosted zone.")
	list, err := f.ListVPCAssociationAuthorizations(f.ctx, &route53api.ListVPCAssociationAuthorizationsInput{HostedZoneId: ptr.To(priv)})
	if err != nil || len(list.VPCs) != 1 || *list.VPCs[0].VPCId != *other.VPCId || *list.VPCs[0].VPCRegion != "eu-west-1" {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := f.DeleteVPCAssociationAuthorization(f.ctx, &route53api.DeleteVPCAssociationAuthorizationInput{HostedZoneId: ptr.To(priv), VPC: other}); err != nil {
		t.Fatal(err)
	}
	_, err = f.DeleteVPCAssociationAuthorization(f.ctx, &route53api.DeleteVPCAssociationAuthorizationInput{HostedZoneId: ptr.To(priv), VPC: other})
	wantErr(t, err, "VPCAssociationAuthorizationNotFound", "The VPC: vpc-0f0e0d0c0b0a09080 was not authorized to associate with hosted zone "+bareID(priv)+".")
}
