package apigatewayv2

import (
	"strings"
	"sync"
	"unicode"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// Build makes the service from what the platform gives it (without
// Lambda, logs or signatures: internal/server wires those).
func Build(d kit.Deps) (kit.Declaration, error) {
	return New(Options{Store: d.Store, Clock: d.Clock, Log: d.Log}).Declare(), nil
}

// Declare is API Gateway V2 as the platform sees it: each control-plane
// operation is authorized as AWS does, apigateway:<HTTP verb> (GET,
// POST, PUT, PATCH, DELETE) on the ARN of the path it calls without the
// /v2 prefix (arn:aws:apigateway:<region>::/apis/<id>/...; Service
// Authorization Reference, "Amazon API Gateway Management V2"), and the
// invoke URLs of HTTP APIs are a raw route answered by the data plane
// (invoke.go).
func (s *APIGatewayV2) Declare() kit.Declaration {
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
		Audit: kit.Audit{ReadOnly: kit.Set("ExportApi")},
		Tags:  kit.TagLookup(s.resourceTags),
		Routes: []kit.Route{
			{Name: "apigatewayv2-invoke", Match: s.isInvoke, Handler: s.invokeHandler()},
		},
		Names:     s.OwnsName,
		Resources: s.cfnResources(), // CloudFormation (cfn.go)
		Reset:     s.Reset,
		Close:     s.Close,
		NotImplemented: kit.Reasons{}.Add("VPC links reach private load balancers and Cloud Map services through "+
			"AWS-managed network interfaces; niwa's HTTP proxy integrations call the target's URL directly",
			"CreateVpcLink", "GetVpcLink", "GetVpcLinks", "UpdateVpcLink", "DeleteVpcLink"),
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
	}
	return out
}

// operationPaths reads each operation's verb and path from the model;
// the path loses its /v2 prefix, as the resource ARNs do.
func operationPaths() (map[string]string, map[string]opPath) {
	verbs, paths := map[string]string{}, map[string]opPath{}
	svc, err := apigatewayv2api.Spec().Model()
	if err != nil {
		// The embedded model always loads (TestHandlersBind loads it);
		// without it every call is checked as apigateway:<Operation> on *.
		return verbs, paths
	}
	for name, op := range svc.Operations {
		verbs[name] = op.HTTP.Method
		tmpl, _, _ := strings.Cut(op.HTTP.RequestURI, "?")
		tmpl = strings.TrimPrefix(tmpl, "/v2")
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

func isNotFound(err error) bool { return apigatewayv2api.ErrNotFoundException.Is(err) }
