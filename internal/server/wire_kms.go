package server

import (
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/kms"
)

// wireKMS wires KMS (kms.Open seals key material at rest when state is
// durable; the service declares the rest) and fills in the seam the
// services wired before it encrypt through.
func wireKMS(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("kms")
	if err != nil {
		return nil, err
	}
	svc, err := kms.Open(kd)
	if err != nil {
		return nil, err
	}
	// The services wired before KMS hold the seam already.
	d.dataKeysOf().svc = svc
	return &wiring{Declaration: svc.Declare()}, nil
}

// dataKeys implements kmsseam.DataKeys (the seam services encrypt
// through) over the KMS service and the authorizer. Services are wired
// before KMS and the authorizer is built after every service, so both are
// filled in later; a service holds the pointer from its wiring on.
type dataKeys struct {
	svc  *kms.KMS
	auth *authorizer
	// spec is KMS's, for denials in KMS's words (AccessDeniedException).
	spec *gateway.Service
}

// dataKeysOf is the seam the services get, made on first use.
func (d *deps) dataKeysOf() *dataKeys {
	if d.dataKeys == nil {
		d.dataKeys = &dataKeys{spec: &gateway.Service{Spec: kmsapi.Spec()}}
	}
	return d.dataKeys
}

var _ kmsseam.Keys = (*dataKeys)(nil)

func (k *dataKeys) ready() error {
	if k == nil || k.svc == nil {
		return awserr.ServiceUnavailable.New("KMS is not available.")
	}
	return nil
}

// authorize asks the IAM engine whether the caller of ctx may call op of
// KMS with input, as if the caller had called KMS itself, through
// ctx.Service (kms:ViaService, set by the authorizer's context for a KMS
// action asked within another service's request).
func (k *dataKeys) authorize(ctx *request.Context, op string, input any) error {
	if k.auth == nil {
		return nil // no authorizer: a unit test's wiring
	}
	return k.auth.Authorize(ctx, k.spec, &model.Operation{Name: op}, input)
}

func (k *dataKeys) Key(ctx *request.Context, keyID string) (kmsseam.Key, error) {
	if err := k.ready(); err != nil {
		return kmsseam.Key{}, err
	}
	if keyID == "" {
		keyID = "alias/aws/" + ctx.Service
	}
	out, err := k.svc.DescribeKey(ctx, &kmsapi.DescribeKeyInput{KeyId: &keyID})
	if err != nil {
		return kmsseam.Key{}, err
	}
	m := out.KeyMetadata
	return kmsseam.Key{
		ARN: ptr.Deref(m.Arn), ID: ptr.Deref(m.KeyId), State: ptr.Deref(m.KeyState), Manager: ptr.Deref(m.KeyManager),
		Spec: ptr.Deref(m.KeySpec), Usage: ptr.Deref(m.KeyUsage),
	}, nil
}

func (k *dataKeys) GenerateDataKey(ctx *request.Context, keyID string, encCtx map[string]string) (kmsseam.DataKey, error) {
	key, err := k.Key(ctx, keyID)
	if err != nil {
		return kmsseam.DataKey{}, err
	}
	in := &kmsapi.GenerateDataKeyInput{KeyId: &key.ARN, KeySpec: ptr.To("AES_256"), EncryptionContext: encCtx}
	if err := k.authorize(ctx, "GenerateDataKey", in); err != nil {
		return kmsseam.DataKey{}, err
	}
	out, err := k.svc.GenerateDataKey(ctx, in)
	if err != nil {
		return kmsseam.DataKey{}, err
	}
	return kmsseam.DataKey{Plaintext: out.Plaintext, Ciphertext: out.CiphertextBlob, KeyARN: ptr.Deref(out.KeyId)}, nil
}

func (k *dataKeys) Decrypt(ctx *request.Context, blob []byte, encCtx map[string]string) ([]byte, string, error) {
	if err := k.ready(); err != nil {
		return nil, "", err
	}
	in := &kmsapi.DecryptInput{CiphertextBlob: blob, EncryptionContext: encCtx}
	if err := k.authorize(ctx, "Decrypt", in); err != nil {
		return nil, "", err
	}
	out, err := k.svc.Decrypt(ctx, in)
	if err != nil {
		return nil, "", err
	}
	return out.Plaintext, ptr.Deref(out.KeyId), nil
}

func (k *dataKeys) Encrypt(ctx *request.Context, keyID string, plaintext []byte, encCtx map[string]string) ([]byte, string, error) {
	key, err := k.Key(ctx, keyID)
	if err != nil {
		return nil, "", err
	}
	in := &kmsapi.EncryptInput{KeyId: &key.ARN, Plaintext: plaintext, EncryptionContext: encCtx}
	if err := k.authorize(ctx, "Encrypt", in); err != nil {
		return nil, "", err
	}
	out, err := k.svc.Encrypt(ctx, in)
	if err != nil {
		return nil, "", err
	}
	return out.CiphertextBlob, ptr.Deref(out.KeyId), nil
}

// keyUsable is KMS's answer for a key that cannot serve op now.
func keyUsable(key kmsseam.Key, op string) error {
	switch key.State {
	case "Enabled":
	case "Disabled":
		return kmsapi.ErrDisabledException.New("%s is disabled.", key.ARN)
	case "PendingDeletion":
		return kmsapi.ErrKMSInvalidStateException.New("%s is pending deletion.", key.ARN)
	case "PendingImport":
		return kmsapi.ErrKMSInvalidStateException.New("%s is pending import.", key.ARN)
	default:
		return kmsapi.ErrKMSInvalidStateException.New("%s is %s.", key.ARN, key.State)
	}
	if !key.Symmetric() {
		return kmsapi.ErrInvalidKeyUsageException.New("%s key usage is %s which is not valid for %s.", key.ARN, key.Usage, op)
	}
	return nil
}

func (k *dataKeys) Check(ctx *request.Context, keyID, op string) (kmsseam.Key, error) {
	key, err := k.Key(ctx, keyID)
	if err != nil {
		return key, err
	}
	// Authorization reads KeyId by name, whatever the input's type.
	if err := k.authorize(ctx, op, &struct{ KeyId *string }{&key.ARN}); err != nil {
		return key, err
	}
	return key, keyUsable(key, op)
}

func (k *dataKeys) CheckService(ctx *request.Context, keyID, principal, op string, encCtx map[string]string) (kmsseam.Key, error) {
	key, err := k.Key(ctx, keyID)
	if err != nil {
		return key, err
	}
	if a := k.auth; a != nil && a.mode != EnforcementOff {
		req := iam.Request{Principal: iam.Principal{Service: principal}, Action: "kms:" + op, Resource: key.ARN, Context: iam.Context{}}
		for ck, v := range encCtx {
			req.Context.Set("kms:EncryptionContext:"+ck, v)
		}
		// A service principal acts by the key policy alone (its grants
		// included), as AWS authorizes a service using a key itself.
		pols := iam.Policies{}
		if _, err := a.resourcePolicy(ctx, kit.Authz{}, &req, &pols); err != nil {
			return key, err
		}
		allowed := false
		if pols.Resource != nil {
			allowed, _ = iam.ResourceAllows(pols.Resource, req)
		}
		if !allowed {
			if ctx.Log != nil {
				ctx.Log.Info("iam decision", "principal", principal, "action", req.Action, "resource", key.ARN, "decision", "denied by the key policy", "mode", a.mode)
			}
			if a.mode == EnforcementOn {
				return key, awserr.AccessDeniedException.New("The key policy of %s does not allow %s to perform %s.", key.ARN, principal, req.Action)
			}
		}
	}
	return key, keyUsable(key, op)
}
