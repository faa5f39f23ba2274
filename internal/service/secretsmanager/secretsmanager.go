// Package secretsmanager is AWS Secrets Manager: secrets with versions
// and staging labels (AWSCURRENT, AWSPREVIOUS, AWSPENDING), values
// encrypted at rest under a KMS key, deletion with a recovery window on
// the clock, resource policies, replication to niwa's other regions and
// rotation by a Lambda function through the four-step protocol.
//
// A secret is one record (its metadata and the list of its versions);
// each version's value is a separate record holding only ciphertext:
// the value sealed with AES-256-GCM under a data key that KMS generated
// and that is stored encrypted by KMS (Options.Keys).
package secretsmanager

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Functions is the Lambda seam for rotation.
type Functions interface {
	// Allowed reports whether the function's resource policy lets
	// secretsmanager.amazonaws.com invoke it for the secret sourceARN
	// (an error when the function does not exist).
	Allowed(ctx context.Context, functionARN, sourceARN, sourceAccount string) (bool, error)
	// Invoke runs the function synchronously with payload; an error is
	// returned when it cannot run or when it answers with a function
	// error.
	Invoke(ctx context.Context, functionARN string, payload []byte) error
}

// Options configure the service.
type Options struct {
	Store storage.Store
	Clock clock.Clock
	Log   *slog.Logger
	// Keys encrypts values under KMS keys as the caller (required).
	Keys kms.DataKeys
	// Functions runs rotation functions; nil refuses rotation.
	Functions Functions
	// Regions are niwa's regions, for replication.
	Regions []string
}

// Databases describes the databases AWS::SecretsManager::
// SecretTargetAttachment attaches secrets to.
type Databases interface {
	// Connection returns the fields the attachment adds to the secret
	// (engine, host, port, dbInstanceIdentifier or dbClusterIdentifier)
	// for the database of CloudFormation type typ and identifier id.
	Connection(ctx *request.Context, typ, id string) (map[string]any, error)
}

// SecretsManager implements the Secrets Manager API. Bind it with
// secretsmanagerapi.Bind.
type SecretsManager struct {
	opt Options

	// Rotation timers, by secret (account|region|name), rebuilt from the
	// store at start: they are a cache of NextRotation.
	mu     sync.Mutex
	timers map[string]clock.Timer
	// inFlight are the secrets whose rotation runs now.
	inFlight map[string]bool
	closed   bool
	// running counts background rotations, so Close and tests can wait.
	running sync.WaitGroup
	// dbs are the databases secrets attach to (SetDatabases; nil: none).
	dbs Databases
}

// SetDatabases gives the service the databases secrets attach to
// (RDS is wired after Secrets Manager, whose secrets it keeps).
func (s *SecretsManager) SetDatabases(d Databases) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dbs = d
}

func (s *SecretsManager) databases() Databases {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dbs
}

