package cloudfront

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Custom cache, origin request and response headers policies: kept per
// account beside AWS's managed ones (same ids everywhere, read-only),
// named uniquely among both, at most maxPolicies of each kind (AWS's
// quota), not deletable while a behaviour names them. The edge applies
// them (dataplane.go).

// maxPolicies is AWS's default quota of custom policies of one kind per
// account.
const maxPolicies = 20

// policyRec is one custom policy of configuration type C.
type policyRec[C any] struct {
	ID       string    `json:"id"`
	ETag     string    `json:"etag"`
	Modified time.Time `json:"modified"`
	Config   C         `json:"config"`
	// Managed marks AWS's policies (never stored).
	Managed bool `json:"-"`
}

// policyType is one kind of policy.
type policyType[C any] struct {
	kind    kind[policyRec[C]]
	name    func(*C) *string
	managed func() []policyRec[C]
	// uses reports whether a behaviour names the policy id.
	uses func(b cfapi.CacheBehavior, id string) bool
	// exists, tooMany, inUse are the kind's refusals.
	exists, tooMany, inUse func() error
	// check validates a configuration beyond its name.
	check func(*C) error
}

func etagOf[C any](r *policyRec[C]) *string { return &r.ETag }

// find reads a policy, managed or the account's.
func (p policyType[C]) find(s *CloudFront, ctx *request.Context, id string) (policyRec[C], error) {
	for _, m := range p.managed() {
		if m.ID == id {
			return m, nil
		}
	}
	return p.kind.get(s, ctx, id)
}

// lookup reads a policy inside a transaction (the edge and validation):
// managed or custom, ok false when neither.
func (p policyType[C]) lookup(tx storage.Tx, sc storage.Scope, id string) (policyRec[C], bool, error) {
	for _, m := range p.managed() {
		if m.ID == id {
			return m, true, nil
		}
	}
	return p.kind.table.Get(tx, sc, id)
}

func (p policyType[C]) validate(c *C) error {
	if c == nil {
		return missingBody()
	}
	if n := ptr.Deref(p.name(c)); n == "" || len(n) > 128 {
		return cfapi.ErrInvalidArgument.New("Invalid request provided: The policy name must be 1 to 128 characters.")
	}
	if p.check != nil {
		return p.check(c)
	}
	return nil
}

// create stores a new custom policy.
func (p policyType[C]) create(s *CloudFront, ctx *request.Context, c *C) (policyRec[C], error) {
	if err := p.validate(c); err != nil {
		return policyRec[C]{}, err
	}
	r := policyRec[C]{ID: awsid.UUID(), ETag: newETag(), Modified: ctx.Now(), Config: *c}
	name := ptr.Deref(p.name(c))
	for _, m := range p.managed() {
		if ptr.Deref(p.name(&m.Config)) == name {
			return r, p.exists()
		}
	}
	n := 0
	err := p.kind.create(s, ctx, r.ID, r, nil, func(o policyRec[C]) bool {
		n++
		return ptr.Deref(p.name(&o.Config)) == name
	}, p.exists)
	if err == nil && n >= maxPolicies {
		// Counted while looking for a duplicate: undo the put.
		_ = p.kind.remove(s, ctx, r.ID, &r.ETag, nil)
		return r, p.tooMany()
	}
	return r, err
}

// update replaces a custom policy's configuration.
func (p policyType[C]) update(s *CloudFront, ctx *request.Context, id string, ifMatch *string, c *C) (policyRec[C], error) {
	if err := p.validate(c); err != nil {
		return policyRec[C]{}, err
	}
	for _, m := range p.managed() {
		if m.ID == id {
			return m, cfapi.ErrAccessDenied.New("Access denied: managed policies cannot be modified.")
		}
	}
	return p.kind.update(s, ctx, id, ifMatch, func(_ storage.Tx, r *policyRec[C]) error {
		r.Config, r.Modified = *c, ctx.Now()
		return nil
	})
}

// remove deletes a custom policy no behaviour names.
func (p policyType[C]) remove(s *CloudFront, ctx *request.Context, id string, ifMatch *string) error {
	for _, m := range p.managed() {
		if m.ID == id {
			return cfapi.ErrAccessDenied.New("Access denied: managed policies cannot be deleted.")
		}
	}
	return p.kind.remove(s, ctx, id, ifMatch, refuseIfUsed[policyRec[C]](ctx, func(c cfapi.DistributionConfig) bool {
		return slices.ContainsFunc(behavioursOf(c), func(b cfapi.CacheBehavior) bool { return p.uses(b, id) })
	}, p.inUse))
}

