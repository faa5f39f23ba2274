// Package iam is AWS Identity and Access Management's resource side: users,
// groups, roles, managed and inline policies, access keys, instance profiles
// and login profiles, stored per account and answered the way IAM answers
// (ids, ARNs, error codes and messages, URL-encoded policy documents,
// Marker/MaxItems pagination).
//
// Enforcement is not here: the policy engine (internal/iam) reads what this
// package stores through the exported lookups in lookup.go (RoleByARN,
// UserByName, GroupByName, ManagedPolicyDocument, LookupAccessKey), so every
// fact it needs — trust policies, attachments, inline documents, permissions
// boundaries, group memberships — is kept in the records.
//
// # Storage layout
//
// IAM is global, so every record lives in storage.Global(account). Entities
// are keyed by their lower-cased name because IAM names are unique without
// regard to case and IAM lists them in case-insensitive name order; the
// record keeps the name as created. An entity's attachments, inline policies
// and tags live inside its record (they are small and bounded by IAM's
// quotas) so that one read answers RoleByARN. Two indexes make the reverse
// questions cheap: policy-use (policy ARN -> entities attaching it or using
// it as a boundary) and group-member (group -> users). Access keys are
// stored once, outside any account, keyed by key id, because the signature
// layer knows nothing but the key id; user-key records point at them per
// user.
package iam