// New returns the service and arms the rotation schedules stored.
func New(opt Options) *SecretsManager {
	if opt.Clock == nil {
		opt.Clock = clock.Real{}
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &SecretsManager{opt: opt, timers: map[string]clock.Timer{}, inFlight: map[string]bool{}}
	s.armAll()
	return s
}

// Close stops the rotation timers and waits for rotations in progress.
func (s *SecretsManager) Close() error {
	s.mu.Lock()
	s.closed = true
	for k, t := range s.timers {
		t.Stop()
		delete(s.timers, k)
	}
	s.mu.Unlock()
	s.running.Wait()
	return nil
}

// Reset drops the timers of state that POST /_niwa/reset removed
// (kit.Declaration.Reset).
func (s *SecretsManager) Reset() error {
	s.mu.Lock()
	for k, t := range s.timers {
		t.Stop()
		delete(s.timers, k)
	}
	s.mu.Unlock()
	return nil
}

// Staging labels Secrets Manager gives meaning to.
const (
	stageCurrent  = "AWSCURRENT"
	stagePrevious = "AWSPREVIOUS"
	stagePending  = "AWSPENDING"
)

// Quotas (Secrets Manager quotas page).
const (
	maxVersions       = 100 // versions kept; older unlabelled ones are dropped
	maxStagesPerVer   = 20
	maxTags           = 50
	maxPolicyBytes    = 20480
	defaultListResult = 100
)

// secret is one secret's record.
type secret struct {
	Name        string  `json:"name"`
	Suffix      string  `json:"suffix"`
	Account     string  `json:"account"`
	Region      string  `json:"region"`
	Description *string `json:"description,omitempty"`
	// KmsKeyID is the key as the user gave it ("" for the AWS managed
	// key, which DescribeSecret leaves out).
	KmsKeyID string     `json:"kmsKeyId,omitempty"`
	Created  time.Time  `json:"created"`
	Changed  time.Time  `json:"changed"`
	Accessed *time.Time `json:"accessed,omitempty"`
	// Deleted is when DeleteSecret scheduled the deletion, Purge when
	// the secret is gone for good.
	Deleted  *time.Time `json:"deleted,omitempty"`
	Purge    *time.Time `json:"purge,omitempty"`
	Tags     []tag      `json:"tags,omitempty"`
	Policy   string     `json:"policy,omitempty"`
	Versions []version  `json:"versions,omitempty"`
	Rotation rotation   `json:"rotation"`
	// Primary is the primary's region on a replica ("" on a primary).
	Primary  string    `json:"primary,omitempty"`
	Replicas []replica `json:"replicas,omitempty"`
	// Owner is the ARN fragment of the managing service (OwningService).
	Owner string `json:"owner,omitempty"`
}

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// version is one version's metadata; its value is in the values table.
type version struct {
	ID       string     `json:"id"`
	Stages   []string   `json:"stages,omitempty"`
	Created  time.Time  `json:"created"`
	Accessed *time.Time `json:"accessed,omitempty"`
	KeyARN   string     `json:"keyArn,omitempty"`
}

// value is a version's encrypted value.
type value struct {
	// DataKey is the data key as KMS encrypted it.
	DataKey []byte `json:"dataKey"`
	// Sealed is nonce || AES-256-GCM(value), with the secret ARN and
	// version id as additional data.
	Sealed []byte `json:"sealed"`
	Binary bool   `json:"binary,omitempty"`
}

type rotation struct {
	Enabled     bool       `json:"enabled,omitempty"`
	LambdaARN   string     `json:"lambdaArn,omitempty"`
	Days        *int64     `json:"days,omitempty"`
	Expression  string     `json:"expression,omitempty"`
	Duration    string     `json:"duration,omitempty"`
	LastRotated *time.Time `json:"lastRotated,omitempty"`
	Next        *time.Time `json:"next,omitempty"`
}

type replica struct {
	Region   string `json:"region"`
	KmsKeyID string `json:"kmsKeyId,omitempty"`
	Status   string `json:"status"`
	Message  string `json:"message,omitempty"`
}

var (
	secrets = storage.NewTable[secret]("secret")
	values  = storage.NewTable[value]("value")
	// timers index, in the empty scope, the secrets with a deletion or
	// rotation due, so that New arms them all after a restart.
	timers = storage.NewTable[timerEntry]("timer")
)

type timerEntry struct {
	Account string `json:"account"`
	Region  string `json:"region"`
	Name    string `json:"name"`
}

func scopeOf(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func (sec *secret) scope() storage.Scope {
	return storage.Scope{Account: sec.Account, Region: sec.Region}
}

func (sec *secret) arn() string {
	return secretARN(sec.scope(), sec.Name, sec.Suffix)
}

func secretARN(sc storage.Scope, name, suffix string) string {
	return "arn:aws:secretsmanager:" + sc.Region + ":" + sc.Account + ":secret:" + name + "-" + suffix
}

const suffixAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func newSuffix() string { return awsid.String(suffixAlphabet, 6) }

// Errors with AWS's messages.

func errNotFound() error {
	return smapi.ErrResourceNotFoundException.New("Secrets Manager can't find the specified secret.")
}

func errDeleted() error {
	return smapi.ErrInvalidRequestException.New("You can't perform this operation on the secret because it was marked for deletion.")
}

func errReplica() error {
	return smapi.ErrInvalidRequestException.New("Operation not permitted on a replica secret. Call must be made in primary secret's region.")
}

func invalidParam(format string, args ...any) error {
	return smapi.ErrInvalidParameterException.New(format, args...)
}

func invalidRequest(format string, args ...any) error {
	return smapi.ErrInvalidRequestException.New(format, args...)
}

// validName reports whether a secret name has only the characters AWS
// allows (ASCII letters, digits and /_+=.@-; at most 512).
func validName(n string) bool {
	if n == "" || len(n) > 512 {
		return false
	}
	for _, c := range n {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.ContainsRune("/_+=.@-!", c):
		default:
			return false
		}
	}
	return true
}

func errInvalidName() error {
	return awserr.ValidationException.New("Invalid name. Must be a valid name containing alphanumeric characters, or any of the following: -/_+=.@!")
}

// candidate is one reading of a SecretId: a name, and the ARN suffix it
// must have when the SecretId was a full ARN.
type candidate struct {
	name, suffix string
}

// resolveID finds the scope and names a SecretId may mean: a name in the
// caller's scope, a full ARN (any account: cross-account access is by
// full ARN and the resource policy) or a partial ARN without the random
// suffix.
func resolveID(ctx *request.Context, id string) (storage.Scope, []candidate) {
	sc := scopeOf(ctx)
	if id == "" {
		return sc, nil
	}
	if !strings.HasPrefix(id, "arn:") {
		return sc, []candidate{{name: id}}
	}
	parts := strings.SplitN(id, ":", 7)
	if len(parts) != 7 || parts[2] != "secretsmanager" || parts[5] != "secret" || parts[6] == "" {
		return sc, nil
	}
	sc = storage.Scope{Account: parts[4], Region: parts[3]}
	rest := parts[6]
	// Most specific first: NAME-abcdef is the full ARN of NAME; the
	// whole rest is a partial ARN of a name that happens to end so.
	var cands []candidate
	if i := len(rest) - 7; i > 0 && rest[i] == '-' {
		cands = append(cands, candidate{name: rest[:i], suffix: rest[i+1:]})
	}
	return sc, append(cands, candidate{name: rest})
}

// find reads the secret named by id, purging it first (write) when its
// recovery window has passed. A secret scheduled for deletion is
// returned with Deleted set.
func (s *SecretsManager) find(tx storage.Tx, ctx *request.Context, id string, write bool) (secret, bool, error) {
	sc, cands := resolveID(ctx, id)
	for _, c := range cands {
		sec, ok, err := secrets.Get(tx, sc, c.name)
		if err != nil {
			return secret{}, false, err
		}
		if !ok || (c.suffix != "" && sec.Suffix != c.suffix) {
			continue
		}
		if sec.Purge != nil && !ctx.Now().Before(*sec.Purge) {
			// The recovery window is over: the secret is gone (its timer
			// may not have fired yet).
			if write {
				if err := purge(tx, sec); err != nil {
					return secret{}, false, err
				}
			}
			return secret{}, false, nil
		}
		return sec, true, nil
	}
	return secret{}, false, nil
}

// purge removes a secret, its values and its timer entry.
func purge(tx storage.Tx, sec secret) error {
	sc := sec.scope()
	if err := timers.Delete(tx, storage.Scope{}, sc.Account, sc.Region, sec.Name); err != nil {
		return err
	}
	for _, v := range sec.Versions {
		if err := values.Delete(tx, sc, sec.Name, v.ID); err != nil {
			return err
		}
	}
	return secrets.Delete(tx, sc, sec.Name)
}

// read returns a live secret (not scheduled for deletion).
func (s *SecretsManager) read(ctx *request.Context, id *string) (secret, error) {
	var sec secret
	err := s.opt.Store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		sec, ok, err = s.find(tx, ctx, deref(id), false)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		return nil
	})
	return sec, err
}

