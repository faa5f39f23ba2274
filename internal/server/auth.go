package server

import (
	"github.com/niwa-cloud/niwa/internal/kit"
	"net/http"
	"sync"

	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/sts"
)

// authenticator adapts the signature verifier to the gateway. It also
// decides what an unsigned request may do: S3 serves anonymous requests
// (bucket policies and ACLs decide later); every other service requires a
// signature, as AWS does.
type authenticator struct {
	verifier *auth.Verifier
	// decls are the services' declarations, by name.
	decls map[string]kit.Declaration
}

var _ gateway.Authenticator = authenticator{}

// dialectOf picks the authentication error vocabulary of r: by the
// protocol r is spoken in (SQS answers a query request in the query
// vocabulary and a JSON one in the JSON vocabulary), S3 its own.
func dialectOf(svc *gateway.Service, rules kit.Authz, r *http.Request) auth.Dialect {
	switch p := svc.WireProtocol(r); {
	case rules.S3Signatures:
		return auth.DialectS3
	case p == "json":
		return auth.DialectJSON
	case p == "rest-json":
		return auth.DialectRestJSON
	default:
		return auth.DialectQuery
	}
}

func (a authenticator) Authenticate(r *http.Request, svc *gateway.Service, hostBucket string) (*gateway.Identity, error) {
	d := dialectOf(svc, a.decls[svc.Spec.Name].Authz, r)
	var res *auth.Result
	var err error
	if d == auth.DialectS3 {
		res, err = a.verifier.VerifyS3(r, hostBucket)
	} else {
		res, err = a.verifier.Verify(r, d)
	}
	if err != nil {
		return nil, err
	}
	// A service with unsigned operations (STS's federation calls) gets
	// its anonymous requests through: the authorizer, which knows the
	// operation, refuses the others with this same error.
	if res.Anonymous && d != auth.DialectS3 && len(a.decls[svc.Spec.Name].Authz.Unauthenticated) == 0 {
		return nil, auth.MissingAuthentication(d)
	}
	return &gateway.Identity{
		Caller: callerOf(res.Credential, res.Anonymous),
		Region: res.Region,
		Body:   res.Body,
	}, nil
}

// callerOf is the request.Caller a verified credential stands for.
func callerOf(c auth.Credential, anonymous bool) request.Caller {
	return request.Caller{
		AccessKeyID: c.AccessKeyID, SessionToken: c.SessionToken,
		Account: c.Account, ARN: c.ARN, UserID: c.UserID,
		Anonymous: anonymous,
	}
}

// credentialChain resolves access keys from the configured static keys,
// then STS temporary credentials, then IAM users' access keys. What it
// finds in STS or IAM is kept while neither service's state has changed
// (their Generation): a key deleted or made inactive, a credential
// issued, anything written, and the next request reads them again.
type credentialChain struct {
	static auth.StaticCredentials
	sts    *sts.STS
	iam    iamKeys
	found  credentialCache
}

// iamKeys is what the chain needs of IAM.
type iamKeys interface {
	LookupCredential(accessKeyID string) (auth.Credential, bool, error)
	// Generation counts the writes to IAM's state.
	Generation() uint64
}

var _ auth.CredentialSource = (*credentialChain)(nil)

func (c *credentialChain) LookupAccessKey(id string) (auth.Credential, bool, error) {
	if cred, ok := c.static[id]; ok {
		return cred, true, nil
	}
	gen := c.generation()
	if cred, ok := c.found.get(id, gen); ok {
		return cred, true, nil
	}
	cred, ok, err := c.lookup(id)
	if err == nil && ok {
		c.found.put(id, gen, cred)
	}
	return cred, ok, err
}

func (c *credentialChain) lookup(id string) (auth.Credential, bool, error) {
	if t, ok, err := c.sts.LookupTemporary(id); err != nil || ok {
		return auth.Credential{
			AccessKeyID: t.AccessKeyID, SecretAccessKey: t.SecretAccessKey, SessionToken: t.SessionToken,
			Account: t.Account, ARN: t.ARN, UserID: t.UserID, Expiration: t.Expiration,
		}, ok, err
	}
	if c.iam != nil {
		return c.iam.LookupCredential(id)
	}
	return auth.Credential{}, false, nil
}

// generation is STS's and IAM's write counts, read before their state.
func (c *credentialChain) generation() [2]uint64 {
	var g [2]uint64
	if c.iam != nil {
		g[0] = c.iam.Generation()
	}
	g[1] = c.sts.Generation()
	return g
}

// credentialCache keeps the credentials found, by access key id, with
// the generation they were read at. Unknown keys are not kept (a caller
// trying keys would fill it). It is bounded by dropping everything when
// it grows past its limit.
type credentialCache struct {
	mu sync.Mutex
	m  map[string]credentialEntry
}

type credentialEntry struct {
	gen  [2]uint64
	cred auth.Credential
}

const credentialCacheLimit = 4096

func (c *credentialCache) get(id string, gen [2]uint64) (auth.Credential, bool) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || e.gen != gen {
		return auth.Credential{}, false
	}
	return e.cred, true
}

func (c *credentialCache) put(id string, gen [2]uint64, cred auth.Credential) {
	c.mu.Lock()
	if c.m == nil || len(c.m) >= credentialCacheLimit {
		c.m = map[string]credentialEntry{}
	}
	c.m[id] = credentialEntry{gen: gen, cred: cred}
	c.mu.Unlock()
}
