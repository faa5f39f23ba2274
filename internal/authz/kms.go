package authz

import (
	"reflect"
	"sort"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/service/kms/ciphertext"
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
	if op == "ReEncrypt" {
		return kmsContext(op, in, "SourceEncryptionContext")
	}
	return kmsContext(op, in, "EncryptionContext")
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
