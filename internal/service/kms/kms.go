// Package kms is AWS Key Management Service with real cryptography:
// symmetric keys (AES-256-GCM), RSA and ECC keys for encryption and
// signatures, HMAC keys, aliases, key policies, grants, tags, key states
// on the injected clock (scheduled deletion) and rotation that keeps old
// key material able to decrypt.
//
// Key material lives in the storage layer with the key's record and never
// leaves it except through the API operations that return it by design
// (data keys, public keys).
package kms

import (
	"context"
	"runtime"
	"strings"
	"time"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kms/ciphertext"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// KMS implements the KMS API. Bind it with kmsapi.Bind.
type KMS struct {
	store storage.Store
	clock clock.Clock
	// rsaGen bounds concurrent RSA key generations (CreateKey,
	// GenerateDataKeyPair, GetParametersForImport): an RSA-4096 key costs
	// up to seconds of CPU, and a burst of requests must not take every
	// core from the rest of niwa.
	rsaGen chan struct{}
}

// New returns the KMS service.
func New(store storage.Store, clk clock.Clock) *KMS {
	if clk == nil {
		clk = clock.Real{}
	}
	return &KMS{store: store, clock: clk, rsaGen: make(chan struct{}, max(1, runtime.NumCPU()/2))}
}

// rsaBound runs f, an RSA key generation, when a slot is free; a request
// whose client gave up while waiting answers ThrottlingException.
func (s *KMS) rsaBound(ctx context.Context, f func() error) error {
	select {
	case s.rsaGen <- struct{}{}:
	case <-ctx.Done():
		return awserr.Throttling.New("Rate exceeded")
	}
	defer func() { <-s.rsaGen }()
	return f()
}

// Key states.
const (
	stateEnabled         = "Enabled"
	stateDisabled        = "Disabled"
	statePendingDeletion = "PendingDeletion"
)

// key is one KMS key. Materials are append-only: index i is the i-th key
// material (rotation appends), and ciphertexts name the index they were
// made with, so old material keeps decrypting.
type key struct {
	ID          string    `json:"id"`
	Account     string    `json:"account"`
	Region      string    `json:"region"`
	Description string    `json:"description"`
	Usage       string    `json:"usage"`
	Spec        string    `json:"spec"`
	Origin      string    `json:"origin"`
	Manager     string    `json:"manager"`
	State       string    `json:"state"`
	Created     time.Time `json:"created"`
	MultiRegion bool      `json:"multiRegion,omitempty"`
	// DeletionDate and Window are set while PendingDeletion.
	DeletionDate *time.Time `json:"deletionDate,omitempty"`
	Window       int32      `json:"window,omitempty"`
	Policy       string     `json:"policy"`
	// Seed derives rotated key material (see rotate).
	Seed []byte `json:"seed,omitempty"`
	// Multi-Region keys: Primary is the primary's region on a replica
	// ("" on the primary); Replicas are the replica regions, kept on
	// every key of the set.
	Primary  string   `json:"primary,omitempty"`
	Replicas []string `json:"replicas,omitempty"`
	// Tags keeps keys in the order they were first set, as AWS lists them.
	Tags      []tag      `json:"tags,omitempty"`
	Materials []material `json:"materials"`
	// Rotation.
	// Imported material (Origin EXTERNAL): Fingerprint (SHA-256 of the
	// first material imported) makes reimports prove they are the same;
	// ValidTo is when it expires on the clock.
	Fingerprint     []byte     `json:"fingerprint,omitempty"`
	ValidTo         *time.Time `json:"validTo,omitempty"`
	ExpirationModel string     `json:"expirationModel,omitempty"`
	RotationEnabled bool       `json:"rotationEnabled,omitempty"`
	RotationPeriod  int32      `json:"rotationPeriod,omitempty"`
	NextRotation    *time.Time `json:"nextRotation,omitempty"`
	Rotations       []rotation `json:"rotations,omitempty"`
}

type tag struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

// material is one version of a key's secret. Symmetric and HMAC keys keep
// raw bytes in Secret; asymmetric keys keep the private key as PKCS#8 DER
// (secp256k1: see secp256k1.go) in Private.
type material struct {
	Secret  []byte    `json:"secret,omitempty"`
	Private []byte    `json:"private,omitempty"`
	Created time.Time `json:"created"`
}

type rotation struct {
	Date time.Time `json:"date"`
	Type string    `json:"type"`
}

// alias is an alias name pointing at a key in the same scope.
type alias struct {
	Name    string    `json:"name"`
	Target  string    `json:"target"`
	Created time.Time `json:"created"`
	Updated time.Time `json:"updated"`
}

var (
	keys    = storage.NewTable[key]("key")
	aliases = storage.NewTable[alias]("alias")
	grants  = storage.NewTable[grant]("grant")
)

// NotAuthorizedException is what KMS answers for reserved alias names
// (alias/aws/...). It is not a modeled KMS error.
var errNotAuthorized = awserr.NotAuthorizedException

func scopeOf(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

func keyARN(sc storage.Scope, id string) string {
	return "arn:aws:kms:" + sc.Region + ":" + sc.Account + ":key/" + id
}

func aliasARN(sc storage.Scope, name string) string {
	return "arn:aws:kms:" + sc.Region + ":" + sc.Account + ":" + name
}

func (k *key) arn() string { return keyARN(k.scope(), k.ID) }

func (k *key) scope() storage.Scope { return storage.Scope{Account: k.Account, Region: k.Region} }

// newKeyID returns a random UUID, or a multi-Region key id (mrk- and 32
// hex digits) as AWS writes them.
func newKeyID(multiRegion bool) string {
	if multiRegion {
		return "mrk-" + awsid.Hex(32)
	}
	return awsid.UUID()
}

func validKeyID(id string) bool { _, _, ok := ciphertext.KeyIDBytes(id); return ok }

// Errors with AWS's messages.

func errKeyMissing(arn string) error {
	return kmsapi.ErrNotFoundException.New("Key '%s' does not exist", arn)
}

func errAliasMissing(arn string) error {
	return kmsapi.ErrNotFoundException.New("Alias %s is not found.", arn)
}

func errInvalidKeyID(id string) error {
	return kmsapi.ErrNotFoundException.New("Invalid keyId %s", id)
}

func errUsage(k *key, op string) error {
	return kmsapi.ErrInvalidKeyUsageException.New("%s key usage is %s which is not valid for %s.", k.arn(), k.Usage, op)
}

func errAlgorithm(alg, spec string) error {
	return kmsapi.ErrInvalidKeyUsageException.New("Algorithm %s is incompatible with key spec %s.", alg, spec)
}

// errState is the answer for a key whose state does not allow op:
// DisabledException for a disabled key where the key must be usable,
// KMSInvalidStateException otherwise.
func errState(k *key) error {
	switch k.State {
	case stateDisabled:
		return kmsapi.ErrDisabledException.New("%s is disabled.", k.arn())
	case statePendingDeletion:
		return kmsapi.ErrKMSInvalidStateException.New("%s is pending deletion.", k.arn())
	case statePendingImport:
		return kmsapi.ErrKMSInvalidStateException.New("%s is pending import.", k.arn())
	}
	return kmsapi.ErrKMSInvalidStateException.New("%s is %s.", k.arn(), k.State)
}

func validation(format string, args ...any) error {
	return awserr.ValidationException.New(format, args...)
}

// customerManaged refuses changes to an AWS managed key (alias/aws/...):
// its key policy grants no one the management actions, so AWS denies them
// whoever calls, the account root included.
func customerManaged(ctx *request.Context, k *key, op string) error {
	if k.Manager != "AWS" {
		return nil
	}
	return awserr.AccessDeniedException.New("User: %s is not authorized to perform: kms:%s on resource: %s because no resource-based policy allows the kms:%s action", ctx.Caller.ARN, op, k.arn(), op)
}

// dryRun answers DryRunOperationException once a request has passed every
// check, as KMS does when DryRun is set.
func dryRun(b *bool) error {
	if b != nil && *b {
		return kmsapi.ErrDryRunOperationException.New("The request would have succeeded, but the DryRun option is set.")
	}
	return nil
}

// usable checks that a key may be used in a cryptographic operation.
func usable(k *key) error {
	if k.State != stateEnabled {
		return errState(k)
	}
	return nil
}

// notPendingDeletion guards management operations AWS refuses on a key
// scheduled for deletion.
func notPendingDeletion(k *key) error {
	if k.State == statePendingDeletion {
		return errState(k)
	}
	return nil
}

// due applies what the clock says happened to k since it was stored:
// deletion when DeletionDate passed, automatic rotations whose date
// passed. deleted reports the key is gone; changed that k must be
// written back.
func due(k *key, now time.Time) (deleted, changed bool) {
	if k.State == statePendingDeletion && k.DeletionDate != nil && !now.Before(*k.DeletionDate) {
		return true, true
	}
	if k.ValidTo != nil && !now.Before(*k.ValidTo) {
		k.dropMaterial()
		changed = true
	}
	for k.RotationEnabled && k.RotationPeriod > 0 && k.State != statePendingDeletion && k.NextRotation != nil && !now.Before(*k.NextRotation) {
		at := *k.NextRotation
		if err := k.rotate(at, "AUTOMATIC"); err != nil {
			break
		}
		next := at.Add(days(k.RotationPeriod))
		k.NextRotation = &next
		changed = true
	}
	return false, changed
}

func days(n int32) time.Duration { return time.Duration(n) * 24 * time.Hour }

// ref names a key (or an alias) a request gave as KeyId.
type ref struct {
	sc    storage.Scope
	id    string // key id, when given directly
	alias string // alias name (alias/...), when given as an alias
}

// parseKeyRef accepts a key id, key ARN, alias name or alias ARN.
func parseKeyRef(ctx *request.Context, s string) (ref, error) {
	r := ref{sc: scopeOf(ctx)}
	switch {
	case strings.HasPrefix(s, "arn:"):
		p := strings.SplitN(s, ":", 6)
		if len(p) != 6 || p[2] != "kms" || p[3] == "" || p[4] == "" {
			return r, kmsapi.ErrNotFoundException.New("Invalid arn %s", s)
		}
		r.sc = storage.Scope{Account: p[4], Region: p[3]}
		switch {
		case strings.HasPrefix(p[5], "key/"):
			r.id = p[5][4:]
			if !validKeyID(r.id) {
				return r, errInvalidKeyID(s)
			}
		case strings.HasPrefix(p[5], "alias/"):
			r.alias = p[5]
		default:
			return r, kmsapi.ErrNotFoundException.New("Invalid arn %s", s)
		}
		if r.sc.Region != ctx.Region {
			// Keys are regional: another region's ARN names nothing here.
			if r.alias != "" {
				return r, errAliasMissing(s)
			}
			return r, errKeyMissing(s)
		}
	case strings.HasPrefix(s, "alias/"):
		r.alias = s
	default:
		if !validKeyID(s) {
			return r, errInvalidKeyID(s)
		}
		r.id = s
	}
	return r, nil
}

// lookup finds the key r names in tx, applying due rotations in memory
// (changed: the caller should write k back). A key whose deletion date
// passed is missing; expired then reports that its record (k) is still
// stored and should be purged.
func lookup(tx storage.Tx, r ref, now time.Time) (k key, changed, expired bool, err error) {
	id := r.id
	missing := func() error {
		if r.alias != "" {
			return errAliasMissing(aliasARN(r.sc, r.alias))
		}
		return errKeyMissing(keyARN(r.sc, id))
	}
	if r.alias != "" {
		a, found, err := aliases.Get(tx, r.sc, r.alias)
		if err != nil {
			return k, false, false, err
		}
		if !found {
			return k, false, false, missing()
		}
		id = a.Target
	}
	k, found, err := keys.Get(tx, r.sc, id)
	if err != nil {
		return k, false, false, err
	}
	if !found {
		return k, false, false, missing()
	}
	deleted, changed := due(&k, now)
	if deleted {
		return k, false, true, missing()
	}
	return k, changed, false, nil
}

// purge removes a key whose deletion date passed, with its aliases and
// grants.
func purge(tx storage.Tx, sc storage.Scope, id string) error {
	k, found, err := keys.Get(tx, sc, id)
	if err != nil {
		return err
	}
	if err := keys.Delete(tx, sc, id); err != nil {
		return err
	}
	if found && k.MultiRegion && len(k.Replicas) > 0 {
		// A deleted replica leaves its set (a primary with replicas
		// cannot be scheduled for deletion).
		kept := []string{}
		for _, r := range k.Replicas {
			if r != k.Region {
				kept = append(kept, r)
			}
		}
		k.Replicas = kept
		if err := syncReplicas(tx, &k); err != nil {
			return err
		}
	}
	var drop []string
	if err := aliases.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, a alias) bool {
		if a.Target == id {
			drop = append(drop, a.Name)
		}
		return true
	}); err != nil {
		return err
	}
	for _, n := range drop {
		if err := aliases.Delete(tx, sc, n); err != nil {
			return err
		}
	}
	var gids []string
	if err := grants.List(tx, sc, []string{id}, storage.ListOptions{}, func(_ []string, g grant) bool {
		gids = append(gids, g.ID)
		return true
	}); err != nil {
		return err
	}
	for _, g := range gids {
		if err := grants.Delete(tx, sc, id, g); err != nil {
			return err
		}
	}
	return nil
}

