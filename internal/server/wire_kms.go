package server

import "github.com/niwa-cloud/niwa/internal/service/kms"

// wireKMS wires KMS. Its key policies (with grants folded in) are the
// resource policies the IAM engine requires for every use of a key.
func wireKMS(d *deps) (*wiring, error) {
	store, err := d.store("kms")
	if err != nil {
		return nil, err
	}
	svc := kms.New(store, d.clock)
	return &wiring{impl: svc, policies: svc, namespace: "kms"}, nil
}
