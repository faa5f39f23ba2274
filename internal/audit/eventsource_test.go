package audit

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/model"
)

// TestEventSource: the endpoint prefix's last label, with SES's "email"
// recorded as ses.
func TestEventSource(t *testing.T) {
	for prefix, want := range map[string]string{"streams.dynamodb": "dynamodb.amazonaws.com", "email": "ses.amazonaws.com", "s3": "s3.amazonaws.com"} {
		if got := EventSource(model.Metadata{EndpointPrefix: prefix}); got != want {
			t.Errorf("EventSource(%q) = %q, want %q", prefix, got, want)
		}
	}
}