// update runs fn on the secret id names inside one transaction and
// stores it after. allowDeleted lets fn see a secret in its recovery
// window; otherwise such a secret answers InvalidRequestException.
func (s *SecretsManager) update(ctx *request.Context, id *string, allowDeleted bool, fn func(tx storage.Tx, sec *secret) error) (secret, error) {
	var sec secret
	gone := false
	err := s.opt.Store.Update(func(tx storage.Tx) error {
		var ok bool
		var err error
		sec, ok, err = s.find(tx, ctx, deref(id), true)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		if sec.Deleted != nil && !allowDeleted {
			return errDeleted()
		}
		if err := fn(tx, &sec); err != nil {
			if errors.Is(err, errPurged) {
				gone = true
				return purge(tx, sec)
			}
			return err
		}
		return save(tx, sec)
	})
	if err == nil && !gone {
		s.arm(sec)
	}
	return sec, err
}

// errPurged is what an update function returns to delete the secret
// for good instead of storing it.
var errPurged = errors.New("secretsmanager: purged")

// save stores a secret and keeps the global timer index in step: a
// secret has an entry while a deletion or a rotation is due.
func save(tx storage.Tx, sec secret) error {
	sc := sec.scope()
	if err := secrets.Put(tx, sc, sec, sec.Name); err != nil {
		return err
	}
	if sec.dueAt().IsZero() {
		return timers.Delete(tx, storage.Scope{}, sc.Account, sc.Region, sec.Name)
	}
	return timers.Put(tx, storage.Scope{}, timerEntry{Account: sc.Account, Region: sc.Region, Name: sec.Name}, sc.Account, sc.Region, sec.Name)
}

