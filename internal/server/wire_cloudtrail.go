package server

import (
	"github.com/niwa-cloud/niwa/internal/service/cloudtrail"
)

// wireCloudTrail wires CloudTrail: it writes log and digest files into
// buckets through S3 (objects.OptionsWriter), checks trails' keys with
// KMS, and takes every call's record from the audit hook through the
// bus's record sink.
func wireCloudTrail(d *deps) (*wiring, error) {
	store, err := d.store("cloudtrail")
	if err != nil {
		return nil, err
	}
	opts := cloudtrail.Options{Keys: d.dataKeysOf(), DeliveryInterval: d.cfg.CloudTrailDeliveryInterval,
		MaxHistory: d.cfg.CloudTrailHistory,
		Log:        d.log.With("service", "cloudtrail")}
	if d.s3 != nil {
		opts.Objects = d.s3
	}
	svc := cloudtrail.New(store, d.clock, d.bus, opts)
	d.bus.HandleRecords(svc)
	return &wiring{Declaration: svc.Declare()}, nil
}
