package netpos

import "context"

// Origin is where a request the proxy hands to niwa's gateway came from:
// it travels in the request's context, in process, so no header a client
// sends can claim it. The gateway takes aws:SourceIp from SourceIP and
// authorization takes aws:SourceVpc and aws:SourceVpce (and the
// endpoint's policy) from VpcID and Endpoint.
type Origin struct {
	// VpcID and Endpoint are set when the request came through a VPC
	// endpoint (Endpoint.ID "" otherwise).
	VpcID    string
	Endpoint Endpoint
	// SourceIP is the apparent public address (NAT Elastic IP, public
	// IP), "" through an endpoint: AWS then has no aws:SourceIp.
	SourceIP string
	// PrivateIP is the workload's address in its subnet, when known.
	PrivateIP string
}

type originKey struct{}

// WithOrigin returns ctx carrying o.
func WithOrigin(ctx context.Context, o Origin) context.Context {
	return context.WithValue(ctx, originKey{}, o)
}

// OriginFrom returns the origin the proxy set, if any.
func OriginFrom(ctx context.Context) (Origin, bool) {
	o, ok := ctx.Value(originKey{}).(Origin)
	return o, ok
}
