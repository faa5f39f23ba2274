package gateway

import (
	"bytes"
	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	cloudformationapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/request"
)

// t0 is the fake clock's start in these tests.
var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// trustAll authenticates every request as the root of 000000000000, with
// the region of its SigV4 scope: the gateway tests are about routing and
// the pipeline, not signatures (internal/auth and the server tests cover
// those).
type trustAll struct{}

func (trustAll) Authenticate(r *http.Request, _ *Service, _ string) (*Identity, error) {
	_, region, _, _ := auth.SigningScope(r)
	return &Identity{
		Caller: request.Caller{AccessKeyID: "test", Account: "000000000000", ARN: "arn:aws:iam::000000000000:root", UserID: "000000000000"},
		Region: region,
	}, nil
}

// fakeSTS implements GetCallerIdentity, and panics in GetSessionToken.
type fakeSTS struct{}

func (fakeSTS) GetCallerIdentity(ctx *request.Context, _ *stsapi.GetCallerIdentityInput) (*stsapi.GetCallerIdentityOutput, error) {
	acct, arn := ctx.Caller.Account, ctx.Caller.ARN
	return &stsapi.GetCallerIdentityOutput{Account: &acct, Arn: &arn, UserId: &acct}, nil
}

func (fakeSTS) GetSessionToken(*request.Context, *stsapi.GetSessionTokenInput) (*stsapi.GetSessionTokenOutput, error) {
	panic("boom")
}

// resettable counts Reset calls (a service holding state outside storage).
type resettable struct {
	mu sync.Mutex
	n  int
}

func (r *resettable) Reset() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	return nil
}

func (r *resettable) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n
}

type none struct{}

// testGateway is a gateway serving the services niwa routes, in the order
// cmd/niwa registers them (dynamodb before dynamodbstreams matters), with
// fakeSTS for STS and nothing implemented elsewhere.
type testGateway struct {
	*Gateway
	clock  *clock.Fake
	resets int
	sqs    *resettable
	logs   *lockedBuffer
}

func newTestGateway(t *testing.T) *testGateway {
	t.Helper()
	tg := &testGateway{clock: clock.NewFake(t0), sqs: &resettable{}, logs: &lockedBuffer{}}
	cs := codecs.New()
	// The routing the services declare that the tests rely on: S3
	// catches what nothing else claims, and one dated path segment each
	// of Lambda's and Route 53's (their declarations list them all).
	specs := []struct {
		spec    api.Spec
		impl    any
		routing kit.Routing
	}{
		{stsapi.Spec(), fakeSTS{}, kit.Routing{}},
		{iamapi.Spec(), none{}, kit.Routing{}},
		{s3api.Spec(), none{}, kit.Routing{CatchAll: true}},
		{sqsapi.Spec(), tg.sqs, kit.Routing{}},
		{snsapi.Spec(), none{}, kit.Routing{}},
		{dynamodbapi.Spec(), none{}, kit.Routing{}},
		{dynamodbstreamsapi.Spec(), none{}, kit.Routing{}},
		{lambdaapi.Spec(), none{}, kit.Routing{PathPrefixes: []string{"2015-03-31", "2016-08-19", "2017-03-31", "2018-10-31", "2021-10-31"}}},
		{ec2api.Spec(), none{}, kit.Routing{}},
		{route53api.Spec(), none{}, kit.Routing{PathPrefixes: []string{"2013-04-01"}}},
		{cloudwatchapi.Spec(), none{}, kit.Routing{}},
		{cloudformationapi.Spec(), none{}, kit.Routing{}},
		{apigatewayapi.Spec(), none{}, kit.Routing{}},
	}
	var services []*Service
	for _, s := range specs {
		svc, err := NewService(s.spec, s.impl, cs)
		if err != nil {
			t.Fatal(err)
		}
		svc.Routing = s.routing
		if r, ok := s.impl.(*resettable); ok {
			svc.Reset = r.Reset
		}
		services = append(services, svc)
	}
	g, err := New(Config{
		Version: "v-test",
		Clock:   tg.clock,
		Log:     slog.New(slog.NewJSONHandler(tg.logs, nil)),
		Auth:    trustAll{},
		Reset:   func() error { tg.resets++; return nil },
	}, services...)
	if err != nil {
		t.Fatal(err)
	}
	tg.Gateway = g
	return tg
}

// do serves r and returns the recorded response.
func (tg *testGateway) do(r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	tg.ServeHTTP(w, r)
	return w
}

// sigV4 is an Authorization header naming service in its scope; trustAll
// does not check the signature.
func sigV4(service string) string {
	return "AWS4-HMAC-SHA256 Credential=test/20260301/ap-northeast-1/" + service +
		"/aws4_request, SignedHeaders=host;x-amz-date, Signature=" + strings.Repeat("0", 64)
}

func newRequest(method, target string, body string, header ...string) *http.Request {
	var rd io.Reader = http.NoBody
	if body != "" {
		rd = strings.NewReader(body)
	}
	r := httptest.NewRequest(method, target, rd)
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// abortBinding is a GetSessionToken binding that aborts the response the
// way net/http documents.
func abortBinding() api.Binding {
	return api.Binding{
		NewInput: func() any { return &stsapi.GetSessionTokenInput{} },
		Call:     func(*request.Context, any) (any, error) { panic(http.ErrAbortHandler) },
	}
}
