package kms

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha512"
	"crypto/x509"
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const (
	account = "123456789012"
	region  = "eu-west-1"
)

type fixture struct {
	*KMS
	h     *servicetest.Harness
	clock *clock.Fake
	t     testing.TB
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	h := newHarness(t)
	return &fixture{KMS: New(h.Store(), h.Clock), h: h, clock: h.Clock, t: t}
}

// newHarness is storage, clock and requests as every KMS test has them.
func newHarness(t testing.TB, opts ...servicetest.Option) *servicetest.Harness {
	return servicetest.New(t, "kms", append([]servicetest.Option{servicetest.At(t0),
		servicetest.InAccount(account), servicetest.InRegion(region)}, opts...)...)
}

func (f *fixture) ctx() *request.Context {
	return f.ctxFor(account)
}

func (f *fixture) ctxFor(acct string) *request.Context {
	ctx := f.h.CtxAs(servicetest.Root(acct))
	ctx.HTTP = httptest.NewRequest("POST", "http://localhost:4566/", nil)
	return ctx
}

func (f *fixture) create(spec, usage string) *kmsapi.KeyMetadata {
	f.t.Helper()
	in := &kmsapi.CreateKeyInput{}
	if spec != "" {
		in.KeySpec = &spec
	}
	if usage != "" {
		in.KeyUsage = &usage
	}
	out, err := f.CreateKey(f.ctx(), in)
	if err != nil {
		f.t.Fatalf("CreateKey %s %s: %v", spec, usage, err)
	}
	return out.KeyMetadata
}

// wantErr checks err is the AWS error code with a message containing msg.
func wantErr(t *testing.T, err error, code awserr.Code, msg string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error, want %s", code.Code)
	}
	e := awserr.As(err)
	if e.Code.Code != code.Code || !strings.Contains(e.Message, msg) {
		t.Fatalf("got %s: %q, want %s containing %q", e.Code.Code, e.Message, code.Code, msg)
	}
}

func TestCreateKeySpecs(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		spec, usage string
		enc, sig    []string
		mac         []string
	}{
		{spec: "", usage: "", enc: []string{"SYMMETRIC_DEFAULT"}},
		{spec: "RSA_2048", usage: "ENCRYPT_DECRYPT", enc: []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"}},
		{spec: "RSA_3072", usage: "SIGN_VERIFY", sig: rsaSigning},
		{spec: "ECC_NIST_P256", usage: "SIGN_VERIFY", sig: []string{"ECDSA_SHA_256"}},
		{spec: "ECC_NIST_P384", usage: "SIGN_VERIFY", sig: []string{"ECDSA_SHA_384"}},
		{spec: "ECC_NIST_P521", usage: "SIGN_VERIFY", sig: []string{"ECDSA_SHA_512"}},
		{spec: "ECC_SECG_P256K1", usage: "SIGN_VERIFY", sig: []string{"ECDSA_SHA_256"}},
		{spec: "HMAC_224", usage: "GENERATE_VERIFY_MAC", mac: []string{"HMAC_SHA_224"}},
		{spec: "HMAC_512", usage: "GENERATE_VERIFY_MAC", mac: []string{"HMAC_SHA_512"}},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			md := f.create(tc.spec, tc.usage)
			spec := tc.spec
			if spec == "" {
				spec = "SYMMETRIC_DEFAULT"
			}
			if *md.KeySpec != spec || *md.KeyState != "Enabled" || !*md.Enabled || *md.KeyManager != "CUSTOMER" || *md.Origin != "AWS_KMS" {
				t.Errorf("metadata %+v", md)
			}
			if !validKeyID(*md.KeyId) || *md.Arn != "arn:aws:kms:"+region+":"+account+":key/"+*md.KeyId || *md.AWSAccountId != account {
				t.Errorf("id %s arn %s", *md.KeyId, *md.Arn)
			}
			if strings.Join(md.EncryptionAlgorithms, ",") != strings.Join(tc.enc, ",") ||
				strings.Join(md.SigningAlgorithms, ",") != strings.Join(tc.sig, ",") ||
				strings.Join(md.MacAlgorithms, ",") != strings.Join(tc.mac, ",") {
				t.Errorf("algorithms enc %v sig %v mac %v", md.EncryptionAlgorithms, md.SigningAlgorithms, md.MacAlgorithms)
			}
			if !md.CreationDate.Equal(t0) {
				t.Errorf("CreationDate %v, want the clock's %v", md.CreationDate, t0)
			}
		})
	}
}

func TestCreateKeyRefusals(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		in   kmsapi.CreateKeyInput
		code awserr.Code
		msg  string
	}{
		{"hmac needs mac usage", kmsapi.CreateKeyInput{KeySpec: ptr.To("HMAC_256")}, awserr.ValidationException, "KeyUsage ENCRYPT_DECRYPT is not compatible with KeySpec HMAC_256"},
		{"ecc cannot encrypt", kmsapi.CreateKeyInput{KeySpec: ptr.To("ECC_NIST_P256"), KeyUsage: ptr.To("ENCRYPT_DECRYPT")}, awserr.ValidationException, "not compatible"},
		{"symmetric cannot sign", kmsapi.CreateKeyInput{KeyUsage: ptr.To("SIGN_VERIFY")}, awserr.ValidationException, "not compatible"},
		{"sm2", kmsapi.CreateKeyInput{KeySpec: ptr.To("SM2"), KeyUsage: ptr.To("SIGN_VERIFY")}, kmsapi.ErrUnsupportedOperationException, "SM2"},
		{"both specs", kmsapi.CreateKeyInput{KeySpec: ptr.To("RSA_2048"), CustomerMasterKeySpec: ptr.To("RSA_2048")}, awserr.ValidationException, "CustomerMasterKeySpec"},
		{"cloudhsm origin", kmsapi.CreateKeyInput{Origin: ptr.To("AWS_CLOUDHSM")}, kmsapi.ErrUnsupportedOperationException, "AWS_CLOUDHSM"},
		{"bad policy", kmsapi.CreateKeyInput{Policy: ptr.To("{not json")}, kmsapi.ErrMalformedPolicyDocumentException, ""},
		{"reserved tag", kmsapi.CreateKeyInput{Tags: []kmsapi.Tag{{TagKey: ptr.To("aws:x"), TagValue: ptr.To("v")}}}, kmsapi.ErrTagException, "aws:"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.CreateKey(f.ctx(), &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
}

func TestKeyReferences(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	if _, err := f.CreateAlias(f.ctx(), &kmsapi.CreateAliasInput{AliasName: ptr.To("alias/app"), TargetKeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{*md.KeyId, *md.Arn, "alias/app", "arn:aws:kms:" + region + ":" + account + ":alias/app"} {
		out, err := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: &ref})
		if err != nil || *out.KeyMetadata.KeyId != *md.KeyId {
			t.Errorf("DescribeKey(%s) = %v, %v", ref, out, err)
		}
	}
	missing := "0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f"
	for _, tc := range []struct{ ref, msg string }{
		{missing, "Key 'arn:aws:kms:" + region + ":" + account + ":key/" + missing + "' does not exist"},
		{"alias/nope", "Alias arn:aws:kms:" + region + ":" + account + ":alias/nope is not found."},
		{"not-a-key", "Invalid keyId not-a-key"},
		{"arn:aws:kms:us-west-2:" + account + ":key/" + *md.KeyId, "does not exist"},
	} {
		_, err := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: &tc.ref})
		wantErr(t, err, kmsapi.ErrNotFoundException, tc.msg)
	}
	// Management operations take only a key id or key ARN.
	for _, ref := range []string{"alias/app", "arn:aws:kms:" + region + ":" + account + ":alias/app"} {
		_, err := f.EnableKeyRotation(f.ctx(), &kmsapi.EnableKeyRotationInput{KeyId: &ref})
		wantErr(t, err, kmsapi.ErrNotFoundException, "Invalid keyId "+ref)
		_, err = f.GetKeyPolicy(f.ctx(), &kmsapi.GetKeyPolicyInput{KeyId: &ref})
		wantErr(t, err, kmsapi.ErrNotFoundException, "Invalid keyId "+ref)
	}
	// Another account's key id is not this account's.
	_, err := f.DescribeKey(f.ctxFor("210987654321"), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrNotFoundException, "does not exist")
}

