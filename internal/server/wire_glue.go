package server

import (
	"github.com/niwa-cloud/niwa/internal/service/glue"
)

// wireGlue wires the Glue Data Catalog, kept for Athena's wiring.
func wireGlue(d *deps) (*wiring, error) {
	store, err := d.store("glue")
	if err != nil {
		return nil, err
	}
	d.glue = glue.New(store, d.clock)
	return &wiring{Declaration: d.glue.Declare()}, nil
}
