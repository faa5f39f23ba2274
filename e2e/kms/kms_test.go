package kms

import (
	"bytes"
	"context"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// cliRun runs one CLI version and decodes its JSON output (nil for an
// empty output); it fails the test on error.
func cliRun(t *testing.T, n *framework.Niwa, cli framework.CLI, args ...string) map[string]any {
	t.Helper()
	var m map[string]any
	out, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err != nil {
		t.Fatalf("aws %s (%s): %v\n%s", strings.Join(args, " "), cli.Name, err, errOut)
	}
	if strings.TrimSpace(out) != "" {
		framework.MustJSON(t, out, &m)
	}
	return m
}

// cliFail runs a command that must fail with code in its error output.
func cliFail(t *testing.T, n *framework.Niwa, cli framework.CLI, code string, args ...string) string {
	t.Helper()
	_, errOut, err := n.RunCLI(t, cli, nil, args...)
	if err == nil || !strings.Contains(errOut, "("+code+")") {
		t.Fatalf("aws %s (%s): want %s, got %v\n%s", strings.Join(args, " "), cli.Name, code, err, errOut)
	}
	return errOut
}

func b64(t *testing.T, v any) []byte {
	t.Helper()
	s, _ := v.(string)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) == 0 {
		t.Fatalf("not base64: %v (%v)", v, err)
	}
	return b
}