func TestListKeysPaging(t *testing.T) {
	f := newFixture(t)
	want := map[string]bool{}
	for i := 0; i < 5; i++ {
		want[*f.create("", "").KeyId] = true
	}
	got := map[string]bool{}
	var marker *string
	pages := 0
	for {
		out, err := f.ListKeys(f.ctx(), &kmsapi.ListKeysInput{Limit: ptr.To(int32(2)), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, k := range out.Keys {
			if got[*k.KeyId] {
				t.Fatalf("key %s listed twice", *k.KeyId)
			}
			got[*k.KeyId] = true
			if *k.KeyArn != keyARN(storage.Scope{Account: account, Region: region}, *k.KeyId) {
				t.Errorf("arn %s", *k.KeyArn)
			}
		}
		if !*out.Truncated {
			if out.NextMarker != nil {
				t.Error("NextMarker on the last page")
			}
			break
		}
		marker = out.NextMarker
	}
	if pages != 3 || len(got) != len(want) {
		t.Errorf("pages %d, keys %d", pages, len(got))
	}
	_, err := f.ListKeys(f.ctx(), &kmsapi.ListKeysInput{Marker: ptr.To("garbage")})
	wantErr(t, err, kmsapi.ErrInvalidMarkerException, "")
}

func (f *fixture) encrypt(keyID string, pt []byte, ec map[string]string) []byte {
	f.t.Helper()
	out, err := f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: &keyID, Plaintext: pt, EncryptionContext: ec})
	if err != nil {
		f.t.Fatalf("Encrypt: %v", err)
	}
	return out.CiphertextBlob
}

func TestEncryptDecrypt(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	other := f.create("", "")
	ec := map[string]string{"purpose": "test", "app": "niwa"}
	pt := []byte("attack at dawn")
	ct := f.encrypt(*md.KeyId, pt, ec)
	if bytes.Contains(ct, pt) {
		t.Fatal("ciphertext contains the plaintext")
	}
	// No KeyId: the ciphertext names its key.
	out, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct, EncryptionContext: map[string]string{"app": "niwa", "purpose": "test"}})
	if err != nil || !bytes.Equal(out.Plaintext, pt) || *out.KeyId != *md.Arn || *out.EncryptionAlgorithm != "SYMMETRIC_DEFAULT" {
		t.Fatalf("Decrypt = %+v, %v", out, err)
	}
	// The right KeyId in any form.
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct, KeyId: md.Arn, EncryptionContext: ec}); err != nil {
		t.Fatal(err)
	}
	tampered := append([]byte{}, ct...)
	tampered[len(tampered)-1] ^= 1
	for _, tc := range []struct {
		name string
		in   kmsapi.DecryptInput
		code awserr.Code
		msg  string
	}{
		{"no context", kmsapi.DecryptInput{CiphertextBlob: ct}, kmsapi.ErrInvalidCiphertextException, ""},
		{"wrong context value", kmsapi.DecryptInput{CiphertextBlob: ct, EncryptionContext: map[string]string{"purpose": "prod", "app": "niwa"}}, kmsapi.ErrInvalidCiphertextException, ""},
		{"extra context", kmsapi.DecryptInput{CiphertextBlob: ct, EncryptionContext: map[string]string{"purpose": "test", "app": "niwa", "x": "y"}}, kmsapi.ErrInvalidCiphertextException, ""},
		{"tampered", kmsapi.DecryptInput{CiphertextBlob: tampered, EncryptionContext: ec}, kmsapi.ErrInvalidCiphertextException, ""},
		{"garbage", kmsapi.DecryptInput{CiphertextBlob: []byte("not a ciphertext at all, clearly not")}, kmsapi.ErrInvalidCiphertextException, ""},
		{"other key", kmsapi.DecryptInput{CiphertextBlob: ct, KeyId: other.KeyId, EncryptionContext: ec}, kmsapi.ErrIncorrectKeyException, "The key ID in the request does not identify a CMK that can perform this operation."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.Decrypt(f.ctx(), &tc.in)
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	// ReEncrypt moves it to the other key, with a new context.
	re, err := f.ReEncrypt(f.ctx(), &kmsapi.ReEncryptInput{CiphertextBlob: ct, SourceEncryptionContext: ec, DestinationKeyId: other.KeyId,
		DestinationEncryptionContext: map[string]string{"k": "v"}})
	if err != nil || *re.SourceKeyId != *md.Arn || *re.KeyId != *other.Arn {
		t.Fatalf("ReEncrypt = %+v, %v", re, err)
	}
	out, err = f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: re.CiphertextBlob, EncryptionContext: map[string]string{"k": "v"}})
	if err != nil || !bytes.Equal(out.Plaintext, pt) || *out.KeyId != *other.Arn {
		t.Fatalf("Decrypt(ReEncrypt) = %+v, %v", out, err)
	}
	// Another account cannot decrypt it by naming the key through the blob
	// unless the key is found in that account: the blob names the owner.
	_, err = f.Decrypt(f.ctxFor("210987654321"), &kmsapi.DecryptInput{CiphertextBlob: ct, EncryptionContext: ec})
	if err != nil {
		// The service itself serves cross-account keys (the IAM engine
		// decides who may); the owner's key decrypts.
		t.Fatalf("cross-account Decrypt: %v", err)
	}
}

func TestKeyStates(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	ct := f.encrypt(*md.KeyId, []byte("x"), nil)
	if _, err := f.DisableKey(f.ctx(), &kmsapi.DisableKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	_, err := f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantErr(t, err, kmsapi.ErrDisabledException, *md.Arn+" is disabled.")
	_, err = f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct})
	wantErr(t, err, kmsapi.ErrDisabledException, *md.Arn+" is disabled.")
	if _, err := f.EnableKey(f.ctx(), &kmsapi.EnableKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err != nil {
		t.Fatal(err)
	}

	// Deletion window.
	for _, w := range []int32{6, 31} {
		_, err := f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId, PendingWindowInDays: &w})
		wantErr(t, err, awserr.ValidationException, "pendingWindowInDays")
	}
	_, err = f.CreateAlias(f.ctx(), &kmsapi.CreateAliasInput{AliasName: ptr.To("alias/doomed"), TargetKeyId: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	sd, err := f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId, PendingWindowInDays: ptr.To(int32(7))})
	if err != nil || !sd.DeletionDate.Equal(t0.Add(7*24*time.Hour)) || *sd.KeyState != "PendingDeletion" || *sd.PendingWindowInDays != 7 || *sd.KeyId != *md.Arn {
		t.Fatalf("ScheduleKeyDeletion = %+v, %v", sd, err)
	}
	_, err = f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x")})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, *md.Arn+" is pending deletion.")
	_, err = f.EnableKey(f.ctx(), &kmsapi.EnableKeyInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "is pending deletion.")
	_, err = f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "is pending deletion.")
	d, _ := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	if *d.KeyMetadata.KeyState != "PendingDeletion" || *d.KeyMetadata.Enabled || *d.KeyMetadata.PendingDeletionWindowInDays != 7 {
		t.Errorf("metadata while pending: %+v", d.KeyMetadata)
	}

	// Cancel → Disabled.
	if _, err := f.CancelKeyDeletion(f.ctx(), &kmsapi.CancelKeyDeletionInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	d, _ = f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	if *d.KeyMetadata.KeyState != "Disabled" || d.KeyMetadata.DeletionDate != nil {
		t.Errorf("after cancel: %+v", d.KeyMetadata)
	}
	_, err = f.CancelKeyDeletion(f.ctx(), &kmsapi.CancelKeyDeletionInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "is not pending deletion")

	// Schedule again (default 30 days) and let the clock pass the date.
	if _, err := f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(30*24*time.Hour - time.Second)
	if _, err := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatalf("deleted a second early: %v", err)
	}
	f.clock.Advance(time.Second)
	_, err = f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrNotFoundException, "does not exist")
	_, err = f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: ptr.To("alias/doomed")})
	wantErr(t, err, kmsapi.ErrNotFoundException, "is not found")
	lk, _ := f.ListKeys(f.ctx(), &kmsapi.ListKeysInput{})
	la, _ := f.ListAliases(f.ctx(), &kmsapi.ListAliasesInput{})
	if len(lk.Keys) != 0 || len(targeted(la.Aliases)) != 0 {
		t.Errorf("after deletion: keys %v aliases %v", lk.Keys, la.Aliases)
	}
	// The record is gone from the store, not only hidden.
	_ = f.store.View(func(tx storage.Tx) error {
		if _, found, _ := keys.Get(tx, storage.Scope{Account: account, Region: region}, *md.KeyId); found {
			t.Error("deleted key still stored")
		}
		return nil
	})
}

