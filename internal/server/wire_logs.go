package server

import (
	"github.com/niwa-cloud/niwa/internal/service/logs"
)

// wireLogs wires CloudWatch Logs.
func wireLogs(d *deps) (*wiring, error) {
	store, err := d.store("logs")
	if err != nil {
		return nil, err
	}
	svc := logs.New(store, d.clock, d.bus, logs.Options{DataKeys: d.dataKeysOf()})
	// EventBridge rules with log group targets deliver here.
	d.bus.Handle("logs", svc)
	return &wiring{Declaration: svc.Declare()}, nil
}
