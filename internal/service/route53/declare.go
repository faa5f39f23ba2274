package route53

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is Route 53 as the platform sees it: hosted zone calls are
// checked on the zone, and calls are recorded in us-east-1 (a global
// service).
func (s *Route53) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:  s,
		Authz: kit.Authz{Resources: resources},
		Audit: kit.Audit{Global: true},
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	id := in.Str("HostedZoneId")
	if id == "" && strings.Contains(op, "HostedZone") && op != "CreateHostedZone" && !strings.HasPrefix(op, "List") {
		id = in.Str("Id")
	}
	if id == "" {
		return nil
	}
	id = strings.TrimPrefix(id, "/hostedzone/")
	return []string{"arn:aws:route53:::hostedzone/" + id}
}
