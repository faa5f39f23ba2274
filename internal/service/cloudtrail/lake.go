package cloudtrail

import (
	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// CloudTrail Lake (event data stores, queries, channels, imports) is not
// implemented: its SQL runs over its own managed store. Trails delivered
// to S3 and queried with Athena are how niwa answers SQL over events.
func lakeNotImplemented(op string) error {
	return awserr.NotImplemented.New("niwa does not implement CloudTrail.%s: CloudTrail Lake event data stores are not part of niwa; "+
		"deliver a trail to S3 and query it with Athena instead (docs/cloudtrail.md)", op)
}

// CreateEventDataStore is not implemented (CloudTrail Lake).
func (c *CloudTrail) CreateEventDataStore(*request.Context, *cloudtrailapi.CreateEventDataStoreInput) (*cloudtrailapi.CreateEventDataStoreOutput, error) {
	return nil, lakeNotImplemented("CreateEventDataStore")
}

// ListEventDataStores lists none: niwa has no event data stores.
func (c *CloudTrail) ListEventDataStores(*request.Context, *cloudtrailapi.ListEventDataStoresInput) (*cloudtrailapi.ListEventDataStoresOutput, error) {
	return &cloudtrailapi.ListEventDataStoresOutput{EventDataStores: []cloudtrailapi.EventDataStore{}}, nil
}

// StartQuery is not implemented (CloudTrail Lake).
func (c *CloudTrail) StartQuery(*request.Context, *cloudtrailapi.StartQueryInput) (*cloudtrailapi.StartQueryOutput, error) {
	return nil, lakeNotImplemented("StartQuery")
}