func TestAliases(t *testing.T) {
	f := newFixture(t)
	a := f.create("", "")
	b := f.create("", "")
	sign := f.create("ECC_NIST_P256", "SIGN_VERIFY")
	for _, tc := range []struct {
		name, alias, target string
		code                awserr.Code
		msg                 string
	}{
		{"no prefix", "app", *a.KeyId, awserr.ValidationException, `Alias must start with the prefix "alias/".`},
		{"reserved", "alias/aws/s3", *a.KeyId, awserr.NotAuthorizedException, ""},
		{"target alias", "alias/x", "alias/y", awserr.ValidationException, "Aliases must refer to keys"},
		{"missing key", "alias/x", "0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f", kmsapi.ErrNotFoundException, "does not exist"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.CreateAlias(f.ctx(), &kmsapi.CreateAliasInput{AliasName: &tc.alias, TargetKeyId: &tc.target})
			wantErr(t, err, tc.code, tc.msg)
		})
	}
	if _, err := f.CreateAlias(f.ctx(), &kmsapi.CreateAliasInput{AliasName: ptr.To("alias/app"), TargetKeyId: a.Arn}); err != nil {
		t.Fatal(err)
	}
	_, err := f.CreateAlias(f.ctx(), &kmsapi.CreateAliasInput{AliasName: ptr.To("alias/app"), TargetKeyId: b.KeyId})
	wantErr(t, err, kmsapi.ErrAlreadyExistsException, "An alias with the name arn:aws:kms:"+region+":"+account+":alias/app already exists")
	_, err = f.UpdateAlias(f.ctx(), &kmsapi.UpdateAliasInput{AliasName: ptr.To("alias/app"), TargetKeyId: sign.KeyId})
	wantErr(t, err, awserr.ValidationException, "")
	f.clock.Advance(time.Minute)
	if _, err := f.UpdateAlias(f.ctx(), &kmsapi.UpdateAliasInput{AliasName: ptr.To("alias/app"), TargetKeyId: b.KeyId}); err != nil {
		t.Fatal(err)
	}
	la, err := f.ListAliases(f.ctx(), &kmsapi.ListAliasesInput{KeyId: b.KeyId})
	if err != nil || len(la.Aliases) != 1 || *la.Aliases[0].TargetKeyId != *b.KeyId || !la.Aliases[0].LastUpdatedDate.Equal(t0.Add(time.Minute)) ||
		*la.Aliases[0].AliasArn != "arn:aws:kms:"+region+":"+account+":alias/app" {
		t.Fatalf("ListAliases = %+v, %v", la, err)
	}
	la, _ = f.ListAliases(f.ctx(), &kmsapi.ListAliasesInput{KeyId: a.KeyId})
	if len(la.Aliases) != 0 {
		t.Errorf("old key still has the alias: %+v", la.Aliases)
	}
	if _, err := f.DeleteAlias(f.ctx(), &kmsapi.DeleteAliasInput{AliasName: ptr.To("alias/app")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.DeleteAlias(f.ctx(), &kmsapi.DeleteAliasInput{AliasName: ptr.To("alias/app")})
	wantErr(t, err, kmsapi.ErrNotFoundException, "is not found.")
}

// targeted drops the predefined AWS aliases that have no key yet.
func targeted(as []kmsapi.AliasListEntry) []kmsapi.AliasListEntry {
	var out []kmsapi.AliasListEntry
	for _, a := range as {
		if a.TargetKeyId != nil {
			out = append(out, a)
		}
	}
	return out
}

func TestListAliasesPredefined(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	for _, n := range []string{"alias/a", "alias/zz"} {
		if _, err := f.CreateAlias(f.ctx(), &kmsapi.CreateAliasInput{AliasName: ptr.To(n), TargetKeyId: md.KeyId}); err != nil {
			t.Fatal(err)
		}
	}
	s3, _ := f.ManagedKey(context.Background(), account, region, "s3")
	var names []string
	var marker *string
	for {
		out, err := f.ListAliases(f.ctx(), &kmsapi.ListAliasesInput{Limit: ptr.To(int32(5)), Marker: marker})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range out.Aliases {
			names = append(names, *a.AliasName)
			switch *a.AliasName {
			case "alias/aws/s3":
				if a.TargetKeyId == nil || !strings.HasSuffix(s3, *a.TargetKeyId) {
					t.Errorf("alias/aws/s3 = %+v", a)
				}
			case "alias/aws/ebs":
				if a.TargetKeyId != nil || *a.AliasArn != "arn:aws:kms:"+region+":"+account+":alias/aws/ebs" {
					t.Errorf("alias/aws/ebs = %+v", a)
				}
			}
		}
		if !*out.Truncated {
			break
		}
		marker = out.NextMarker
	}
	want := append([]string{"alias/a"}, predefinedAliases()...)
	want = append(want, "alias/zz")
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("names %v\nwant %v", names, want)
	}
	// Listing one key's aliases shows only its own.
	out, _ := f.ListAliases(f.ctx(), &kmsapi.ListAliasesInput{KeyId: md.KeyId})
	if len(out.Aliases) != 2 {
		t.Errorf("key's aliases %+v", out.Aliases)
	}
}

func TestManagedKey(t *testing.T) {
	f := newFixture(t)
	arn1, err := f.ManagedKey(context.Background(), account, region, "s3")
	if err != nil {
		t.Fatal(err)
	}
	arn2, err := f.ManagedKey(context.Background(), account, region, "s3")
	if err != nil || arn1 != arn2 {
		t.Fatalf("second ManagedKey = %s, %v; want %s", arn2, err, arn1)
	}
	d, err := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: ptr.To("alias/aws/s3")})
	if err != nil || *d.KeyMetadata.Arn != arn1 || *d.KeyMetadata.KeyManager != "AWS" {
		t.Fatalf("DescribeKey alias/aws/s3 = %+v, %v", d, err)
	}
	// DescribeKey of a predefined alias with no key yet creates it.
	d, err = f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: ptr.To("alias/aws/sqs")})
	if err != nil || *d.KeyMetadata.KeyManager != "AWS" || !strings.Contains(*d.KeyMetadata.Description, "SQS") {
		t.Fatalf("DescribeKey alias/aws/sqs = %+v, %v", d, err)
	}
	// But not for made-up services, nor for other operations.
	_, err = f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: ptr.To("alias/aws/nothing")})
	wantErr(t, err, kmsapi.ErrNotFoundException, "is not found")
	_, err = f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: ptr.To("alias/aws/lambda"), Plaintext: []byte("x")})
	wantErr(t, err, kmsapi.ErrNotFoundException, "is not found")
	_, err = f.DeleteAlias(f.ctx(), &kmsapi.DeleteAliasInput{AliasName: ptr.To("alias/aws/s3")})
	wantErr(t, err, awserr.NotAuthorizedException, "")
}

func TestRSAEncryption(t *testing.T) {
	f := newFixture(t)
	md := f.create("RSA_2048", "ENCRYPT_DECRYPT")
	pt := []byte("secret")
	_, err := f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: pt})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "Algorithm SYMMETRIC_DEFAULT is incompatible with key spec RSA_2048.")
	_, err = f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: make([]byte, 200), EncryptionAlgorithm: ptr.To("RSAES_OAEP_SHA_256")})
	wantErr(t, err, awserr.ValidationException, "too long")
	pub, err := f.GetPublicKey(f.ctx(), &kmsapi.GetPublicKeyInput{KeyId: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	rpk, err := x509.ParsePKIXPublicKey(pub.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	for _, alg := range []string{"RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"} {
		out, err := f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: pt, EncryptionAlgorithm: &alg})
		if err != nil || len(out.CiphertextBlob) != 256 {
			t.Fatalf("%s: %v", alg, err)
		}
		dec, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{KeyId: md.KeyId, CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: &alg})
		if err != nil || !bytes.Equal(dec.Plaintext, pt) {
			t.Fatalf("%s Decrypt: %v", alg, err)
		}
		// A ciphertext made outside KMS with the public key decrypts too.
		ext, err := rsa.EncryptOAEP(oaepHash(alg), bytes.NewReader(make([]byte, 4096)), rpk.(*rsa.PublicKey), pt, nil)
		if err != nil {
			t.Fatal(err)
		}
		if dec, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{KeyId: md.KeyId, CiphertextBlob: ext, EncryptionAlgorithm: &alg}); err != nil || !bytes.Equal(dec.Plaintext, pt) {
			t.Fatalf("%s Decrypt external: %v", alg, err)
		}
		// No KeyId: an RSA ciphertext names no key.
		_, err = f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionAlgorithm: &alg})
		wantErr(t, err, kmsapi.ErrInvalidCiphertextException, "")
	}
	_, err = f.GenerateDataKey(f.ctx(), &kmsapi.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: ptr.To("AES_256")})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "")
}

