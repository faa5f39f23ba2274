package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
)

const (
	testAccount = "111122223333"
	testAKID    = "AKIDEXAMPLE"
	testSecret  = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	tempAKID    = "ASIATEMPEXAMPLE"
	tempSecret  = "temp/secret+key"
	tempToken   = "FwoGZXIvYXdzEXAMPLETOKEN//////////wEaD="
)

var t0 = time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)

func testCredentials() StaticCredentials {
	return StaticCredentials{
		testAKID: RootCredential(testAKID, testSecret, testAccount),
		tempAKID: {
			AccessKeyID: tempAKID, SecretAccessKey: tempSecret, SessionToken: tempToken,
			Account:    testAccount,
			ARN:        "arn:aws:sts::" + testAccount + ":assumed-role/deployer/session",
			UserID:     "AROAEXAMPLEID:session",
			Expiration: t0.Add(time.Hour),
		},
	}
}

func newTestVerifier(now time.Time) (*Verifier, *clock.Fake) {
	clk := clock.NewFake(now)
	return &Verifier{Credentials: testCredentials(), Clock: clk, DefaultAccount: "000000000000"}, clk
}

var goodCreds = aws.Credentials{AccessKeyID: testAKID, SecretAccessKey: testSecret}

// outcome is what a request looked like to a handler that authenticated
// it and read the whole body.
type outcome struct {
	res     *Result
	err     error
	body    []byte
	readErr error
}

// server runs verify behind a real net/http server, so requests arrive with
// the RequestURI, Host and header handling clients actually produce.
type server struct {
	*httptest.Server
	verify func(*http.Request) (*Result, error)
	out    chan outcome
}

func newServer(t *testing.T, verify func(*http.Request) (*Result, error)) *server {
	s := &server{verify: verify, out: make(chan outcome, 1)}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var o outcome
		o.res, o.err = s.verify(r)
		if o.err == nil {
			o.body, o.readErr = io.ReadAll(o.res.Body)
			o.res.Body.Close()
		}
		s.out <- o
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *server) do(t *testing.T, req *http.Request) outcome {
	t.Helper()
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	resp.Body.Close()
	return <-s.out
}

func sign(t *testing.T, req *http.Request, creds aws.Credentials, payload, service string, at time.Time) {
	t.Helper()
	err := v4.NewSigner().SignHTTP(context.Background(), creds, req, payload, service, "us-east-1", at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
}

func presign(t *testing.T, req *http.Request, creds aws.Credentials, payload, service string, at time.Time) *http.Request {
	t.Helper()
	u, hdr, err := v4.NewSigner().PresignHTTP(context.Background(), creds, req, payload, service, "us-east-1", at,
		func(o *v4.SignerOptions) { o.DisableURIPathEscaping = service == "s3" })
	if err != nil {
		t.Fatal(err)
	}
	out, err := http.NewRequest(req.Method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		if k != "Host" {
			out.Header[k] = v
		}
	}
	return out
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// wantErr asserts err is the AWS error code with status and returns it.
func wantErr(t *testing.T, err error, code string, status int) *awserr.Error {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) {
		t.Fatalf("want %s (%d), got %v", code, status, err)
	}
	if e.Code.Code != code || e.Code.Status != status {
		t.Fatalf("want %s (%d), got %s (%d): %s", code, status, e.Code.Code, e.Code.Status, e.Message)
	}
	return e
}

func wantOK(t *testing.T, o outcome) {
	t.Helper()
	if o.err != nil {
		t.Fatalf("verify: %v (fields %v)", o.err, fieldsOf(o.err))
	}
	if o.readErr != nil {
		t.Fatalf("read body: %v", o.readErr)
	}
}

func fieldsOf(err error) map[string]any {
	var e *awserr.Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
