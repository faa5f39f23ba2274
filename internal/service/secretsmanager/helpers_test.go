package secretsmanager

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeKeys is a KMS seam with real AES-GCM wrapping under one master key
// per KMS key id; a blob carries its key id and opens only with the
// encryption context it was made with. Keys can be disabled and callers
// denied.
type fakeKeys struct {
	mu       sync.Mutex
	masters  map[string][]byte
	disabled map[string]bool
	denied   map[string]bool // caller ARNs
	calls    []keyCall
}

type keyCall struct {
	Op, KeyID, Caller, Service string
	Context                    map[string]string
}

func newFakeKeys() *fakeKeys {
	return &fakeKeys{masters: map[string][]byte{}, disabled: map[string]bool{}, denied: map[string]bool{}}
}

func (k *fakeKeys) arn(ctx *request.Context, id string) string {
	if id == "" {
		id = "alias/aws/" + ctx.Service
	}
	if strings.HasPrefix(id, "arn:") {
		return id
	}
	return "arn:aws:kms:" + ctx.Region + ":" + ctx.Account + ":key/" + strings.ReplaceAll(id, "/", "-")
}

func (k *fakeKeys) gcm(arn string) cipher.AEAD {
	m, ok := k.masters[arn]
	if !ok {
		m = make([]byte, 32)
		rand.Read(m)
		k.masters[arn] = m
	}
	b, _ := aes.NewCipher(m)
	g, _ := cipher.NewGCM(b)
	return g
}

func (k *fakeKeys) check(ctx *request.Context, op, arn string, ec map[string]string) error {
	k.calls = append(k.calls, keyCall{Op: op, KeyID: arn, Caller: ctx.Caller.ARN, Service: ctx.Service, Context: ec})
	if k.denied[ctx.Caller.ARN] {
		return awserr.Code{Code: kms.AccessDenied, Status: 400, Sender: true}.New("not authorized to perform: kms:%s", op)
	}
	if k.disabled[arn] {
		return awserr.Code{Code: kms.Disabled, Status: 400, Sender: true}.New("%s is disabled.", arn)
	}
	return nil
}

func (k *fakeKeys) Key(ctx *request.Context, keyID string) (kms.Key, error) {
	return kms.Key{ARN: k.arn(ctx, keyID), State: "Enabled", Spec: "SYMMETRIC_DEFAULT", Usage: "ENCRYPT_DECRYPT"}, nil
}

func (k *fakeKeys) GenerateDataKey(ctx *request.Context, keyID string, ec map[string]string) (kms.DataKey, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	arn := k.arn(ctx, keyID)
	if err := k.check(ctx, "GenerateDataKey", arn, ec); err != nil {
		return kms.DataKey{}, err
	}
	plain := make([]byte, 32)
	rand.Read(plain)
	g := k.gcm(arn)
	nonce := make([]byte, g.NonceSize())
	rand.Read(nonce)
	aad, _ := json.Marshal(ec)
	blob := append([]byte(arn+"|"), g.Seal(nonce, nonce, plain, aad)...)
	return kms.DataKey{Plaintext: plain, Ciphertext: blob, KeyARN: arn}, nil
}

func (k *fakeKeys) Decrypt(ctx *request.Context, blob []byte, ec map[string]string) ([]byte, string, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	arn, sealed, ok := strings.Cut(string(blob), "|")
	invalid := awserr.Code{Code: kms.InvalidCiphertext, Status: 400, Sender: true}.New("")
	if !ok {
		return nil, "", invalid
	}
	if err := k.check(ctx, "Decrypt", arn, ec); err != nil {
		return nil, "", err
	}
	g := k.gcm(arn)
	aad, _ := json.Marshal(ec)
	n := g.NonceSize()
	plain, err := g.Open(nil, []byte(sealed[:n]), []byte(sealed[n:]), aad)
	if err != nil {
		return nil, "", invalid
	}
	return plain, arn, nil
}

func (k *fakeKeys) Encrypt(*request.Context, string, []byte, map[string]string) ([]byte, string, error) {
	return nil, "", errors.New("not used")
}

func (k *fakeKeys) Check(ctx *request.Context, keyID, op string) (kms.Key, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	key, _ := k.Key(ctx, keyID)
	return key, k.check(ctx, op, key.ARN, nil)
}

