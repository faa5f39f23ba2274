package server

import (
	"github.com/niwa-cloud/niwa/internal/service/sns"
)

// wireSNS wires SNS: deliveries go out through the bus (SNS never imports
// SQS or Lambda); the signing certificate, SubscribeURL/UnsubscribeURL and
// the recorded emails are raw routes under /_niwa/sns/.
func wireSNS(d *deps) (*wiring, error) {
	store, err := d.store("sns")
	if err != nil {
		return nil, err
	}
	svc, err := sns.New(store, d.clock, d.bus, nil, sns.Options{DataKeys: d.dataKeysOf()})
	if err != nil {
		return nil, err
	}
	d.bus.Handle("sns", svc)
	return &wiring{Declaration: svc.Declare()}, nil
}
