package kms

import (
	"context"
	"sort"
	"strconv"
	"strings"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/kms/ciphertext"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is KMS as the platform sees it: its key policies (with grants
// folded in) are resource policies the IAM engine requires for every use
// of a key, its key tags answer aws:ResourceTag conditions, and its
// cryptographic operations are read-only in CloudTrail.
func (s *KMS) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "kms",
		Authz:     authzRules(s.AliasTarget, s),
		Audit:     kit.Audit{ReadOnly: readOnly},
		Tags:      kit.TagLookup(s.resourceTags),
		NotImplemented: kit.Reasons{}.Add("custom key stores keep keys in an AWS CloudHSM cluster or an external key manager, neither of which exists locally; niwa's keys are in its own store",
			"ConnectCustomKeyStore", "CreateCustomKeyStore", "DeleteCustomKeyStore", "DescribeCustomKeyStores",
			"DisconnectCustomKeyStore", "UpdateCustomKeyStore"),
	}
}

// authzRules are KMS's authorization rules, resolving aliases through
// alias and reading key policies from policies.
func authzRules(alias aliasResolver, policies kit.PolicySource) kit.Authz {
	return kit.Authz{
		// ReEncrypt needs kms:ReEncryptFrom on the source key (and
		// kms:ReEncryptTo on the destination: see extraChecks).
		Renames:        map[string]string{"ReEncrypt": "ReEncryptFrom"},
		CallerContext:  callerContext,
		Resources:      resources(alias),
		Context:        contextKeys,
		Extra:          extraChecks(alias),
		Policies:       policies,
		PolicyRequired: true,
	}
}

// callerContext: kms:CallerAccount, KMS's own name for the caller's
// account, which key policies use; and kms:ViaService when another
// service uses the key on its caller's behalf (internal/kms.DataKeys).
func callerContext(ctx *request.Context, account string) iam.Context {
	c := iam.Context{}
	c.Set("kms:CallerAccount", account)
	if ctx.Service != "" && ctx.Service != "kms" {
		c.Set("kms:ViaService", kmsseam.ViaService(ctx.Service, ctx.Region))
	}
	return c
}

// readOnly are the operations CloudTrail marks readOnly although their
// names do not say so: the cryptographic operations use a key without
// changing it (KMS Developer Guide, "Logging AWS KMS API calls with AWS
// CloudTrail": Decrypt, Encrypt, GenerateDataKey... are recorded with
// "readOnly": true).
var readOnly = kit.Set(
	"Encrypt", "Decrypt", "ReEncrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext",
	"GenerateDataKeyPair", "GenerateDataKeyPairWithoutPlaintext", "GenerateRandom",
	"Sign", "Verify", "GenerateMac", "VerifyMac", "DeriveSharedSecret",
)

// resourceTags reads a key's tags through ListResourceTags (50 per key,
// one page).
func (s *KMS) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, _, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	out, err := s.ListResourceTags(c, &kmsapi.ListResourceTagsInput{KeyId: &arn})
	if err != nil {
		return kit.NotFound(err)
	}
	return kit.TagMap(out.Tags, func(t kmsapi.Tag) (*string, *string) { return t.TagKey, t.TagValue }), true, nil
}

// aliasResolver finds the key an alias ARN names (KMS.AliasTarget).
type aliasResolver func(ctx context.Context, aliasARN string) (keyARN string, ok bool)

// Authorization: the resource of a KMS call is the key it uses, named by
// KeyId (key id, key ARN, alias name or alias ARN; aliases resolve to
// their key, as AWS authorizes the key, not the alias) or, for Decrypt
// and ReEncrypt without one, by the ciphertext blob itself. ReEncrypt is
// two actions: kms:ReEncryptFrom on the source key, kms:ReEncryptTo on
// the destination. Encryption context pairs are the
// kms:EncryptionContext:<key> and kms:EncryptionContextKeys condition
// keys grants and key policies constrain.

// KeyARN turns a KMS KeyId (id, key ARN, alias name or alias ARN) into
// an ARN.
func KeyARN(k string, env kit.Env) string {
	switch {
	case strings.HasPrefix(k, "arn:"):
		return k
	case strings.HasPrefix(k, "alias/"):
		return kit.ARN("kms", env.Region, env.Account, k)
	}
	return kit.ARN("kms", env.Region, env.Account, "key/"+k)
}

// resolvedKey is the ARN of the key k names, through its alias when
// alias knows it.
func resolvedKey(k string, env kit.Env, alias aliasResolver) string {
	a := KeyARN(k, env)
	if strings.Contains(a, ":alias/") && alias != nil {
		if t, ok := alias(env.Ctx, a); ok {
			return t
		}
	}
	return a
}