// list pages the policies of a type ("managed", "custom" or both).
func (p policyType[C]) list(s *CloudFront, ctx *request.Context, typ, marker, maxItems *string) (items []policyRec[C], next string, maxN int32, err error) {
	var all []policyRec[C]
	switch t := ptr.Deref(typ); t {
	case "", "managed", "custom":
		if t != "custom" {
			all = append(all, p.managed()...)
		}
		if t != "managed" {
			custom, err := p.kind.all(s, ctx)
			if err != nil {
				return nil, "", 0, err
			}
			all = append(all, custom...)
		}
	default:
		return nil, "", 0, cfapi.ErrInvalidArgument.New("Invalid request provided: Type must be managed or custom.")
	}
	from, to, next, maxN, err := page(marker, maxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, "", 0, err
	}
	return all[from:to], next, maxN, nil
}

// typeOf is a policy's Type in listings.
func typeOf[C any](r policyRec[C]) *string {
	if r.Managed {
		return ptr.To("managed")
	}
	return ptr.To("custom")
}

// ---- the three kinds ----

var (
	cachePolicies         = storage.NewTable[policyRec[cfapi.CachePolicyConfig]]("cachepolicy")
	originRequestPolicies = storage.NewTable[policyRec[cfapi.OriginRequestPolicyConfig]]("originrequestpolicy")
	headersPolicies       = storage.NewTable[policyRec[cfapi.ResponseHeadersPolicyConfig]]("responseheaderspolicy")
)

func managedRecs[P any, C any](ps []P, id func(P) string, cfg func(P) *C) []policyRec[C] {
	out := make([]policyRec[C], 0, len(ps))
	for _, p := range ps {
		out = append(out, policyRec[C]{ID: id(p), ETag: managedETag, Modified: managedTime, Config: *cfg(p), Managed: true})
	}
	return out
}

func noSuchCachePolicy() error {
	return cfapi.ErrNoSuchCachePolicy.New("The cache policy does not exist.")
}

func noSuchOriginRequestPolicy() error {
	return cfapi.ErrNoSuchOriginRequestPolicy.New("The origin request policy does not exist.")
}

func noSuchHeadersPolicy() error {
	return cfapi.ErrNoSuchResponseHeadersPolicy.New("The response headers policy does not exist.")
}

var cachePolicyType = policyType[cfapi.CachePolicyConfig]{
	kind: kind[policyRec[cfapi.CachePolicyConfig]]{table: cachePolicies, notFound: noSuchCachePolicy, etag: etagOf[cfapi.CachePolicyConfig]},
	name: func(c *cfapi.CachePolicyConfig) *string { return c.Name },
	managed: func() []policyRec[cfapi.CachePolicyConfig] {
		return managedRecs(managedCachePolicies(), func(p cfapi.CachePolicy) string { return *p.Id },
			func(p cfapi.CachePolicy) *cfapi.CachePolicyConfig { return p.CachePolicyConfig })
	},
	uses: func(b cfapi.CacheBehavior, id string) bool { return ptr.Deref(b.CachePolicyId) == id },
	exists: func() error {
		return cfapi.ErrCachePolicyAlreadyExists.New("A cache policy with this name already exists.")
	},
	tooMany: func() error {
		return cfapi.ErrTooManyCachePolicies.New("You have reached the maximum number of cache policies for this AWS account.")
	},
	inUse: func() error {
		return cfapi.ErrCachePolicyInUse.New("Cannot delete the cache policy because it is attached to one or more cache behaviors.")
	},
	check: func(c *cfapi.CachePolicyConfig) error {
		minT, defT, maxT := ptr.Deref(c.MinTTL), ptr.Deref(c.DefaultTTL), ptr.Deref(c.MaxTTL)
		if c.DefaultTTL == nil {
			defT = max(86400, minT)
		}
		if c.MaxTTL == nil {
			maxT = max(31536000, defT)
		}
		if minT < 0 || defT < minT || maxT < defT {
			return cfapi.ErrInvalidArgument.New("Invalid request provided: MinTTL <= DefaultTTL <= MaxTTL must hold.")
		}
		return nil
	},
}

var originRequestPolicyType = policyType[cfapi.OriginRequestPolicyConfig]{
	kind: kind[policyRec[cfapi.OriginRequestPolicyConfig]]{table: originRequestPolicies, notFound: noSuchOriginRequestPolicy, etag: etagOf[cfapi.OriginRequestPolicyConfig]},
	name: func(c *cfapi.OriginRequestPolicyConfig) *string { return c.Name },
	managed: func() []policyRec[cfapi.OriginRequestPolicyConfig] {
		return managedRecs(managedOriginRequestPolicies(), func(p cfapi.OriginRequestPolicy) string { return *p.Id },
			func(p cfapi.OriginRequestPolicy) *cfapi.OriginRequestPolicyConfig { return p.OriginRequestPolicyConfig })
	},
	uses: func(b cfapi.CacheBehavior, id string) bool { return ptr.Deref(b.OriginRequestPolicyId) == id },
	exists: func() error {
		return cfapi.ErrOriginRequestPolicyAlreadyExists.New("An origin request policy with this name already exists.")
	},
	tooMany: func() error {
		return cfapi.ErrTooManyOriginRequestPolicies.New("You have reached the maximum number of origin request policies for this AWS account.")
	},
	inUse: func() error {
		return cfapi.ErrOriginRequestPolicyInUse.New("Cannot delete the origin request policy because it is attached to one or more cache behaviors.")
	},
}