func (k *fakeKeys) CheckService(*request.Context, string, string, string, map[string]string) (kms.Key, error) {
	return kms.Key{}, errors.New("not used")
}

var _ kms.DataKeys = (*fakeKeys)(nil)

// fakeLambda is a rotation function written in Go: it performs the four
// steps through the service's own handlers, as a function calling the
// API would.
type fakeLambda struct {
	s       *SecretsManager
	h       *servicetest.Harness
	mu      sync.Mutex
	steps   []string
	allowed bool
	missing bool
	failAt  string
	next    string // the value createSecret puts
}

func (f *fakeLambda) Allowed(_ context.Context, fn, sourceARN, account string) (bool, error) {
	if f.missing {
		return false, awserr.Code{Code: "ResourceNotFoundException", Status: 404}.New("Function not found: %s", fn)
	}
	return f.allowed, nil
}

func (f *fakeLambda) Invoke(_ context.Context, fn string, payload []byte) error {
	var ev struct{ Step, SecretId, ClientRequestToken string }
	if err := json.Unmarshal(payload, &ev); err != nil {
		return err
	}
	f.mu.Lock()
	f.steps = append(f.steps, ev.Step)
	failAt, next := f.failAt, f.next
	f.mu.Unlock()
	if ev.Step == failAt {
		return errors.New("Unhandled: step failed")
	}
	ctx := f.h.Ctx()
	switch ev.Step {
	case "createSecret":
		_, err := f.s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: &ev.SecretId, ClientRequestToken: &ev.ClientRequestToken,
			SecretString: ptr.To(next), VersionStages: []string{stagePending}})
		return err
	case "finishSecret":
		d, err := f.s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: &ev.SecretId})
		if err != nil {
			return err
		}
		var cur string
		for v, st := range d.VersionIdsToStages {
			for _, s := range st {
				if s == stageCurrent {
					cur = v
				}
			}
		}
		_, err = f.s.UpdateSecretVersionStage(ctx, &smapi.UpdateSecretVersionStageInput{SecretId: &ev.SecretId, VersionStage: ptr.To(stageCurrent),
			MoveToVersionId: &ev.ClientRequestToken, RemoveFromVersionId: &cur})
		return err
	}
	return nil
}

func (f *fakeLambda) Steps() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string{}, f.steps...)
}

// fixture is a service on a harness with fake KMS and Lambda.
type fixture struct {
	h    *servicetest.Harness
	s    *SecretsManager
	keys *fakeKeys
	fn   *fakeLambda
}

func newFixture(t *testing.T, opts ...servicetest.Option) *fixture {
	h := servicetest.New(t, "secretsmanager", opts...)
	f := &fixture{h: h, keys: newFakeKeys()}
	f.fn = &fakeLambda{h: h, allowed: true, next: "rotated"}
	f.start(t)
	return f
}

func (f *fixture) start(t *testing.T) {
	s := New(Options{Store: f.h.Store(), Clock: f.h.Clock, Log: f.h.Log, Keys: f.keys, Functions: f.fn})
	f.s, f.fn.s = s, s
	t.Cleanup(func() { s.Close() })
}

func (f *fixture) create(t *testing.T, name, value string) *smapi.CreateSecretOutput {
	t.Helper()
	out, err := f.s.CreateSecret(f.h.Ctx(), &smapi.CreateSecretInput{Name: &name, SecretString: &value})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) value(t *testing.T, id string) string {
	t.Helper()
	out, err := f.s.GetSecretValue(f.h.Ctx(), &smapi.GetSecretValueInput{SecretId: &id})
	if err != nil {
		t.Fatal(err)
	}
	return ptr.Deref(out.SecretString)
}

// wantCode fails unless err is an AWS error with code (and, when msg is
// set, containing msg).
func wantCode(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		t.Fatalf("err = %v, want %s", err, code)
	}
	if ae.Code.Code != code || !strings.Contains(ae.Message, msg) {
		t.Fatalf("err = %s: %s, want %s containing %q", ae.Code.Code, ae.Message, code, msg)
	}
}

// waitFor polls cond until it holds or a generous deadline passes (timer
// callbacks of the fake clock run in their own goroutines).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
