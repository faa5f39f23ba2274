package server

import (
	"bytes"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestDataKeysSeam: services use KMS keys as their callers. The seam
// resolves keys and aliases (creating alias/aws/<service> on first use),
// authorizes the caller through the one engine (key policy, identity
// policies, grants, kms:ViaService) and answers KMS's errors.
func TestDataKeysSeam(t *testing.T) {
	h := servicetest.New(t, "s3", servicetest.InAccount(DefaultAccount))
	d, _ := wiredServices(t, h)
	if _, err := buildAuthorizer(d); err != nil {
		t.Fatal(err)
	}
	var dk kmsseam.Keys = d.dataKeysOf()
	s := func(v string) *string { return &v }
	root := h.Ctx()
	kmsCtx := h.Ctx()
	kmsCtx.Service = "kms"
	key, err := d.dataKeys.svc.CreateKey(kmsCtx, &kmsapi.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	keyARN := *key.KeyMetadata.Arn
	if _, err := d.dataKeys.svc.CreateAlias(kmsCtx, &kmsapi.CreateAliasInput{AliasName: s("alias/demo"), TargetKeyId: key.KeyMetadata.KeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.iam.svc.CreateUser(root, &iamapi.CreateUserInput{UserName: s("alice")}); err != nil {
		t.Fatal(err)
	}
	alice := h.CtxAs(request.Caller{Account: DefaultAccount, ARN: "arn:aws:iam::" + DefaultAccount + ":user/alice", UserID: "AIDAALICE"})
	sqsAlice := h.CtxAs(alice.Caller)
	sqsAlice.Service = "sqs"
	ec := map[string]string{"aws:s3:arn": "arn:aws:s3:::b/k"}

	code := func(err error) string { return kmsseam.Code(err) }
	for _, tc := range []struct {
		name   string
		ctx    *request.Context
		key    string
		want   string // error code, "" for success
		wantTo string // key ARN the data key is under
	}{
		{"root by alias", root, "alias/demo", "", keyARN},
		{"root by id", root, *key.KeyMetadata.KeyId, "", keyARN},
		{"root by ARN", root, keyARN, "", keyARN},
		{"missing alias", root, "alias/nope", kmsseam.NotFound, ""},
		{"missing key", root, "0f6a6c0e-6f9a-4a43-8d7c-4e3c5b2a1f00", kmsseam.NotFound, ""},
		{"user without kms permissions", alice, "alias/demo", kmsseam.AccessDenied, ""},
		// The AWS managed key's policy lets the account use it through
		// its service, whatever the identity policies say.
		{"managed key through its service", alice, "", "", ""},
		{"managed key named", alice, "alias/aws/s3", "", ""},
		{"managed key through another service", sqsAlice, "alias/aws/s3", kmsseam.AccessDenied, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := dk.GenerateDataKey(tc.ctx, tc.key, ec)
			if code(err) != tc.want {
				t.Fatalf("GenerateDataKey(%q): %v, want %q", tc.key, err, tc.want)
			}
			if err != nil {
				return
			}
			if len(got.Plaintext) != 32 || bytes.Contains(got.Ciphertext, got.Plaintext) {
				t.Fatalf("data key %d bytes, ciphertext holds it: %v", len(got.Plaintext), bytes.Contains(got.Ciphertext, got.Plaintext))
			}
			if tc.wantTo != "" && got.KeyARN != tc.wantTo {
				t.Fatalf("key %s, want %s", got.KeyARN, tc.wantTo)
			}
			pt, arn, err := dk.Decrypt(tc.ctx, got.Ciphertext, ec)
			if err != nil || !bytes.Equal(pt, got.Plaintext) || arn != got.KeyARN {
				t.Fatalf("Decrypt: %v %s", err, arn)
			}
			if _, _, err := dk.Decrypt(tc.ctx, got.Ciphertext, map[string]string{"aws:s3:arn": "other"}); code(err) != kmsseam.InvalidCiphertext {
				t.Fatalf("Decrypt with another context: %v", err)
			}
		})
	}
	managed, err := dk.Key(root, "")
	if err != nil || managed.Manager != "AWS" || !managed.Symmetric() {
		t.Fatalf("managed key of s3: %+v %v", managed, err)
	}
	if again, _ := dk.Key(root, "alias/aws/s3"); again.ARN != managed.ARN {
		t.Fatalf("alias/aws/s3 is %s, the default key %s", again.ARN, managed.ARN)
	}

	// Root makes a data key; alice may not decrypt it until a grant lets
	// her.
	blob, err := dk.GenerateDataKey(root, "alias/demo", ec)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := dk.Decrypt(alice, blob.Ciphertext, ec); code(err) != kmsseam.AccessDenied {
		t.Fatalf("alice decrypts without permission: %v", err)
	} else if want := "User: arn:aws:iam::" + DefaultAccount + ":user/alice is not authorized to perform: kms:Decrypt on resource: " + keyARN; !bytes.HasPrefix([]byte(kmsseam.Message(err)), []byte(want)) {
		t.Fatalf("message %q, want prefix %q", kmsseam.Message(err), want)
	}
	if _, err := d.dataKeys.svc.CreateGrant(kmsCtx, &kmsapi.CreateGrantInput{KeyId: &keyARN,
		GranteePrincipal: s(alice.Caller.ARN), Operations: []string{"Decrypt"}}); err != nil {
		t.Fatal(err)
	}
	if pt, _, err := dk.Decrypt(alice, blob.Ciphertext, ec); err != nil || !bytes.Equal(pt, blob.Plaintext) {
		t.Fatalf("alice decrypts after a grant: %v", err)
	}
	if _, err := dk.GenerateDataKey(alice, "alias/demo", ec); code(err) != kmsseam.AccessDenied {
		t.Fatalf("the grant allows Decrypt only: %v", err)
	}
	if k, err := dk.Check(alice, "alias/demo", "Decrypt"); err != nil || k.ARN != keyARN {
		t.Fatalf("Check Decrypt after the grant: %+v %v", k, err)
	}
	if _, err := dk.Check(alice, "alias/demo", "GenerateDataKey"); code(err) != kmsseam.AccessDenied {
		t.Fatalf("Check GenerateDataKey: %v", err)
	}

	// A service principal uses a key only if the key policy names it.
	logsCtx := h.CtxAs(root.Caller)
	logsCtx.Service = "logs"
	logsEC := map[string]string{"aws:logs:arn": "arn:aws:logs:" + h.Region + ":" + DefaultAccount + ":log-group:g"}
	logsPrincipal := "logs." + h.Region + ".amazonaws.com"
	if _, err := dk.CheckService(logsCtx, keyARN, logsPrincipal, "GenerateDataKey", logsEC); code(err) != kmsseam.AccessDenied {
		t.Fatalf("logs under the default key policy: %v", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + DefaultAccount + `:root"},"Action":"kms:*","Resource":"*"},
	 {"Effect":"Allow","Principal":{"Service":"` + logsPrincipal + `"},"Action":["kms:Encrypt*","kms:Decrypt*","kms:GenerateDataKey*"],"Resource":"*",
	  "Condition":{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:` + h.Region + `:` + DefaultAccount + `:log-group:*"}}}]}`
	if _, err := d.dataKeys.svc.PutKeyPolicy(kmsCtx, &kmsapi.PutKeyPolicyInput{KeyId: &keyARN, Policy: &policy, PolicyName: s("default")}); err != nil {
		t.Fatal(err)
	}
	if _, err := dk.CheckService(logsCtx, "alias/demo", logsPrincipal, "GenerateDataKey", logsEC); err != nil {
		t.Fatalf("logs allowed by the key policy: %v", err)
	}
	if _, err := dk.CheckService(logsCtx, "alias/demo", logsPrincipal, "GenerateDataKey", map[string]string{"aws:logs:arn": "arn:aws:s3:::x"}); code(err) != kmsseam.AccessDenied {
		t.Fatalf("logs with a context the policy does not allow: %v", err)
	}

	// A disabled key refuses.
	if _, err := d.dataKeys.svc.DisableKey(kmsCtx, &kmsapi.DisableKeyInput{KeyId: &keyARN}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := dk.Decrypt(root, blob.Ciphertext, ec); code(err) != kmsseam.Disabled {
		t.Fatalf("Decrypt under a disabled key: %v", err)
	}
	if _, err := dk.GenerateDataKey(root, keyARN, ec); code(err) != kmsseam.Disabled {
		t.Fatalf("GenerateDataKey under a disabled key: %v", err)
	}
	if _, err := dk.Check(root, "alias/demo", "Decrypt"); code(err) != kmsseam.Disabled {
		t.Fatalf("Check under a disabled key: %v", err)
	}
	if k, err := dk.Key(root, "alias/demo"); err != nil || k.State != "Disabled" {
		t.Fatalf("Key of a disabled key: %+v %v", k, err)
	}
}