func resources(alias aliasResolver) func(op string, in kit.Input, env kit.Env) []string {
	return func(op string, in kit.Input, env kit.Env) []string {
		switch op {
		case "Decrypt", "ReEncrypt":
			k := in.Str("KeyId")
			if op == "ReEncrypt" {
				k = in.Str("SourceKeyId")
			}
			if k != "" {
				return []string{resolvedKey(k, env, alias)}
			}
			if h, ok := ciphertext.Parse(in.Bytes("CiphertextBlob")); ok {
				return []string{kit.ARN("kms", env.Region, h.Account, "key/"+h.KeyID)}
			}
			return nil
		case "CreateAlias", "UpdateAlias":
			// AWS requires the permission on the alias and on the key.
			out := []string{kit.ARN("kms", env.Region, env.Account, in.Str("AliasName"))}
			if t := in.Str("TargetKeyId"); t != "" {
				out = append(out, resolvedKey(t, env, alias))
			}
			return out
		case "DeleteAlias":
			a := kit.ARN("kms", env.Region, env.Account, in.Str("AliasName"))
			out := []string{a}
			if alias != nil {
				if t, ok := alias(env.Ctx, a); ok {
					out = append(out, t)
				}
			}
			return out
		}
		if k := in.Str("KeyId"); k != "" {
			return []string{resolvedKey(k, env, alias)}
		}
		return nil
	}
}

func extraChecks(alias aliasResolver) func(op string, in kit.Input, env kit.Env) []kit.Check {
	return func(op string, in kit.Input, env kit.Env) []kit.Check {
		if op != "ReEncrypt" {
			return nil
		}
		d := in.Str("DestinationKeyId")
		if d == "" {
			return nil
		}
		return []kit.Check{{Action: "kms:ReEncryptTo", Resource: resolvedKey(d, env, alias),
			Context: encryptionContext(in, "DestinationEncryptionContext")}}
	}
}

// encryptionContext derives the encryption context condition keys from
// member.
func encryptionContext(in kit.Input, member string) iam.Context {
	c := iam.Context{}
	ec := in.StrMap(member)
	if len(ec) == 0 {
		return c
	}
	keys := make([]string, 0, len(ec))
	for k, v := range ec {
		c.Set("kms:EncryptionContext:"+k, v)
		keys = append(keys, k)
	}
	sort.Strings(keys)
	c["kms:encryptioncontextkeys"] = keys
	return c
}

// conditionMembers are the condition keys KMS derives from a request
// member of the same meaning.
var conditionMembers = map[string]string{
	"kms:EncryptionAlgorithm": "EncryptionAlgorithm", "kms:SigningAlgorithm": "SigningAlgorithm",
	"kms:MacAlgorithm": "MacAlgorithm", "kms:DataKeyPairSpec": "KeyPairSpec",
	"kms:GranteePrincipal": "GranteePrincipal", "kms:RetiringPrincipal": "RetiringPrincipal",
	"kms:RotationPeriodInDays": "RotationPeriodInDays", "kms:ScheduleKeyDeletionPendingWindowInDays": "PendingWindowInDays",
	"kms:WrappingAlgorithm": "WrappingAlgorithm", "kms:WrappingKeySpec": "WrappingKeySpec",
	"kms:ExpirationModel": "ExpirationModel", "kms:KeyAgreementAlgorithm": "KeyAgreementAlgorithm",
}

func contextKeys(op string, in kit.Input) iam.Context {
	member := "EncryptionContext"
	if op == "ReEncrypt" {
		member = "SourceEncryptionContext"
	}
	c := encryptionContext(in, member)
	for key, m := range conditionMembers {
		c.Set(key, in.Str(m))
	}
	switch op {
	case "Sign", "Verify":
		c.Set("kms:MessageType", or(in.Str("MessageType"), "RAW"))
	case "CreateKey":
		// The properties of the key being made, with CreateKey's defaults.
		spec := or(in.Str("KeySpec"), or(in.Str("CustomerMasterKeySpec"), "SYMMETRIC_DEFAULT"))
		c.Set("kms:KeySpec", spec)
		c.Set("kms:KeyUsage", or(in.Str("KeyUsage"), "ENCRYPT_DECRYPT"))
		c.Set("kms:KeyOrigin", or(in.Str("Origin"), "AWS_KMS"))
		c.Set("kms:MultiRegion", strconv.FormatBool(in.Bool("MultiRegion")))
		c.Set("kms:BypassPolicyLockoutSafetyCheck", strconv.FormatBool(in.Bool("BypassPolicyLockoutSafetyCheck")))
	case "PutKeyPolicy":
		c.Set("kms:BypassPolicyLockoutSafetyCheck", strconv.FormatBool(in.Bool("BypassPolicyLockoutSafetyCheck")))
	case "CreateGrant":
		if ops := in.Strs("Operations"); len(ops) > 0 {
			c["kms:grantoperations"] = ops
		}
	}
	// kms:RequestAlias: the alias the request named the key by.
	for _, m := range []string{"KeyId", "SourceKeyId", "DestinationKeyId"} {
		k := in.Str(m)
		if i := strings.Index(k, ":alias/"); i >= 0 {
			k = k[i+1:]
		}
		if strings.HasPrefix(k, "alias/") {
			c.Set("kms:RequestAlias", k)
			break
		}
	}
	return c
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Open makes KMS from what the platform gives it, sealing key material
// at rest under the installation's master key when state is durable
// (docs/kms.md).
func Open(d kit.Deps) (*KMS, error) {
	store := d.Store
	if d.DataDir != "" {
		mk, err := LoadMasterKey(d.DataDir)
		if err != nil {
			return nil, err
		}
		if store, err = Sealed(store, mk); err != nil {
			return nil, err
		}
	}
	return New(store, d.Clock), nil
}
