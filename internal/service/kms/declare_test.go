package kms

import (
	"context"
	"github.com/niwa-cloud/niwa/internal/kit"
	"reflect"
	"testing"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/kms/ciphertext"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
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
	env := kit.Env{Account: acct, Region: "us-east-1"}
	rules := authzRules(func(_ context.Context, a string) (string, bool) {
		if a == "arn:aws:kms:us-east-1:"+acct+":alias/app" {
			return key, true
		}
		return "", false
	}, nil)
	checksFor := func(op string, in any) []kit.Check { return rules.Checks("kms", op, in, env) }
	blob := append(ciphertext.Header{Account: "210987654321", KeyID: id}.Bytes(), make([]byte, 40)...)
	other := "arn:aws:kms:us-east-1:210987654321:key/" + id
	type ar struct{ action, resource string }
	for _, tc := range []struct {
		op   string
		in   any
		want []ar
	}{
		{"Encrypt", &kmsapi.EncryptInput{KeyId: ptr.To("alias/app")}, []ar{{"kms:Encrypt", key}}},
		{"Encrypt", &kmsapi.EncryptInput{KeyId: ptr.To("alias/none")}, []ar{{"kms:Encrypt", "arn:aws:kms:us-east-1:" + acct + ":alias/none"}}},
		{"Encrypt", &kmsapi.EncryptInput{KeyId: ptr.To(id)}, []ar{{"kms:Encrypt", key}}},
		{"Decrypt", &kmsapi.DecryptInput{CiphertextBlob: blob}, []ar{{"kms:Decrypt", other}}},
		{"Decrypt", &kmsapi.DecryptInput{CiphertextBlob: []byte("junk")}, []ar{{"kms:Decrypt", "*"}}},
		{"Decrypt", &kmsapi.DecryptInput{CiphertextBlob: blob, KeyId: ptr.To(k2)}, []ar{{"kms:Decrypt", k2}}},
		{"ReEncrypt", &kmsapi.ReEncryptInput{CiphertextBlob: blob, DestinationKeyId: ptr.To("alias/app")}, []ar{{"kms:ReEncryptFrom", other}, {"kms:ReEncryptTo", key}}},
		{"CreateAlias", &kmsapi.CreateAliasInput{AliasName: ptr.To("alias/new"), TargetKeyId: ptr.To(id)}, []ar{{"kms:CreateAlias", "arn:aws:kms:us-east-1:" + acct + ":alias/new"}, {"kms:CreateAlias", key}}},
		{"DeleteAlias", &kmsapi.DeleteAliasInput{AliasName: ptr.To("alias/app")}, []ar{{"kms:DeleteAlias", "arn:aws:kms:us-east-1:" + acct + ":alias/app"}, {"kms:DeleteAlias", key}}},
		{"CreateKey", &kmsapi.CreateKeyInput{}, []ar{{"kms:CreateKey", "*"}}},
	} {
		var got []ar
		for _, c := range checksFor(tc.op, tc.in) {
			got = append(got, ar{c.Action, c.Resource})
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s %+v: %v, want %v", tc.op, tc.in, got, tc.want)
		}
	}
	c := checksFor("Encrypt", &kmsapi.EncryptInput{KeyId: ptr.To(id), EncryptionContext: map[string]string{"Dept": "IT", "app": "x"}})[0].Context
	if !reflect.DeepEqual(c["kms:encryptioncontext:dept"], []string{"IT"}) || !reflect.DeepEqual(c["kms:encryptioncontextkeys"], []string{"Dept", "app"}) {
		t.Errorf("context %v", c)
	}
	for _, tc := range []struct {
		op   string
		in   any
		want map[string][]string
	}{
		{"CreateKey", &kmsapi.CreateKeyInput{}, map[string][]string{"kms:keyspec": {"SYMMETRIC_DEFAULT"}, "kms:keyusage": {"ENCRYPT_DECRYPT"}, "kms:keyorigin": {"AWS_KMS"}, "kms:multiregion": {"false"}}},
		{"CreateKey", &kmsapi.CreateKeyInput{KeySpec: ptr.To("ECC_NIST_P256"), KeyUsage: ptr.To("SIGN_VERIFY"), MultiRegion: new(true)}, map[string][]string{"kms:keyspec": {"ECC_NIST_P256"}, "kms:keyusage": {"SIGN_VERIFY"}, "kms:multiregion": {"true"}}},
		{"Sign", &kmsapi.SignInput{KeyId: ptr.To("alias/signer"), SigningAlgorithm: ptr.To("ECDSA_SHA_256")}, map[string][]string{"kms:signingalgorithm": {"ECDSA_SHA_256"}, "kms:messagetype": {"RAW"}, "kms:requestalias": {"alias/signer"}}},
		{"Encrypt", &kmsapi.EncryptInput{KeyId: ptr.To("arn:aws:kms:us-east-1:" + acct + ":alias/app"), EncryptionAlgorithm: ptr.To("RSAES_OAEP_SHA_256")}, map[string][]string{"kms:encryptionalgorithm": {"RSAES_OAEP_SHA_256"}, "kms:requestalias": {"alias/app"}}},
		{"CreateGrant", &kmsapi.CreateGrantInput{KeyId: ptr.To(id), GranteePrincipal: ptr.To("arn:aws:iam::" + acct + ":role/r"), Operations: []string{"Decrypt", "Encrypt"}}, map[string][]string{"kms:grantoperations": {"Decrypt", "Encrypt"}, "kms:granteeprincipal": {"arn:aws:iam::" + acct + ":role/r"}}},
		{"ScheduleKeyDeletion", &kmsapi.ScheduleKeyDeletionInput{KeyId: ptr.To(id), PendingWindowInDays: new(int32(7))}, map[string][]string{"kms:schedulekeydeletionpendingwindowindays": {"7"}}},
	} {
		c := checksFor(tc.op, tc.in)[0].Context
		for k, v := range tc.want {
			if !reflect.DeepEqual(c[k], v) {
				t.Errorf("%s: %s = %v, want %v (context %v)", tc.op, k, c[k], v, c)
			}
		}
	}
}

// TestAuditReadOnly: CloudTrail records KMS's cryptographic operations
// as read-only although their names do not say so (the KMS Developer
// Guide's Decrypt, Encrypt, GenerateDataKey records carry "readOnly":
// true); key management writes.
func TestAuditReadOnly(t *testing.T) {
	h := servicetest.New(t, "kms")
	a := New(h.Store(), h.Clock).Declare().Audit
	for op, want := range map[string]bool{
		"Encrypt": true, "Decrypt": true, "ReEncrypt": true, "GenerateDataKey": true,
		"GenerateDataKeyWithoutPlaintext": true, "GenerateDataKeyPair": true, "GenerateRandom": true,
		"Sign": true, "Verify": true, "GenerateMac": true, "VerifyMac": true, "DeriveSharedSecret": true,
		"DescribeKey": true, "ListKeys": true, "GetKeyPolicy": true,
		"CreateKey": false, "ScheduleKeyDeletion": false, "PutKeyPolicy": false, "CreateAlias": false,
		"CreateGrant": false, "RetireGrant": false, "TagResource": false,
	} {
		if got := a.IsReadOnly(op); got != want {
			t.Errorf("%s: readOnly %v, want %v", op, got, want)
		}
	}
}