func write(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestKMSCLI: with both CLI versions, a key and an alias, an encrypt /
// decrypt round trip through files (fileb://) with an encryption context,
// the wrong context and the wrong key refused, a disabled key refusing;
// with v1, also data keys, alias ARNs, and deletion scheduled and
// cancelled.
func TestKMSCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			dir := t.TempDir()
			alias := "alias/e2e-" + cli.Name
			key := cliRun(t, n, cli, "kms", "create-key", "--description", "e2e "+cli.Name)["KeyMetadata"].(map[string]any)
			id := key["KeyId"].(string)
			if key["KeyState"] != "Enabled" || key["KeySpec"] != "SYMMETRIC_DEFAULT" || !strings.HasSuffix(key["Arn"].(string), ":key/"+id) {
				t.Fatalf("create-key: %v", key)
			}
			cliRun(t, n, cli, "kms", "create-alias", "--alias-name", alias, "--target-key-id", id)

			secret := []byte("the plaintext \x00\xff with binary bytes")
			pt := write(t, dir, "pt.bin", secret)
			enc := cliRun(t, n, cli, "kms", "encrypt", "--key-id", alias, "--plaintext", "fileb://"+pt,
				"--encryption-context", "app=e2e,stage=test")
			if enc["KeyId"] != key["Arn"] {
				t.Errorf("encrypt KeyId %v, want %v", enc["KeyId"], key["Arn"])
			}
			ct := write(t, dir, "ct.bin", b64(t, enc["CiphertextBlob"]))

			// No key id: the ciphertext names its key.
			dec := cliRun(t, n, cli, "kms", "decrypt", "--ciphertext-blob", "fileb://"+ct, "--encryption-context", "stage=test,app=e2e")
			if !bytes.Equal(b64(t, dec["Plaintext"]), secret) || dec["KeyId"] != key["Arn"] {
				t.Fatalf("decrypt: %v", dec)
			}
			cliFail(t, n, cli, "InvalidCiphertextException", "kms", "decrypt", "--ciphertext-blob", "fileb://"+ct, "--encryption-context", "app=e2e,stage=prod")
			cliFail(t, n, cli, "InvalidCiphertextException", "kms", "decrypt", "--ciphertext-blob", "fileb://"+ct)
			other := cliRun(t, n, cli, "kms", "create-key")["KeyMetadata"].(map[string]any)["KeyId"].(string)
			cliFail(t, n, cli, "IncorrectKeyException", "kms", "decrypt", "--key-id", other, "--ciphertext-blob", "fileb://"+ct, "--encryption-context", "app=e2e,stage=test")

			if cli.Name != "v1" {
				// The rest exercises the service more than the client:
				// once is enough on a loaded machine.
				cliRun(t, n, cli, "kms", "disable-key", "--key-id", id)
				cliFail(t, n, cli, "DisabledException", "kms", "encrypt", "--key-id", alias, "--plaintext", "fileb://"+pt)
				return
			}
			// Describe by alias ARN; list-aliases shows the alias.
			d := cliRun(t, n, cli, "kms", "describe-key", "--key-id", strings.Replace(key["Arn"].(string), "key/"+id, alias, 1))
			if d["KeyMetadata"].(map[string]any)["KeyId"] != id {
				t.Errorf("describe-key by alias ARN: %v", d)
			}
			la := cliRun(t, n, cli, "kms", "list-aliases", "--key-id", id)
			if as := la["Aliases"].([]any); len(as) != 1 || as[0].(map[string]any)["AliasName"] != alias {
				t.Errorf("list-aliases: %v", la)
			}

			// A disabled key refuses, an enabled one works again.
			cliRun(t, n, cli, "kms", "disable-key", "--key-id", id)
			errOut := cliFail(t, n, cli, "DisabledException", "kms", "encrypt", "--key-id", alias, "--plaintext", "fileb://"+pt)
			if !strings.Contains(errOut, key["Arn"].(string)+" is disabled.") {
				t.Errorf("disabled message: %s", errOut)
			}
			cliFail(t, n, cli, "DisabledException", "kms", "decrypt", "--ciphertext-blob", "fileb://"+ct, "--encryption-context", "app=e2e,stage=test")
			cliRun(t, n, cli, "kms", "enable-key", "--key-id", id)

			// Data keys decrypt to their plaintext.
			dk := cliRun(t, n, cli, "kms", "generate-data-key", "--key-id", alias, "--key-spec", "AES_256")
			dkct := write(t, dir, "dk.bin", b64(t, dk["CiphertextBlob"]))
			dkpt := cliRun(t, n, cli, "kms", "decrypt", "--ciphertext-blob", "fileb://"+dkct)
			if !bytes.Equal(b64(t, dkpt["Plaintext"]), b64(t, dk["Plaintext"])) || len(b64(t, dk["Plaintext"])) != 32 {
				t.Error("data key does not decrypt to its plaintext")
			}

			// Deletion: scheduled, refused for use, cancelled to Disabled.
			sd := cliRun(t, n, cli, "kms", "schedule-key-deletion", "--key-id", id, "--pending-window-in-days", "7")
			if sd["KeyState"] != "PendingDeletion" || sd["PendingWindowInDays"] != float64(7) {
				t.Errorf("schedule-key-deletion: %v", sd)
			}
			cliFail(t, n, cli, "KMSInvalidStateException", "kms", "encrypt", "--key-id", id, "--plaintext", "fileb://"+pt)
			cliFail(t, n, cli, "ValidationException", "kms", "schedule-key-deletion", "--key-id", other, "--pending-window-in-days", "3")
			cliRun(t, n, cli, "kms", "cancel-key-deletion", "--key-id", id)
			if st := cliRun(t, n, cli, "kms", "describe-key", "--key-id", id)["KeyMetadata"].(map[string]any)["KeyState"]; st != "Disabled" {
				t.Errorf("after cancel-key-deletion: %v", st)
			}
			cliFail(t, n, cli, "NotAuthorizedException", "kms", "create-alias", "--alias-name", "alias/aws/mine", "--target-key-id", id)
		})
	}
}

