package apigateway

import (
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The Get/Update/Delete operations on the parts of a REST API: resources,
// methods, method responses, integrations, integration responses and
// deployments. Updates take patch operations (patch.go).

var (
	methodPaths = patchPaths{"/authorizationType", "/authorizerId", "/apiKeyRequired", "/requestValidatorId",
		"/operationName", "/requestParameters/*", "/requestModels/*"}
	methodResponsePaths = patchPaths{"/responseParameters/*", "/responseModels/*"}
	integrationPaths    = patchPaths{"/uri", "/httpMethod", "/credentials", "/passthroughBehavior",
		"/contentHandling", "/timeoutInMillis", "/cacheNamespace", "/connectionType", "/connectionId",
		"/requestParameters/*", "/requestTemplates/*"}
	integrationResponsePaths = patchPaths{"/selectionPattern", "/contentHandling", "/responseParameters/*", "/responseTemplates/*"}
)

func errNoIntegration() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Integration identifier specified")
}

func errNoMethodResponse() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Response status code specified")
}

// UpdateResource moves a resource (/parentId) or renames it (/pathPart);
// the paths of everything under it follow.
func (s *APIGateway) UpdateResource(ctx *request.Context, in *apigatewayapi.UpdateResourceRequest) (*apigatewayapi.Resource, error) {
	var out apigatewayapi.Resource
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		id := ptr.Deref(in.ResourceId)
		r, ok := a.Resources[id]
		if !ok {
			return errNoResource()
		}
		if r.ParentId == nil {
			return apigatewayapi.ErrBadRequestException.New("Cannot modify the root resource")
		}
		for _, p := range in.PatchOperations {
			op, path, v := ptr.Deref(p.Op), ptr.Deref(p.Path), ptr.Deref(p.Value)
			if op != "replace" {
				return errPatchOp(op)
			}
			switch path {
			case "/pathPart":
				if !validPathPart(v) {
					return apigatewayapi.ErrBadRequestException.New("Resource's path part only allow a-zA-Z0-9._- and curly braces at the beginning and the end and an optional plus sign before the closing brace.")
				}
				r.PathPart = &v
			case "/parentId":
				parent, ok := a.Resources[v]
				if !ok {
					return errNoResource()
				}
				if v == id || strings.HasPrefix(ptr.Deref(parent.Path)+"/", ptr.Deref(r.Path)+"/") {
					return apigatewayapi.ErrBadRequestException.New("Resource cannot be moved under itself")
				}
				r.ParentId = &v
			default:
				return errPatchPath(op, path)
			}
		}
		parent := a.Resources[ptr.Deref(r.ParentId)]
		newPath := strings.TrimSuffix(ptr.Deref(parent.Path), "/") + "/" + ptr.Deref(r.PathPart)
		for k, c := range a.Resources {
			if k != id && ptr.Deref(c.ParentId) == *parent.Id && ptr.Deref(c.Path) == newPath {
				return apigatewayapi.ErrConflictException.New("Another resource with the same parent already has this name: %s", ptr.Deref(r.PathPart))
			}
		}
		oldPrefix := ptr.Deref(r.Path) + "/"
		for k, c := range a.Resources {
			if rest, ok := strings.CutPrefix(ptr.Deref(c.Path), oldPrefix); ok && k != id {
				c.Path = ptr.To(newPath + "/" + rest)
				a.Resources[k] = c
			}
		}
		r.Path = &newPath
		a.Resources[id] = r
		out = r
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// checkAuthorization validates a method's authorizationType and the
// authorizer it names.
func checkAuthorization(a *restAPI, m *apigatewayapi.Method) error {
	switch ptr.Deref(m.AuthorizationType) {
	case "NONE", "AWS_IAM":
		m.AuthorizerId = nil
	case "CUSTOM":
		au, ok := a.Authorizers[ptr.Deref(m.AuthorizerId)]
		if !ok {
			return apigatewayapi.ErrBadRequestException.New("Invalid authorizer ID specified. Setting the authorization type to CUSTOM requires a valid authorizer.")
		}
		if ptr.Deref(au.Type) == "COGNITO_USER_POOLS" {
			return apigatewayapi.ErrBadRequestException.New(cognitoRefusal)
		}
	case "COGNITO_USER_POOLS":
		return apigatewayapi.ErrBadRequestException.New(cognitoRefusal)
	default:
		return apigatewayapi.ErrBadRequestException.New("Invalid authorization type specified. Valid options are NONE,AWS_IAM,CUSTOM,COGNITO_USER_POOLS")
	}
	return nil
}

// checkMethodRefs checks that the validator and models a method names
// exist.
func checkMethodRefs(a *restAPI, m *apigatewayapi.Method) error {
	if id := ptr.Deref(m.RequestValidatorId); id != "" {
		if _, ok := a.Validators[id]; !ok {
			return apigatewayapi.ErrBadRequestException.New("Invalid Request Validator identifier specified")
		}
	}
	for _, name := range m.RequestModels {
		if _, ok := a.Models[name]; !ok {
			return apigatewayapi.ErrBadRequestException.New("Invalid model identifier specified: %s", name)
		}
	}
	return nil
}

func (s *APIGateway) UpdateMethod(ctx *request.Context, in *apigatewayapi.UpdateMethodRequest) (*apigatewayapi.Method, error) {
	var out apigatewayapi.Method
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return methodOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), func(m *apigatewayapi.Method) error {
			if err := applyPatch(m, in.PatchOperations, methodPaths, nil); err != nil {
				return err
			}
			if err := checkAuthorization(a, m); err != nil {
				return err
			}
			if err := checkMethodRefs(a, m); err != nil {
				return err
			}
			out = *m
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// methodResponseOf finds a method's response for a read or an update.
func methodResponseOf(a *restAPI, in methodKey, status string, fn func(m *apigatewayapi.Method, mr *apigatewayapi.MethodResponse) error) error {
	return methodOf(a, in.resource, in.method, func(m *apigatewayapi.Method) error {
		mr, ok := m.MethodResponses[status]
		if !ok {
			return errNoMethodResponse()
		}
		if err := fn(m, &mr); err != nil {
			return err
		}
		if _, still := m.MethodResponses[status]; still {
			m.MethodResponses[status] = mr
		}
		return nil
	})
}

type methodKey struct{ resource, method string }

func (s *APIGateway) GetMethodResponse(ctx *request.Context, in *apigatewayapi.GetMethodResponseRequest) (*apigatewayapi.MethodResponse, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	var out apigatewayapi.MethodResponse
	err = methodResponseOf(&a, methodKey{ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod)}, ptr.Deref(in.StatusCode), func(_ *apigatewayapi.Method, mr *apigatewayapi.MethodResponse) error {
		out = *mr
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) UpdateMethodResponse(ctx *request.Context, in *apigatewayapi.UpdateMethodResponseRequest) (*apigatewayapi.MethodResponse, error) {
	var out apigatewayapi.MethodResponse
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return methodResponseOf(a, methodKey{ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod)}, ptr.Deref(in.StatusCode), func(_ *apigatewayapi.Method, mr *apigatewayapi.MethodResponse) error {
			if err := applyPatch(mr, in.PatchOperations, methodResponsePaths, nil); err != nil {
				return err
			}
			out = *mr
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteMethodResponse(ctx *request.Context, in *apigatewayapi.DeleteMethodResponseRequest) (*apigatewayapi.DeleteMethodResponseOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return methodResponseOf(a, methodKey{ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod)}, ptr.Deref(in.StatusCode), func(m *apigatewayapi.Method, _ *apigatewayapi.MethodResponse) error {
			delete(m.MethodResponses, ptr.Deref(in.StatusCode))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteMethodResponseOutput{}, nil
}

// integrationOf finds a method's integration for an update.
func integrationOf(a *restAPI, resource, method string, fn func(m *apigatewayapi.Method, i *apigatewayapi.Integration) error) error {
	return methodOf(a, resource, method, func(m *apigatewayapi.Method) error {
		if m.MethodIntegration == nil {
			return errNoIntegration()
		}
		return fn(m, m.MethodIntegration)
	})
}

func (s *APIGateway) UpdateIntegration(ctx *request.Context, in *apigatewayapi.UpdateIntegrationRequest) (*apigatewayapi.Integration, error) {
	var out apigatewayapi.Integration
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return integrationOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), func(_ *apigatewayapi.Method, i *apigatewayapi.Integration) error {
			if err := applyPatch(i, in.PatchOperations, integrationPaths, nil); err != nil {
				return err
			}
			switch ptr.Deref(i.PassthroughBehavior) {
			case "WHEN_NO_MATCH", "WHEN_NO_TEMPLATES", "NEVER":
			default:
				return apigatewayapi.ErrBadRequestException.New("Invalid passthrough behavior specified. Valid values are WHEN_NO_MATCH, WHEN_NO_TEMPLATES, NEVER")
			}
			if err := checkIntegration(i); err != nil {
				return err
			}
			out = *i
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteIntegration(ctx *request.Context, in *apigatewayapi.DeleteIntegrationRequest) (*apigatewayapi.DeleteIntegrationOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return integrationOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), func(m *apigatewayapi.Method, _ *apigatewayapi.Integration) error {
			m.MethodIntegration = nil
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteIntegrationOutput{}, nil
}

// integrationResponseOf finds an integration response for a read or an
// update.
func integrationResponseOf(a *restAPI, resource, method, status string, fn func(i *apigatewayapi.Integration, ir *apigatewayapi.IntegrationResponse) error) error {
	return integrationOf(a, resource, method, func(_ *apigatewayapi.Method, i *apigatewayapi.Integration) error {
		ir, ok := i.IntegrationResponses[status]
		if !ok {
			return errNoMethodResponse()
		}
		if err := fn(i, &ir); err != nil {
			return err
		}
		if _, still := i.IntegrationResponses[status]; still {
			i.IntegrationResponses[status] = ir
		}
		return nil
	})
}

func (s *APIGateway) GetIntegrationResponse(ctx *request.Context, in *apigatewayapi.GetIntegrationResponseRequest) (*apigatewayapi.IntegrationResponse, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	var out apigatewayapi.IntegrationResponse
	err = integrationResponseOf(&a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), ptr.Deref(in.StatusCode), func(_ *apigatewayapi.Integration, ir *apigatewayapi.IntegrationResponse) error {
		out = *ir
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) UpdateIntegrationResponse(ctx *request.Context, in *apigatewayapi.UpdateIntegrationResponseRequest) (*apigatewayapi.IntegrationResponse, error) {
	var out apigatewayapi.IntegrationResponse
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return integrationResponseOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), ptr.Deref(in.StatusCode), func(_ *apigatewayapi.Integration, ir *apigatewayapi.IntegrationResponse) error {
			if err := applyPatch(ir, in.PatchOperations, integrationResponsePaths, nil); err != nil {
				return err
			}
			out = *ir
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteIntegrationResponse(ctx *request.Context, in *apigatewayapi.DeleteIntegrationResponseRequest) (*apigatewayapi.DeleteIntegrationResponseOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		return integrationResponseOf(a, ptr.Deref(in.ResourceId), ptr.Deref(in.HttpMethod), ptr.Deref(in.StatusCode), func(i *apigatewayapi.Integration, _ *apigatewayapi.IntegrationResponse) error {
			delete(i.IntegrationResponses, ptr.Deref(in.StatusCode))
			return nil
		})
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteIntegrationResponseOutput{}, nil
}

func errNoDeployment() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Deployment identifier specified")
}

func (s *APIGateway) GetDeployment(ctx *request.Context, in *apigatewayapi.GetDeploymentRequest) (*apigatewayapi.Deployment, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	d, ok := a.Deployments[ptr.Deref(in.DeploymentId)]
	if !ok {
		return nil, errNoDeployment()
	}
	return &d.Deployment, nil
}

func (s *APIGateway) UpdateDeployment(ctx *request.Context, in *apigatewayapi.UpdateDeploymentRequest) (*apigatewayapi.Deployment, error) {
	var out apigatewayapi.Deployment
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		d, ok := a.Deployments[ptr.Deref(in.DeploymentId)]
		if !ok {
			return errNoDeployment()
		}
		if err := applyPatch(&d.Deployment, in.PatchOperations, patchPaths{"/description"}, nil); err != nil {
			return err
		}
		a.Deployments[*d.Deployment.Id] = d
		out = d.Deployment
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

// DeleteDeployment refuses while a stage serves the deployment, as AWS
// does.
func (s *APIGateway) DeleteDeployment(ctx *request.Context, in *apigatewayapi.DeleteDeploymentRequest) (*apigatewayapi.DeleteDeploymentOutput, error) {
	err := s.update(ctx, ptr.Deref(in.RestApiId), func(a *restAPI) error {
		id := ptr.Deref(in.DeploymentId)
		if _, ok := a.Deployments[id]; !ok {
			return errNoDeployment()
		}
		for _, st := range a.Stages {
			if ptr.Deref(st.DeploymentId) == id {
				return apigatewayapi.ErrBadRequestException.New("Active stages pointing to this deployment must be moved or deleted")
			}
		}
		delete(a.Deployments, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteDeploymentOutput{}, nil
}

// FlushStageCache: niwa keeps no stage cache (caching is accepted at API
// level only), so there is nothing to flush once the stage is found.
func (s *APIGateway) FlushStageCache(ctx *request.Context, in *apigatewayapi.FlushStageCacheRequest) (*apigatewayapi.FlushStageCacheOutput, error) {
	if _, err := s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: in.RestApiId, StageName: in.StageName}); err != nil {
		return nil, err
	}
	s.cache.flush(in.RestApiId, in.StageName)
	return &apigatewayapi.FlushStageCacheOutput{}, nil
}

// FlushStageAuthorizersCache drops the API's cached authorizer answers.
func (s *APIGateway) FlushStageAuthorizersCache(ctx *request.Context, in *apigatewayapi.FlushStageAuthorizersCacheRequest) (*apigatewayapi.FlushStageAuthorizersCacheOutput, error) {
	if _, err := s.GetStage(ctx, &apigatewayapi.GetStageRequest{RestApiId: in.RestApiId, StageName: in.StageName}); err != nil {
		return nil, err
	}
	s.flushAuthorizers(ptr.Deref(in.RestApiId))
	return &apigatewayapi.FlushStageAuthorizersCacheOutput{}, nil
}

// account is API Gateway's per-region account settings.
type account struct {
	CloudwatchRoleArn *string
}

func (s *APIGateway) accountOut(a account) *apigatewayapi.Account {
	// The throttle AWS reports for a new account (Service quotas:
	// 10,000 requests a second, burst 5,000).
	return &apigatewayapi.Account{CloudwatchRoleArn: a.CloudwatchRoleArn,
		ThrottleSettings: &apigatewayapi.ThrottleSettings{BurstLimit: ptr.To(int32(5000)), RateLimit: ptr.To(10000.0)},
		Features:         []string{"UsagePlans"}, ApiKeyVersion: ptr.To("4")}
}

func (s *APIGateway) GetAccount(ctx *request.Context, _ *apigatewayapi.GetAccountRequest) (*apigatewayapi.Account, error) {
	var a account
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		a, _, err = accounts.Get(tx, scope(ctx), "account")
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.accountOut(a), nil
}

// UpdateAccount sets /cloudwatchRoleArn, the role API Gateway would log
// through.
func (s *APIGateway) UpdateAccount(ctx *request.Context, in *apigatewayapi.UpdateAccountRequest) (*apigatewayapi.Account, error) {
	var a account
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if a, _, err = accounts.Get(tx, scope(ctx), "account"); err != nil {
			return err
		}
		for _, p := range in.PatchOperations {
			op, path := ptr.Deref(p.Op), ptr.Deref(p.Path)
			if op != "replace" || path != "/cloudwatchRoleArn" {
				return errPatchPath(op, path)
			}
			v := ptr.Deref(p.Value)
			if v != "" && !strings.HasPrefix(v, "arn:") {
				return apigatewayapi.ErrBadRequestException.New("The role ARN is not well formed")
			}
			a.CloudwatchRoleArn = p.Value
			if v == "" {
				a.CloudwatchRoleArn = nil
			}
		}
		return accounts.Put(tx, scope(ctx), a, "account")
	})
	if err != nil {
		return nil, err
	}
	return s.accountOut(a), nil
}

// today is the day a usage count falls in.
func today(t time.Time) string { return t.UTC().Format("2006-01-02") }
