package apigateway

import (
	"net"
	"net/http"
	"sort"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/hostname"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Custom domain names and base path mappings. A request whose Host is a
// custom domain name is an invoke: its first path segment selects the
// base path mapping (or the "(none)" mapping takes the whole path), which
// names the API and stage. niwa checks the certificate ARN's form but
// not that ACM holds it (services do not call each other); TLS for the
// name is what niwa's HTTPS listener serves.

// domainRecord is a domain name with its base path mappings.
type domainRecord struct {
	Domain   apigatewayapi.DomainName
	Mappings map[string]apigatewayapi.BasePathMapping
}

var (
	domains = storage.NewTable[domainRecord]("domains")
	// hosts maps a domain name to its account and region, outside any
	// account, for routing.
	hosts = storage.NewTable[location]("hosts")
)

const noBasePath = "(none)"

var (
	domainRE   = lazyre.New(`^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$`)
	basePathRE = lazyre.New(`^[a-zA-Z0-9$\-_.+!*'()]+$`)
	certARNRE  = lazyre.New(`^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate/[A-Za-z0-9-]+$`)
)

func errNoDomain() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid domain name identifier specified")
}

func (s *APIGateway) CreateDomainName(ctx *request.Context, in *apigatewayapi.CreateDomainNameRequest) (*apigatewayapi.DomainName, error) {
	name := strings.ToLower(ptr.Deref(in.DomainName))
	if !domainRE.MatchString(name) || len(name) > 253 {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid domain name specified: %s", ptr.Deref(in.DomainName))
	}
	types := []string{"EDGE"}
	if in.EndpointConfiguration != nil && len(in.EndpointConfiguration.Types) > 0 {
		types = in.EndpointConfiguration.Types
	}
	regional := types[0] == "REGIONAL"
	arn := ptr.Deref(in.CertificateArn)
	if regional {
		arn = ptr.Deref(in.RegionalCertificateArn)
	}
	if in.CertificateBody != nil {
		return nil, apigatewayapi.ErrBadRequestException.New("niwa takes certificates from ACM only: pass certificateArn (EDGE) or regionalCertificateArn (REGIONAL)")
	}
	if !certARNRE.MatchString(arn) {
		return nil, apigatewayapi.ErrBadRequestException.New("A valid certificate ARN is required: %s for a %s domain name", map[bool]string{true: "regionalCertificateArn", false: "certificateArn"}[regional], types[0])
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	d := apigatewayapi.DomainName{DomainName: &name, EndpointConfiguration: &apigatewayapi.EndpointConfiguration{Types: types},
		DomainNameStatus: ptr.To("AVAILABLE"), SecurityPolicy: ptr.To(ptr.Deref(in.SecurityPolicy)), Tags: in.Tags}
	if *d.SecurityPolicy == "" {
		d.SecurityPolicy = ptr.To("TLS_1_2")
	}
	if regional {
		d.RegionalCertificateArn, d.RegionalCertificateName = &arn, in.RegionalCertificateName
		d.RegionalDomainName = ptr.To("d-" + awsid.String("abcdefghijklmnopqrstuvwxyz0123456789", 10) + ".execute-api." + ctx.Region + ".amazonaws.com")
		d.RegionalHostedZoneId = ptr.To("Z1UJRXOUMOOFQ8")
	} else {
		d.CertificateArn, d.CertificateName, d.CertificateUploadDate = &arn, in.CertificateName, &now
		d.DistributionDomainName = ptr.To("d" + awsid.String("abcdefghijklmnopqrstuvwxyz0123456789", 13) + ".cloudfront.net")
		// CloudFront's hosted zone, which every edge domain aliases to.
		d.DistributionHostedZoneId = ptr.To("Z2FDTNDATAQYW2")
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := hosts.Get(tx, storage.Scope{}, name); err != nil {
			return err
		} else if ok {
			return apigatewayapi.ErrBadRequestException.New("The domain name you provided already exists.")
		}
		if err := hosts.Put(tx, storage.Scope{}, location{ctx.Account, ctx.Region}, name); err != nil {
			return err
		}
		return domains.Put(tx, scope(ctx), domainRecord{Domain: d}, name)
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *APIGateway) loadDomain(tx storage.Tx, ctx *request.Context, name string) (domainRecord, error) {
	d, ok, err := domains.Get(tx, scope(ctx), strings.ToLower(name))
	if err == nil && !ok {
		err = errNoDomain()
	}
	return d, err
}

func (s *APIGateway) GetDomainName(ctx *request.Context, in *apigatewayapi.GetDomainNameRequest) (*apigatewayapi.DomainName, error) {
	var d domainRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		d, err = s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &d.Domain, nil
}

func (s *APIGateway) GetDomainNames(ctx *request.Context, _ *apigatewayapi.GetDomainNamesRequest) (*apigatewayapi.DomainNames, error) {
	out := &apigatewayapi.DomainNames{Items: []apigatewayapi.DomainName{}}
	err := s.store.View(func(tx storage.Tx) error {
		return domains.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, d domainRecord) bool {
			out.Items = append(out.Items, d.Domain)
			return true
		})
	})
	return out, err
}

