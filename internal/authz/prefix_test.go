package authz

import "testing"

// TestPrefix: services whose IAM prefix is not their niwa name.
func TestPrefix(t *testing.T) {
	for svc, want := range map[string]string{"dynamodbstreams": "dynamodb", "sesv2": "ses", "ses": "ses", "s3": "s3"} {
		if got := Prefix(svc); got != want {
			t.Errorf("Prefix(%q) = %q, want %q", svc, got, want)
		}
	}
}
