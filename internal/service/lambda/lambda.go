// Package lambda is AWS Lambda: functions, versions, aliases, layers,
// permissions, URLs and event source mappings, with functions run as
// local processes by internal/lambda (no Docker).
package lambda

import (
	"context"
	"fmt"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	rt "github.com/niwa-cloud/niwa/internal/lambda"
	"github.com/niwa-cloud/niwa/internal/proc"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Credentials are temporary credentials of a function's execution role.
type Credentials struct {
	AccessKeyID, SecretAccessKey, SessionToken string
}

// RoleCredentials mints credentials for an execution role (STS).
type RoleCredentials func(now time.Time, account, roleARN, sessionName string, d time.Duration) (Credentials, error)

// Placement is where a function's code runs in the network: the VPC and
// subnets of its VpcConfig (empty outside any VPC).
type Placement struct {
	Region    string
	VpcID     string
	SubnetIDs []string
}

// EgressPosition is where one execution environment sits: a function in
// a VPC runs in one of its subnets (AWS gives each environment an
// address in one of them), with the function's security groups and no
// public address; a function outside any VPC has only Account and
// Region.
type EgressPosition struct {
	Account, Region  string
	VpcID, SubnetID  string
	SecurityGroupIDs []string
}

// Egress returns the environment variables that route a function's
// outbound connections through niwa's egress component.
type Egress func(ctx context.Context, at EgressPosition) ([]string, error)

// PlacedRoleCredentials mints credentials for an execution role and
// records where the function runs, so that requests signed with them
// can be seen as coming from inside its VPC (aws:SourceVpc,
// aws:SourceVpce through a VPC endpoint).
type PlacedRoleCredentials func(now time.Time, account, roleARN, sessionName string, d time.Duration, at Placement) (Credentials, error)

// Roles tells whether an IAM role exists (IAM), so CreateFunction can
// refuse a role Lambda could not assume, as AWS does.
type Roles func(roleARN string) (bool, error)

// LogEvent is one line for CloudWatch Logs.
type LogEvent struct {
	Time    time.Time
	Message string
}

// LogWriter is CloudWatch Logs as Lambda sees it: it appends a function's
// output to a stream, creating the group and stream when missing, as the
// Lambda service does with the execution role's logs permissions.
type LogWriter interface {
	AppendLogEvents(account, region, group, stream string, events []LogEvent) error
}

// Options configures the service. Everything but Store and Blobs may be
// left empty; the corresponding behaviour is then unavailable.
type Options struct {
	Store storage.Store
	Blobs storage.BlobStore
	Clock clock.Clock
	Log   *slog.Logger
	Bus   *events.Bus
	// WorkDir is where code is unpacked and runtimes keep their files.
	WorkDir string
	// Endpoint is niwa's own URL, read at every cold start (it is known
	// only once niwa listens): functions' SDKs point at it.
	Endpoint    func() string
	Credentials RoleCredentials
	// PlacedCredentials, when set, is used instead of Credentials.
	PlacedCredentials PlacedRoleCredentials
	// Egress, when set, gives each execution environment the
	// environment (HTTP_PROXY and friends) that sends its outbound
	// connections through niwa's egress proxy at its network position.
	Egress Egress
	Roles  Roles
	// RoleAccess, when set, checks that execution roles may read the
	// sources of event source mappings (IAM enforcement on or soft).
	RoleAccess RoleAccess
	Logs       LogWriter
	// IdleTimeout is how long a warm environment lives unused.
	IdleTimeout time.Duration
	// URLHostSuffix is the host suffix of function URLs
	// ("lambda-url.<region>.<suffix>").
	URLHostSuffix string
	// DataKeys checks functions' KMSKeyArn (kms.go); nil checks nothing.
	DataKeys kmsseam.Keys
	// CodeStorageLimit is the account's code storage quota in bytes
	// (0: AWS's 75 GB).
	CodeStorageLimit int64
	// Rand draws in [0, 1) where an alias's weighted routing picks the
	// version an invocation runs; nil is math/rand. Tests pin it.
	Rand func() float64
}

// Lambda implements the service.
type Lambda struct {
	opt  Options
	exec *rt.Executor
	// unpack serializes code extraction per digest.
	unpackMu sync.Mutex
	async    *asyncQueue
	pollers  pollers
	// objects reads deployment packages from S3 (nil: not wired).
	objects ObjectSource
	// network is EC2, for VpcConfig validation (nil: not wired).
	network Network
}

// New returns the service.
func New(opt Options) *Lambda {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.Endpoint == nil {
		opt.Endpoint = func() string { return "" }
	}
	if opt.Rand == nil {
		opt.Rand = rand.Float64
	}
	if opt.URLHostSuffix == "" {
		opt.URLHostSuffix = "localhost"
	}
	l := &Lambda{opt: opt}
	l.exec = rt.New(rt.Config{
		WorkDir:     opt.WorkDir,
		Clock:       opt.Clock,
		Log:         opt.Log,
		IdleTimeout: opt.IdleTimeout,
		Logs:        l.sink,
	})
	l.async = newAsyncQueue(l)
	return l
}

// ResumeAsync runs the asynchronous events stored before a restart: those
// due at once, the retries when their time comes. Call it once the other
// services are wired (their destinations receive the outcomes).
func (l *Lambda) ResumeAsync() { l.async.resume() }

// rand draws the weighted-routing choice (Options.Rand).
func (l *Lambda) rand() float64 { return l.opt.Rand() }

// Close stops every runtime process and pending retry.
func (l *Lambda) Close() error {
	l.stopPollers()
	l.async.close()
	return l.exec.Close()
}

// Reset drops warm environments: their functions are gone with the store.
func (l *Lambda) Reset() error {
	l.stopPollers()
	l.async.reset()
	l.exec.EvictAll()
	return nil
}

// sink forwards runtime output to CloudWatch Logs.
func (l *Lambda) sink(spec *rt.Spec, stream string, lines []rt.LogLine) {
	if l.opt.Logs == nil || len(lines) == 0 {
		return
	}
	account, region, _ := splitGroup(spec.Group)
	evs := make([]LogEvent, len(lines))
	for i, ln := range lines {
		evs[i] = LogEvent{Time: ln.Time, Message: ln.Message}
	}
	if err := l.opt.Logs.AppendLogEvents(account, region, spec.LogGroup, stream, evs); err != nil {
		l.opt.Log.Warn("lambda: writing logs", "group", spec.LogGroup, "error", err)
	}
}

// Records.

// function is a function's own record; its configurations are versions.
type function struct {
	Name        string            `json:"name"`
	Tags        map[string]string `json:"tags,omitempty"`
	NextVersion int               `json:"nextVersion"`
	Reserved    *int32            `json:"reserved,omitempty"`
	// RecursiveLoop is PutFunctionRecursionConfig's setting ("" is AWS's
	// default, Terminate).
	RecursiveLoop string    `json:"recursiveLoop,omitempty"`
	Created       time.Time `json:"created"`
}

// version is one configuration: $LATEST or a published version.
type version struct {
	Config lambdaapi.FunctionConfiguration `json:"config"`
	Code   storage.BlobRef                 `json:"code"`
	// Source is publishedState of the $LATEST a published version was
	// made from, so that publishing an unchanged $LATEST again returns
	// this version (PublishVersion's Description may differ from
	// $LATEST's, so Config alone cannot tell).
	Source string `json:"source,omitempty"`
}

var (
	functions = storage.NewTable[function]("function")
	// versions are keyed (name, versionKey); see versionKey.
	versions = storage.NewTable[version]("version")
	aliases  = storage.NewTable[lambdaapi.AliasConfiguration]("alias")
	// policies are keyed (name, qualifier) with "" for the function.
	policies = storage.NewTable[storedPolicy]("policy")
)

const latest = "$LATEST"

// versionKey orders versions numerically, $LATEST first.
func versionKey(v string) string {
	if v == latest {
		return v
	}
	var n int
	_, _ = fmt.Sscanf(v, "%d", &n)
	return fmt.Sprintf("%010d", n)
}

func scope(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func functionARN(sc storage.Scope, name string) string {
	return fmt.Sprintf("arn:aws:lambda:%s:%s:function:%s", sc.Region, sc.Account, name)
}

// group identifies a function's environments in the executor.
func group(sc storage.Scope, name string) string {
	return sc.Account + "/" + sc.Region + "/" + name
}

func splitGroup(g string) (account, region, name string) {
	parts := strings.SplitN(g, "/", 3)
	if len(parts) != 3 {
		return "", "", g
	}
	return parts[0], parts[1], parts[2]
}

// functionRef is AWS's FunctionName pattern with its parts captured:
// partition prefix, region, account, "function:", name, qualifier. Every
// part but the name is optional, so a name, name:qualifier, a partial
// ARN (123456789012:function:name[:qualifier]) and a full ARN all parse.
// Go's regexp prefers an optional group to match when it can, so in
// "123456789012:function:name" the account and "function:" are taken as
// such rather than as a function "123456789012" with qualifier "function".
var functionRef = lazyre.New(`^(arn:(?:aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(?:-gov)?-[a-z]+-\d:)?(\d{12}:)?(function:)?([a-zA-Z0-9_-]+)(?::(\$LATEST|[a-zA-Z0-9_-]+))?$`)

// parseName splits a FunctionName parameter (name, partial ARN or ARN,
// maybe qualified) into name and qualifier. A qualifier in both the name
// and the Qualifier parameter must agree.
func parseName(ctx *request.Context, raw string, qualifier *string) (name, qual string, err error) {
	m := functionRef.FindStringSubmatch(raw)
	if m == nil || len(raw) > 256 || len(m[5]) > 140 {
		return "", "", errInvalidParam("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\\d{1}:)?(\\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?", raw)
	}
	region, account := strings.TrimSuffix(m[2], ":"), strings.TrimSuffix(m[3], ":")
	if (region != "" && region != ctx.Region) || (account != "" && account != ctx.Account) {
		return "", "", lambdaapi.ErrResourceNotFoundException.New("Function not found: %s", raw).With("Type", "User")
	}
	name, qual = m[5], m[6]
	if qualifier != nil && *qualifier != "" {
		if qual != "" && qual != *qualifier {
			return "", "", errInvalidParam("The derived qualifier from the function name does not match the specified qualifier.")
		}
		qual = *qualifier
	}
	return name, qual, nil
}

func errInvalidParam(format string, args ...any) error {
	return lambdaapi.ErrInvalidParameterValueException.New(format, args...).With("Type", "User")
}

func errNotFound(format string, args ...any) error {
	return lambdaapi.ErrResourceNotFoundException.New(format, args...).With("Type", "User")
}

func errConflict(format string, args ...any) error {
	return lambdaapi.ErrResourceConflictException.New(format, args...).With("Type", "User")
}

// lastModified is Lambda's timestamp format ("2024-05-01T12:00:00.000+0000").
func lastModified(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000-0700")
}

// background is the context of work that outlives a request (async
// invocations, event source mappings).
func background() context.Context { return context.Background() }

// SetNames gives functions the DNS names niwa hands out, which they
// resolve through their /etc/hosts to what niwa's DNS answers
// (internal/lambda).
func (l *Lambda) SetNames(names proc.Names) { l.exec.SetNames(names) }

// SetVPCNames gives functions attached to a VPC what that VPC's resolver
// answers (private hosted zones, instances' names), through their
// /etc/hosts (internal/lambda).
func (l *Lambda) SetVPCNames(fn proc.VPCNames) { l.exec.SetVPCNames(fn) }

// NamesChanged tells functions' hosts files that the names changed.
func (l *Lambda) NamesChanged() { l.exec.NamesChanged() }