var headersPolicyType = policyType[cfapi.ResponseHeadersPolicyConfig]{
	kind: kind[policyRec[cfapi.ResponseHeadersPolicyConfig]]{table: headersPolicies, notFound: noSuchHeadersPolicy, etag: etagOf[cfapi.ResponseHeadersPolicyConfig]},
	name: func(c *cfapi.ResponseHeadersPolicyConfig) *string { return c.Name },
	managed: func() []policyRec[cfapi.ResponseHeadersPolicyConfig] {
		return managedRecs(managedResponseHeadersPolicies(), func(p cfapi.ResponseHeadersPolicy) string { return *p.Id },
			func(p cfapi.ResponseHeadersPolicy) *cfapi.ResponseHeadersPolicyConfig {
				return p.ResponseHeadersPolicyConfig
			})
	},
	uses: func(b cfapi.CacheBehavior, id string) bool { return ptr.Deref(b.ResponseHeadersPolicyId) == id },
	exists: func() error {
		return cfapi.ErrResponseHeadersPolicyAlreadyExists.New("A response headers policy with this name already exists.")
	},
	tooMany: func() error {
		return cfapi.ErrTooManyResponseHeadersPolicies.New("You have reached the maximum number of response headers policies for this AWS account.")
	},
	inUse: func() error {
		return cfapi.ErrResponseHeadersPolicyInUse.New("Cannot delete the response headers policy because it is attached to one or more cache behaviors.")
	},
	check: func(c *cfapi.ResponseHeadersPolicyConfig) error {
		if h := c.CustomHeadersConfig; h != nil {
			if err := quantity(h.Quantity, len(h.Items)); err != nil {
				return err
			}
		}
		if h := c.RemoveHeadersConfig; h != nil {
			if err := quantity(h.Quantity, len(h.Items)); err != nil {
				return err
			}
		}
		return nil
	},
}

// checkPolicies: the policies a distribution's behaviours name exist.
func checkPolicies(tx storage.Tx, sc storage.Scope, c *cfapi.DistributionConfig) error {
	for _, b := range behavioursOf(*c) {
		if id := ptr.Deref(b.CachePolicyId); id != "" {
			if _, ok, err := cachePolicyType.lookup(tx, sc, id); err != nil || !ok {
				return errOr(err, noSuchCachePolicy)
			}
		}
		if id := ptr.Deref(b.OriginRequestPolicyId); id != "" {
			if _, ok, err := originRequestPolicyType.lookup(tx, sc, id); err != nil || !ok {
				return errOr(err, noSuchOriginRequestPolicy)
			}
		}
		if id := ptr.Deref(b.ResponseHeadersPolicyId); id != "" {
			if _, ok, err := headersPolicyType.lookup(tx, sc, id); err != nil || !ok {
				return errOr(err, noSuchHeadersPolicy)
			}
		}
	}
	return nil
}

func errOr(err error, otherwise func() error) error {
	if err != nil {
		return err
	}
	return otherwise()
}

// edgePolicies are the policies a behaviour names, read for one request.
type edgePolicies struct {
	cache   *cfapi.CachePolicyConfig
	origin  *cfapi.OriginRequestPolicyConfig
	headers *cfapi.ResponseHeadersPolicyConfig
}

func (s *CloudFront) policiesOf(account string, b cfapi.CacheBehavior) edgePolicies {
	var p edgePolicies
	sc := storage.Global(account)
	_ = s.opt.Store.View(func(tx storage.Tx) error {
		if id := ptr.Deref(b.CachePolicyId); id != "" {
			if r, ok, err := cachePolicyType.lookup(tx, sc, id); err == nil && ok {
				p.cache = &r.Config
			}
		}
		if id := ptr.Deref(b.OriginRequestPolicyId); id != "" {
			if r, ok, err := originRequestPolicyType.lookup(tx, sc, id); err == nil && ok {
				p.origin = &r.Config
			}
		}
		if id := ptr.Deref(b.ResponseHeadersPolicyId); id != "" {
			if r, ok, err := headersPolicyType.lookup(tx, sc, id); err == nil && ok {
				p.headers = &r.Config
			}
		}
		return nil
	})
	return p
}

