package gateway

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
	"github.com/niwa-cloud/niwa/internal/request"
)

// changingDynamoDB implements PutItem and changes its input, as a handler
// may.
type changingDynamoDB struct{}

func (changingDynamoDB) PutItem(_ *request.Context, in *dynamodbapi.PutItemInput) (*dynamodbapi.PutItemOutput, error) {
	changed := "changed"
	in.TableName = &changed
	in.Item = nil
	return &dynamodbapi.PutItemOutput{}, nil
}

// jsonGateway serves DynamoDB with impl (PutItem bound or not).
func jsonGateway(t *testing.T, impl any, cfg Config, skipValidation bool) *Gateway {
	t.Helper()
	svc, err := NewService(dynamodbapi.Spec(), impl, codecs.New())
	if err != nil {
		t.Fatal(err)
	}
	svc.Validation.Skip = skipValidation
	cfg.Clock = clock.NewFake(t0)
	cfg.Log = slog.New(slog.DiscardHandler)
	cfg.Auth = trustAll{}
	g, err := New(cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func putItem(body string) *http.Request {
	return newRequest("POST", "/", body, "Content-Type", "application/x-amz-json-1.0",
		"X-Amz-Target", "DynamoDB_20120810.PutItem", "Authorization", sigV4("dynamodb"))
}

func httptestDo(g *Gateway, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	g.ServeHTTP(w, r)
	return w
}

// TestTypedDecodeParams: a request decoded straight into its typed input
// gives OnCall the parameters the tree path gave (the decoded tree), made
// before the handler ran (this handler changes its input), validation
// skipped or not; when WantsParams (asked once) says nobody records the
// call, none are made until asked for (RequestParams).
func TestTypedDecodeParams(t *testing.T) {
	const body = `{"TableName":"t","Item":{"pk":{"S":"a"},"n":{"N":"1"},"l":{"L":[{"BOOL":true},{"NULL":true}]}},"ReturnValues":"NONE"}`
	m, err := dynamodbapi.Spec().Model()
	if err != nil {
		t.Fatal(err)
	}
	op := m.Operations["PutItem"]
	tree, err := jsonbody.DecodeStructure([]byte(body), op.Input.Shape, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ wants, skip, deferred bool }{
		{true, false, false}, {false, false, true},
		{true, true, false}, {false, true, true},
	} {
		var calls []Call
		asked := 0
		g := jsonGateway(t, changingDynamoDB{}, Config{
			OnCall:      func(c Call) { calls = append(calls, c) },
			WantsParams: func(*Call) bool { asked++; return tc.wants },
		}, tc.skip)
		w := httptestDo(g, putItem(body))
		if w.Code != 200 || len(calls) != 1 || asked != 1 {
			t.Fatalf("%+v: status %d, %d calls, asked %d: %s", tc, w.Code, len(calls), asked, w.Body)
		}
		c := calls[0]
		if c.ParamsDeferred() != tc.deferred || (c.Params == nil) != tc.deferred {
			t.Fatalf("%+v: params %v, deferred %v", tc, c.Params, c.ParamsDeferred())
		}
		if !tc.deferred && !reflect.DeepEqual(c.Params, tree) {
			t.Fatalf("%+v: params %#v, the tree path decodes %#v", tc, c.Params, tree)
		}
		if tc.deferred && c.RequestParams()["TableName"] != "changed" {
			// Made after the handler: only for a call the hook said it
			// would not record.
			t.Fatalf("deferred params %v", c.RequestParams())
		}
	}
}

// TestTypedDecodeErrors: every malformed or invalid body is answered
// exactly as before (the typed decoder leaves it to the tree path), bound
// operation or not: same status, error type and message.
func TestTypedDecodeErrors(t *testing.T) {
	bound := jsonGateway(t, changingDynamoDB{}, Config{}, false)
	unbound := jsonGateway(t, none{}, Config{}, false)
	compared := 0
	for _, body := range []string{
		`{"TableName":"t","Item":{"pk":{"S":1}}}`,
		`{"TableName":"t","Item":{"pk":{"S":"a"}}`,
		`{"TableName":"t","Item":{"pk":{"S":"a"}}} {}`,
		`{"TableName":5,"Item":{}}`,
		`{"TableName":"t","Item":{"pk":{"B":"!!"}}}`,
		`{"TableName":"t","Item":{"pk":{"L":[null,{"S":"x"}]}}}`,
		`{"TableName":"t","Item":{"pk":{"S":"a"}},"ReturnValues":"SOMETIMES"}`,
		`{"Item":{"pk":{"S":"a"}}}`,
		`[]`,
		"\xff",
		`{"TableName":"` + strings.Repeat("x", 300) + `","Item":{}}`,
	} {
		compared++
		got := httptestDo(bound, putItem(body))
		want := httptestDo(unbound, putItem(body))
		if want.Code == 501 {
			// The unbound operation got past decoding and validation:
			// the bound one must have, too.
			if got.Code != 200 {
				t.Errorf("%s: bound %d %s, unbound got as far as NotImplemented", body, got.Code, got.Body)
			}
			compared--
			continue
		}
		if got.Code != want.Code || got.Body.String() != want.Body.String() || got.Header().Get("X-Amzn-Errortype") != want.Header().Get("X-Amzn-Errortype") {
			t.Errorf("%s:\n bound   %d %s\n unbound %d %s", body, got.Code, got.Body, want.Code, want.Body)
		}
	}
	if compared < 9 {
		t.Fatalf("only %d bodies were refused", compared)
	}
}
