package auth

import (
	"bytes"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// TestSigningKeyCacheFollowsTheSecret: the signing key cached for an
// access key's scope is not used for another secret. After a request
// signed with the old secret verified (and cached its key), the key's
// secret changes: a request signed with the old secret is refused, one
// with the new secret accepted, and the old secret stays refused.
func TestSigningKeyCacheFollowsTheSecret(t *testing.T) {
	creds := StaticCredentials{testAKID: RootCredential(testAKID, testSecret, testAccount)}
	v := &Verifier{Credentials: creds, Clock: clock.NewFake(t0)}
	try := func(secret string) error {
		req, payload := stsPost("http://localhost:4566")
		body := []byte("Action=GetCallerIdentity&Version=2011-06-15")
		sign(t, req, aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: secret}, payload, "sts", t0)
		req.Body = &replayBody{Reader: *bytes.NewReader(body)}
		_, err := v.Verify(req, DialectQuery)
		return err
	}
	if err := try(testSecret); err != nil {
		t.Fatalf("the key's own secret: %v", err)
	}
	const rotated = "rotated/secret+key"
	creds[testAKID] = RootCredential(testAKID, rotated, testAccount)
	wantErr(t, try(testSecret), "SignatureDoesNotMatch", 403)
	if err := try(rotated); err != nil {
		t.Fatalf("the new secret: %v", err)
	}
	wantErr(t, try(testSecret), "SignatureDoesNotMatch", 403)
}

// TestSigningKeyCacheBounded: however many scopes sign, the cache holds
// at most maxCachedKeys keys, and a key derived again is the same.
func TestSigningKeyCacheBounded(t *testing.T) {
	v := &Verifier{}
	first := scope{accessKey: "AKID", date: "20240501", region: "r0", service: "sts"}
	want := signingKey("s", first)
	for i := range 3 * maxCachedKeys {
		sc := first
		sc.region = "r" + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + string(rune('a'+i/676))
		v.signingKey("s", sc)
		if n := len(v.keys); n > maxCachedKeys {
			t.Fatalf("%d keys cached", n)
		}
	}
	if got := v.signingKey("s", first); !bytes.Equal(got, want) {
		t.Fatalf("key %x, want %x", got, want)
	}
}

// TestSigningKeyCacheConcurrent: callers on several goroutines, for one
// scope with two secrets (a key being rotated), each get their own
// secret's key (run with -race).
func TestSigningKeyCacheConcurrent(t *testing.T) {
	v := &Verifier{}
	sc := scope{accessKey: "AKID", date: "20240501", region: "us-east-1", service: "sts"}
	secrets := []string{"old/secret", "new/secret"}
	want := [][]byte{signingKey(secrets[0], sc), signingKey(secrets[1], sc)}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 500 {
				j := (g + i) % 2
				if got := v.signingKey(secrets[j], sc); !bytes.Equal(got, want[j]) {
					t.Errorf("secret %q: key %x, want %x", secrets[j], got, want[j])
					return
				}
			}
		}()
	}
	wg.Wait()
}