func (s *APIGateway) UpdateDomainName(ctx *request.Context, in *apigatewayapi.UpdateDomainNameRequest) (*apigatewayapi.DomainName, error) {
	var out apigatewayapi.DomainName
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		if err := applyPatch(&d.Domain, in.PatchOperations, patchPaths{"/certificateArn", "/certificateName", "/regionalCertificateArn", "/regionalCertificateName", "/securityPolicy"}, nil); err != nil {
			return err
		}
		for _, a := range []*string{d.Domain.CertificateArn, d.Domain.RegionalCertificateArn} {
			if a != nil && !certARNRE.MatchString(*a) {
				return apigatewayapi.ErrBadRequestException.New("Invalid certificate ARN specified: %s", *a)
			}
		}
		out = d.Domain
		return domains.Put(tx, scope(ctx), d, *d.Domain.DomainName)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteDomainName(ctx *request.Context, in *apigatewayapi.DeleteDomainNameRequest) (*apigatewayapi.DeleteDomainNameOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		if err := domains.Delete(tx, scope(ctx), *d.Domain.DomainName); err != nil {
			return err
		}
		return hosts.Delete(tx, storage.Scope{}, *d.Domain.DomainName)
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteDomainNameOutput{}, nil
}

func basePathKey(p *string) string {
	if v := ptr.Deref(p); v != "" {
		return v
	}
	return noBasePath
}

func errNoMapping() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid base path mapping identifier specified")
}

func (s *APIGateway) CreateBasePathMapping(ctx *request.Context, in *apigatewayapi.CreateBasePathMappingRequest) (*apigatewayapi.BasePathMapping, error) {
	bp := basePathKey(in.BasePath)
	if bp != noBasePath && !basePathRE.MatchString(bp) {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid base path specified: %s", bp)
	}
	m := apigatewayapi.BasePathMapping{BasePath: &bp, RestApiId: in.RestApiId, Stage: in.Stage}
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		a, err := s.load(tx, scope(ctx), ptr.Deref(in.RestApiId))
		if err != nil {
			return err
		}
		if st := ptr.Deref(in.Stage); st != "" {
			if _, ok := a.Stages[st]; !ok {
				return apigatewayapi.ErrBadRequestException.New("Invalid stage identifier specified")
			}
		}
		if _, ok := d.Mappings[bp]; ok {
			return apigatewayapi.ErrConflictException.New("Base path already exists for this domain name")
		}
		if d.Mappings == nil {
			d.Mappings = map[string]apigatewayapi.BasePathMapping{}
		}
		d.Mappings[bp] = m
		return domains.Put(tx, scope(ctx), d, *d.Domain.DomainName)
	})
	if err != nil {
		return nil, err
	}
	return &m, nil
}

