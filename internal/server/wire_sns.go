package server

import (
	"github.com/niwa-cloud/niwa/internal/kit"
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
	svc, err := sns.New(store, d.clock, d.bus, nil)
	if err != nil {
		return nil, err
	}
	d.bus.Handle("sns", svc)
	return &wiring{Declaration: kit.Declaration{
		Namespace: "sns",
		Tags:      snsTags(svc),
		Impl:      svc,
		Routes:    []kit.Route{{Name: "sns", Match: svc.Matches, Handler: svc.HTTP()}},
		Close:     svc.Close,
	}}, nil
}
