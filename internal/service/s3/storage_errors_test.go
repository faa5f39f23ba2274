package s3

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestResourcePolicyStorageFailure: a bucket policy that cannot be read is
// an error for the authorizer, not "this bucket has no policy".
func TestResourcePolicyStorageFailure(t *testing.T) {
	h := servicetest.New(t, "s3", servicetest.InAccount(testAccount), servicetest.InRegion("ap-northeast-1"))
	st := servicetest.NewFaulty(h.Store())
	s := New(st, h.Backend.Blobs(), events.New(), h.Clock, Options{LogFlushInterval: 5 * time.Second})
	boom := errors.New("disk on fire")
	st.Fail(boom)
	if _, _, found, err := s.ResourcePolicy(context.Background(), "arn:aws:s3:::b/k"); !errors.Is(err, boom) || found {
		t.Fatalf("ResourcePolicy on a failing store = found %v, err %v; want err %v", found, err, boom)
	}
}
