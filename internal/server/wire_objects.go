package server

import (
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/service/s3"
)

// S3 is the store through which Logs export tasks and DynamoDB exports
// and imports reach buckets (internal/objects).
var _ objects.OptionsWriter = (*s3.S3)(nil)

// objectStore is S3 as an objects.Store, or nil when S3 is not wired
// (S3 is wired before the services using it; see services.go).
func (d *deps) objectStore() objects.Store {
	if d.s3 == nil {
		return nil
	}
	return d.s3
}
