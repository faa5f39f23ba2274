package elbv2

import (
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Build makes the service from what the platform gives it, without
// EC2, Lambda, ACM or S3 behind it (internal/server wires those).
func Build(d kit.Deps) (kit.Declaration, error) {
	s := New(Options{Store: d.Store, Clock: d.Clock, Bus: d.Bus, Log: d.Log, Region: d.Region})
	s.Start()
	return s.Declare(), nil
}

// Declare is ELBv2 as the platform sees it: IAM actions are
// elasticloadbalancing:<Operation> on the ARNs the input names, tags
// answer aws:ResourceTag, and load balancer DNS names are routed by Host
// to the data plane (dataplane.go).
func (s *ELBv2) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:      s,
		Namespace: "elasticloadbalancing",
		Authz: kit.Authz{
			Prefix: "elasticloadbalancing",
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				var out []string
				for _, m := range []string{"LoadBalancerArn", "TargetGroupArn", "ListenerArn", "RuleArn"} {
					if v := in.Str(m); v != "" {
						out = append(out, v)
					}
				}
				return out
			},
		},
		Tags:      kit.TagLookup(s.resourceTags),
		Routes:    []kit.Route{{Name: "elbv2-dataplane", Match: s.isDataPlane, Handler: s.dataPlane()}},
		Names:     s.OwnsName,
		EachName:  s.EachName,
		Close:     s.Close,
		Reset:     s.Reset,
		Resources: s.cfnResources(),
	}
}