// policyQuery is the query string a policy's QueryStringsConfig keeps:
// all, none, the named ones (whitelist) or all but them (allExcept).
func policyQuery(behavior string, names *cfapi.QueryStringNames, q url.Values) url.Values {
	var listed []string
	if names != nil {
		listed = names.Items
	}
	out := url.Values{}
	for k, v := range q {
		keep := false
		switch behavior {
		case "all":
			keep = true
		case "whitelist":
			keep = slices.Contains(listed, k)
		case "allExcept":
			keep = !slices.Contains(listed, k)
		}
		if keep {
			out[k] = v
		}
	}
	return out
}

// applyHeadersPolicy sets the response headers a response headers policy
// adds, overrides and removes; origin is the viewer's Origin header (CORS
// headers answer only cross-origin requests).
func applyHeadersPolicy(h http.Header, p *cfapi.ResponseHeadersPolicyConfig, origin string) {
	if p == nil {
		return
	}
	set := func(name, value string, override *bool) {
		if h.Get(name) == "" || ptr.Deref(override) {
			h.Set(name, value)
		}
	}
	if c := p.CorsConfig; c != nil && origin != "" {
		var origins []string
		if c.AccessControlAllowOrigins != nil {
			origins = c.AccessControlAllowOrigins.Items
		}
		allow := ""
		switch {
		case slices.Contains(origins, "*"):
			allow = "*"
		case slices.Contains(origins, origin):
			allow = origin
		}
		if allow != "" {
			set("Access-Control-Allow-Origin", allow, c.OriginOverride)
			if c.AccessControlAllowMethods != nil && len(c.AccessControlAllowMethods.Items) > 0 {
				set("Access-Control-Allow-Methods", strings.Join(c.AccessControlAllowMethods.Items, ", "), c.OriginOverride)
			}
			if c.AccessControlAllowHeaders != nil && len(c.AccessControlAllowHeaders.Items) > 0 {
				set("Access-Control-Allow-Headers", strings.Join(c.AccessControlAllowHeaders.Items, ", "), c.OriginOverride)
			}
			if c.AccessControlExposeHeaders != nil && len(c.AccessControlExposeHeaders.Items) > 0 {
				set("Access-Control-Expose-Headers", strings.Join(c.AccessControlExposeHeaders.Items, ", "), c.OriginOverride)
			}
			if ptr.Deref(c.AccessControlAllowCredentials) {
				set("Access-Control-Allow-Credentials", "true", c.OriginOverride)
			}
			if c.AccessControlMaxAgeSec != nil {
				set("Access-Control-Max-Age", strconv.Itoa(int(*c.AccessControlMaxAgeSec)), c.OriginOverride)
			}
		}
	}
	if sh := p.SecurityHeadersConfig; sh != nil {
		if v := sh.StrictTransportSecurity; v != nil {
			val := "max-age=" + strconv.Itoa(int(ptr.Deref(v.AccessControlMaxAgeSec)))
			if ptr.Deref(v.IncludeSubdomains) {
				val += "; includeSubDomains"
			}
			if ptr.Deref(v.Preload) {
				val += "; preload"
			}
			set("Strict-Transport-Security", val, v.Override)
		}
		if v := sh.ContentTypeOptions; v != nil {
			set("X-Content-Type-Options", "nosniff", v.Override)
		}
		if v := sh.FrameOptions; v != nil {
			set("X-Frame-Options", ptr.Deref(v.FrameOption), v.Override)
		}
		if v := sh.ReferrerPolicy; v != nil {
			set("Referrer-Policy", ptr.Deref(v.ReferrerPolicy), v.Override)
		}
		if v := sh.ContentSecurityPolicy; v != nil {
			set("Content-Security-Policy", ptr.Deref(v.ContentSecurityPolicy), v.Override)
		}
		if v := sh.XSSProtection; v != nil {
			val := "0"
			if ptr.Deref(v.Protection) {
				val = "1"
				if ptr.Deref(v.ModeBlock) {
					val += "; mode=block"
				} else if u := ptr.Deref(v.ReportUri); u != "" {
					val += "; report=" + u
				}
			}
			set("X-XSS-Protection", val, v.Override)
		}
	}
	if c := p.CustomHeadersConfig; c != nil {
		for _, ch := range c.Items {
			set(ptr.Deref(ch.Header), ptr.Deref(ch.Value), ch.Override)
		}
	}
	if c := p.RemoveHeadersConfig; c != nil {
		for _, rh := range c.Items {
			h.Del(ptr.Deref(rh.Header))
		}
	}
}
