package audit

import (
	"testing"

	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
)

// TestEventSource: the endpoint prefix's last label, unless the service
// declares its own (SES answers at "email" and records as ses).
func TestEventSource(t *testing.T) {
	for _, c := range []struct {
		prefix, declared, want string
	}{
		{"streams.dynamodb", "", "dynamodb.amazonaws.com"},
		{"s3", "", "s3.amazonaws.com"},
		{"email", "ses", "ses.amazonaws.com"},
		{"email", "", "email.amazonaws.com"},
	} {
		if got := EventSource(model.Metadata{EndpointPrefix: c.prefix}, kit.Audit{EventSource: c.declared}); got != c.want {
			t.Errorf("EventSource(%q, %q) = %q, want %q", c.prefix, c.declared, got, c.want)
		}
	}
}