import (
	"strings"
	"sync/atomic"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// IAM implements the IAM API. Bind it with iamapi.Bind; every method whose
// signature matches an operation serves that operation.
type IAM struct {
	store   storage.Store
	catalog ManagedPolicyCatalog
	// heads decode each stored version of a role, user or group record's
	// name and path once: authorization asks for the ARN of the entity an
	// operation names (GetRole's role) on every call.
	heads [3]*storage.DecodeCache[entityHead]
	// gen counts the store's writes (storage.Counting; generation.go).
	gen atomic.Uint64
	// views keeps entities' ARNs and GetRole's and GetUser's answers
	// while gen is unchanged (views.go).
	views views
}

// Option configures New.
type Option func(*IAM)

// WithManagedPolicies makes the AWS managed policies of cat
// (arn:aws:iam::aws:policy/...) attachable, listable and readable. Without a
// catalog every such ARN is unknown, which is how IAM answers for a policy
// that does not exist.
func WithManagedPolicies(cat ManagedPolicyCatalog) Option {
	return func(s *IAM) { s.catalog = cat }
}

// New returns the IAM service storing its state in store.
func New(store storage.Store, opts ...Option) *IAM {
	s := &IAM{}
	s.store = storage.Counting{Store: store, Writes: &s.gen}
	for i, t := range entityHeads {
		s.heads[i] = storage.NewDecodeCache(t, 4096)
	}
	s.views = newViews(s)
	for _, o := range opts {
		o(s)
	}
	return s
}

// ManagedPolicy is one AWS managed policy as a catalog describes it.
type ManagedPolicy struct {
	// ARN is arn:aws:iam::aws:policy<Path><Name>.
	ARN  string
	Name string
	// Path is "/" or "/segment/.../" ("/service-role/").
	Path string
	// ID is the policy id (ANPA...).
	ID               string
	DefaultVersionID string
	Description      string
	// Document is the default version's JSON document, not URL-encoded.
	Document   string
	CreateDate time.Time
	UpdateDate time.Time
}

// ManagedPolicyCatalog is the read-only set of AWS managed policies, which
// every account can attach but none owns. It is an interface so that the
// catalog (a large generated data set) can arrive separately and tests can
// use a small one. Implementations must be safe for concurrent use.
type ManagedPolicyCatalog interface {
	// Lookup returns the policy with this ARN.
	Lookup(arn string) (ManagedPolicy, bool)
	// List returns every policy. The caller does not modify the slice.
	List() []ManagedPolicy
}

// Records and indexes. Tables are descriptions (a name and a type), not
// state.
var (
	users            = storage.NewTable[userRecord]("user")
	groups           = storage.NewTable[groupRecord]("group")
	roles            = storage.NewTable[roleRecord]("role")
	policies         = storage.NewTable[policyRecord]("policy")
	instanceProfiles = storage.NewTable[instanceProfileRecord]("instance-profile")
	// groupMembers is keyed (lower(group), lower(user)).
	groupMembers = storage.NewTable[memberRecord]("group-member")
	// policyUses is keyed (policyARN, use, kind, lower(entity)).
	policyUses = storage.NewTable[useRecord]("policy-use")
	// userKeys is keyed (lower(user), accessKeyID); the root user's keys
	// use the user name "".
	userKeys = storage.NewTable[struct{}]("user-key")
	// accessKeys is keyed by access key id in keyScope.
	accessKeys = storage.NewTable[accessKeyRecord]("access-key")
	// accountSettings holds one record per account (key "settings"): the
	// password policy, the alias, the root's MFA device and the
	// credential report.
	accountSettings = storage.NewTable[accountRecord]("account")
	// mfaDevices is keyed by lower(device name).
	mfaDevices = storage.NewTable[mfaRecord]("mfa")
	// aliases is keyed by alias in keyScope: aliases are unique across
	// accounts, as AWS's sign-in URLs need.
	aliases = storage.NewTable[string]("account-alias")
	// serverCerts is keyed by lower(name).
	serverCerts = storage.NewTable[serverCertRecord]("server-certificate")
	// deletionTasks is keyed by task id (DeleteServiceLinkedRole).
	deletionTasks = storage.NewTable[string]("slr-deletion")
	// accessJobs is keyed by job id (GenerateServiceLastAccessedDetails).
	accessJobs = storage.NewTable[accessJob]("access-job")
)

// keyScope holds the access key index, which belongs to no single account:
// an access key id identifies its account.
var keyScope = storage.Scope{}

// Quotas, as IAM's defaults (GetAccountSummary reports them).
const (
	maxAccessKeysPerUser    = 2
	maxGroupsPerUser        = 10
	maxAttachedPerEntity    = 10
	maxPolicyVersions       = 5
	maxTags                 = 50
	maxManagedPolicySize    = 6144
	maxTrustPolicySize      = 2048
	maxUserInlineSize       = 2048
	maxGroupInlineSize      = 5120
	maxRoleInlineSize       = 10240
	defaultMaxSession       = 3600
	minMaxSession           = 3600
	maxMaxSession           = 43200
	defaultMaxItems         = 100
	maxMaxItems             = 1000
	partition               = "aws"
	awsManagedPolicyAccount = "aws"
)

// Kinds of principal entity, as used in the policy-use index.
const (
	kindGroup = "group"
	kindRole  = "role"
	kindUser  = "user"
)

// Uses of a managed policy.
const (
	useAttach   = "attach"
	useBoundary = "boundary"
)

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

type attachedPolicy struct {
	Name string `json:"name"`
	ARN  string `json:"arn"`
}

type inlinePolicy struct {
	Name     string `json:"name"`
	Document string `json:"doc"`
}

type userRecord struct {
	Name             string           `json:"name"`
	ID               string           `json:"id"`
	Path             string           `json:"path"`
	CreateDate       time.Time        `json:"created"`
	PasswordLastUsed *time.Time       `json:"passwordLastUsed,omitempty"`
	Boundary         string           `json:"boundary,omitempty"`
	Tags             []tag            `json:"tags,omitempty"`
	Groups           []string         `json:"groups,omitempty"`
	Attached         []attachedPolicy `json:"attached,omitempty"`
	Inline           []inlinePolicy   `json:"inline,omitempty"`
	Login            *loginProfile    `json:"login,omitempty"`
	// MFA names the virtual MFA devices enabled for the user.
	MFA []string `json:"mfa,omitempty"`
	// SSHKeys, SigningCerts and ServiceCreds are bounded by IAM's
	// per-user quotas (5, 2, 2 per service), so they live in the record.
	SSHKeys      []sshKey            `json:"ssh,omitempty"`
	SigningCerts []signingCert       `json:"signing,omitempty"`
	ServiceCreds []serviceCredential `json:"serviceCreds,omitempty"`
}

type loginProfile struct {
	CreateDate            time.Time `json:"created"`
	PasswordResetRequired bool      `json:"resetRequired"`
	// Salt and Hash keep a check on the password without keeping it.
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
	// ChangedDate is when the password was last set (credential report,
	// password expiry); History keeps earlier hashes for the password
	// policy's PasswordReusePrevention (at most 24).
	ChangedDate time.Time      `json:"changed,omitempty"`
	History     []passwordHash `json:"history,omitempty"`
}

type passwordHash struct {
	Salt []byte `json:"salt"`
	Hash []byte `json:"hash"`
}

type groupRecord struct {
	Name       string           `json:"name"`
	ID         string           `json:"id"`
	Path       string           `json:"path"`
	CreateDate time.Time        `json:"created"`
	Attached   []attachedPolicy `json:"attached,omitempty"`
	Inline     []inlinePolicy   `json:"inline,omitempty"`
}

type roleRecord struct {
	Name               string           `json:"name"`
	ID                 string           `json:"id"`
	Path               string           `json:"path"`
	CreateDate         time.Time        `json:"created"`
	TrustPolicy        string           `json:"trust"`
	Description        string           `json:"description,omitempty"`
	MaxSessionDuration int32            `json:"maxSession"`
	LastUsed           *roleLastUsed    `json:"lastUsed,omitempty"`
	Boundary           string           `json:"boundary,omitempty"`
	Tags               []tag            `json:"tags,omitempty"`
	Attached           []attachedPolicy `json:"attached,omitempty"`
	Inline             []inlinePolicy   `json:"inline,omitempty"`
	InstanceProfiles   []string         `json:"instanceProfiles,omitempty"`
}

// entityHead is the part of a user, group or role record its ARN is made
// of, what authorization reads (through IAM.heads) for the entity an
// operation names. Read-only: never Put an entityHead.
type entityHead struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// entityKinds are the kinds entityHeads and IAM.heads are indexed by.
var entityKinds = [3]string{"user", "group", "role"}

// entityHeads read the users, groups and roles tables (in the order of
// entityKinds) as their entityHead.
var entityHeads = [3]storage.Table[entityHead]{
	storage.NewTable[entityHead]("user"), storage.NewTable[entityHead]("group"), storage.NewTable[entityHead]("role"),
}

type roleLastUsed struct {
	Date   time.Time `json:"date"`
	Region string    `json:"region"`
}

type policyVersion struct {
	ID         string    `json:"id"`
	Document   string    `json:"doc"`
	CreateDate time.Time `json:"created"`
}

type policyRecord struct {
	Name           string          `json:"name"`
	ID             string          `json:"id"`
	Path           string          `json:"path"`
	Description    string          `json:"description,omitempty"`
	CreateDate     time.Time       `json:"created"`
	UpdateDate     time.Time       `json:"updated"`
	DefaultVersion string          `json:"defaultVersion"`
	NextVersion    int             `json:"nextVersion"`
	Versions       []policyVersion `json:"versions"`
	Tags           []tag           `json:"tags,omitempty"`
}

type instanceProfileRecord struct {
	Name       string    `json:"name"`
	ID         string    `json:"id"`
	Path       string    `json:"path"`
	CreateDate time.Time `json:"created"`
	Roles      []string  `json:"roles,omitempty"`
	Tags       []tag     `json:"tags,omitempty"`
}

type memberRecord struct {
	User string `json:"user"`
}

type useRecord struct {
	Name string `json:"name"`
}

type accessKeyRecord struct {
	ID         string    `json:"id"`
	Secret     string    `json:"secret"`
	Status     string    `json:"status"`
	Account    string    `json:"account"`
	UserName   string    `json:"user"`
	CreateDate time.Time `json:"created"`
	LastUsed   *keyUse   `json:"lastUsed,omitempty"`
}

type keyUse struct {
	Date    time.Time `json:"date"`
	Service string    `json:"service"`
	Region  string    `json:"region"`
}

// --- small helpers -------------------------------------------------------

func lower(s string) string { return strings.ToLower(s) }

// now is the request time at IAM's precision: IAM reports whole seconds.
func now(ctx *request.Context) time.Time { return ctx.Now().UTC().Truncate(time.Second) }

func scope(ctx *request.Context) storage.Scope { return storage.Global(ctx.Account) }

// idAlphabet is what IAM's unique ids and access key ids are made of
// (uppercase letters and the digits 2-7).
const idAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"

// newID returns a unique id in IAM's form: a four-letter prefix naming the
// kind (AIDA user, AGPA group, AROA role, ANPA policy, AIPA instance
// profile) and 17 characters.
func newID(prefix string) string { return prefix + awsid.String(idAlphabet, 17) }

func arnOf(account, kind, path, name string) string {
	return "arn:" + partition + ":iam::" + account + ":" + kind + path + name
}

func userARN(account string, u *userRecord) string {
	return arnOf(account, "user", u.Path, u.Name)
}

func groupARN(account string, g *groupRecord) string {
	return arnOf(account, "group", g.Path, g.Name)
}

func roleARN(account string, r *roleRecord) string {
	return arnOf(account, "role", r.Path, r.Name)
}

func policyARN(account string, p *policyRecord) string {
	return arnOf(account, "policy", p.Path, p.Name)
}

func instanceProfileARN(account string, ip *instanceProfileRecord) string {
	return arnOf(account, "instance-profile", ip.Path, ip.Name)
}

func rootARN(account string) string { return "arn:" + partition + ":iam::" + account + ":root" }

// parsedARN is an IAM ARN taken apart: arn:aws:iam::<account>:<kind><path><name>.
type parsedARN struct {
	Account, Kind, Path, Name string
}

// parseIAMARN splits an IAM resource ARN. It accepts any partition, as IAM
// does on input, and requires a resource of the form kind/path.../name.
func parseIAMARN(arn string) (parsedARN, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) != 6 || parts[0] != "arn" || parts[1] == "" || parts[2] != "iam" || parts[3] != "" || parts[4] == "" {
		return parsedARN{}, false
	}
	res := parts[5]
	slash := strings.IndexByte(res, '/')
	last := strings.LastIndexByte(res, '/')
	if slash <= 0 || last == len(res)-1 {
		return parsedARN{}, false
	}
	return parsedARN{Account: parts[4], Kind: res[:slash], Path: res[slash : last+1], Name: res[last+1:]}, true
}

