package server

import (
	"github.com/niwa-cloud/niwa/internal/service/cloudwatch"
)

// wireCloudWatch wires CloudWatch. It answers every protocol its current
// clients send — query (the v1 model's), JSON (botocore's choice) and
// smithy-rpc-v2-cbor — from the model's protocols list patched in
// internal/codegen; the service never knows which carried a request.
// Alarm actions go out through the bus (SNS, Lambda, EC2), and state
// changes are published as EventBridge events.
func wireCloudWatch(d *deps) (*wiring, error) {
	store, err := d.store("cloudwatch")
	if err != nil {
		return nil, err
	}
	svc := cloudwatch.New(store, d.clock, d.bus, d.log)
	// The AWS/ metrics other services publish (Lambda's Invocations, ...)
	// arrive through the bus.
	d.bus.HandleMetrics(svc.RecordMetrics)
	return &wiring{Declaration: svc.Declare()}, nil
}
