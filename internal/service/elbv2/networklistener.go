package elbv2

import "github.com/niwa-cloud/niwa/internal/storage"

// NetworkListener is where a network load balancer's listener on port
// accepts connections on the machine, for API Gateway's VPC links
// (which forward to the NLB's data plane): ok false when the load
// balancer is not a network load balancer of account and region, or
// has no listener on that port open.
func (s *ELBv2) NetworkListener(account, region, lbARN string, port int32) (addr string, found, ok bool) {
	sc := storage.Scope{Account: account, Region: region}
	_ = s.store.View(func(tx storage.Tx) error {
		r, err := getLB(tx, sc, lbARN)
		if err != nil || r.Type != "network" {
			return err
		}
		found = true
		ls, err := listListeners(tx, sc, lbARN)
		for _, l := range ls {
			if l.Port == port {
				addr = s.ports.Addr(l.ARN)
			}
		}
		return err
	})
	return addr, found, addr != ""
}