func TestDataKeys(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	ec := map[string]string{"bucket": "b"}
	for _, tc := range []struct {
		spec *string
		n    *int32
		want int
	}{{ptr.To("AES_256"), nil, 32}, {ptr.To("AES_128"), nil, 16}, {nil, ptr.To(int32(1)), 1}, {nil, ptr.To(int32(1024)), 1024}} {
		out, err := f.GenerateDataKey(f.ctx(), &kmsapi.GenerateDataKeyInput{KeyId: ptr.To("" + *md.KeyId), KeySpec: tc.spec, NumberOfBytes: tc.n, EncryptionContext: ec})
		if err != nil || len(out.Plaintext) != tc.want || *out.KeyId != *md.Arn {
			t.Fatalf("GenerateDataKey %d: %+v, %v", tc.want, out, err)
		}
		dec, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: out.CiphertextBlob, EncryptionContext: ec})
		if err != nil || !bytes.Equal(dec.Plaintext, out.Plaintext) {
			t.Fatalf("Decrypt data key: %v", err)
		}
	}
	_, err := f.GenerateDataKey(f.ctx(), &kmsapi.GenerateDataKeyInput{KeyId: md.KeyId})
	wantErr(t, err, awserr.ValidationException, "Please specify either number of bytes or key spec.")
	_, err = f.GenerateDataKey(f.ctx(), &kmsapi.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: ptr.To("AES_256"), NumberOfBytes: ptr.To(int32(8))})
	wantErr(t, err, awserr.ValidationException, "Please specify either number of bytes or key spec.")
	wp, err := f.GenerateDataKeyWithoutPlaintext(f.ctx(), &kmsapi.GenerateDataKeyWithoutPlaintextInput{KeyId: md.KeyId, KeySpec: ptr.To("AES_128")})
	if err != nil {
		t.Fatal(err)
	}
	if dec, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: wp.CiphertextBlob}); err != nil || len(dec.Plaintext) != 16 {
		t.Fatalf("Decrypt: %v", err)
	}

	for _, spec := range []string{"RSA_2048", "ECC_NIST_P256", "ECC_NIST_P384", "ECC_SECG_P256K1"} {
		t.Run(spec, func(t *testing.T) {
			out, err := f.GenerateDataKeyPair(f.ctx(), &kmsapi.GenerateDataKeyPairInput{KeyId: md.KeyId, KeyPairSpec: &spec, EncryptionContext: ec})
			if err != nil {
				t.Fatal(err)
			}
			dec, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: out.PrivateKeyCiphertextBlob, EncryptionContext: ec})
			if err != nil || !bytes.Equal(dec.Plaintext, out.PrivateKeyPlaintext) {
				t.Fatalf("Decrypt private key: %v", err)
			}
			if spec == "ECC_SECG_P256K1" {
				if pub, err := k1PublicDER(out.PrivateKeyPlaintext); err != nil || !bytes.Equal(pub, out.PublicKey) {
					t.Fatalf("secp256k1 public key does not match: %v", err)
				}
				return
			}
			priv, err := x509.ParsePKCS8PrivateKey(out.PrivateKeyPlaintext)
			if err != nil {
				t.Fatal(err)
			}
			want, _ := x509.MarshalPKIXPublicKey(priv.(crypto.Signer).Public())
			if !bytes.Equal(want, out.PublicKey) {
				t.Error("public key does not match the private key")
			}
		})
	}
	_, err = f.GenerateDataKeyPair(f.ctx(), &kmsapi.GenerateDataKeyPairInput{KeyId: md.KeyId, KeyPairSpec: ptr.To("SM2")})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "SM2")
}

func TestSignVerify(t *testing.T) {
	f := newFixture(t)
	msg := []byte("the message")
	for _, tc := range []struct{ spec, alg string }{
		{"RSA_2048", "RSASSA_PSS_SHA_256"}, {"RSA_2048", "RSASSA_PSS_SHA_512"}, {"RSA_2048", "RSASSA_PKCS1_V1_5_SHA_384"},
		{"ECC_NIST_P256", "ECDSA_SHA_256"}, {"ECC_NIST_P384", "ECDSA_SHA_384"}, {"ECC_NIST_P521", "ECDSA_SHA_512"},
		{"ECC_SECG_P256K1", "ECDSA_SHA_256"},
	} {
		t.Run(tc.spec+"/"+tc.alg, func(t *testing.T) {
			md := f.create(tc.spec, "SIGN_VERIFY")
			out, err := f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: &tc.alg})
			if err != nil || *out.SigningAlgorithm != tc.alg || *out.KeyId != *md.Arn {
				t.Fatalf("Sign: %+v, %v", out, err)
			}
			v, err := f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: msg, Signature: out.Signature, SigningAlgorithm: &tc.alg})
			if err != nil || !*v.SignatureValid {
				t.Fatalf("Verify: %+v, %v", v, err)
			}
			// DIGEST of the same message verifies the RAW signature.
			d := digest(signingHash(tc.alg), msg)
			if _, err := f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: d, MessageType: ptr.To("DIGEST"), Signature: out.Signature, SigningAlgorithm: &tc.alg}); err != nil {
				t.Fatalf("Verify DIGEST: %v", err)
			}
			_, err = f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: d[:len(d)-1], MessageType: ptr.To("DIGEST"), SigningAlgorithm: &tc.alg})
			wantErr(t, err, awserr.ValidationException, "Digest is invalid length for algorithm "+tc.alg+".")
			_, err = f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: []byte("other"), Signature: out.Signature, SigningAlgorithm: &tc.alg})
			wantErr(t, err, kmsapi.ErrKMSInvalidSignatureException, "")
			_, err = f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: msg, Signature: []byte{0x30, 0}, SigningAlgorithm: &tc.alg})
			wantErr(t, err, kmsapi.ErrKMSInvalidSignatureException, "")

			// The public key verifies outside KMS.
			pub, err := f.GetPublicKey(f.ctx(), &kmsapi.GetPublicKeyInput{KeyId: md.KeyId})
			if err != nil || *pub.KeySpec != tc.spec || *pub.KeyUsage != "SIGN_VERIFY" || len(pub.SigningAlgorithms) == 0 {
				t.Fatalf("GetPublicKey: %+v, %v", pub, err)
			}
			if tc.spec == "ECC_SECG_P256K1" {
				return // openssl checks these in e2e/kms
			}
			pk, err := x509.ParsePKIXPublicKey(pub.PublicKey)
			if err != nil {
				t.Fatal(err)
			}
			ok := false
			switch k := pk.(type) {
			case *ecdsa.PublicKey:
				ok = ecdsa.VerifyASN1(k, d, out.Signature)
			case *rsa.PublicKey:
				if strings.HasPrefix(tc.alg, "RSASSA_PSS") {
					ok = rsa.VerifyPSS(k, signingHash(tc.alg), d, out.Signature, &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash}) == nil
				} else {
					ok = rsa.VerifyPKCS1v15(k, signingHash(tc.alg), d, out.Signature) == nil
				}
			}
			if !ok {
				t.Error("signature does not verify with the public key")
			}
		})
	}
	ecc := f.create("ECC_NIST_P256", "SIGN_VERIFY")
	_, err := f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: ecc.KeyId, Message: msg, SigningAlgorithm: ptr.To("ECDSA_SHA_384")})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "Algorithm ECDSA_SHA_384 is incompatible with key spec ECC_NIST_P256.")
	_, err = f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: ecc.KeyId, Plaintext: msg})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, *ecc.Arn+" key usage is SIGN_VERIFY which is not valid for Encrypt.")
	sym := f.create("", "")
	_, err = f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: sym.KeyId, Message: msg, SigningAlgorithm: ptr.To("ECDSA_SHA_256")})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "key usage is ENCRYPT_DECRYPT which is not valid for Sign.")
	_, err = f.GetPublicKey(f.ctx(), &kmsapi.GetPublicKeyInput{KeyId: sym.KeyId})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "")
}