// read resolves keyID to a key for an operation that does not change it.
// Most calls only read; when the clock made a deletion or rotation due,
// the key is settled in a write transaction first.
func (s *KMS) read(ctx *request.Context, keyID *string) (key, error) {
	if keyID == nil {
		return key{}, validation("KeyId is required")
	}
	r, err := parseKeyRef(ctx, *keyID)
	if err != nil {
		return key{}, err
	}
	var k key
	var changed, expired bool
	now := ctx.Now()
	err = s.store.View(func(tx storage.Tx) error {
		var err error
		k, changed, expired, err = lookup(tx, r, now)
		return err
	})
	if !changed && !expired {
		return k, err
	}
	err = s.apply(ctx, keyID, func(k2 *key) error { k = *k2; return nil })
	return k, err
}

// keyOnly refuses an alias where AWS takes only a key id or key ARN (the
// management operations: EnableKey, TagResource, GetKeyPolicy, ...).
func keyOnly(keyID *string) error {
	if keyID != nil && (strings.HasPrefix(*keyID, "alias/") || strings.HasPrefix(*keyID, "arn:") && strings.Contains(*keyID, ":alias/")) {
		return errInvalidKeyID(*keyID)
	}
	return nil
}

// readKey is read for the operations that take only a key id or key ARN.
func (s *KMS) readKey(ctx *request.Context, keyID *string) (key, error) {
	if err := keyOnly(keyID); err != nil {
		return key{}, err
	}
	return s.read(ctx, keyID)
}

