package server

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/niwa-cloud/niwa/internal/netpos"
	"github.com/niwa-cloud/niwa/internal/request"
)

// TestSubjectSharedAndNetworkPathOnACopy: the account root's subject is
// kept like any caller's (one per access key, read-only), and a request
// through a VPC endpoint gets its network path (aws:SourceVpc,
// aws:SourceVpce, the endpoint's policy) on a copy: the next request of
// the same caller, from outside the VPC, sees none of it.
func TestSubjectSharedAndNetworkPathOnACopy(t *testing.T) {
	a := &authorizer{log: slog.New(slog.NewTextHandler(io.Discard, nil)), policies: newPolicyCache(nil)}
	root := request.Caller{AccessKeyID: "test", Account: "000000000000", ARN: "arn:aws:iam::000000000000:root", UserID: "000000000000"}
	ctx := &request.Context{Context: context.Background(), Caller: root, Account: root.Account, Region: "us-east-1"}
	s1, err := a.subject(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if s2, _ := a.subject(ctx); s2 != s1 {
		t.Fatal("root's subject read again for the same key")
	}
	if s1.kind != "Account" || s1.principal.ARN != root.ARN {
		t.Fatalf("subject %+v", s1)
	}
	// Another caller with the same key id is another subject.
	other := ctx
	other.Caller.ARN, other.Caller.Account = "arn:aws:iam::111111111111:root", "111111111111"
	if s3, _ := a.subject(other); s3 == s1 || s3.principal.ARN != other.Caller.ARN {
		t.Fatalf("another caller's subject %+v", s3)
	}
	ctx.Caller = root

	through := *ctx
	through.Context = netpos.WithOrigin(context.Background(), netpos.Origin{VpcID: "vpc-1",
		Endpoint: netpos.Endpoint{ID: "vpce-1", Policy: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`}})
	s, _ := a.subject(&through)
	got, err := a.sourceVPC(&through, s, "s3")
	if err != nil {
		t.Fatal(err)
	}
	if got == s || got.vpc != "vpc-1" || got.vpce != "vpce-1" || got.vpcePolicy == nil {
		t.Fatalf("through the endpoint: %+v", got)
	}
	if s.vpc != "" || s.vpce != "" || s.vpcePolicy != nil {
		t.Fatalf("the shared subject was changed: %+v", s)
	}
	public := *ctx
	public.Context = netpos.WithOrigin(context.Background(), netpos.Origin{SourceIP: "203.0.113.1"})
	if got, _ := a.sourceVPC(&public, s, "s3"); got != s {
		t.Fatalf("the public path copied the subject: %+v", got)
	}
	if got, _ := a.sourceVPC(ctx, s, "s3"); got != s {
		t.Fatalf("no network path copied the subject: %+v", got)
	}
}
