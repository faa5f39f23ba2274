// Package cloudfront is Amazon CloudFront: distributions with their
// origins and cache behaviours, origin access controls and identities,
// public keys and key groups for signed URLs and cookies, managed
// policies, invalidations and tags (the API), and the edge itself
// (dataplane.go): a distribution's domain d<id>.cloudfront.localhost is
// answered by niwa's DNS and served on niwa's port by Host, reading S3
// origins as CloudFront's service principal (OAC) or an origin access
// identity and custom origins over HTTP, with a cache, signed URL and
// cookie checks and CloudFront's headers.
//
// CloudFront is global: everything is kept per account, in no region.
// A change is "InProgress" for deployDelay on the injected clock and
// "Deployed" after it, as AWS's propagation is; the edge serves the
// latest configuration at once.
package cloudfront

import (
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// DomainSuffix ends every distribution's domain name (AWS's is
// cloudfront.net): niwa's DNS answers these names with niwa's address.
const DomainSuffix = ".cloudfront.localhost"

// AWS's numbers.
const (
	// deployDelay is how long a created or updated distribution stays
	// InProgress (AWS: usually a few minutes).
	deployDelay = 30 * time.Second
	// invalidationDelay is how long an invalidation stays InProgress.
	invalidationDelay = 10 * time.Second
	// maxItemsDefault is the page size when MaxItems is absent.
	maxItemsDefault = 100
	// maxKeysPerGroup: CloudFront quota, public keys in a key group.
	maxKeysPerGroup = 5
	// maxInvalidationPaths: paths in one invalidation batch (3,000 for
	// non-wildcard paths).
	maxInvalidationPaths = 3000
	maxTags              = 50
)

// Options configure the service.
type Options struct {
	Store storage.Store
	Clock clock.Clock
	Log   *slog.Logger
	// Objects reads S3 origins as CloudFront does; nil: S3 origins answer
	// 502 at the edge.
	Objects objects.Store
	// Certificates reads the ACM certificates of alternate domain names;
	// nil: aliases get niwa's own certificate over HTTPS.
	Certificates Certificates
	// WAF evaluates the web ACL a distribution names (WebACLId) before
	// the cache; nil: web ACLs are not evaluated.
	WAF WebACLs
	// Region is the region S3 origins are read from when their domain
	// names none.
	Region string
	// Country is a viewer's ISO country ("" when unknown), for geo
	// restrictions; nil restricts no one.
	Country func(netip.Addr) string
	// Transport carries requests to custom origins; nil is
	// DefaultTransport (the network).
	Transport http.RoundTripper
}

// DefaultTransport reaches custom origins over the network.
func DefaultTransport() http.RoundTripper {
	return &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 8, IdleConnTimeout: 60 * time.Second,
		ResponseHeaderTimeout: originTimeout}
}

// CloudFront implements the CloudFront API. Bind it with cfapi.Bind.
type CloudFront struct {
	opt   Options
	cache *edgeCache
	// logs delivers standard access logs on the clock.
	logs *logState
	// client reaches custom origins; it follows no redirects (the viewer
	// gets the origin's 3xx, as from CloudFront).
	client *http.Client
}

// New returns the service.
func New(opt Options) *CloudFront {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Region == "" {
		opt.Region = "us-east-1"
	}
	if opt.Transport == nil {
		opt.Transport = DefaultTransport()
	}
	client := &http.Client{
		Transport:     opt.Transport,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return &CloudFront{opt: opt, cache: newEdgeCache(edgeCacheEntries, edgeCacheBodyMax), client: client, logs: &logState{}}
}

// Reset drops the edge cache (state itself is in storage).
func (s *CloudFront) Reset() error {
	s.cache.clear()
	return nil
}

// Records.
type distRec struct {
	ID       string                   `json:"id"`
	ARN      string                   `json:"arn"`
	Domain   string                   `json:"domain"`
	ETag     string                   `json:"etag"`
	Config   cfapi.DistributionConfig `json:"config"`
	Modified time.Time                `json:"modified"`
	// DeployedAt is when the latest change is Deployed.
	DeployedAt time.Time         `json:"deployedAt"`
	Tags       map[string]string `json:"tags,omitempty"`
}

// hostRec finds a distribution from a Host (its domain or an alias).
type hostRec struct {
	Account string `json:"account"`
	ID      string `json:"id"`
}

type oacRec struct {
	ID     string                          `json:"id"`
	ETag   string                          `json:"etag"`
	Config cfapi.OriginAccessControlConfig `json:"config"`
}

type oaiRec struct {
	ID        string                                     `json:"id"`
	Canonical string                                     `json:"canonical"`
	ETag      string                                     `json:"etag"`
	Config    cfapi.CloudFrontOriginAccessIdentityConfig `json:"config"`
}

type keyRec struct {
	ID      string                `json:"id"`
	ETag    string                `json:"etag"`
	Created time.Time             `json:"created"`
	Config  cfapi.PublicKeyConfig `json:"config"`
}

type groupRec struct {
	ID       string               `json:"id"`
	ETag     string               `json:"etag"`
	Modified time.Time            `json:"modified"`
	Config   cfapi.KeyGroupConfig `json:"config"`
}

type invRec struct {
	ID        string                  `json:"id"`
	Dist      string                  `json:"dist"`
	Created   time.Time               `json:"created"`
	Batch     cfapi.InvalidationBatch `json:"batch"`
	DoneAfter time.Time               `json:"doneAfter"`
}

var (
	dists  = storage.NewTable[distRec]("distribution")
	hosts  = storage.NewTable[hostRec]("host")
	oacs   = storage.NewTable[oacRec]("oac")
	oais   = storage.NewTable[oaiRec]("oai")
	keys   = storage.NewTable[keyRec]("publickey")
	groups = storage.NewTable[groupRec]("keygroup")
	invs   = storage.NewTable[invRec]("invalidation")
)

// anywhere is the scope of the host index, shared by all accounts as
// the domain names are.
var anywhere = storage.Scope{}

func scope(ctx *request.Context) storage.Scope { return storage.Global(ctx.Account) }

// upperAlnum are the characters of CloudFront's resource ids.
const upperAlnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// newID is a CloudFront id: "E" and 13 upper-case letters or digits
// (distributions, OAIs, OACs), as E2QWRUHAPOMQZL.
func newID(prefix string) string { return prefix + awsid.String(upperAlnum, 14-len(prefix)) }

// newETag is a resource version (AWS's look like E2QWRUHAPOMQZL).
func newETag() string { return "E" + awsid.String(upperAlnum, 13) }

// newDomain is d<13 lower-case letters or digits>.cloudfront.localhost.
func newDomain() string {
	return "d" + awsid.String("abcdefghijklmnopqrstuvwxyz0123456789", 13) + DomainSuffix
}

func distARN(account, id string) string {
	return "arn:aws:cloudfront::" + account + ":distribution/" + id
}

// idFromARN returns the id of arn:aws:cloudfront::<account>:<kind>/<id>.
func idFromARN(arn, kind string) (account, id string, ok bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[2] != "cloudfront" {
		return "", "", false
	}
	id, ok = strings.CutPrefix(parts[5], kind+"/")
	return parts[4], id, ok && id != ""
}