// TestKMSSignOpenSSL: signatures from Sign verify with openssl against
// the DER public key from GetPublicKey, and Verify answers
// KMSInvalidSignatureException for a bad one: an ECC key through both CLI
// versions, and every key spec through boto3 (one process, so the spec
// matrix stays quick on a loaded machine).
func TestKMSSignOpenSSL(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "openssl", "openssl", "version")
	n := framework.StartBinary(t)
	opensslVerify := func(t *testing.T, alg, pubFile, sigFile, msg, other string) {
		t.Helper()
		args := []string{"dgst", "-sha" + alg[len(alg)-3:], "-verify", pubFile, "-keyform", "DER"}
		if strings.HasPrefix(alg, "RSASSA_PSS") {
			args = append(args, "-sigopt", "rsa_padding_mode:pss", "-sigopt", "rsa_pss_saltlen:"+map[string]string{"256": "32", "384": "48", "512": "64"}[alg[len(alg)-3:]])
		}
		args = append(args, "-signature", sigFile, msg)
		if alg == "ED25519_SHA_512" {
			// Pure Ed25519 signs the message itself: openssl pkeyutl -rawin.
			args = []string{"pkeyutl", "-verify", "-pubin", "-inkey", pubFile, "-keyform", "DER", "-rawin", "-sigfile", sigFile, "-in", msg}
		}
		out, err := exec.Command("openssl", args...).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verified OK") && !strings.Contains(string(out), "Signature Verified Successfully") {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
		// And openssl refuses it for another message.
		args[len(args)-1] = other
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err == nil {
			t.Fatalf("openssl verified a signature over another message:\n%s", out)
		}
	}
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			dir := t.TempDir()
			alg := "ECDSA_SHA_256"
			id := cliRun(t, n, cli, "kms", "create-key", "--key-spec", "ECC_NIST_P256", "--key-usage", "SIGN_VERIFY")["KeyMetadata"].(map[string]any)["KeyId"].(string)
			msg := write(t, dir, "msg.txt", []byte("a message to sign\n"))
			other := write(t, dir, "other.txt", []byte("another message\n"))
			sig := cliRun(t, n, cli, "kms", "sign", "--key-id", id, "--message", "fileb://"+msg, "--message-type", "RAW", "--signing-algorithm", alg)
			sigFile := write(t, dir, "sig.bin", b64(t, sig["Signature"]))
			pub := cliRun(t, n, cli, "kms", "get-public-key", "--key-id", id)
			pubFile := write(t, dir, "pub.der", b64(t, pub["PublicKey"]))
			opensslVerify(t, alg, pubFile, sigFile, msg, other)
			v := cliRun(t, n, cli, "kms", "verify", "--key-id", id, "--message", "fileb://"+msg, "--signature", "fileb://"+sigFile, "--signing-algorithm", alg)
			if v["SignatureValid"] != true {
				t.Errorf("verify: %v", v)
			}
			cliFail(t, n, cli, "KMSInvalidSignatureException", "kms", "verify", "--key-id", id, "--message", "fileb://"+other, "--signature", "fileb://"+sigFile, "--signing-algorithm", alg)
		})
	}
	t.Run("boto3", func(t *testing.T) {
		dir := t.TempDir()
		msg := write(t, dir, "msg.txt", []byte("a message to sign\n"))
		other := write(t, dir, "other.txt", []byte("another message\n"))
		cases := [][2]string{
			{"ECC_NIST_P256", "ECDSA_SHA_256"}, {"ECC_NIST_P384", "ECDSA_SHA_384"}, {"ECC_NIST_P521", "ECDSA_SHA_512"},
			{"ECC_SECG_P256K1", "ECDSA_SHA_256"}, {"RSA_2048", "RSASSA_PSS_SHA_256"}, {"RSA_2048", "RSASSA_PSS_SHA_512"},
			{"RSA_3072", "RSASSA_PKCS1_V1_5_SHA_384"}, {"RSA_4096", "RSASSA_PKCS1_V1_5_SHA_512"},
			{"ECC_NIST_EDWARDS25519", "ED25519_SHA_512"},
		}
		var specs []string
		for _, c := range cases {
			specs = append(specs, c[0]+":"+c[1])
		}
		n.Python(t, `
import boto3, os, sys
kms = boto3.client("kms")
d, msg = os.environ["DIR"], open(os.environ["MSG"], "rb").read()
for i, c in enumerate(os.environ["CASES"].split()):
    spec, alg = c.split(":")
    kid = kms.create_key(KeySpec=spec, KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    sig = kms.sign(KeyId=kid, Message=msg, SigningAlgorithm=alg)["Signature"]
    open(os.path.join(d, "sig%d" % i), "wb").write(sig)
    open(os.path.join(d, "pub%d" % i), "wb").write(kms.get_public_key(KeyId=kid)["PublicKey"])
`, "DIR="+dir, "MSG="+msg, "CASES="+strings.Join(specs, " "))
		for i, c := range cases {
			t.Run(c[0]+"/"+c[1], func(t *testing.T) {
				opensslVerify(t, c[1], filepath.Join(dir, "pub"+strconv.Itoa(i)), filepath.Join(dir, "sig"+strconv.Itoa(i)), msg, other)
			})
		}
	})
}

