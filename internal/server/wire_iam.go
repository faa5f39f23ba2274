package server

import (
	"github.com/niwa-cloud/niwa/internal/service/iam"
)

// iamWiring is IAM as later wire functions and the signature layer see it.
type iamWiring struct {
	svc *iam.IAM
}

func wireIAM(d *deps) (*wiring, error) {
	store, err := d.store("iam")
	if err != nil {
		return nil, err
	}
	managed, err := iam.AWSManagedPolicies()
	if err != nil {
		return nil, err
	}
	d.iam = &iamWiring{svc: iam.New(store, iam.WithManagedPolicies(managed))}
	return &wiring{Declaration: d.iam.svc.Declare()}, nil
}
