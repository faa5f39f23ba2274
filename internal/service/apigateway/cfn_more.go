package apigateway

import (
	"slices"
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnMoreResources are the API Gateway types beside a REST API's core
// (models, validators, gateway responses, custom domains, client
// certificates, VPC links, documentation and the account's settings).
func (s *APIGateway) cfnMoreResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the model's name.
		"AWS::ApiGateway::Model": {Create: s.cfnCreateModel, Update: s.cfnUpdateModel, Delete: s.cfnDeleteModel,
			Replace: []string{"ContentType", "Name", "RestApiId"}},
		// Ref is the validator's id; Fn::GetAtt RequestValidatorId.
		"AWS::ApiGateway::RequestValidator": {Create: s.cfnCreateValidator, Update: s.cfnUpdateValidator, Delete: s.cfnDeleteValidator,
			Replace: []string{"Name", "RestApiId"}},
		// Ref is a generated id.
		"AWS::ApiGateway::GatewayResponse": {Create: s.cfnPutGatewayResponse, Update: s.cfnPutGatewayResponse, Delete: s.cfnDeleteGatewayResponse,
			Replace: []string{"ResponseType", "RestApiId"}},
		// Ref is the domain name; Fn::GetAtt DistributionDomainName,
		// DistributionHostedZoneId, RegionalDomainName, RegionalHostedZoneId.
		"AWS::ApiGateway::DomainName": {Create: s.cfnCreateDomainName, Update: s.cfnUpdateDomainName, Delete: s.cfnDeleteDomainName,
			Replace: []string{"DomainName"}, Tags: true},
		// Ref is a generated id.
		"AWS::ApiGateway::BasePathMapping": {Create: s.cfnCreateBasePathMapping, Update: s.cfnUpdateBasePathMapping, Delete: s.cfnDeleteBasePathMapping,
			Replace: []string{"DomainName"}},
		// Ref is the certificate's id; Fn::GetAtt ClientCertificateId.
		"AWS::ApiGateway::ClientCertificate": {Create: s.cfnCreateClientCertificate, Update: s.cfnUpdateClientCertificate,
			Delete: s.cfnDeleteClientCertificate, Tags: true},
		// Ref is the VPC link's id; Fn::GetAtt VpcLinkId.
		"AWS::ApiGateway::VpcLink": {Create: s.cfnCreateVpcLink, Update: s.cfnUpdateVpcLink, Delete: s.cfnDeleteVpcLink,
			Replace: []string{"TargetArns"}, Tags: true},
		// Ref is the part's id; Fn::GetAtt DocumentationPartId.
		"AWS::ApiGateway::DocumentationPart": {Create: s.cfnCreateDocPart, Update: s.cfnUpdateDocPart, Delete: s.cfnDeleteDocPart,
			Replace: []string{"Location", "RestApiId"}},
		// Ref is the version's name.
		"AWS::ApiGateway::DocumentationVersion": {Create: s.cfnCreateDocVersion, Update: s.cfnUpdateDocVersion, Delete: s.cfnDeleteDocVersion,
			Replace: []string{"DocumentationVersion", "RestApiId"}},
		// Ref is a generated id; the account's settings outlive the
		// resource, as on AWS.
		"AWS::ApiGateway::Account": {Create: s.cfnPutAccount, Update: s.cfnPutAccount,
			Delete: func(*request.Context, kit.ResourceRequest) error { return nil }},
	}
}

func cfnID(r kit.ResourceRequest) string {
	if r.PhysicalID != "" {
		return r.PhysicalID
	}
	return kit.PhysicalName(r, 128)
}

func cfnDel(err error) error {
	if cfnGone(err) {
		return nil
	}
	return err
}

// cfnChanged appends a replace of path when prop changed between old
// and new properties.
func cfnChanged(ops []apigatewayapi.PatchOperation, r kit.ResourceRequest, prop, path string) []apigatewayapi.PatchOperation {
	if v := kit.PropStr(r.Properties, prop); v != kit.PropStr(r.OldProperties, prop) {
		ops = append(ops, cfnPatch("replace", path, v))
	}
	return ops
}