// --- input checks ---------------------------------------------------------
//
// The gateway validates every input against the model before a handler
// runs; handlers check again only what their own logic depends on, so that
// a direct call with a missing member fails cleanly instead of panicking.

func validation(format string, args ...any) error {
	return awserr.ValidationError.New("1 validation error detected: "+format, args...)
}

func required(member string, v *string) (string, error) {
	if v == nil || *v == "" {
		return "", validation("Value null at '%s' failed to satisfy constraint: Member must not be null", member)
	}
	return *v, nil
}

const pathPattern = `(\u002F)|(\u002F[\u0021-\u007E]+\u002F)`

// checkPath defaults an absent path to "/" and enforces IAM's path rule:
// it begins and ends with "/" and holds printable ASCII.
func checkPath(member string, p *string) (string, error) {
	if p == nil {
		return "/", nil
	}
	path := *p
	ok := len(path) >= 1 && len(path) <= 512 && path[0] == '/' && path[len(path)-1] == '/'
	for i := 0; ok && i < len(path); i++ {
		ok = path[i] >= 0x21 && path[i] <= 0x7e
	}
	if !ok {
		return "", validation("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", path, member, pathPattern)
	}
	return path, nil
}

func pathPrefix(p *string) string {
	if p == nil || *p == "" {
		return "/"
	}
	return *p
}

