package auth

import (
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
)

// TestV4AKeyDerivation: the key niwa derives from an access key pair is
// the one the AWS SDKs derive (aws-sdk-go-v2 internal/v4a's test vector).
func TestV4AKeyDerivation(t *testing.T) {
	key, ok := v4aKey("AKISORANDOMAASORANDOM", "q+jcrXGc+0zWN6uzclKVhvMmUsIfRPa4rlRandom")
	if !ok {
		t.Fatal("no key")
	}
	pub, err := key.PublicKey.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	// Uncompressed: 04, X, Y.
	if got := strings.ToUpper(hex.EncodeToString(pub)); got != "04"+"15D242CEEBF8D8169FD6A8B5A746C41140414C3B07579038DA06AF89190FFFCB"+"0515242CEDD82E94799482E4C0514B505AFCCF2C0C98D6A553BF539F424C5EC0" {
		t.Fatalf("public key %s", got)
	}
}

// signV4A signs r as the SDKs sign SigV4a, for the region set given.
func signV4A(t *testing.T, r *http.Request, body, akid, secret, regionSet string) {
	t.Helper()
	amz := t0.Format(iso8601Basic)
	r.Header.Set("X-Amz-Date", amz)
	r.Header.Set("X-Amz-Region-Set", regionSet)
	sum := sha256.Sum256([]byte(body))
	payload := hex.EncodeToString(sum[:])
	signed := []string{"content-type", "host", "x-amz-date", "x-amz-region-set"}
	path, _ := rawTarget(r)
	cr := appendCanonicalRequest(nil, r.Method, path, "", canonicalHeaders(r, signed), strings.Join(signed, ";"), payload)
	crHash := sha256.Sum256(cr)
	scope := amz[:8] + "/events/aws4_request"
	digest := sha256.Sum256([]byte(algorithmV4A + "\n" + amz + "\n" + scope + "\n" + hex.EncodeToString(crHash[:])))
	key, ok := v4aKey(akid, secret)
	if !ok {
		t.Fatal("no key")
	}
	sig, err := ecdsa.SignASN1(rand.Reader, key, digest[:])
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Authorization", algorithmV4A+" Credential="+akid+"/"+scope+", SignedHeaders="+strings.Join(signed, ";")+", Signature="+hex.EncodeToString(sig))
}

// TestVerifySigV4A: a SigV4a request signed with the caller's key is
// verified (region from a one-region set, none from a wildcard); a wrong
// secret, a changed body or a tampered signature is SignatureDoesNotMatch.
func TestVerifySigV4A(t *testing.T) {
	v, _ := newTestVerifier(t0)
	mk := func(body string) *http.Request {
		r, _ := http.NewRequest("POST", "http://localhost:4566/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-amz-json-1.1")
		return r
	}
	const body = `{"EndpointId":"abc.def","Entries":[]}`
	for _, c := range []struct {
		set, region string
	}{{"*", ""}, {"us-east-1", "us-east-1"}, {"us-east-1,us-west-2", ""}} {
		r := mk(body)
		signV4A(t, r, body, testAKID, testSecret, c.set)
		res, err := v.Verify(r, DialectJSON)
		if err != nil {
			t.Fatalf("%s: %v", c.set, err)
		}
		if res.Credential.AccessKeyID != testAKID || res.Region != c.region || res.Service != "events" {
			t.Fatalf("%s: %+v", c.set, res)
		}
	}
	bad := []func(*http.Request){
		func(r *http.Request) { signV4A(t, r, body, testAKID, "not-the-secret", "*") },
		func(r *http.Request) {
			signV4A(t, r, body, testAKID, testSecret, "*")
			r.Header.Set("X-Amz-Region-Set", "eu-west-1")
		},
		func(r *http.Request) {
			signV4A(t, r, body, testAKID, testSecret, "*")
			a := r.Header.Get("Authorization")
			r.Header.Set("Authorization", a[:len(a)-2]+"00")
		},
		func(r *http.Request) {
			signV4A(t, r, body, testAKID, testSecret, "*")
			r.Body = http.NoBody
		},
	}
	for i, f := range bad {
		r := mk(body)
		f(r)
		_, err := v.Verify(r, DialectJSON)
		if err == nil || !strings.Contains(err.Error(), "signature") {
			t.Fatalf("case %d: %v", i, err)
		}
	}
}