func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// day truncates t to its UTC date: AWS reports LastAccessedDate as a
// date.
func day(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

// versionIndex finds a version by id.
func (sec *secret) versionIndex(id string) int {
	for i, v := range sec.Versions {
		if v.ID == id {
			return i
		}
	}
	return -1
}

// stageIndex finds the version carrying a staging label.
func (sec *secret) stageIndex(stage string) int {
	for i, v := range sec.Versions {
		for _, st := range v.Stages {
			if st == stage {
				return i
			}
		}
	}
	return -1
}

func hasStage(v version, stage string) bool {
	for _, st := range v.Stages {
		if st == stage {
			return true
		}
	}
	return false
}

func removeStage(v *version, stage string) {
	out := v.Stages[:0]
	for _, st := range v.Stages {
		if st != stage {
			out = append(out, st)
		}
	}
	v.Stages = out
	if len(v.Stages) == 0 {
		v.Stages = nil
	}
}

// moveStage attaches stage to version i, taking it from any other.
func (sec *secret) moveStage(i int, stage string) {
	for j := range sec.Versions {
		if j != i {
			removeStage(&sec.Versions[j], stage)
		}
	}
	if !hasStage(sec.Versions[i], stage) {
		sec.Versions[i].Stages = append(sec.Versions[i].Stages, stage)
	}
}

// makeCurrent moves AWSCURRENT to version i; the version that had it
// becomes AWSPREVIOUS, as every write path of Secrets Manager does.
func (sec *secret) makeCurrent(i int) {
	if cur := sec.stageIndex(stageCurrent); cur >= 0 && cur != i {
		sec.moveStage(cur, stagePrevious)
	}
	sec.moveStage(i, stageCurrent)
}

// prune drops the oldest versions without staging labels beyond the
// quota (AWS removes deprecated versions the same way).
func (sec *secret) prune(tx storage.Tx) error {
	for len(sec.Versions) > maxVersions {
		drop := -1
		for i, v := range sec.Versions {
			if len(v.Stages) == 0 {
				drop = i
				break
			}
		}
		if drop < 0 {
			return smapi.ErrLimitExceededException.New("The request failed because it would exceed one of the Secrets Manager quotas.")
		}
		if err := values.Delete(tx, sec.scope(), sec.Name, sec.Versions[drop].ID); err != nil {
			return err
		}
		sec.Versions = append(sec.Versions[:drop], sec.Versions[drop+1:]...)
	}
	return nil
}

// ResourcePolicy implements the server's resourcePolicySource: the
// secret's resource policy for the IAM engine.
func (s *SecretsManager) ResourcePolicy(ctx context.Context, arn string) (doc, owner string, found bool, err error) {
	rc := &request.Context{Context: ctx, Clock: s.opt.Clock}
	err = s.opt.Store.View(func(tx storage.Tx) error {
		sec, ok, err := s.find(tx, rc, arn, false)
		if err != nil || !ok {
			return err
		}
		doc, owner, found = sec.Policy, sec.Account, true
		return nil
	})
	return doc, owner, found, err
}

// SecretARN resolves a SecretId (name or partial ARN) in account and
// region to the secret's full ARN, for authorization: policies name
// secrets by ARN with its random suffix.
func (s *SecretsManager) SecretARN(ctx context.Context, account, region, id string) (string, bool) {
	rc := &request.Context{Context: ctx, Account: account, Region: region, Clock: s.opt.Clock}
	var arn string
	err := s.opt.Store.View(func(tx storage.Tx) error {
		sec, ok, err := s.find(tx, rc, id, false)
		if ok {
			arn = sec.arn()
		}
		return err
	})
	return arn, err == nil && arn != ""
}

// Tags returns a secret's tags by ARN (aws:ResourceTag).
func (s *SecretsManager) Tags(ctx context.Context, arn string) (map[string]string, bool, error) {
	rc := &request.Context{Context: ctx, Clock: s.opt.Clock}
	var out map[string]string
	err := s.opt.Store.View(func(tx storage.Tx) error {
		sec, ok, err := s.find(tx, rc, arn, false)
		if err != nil || !ok {
			return err
		}
		out = make(map[string]string, len(sec.Tags))
		for _, t := range sec.Tags {
			out[t.Key] = t.Value
		}
		return nil
	})
	return out, out != nil, err
}
