package sns

import (
	"context"
	"testing"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
)

type nopBus struct{}

func (nopBus) Deliver(context.Context, events.Message) error { return nil }

// TestDeliverTopicPolicy: S3 and EventBridge publish to a topic only when
// the topic policy allows their service principal sns:Publish with the
// aws:SourceArn they supply; the default policy does not; an explicit
// Deny wins.
func TestDeliverTopicPolicy(t *testing.T) {
	const account = servicetest.DefaultAccount // newSNS's
	arn := "arn:aws:sns:us-east-1:" + account + ":t"
	allow := `{"Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"SNS:Publish","Resource":"` + arn + `",
		"Condition":{"ArnLike":{"aws:SourceArn":"arn:aws:s3:::in-*"}}}`
	deny := `{"Effect":"Deny","Principal":"*","Action":"sns:Publish","Resource":"` + arn + `",
		"Condition":{"ArnEquals":{"aws:SourceArn":"arn:aws:s3:::in-blocked"}}}`
	doc := func(sts string) string { return `{"Version":"2012-10-17","Statement":[` + sts + `]}` }
	s3msg := func(bucket string) events.Message {
		return events.Message{TargetARN: arn, Body: "evt", SourceService: "s3.amazonaws.com", SourceARN: "arn:aws:s3:::" + bucket, SourceAccount: account}
	}
	for _, c := range []struct {
		name   string
		policy string // "" keeps the default policy
		m      events.Message
		ok     bool
	}{
		{"allowed by matching policy", doc(allow), s3msg("in-photos"), true},
		{"default policy", "", s3msg("in-photos"), false},
		{"SourceArn does not match", doc(allow), s3msg("other"), false},
		{"explicit deny wins", doc(allow + "," + deny), s3msg("in-blocked"), false},
		{"events not named", doc(allow), events.Message{TargetARN: arn, Body: "e", SourceService: "events.amazonaws.com",
			SourceARN: "arn:aws:events:us-east-1:" + account + ":rule/r", SourceAccount: account}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, ctx := newSNS(t) // in account
			in := &snsapi.CreateTopicInput{Name: ptr.To("t")}
			if c.policy != "" {
				in.Attributes = map[string]string{"Policy": c.policy}
			}
			if _, err := s.CreateTopic(ctx, in); err != nil {
				t.Fatal(err)
			}
			v := c.m
			v.Validate = true
			for _, m := range []events.Message{v, c.m} {
				err := s.Deliver(context.Background(), m)
				if c.ok && err != nil {
					t.Fatalf("validate=%v: %v", m.Validate, err)
				}
				if !c.ok && !snsapi.ErrAuthorizationErrorException.Is(err) {
					t.Fatalf("validate=%v: got %v, want AuthorizationError", m.Validate, err)
				}
			}
		})
	}
}
