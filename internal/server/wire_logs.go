package server

import "github.com/niwa-cloud/niwa/internal/service/logs"

// wireLogs wires CloudWatch Logs.
func wireLogs(d *deps) (*wiring, error) {
	store, err := d.store("logs")
	if err != nil {
		return nil, err
	}
	return &wiring{impl: logs.New(store, d.clock)}, nil
}
