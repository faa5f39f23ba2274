package authz

import (
	"reflect"
	"testing"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/kms/ciphertext"
)

// TestKMSChecks: the key a KMS call is authorized against — aliases
// resolved to their key, the ciphertext's key for Decrypt without KeyId,
// both keys of a ReEncrypt, alias and key for alias operations — and the
// encryption context condition keys.
func TestKMSChecks(t *testing.T) {
	const (
		acct = "123456789012"
		id   = "0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f"
		key  = "arn:aws:kms:us-east-1:" + acct + ":key/" + id
		k2   = "arn:aws:kms:us-east-1:" + acct + ":key/11111111-2222-4333-8444-555555555555"
	)
	env := Env{Account: acct, Region: "us-east-1", KMSAlias: func(a string) (string, bool) {
		if a == "arn:aws:kms:us-east-1:"+acct+":alias/app" {
			return key, true
		}
		return "", false
	}}
	blob := append(ciphertext.Header{Account: "210987654321", KeyID: id}.Bytes(), make([]byte, 40)...)
	other := "arn:aws:kms:us-east-1:210987654321:key/" + id
	type check struct{ action, resource string }
	for _, tc := range []struct {
		op   string
		in   any
		want []check
	}{
		{"Encrypt", &kmsapi.EncryptInput{KeyId: sp("alias/app")}, []check{{"kms:Encrypt", key}}},
		{"Encrypt", &kmsapi.EncryptInput{KeyId: sp("alias/none")}, []check{{"kms:Encrypt", "arn:aws:kms:us-east-1:" + acct + ":alias/none"}}},
		{"Encrypt", &kmsapi.EncryptInput{KeyId: sp(id)}, []check{{"kms:Encrypt", key}}},
		{"Decrypt", &kmsapi.DecryptInput{CiphertextBlob: blob}, []check{{"kms:Decrypt", other}}},
		{"Decrypt", &kmsapi.DecryptInput{CiphertextBlob: []byte("junk")}, []check{{"kms:Decrypt", "*"}}},
		{"Decrypt", &kmsapi.DecryptInput{CiphertextBlob: blob, KeyId: sp(k2)}, []check{{"kms:Decrypt", k2}}},
		{"ReEncrypt", &kmsapi.ReEncryptInput{CiphertextBlob: blob, DestinationKeyId: sp("alias/app")}, []check{{"kms:ReEncryptFrom", other}, {"kms:ReEncryptTo", key}}},
		{"CreateAlias", &kmsapi.CreateAliasInput{AliasName: sp("alias/new"), TargetKeyId: sp(id)}, []check{{"kms:CreateAlias", "arn:aws:kms:us-east-1:" + acct + ":alias/new"}, {"kms:CreateAlias", key}}},
		{"DeleteAlias", &kmsapi.DeleteAliasInput{AliasName: sp("alias/app")}, []check{{"kms:DeleteAlias", "arn:aws:kms:us-east-1:" + acct + ":alias/app"}, {"kms:DeleteAlias", key}}},
		{"CreateKey", &kmsapi.CreateKeyInput{}, []check{{"kms:CreateKey", "*"}}},
	} {
		var got []check
		for _, c := range For("kms", tc.op, tc.in, env) {
			got = append(got, check{c.Action, c.Resource})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %+v: %v, want %v", tc.op, tc.in, got, tc.want)
		}
	}
	c := For("kms", "Encrypt", &kmsapi.EncryptInput{KeyId: sp(id), EncryptionContext: map[string]string{"Dept": "IT", "app": "x"}}, env)[0].Context
	if !reflect.DeepEqual(c["kms:encryptioncontext:dept"], []string{"IT"}) || !reflect.DeepEqual(c["kms:encryptioncontextkeys"], []string{"Dept", "app"}) {
		t.Errorf("context %v", c)
	}
	for _, tc := range []struct {
		op   string
		in   any
		want map[string][]string
	}{
		{"CreateKey", &kmsapi.CreateKeyInput{}, map[string][]string{"kms:keyspec": {"SYMMETRIC_DEFAULT"}, "kms:keyusage": {"ENCRYPT_DECRYPT"}, "kms:keyorigin": {"AWS_KMS"}, "kms:multiregion": {"false"}}},
		{"CreateKey", &kmsapi.CreateKeyInput{KeySpec: sp("ECC_NIST_P256"), KeyUsage: sp("SIGN_VERIFY"), MultiRegion: new(true)}, map[string][]string{"kms:keyspec": {"ECC_NIST_P256"}, "kms:keyusage": {"SIGN_VERIFY"}, "kms:multiregion": {"true"}}},
		{"Sign", &kmsapi.SignInput{KeyId: sp("alias/signer"), SigningAlgorithm: sp("ECDSA_SHA_256")}, map[string][]string{"kms:signingalgorithm": {"ECDSA_SHA_256"}, "kms:messagetype": {"RAW"}, "kms:requestalias": {"alias/signer"}}},
		{"Encrypt", &kmsapi.EncryptInput{KeyId: sp("arn:aws:kms:us-east-1:" + acct + ":alias/app"), EncryptionAlgorithm: sp("RSAES_OAEP_SHA_256")}, map[string][]string{"kms:encryptionalgorithm": {"RSAES_OAEP_SHA_256"}, "kms:requestalias": {"alias/app"}}},
		{"CreateGrant", &kmsapi.CreateGrantInput{KeyId: sp(id), GranteePrincipal: sp("arn:aws:iam::" + acct + ":role/r"), Operations: []string{"Decrypt", "Encrypt"}}, map[string][]string{"kms:grantoperations": {"Decrypt", "Encrypt"}, "kms:granteeprincipal": {"arn:aws:iam::" + acct + ":role/r"}}},
		{"ScheduleKeyDeletion", &kmsapi.ScheduleKeyDeletionInput{KeyId: sp(id), PendingWindowInDays: new(int32(7))}, map[string][]string{"kms:schedulekeydeletionpendingwindowindays": {"7"}}},
	} {
		c := For("kms", tc.op, tc.in, env)[0].Context
		for k, v := range tc.want {
			if !reflect.DeepEqual(c[k], v) {
				t.Errorf("%s: %s = %v, want %v (context %v)", tc.op, k, c[k], v, c)
			}
		}
	}
}
