package server

import (
	"github.com/niwa-cloud/niwa/internal/service/kms"
)

// wireKMS wires KMS, sealing its key material at rest when state is
// durable; the service declares the rest (kms.KMS.Declare).
func wireKMS(d *deps) (*wiring, error) {
	store, err := d.store("kms")
	if err != nil {
		return nil, err
	}
	if d.cfg.DataDir != "" {
		// Key material at rest is sealed under the installation's master
		// key (docs/kms.md).
		mk, err := kms.LoadMasterKey(d.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if store, err = kms.Sealed(store, mk); err != nil {
			return nil, err
		}
	}
	return &wiring{Declaration: kms.New(store, d.clock).Declare()}, nil
}
