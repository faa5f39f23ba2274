package lb

import "context"

// Source is the load balancer a connection to a target comes from, as
// the target's security groups see it: its VPC, subnets and groups.
type Source struct {
	VpcID            string
	SubnetIDs        []string
	SecurityGroupIDs []string
}

type sourceKey struct{}

// WithSource returns ctx carrying the load balancer that dials.
func WithSource(ctx context.Context, s Source) context.Context {
	return context.WithValue(ctx, sourceKey{}, s)
}

// SourceFrom returns the load balancer WithSource set, if any.
func SourceFrom(ctx context.Context) (Source, bool) {
	s, ok := ctx.Value(sourceKey{}).(Source)
	return s, ok
}