// callerUserName resolves an omitted UserName the way IAM does: the calling
// IAM user, or "" for the account root. Other principals must name a user.
func callerUserName(ctx *request.Context, in *string) (string, error) {
	if in != nil && *in != "" {
		return *in, nil
	}
	c := ctx.Caller
	if c.ARN == "" || c.IsRoot() || c.ARN == rootARN(ctx.Account) {
		return "", nil
	}
	if a, ok := parseIAMARN(c.ARN); ok && a.Kind == "user" {
		return a.Name, nil
	}
	return "", awserr.ValidationError.New("Must specify userName when calling with non-User credentials")
}

// --- errors IAM answers with ---------------------------------------------

func noSuchUser(name string) error {
	return iamapi.ErrNoSuchEntityException.New("The user with name %s cannot be found.", name)
}

func noSuchGroup(name string) error {
	return iamapi.ErrNoSuchEntityException.New("The group with name %s cannot be found.", name)
}

func noSuchRole(name string) error {
	return iamapi.ErrNoSuchEntityException.New("The role with name %s cannot be found.", name)
}

func noSuchInstanceProfile(name string) error {
	return iamapi.ErrNoSuchEntityException.New("Instance Profile %s cannot be found.", name)
}

func policyNotFound(arn string) error {
	return iamapi.ErrNoSuchEntityException.New("Policy %s was not found.", arn)
}

func policyNotAttachable(arn string) error {
	return iamapi.ErrNoSuchEntityException.New("Policy %s does not exist or is not attachable.", arn)
}

func noSuchVersion(arn, version string) error {
	return iamapi.ErrNoSuchEntityException.New("Policy %s version %s does not exist or is not attachable.", arn, version)
}

func noSuchAccessKey(id string) error {
	return iamapi.ErrNoSuchEntityException.New("The Access Key with id %s cannot be found.", id)
}

func invalidARN(arn string) error {
	return iamapi.ErrInvalidInputException.New("ARN %s is not valid.", arn)
}

func deleteConflict(msg string) error {
	return iamapi.ErrDeleteConflictException.New("%s", msg)
}

func limitExceeded(format string, args ...any) error {
	return iamapi.ErrLimitExceededException.New(format, args...)
}

// awsPolicyDenied is what IAM answers when an account tries to change a
// policy AWS owns: the account's authority ends at its own resources.
func awsPolicyDenied(ctx *request.Context, action, arn string) error {
	who := ctx.Caller.ARN
	if who == "" {
		who = rootARN(ctx.Account)
	}
	return awserr.AccessDenied.New("User: %s is not authorized to perform: iam:%s on resource: policy %s", who, action, arn)
}