// update resolves keyID (a key id or key ARN: every operation that
// changes a key takes only those) and runs fn on the key in one write
// transaction, writing it back afterwards.
// after, if given, run in the same transaction once the key is written.
func (s *KMS) update(ctx *request.Context, keyID *string, fn func(k *key) error, after ...func(tx storage.Tx, k *key) error) error {
	if err := keyOnly(keyID); err != nil {
		return err
	}
	return s.apply(ctx, keyID, fn, after...)
}

// apply is update for any key reference. A key found past its deletion
// date is purged (with its aliases and grants) and answers
// NotFoundException.
func (s *KMS) apply(ctx *request.Context, keyID *string, fn func(k *key) error, after ...func(tx storage.Tx, k *key) error) error {
	if keyID == nil {
		return validation("KeyId is required")
	}
	r, err := parseKeyRef(ctx, *keyID)
	if err != nil {
		return err
	}
	now := ctx.Now()
	var gone error
	err = s.store.Update(func(tx storage.Tx) error {
		k, _, expired, err := lookup(tx, r, now)
		if expired {
			gone = err
			return purge(tx, k.scope(), k.ID)
		}
		if err != nil {
			return err
		}
		if err := fn(&k); err != nil {
			return err
		}
		if err := keys.Put(tx, k.scope(), k, k.ID); err != nil {
			return err
		}
		if k.MultiRegion && k.Primary == "" && len(k.Replicas) > 0 {
			if err := syncReplicas(tx, &k); err != nil {
				return err
			}
		}
		for _, a := range after {
			if err := a(tx, &k); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil && gone != nil {
		return gone
	}
	return err
}

// ResourcePolicy returns the key policy of the key (or alias) arn names,
// for the IAM engine: KMS requires the key policy to allow every use of a
// key (the default policy delegates to IAM for the account).
func (s *KMS) ResourcePolicy(ctx context.Context, arn string) (document, owner string, found bool, err error) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[2] != "kms" {
		return "", "", false, nil
	}
	sc := storage.Scope{Account: p[4], Region: p[3]}
	r := ref{sc: sc}
	switch {
	case strings.HasPrefix(p[5], "key/"):
		r.id = p[5][4:]
	case strings.HasPrefix(p[5], "alias/"):
		r.alias = p[5]
	default:
		return "", sc.Account, false, nil
	}
	var k key
	err = s.store.View(func(tx storage.Tx) error {
		var err error
		k, _, _, err = lookup(tx, r, s.clock.Now())
		if err != nil {
			return err
		}
		document, err = policyWithGrants(tx, &k)
		return err
	})
	if err != nil {
		if awserr.As(err).Code.Code == kmsapi.ErrNotFoundException.Code {
			return "", sc.Account, false, nil
		}
		return "", "", false, err
	}
	return document, sc.Account, true, nil
}

// AliasTarget returns the ARN of the key an alias ARN points at, for the
// authorizer: AWS authorizes the key an alias names.
func (s *KMS) AliasTarget(ctx context.Context, aliasARN string) (string, bool) {
	p := strings.SplitN(aliasARN, ":", 6)
	if len(p) != 6 || p[2] != "kms" || !strings.HasPrefix(p[5], "alias/") {
		return "", false
	}
	r := ref{sc: storage.Scope{Account: p[4], Region: p[3]}, alias: p[5]}
	var k key
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		k, _, _, err = lookup(tx, r, s.clock.Now())
		return err
	})
	if err != nil {
		return "", false
	}
	return k.arn(), true
}