func (s *APIGateway) GetBasePathMapping(ctx *request.Context, in *apigatewayapi.GetBasePathMappingRequest) (*apigatewayapi.BasePathMapping, error) {
	var out apigatewayapi.BasePathMapping
	err := s.store.View(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		m, ok := d.Mappings[basePathKey(in.BasePath)]
		if !ok {
			return errNoMapping()
		}
		out = m
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) GetBasePathMappings(ctx *request.Context, in *apigatewayapi.GetBasePathMappingsRequest) (*apigatewayapi.BasePathMappings, error) {
	out := &apigatewayapi.BasePathMappings{Items: []apigatewayapi.BasePathMapping{}}
	err := s.store.View(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		for _, m := range d.Mappings {
			out.Items = append(out.Items, m)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out.Items, func(i, j int) bool { return *out.Items[i].BasePath < *out.Items[j].BasePath })
	return out, nil
}

func (s *APIGateway) UpdateBasePathMapping(ctx *request.Context, in *apigatewayapi.UpdateBasePathMappingRequest) (*apigatewayapi.BasePathMapping, error) {
	var out apigatewayapi.BasePathMapping
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		old := basePathKey(in.BasePath)
		m, ok := d.Mappings[old]
		if !ok {
			return errNoMapping()
		}
		if err := applyPatch(&m, in.PatchOperations, patchPaths{"/basePath", "/restapiId", "/restApiId", "/stage"}, func(op, path string, value *string) (bool, error) {
			if path == "/restapiId" && op == "replace" {
				// The console and CLI docs spell it /restapiId.
				m.RestApiId = value
				return true, nil
			}
			return false, nil
		}); err != nil {
			return err
		}
		a, err := s.load(tx, scope(ctx), ptr.Deref(m.RestApiId))
		if err != nil {
			return err
		}
		if st := ptr.Deref(m.Stage); st != "" {
			if _, ok := a.Stages[st]; !ok {
				return apigatewayapi.ErrBadRequestException.New("Invalid stage identifier specified")
			}
		}
		bp := basePathKey(m.BasePath)
		if bp != noBasePath && !basePathRE.MatchString(bp) {
			return apigatewayapi.ErrBadRequestException.New("Invalid base path specified: %s", bp)
		}
		if _, taken := d.Mappings[bp]; taken && bp != old {
			return apigatewayapi.ErrConflictException.New("Base path already exists for this domain name")
		}
		m.BasePath = &bp
		delete(d.Mappings, old)
		d.Mappings[bp] = m
		out = m
		return domains.Put(tx, scope(ctx), d, *d.Domain.DomainName)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteBasePathMapping(ctx *request.Context, in *apigatewayapi.DeleteBasePathMappingRequest) (*apigatewayapi.DeleteBasePathMappingOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		d, err := s.loadDomain(tx, ctx, ptr.Deref(in.DomainName))
		if err != nil {
			return err
		}
		bp := basePathKey(in.BasePath)
		if _, ok := d.Mappings[bp]; !ok {
			return errNoMapping()
		}
		delete(d.Mappings, bp)
		return domains.Put(tx, scope(ctx), d, *d.Domain.DomainName)
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteBasePathMappingOutput{}, nil
}

// mayBeCustomDomain rules out, without reading the store, the hosts
// niwa's own endpoints use: addresses, localhost and its subdomains,
// amazonaws.com names and dotless names.
func mayBeCustomDomain(host string) bool {
	if !strings.Contains(host, ".") || hostname.IsIP(host) {
		return false
	}
	return !strings.HasSuffix(host, ".localhost") && !strings.HasSuffix(host, ".amazonaws.com") && !strings.HasSuffix(host, ".amazonaws.com.cn")
}

// domainTarget maps a request on a custom domain name to API, stage and
// path; ok false when the Host is no domain name or no mapping matches.
func (s *APIGateway) domainTarget(r *http.Request) (api, stage, path string, ok bool) {
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.TrimSuffix(host, ".")
	if !mayBeCustomDomain(host) {
		return "", "", "", false
	}
	var d domainRecord
	found := false
	_ = s.store.View(func(tx storage.Tx) error {
		loc, ok, err := hosts.Get(tx, storage.Scope{}, host)
		if err != nil || !ok {
			return err
		}
		d, found, err = domains.Get(tx, storage.Scope{Account: loc.Account, Region: loc.Region}, host)
		return err
	})
	if !found {
		return "", "", "", false
	}
	p := r.URL.EscapedPath()
	first, rest, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	m, ok := d.Mappings[first]
	if ok && first != "" {
		p = "/" + rest
	} else if m, ok = d.Mappings[noBasePath]; !ok {
		return "", "", "", false
	}
	stage = ptr.Deref(m.Stage)
	if stage == "" {
		// A mapping without a stage takes it from the path.
		stage, rest, _ = strings.Cut(strings.TrimPrefix(p, "/"), "/")
		p = "/" + rest
	}
	return ptr.Deref(m.RestApiId), stage, p, true
}
