package route53

import (
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
)

// Declare is Route 53 as the platform sees it: hosted zone calls are
// checked on the zone, and calls are recorded in us-east-1 (a global
// service).
func (s *Route53) Declare() kit.Declaration {
	return kit.Declaration{
		Impl:  s,
		Authz: kit.Authz{Resources: resources},
		Audit: kit.Audit{Global: true},
		// Route 53 answers constraint violations as InvalidInput.
		Validation: kit.Validation{Error: func(_ *model.Operation, vs []model.Violation) error {
			return route53api.ErrInvalidInput.New("%s", model.Summary(vs))
		}},
		// Every URI of Route 53's model begins with its API version: an
		// unsigned request under it is Route 53's.
		Routing:   kit.Routing{PathPrefixes: []string{"2013-04-01"}},
		Close:     func() error { s.StopHealthChecks(); return nil },
		Resources: s.cfnResources(),
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