// TestKMSBoto3: boto3 encrypts and decrypts with a context, makes data
// keys, signs and verifies, and MACs, and sees KMS's errors as its own
// exception classes.
func TestKMSBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3
kms = boto3.client("kms")
key = kms.create_key(Description="boto3")["KeyMetadata"]
kms.create_alias(AliasName="alias/boto3", TargetKeyId=key["KeyId"])
ct = kms.encrypt(KeyId="alias/boto3", Plaintext=b"boto3 secret", EncryptionContext={"k": "v"})["CiphertextBlob"]
assert kms.decrypt(CiphertextBlob=ct, EncryptionContext={"k": "v"})["Plaintext"] == b"boto3 secret"
try:
    kms.decrypt(CiphertextBlob=ct, EncryptionContext={"k": "w"})
    raise SystemExit("wrong context decrypted")
except kms.exceptions.InvalidCiphertextException:
    pass
dk = kms.generate_data_key(KeyId=key["Arn"], NumberOfBytes=64)
assert len(dk["Plaintext"]) == 64
assert kms.decrypt(CiphertextBlob=dk["CiphertextBlob"])["Plaintext"] == dk["Plaintext"]
pair = kms.generate_data_key_pair(KeyId="alias/boto3", KeyPairSpec="ECC_NIST_P256")
assert kms.decrypt(CiphertextBlob=pair["PrivateKeyCiphertextBlob"])["Plaintext"] == pair["PrivateKeyPlaintext"]

signer = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
sig = kms.sign(KeyId=signer, Message=b"m", SigningAlgorithm="ECDSA_SHA_256")["Signature"]
assert kms.verify(KeyId=signer, Message=b"m", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")["SignatureValid"]
try:
    kms.verify(KeyId=signer, Message=b"n", Signature=sig, SigningAlgorithm="ECDSA_SHA_256")
    raise SystemExit("bad signature verified")
except kms.exceptions.KMSInvalidSignatureException:
    pass
try:
    kms.encrypt(KeyId=signer, Plaintext=b"x")
    raise SystemExit("a signing key encrypted")
except kms.exceptions.InvalidKeyUsageException as e:
    assert "key usage is SIGN_VERIFY which is not valid for Encrypt." in str(e), e

mac = kms.create_key(KeySpec="HMAC_256", KeyUsage="GENERATE_VERIFY_MAC")["KeyMetadata"]["KeyId"]
m = kms.generate_mac(KeyId=mac, Message=b"m", MacAlgorithm="HMAC_SHA_256")["Mac"]
assert kms.verify_mac(KeyId=mac, Message=b"m", Mac=m, MacAlgorithm="HMAC_SHA_256")["MacValid"]
try:
    kms.verify_mac(KeyId=mac, Message=b"n", Mac=m, MacAlgorithm="HMAC_SHA_256")
    raise SystemExit("bad MAC verified")
except kms.exceptions.KMSInvalidMacException:
    pass

kms.enable_key_rotation(KeyId=key["KeyId"], RotationPeriodInDays=90)
st = kms.get_key_rotation_status(KeyId=key["KeyId"])
assert st["KeyRotationEnabled"] and st["RotationPeriodInDays"] == 90, st
kms.rotate_key_on_demand(KeyId=key["KeyId"])
assert kms.decrypt(CiphertextBlob=ct, EncryptionContext={"k": "v"})["Plaintext"] == b"boto3 secret"
assert [r["RotationType"] for r in kms.list_key_rotations(KeyId=key["KeyId"])["Rotations"]] == ["ON_DEMAND"]

keys = [k["KeyId"] for p in kms.get_paginator("list_keys").paginate(PaginationConfig={"PageSize": 1}) for k in p["Keys"]]
assert sorted(keys) == sorted(set(keys)) and key["KeyId"] in keys and len(keys) == 3, keys
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}

