package request

import (
	"net/http"
	"time"
)

// Observation is one answered request, as the gateway reports it to a
// service that wants to see every request resolved to it (S3 server access
// logs). It lives here, not in the gateway, so that a service can take it
// without importing the gateway (docs/architecture.md, "Layers").
type Observation struct {
	Request *http.Request
	// HostBucket is the bucket of an S3 virtual-host-style Host.
	HostBucket string
	// Operation is "" when the request matched none.
	Operation string
	Status    int
	BytesSent int64
	// ErrorCode is the AWS error code answered, "" on success.
	ErrorCode string
	RequestID string
	HostID    string
	// Caller is the authenticated principal's ARN ("" when unsigned or
	// when authentication failed).
	Caller    string
	Anonymous bool
	Start     time.Time
	Duration  time.Duration
}