func TestMAC(t *testing.T) {
	f := newFixture(t)
	md := f.create("HMAC_384", "GENERATE_VERIFY_MAC")
	msg := []byte("hello")
	out, err := f.GenerateMac(f.ctx(), &kmsapi.GenerateMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: ptr.To("HMAC_SHA_384")})
	if err != nil || len(out.Mac) != 48 {
		t.Fatalf("GenerateMac: %+v, %v", out, err)
	}
	v, err := f.VerifyMac(f.ctx(), &kmsapi.VerifyMacInput{KeyId: md.KeyId, Message: msg, Mac: out.Mac, MacAlgorithm: ptr.To("HMAC_SHA_384")})
	if err != nil || !*v.MacValid {
		t.Fatalf("VerifyMac: %+v, %v", v, err)
	}
	_, err = f.VerifyMac(f.ctx(), &kmsapi.VerifyMacInput{KeyId: md.KeyId, Message: []byte("hellO"), Mac: out.Mac, MacAlgorithm: ptr.To("HMAC_SHA_384")})
	wantErr(t, err, kmsapi.ErrKMSInvalidMacException, "")
	_, err = f.GenerateMac(f.ctx(), &kmsapi.GenerateMacInput{KeyId: md.KeyId, Message: msg, MacAlgorithm: ptr.To("HMAC_SHA_256")})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "Algorithm HMAC_SHA_256 is incompatible with key spec HMAC_384.")
	other := f.create("HMAC_384", "GENERATE_VERIFY_MAC")
	_, err = f.VerifyMac(f.ctx(), &kmsapi.VerifyMacInput{KeyId: other.KeyId, Message: msg, Mac: out.Mac, MacAlgorithm: ptr.To("HMAC_SHA_384")})
	wantErr(t, err, kmsapi.ErrKMSInvalidMacException, "")
}

func TestRotation(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	before := f.encrypt(*md.KeyId, []byte("v0"), nil)
	st, _ := f.GetKeyRotationStatus(f.ctx(), &kmsapi.GetKeyRotationStatusInput{KeyId: md.KeyId})
	if *st.KeyRotationEnabled || st.NextRotationDate != nil {
		t.Fatalf("status before enabling: %+v", st)
	}
	if _, err := f.EnableKeyRotation(f.ctx(), &kmsapi.EnableKeyRotationInput{KeyId: md.KeyId, RotationPeriodInDays: ptr.To(int32(90))}); err != nil {
		t.Fatal(err)
	}
	st, _ = f.GetKeyRotationStatus(f.ctx(), &kmsapi.GetKeyRotationStatusInput{KeyId: md.KeyId})
	if !*st.KeyRotationEnabled || *st.RotationPeriodInDays != 90 || !st.NextRotationDate.Equal(t0.Add(90*24*time.Hour)) {
		t.Fatalf("status: %+v", st)
	}
	// Two periods pass: two automatic rotations, on their dates.
	f.clock.Advance(181 * 24 * time.Hour)
	after := f.encrypt(*md.KeyId, []byte("v2"), nil)
	lr, err := f.ListKeyRotations(f.ctx(), &kmsapi.ListKeyRotationsInput{KeyId: md.KeyId})
	if err != nil || len(lr.Rotations) != 2 || *lr.Rotations[0].RotationType != "AUTOMATIC" ||
		!lr.Rotations[0].RotationDate.Equal(t0.Add(90*24*time.Hour)) || !lr.Rotations[1].RotationDate.Equal(t0.Add(180*24*time.Hour)) {
		t.Fatalf("ListKeyRotations = %+v, %v", lr, err)
	}
	h1, _ := parseBlob(before)
	h2, _ := parseBlob(after)
	if h1.Material != 0 || h2.Material != 2 {
		t.Errorf("material versions %d, %d; want 0, 2", h1.Material, h2.Material)
	}
	for _, ct := range [][]byte{before, after} {
		if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct}); err != nil {
			t.Fatalf("Decrypt after rotation: %v", err)
		}
	}
	// Reading the key repeatedly does not rotate it again (material is
	// settled in the store, not remade per read).
	again := f.encrypt(*md.KeyId, []byte("v2"), nil)
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: after}); err != nil {
		t.Fatal(err)
	}
	if h, _ := parseBlob(again); h.Material != 2 {
		t.Errorf("material %d", h.Material)
	}
	if _, err := f.RotateKeyOnDemand(f.ctx(), &kmsapi.RotateKeyOnDemandInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	lr, _ = f.ListKeyRotations(f.ctx(), &kmsapi.ListKeyRotationsInput{KeyId: md.KeyId, Limit: ptr.To(int32(2))})
	if len(lr.Rotations) != 2 || !*lr.Truncated {
		t.Fatalf("page 1: %+v", lr)
	}
	lr, _ = f.ListKeyRotations(f.ctx(), &kmsapi.ListKeyRotationsInput{KeyId: md.KeyId, Limit: ptr.To(int32(2)), Marker: lr.NextMarker})
	if len(lr.Rotations) != 1 || *lr.Rotations[0].RotationType != "ON_DEMAND" || *lr.Truncated {
		t.Fatalf("page 2: %+v", lr)
	}
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: before}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DisableKeyRotation(f.ctx(), &kmsapi.DisableKeyRotationInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(400 * 24 * time.Hour)
	lr, _ = f.ListKeyRotations(f.ctx(), &kmsapi.ListKeyRotationsInput{KeyId: md.KeyId})
	if len(lr.Rotations) != 3 {
		t.Errorf("rotated while disabled: %d", len(lr.Rotations))
	}
	rsaKey := f.create("RSA_2048", "SIGN_VERIFY")
	_, err = f.EnableKeyRotation(f.ctx(), &kmsapi.EnableKeyRotationInput{KeyId: rsaKey.KeyId})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "")
	_, err = f.RotateKeyOnDemand(f.ctx(), &kmsapi.RotateKeyOnDemandInput{KeyId: rsaKey.KeyId})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "")
}