// TestKMSKeyPolicyAndGrants: an IAM user allowed kms:Encrypt but not
// kms:Decrypt encrypts (the default key policy delegates to IAM) and is
// denied Decrypt until a grant gives it; a key whose policy does not
// delegate to IAM refuses the user whatever its IAM policy says.
func TestKMSKeyPolicyAndGrants(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			ctx := context.Background()
			root := kms.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
			user := kms.NewFromConfig(framework.IAMUser(t, n, "kms-user",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Encrypt","kms:DescribeKey"],"Resource":"*"}]}`))

			k, err := root.CreateKey(ctx, &kms.CreateKeyInput{})
			if err != nil {
				t.Fatal(err)
			}
			keyArn := aws.ToString(k.KeyMetadata.Arn)
			if _, err := root.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/shared"), TargetKeyId: k.KeyMetadata.KeyId}); err != nil {
				t.Fatal(err)
			}
			enc, err := user.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/shared"), Plaintext: []byte("p"),
				EncryptionContext: map[string]string{"team": "a"}})
			if err != nil {
				t.Fatalf("user Encrypt: %v", err)
			}
			_, err = user.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"team": "a"}})
			framework.WantAPIError(t, err, "AccessDeniedException", "")
			if !strings.Contains(err.Error(), "kms:Decrypt") || !strings.Contains(err.Error(), keyArn) {
				t.Errorf("denial does not name the action and key: %v", err)
			}

			// A grant constrained to the context lets the user decrypt.
			userArn := "arn:aws:iam::000000000000:user/kms-user"
			g, err := root.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: k.KeyMetadata.KeyId, GranteePrincipal: aws.String(userArn),
				Operations:  []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt},
				Constraints: &kmstypes.GrantConstraints{EncryptionContextSubset: map[string]string{"team": "a"}}})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := user.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"team": "a"}})
			if err != nil || string(dec.Plaintext) != "p" {
				t.Fatalf("Decrypt with a grant: %v", err)
			}
			// Outside the grant's constraint, no.
			enc2, err := user.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(keyArn), Plaintext: []byte("q"), EncryptionContext: map[string]string{"team": "b"}})
			if err != nil {
				t.Fatal(err)
			}
			_, err = user.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc2.CiphertextBlob, EncryptionContext: map[string]string{"team": "b"}})
			framework.WantAPIError(t, err, "AccessDeniedException", "")
			if _, err := root.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: k.KeyMetadata.KeyId, GrantId: g.GrantId}); err != nil {
				t.Fatal(err)
			}
			_, err = user.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: enc.CiphertextBlob, EncryptionContext: map[string]string{"team": "a"}})
			framework.WantAPIError(t, err, "AccessDeniedException", "")

			// A key policy that does not delegate to IAM: the user's IAM
			// allow is not enough.
			locked, err := root.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:user/nobody"},"Action":"kms:*","Resource":"*"}]}`),
				BypassPolicyLockoutSafetyCheck: true})
			if err != nil {
				t.Fatal(err)
			}
			_, err = user.Encrypt(ctx, &kms.EncryptInput{KeyId: locked.KeyMetadata.KeyId, Plaintext: []byte("p")})
			framework.WantAPIError(t, err, "AccessDeniedException", "")

			// aws:ResourceTag conditions read the key's tags (ABAC).
			tagger := kms.NewFromConfig(framework.IAMUser(t, n, "kms-abac",
				`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/team":"a"}}}]}`))
			for _, tc := range []struct {
				team    string
				allowed bool
			}{{"a", true}, {"b", false}} {
				tk, err := root.CreateKey(ctx, &kms.CreateKeyInput{Tags: []kmstypes.Tag{{TagKey: aws.String("team"), TagValue: aws.String(tc.team)}}})
				if err != nil {
					t.Fatal(err)
				}
				_, err = tagger.Encrypt(ctx, &kms.EncryptInput{KeyId: tk.KeyMetadata.KeyId, Plaintext: []byte("t")})
				if tc.allowed && err != nil {
					t.Errorf("team %s: %v", tc.team, err)
				}
				if !tc.allowed {
					framework.WantAPIError(t, err, "AccessDeniedException", "")
				}
			}

			// Request condition keys: CreateKey limited to symmetric keys,
			// Encrypt only through an alias.
			limited := kms.NewFromConfig(framework.IAMUser(t, n, "kms-limited", `{"Version":"2012-10-17","Statement":[`+
				`{"Effect":"Allow","Action":"kms:CreateKey","Resource":"*","Condition":{"StringEquals":{"kms:KeySpec":"SYMMETRIC_DEFAULT"}}},`+
				`{"Effect":"Allow","Action":"kms:Encrypt","Resource":"*","Condition":{"StringEquals":{"kms:RequestAlias":"alias/shared"}}}]}`))
			if _, err := limited.CreateKey(ctx, &kms.CreateKeyInput{}); err != nil {
				t.Errorf("symmetric CreateKey: %v", err)
			}
			_, err = limited.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: kmstypes.KeySpecRsa2048, KeyUsage: kmstypes.KeyUsageTypeSignVerify})
			framework.WantAPIError(t, err, "AccessDeniedException", "")
			if _, err := limited.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String("alias/shared"), Plaintext: []byte("a")}); err != nil {
				t.Errorf("Encrypt through the alias: %v", err)
			}
			_, err = limited.Encrypt(ctx, &kms.EncryptInput{KeyId: k.KeyMetadata.KeyId, Plaintext: []byte("a")})
			framework.WantAPIError(t, err, "AccessDeniedException", "")

			// kms:CallerAccount in a key policy: a statement for any
			// principal of the account allows Decrypt (no IAM allow
			// needed), one for another account does not.
			for _, tc := range []struct {
				account string
				allowed bool
			}{{"000000000000", true}, {"111111111111", false}} {
				pk, err := root.CreateKey(ctx, &kms.CreateKeyInput{Policy: aws.String(
					`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::000000000000:root"},"Action":"kms:*","Resource":"*"},` +
						`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",` +
						`"Condition":{"StringEquals":{"kms:CallerAccount":"` + tc.account + `"}}}]}`)})
				if err != nil {
					t.Fatal(err)
				}
				e, err := root.Encrypt(ctx, &kms.EncryptInput{KeyId: pk.KeyMetadata.KeyId, Plaintext: []byte("z")})
				if err != nil {
					t.Fatal(err)
				}
				_, err = user.Decrypt(ctx, &kms.DecryptInput{CiphertextBlob: e.CiphertextBlob})
				if tc.allowed && err != nil {
					t.Errorf("kms:CallerAccount %s: %v", tc.account, err)
				}
				if !tc.allowed {
					framework.WantAPIError(t, err, "AccessDeniedException", "")
				}
			}
		})
	}
}

