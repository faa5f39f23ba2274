package apigatewayv2

import (
	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// members is one kind of an API's sub-resources (stages, routes, route
// responses...): the Get, Get-list, Update and Delete operations of each
// kind read and change them through it.
type members[T any] struct {
	kind    string // in the not-found error: "Stage"
	deploys bool   // a change is to the deployed configuration (see update)
	// of answers the API's map of them; for a kind that belongs to a
	// route or integration, the parent's map, or the parent's not-found
	// error when there is no such parent.
	of func(ctx *request.Context, a *httpAPI, parent string) (map[string]T, error)
}

// top is a kind held directly by the API.
func top[T any](kind string, deploys bool, of func(a *httpAPI) map[string]T) members[T] {
	return members[T]{kind: kind, deploys: deploys, of: func(_ *request.Context, a *httpAPI, _ string) (map[string]T, error) {
		return of(a), nil
	}}
}

var (
	stageMembers       = top("Stage", false, func(a *httpAPI) map[string]apigatewayv2api.Stage { return a.Stages })
	deploymentMembers  = top("Deployment", false, func(a *httpAPI) map[string]deployment { return a.Deployments })
	authorizerMembers  = top("Authorizer", true, func(a *httpAPI) map[string]apigatewayv2api.Authorizer { return a.Authorizers })
	modelMembers       = top("Model", false, func(a *httpAPI) map[string]apigatewayv2api.ModelShape { return a.Models })
	routeMembers       = top("Route", true, func(a *httpAPI) map[string]apigatewayv2api.Route { return a.Routes })
	integrationMembers = top("Integration", true, func(a *httpAPI) map[string]apigatewayv2api.Integration { return a.Integrations })

	routeResponseMembers = members[apigatewayv2api.RouteResponse]{kind: "RouteResponse", deploys: true,
		of: func(ctx *request.Context, a *httpAPI, route string) (map[string]apigatewayv2api.RouteResponse, error) {
			if _, ok := a.Routes[route]; !ok {
				return nil, notFound("Route", route, ctx)
			}
			return a.RouteResponses[route], nil
		}}
	integrationResponseMembers = members[apigatewayv2api.IntegrationResponse]{kind: "IntegrationResponse", deploys: true,
		of: func(ctx *request.Context, a *httpAPI, integ string) (map[string]apigatewayv2api.IntegrationResponse, error) {
			if _, ok := a.Integrations[integ]; !ok {
				return nil, notFound("Integration", integ, ctx)
			}
			return a.IntegrationResponses[integ], nil
		}}
)

// find picks one of them in an API.
func (m members[T]) find(ctx *request.Context, a *httpAPI, parent, id string) (T, error) {
	all, err := m.of(ctx, a, parent)
	if err != nil {
		var zero T
		return zero, err
	}
	v, ok := all[id]
	if !ok {
		return v, notFound(m.kind, id, ctx)
	}
	return v, nil
}

// get reads one of them.
func (m members[T]) get(s *APIGatewayV2, ctx *request.Context, apiID, parent, id string) (T, error) {
	a, err := s.view(ctx, apiID)
	if err != nil {
		var zero T
		return zero, err
	}
	return m.find(ctx, &a, parent, id)
}

// list pages them, by id.
func (m members[T]) list(s *APIGatewayV2, ctx *request.Context, apiID, parent string, maxResults, token *string) ([]T, *string, error) {
	a, err := s.view(ctx, apiID)
	if err != nil {
		return nil, nil, err
	}
	all, err := m.of(ctx, &a, parent)
	if err != nil {
		return nil, nil, err
	}
	return page(sortedValues(all), maxResults, token)
}

// edit changes one of them: fn changes a copy, stored when fn succeeds.
func (m members[T]) edit(s *APIGatewayV2, ctx *request.Context, apiID, parent, id string, fn func(a *httpAPI, v *T) error) (T, error) {
	var out T
	err := s.update(ctx, apiID, m.deploys, func(a *httpAPI) error {
		v, err := m.find(ctx, a, parent, id)
		if err != nil {
			return err
		}
		if err := fn(a, &v); err != nil {
			return err
		}
		all, _ := m.of(ctx, a, parent)
		all[id] = v
		out = v
		return nil
	})
	return out, err
}

// remove deletes one of them; check, when set, may refuse (or delete
// what goes with it) first.
func (m members[T]) remove(s *APIGatewayV2, ctx *request.Context, apiID, parent, id string, check func(a *httpAPI, v T) error) error {
	return s.update(ctx, apiID, m.deploys, func(a *httpAPI) error {
		v, err := m.find(ctx, a, parent, id)
		if err != nil {
			return err
		}
		if check != nil {
			if err := check(a, v); err != nil {
				return err
			}
		}
		all, _ := m.of(ctx, a, parent)
		delete(all, id)
		return nil
	})
}

// listRecords pages the records of a table (APIs, domain names) in the
// caller's account and region, each as show makes it.
func listRecords[R, T any](s *APIGatewayV2, ctx *request.Context, t storage.Table[R], show func(R) T, maxResults, token *string) ([]T, *string, error) {
	var items []T
	err := s.store.View(func(tx storage.Tx) error {
		return t.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, r R) bool {
			items = append(items, show(r))
			return true
		})
	})
	if err != nil {
		return nil, nil, err
	}
	return page(items, maxResults, token)
}