func TestTagsAndPolicies(t *testing.T) {
	f := newFixture(t)
	out, err := f.CreateKey(f.ctx(), &kmsapi.CreateKeyInput{Tags: []kmsapi.Tag{{TagKey: ptr.To("b"), TagValue: ptr.To("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	id := out.KeyMetadata.KeyId
	if _, err := f.TagResource(f.ctx(), &kmsapi.TagResourceInput{KeyId: id, Tags: []kmsapi.Tag{{TagKey: ptr.To("a"), TagValue: ptr.To("2")}, {TagKey: ptr.To("b"), TagValue: ptr.To("3")}}}); err != nil {
		t.Fatal(err)
	}
	lt, _ := f.ListResourceTags(f.ctx(), &kmsapi.ListResourceTagsInput{KeyId: id})
	if len(lt.Tags) != 2 || *lt.Tags[0].TagKey != "b" || *lt.Tags[0].TagValue != "3" || *lt.Tags[1].TagKey != "a" {
		t.Fatalf("tags %+v", lt.Tags)
	}
	if _, err := f.UntagResource(f.ctx(), &kmsapi.UntagResourceInput{KeyId: id, TagKeys: []string{"b", "zz"}}); err != nil {
		t.Fatal(err)
	}
	lt, _ = f.ListResourceTags(f.ctx(), &kmsapi.ListResourceTagsInput{KeyId: id})
	if len(lt.Tags) != 1 || *lt.Tags[0].TagKey != "a" {
		t.Fatalf("tags %+v", lt.Tags)
	}
	many := make([]kmsapi.Tag, 50)
	for i := range many {
		many[i] = kmsapi.Tag{TagKey: ptr.To(strings.Repeat("k", i+1)), TagValue: ptr.To("v")}
	}
	_, err = f.TagResource(f.ctx(), &kmsapi.TagResourceInput{KeyId: id, Tags: many})
	wantErr(t, err, kmsapi.ErrLimitExceededException, "")

	gp, err := f.GetKeyPolicy(f.ctx(), &kmsapi.GetKeyPolicyInput{KeyId: id})
	if err != nil || *gp.PolicyName != "default" {
		t.Fatal(err)
	}
	var doc struct {
		Statement []struct {
			Sid       string
			Principal struct{ AWS string }
			Action    string
		}
	}
	if err := json.Unmarshal([]byte(*gp.Policy), &doc); err != nil || len(doc.Statement) != 1 ||
		doc.Statement[0].Sid != "Enable IAM User Permissions" || doc.Statement[0].Principal.AWS != "arn:aws:iam::"+account+":root" || doc.Statement[0].Action != "kms:*" {
		t.Fatalf("default policy %s (%v)", *gp.Policy, err)
	}
	_, err = f.PutKeyPolicy(f.ctx(), &kmsapi.PutKeyPolicyInput{KeyId: id, Policy: ptr.To("nope")})
	wantErr(t, err, kmsapi.ErrMalformedPolicyDocumentException, "")
	pol := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::` + account + `:root"},"Action":"kms:Describe*","Resource":"*"}]}`
	if _, err := f.PutKeyPolicy(f.ctx(), &kmsapi.PutKeyPolicyInput{KeyId: id, Policy: &pol}); err != nil {
		t.Fatal(err)
	}
	gp, _ = f.GetKeyPolicy(f.ctx(), &kmsapi.GetKeyPolicyInput{KeyId: id})
	if *gp.Policy != pol {
		t.Errorf("policy %s", *gp.Policy)
	}
	lp, _ := f.ListKeyPolicies(f.ctx(), &kmsapi.ListKeyPoliciesInput{KeyId: id})
	if len(lp.PolicyNames) != 1 || lp.PolicyNames[0] != "default" {
		t.Errorf("policies %v", lp.PolicyNames)
	}
	_, err = f.GetKeyPolicy(f.ctx(), &kmsapi.GetKeyPolicyInput{KeyId: id, PolicyName: ptr.To("other")})
	wantErr(t, err, kmsapi.ErrNotFoundException, "")
	doc2, owner, found, err := f.ResourcePolicy(context.Background(), *out.KeyMetadata.Arn)
	if err != nil || !found || owner != account || doc2 != pol {
		t.Errorf("ResourcePolicy = %q %q %v %v", doc2, owner, found, err)
	}
	if _, _, found, _ := f.ResourcePolicy(context.Background(), "arn:aws:kms:"+region+":"+account+":key/0b3c2f4e-1d2a-4c5b-8e9f-0a1b2c3d4e5f"); found {
		t.Error("ResourcePolicy found a missing key")
	}
}

func TestGrants(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	grantee := "arn:aws:iam::" + account + ":role/app"
	retiring := "arn:aws:iam::" + account + ":role/admin"
	in := &kmsapi.CreateGrantInput{KeyId: md.KeyId, GranteePrincipal: &grantee, RetiringPrincipal: &retiring, Name: ptr.To("g1"),
		Operations: []string{"Decrypt", "Encrypt"}, Constraints: &kmsapi.GrantConstraints{EncryptionContextSubset: map[string]string{"app": "x"}}}
	g, err := f.CreateGrant(f.ctx(), in)
	if err != nil || len(*g.GrantId) != 64 || *g.GrantToken == "" {
		t.Fatalf("CreateGrant = %+v, %v", g, err)
	}
	again, err := f.CreateGrant(f.ctx(), in)
	if err != nil || *again.GrantId != *g.GrantId {
		t.Fatalf("same-name CreateGrant made a new grant: %v", err)
	}
	_, err = f.CreateGrant(f.ctx(), &kmsapi.CreateGrantInput{KeyId: md.Arn, GranteePrincipal: &grantee, Operations: []string{"Decrypt", "Sign"}})
	wantErr(t, err, awserr.ValidationException, "Sign is not valid")
	signer := f.create("ECC_NIST_P256", "SIGN_VERIFY")
	_, err = f.CreateGrant(f.ctx(), &kmsapi.CreateGrantInput{KeyId: signer.KeyId, GranteePrincipal: &grantee, Operations: []string{"GenerateDataKey"}})
	wantErr(t, err, awserr.ValidationException, "GenerateDataKey is not valid")
	if _, err := f.CreateGrant(f.ctx(), &kmsapi.CreateGrantInput{KeyId: signer.KeyId, GranteePrincipal: &grantee, Operations: []string{"Sign", "GetPublicKey", "DescribeKey"}}); err != nil {
		t.Fatal(err)
	}
	g2, err := f.CreateGrant(f.ctx(), &kmsapi.CreateGrantInput{KeyId: md.Arn, GranteePrincipal: &grantee, Operations: []string{"GenerateDataKey"}})
	if err != nil {
		t.Fatal(err)
	}
	lg, err := f.ListGrants(f.ctx(), &kmsapi.ListGrantsInput{KeyId: md.KeyId})
	if err != nil || len(lg.Grants) != 2 {
		t.Fatalf("ListGrants = %+v, %v", lg, err)
	}
	lg, _ = f.ListGrants(f.ctx(), &kmsapi.ListGrantsInput{KeyId: md.KeyId, GrantId: g.GrantId})
	if len(lg.Grants) != 1 || *lg.Grants[0].Name != "g1" || lg.Grants[0].Constraints.EncryptionContextSubset["app"] != "x" ||
		*lg.Grants[0].KeyId != *md.Arn || *lg.Grants[0].RetiringPrincipal != retiring || len(lg.Grants[0].Operations) != 2 {
		t.Fatalf("grant entry %+v", lg.Grants)
	}
	lg, _ = f.ListGrants(f.ctx(), &kmsapi.ListGrantsInput{KeyId: md.KeyId, Limit: ptr.To(int32(1))})
	if len(lg.Grants) != 1 || !*lg.Truncated {
		t.Fatalf("paged %+v", lg)
	}
	lg2, _ := f.ListGrants(f.ctx(), &kmsapi.ListGrantsInput{KeyId: md.KeyId, Limit: ptr.To(int32(1)), Marker: lg.NextMarker})
	if len(lg2.Grants) != 1 || *lg2.Grants[0].GrantId == *lg.Grants[0].GrantId || *lg2.Truncated {
		t.Fatalf("page 2 %+v", lg2)
	}
	lr, _ := f.ListRetirableGrants(f.ctx(), &kmsapi.ListRetirableGrantsInput{RetiringPrincipal: &retiring})
	if len(lr.Grants) != 1 || *lr.Grants[0].GrantId != *g.GrantId {
		t.Fatalf("retirable %+v", lr)
	}

	// The IAM engine sees grants as statements of the key policy.
	doc, _, _, err := f.ResourcePolicy(context.Background(), *md.Arn)
	if err != nil || !strings.Contains(doc, `"kms:Decrypt"`) || !strings.Contains(doc, grantee) || !strings.Contains(doc, "kms:EncryptionContext:app") ||
		!strings.Contains(doc, "Enable IAM User Permissions") {
		t.Fatalf("policy with grants: %s (%v)", doc, err)
	}

	if _, err := f.RetireGrant(f.ctx(), &kmsapi.RetireGrantInput{GrantToken: g.GrantToken}); err != nil {
		t.Fatal(err)
	}
	_, err = f.RetireGrant(f.ctx(), &kmsapi.RetireGrantInput{GrantToken: g.GrantToken})
	wantErr(t, err, kmsapi.ErrInvalidGrantTokenException, "")
	if _, err := f.RevokeGrant(f.ctx(), &kmsapi.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId}); err != nil {
		t.Fatal(err)
	}
	_, err = f.RevokeGrant(f.ctx(), &kmsapi.RevokeGrantInput{KeyId: md.KeyId, GrantId: g2.GrantId})
	wantErr(t, err, kmsapi.ErrNotFoundException, "")
	_, err = f.RevokeGrant(f.ctx(), &kmsapi.RevokeGrantInput{KeyId: md.KeyId, GrantId: ptr.To("bad")})
	wantErr(t, err, kmsapi.ErrInvalidGrantIdException, "")
	lg, _ = f.ListGrants(f.ctx(), &kmsapi.ListGrantsInput{KeyId: md.KeyId})
	if len(lg.Grants) != 0 {
		t.Errorf("grants left: %+v", lg.Grants)
	}
}

func TestGenerateRandom(t *testing.T) {
	f := newFixture(t)
	a, err := f.GenerateRandom(f.ctx(), &kmsapi.GenerateRandomInput{NumberOfBytes: ptr.To(int32(32))})
	if err != nil || len(a.Plaintext) != 32 {
		t.Fatal(err)
	}
	b, _ := f.GenerateRandom(f.ctx(), &kmsapi.GenerateRandomInput{NumberOfBytes: ptr.To(int32(32))})
	if bytes.Equal(a.Plaintext, b.Plaintext) {
		t.Error("two random draws are equal")
	}
}

func TestCanonicalContext(t *testing.T) {
	// Length prefixes keep distinct contexts distinct.
	a := canonicalContext(map[string]string{"ab": "c"})
	b := canonicalContext(map[string]string{"a": "bc"})
	if bytes.Equal(a, b) {
		t.Error("ambiguous encoding")
	}
	if !bytes.Equal(canonicalContext(map[string]string{"x": "1", "y": "2"}), canonicalContext(map[string]string{"y": "2", "x": "1"})) {
		t.Error("order-dependent encoding")
	}
	if len(canonicalContext(nil)) != 0 {
		t.Error("empty context not empty")
	}
}

func TestDeriveSharedSecret(t *testing.T) {
	f := newFixture(t)
	md := f.create("ECC_NIST_P384", "KEY_AGREEMENT")
	if strings.Join(md.KeyAgreementAlgorithms, ",") != "ECDH" || len(md.SigningAlgorithms) != 0 {
		t.Fatalf("metadata %+v", md)
	}
	peer, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	peerDER, _ := x509.MarshalPKIXPublicKey(&peer.PublicKey)
	out, err := f.DeriveSharedSecret(f.ctx(), &kmsapi.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: ptr.To("ECDH"), PublicKey: peerDER})
	if err != nil {
		t.Fatal(err)
	}
	// The peer derives the same secret from KMS's public key.
	pub, err := f.GetPublicKey(f.ctx(), &kmsapi.GetPublicKeyInput{KeyId: md.KeyId})
	if err != nil || strings.Join(pub.KeyAgreementAlgorithms, ",") != "ECDH" {
		t.Fatalf("GetPublicKey %+v, %v", pub, err)
	}
	kpub, _ := x509.ParsePKIXPublicKey(pub.PublicKey)
	a, _ := peer.ECDH()
	b, _ := kpub.(*ecdsa.PublicKey).ECDH()
	want, _ := a.ECDH(b)
	if !bytes.Equal(out.SharedSecret, want) || len(want) != 48 {
		t.Fatal("shared secrets differ")
	}
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	otherDER, _ := x509.MarshalPKIXPublicKey(&other.PublicKey)
	_, err = f.DeriveSharedSecret(f.ctx(), &kmsapi.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: ptr.To("ECDH"), PublicKey: otherDER})
	wantErr(t, err, awserr.ValidationException, "")
	_, err = f.DeriveSharedSecret(f.ctx(), &kmsapi.DeriveSharedSecretInput{KeyId: md.KeyId, KeyAgreementAlgorithm: ptr.To("ECDH"), PublicKey: []byte("junk")})
	wantErr(t, err, awserr.ValidationException, "")
	sym := f.create("", "")
	_, err = f.DeriveSharedSecret(f.ctx(), &kmsapi.DeriveSharedSecretInput{KeyId: sym.KeyId, KeyAgreementAlgorithm: ptr.To("ECDH"), PublicKey: peerDER})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "not valid for DeriveSharedSecret.")
	_, err = f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: []byte("m"), SigningAlgorithm: ptr.To("ECDSA_SHA_384")})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "key usage is KEY_AGREEMENT which is not valid for Sign.")
}

