package server

import (
	"github.com/niwa-cloud/niwa/internal/service/sts"
)

// stsWiring is STS as the signature layer sees it.
type stsWiring struct {
	svc *sts.STS
}

func wireSTS(d *deps) (*wiring, error) {
	store, err := d.store("sts")
	if err != nil {
		return nil, err
	}
	svc := sts.New(store, iamRoles{d.iam.svc}, keyAccounts{static: d.static, iam: d.iam.svc},
		sts.WithProviders(iamProviders{d.iam.svc}), sts.WithMFA(d.iam.svc))
	d.sts = &stsWiring{svc: svc}
	return &wiring{Declaration: svc.Declare()}, nil
}
