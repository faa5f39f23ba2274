package apigateway

import (
	"strings"
	"sync"
	"unicode"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Declare is API Gateway as the platform sees it: each control-plane
// operation is authorized as AWS does, apigateway:<HTTP verb> (GET, POST,
// PUT, PATCH, DELETE) on the ARN of the path it calls
// (arn:aws:apigateway:<region>::/restapis/<id>/...; Service
// Authorization Reference, "Amazon API Gateway Management"), and its
// invoke URLs are raw routes answered by the data plane (invoke.go).
func (s *APIGateway) Declare() kit.Declaration {
	// The verbs and paths come from the model, read at the first
	// authorization rather than at start-up.
	ops := sync.OnceValues(operationPaths)
	return kit.Declaration{
		Impl:      s,
		Namespace: "apigateway",
		Authz: kit.Authz{
			Rename: func(op string) (string, bool) {
				verbs, _ := ops()
				v, ok := verbs[op]
				return v, ok
			},
			Resources: func(op string, in kit.Input, env kit.Env) []string {
				_, paths := ops()
				p, ok := paths[op]
				if !ok {
					return nil
				}
				return []string{"arn:aws:apigateway:" + env.Region + "::" + p.fill(in)}
			},
		},
		Routes: []kit.Route{
			{Name: "apigateway-invoke", Match: s.isInvoke, Handler: s.invokeHandler()},
		},
		Reset:     s.Reset,
		Resources: s.cfnResources(),
		NotImplemented: kit.Reasons{}.Add("SDK generation runs AWS's code generators (Java, JavaScript, "+
			"Android, iOS, Ruby) over the API; niwa does not ship them, and clients call a stage's invoke URL directly",
			"GetSdk", "GetSdkType", "GetSdkTypes"),
	}
}

// opPath is an operation's request path with its labels' members.
type opPath struct {
	template string
	// members maps a {label} to the input member holding its value.
	members map[string]string
}

// fill substitutes the input's values for the labels ("*" for an empty
// one, as a policy written for any such resource would match).
func (p opPath) fill(in kit.Input) string {
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

// operationPaths reads each operation's verb and path from the model.
func operationPaths() (map[string]string, map[string]opPath) {
	verbs, paths := map[string]string{}, map[string]opPath{}
	svc, err := apigatewayapi.Spec().Model()
	if err != nil {
		// The embedded model always loads (TestHandlersBind loads it);
		// without it every call is checked as apigateway:<Operation> on *.
		return verbs, paths
	}
	for name, op := range svc.Operations {
		verbs[name] = op.HTTP.Method
		tmpl, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
		p := opPath{template: tmpl, members: map[string]string{}}
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
