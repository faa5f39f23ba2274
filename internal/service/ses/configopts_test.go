package ses

import (
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestConfigurationSetOptions: options set through either API read back
// through both; a paused set refuses sends (v1 and v2 codes); a pool
// must exist; a set's suppression reasons decide which suppressed
// addresses it skips.
func TestConfigurationSetOptions(t *testing.T) {
	r := newReceiving(t)
	ctx, v1, v2 := r.h.Ctx(), r.v1, NewV2(r.c)
	set := ptr.To("cs")
	if _, err := v2.CreateConfigurationSet(ctx, &sesv2api.CreateConfigurationSetRequest{ConfigurationSetName: set}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.PutConfigurationSetDeliveryOptions(ctx, &sesv2api.PutConfigurationSetDeliveryOptionsRequest{ConfigurationSetName: set, SendingPoolName: ptr.To("nope")}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal("missing pool:", err)
	}
	if _, err := v2.PutConfigurationSetDeliveryOptions(ctx, &sesv2api.PutConfigurationSetDeliveryOptionsRequest{ConfigurationSetName: set, TlsPolicy: ptr.To("REQUIRE")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.CreateConfigurationSetTrackingOptions(ctx, &sesapi.CreateConfigurationSetTrackingOptionsRequest{ConfigurationSetName: set, TrackingOptions: &sesapi.TrackingOptions{CustomRedirectDomain: ptr.To("t.example.org")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v1.CreateConfigurationSetTrackingOptions(ctx, &sesapi.CreateConfigurationSetTrackingOptionsRequest{ConfigurationSetName: set, TrackingOptions: &sesapi.TrackingOptions{}}); awserr.As(err).Code.Code != "TrackingOptionsAlreadyExistsException" {
		t.Fatal(err)
	}
	if _, err := v1.UpdateConfigurationSetReputationMetricsEnabled(ctx, &sesapi.UpdateConfigurationSetReputationMetricsEnabledRequest{ConfigurationSetName: set, Enabled: ptr.To(true)}); err != nil {
		t.Fatal(err)
	}
	d, err := v1.DescribeConfigurationSet(ctx, &sesapi.DescribeConfigurationSetRequest{ConfigurationSetName: set, ConfigurationSetAttributeNames: []string{"trackingOptions", "deliveryOptions", "reputationOptions"}})
	if err != nil || *d.TrackingOptions.CustomRedirectDomain != "t.example.org" || *d.DeliveryOptions.TlsPolicy != "Require" || !*d.ReputationOptions.ReputationMetricsEnabled || !*d.ReputationOptions.SendingEnabled {
		t.Fatalf("%+v %v", d, err)
	}
	if _, err := v2.PutConfigurationSetSuppressionOptions(ctx, &sesv2api.PutConfigurationSetSuppressionOptionsRequest{ConfigurationSetName: set, SuppressedReasons: []string{"COMPLAINT"}}); err != nil {
		t.Fatal(err)
	}
	g, err := v2.GetConfigurationSet(ctx, &sesv2api.GetConfigurationSetRequest{ConfigurationSetName: set})
	if err != nil || *g.DeliveryOptions.TlsPolicy != "REQUIRE" || *g.TrackingOptions.CustomRedirectDomain != "t.example.org" || g.SuppressionOptions.SuppressedReasons[0] != "COMPLAINT" || !*g.SendingOptions.SendingEnabled {
		t.Fatalf("%+v %v", g, err)
	}
	// The set only suppresses complaints: a bounced address is sent to.
	if _, err := v2.PutSuppressedDestination(ctx, &sesv2api.PutSuppressedDestinationRequest{EmailAddress: ptr.To("bounced@example.org"), Reason: ptr.To("BOUNCE")}); err != nil {
		t.Fatal(err)
	}
	send := func() (string, error) {
		out, err := v1.SendRawEmail(ctx, &sesapi.SendRawEmailRequest{ConfigurationSetName: set,
			RawMessage: &sesapi.RawMessage{Data: []byte("From: me@example.org\r\nTo: bounced@example.org\r\nSubject: s\r\n\r\nx\r\n")}})
		if err != nil {
			return "", err
		}
		return *out.MessageId, nil
	}
	id, err := send()
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := r.c.Outbox(id); len(m) != 1 || len(m[0].Suppressed) != 0 {
		t.Fatalf("%+v", m)
	}
	if _, err := v1.UpdateConfigurationSetSendingEnabled(ctx, &sesapi.UpdateConfigurationSetSendingEnabledRequest{ConfigurationSetName: set, Enabled: ptr.To(false)}); err != nil {
		t.Fatal(err)
	}
	if _, err := send(); awserr.As(err).Code.Code != "ConfigurationSetSendingPausedException" {
		t.Fatal(err)
	}
	_, err = v2.SendEmail(ctx, &sesv2api.SendEmailRequest{FromEmailAddress: ptr.To("me@example.org"), ConfigurationSetName: set,
		Destination: &sesv2api.Destination{ToAddresses: []string{"x@example.org"}},
		Content:     &sesv2api.EmailContent{Simple: &sesv2api.Message{Subject: &sesv2api.Content{Data: ptr.To("s")}, Body: &sesv2api.Body{Text: &sesv2api.Content{Data: ptr.To("b")}}}}})
	if awserr.As(err).Code.Code != "SendingPausedException" {
		t.Fatal(err)
	}
}

// TestDefaultsAndUpdates: an identity's default configuration set
// publishes its events when a send names none; a destination is updated
// in place (v1 refuses an unknown one); turning the account's
// suppression off delivers to a suppressed address.
func TestDefaultsAndUpdates(t *testing.T) {
	r := newReceiving(t)
	ctx, v1, v2 := r.h.Ctx(), r.v1, NewV2(r.c)
	topic := "arn:aws:sns:us-east-1:" + r.h.Account + ":events"
	if _, err := v1.CreateConfigurationSet(ctx, &sesapi.CreateConfigurationSetRequest{ConfigurationSet: &sesapi.ConfigurationSet{Name: ptr.To("d")}}); err != nil {
		t.Fatal(err)
	}
	dest := &sesapi.EventDestination{Name: ptr.To("sns"), Enabled: ptr.To(false), MatchingEventTypes: []string{"send"}, SNSDestination: &sesapi.SNSDestination{TopicARN: ptr.To(topic)}}
	if _, err := v1.CreateConfigurationSetEventDestination(ctx, &sesapi.CreateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("d"), EventDestination: dest}); err != nil {
		t.Fatal(err)
	}
	dest.Enabled = ptr.To(true)
	if _, err := v1.UpdateConfigurationSetEventDestination(ctx, &sesapi.UpdateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("d"), EventDestination: dest}); err != nil {
		t.Fatal(err)
	}
	other := *dest
	other.Name = ptr.To("nope")
	if _, err := v1.UpdateConfigurationSetEventDestination(ctx, &sesapi.UpdateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("d"), EventDestination: &other}); awserr.As(err).Code.Code != "EventDestinationDoesNotExist" {
		t.Fatal(err)
	}
	if _, err := v2.PutEmailIdentityConfigurationSetAttributes(ctx, &sesv2api.PutEmailIdentityConfigurationSetAttributesRequest{EmailIdentity: ptr.To("example.org"), ConfigurationSetName: ptr.To("missing")}); awserr.As(err).Code.Code != "NotFoundException" {
		t.Fatal(err)
	}
	if _, err := v2.PutEmailIdentityConfigurationSetAttributes(ctx, &sesv2api.PutEmailIdentityConfigurationSetAttributesRequest{EmailIdentity: ptr.To("example.org"), ConfigurationSetName: ptr.To("d")}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.PutSuppressedDestination(ctx, &sesv2api.PutSuppressedDestinationRequest{EmailAddress: ptr.To("s@example.org"), Reason: ptr.To("BOUNCE")}); err != nil {
		t.Fatal(err)
	}
	send := func() string {
		out, err := v1.SendRawEmail(ctx, &sesapi.SendRawEmailRequest{RawMessage: &sesapi.RawMessage{Data: []byte("From: me@example.org\r\nTo: s@example.org\r\nSubject: s\r\n\r\nx\r\n")}})
		if err != nil {
			t.Fatal(err)
		}
		return *out.MessageId
	}
	id := send()
	if got := r.delivered(); len(got) != 1 || got[0].TargetARN != topic {
		t.Fatalf("default set's Send event: %+v", got)
	}
	if m, _ := r.c.Outbox(id); len(m[0].Suppressed) != 1 {
		t.Fatalf("%+v", m)
	}
	if _, err := v2.PutAccountSuppressionAttributes(ctx, &sesv2api.PutAccountSuppressionAttributesRequest{SuppressedReasons: []string{}}); err != nil {
		t.Fatal(err)
	}
	if acc, _ := v2.GetAccount(ctx, &sesv2api.GetAccountRequest{}); len(acc.SuppressionAttributes.SuppressedReasons) != 0 {
		t.Fatal(acc.SuppressionAttributes)
	}
	if m, _ := r.c.Outbox(send()); len(m[0].Suppressed) != 0 {
		t.Fatalf("suppression off: %+v", m)
	}
}

// TestEventDestinationsKept: CloudWatch, Firehose and Pinpoint
// destinations receive nothing but are read back by both APIs, each in
// its own naming of dimension sources (v1 messageTag, v2 MESSAGE_TAG).
func TestEventDestinationsKept(t *testing.T) {
	h, c := newCore(t, nil)
	ctx := h.Ctx()
	v1, v2 := NewV1(c), NewV2(c)
	if _, err := v2.CreateConfigurationSet(ctx, &sesv2api.CreateConfigurationSetRequest{ConfigurationSetName: ptr.To("cs")}); err != nil {
		t.Fatal(err)
	}
	role, stream := "arn:aws:iam::"+h.Account+":role/r", "arn:aws:firehose:us-east-1:"+h.Account+":deliverystream/s"
	if _, err := v1.CreateConfigurationSetEventDestination(ctx, &sesapi.CreateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("cs"),
		EventDestination: &sesapi.EventDestination{Name: ptr.To("metrics"), Enabled: ptr.To(true), MatchingEventTypes: []string{"send"},
			CloudWatchDestination: &sesapi.CloudWatchDestination{DimensionConfigurations: []sesapi.CloudWatchDimensionConfiguration{{
				DimensionName: ptr.To("campaign"), DimensionValueSource: ptr.To("messageTag"), DefaultDimensionValue: ptr.To("none")}}},
			KinesisFirehoseDestination: &sesapi.KinesisFirehoseDestination{IAMRoleARN: &role, DeliveryStreamARN: &stream}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := v2.CreateConfigurationSetEventDestination(ctx, &sesv2api.CreateConfigurationSetEventDestinationRequest{ConfigurationSetName: ptr.To("cs"),
		EventDestinationName: ptr.To("pin"), EventDestination: &sesv2api.EventDestinationDefinition{Enabled: ptr.To(true), MatchingEventTypes: []string{"OPEN"},
			PinpointDestination: &sesv2api.PinpointDestination{ApplicationArn: ptr.To("arn:aws:mobiletargeting:us-east-1:" + h.Account + ":apps/a")}}}); err != nil {
		t.Fatal(err)
	}
	got, err := v2.GetConfigurationSetEventDestinations(ctx, &sesv2api.GetConfigurationSetEventDestinationsRequest{ConfigurationSetName: ptr.To("cs")})
	if err != nil || len(got.EventDestinations) != 2 {
		t.Fatalf("%+v %v", got, err)
	}
	m, p := got.EventDestinations[0], got.EventDestinations[1]
	if *m.Name != "metrics" || *m.CloudWatchDestination.DimensionConfigurations[0].DimensionValueSource != "MESSAGE_TAG" ||
		*m.KinesisFirehoseDestination.IamRoleArn != role || *p.PinpointDestination.ApplicationArn == "" {
		t.Fatalf("v2 %+v %+v", m, p)
	}
	d1, err := v1.DescribeConfigurationSet(ctx, &sesapi.DescribeConfigurationSetRequest{ConfigurationSetName: ptr.To("cs"),
		ConfigurationSetAttributeNames: []string{"eventDestinations"}})
	if err != nil || *d1.EventDestinations[0].CloudWatchDestination.DimensionConfigurations[0].DimensionValueSource != "messageTag" ||
		*d1.EventDestinations[0].KinesisFirehoseDestination.DeliveryStreamARN != stream {
		t.Fatalf("v1 %+v %v", d1, err)
	}
}