// TestKMSImportOpenSSL: key material generated and wrapped with openssl,
// as AWS's guide does it, imports into an EXTERNAL key, which then
// encrypts and decrypts.
func TestKMSImportOpenSSL(t *testing.T) {
	t.Parallel()
	framework.RequireClient(t, "openssl", "openssl", "version")
	n := framework.StartBinary(t)
	cli := framework.CLIs[0]
	dir := t.TempDir()
	key := cliRun(t, n, cli, "kms", "create-key", "--origin", "EXTERNAL")["KeyMetadata"].(map[string]any)
	if key["KeyState"] != "PendingImport" {
		t.Fatalf("create-key --origin EXTERNAL: %v", key)
	}
	id := key["KeyId"].(string)
	params := cliRun(t, n, cli, "kms", "get-parameters-for-import", "--key-id", id,
		"--wrapping-algorithm", "RSAES_OAEP_SHA_256", "--wrapping-key-spec", "RSA_2048")
	pub := write(t, dir, "wrapping.der", b64(t, params["PublicKey"]))
	token := write(t, dir, "token.bin", b64(t, params["ImportToken"]))
	material := filepath.Join(dir, "material.bin")
	wrapped := filepath.Join(dir, "wrapped.bin")
	for _, args := range [][]string{
		{"rand", "-out", material, "32"},
		{"pkeyutl", "-encrypt", "-in", material, "-out", wrapped, "-inkey", pub, "-keyform", "DER", "-pubin",
			"-pkeyopt", "rsa_padding_mode:oaep", "-pkeyopt", "rsa_oaep_md:sha256", "-pkeyopt", "rsa_mgf1_md:sha256"},
	} {
		if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
			t.Fatalf("openssl %v: %v\n%s", args, err, out)
		}
	}
	cliRun(t, n, cli, "kms", "import-key-material", "--key-id", id, "--import-token", "fileb://"+token,
		"--encrypted-key-material", "fileb://"+wrapped, "--expiration-model", "KEY_MATERIAL_DOES_NOT_EXPIRE")
	pt := write(t, dir, "pt.txt", []byte("imported key"))
	enc := cliRun(t, n, cli, "kms", "encrypt", "--key-id", id, "--plaintext", "fileb://"+pt)
	ct := write(t, dir, "ct.bin", b64(t, enc["CiphertextBlob"]))
	dec := cliRun(t, n, cli, "kms", "decrypt", "--ciphertext-blob", "fileb://"+ct)
	if string(b64(t, dec["Plaintext"])) != "imported key" {
		t.Fatalf("decrypt: %v", dec)
	}
	cliRun(t, n, cli, "kms", "delete-imported-key-material", "--key-id", id)
	cliFail(t, n, cli, "KMSInvalidStateException", "kms", "decrypt", "--ciphertext-blob", "fileb://"+ct)
}
