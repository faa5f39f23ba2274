package gateway

import (
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"testing"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/request"
)

// assumingSTS implements AssumeRole.
type assumingSTS struct{}

func (assumingSTS) AssumeRole(*request.Context, *stsapi.AssumeRoleInput) (*stsapi.AssumeRoleOutput, error) {
	return &stsapi.AssumeRoleOutput{}, nil
}

// stsGateway serves STS (a query-protocol service) with impl.
func stsGateway(t *testing.T, impl any, cfg Config) *Gateway {
	t.Helper()
	svc, err := NewService(stsapi.Spec(), impl, codecs.New())
	if err != nil {
		t.Fatal(err)
	}
	cfg.Clock = clock.NewFake(t0)
	cfg.Log = slog.New(slog.DiscardHandler)
	cfg.Auth = trustAll{}
	g, err := New(cfg, svc)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func assumeRole(query, body string) *http.Request {
	target := "/"
	if query != "" {
		target += "?" + query
	}
	return newRequest("POST", target, body, "Content-Type", "application/x-www-form-urlencoded; charset=utf-8",
		"Authorization", sigV4("sts"))
}

// TestTypedQueryDecodeErrors: every malformed or invalid query-protocol
// form is answered exactly as before (the typed decoder leaves it to the
// tree path), bound operation or not: same status and body; a valid one
// gets past decoding and validation in both, and gives OnCall the
// parameters the tree path decodes.
func TestTypedQueryDecodeErrors(t *testing.T) {
	const ok = "Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fr&RoleSessionName=s1"
	var calls []Call
	bound := stsGateway(t, assumingSTS{}, Config{OnCall: func(c Call) { calls = append(calls, c) }})
	unbound := stsGateway(t, none{}, Config{})
	refused := 0
	for _, f := range []struct{ query, body string }{
		{"", ok + "&DurationSeconds=abc"},
		{"", ok + "&DurationSeconds=99999999999"},
		{"", ok + "&DurationSeconds=1"},
		{"", ok + ";x=1"},
		{"", ok + "&Policy=%zz"},
		{"", ok + "&Tags.member.1.Key=k"},
		{"", ok + "&PolicyArns.member.1.arn=x"},
		{"", "Action=AssumeRole&RoleSessionName=s1"},
		{"", "Action=AssumeRole&RoleArn=arn&RoleSessionName=" + strings.Repeat("x", 70)},
		{"", "Action=AssumeRole&RoleArn=arn&RoleSessionName=bad%20name"},
		{"Action=NoSuchAction", ok},
		{"", "Version=2011-06-15"},
		{"", ok},
		{"RoleSessionName=fromquery", ok + "&DurationSeconds=900&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1&TransitiveTagKeys="},
	} {
		got := httptestDo(bound, assumeRole(f.query, f.body))
		want := httptestDo(unbound, assumeRole(f.query, f.body))
		if want.Code == 501 {
			// The unbound operation got past decoding and validation:
			// the bound one must have, too.
			if got.Code != 200 {
				t.Errorf("%q %q: bound %d %s, unbound got as far as NotImplemented", f.query, f.body, got.Code, got.Body)
			}
			continue
		}
		refused++
		if got.Code != want.Code || stripRequestID(got.Body.String()) != stripRequestID(want.Body.String()) {
			t.Errorf("%q %q:\n bound   %d %s\n unbound %d %s", f.query, f.body, got.Code, got.Body, want.Code, want.Body)
		}
	}
	if refused < 10 {
		t.Fatalf("only %d forms were refused", refused)
	}
	// The last call's parameters are the tree the codec decodes.
	last := calls[len(calls)-1]
	r := assumeRole("RoleSessionName=fromquery", ok+"&DurationSeconds=900&Tags.member.2.Key=b&Tags.member.2.Value=2&Tags.member.1.Key=a&Tags.member.1.Value=1&TransitiveTagKeys=")
	codec, _ := codecs.New().For("query")
	tree, err := codec.Decode(last.Operation, protocol.NewRequest(r, nil))
	if err != nil {
		t.Fatal(err)
	}
	if tree["RoleSessionName"] != "fromquery" || !reflect.DeepEqual(last.Params, tree) {
		t.Fatalf("params %#v, the tree path decodes %#v", last.Params, tree)
	}
}

// stripRequestID removes the request id, which differs per response.
func stripRequestID(body string) string {
	i := strings.Index(body, "<RequestId>")
	j := strings.Index(body, "</RequestId>")
	if i < 0 || j < i {
		return body
	}
	return body[:i] + body[j:]
}