func TestDryRun(t *testing.T) {
	f := newFixture(t)
	md := f.create("", "")
	yes := ptr.To(true)
	_, err := f.Encrypt(f.ctx(), &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("x"), DryRun: yes})
	wantErr(t, err, kmsapi.ErrDryRunOperationException, "DryRun")
	// Checks come first: a disabled key is refused as such.
	f.DisableKey(f.ctx(), &kmsapi.DisableKeyInput{KeyId: md.KeyId})
	_, err = f.GenerateDataKey(f.ctx(), &kmsapi.GenerateDataKeyInput{KeyId: md.KeyId, KeySpec: ptr.To("AES_256"), DryRun: yes})
	wantErr(t, err, kmsapi.ErrDisabledException, "")
}

func TestAWSManagedKeysAreNotCustomers(t *testing.T) {
	f := newFixture(t)
	arn, err := f.ManagedKey(context.Background(), account, region, "sqs")
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"DisableKey": func() error { _, err := f.DisableKey(f.ctx(), &kmsapi.DisableKeyInput{KeyId: &arn}); return err },
		"ScheduleKeyDeletion": func() error {
			_, err := f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: &arn})
			return err
		},
		"PutKeyPolicy": func() error {
			_, err := f.PutKeyPolicy(f.ctx(), &kmsapi.PutKeyPolicyInput{KeyId: &arn, Policy: ptr.To(defaultPolicy(account))})
			return err
		},
		"DisableKeyRotation": func() error {
			_, err := f.DisableKeyRotation(f.ctx(), &kmsapi.DisableKeyRotationInput{KeyId: &arn})
			return err
		},
	} {
		wantErr(t, call(), awserr.AccessDeniedException, "is not authorized to perform: kms:"+name+" on resource: "+arn)
	}
	// It is usable, and rotates yearly on its own.
	st, err := f.GetKeyRotationStatus(f.ctx(), &kmsapi.GetKeyRotationStatusInput{KeyId: &arn})
	if err != nil || !*st.KeyRotationEnabled || *st.RotationPeriodInDays != 365 {
		t.Fatalf("rotation %+v, %v", st, err)
	}
	f.encrypt("alias/aws/sqs", []byte("x"), nil)
}

func (f *fixture) ctxIn(r string) *request.Context {
	c := f.ctx()
	c.Region = r
	return c
}

