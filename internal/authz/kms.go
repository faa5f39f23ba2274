package authz

import (
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kms/ciphertext"
)

// KMS authorization: the resource of a KMS call is the key it uses, named
// by KeyId (key id, key ARN, alias name or alias ARN; aliases resolve to
// their key when Env.KMSAlias knows them, as AWS authorizes the key, not
// the alias) or, for Decrypt and ReEncrypt without one, by the ciphertext
// blob itself. ReEncrypt is two actions: kms:ReEncryptFrom on the source
// key, kms:ReEncryptTo on the destination. Encryption context pairs are
// the kms:EncryptionContext:<key> and kms:EncryptionContextKeys condition
// keys grants and key policies constrain.

func kmsResources(op string, in fields, env Env) []string {
	key := func(k string) string {
		a := KeyARN(k, env)
		if strings.Contains(a, ":alias/") && env.KMSAlias != nil {
			if t, ok := env.KMSAlias(a); ok {
				return t
			}
		}
		return a
	}
	switch op {
	case "Decrypt", "ReEncrypt":
		k := in.str("KeyId")
		if op == "ReEncrypt" {
			k = in.str("SourceKeyId")
		}
		if k != "" {
			return []string{key(k)}
		}
		if h, ok := ciphertext.Parse(in.bytes("CiphertextBlob")); ok {
			return []string{arn("kms", env.Region, h.Account, "key/"+h.KeyID)}
		}
		return nil
	case "CreateAlias", "UpdateAlias":
		// AWS requires the permission on the alias and on the key.
		out := []string{arn("kms", env.Region, env.Account, in.str("AliasName"))}
		if t := in.str("TargetKeyId"); t != "" {
			out = append(out, key(t))
		}
		return out
	case "DeleteAlias":
		a := arn("kms", env.Region, env.Account, in.str("AliasName"))
		out := []string{a}
		if env.KMSAlias != nil {
			if t, ok := env.KMSAlias(a); ok {
				out = append(out, t)
			}
		}
		return out
	}
	if k := in.str("KeyId"); k != "" {
		return []string{key(k)}
	}
	return nil
}

func kmsExtraChecks(op string, in fields, env Env) []Check {
	if op != "ReEncrypt" {
		return nil
	}
	d := in.str("DestinationKeyId")
	if d == "" {
		return nil
	}
	a := KeyARN(d, env)
	if strings.Contains(a, ":alias/") && env.KMSAlias != nil {
		if t, ok := env.KMSAlias(a); ok {
			a = t
		}
	}
	return []Check{{Action: "kms:ReEncryptTo", Resource: a, Context: kmsContext(op, in, "DestinationEncryptionContext")}}
}

// kmsContext derives the encryption context condition keys from member.
func kmsContext(op string, in fields, member string) iam.Context {
	c := iam.Context{}
	ec := in.strMap(member)
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

func kmsContextRule(op string, in fields) iam.Context {
	member := "EncryptionContext"
	if op == "ReEncrypt" {
		member = "SourceEncryptionContext"
	}
	c := kmsContext(op, in, member)
	// Condition keys KMS derives from the request itself.
	for key, m := range map[string]string{
		"kms:EncryptionAlgorithm": "EncryptionAlgorithm", "kms:SigningAlgorithm": "SigningAlgorithm",
		"kms:MacAlgorithm": "MacAlgorithm", "kms:DataKeyPairSpec": "KeyPairSpec",
		"kms:GranteePrincipal": "GranteePrincipal", "kms:RetiringPrincipal": "RetiringPrincipal",
		"kms:RotationPeriodInDays": "RotationPeriodInDays", "kms:ScheduleKeyDeletionPendingWindowInDays": "PendingWindowInDays",
		"kms:WrappingAlgorithm": "WrappingAlgorithm", "kms:WrappingKeySpec": "WrappingKeySpec",
		"kms:ExpirationModel": "ExpirationModel", "kms:KeyAgreementAlgorithm": "KeyAgreementAlgorithm",
	} {
		c.Set(key, in.str(m))
	}
	switch op {
	case "Sign", "Verify":
		c.Set("kms:MessageType", or(in.str("MessageType"), "RAW"))
	case "CreateKey":
		// The properties of the key being made, with CreateKey's defaults.
		spec := or(in.str("KeySpec"), or(in.str("CustomerMasterKeySpec"), "SYMMETRIC_DEFAULT"))
		c.Set("kms:KeySpec", spec)
		c.Set("kms:KeyUsage", or(in.str("KeyUsage"), "ENCRYPT_DECRYPT"))
		c.Set("kms:KeyOrigin", or(in.str("Origin"), "AWS_KMS"))
		c.Set("kms:MultiRegion", strconv.FormatBool(in.boolean("MultiRegion")))
		c.Set("kms:BypassPolicyLockoutSafetyCheck", strconv.FormatBool(in.boolean("BypassPolicyLockoutSafetyCheck")))
	case "PutKeyPolicy":
		c.Set("kms:BypassPolicyLockoutSafetyCheck", strconv.FormatBool(in.boolean("BypassPolicyLockoutSafetyCheck")))
	case "CreateGrant":
		if ops := in.strs("Operations"); len(ops) > 0 {
			c["kms:grantoperations"] = ops
		}
	}
	// kms:RequestAlias: the alias the request named the key by.
	for _, m := range []string{"KeyId", "SourceKeyId", "DestinationKeyId"} {
		k := in.str(m)
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

// boolean returns a bool (or *bool) member, false when absent.
func (f fields) boolean(name string) bool {
	fv := f.v.FieldByName(name)
	if !fv.IsValid() {
		return false
	}
	if fv.Kind() == reflect.Pointer {
		if fv.IsNil() {
			return false
		}
		fv = fv.Elem()
	}
	return fv.Kind() == reflect.Bool && fv.Bool()
}

// bytes returns a []byte member (nil when absent).
func (f fields) bytes(name string) []byte {
	fv := f.v.FieldByName(name)
	if !fv.IsValid() || fv.Kind() != reflect.Slice || fv.Type().Elem().Kind() != reflect.Uint8 {
		return nil
	}
	return fv.Bytes()
}

// strMap returns a map[string]string member.
func (f fields) strMap(name string) map[string]string {
	fv := f.v.FieldByName(name)
	if !fv.IsValid() || fv.Kind() != reflect.Map || fv.Type().Key().Kind() != reflect.String || fv.Type().Elem().Kind() != reflect.String {
		return nil
	}
	out := make(map[string]string, fv.Len())
	for _, k := range fv.MapKeys() {
		out[k.String()] = fv.MapIndex(k).String()
	}
	return out
}