func (s *APIGateway) cfnCreateModel(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		// Model names are alphanumeric.
		name = "Model" + newID()
	}
	ct := r.Str("ContentType")
	if ct == "" {
		ct = "application/json"
	}
	m, err := s.CreateModel(ctx, &apigatewayapi.CreateModelRequest{RestApiId: cfnStr(r.Str("RestApiId")), Name: &name,
		Description: cfnStr(r.Str("Description")), Schema: cfnStr(kit.PropJSON(r.Properties, "Schema")), ContentType: &ct})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *m.Name}, nil
}

func (s *APIGateway) cfnUpdateModel(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var ops []apigatewayapi.PatchOperation
	if v := kit.PropJSON(r.Properties, "Schema"); v != kit.PropJSON(r.OldProperties, "Schema") {
		ops = append(ops, cfnPatch("replace", "/schema", v))
	}
	ops = cfnChanged(ops, r, "Description", "/description")
	if len(ops) > 0 {
		if _, err := s.UpdateModel(ctx, &apigatewayapi.UpdateModelRequest{RestApiId: cfnStr(r.Str("RestApiId")), ModelName: &r.PhysicalID,
			PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *APIGateway) cfnDeleteModel(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteModel(ctx, &apigatewayapi.DeleteModelRequest{RestApiId: cfnStr(r.Str("RestApiId")), ModelName: &r.PhysicalID})
	return cfnDel(err)
}

func (s *APIGateway) cfnCreateValidator(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		name = kit.PhysicalName(r, 128)
	}
	v, err := s.CreateRequestValidator(ctx, &apigatewayapi.CreateRequestValidatorRequest{RestApiId: cfnStr(r.Str("RestApiId")), Name: &name,
		ValidateRequestBody: cfnBool(r.Properties, "ValidateRequestBody"), ValidateRequestParameters: cfnBool(r.Properties, "ValidateRequestParameters")})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *v.Id, Attributes: map[string]any{"RequestValidatorId": *v.Id}}, nil
}

func (s *APIGateway) cfnUpdateValidator(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var ops []apigatewayapi.PatchOperation
	for prop, path := range map[string]string{"ValidateRequestBody": "/validateRequestBody", "ValidateRequestParameters": "/validateRequestParameters"} {
		if nv := kit.PropBool(r.Properties, prop); nv != kit.PropBool(r.OldProperties, prop) {
			ops = append(ops, cfnPatch("replace", path, kit.PropStr(map[string]any{"v": nv}, "v")))
		}
	}
	if len(ops) > 0 {
		if _, err := s.UpdateRequestValidator(ctx, &apigatewayapi.UpdateRequestValidatorRequest{RestApiId: cfnStr(r.Str("RestApiId")),
			RequestValidatorId: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"RequestValidatorId": r.PhysicalID}}, nil
}

func (s *APIGateway) cfnDeleteValidator(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteRequestValidator(ctx, &apigatewayapi.DeleteRequestValidatorRequest{RestApiId: cfnStr(r.Str("RestApiId")), RequestValidatorId: &r.PhysicalID})
	return cfnDel(err)
}

// cfnPutGatewayResponse puts the whole response (PutGatewayResponse
// replaces it), so an update is the same call.
func (s *APIGateway) cfnPutGatewayResponse(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.PutGatewayResponse(ctx, &apigatewayapi.PutGatewayResponseRequest{RestApiId: cfnStr(r.Str("RestApiId")),
		ResponseType: cfnStr(r.Str("ResponseType")), StatusCode: cfnStr(r.Str("StatusCode")),
		ResponseParameters: cfnStringMap(r.Properties, "ResponseParameters"), ResponseTemplates: cfnStringMap(r.Properties, "ResponseTemplates")}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: cfnID(r)}, nil
}

func (s *APIGateway) cfnDeleteGatewayResponse(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteGatewayResponse(ctx, &apigatewayapi.DeleteGatewayResponseRequest{RestApiId: cfnStr(r.Str("RestApiId")),
		ResponseType: cfnStr(r.Str("ResponseType"))})
	return cfnDel(err)
}

func domainNameResult(d *apigatewayapi.DomainName) kit.ResourceResult {
	attrs := map[string]any{}
	for k, v := range map[string]*string{"DistributionDomainName": d.DistributionDomainName, "DistributionHostedZoneId": d.DistributionHostedZoneId,
		"RegionalDomainName": d.RegionalDomainName, "RegionalHostedZoneId": d.RegionalHostedZoneId} {
		if v != nil {
			attrs[k] = *v
		}
	}
	return kit.ResourceResult{PhysicalID: *d.DomainName, Attributes: attrs}
}

func (s *APIGateway) cfnCreateDomainName(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	p := r.Properties
	in := &apigatewayapi.CreateDomainNameRequest{DomainName: cfnStr(r.Str("DomainName")), CertificateArn: cfnStr(r.Str("CertificateArn")),
		RegionalCertificateArn: cfnStr(r.Str("RegionalCertificateArn")), SecurityPolicy: cfnStr(r.Str("SecurityPolicy")),
		OwnershipVerificationCertificateArn: cfnStr(r.Str("OwnershipVerificationCertificateArn"))}
	if ec := kit.PropMap(p, "EndpointConfiguration"); ec != nil {
		in.EndpointConfiguration = &apigatewayapi.EndpointConfiguration{Types: kit.PropList(ec, "Types")}
	}
	if m := kit.PropMap(p, "MutualTlsAuthentication"); m != nil {
		in.MutualTlsAuthentication = &apigatewayapi.MutualTlsAuthenticationInput{TruststoreUri: cfnStr(kit.PropStr(m, "TruststoreUri")),
			TruststoreVersion: cfnStr(kit.PropStr(m, "TruststoreVersion"))}
	}
	if tags := kit.PropTags(p); len(tags) > 0 {
		in.Tags = tags
	}
	d, err := s.CreateDomainName(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return domainNameResult(d), nil
}

func (s *APIGateway) cfnUpdateDomainName(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	for _, prop := range []string{"EndpointConfiguration", "MutualTlsAuthentication"} {
		if kit.PropJSON(r.Properties, prop) != kit.PropJSON(r.OldProperties, prop) {
			// AWS changes them in place; niwa's UpdateDomainName does not.
			return kit.ResourceResult{}, apigatewayapi.ErrBadRequestException.New("niwa does not change a domain name's %s in place: replace it (another DomainName)", prop)
		}
	}
	var ops []apigatewayapi.PatchOperation
	ops = cfnChanged(ops, r, "CertificateArn", "/certificateArn")
	ops = cfnChanged(ops, r, "RegionalCertificateArn", "/regionalCertificateArn")
	if v := r.Str("SecurityPolicy"); v != kit.PropStr(r.OldProperties, "SecurityPolicy") && v != "" {
		ops = append(ops, cfnPatch("replace", "/securityPolicy", v))
	}
	var d *apigatewayapi.DomainName
	var err error
	if len(ops) > 0 {
		d, err = s.UpdateDomainName(ctx, &apigatewayapi.UpdateDomainNameRequest{DomainName: &r.PhysicalID, PatchOperations: ops})
	} else {
		d, err = s.GetDomainName(ctx, &apigatewayapi.GetDomainNameRequest{DomainName: &r.PhysicalID})
	}
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return domainNameResult(d), nil
}

func (s *APIGateway) cfnDeleteDomainName(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDomainName(ctx, &apigatewayapi.DeleteDomainNameRequest{DomainName: &r.PhysicalID})
	return cfnDel(err)
}

// basePathOf is the mapping's base path as the API names it ("(none)"
// for the empty one).
func basePathOf(props map[string]any) string {
	if b := kit.PropStr(props, "BasePath"); b != "" {
		return b
	}
	return "(none)"
}

func (s *APIGateway) cfnCreateBasePathMapping(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.CreateBasePathMapping(ctx, &apigatewayapi.CreateBasePathMappingRequest{DomainName: cfnStr(r.Str("DomainName")),
		BasePath: cfnStr(r.Str("BasePath")), RestApiId: cfnStr(r.Str("RestApiId")), Stage: cfnStr(r.Str("Stage"))}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: cfnID(r)}, nil
}

func (s *APIGateway) cfnUpdateBasePathMapping(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var ops []apigatewayapi.PatchOperation
	ops = cfnChanged(ops, r, "RestApiId", "/restapiId")
	ops = cfnChanged(ops, r, "Stage", "/stage")
	if nb := basePathOf(r.Properties); nb != basePathOf(r.OldProperties) {
		ops = append(ops, cfnPatch("replace", "/basePath", kit.PropStr(r.Properties, "BasePath")))
	}
	if len(ops) > 0 {
		old := basePathOf(r.OldProperties)
		if _, err := s.UpdateBasePathMapping(ctx, &apigatewayapi.UpdateBasePathMappingRequest{DomainName: cfnStr(r.Str("DomainName")),
			BasePath: &old, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *APIGateway) cfnDeleteBasePathMapping(ctx *request.Context, r kit.ResourceRequest) error {
	bp := basePathOf(r.Properties)
	_, err := s.DeleteBasePathMapping(ctx, &apigatewayapi.DeleteBasePathMappingRequest{DomainName: cfnStr(r.Str("DomainName")), BasePath: &bp})
	return cfnDel(err)
}

func (s *APIGateway) cfnCreateClientCertificate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &apigatewayapi.GenerateClientCertificateRequest{Description: cfnStr(r.Str("Description"))}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		in.Tags = tags
	}
	c, err := s.GenerateClientCertificate(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *c.ClientCertificateId, Attributes: map[string]any{"ClientCertificateId": *c.ClientCertificateId}}, nil
}

func (s *APIGateway) cfnUpdateClientCertificate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if ops := cfnChanged(nil, r, "Description", "/description"); len(ops) > 0 {
		if _, err := s.UpdateClientCertificate(ctx, &apigatewayapi.UpdateClientCertificateRequest{ClientCertificateId: &r.PhysicalID,
			PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"ClientCertificateId": r.PhysicalID}}, nil
}

func (s *APIGateway) cfnDeleteClientCertificate(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteClientCertificate(ctx, &apigatewayapi.DeleteClientCertificateRequest{ClientCertificateId: &r.PhysicalID})
	return cfnDel(err)
}

func (s *APIGateway) cfnCreateVpcLink(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &apigatewayapi.CreateVpcLinkRequest{Name: cfnStr(r.Str("Name")), Description: cfnStr(r.Str("Description")),
		TargetArns: kit.PropList(r.Properties, "TargetArns")}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		in.Tags = tags
	}
	l, err := s.CreateVpcLink(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *l.Id, Attributes: map[string]any{"VpcLinkId": *l.Id}}, nil
}

func (s *APIGateway) cfnUpdateVpcLink(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	ops := cfnChanged(cfnChanged(nil, r, "Name", "/name"), r, "Description", "/description")
	if len(ops) > 0 {
		if _, err := s.UpdateVpcLink(ctx, &apigatewayapi.UpdateVpcLinkRequest{VpcLinkId: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"VpcLinkId": r.PhysicalID}}, nil
}

func (s *APIGateway) cfnDeleteVpcLink(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteVpcLink(ctx, &apigatewayapi.DeleteVpcLinkRequest{VpcLinkId: &r.PhysicalID})
	return cfnDel(err)
}

func (s *APIGateway) cfnCreateDocPart(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	loc := kit.PropMap(r.Properties, "Location")
	in := &apigatewayapi.CreateDocumentationPartRequest{RestApiId: cfnStr(r.Str("RestApiId")), Properties: cfnStr(r.Str("Properties")),
		Location: &apigatewayapi.DocumentationPartLocation{Type: cfnStr(kit.PropStr(loc, "Type")), Path: cfnStr(kit.PropStr(loc, "Path")),
			Method: cfnStr(kit.PropStr(loc, "Method")), StatusCode: cfnStr(kit.PropStr(loc, "StatusCode")), Name: cfnStr(kit.PropStr(loc, "Name"))}}
	d, err := s.CreateDocumentationPart(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *d.Id, Attributes: map[string]any{"DocumentationPartId": *d.Id}}, nil
}

func (s *APIGateway) cfnUpdateDocPart(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if ops := cfnChanged(nil, r, "Properties", "/properties"); len(ops) > 0 {
		if _, err := s.UpdateDocumentationPart(ctx, &apigatewayapi.UpdateDocumentationPartRequest{RestApiId: cfnStr(r.Str("RestApiId")),
			DocumentationPartId: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"DocumentationPartId": r.PhysicalID}}, nil
}

func (s *APIGateway) cfnDeleteDocPart(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDocumentationPart(ctx, &apigatewayapi.DeleteDocumentationPartRequest{RestApiId: cfnStr(r.Str("RestApiId")), DocumentationPartId: &r.PhysicalID})
	return cfnDel(err)
}

func (s *APIGateway) cfnCreateDocVersion(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	v, err := s.CreateDocumentationVersion(ctx, &apigatewayapi.CreateDocumentationVersionRequest{RestApiId: cfnStr(r.Str("RestApiId")),
		DocumentationVersion: cfnStr(r.Str("DocumentationVersion")), Description: cfnStr(r.Str("Description"))})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *v.Version}, nil
}

func (s *APIGateway) cfnUpdateDocVersion(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if ops := cfnChanged(nil, r, "Description", "/description"); len(ops) > 0 {
		if _, err := s.UpdateDocumentationVersion(ctx, &apigatewayapi.UpdateDocumentationVersionRequest{RestApiId: cfnStr(r.Str("RestApiId")),
			DocumentationVersion: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *APIGateway) cfnDeleteDocVersion(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteDocumentationVersion(ctx, &apigatewayapi.DeleteDocumentationVersionRequest{RestApiId: cfnStr(r.Str("RestApiId")),
		DocumentationVersion: &r.PhysicalID})
	return cfnDel(err)
}

func (s *APIGateway) cfnPutAccount(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if _, err := s.UpdateAccount(ctx, &apigatewayapi.UpdateAccountRequest{PatchOperations: []apigatewayapi.PatchOperation{
		cfnPatch("replace", "/cloudwatchRoleArn", r.Str("CloudWatchRoleArn"))}}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: cfnID(r)}, nil
}

// cfnListDiff patches path with add/remove for the values of new not in
// old and of old not in new.
func cfnListDiff(ops []apigatewayapi.PatchOperation, path string, newer, older []string) []apigatewayapi.PatchOperation {
	for _, v := range newer {
		if !slices.Contains(older, v) {
			ops = append(ops, cfnPatch("add", path, v))
		}
	}
	for _, v := range older {
		if !slices.Contains(newer, v) {
			ops = append(ops, cfnPatch("remove", path, v))
		}
	}
	return ops
}

func cfnStageKeys(props map[string]any) []string {
	var out []string
	for _, sk := range cfnMaps(props, "StageKeys") {
		out = append(out, kit.PropStr(sk, "RestApiId")+"/"+kit.PropStr(sk, "StageName"))
	}
	return out
}

// cfnUpdateAPIKey changes a key's description, enabled state, customer
// id and stages in place (Name, Value and GenerateDistinctId replace it).
func (s *APIGateway) cfnUpdateAPIKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	ops := cfnChanged(nil, r, "Description", "/description")
	ops = cfnChanged(ops, r, "CustomerId", "/customerId")
	if nv := kit.PropStr(r.Properties, "Enabled") == "true"; nv != (kit.PropStr(r.OldProperties, "Enabled") == "true") {
		ops = append(ops, cfnPatch("replace", "/enabled", kit.PropStr(map[string]any{"v": nv}, "v")))
	}
	ops = cfnListDiff(ops, "/stages", cfnStageKeys(r.Properties), cfnStageKeys(r.OldProperties))
	if len(ops) > 0 {
		if _, err := s.UpdateApiKey(ctx, &apigatewayapi.UpdateApiKeyRequest{ApiKey: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"APIKeyId": r.PhysicalID}}, nil
}

func cfnAPIStages(props map[string]any) []string {
	var out []string
	for _, st := range cfnMaps(props, "ApiStages") {
		out = append(out, kit.PropStr(st, "ApiId")+":"+kit.PropStr(st, "Stage"))
	}
	return out
}

// cfnUpdateUsagePlan changes a plan's name, description, throttle, quota
// and API stages in place, as AWS does.
func (s *APIGateway) cfnUpdateUsagePlan(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var ops []apigatewayapi.PatchOperation
	if n := r.Str("UsagePlanName"); n != "" {
		ops = cfnChanged(ops, r, "UsagePlanName", "/name")
	}
	ops = cfnChanged(ops, r, "Description", "/description")
	for prop, fields := range map[string][][2]string{
		"Throttle": {{"RateLimit", "/throttle/rateLimit"}, {"BurstLimit", "/throttle/burstLimit"}},
		"Quota":    {{"Limit", "/quota/limit"}, {"Period", "/quota/period"}, {"Offset", "/quota/offset"}},
	} {
		nm, om := kit.PropMap(r.Properties, prop), kit.PropMap(r.OldProperties, prop)
		if nm == nil {
			if om != nil {
				op, path := "remove", "/"+strings.ToLower(prop)
				ops = append(ops, apigatewayapi.PatchOperation{Op: &op, Path: &path})
			}
			continue
		}
		for _, f := range fields {
			if v := kit.PropStr(nm, f[0]); v != "" && (om == nil || v != kit.PropStr(om, f[0])) {
				ops = append(ops, cfnPatch("replace", f[1], v))
			}
		}
	}
	ops = cfnListDiff(ops, "/apiStages", cfnAPIStages(r.Properties), cfnAPIStages(r.OldProperties))
	if len(ops) > 0 {
		if _, err := s.UpdateUsagePlan(ctx, &apigatewayapi.UpdateUsagePlanRequest{UsagePlanId: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"Id": r.PhysicalID}}, nil
}

// cfnUpdateAuthorizer changes an authorizer in place (only RestApiId
// replaces it).
func (s *APIGateway) cfnUpdateAuthorizer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var ops []apigatewayapi.PatchOperation
	for prop, path := range map[string]string{"Name": "/name", "Type": "/type", "AuthorizerUri": "/authorizerUri",
		"AuthorizerCredentials": "/authorizerCredentials", "IdentitySource": "/identitySource",
		"IdentityValidationExpression": "/identityValidationExpression", "AuthorizerResultTtlInSeconds": "/authorizerResultTtlInSeconds",
		"AuthType": "/authType"} {
		ops = cfnChanged(ops, r, prop, path)
	}
	if len(ops) > 0 {
		if _, err := s.UpdateAuthorizer(ctx, &apigatewayapi.UpdateAuthorizerRequest{RestApiId: cfnStr(r.Str("RestApiId")),
			AuthorizerId: &r.PhysicalID, PatchOperations: ops}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: map[string]any{"AuthorizerId": r.PhysicalID}}, nil
}
