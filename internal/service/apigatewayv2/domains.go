package apigatewayv2

import (
	"maps"
	"sort"
	"strings"

	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// domainRecord is a custom domain name and its API mappings.
type domainRecord struct {
	Domain   apigatewayv2api.DomainName
	Mappings map[string]apigatewayv2api.ApiMapping
}

// domainIndex maps a domain name to its account and region, for the
// data plane.
var domainIndex = storage.NewTable[location]("domainindex")

var (
	domainNameRE = lazyre.New(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	acmARN       = lazyre.New(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$`)
	mappingKeyRE = lazyre.New(`^$|^[A-Za-z0-9._~\-]+(/[A-Za-z0-9._~\-]+)*$`)
)

func (s *APIGatewayV2) CreateDomainName(ctx *request.Context, in *apigatewayv2api.CreateDomainNameRequest) (*apigatewayv2api.CreateDomainNameResponse, error) {
	name := strings.ToLower(ptr.Deref(in.DomainName))
	if !domainNameRE.MatchString(name) {
		return nil, badRequest("Invalid domain name identifier specified")
	}
	if in.MutualTlsAuthentication != nil {
		return nil, badRequest("Mutual TLS authentication is not supported by niwa: it has no truststore to verify client certificates against")
	}
	if len(in.DomainNameConfigurations) > 1 {
		return nil, badRequest("Only one domain name configuration is supported")
	}
	cfgs := append([]apigatewayv2api.DomainNameConfiguration(nil), in.DomainNameConfigurations...)
	if len(cfgs) == 0 {
		cfgs = []apigatewayv2api.DomainNameConfiguration{{}}
	}
	for i := range cfgs {
		c := &cfgs[i]
		if !acmARN.MatchString(ptr.Deref(c.CertificateArn)) {
			return nil, badRequest("Certificate ARN is required and must be an ACM certificate ARN")
		}
		if t := ptr.Deref(c.EndpointType); t != "" && t != "REGIONAL" {
			return nil, badRequest("Only REGIONAL endpoints are supported for this API")
		}
		c.EndpointType = ptr.To("REGIONAL")
		c.ApiGatewayDomainName = ptr.To("d-" + newID(10) + ".execute-api." + ctx.Region + ".amazonaws.com")
		c.HostedZoneId = ptr.To("Z1UJRXOUMOOFQ8")
		c.DomainNameStatus = ptr.To("AVAILABLE")
		if c.SecurityPolicy == nil {
			c.SecurityPolicy = ptr.To("TLS_1_2")
		}
	}
	d := domainRecord{Domain: apigatewayv2api.DomainName{DomainName: &name, DomainNameConfigurations: cfgs,
		ApiMappingSelectionExpression: ptr.To("$request.basepath"), Tags: in.Tags},
		Mappings: map[string]apigatewayv2api.ApiMapping{}}
	if d.Domain.Tags == nil {
		d.Domain.Tags = map[string]string{}
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, taken, err := domainIndex.Get(tx, storage.Scope{}, name); err != nil || taken {
			if err != nil {
				return err
			}
			return conflict("The domain name you provided already exists.")
		}
		if err := domains.Put(tx, scope(ctx), d, name); err != nil {
			return err
		}
		return domainIndex.Put(tx, storage.Scope{}, location{Account: ctx.Account, Region: ctx.Region}, name)
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateDomainNameResponse](d.Domain), nil
}

func (s *APIGatewayV2) domain(tx storage.Tx, ctx *request.Context, name string) (domainRecord, error) {
	d, ok, err := domains.Get(tx, scope(ctx), strings.ToLower(name))
	if err != nil {
		return d, err
	}
	if !ok {
		return d, apigatewayv2api.ErrNotFoundException.New("Invalid domain name identifier specified")
	}
	if d.Mappings == nil {
		d.Mappings = map[string]apigatewayv2api.ApiMapping{}
	}
	return d, nil
}

func (s *APIGatewayV2) updateDomain(ctx *request.Context, name string, fn func(d *domainRecord) error) error {
	return s.store.Update(func(tx storage.Tx) error {
		d, err := s.domain(tx, ctx, name)
		if err != nil {
			return err
		}
		if err := fn(&d); err != nil {
			return err
		}
		return domains.Put(tx, scope(ctx), d, strings.ToLower(name))
	})
}

func (s *APIGatewayV2) viewDomain(ctx *request.Context, name string) (domainRecord, error) {
	var d domainRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		d, err = s.domain(tx, ctx, name)
		return err
	})
	return d, err
}

func (s *APIGatewayV2) GetDomainName(ctx *request.Context, in *apigatewayv2api.GetDomainNameRequest) (*apigatewayv2api.GetDomainNameResponse, error) {
	d, err := s.viewDomain(ctx, ptr.Deref(in.DomainName))
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.GetDomainNameResponse](d.Domain), nil
}

func (s *APIGatewayV2) GetDomainNames(ctx *request.Context, in *apigatewayv2api.GetDomainNamesRequest) (*apigatewayv2api.GetDomainNamesResponse, error) {
	items, next, err := listRecords(s, ctx, domains, func(d domainRecord) apigatewayv2api.DomainName { return d.Domain }, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetDomainNamesResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateDomainName(ctx *request.Context, in *apigatewayv2api.UpdateDomainNameRequest) (*apigatewayv2api.UpdateDomainNameResponse, error) {
	var out apigatewayv2api.DomainName
	err := s.updateDomain(ctx, ptr.Deref(in.DomainName), func(d *domainRecord) error {
		if in.MutualTlsAuthentication != nil {
			return badRequest("Mutual TLS authentication is not supported by niwa: it has no truststore to verify client certificates against")
		}
		for i, c := range in.DomainNameConfigurations {
			if i >= len(d.Domain.DomainNameConfigurations) {
				return badRequest("Only one domain name configuration is supported")
			}
			cur := &d.Domain.DomainNameConfigurations[i]
			if c.CertificateArn != nil {
				if !acmARN.MatchString(*c.CertificateArn) {
					return badRequest("Certificate ARN must be an ACM certificate ARN")
				}
				cur.CertificateArn = c.CertificateArn
			}
			if c.SecurityPolicy != nil {
				cur.SecurityPolicy = c.SecurityPolicy
			}
		}
		out = d.Domain
		return nil
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateDomainNameResponse](out), nil
}

func (s *APIGatewayV2) DeleteDomainName(ctx *request.Context, in *apigatewayv2api.DeleteDomainNameRequest) (*apigatewayv2api.DeleteDomainNameOutput, error) {
	name := strings.ToLower(ptr.Deref(in.DomainName))
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := s.domain(tx, ctx, name); err != nil {
			return err
		}
		if err := domains.Delete(tx, scope(ctx), name); err != nil {
			return err
		}
		return domainIndex.Delete(tx, storage.Scope{}, name)
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteDomainNameOutput{}, nil
}

// checkMapping refuses a mapping to an API or stage that does not exist,
// or whose key another mapping of the domain has.
func (s *APIGatewayV2) checkMapping(tx storage.Tx, ctx *request.Context, d *domainRecord, m apigatewayv2api.ApiMapping) error {
	a, err := s.load(tx, ctx, ptr.Deref(m.ApiId))
	if err != nil {
		return err
	}
	if _, ok := a.Stages[ptr.Deref(m.Stage)]; !ok {
		return badRequest("Invalid stage identifier specified")
	}
	key := ptr.Deref(m.ApiMappingKey)
	if !mappingKeyRE.MatchString(key) {
		return badRequest("Invalid API mapping key: %s", key)
	}
	for id, other := range d.Mappings {
		if id != ptr.Deref(m.ApiMappingId) && ptr.Deref(other.ApiMappingKey) == key {
			return conflict("ApiMapping with key %q already exists for domain %s", key, ptr.Deref(d.Domain.DomainName))
		}
	}
	return nil
}

func (s *APIGatewayV2) CreateApiMapping(ctx *request.Context, in *apigatewayv2api.CreateApiMappingRequest) (*apigatewayv2api.CreateApiMappingResponse, error) {
	m := apigatewayv2api.ApiMapping{ApiId: in.ApiId, Stage: in.Stage, ApiMappingKey: in.ApiMappingKey, ApiMappingId: ptr.To(newID(6))}
	if m.ApiMappingKey == nil {
		m.ApiMappingKey = ptr.To("")
	}
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.domain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		if err := s.checkMapping(tx, ctx, &d, m); err != nil {
			return err
		}
		d.Mappings[*m.ApiMappingId] = m
		return domains.Put(tx, scope(ctx), d, strings.ToLower(ptr.Deref(in.DomainName)))
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.CreateApiMappingResponse](m), nil
}

func (s *APIGatewayV2) GetApiMapping(ctx *request.Context, in *apigatewayv2api.GetApiMappingRequest) (*apigatewayv2api.GetApiMappingResponse, error) {
	d, err := s.viewDomain(ctx, ptr.Deref(in.DomainName))
	if err != nil {
		return nil, err
	}
	m, ok := d.Mappings[ptr.Deref(in.ApiMappingId)]
	if !ok {
		return nil, apigatewayv2api.ErrNotFoundException.New("Invalid API mapping identifier specified")
	}
	return convert[apigatewayv2api.GetApiMappingResponse](m), nil
}

func (s *APIGatewayV2) GetApiMappings(ctx *request.Context, in *apigatewayv2api.GetApiMappingsRequest) (*apigatewayv2api.GetApiMappingsResponse, error) {
	d, err := s.viewDomain(ctx, ptr.Deref(in.DomainName))
	if err != nil {
		return nil, err
	}
	items, next, err := page(sortedValues(d.Mappings), in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetApiMappingsResponse{Items: items, NextToken: next}, nil
}

func (s *APIGatewayV2) UpdateApiMapping(ctx *request.Context, in *apigatewayv2api.UpdateApiMappingRequest) (*apigatewayv2api.UpdateApiMappingResponse, error) {
	var out apigatewayv2api.ApiMapping
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.domain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		m, ok := d.Mappings[ptr.Deref(in.ApiMappingId)]
		if !ok {
			return apigatewayv2api.ErrNotFoundException.New("Invalid API mapping identifier specified")
		}
		fill(&m, in)
		if err := s.checkMapping(tx, ctx, &d, m); err != nil {
			return err
		}
		d.Mappings[*m.ApiMappingId] = m
		out = m
		return domains.Put(tx, scope(ctx), d, strings.ToLower(ptr.Deref(in.DomainName)))
	})
	if err != nil {
		return nil, err
	}
	return convert[apigatewayv2api.UpdateApiMappingResponse](out), nil
}

func (s *APIGatewayV2) DeleteApiMapping(ctx *request.Context, in *apigatewayv2api.DeleteApiMappingRequest) (*apigatewayv2api.DeleteApiMappingOutput, error) {
	err := s.updateDomain(ctx, ptr.Deref(in.DomainName), func(d *domainRecord) error {
		if _, ok := d.Mappings[ptr.Deref(in.ApiMappingId)]; !ok {
			return apigatewayv2api.ErrNotFoundException.New("Invalid API mapping identifier specified")
		}
		delete(d.Mappings, ptr.Deref(in.ApiMappingId))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.DeleteApiMappingOutput{}, nil
}

// mappingFor picks the mapping of a domain for a path: the longest key
// that is a whole-segment prefix of the path ("" takes every path). It
// returns the API, stage and the path that remains.
func mappingFor(d domainRecord, path string) (apigatewayv2api.ApiMapping, string, bool) {
	ms := sortedValues(d.Mappings)
	sort.SliceStable(ms, func(i, j int) bool {
		return len(ptr.Deref(ms[i].ApiMappingKey)) > len(ptr.Deref(ms[j].ApiMappingKey))
	})
	for _, m := range ms {
		key := ptr.Deref(m.ApiMappingKey)
		if key == "" {
			return m, path, true
		}
		if rest, ok := strings.CutPrefix(path, "/"+key); ok && (rest == "" || rest[0] == '/') {
			if rest == "" {
				rest = "/"
			}
			return m, rest, true
		}
	}
	return apigatewayv2api.ApiMapping{}, "", false
}

// Tags: APIs, stages and domain names carry them, named by ARN
// (arn:aws:apigateway:<region>::/apis/<id>[/stages/<name>] or
// ::/domainnames/<name>).

// withTags reads and optionally changes the tags of the resource an ARN
// names.
func (s *APIGatewayV2) withTags(ctx *request.Context, arn string, write bool, fn func(map[string]string) (map[string]string, error)) error {
	prefix := "arn:aws:apigateway:" + ctx.Region + "::"
	path, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return apigatewayv2api.ErrNotFoundException.New("Invalid resource ARN specified: %s", arn)
	}
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	update := func(tags map[string]string) (map[string]string, error) {
		out, err := fn(maps.Clone(tags))
		if err != nil {
			return nil, err
		}
		if len(out) > maxTags {
			return nil, badRequest("Too many tags: a resource can have at most %d tags", maxTags)
		}
		return out, nil
	}
	switch {
	case len(parts) == 2 && parts[0] == "apis":
		return s.tagAPI(ctx, parts[1], "", write, update)
	case len(parts) == 4 && parts[0] == "apis" && parts[2] == "stages":
		return s.tagAPI(ctx, parts[1], parts[3], write, update)
	case len(parts) == 2 && parts[0] == "domainnames":
		if !write {
			d, err := s.viewDomain(ctx, parts[1])
			if err != nil {
				return err
			}
			_, err = update(d.Domain.Tags)
			return err
		}
		return s.updateDomain(ctx, parts[1], func(d *domainRecord) error {
			tags, err := update(d.Domain.Tags)
			d.Domain.Tags = tags
			return err
		})
	}
	return apigatewayv2api.ErrNotFoundException.New("Invalid resource ARN specified: %s", arn)
}

func (s *APIGatewayV2) tagAPI(ctx *request.Context, id, stage string, write bool, update func(map[string]string) (map[string]string, error)) error {
	apply := func(a *httpAPI) error {
		if stage == "" {
			tags, err := update(a.Api.Tags)
			a.Api.Tags = tags
			return err
		}
		st, ok := a.Stages[stage]
		if !ok {
			return notFound("Stage", stage, ctx)
		}
		tags, err := update(st.Tags)
		st.Tags = tags
		a.Stages[stage] = st
		return err
	}
	if !write {
		a, err := s.view(ctx, id)
		if err != nil {
			return err
		}
		return apply(&a)
	}
	return s.update(ctx, id, false, apply)
}

func (s *APIGatewayV2) TagResource(ctx *request.Context, in *apigatewayv2api.TagResourceRequest) (*apigatewayv2api.TagResourceResponse, error) {
	err := s.withTags(ctx, ptr.Deref(in.ResourceArn), true, func(tags map[string]string) (map[string]string, error) {
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, in.Tags)
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.TagResourceResponse{}, nil
}

func (s *APIGatewayV2) UntagResource(ctx *request.Context, in *apigatewayv2api.UntagResourceRequest) (*apigatewayv2api.UntagResourceOutput, error) {
	err := s.withTags(ctx, ptr.Deref(in.ResourceArn), true, func(tags map[string]string) (map[string]string, error) {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.UntagResourceOutput{}, nil
}

func (s *APIGatewayV2) GetTags(ctx *request.Context, in *apigatewayv2api.GetTagsRequest) (*apigatewayv2api.GetTagsResponse, error) {
	out, err := s.readTags(ctx, ptr.Deref(in.ResourceArn))
	if err != nil {
		return nil, err
	}
	return &apigatewayv2api.GetTagsResponse{Tags: out}, nil
}

// readTags is a copy of the tags of the resource an ARN names.
func (s *APIGatewayV2) readTags(ctx *request.Context, arn string) (map[string]string, error) {
	out := map[string]string{}
	err := s.withTags(ctx, arn, false, func(tags map[string]string) (map[string]string, error) {
		maps.Copy(out, tags)
		return tags, nil
	})
	return out, err
}

// resourceTags answers aws:ResourceTag/<key> for an ARN.
func (s *APIGatewayV2) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	out, err := s.readTags(ctx, arn)
	if err != nil {
		if isNotFound(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return out, true, nil
}
