package sns

import (
	"errors"
	"testing"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestListSubscriptionsStorageFailure: a topic that cannot be read is a
// storage error, not NotFound.
func TestListSubscriptionsStorageFailure(t *testing.T) {
	h := servicetest.New(t, "sns")
	st := servicetest.NewFaulty(h.Store())
	s, err := New(st, h.Clock, nopBus{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, err := s.CreateTopic(h.Ctx(), &snsapi.CreateTopicInput{Name: ptr.To("t")})
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk on fire")
	st.Fail(boom)
	if _, err := s.ListSubscriptionsByTopic(h.Ctx(), &snsapi.ListSubscriptionsByTopicInput{TopicArn: out.TopicArn}); !errors.Is(err, boom) {
		t.Fatalf("ListSubscriptionsByTopic on a failing store = %v, want %v", err, boom)
	}
}
