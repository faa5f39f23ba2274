package kit

import (
	"strings"
	"sync"
	"unicode"

	"github.com/niwa-cloud/niwa/internal/model"
)

// PathAuthz is the authorization of a REST service whose IAM actions are
// HTTP verbs on the ARN of the path called (API Gateway's
// apigateway:GET on arn:aws:apigateway:<region>::/restapis/<id>):
// each operation is renamed to its verb, and its resource is arn made
// from its path, the path's labels filled from the input ("*" for an
// empty one, as a policy written for any such resource would match).
// trim is a prefix the ARNs leave out of the paths ("/v2"). Without the
// model (it always loads; TestHandlersBind loads it) every call is
// checked as <prefix>:<Operation> on *.
//
// The model is read at the first authorization, not at start-up (parsing
// it is most of what declaring the service would otherwise cost).
func PathAuthz(load func() (*model.Service, error), trim string, arn func(env Env, path string) string) Authz {
	ops := sync.OnceValues(func() (map[string]string, map[string]opPath) {
		verbs, paths := map[string]string{}, map[string]opPath{}
		svc, err := load()
		if err != nil {
			return verbs, paths
		}
		for name, op := range svc.Operations {
			verbs[name] = op.HTTP.Method
			tmpl, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
			p := opPath{template: strings.TrimPrefix(tmpl, trim), members: map[string]string{}}
			if op.Input != nil && op.Input.Shape != nil {
				for _, m := range op.Input.Shape.Members {
					if m.Location == "uri" {
						p.members[m.LocationName] = goName(m.Name)
					}
				}
			}
			paths[name] = p
		}
		return verbs, paths
	})
	return Authz{
		Rename: func(op string) (string, bool) {
			verbs, _ := ops()
			v, ok := verbs[op]
			return v, ok
		},
		Resources: func(op string, in Input, env Env) []string {
			_, paths := ops()
			p, ok := paths[op]
			if !ok {
				return nil
			}
			return []string{arn(env, p.fill(in))}
		},
	}
}

// opPath is an operation's request path with its labels' members.
type opPath struct {
	template string
	// members maps a {label} (or greedy {label+}) to the input member
	// holding its value.
	members map[string]string
}

func (p opPath) fill(in Input) string {
	out := p.template
	for label, member := range p.members {
		v := in.Str(member)
		if v == "" {
			v = "*"
		}
		out = strings.ReplaceAll(out, "{"+label+"}", v)
		out = strings.ReplaceAll(out, "{"+label+"+}", v)
	}
	return out
}

// goName is the generated Go field name of a model member.
func goName(member string) string {
	if member == "" {
		return member
	}
	r := []rune(member)
	r[0] = unicode.ToUpper(r[0])
	return string(r)
}