func TestMultiRegionReplicas(t *testing.T) {
	f := newFixture(t)
	out, err := f.CreateKey(f.ctx(), &kmsapi.CreateKeyInput{MultiRegion: ptr.To(true)})
	if err != nil {
		t.Fatal(err)
	}
	md := out.KeyMetadata
	if !strings.HasPrefix(*md.KeyId, "mrk-") || *md.MultiRegionConfiguration.MultiRegionKeyType != "PRIMARY" {
		t.Fatalf("metadata %+v", md)
	}
	single := f.create("", "")
	_, err = f.ReplicateKey(f.ctx(), &kmsapi.ReplicateKeyInput{KeyId: single.KeyId, ReplicaRegion: ptr.To("us-west-2")})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "is not a multi-Region key")

	ct := f.encrypt(*md.KeyId, []byte("everywhere"), map[string]string{"c": "1"})
	rep, err := f.ReplicateKey(f.ctx(), &kmsapi.ReplicateKeyInput{KeyId: md.KeyId, ReplicaRegion: ptr.To("us-west-2"), Description: ptr.To("replica"),
		Tags: []kmsapi.Tag{{TagKey: ptr.To("r"), TagValue: ptr.To("1")}}})
	if err != nil {
		t.Fatal(err)
	}
	rmd := rep.ReplicaKeyMetadata
	if *rmd.KeyId != *md.KeyId || *rmd.Arn != "arn:aws:kms:us-west-2:"+account+":key/"+*md.KeyId || *rmd.MultiRegionConfiguration.MultiRegionKeyType != "REPLICA" ||
		*rmd.MultiRegionConfiguration.PrimaryKey.Region != region || *rmd.Description != "replica" || len(rep.ReplicaTags) != 1 {
		t.Fatalf("replica %+v", rmd)
	}
	_, err = f.ReplicateKey(f.ctx(), &kmsapi.ReplicateKeyInput{KeyId: md.KeyId, ReplicaRegion: ptr.To("us-west-2")})
	wantErr(t, err, kmsapi.ErrAlreadyExistsException, "")
	d, _ := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	if rk := d.KeyMetadata.MultiRegionConfiguration.ReplicaKeys; len(rk) != 1 || *rk[0].Region != "us-west-2" {
		t.Fatalf("primary's replicas %+v", rk)
	}
	west := f.ctxIn("us-west-2")
	dec, err := f.Decrypt(west, &kmsapi.DecryptInput{CiphertextBlob: ct, EncryptionContext: map[string]string{"c": "1"}})
	if err != nil || string(dec.Plaintext) != "everywhere" || *dec.KeyId != *rmd.Arn {
		t.Fatalf("Decrypt in the replica's region: %+v, %v", dec, err)
	}
	// Per-key properties stay per key.
	if _, err := f.DisableKey(west, &kmsapi.DisableKeyInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Decrypt(f.ctx(), &kmsapi.DecryptInput{CiphertextBlob: ct, EncryptionContext: map[string]string{"c": "1"}}); err != nil {
		t.Fatalf("disabling the replica disabled the primary: %v", err)
	}
	f.EnableKey(west, &kmsapi.EnableKeyInput{KeyId: md.KeyId})

	// Rotation is the primary's, shared with the replica.
	_, err = f.EnableKeyRotation(west, &kmsapi.EnableKeyRotationInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrUnsupportedOperationException, "replica")
	if _, err := f.EnableKeyRotation(f.ctx(), &kmsapi.EnableKeyRotationInput{KeyId: md.KeyId, RotationPeriodInDays: ptr.To(int32(90))}); err != nil {
		t.Fatal(err)
	}
	if st, _ := f.GetKeyRotationStatus(west, &kmsapi.GetKeyRotationStatusInput{KeyId: md.KeyId}); !*st.KeyRotationEnabled {
		t.Error("replica does not see the primary's rotation")
	}
	if _, err := f.RotateKeyOnDemand(f.ctx(), &kmsapi.RotateKeyOnDemandInput{KeyId: md.KeyId}); err != nil {
		t.Fatal(err)
	}
	// Automatic rotation happens lazily and separately in each region, to
	// the same material.
	f.clock.Advance(91 * 24 * time.Hour)
	for _, pair := range [][2]*request.Context{{f.ctx(), west}, {west, f.ctx()}} {
		out, err := f.Encrypt(pair[0], &kmsapi.EncryptInput{KeyId: md.KeyId, Plaintext: []byte("r")})
		if err != nil {
			t.Fatal(err)
		}
		if h, _ := parseBlob(out.CiphertextBlob); h.Material != 2 {
			t.Errorf("material %d, want 2", h.Material)
		}
		if _, err := f.Decrypt(pair[1], &kmsapi.DecryptInput{CiphertextBlob: out.CiphertextBlob}); err != nil {
			t.Fatalf("cross-region Decrypt after rotation: %v", err)
		}
	}

	// The primary cannot go while replicas exist; a replica can.
	_, err = f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId})
	wantErr(t, err, kmsapi.ErrKMSInvalidStateException, "replica")

	// UpdatePrimaryRegion swaps the roles.
	if _, err := f.UpdatePrimaryRegion(f.ctx(), &kmsapi.UpdatePrimaryRegionInput{KeyId: md.KeyId, PrimaryRegion: ptr.To("us-west-2")}); err != nil {
		t.Fatal(err)
	}
	d, _ = f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	dw, _ := f.DescribeKey(west, &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	if *d.KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType != "REPLICA" || *dw.KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType != "PRIMARY" ||
		*d.KeyMetadata.MultiRegionConfiguration.PrimaryKey.Region != "us-west-2" {
		t.Fatalf("after UpdatePrimaryRegion: %+v / %+v", d.KeyMetadata.MultiRegionConfiguration, dw.KeyMetadata.MultiRegionConfiguration)
	}
	if _, err := f.ScheduleKeyDeletion(f.ctx(), &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId, PendingWindowInDays: ptr.To(int32(7))}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(8 * 24 * time.Hour)
	if _, err := f.DescribeKey(f.ctx(), &kmsapi.DescribeKeyInput{KeyId: md.KeyId}); !kmsapi.ErrNotFoundException.Is(err) {
		t.Fatalf("replica not deleted: %v", err)
	}
	dw, _ = f.DescribeKey(west, &kmsapi.DescribeKeyInput{KeyId: md.KeyId})
	if len(dw.KeyMetadata.MultiRegionConfiguration.ReplicaKeys) != 0 {
		t.Errorf("deleted replica still listed: %+v", dw.KeyMetadata.MultiRegionConfiguration.ReplicaKeys)
	}
	if _, err := f.ScheduleKeyDeletion(west, &kmsapi.ScheduleKeyDeletionInput{KeyId: md.KeyId}); err != nil {
		t.Fatalf("primary without replicas: %v", err)
	}
}

// TestRSAGenerationIsBounded: with every RSA generation slot busy, a
// request whose client gave up is refused instead of queueing CPU work;
// other keys are not held up.
func TestRSAGenerationIsBounded(t *testing.T) {
	f := newFixture(t)
	for i := 0; i < cap(f.rsaGen); i++ {
		f.rsaGen <- struct{}{}
	}
	ctx := f.ctx()
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	ctx.Context = gone
	_, err := f.CreateKey(ctx, &kmsapi.CreateKeyInput{KeySpec: ptr.To("RSA_2048"), KeyUsage: ptr.To("SIGN_VERIFY")})
	wantErr(t, err, awserr.Throttling, "")
	if _, err := f.CreateKey(ctx, &kmsapi.CreateKeyInput{KeySpec: ptr.To("ECC_NIST_P256"), KeyUsage: ptr.To("SIGN_VERIFY")}); err != nil {
		t.Fatal(err)
	}
	<-f.rsaGen
	if _, err := f.CreateKey(f.ctx(), &kmsapi.CreateKeyInput{KeySpec: ptr.To("RSA_2048"), KeyUsage: ptr.To("SIGN_VERIFY")}); err != nil {
		t.Fatal(err)
	}
}

func TestEd25519(t *testing.T) {
	f := newFixture(t)
	md := f.create("ECC_NIST_EDWARDS25519", "SIGN_VERIFY")
	if strings.Join(md.SigningAlgorithms, ",") != "ED25519_SHA_512,ED25519_PH_SHA_512" {
		t.Fatalf("algorithms %v", md.SigningAlgorithms)
	}
	pubOut, err := f.GetPublicKey(f.ctx(), &kmsapi.GetPublicKeyInput{KeyId: md.KeyId})
	if err != nil {
		t.Fatal(err)
	}
	pk, err := x509.ParsePKIXPublicKey(pubOut.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pub := pk.(ed25519.PublicKey)
	msg := []byte("ed25519 message")

	pure, err := f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: ptr.To("ED25519_SHA_512")})
	if err != nil {
		t.Fatal(err)
	}
	if !ed25519.Verify(pub, msg, pure.Signature) {
		t.Error("pure Ed25519 signature does not verify")
	}
	if _, err := f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: msg, Signature: pure.Signature, SigningAlgorithm: ptr.To("ED25519_SHA_512")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: make([]byte, 64), MessageType: ptr.To("DIGEST"), SigningAlgorithm: ptr.To("ED25519_SHA_512")})
	wantErr(t, err, awserr.ValidationException, "requires MessageType RAW")

	// Ed25519ph over the caller's SHA-512 digest: KMS prehashes it again,
	// so a verifier checks Ed25519ph with the digest as the message.
	d := sha512.Sum512(msg)
	ph, err := f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: d[:], MessageType: ptr.To("DIGEST"), SigningAlgorithm: ptr.To("ED25519_PH_SHA_512")})
	if err != nil {
		t.Fatal(err)
	}
	dd := sha512.Sum512(d[:])
	if err := ed25519.VerifyWithOptions(pub, dd[:], ph.Signature, &ed25519.Options{Hash: crypto.SHA512}); err != nil {
		t.Errorf("Ed25519ph signature does not verify: %v", err)
	}
	if _, err := f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: d[:], MessageType: ptr.To("DIGEST"), Signature: ph.Signature, SigningAlgorithm: ptr.To("ED25519_PH_SHA_512")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.Verify(f.ctx(), &kmsapi.VerifyInput{KeyId: md.KeyId, Message: d[:], MessageType: ptr.To("DIGEST"), Signature: pure.Signature, SigningAlgorithm: ptr.To("ED25519_PH_SHA_512")})
	wantErr(t, err, kmsapi.ErrKMSInvalidSignatureException, "")
	_, err = f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: ptr.To("ED25519_PH_SHA_512")})
	wantErr(t, err, awserr.ValidationException, "requires MessageType DIGEST")
	_, err = f.Sign(f.ctx(), &kmsapi.SignInput{KeyId: md.KeyId, Message: msg, SigningAlgorithm: ptr.To("ECDSA_SHA_256")})
	wantErr(t, err, kmsapi.ErrInvalidKeyUsageException, "incompatible with key spec ECC_NIST_EDWARDS25519")

	sym := f.create("", "")
	pair, err := f.GenerateDataKeyPair(f.ctx(), &kmsapi.GenerateDataKeyPairInput{KeyId: sym.KeyId, KeyPairSpec: ptr.To("ECC_NIST_EDWARDS25519")})
	if err != nil {
		t.Fatal(err)
	}
	priv, err := x509.ParsePKCS8PrivateKey(pair.PrivateKeyPlaintext)
	if _, ok := priv.(ed25519.PrivateKey); err != nil || !ok {
		t.Fatalf("data key pair private key %T, %v", priv, err)
	}
}
