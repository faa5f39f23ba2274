package iam

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

const testAccount = "123456789012"

var t0 = time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)

type fixture struct {
	*IAM
	t     *testing.T
	h     *servicetest.Harness
	clock *clock.Fake
	ctx   *request.Context
}

func newFixture(t *testing.T, opts ...Option) *fixture {
	t.Helper()
	h := servicetest.New(t, "iam", servicetest.At(t0), servicetest.InAccount(testAccount))
	return &fixture{IAM: New(h.Store(), opts...), t: t, h: h, clock: h.Clock, ctx: h.Ctx()}
}

// must returns v, panicking on err: Go cannot pass a (value, error) call
// to a function that also takes a *testing.T, and a panic fails the test
// with the error and its stack.
func must[T any](v T, err error) T {
	if err != nil {
		panic(fmt.Sprintf("unexpected error: %v", err))
	}
	return v
}

// wantErr asserts an AWS error with this code, HTTP status and (unless
// empty) message.
func wantErr(t *testing.T, err error, code string, status int, msg string) {
	t.Helper()
	var e *awserr.Error
	if !errors.As(err, &e) {
		t.Fatalf("error = %v, want %s", err, code)
	}
	if e.Code.Code != code {
		t.Fatalf("code = %s (%q), want %s", e.Code.Code, e.Message, code)
	}
	if status != 0 && e.Code.Status != status {
		t.Errorf("status = %d, want %d", e.Code.Status, status)
	}
	if msg != "" && e.Message != msg {
		t.Errorf("message = %q, want %q", e.Message, msg)
	}
}

const trustDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

const allowS3 = `{
  "Version": "2012-10-17",
  "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]
}`

func docVersion(n int) string {
	return `{"Version":"2012-10-17","Statement":[{"Sid":"v` + string(rune('0'+n)) + `","Effect":"Allow","Action":"s3:*","Resource":"*"}]}`
}

var (
	reUserID    = regexp.MustCompile(`^AIDA[A-Z2-7]{17}$`)
	reRoleID    = regexp.MustCompile(`^AROA[A-Z2-7]{17}$`)
	reGroupID   = regexp.MustCompile(`^AGPA[A-Z2-7]{17}$`)
	rePolicyID  = regexp.MustCompile(`^ANPA[A-Z2-7]{17}$`)
	reProfileID = regexp.MustCompile(`^AIPA[A-Z2-7]{17}$`)
	reKeyID     = regexp.MustCompile(`^AKIA[A-Z2-7]{16}$`)
	reSecret    = regexp.MustCompile(`^[A-Za-z0-9+/]{40}$`)
)

// decoded undoes the URL encoding of an output document the way botocore's
// json_decode_policies handler does (urllib.parse.unquote).
func decoded(t *testing.T, p *string) string {
	t.Helper()
	if p == nil {
		t.Fatal("document missing")
	}
	d, err := url.PathUnescape(*p)
	if err != nil {
		t.Fatalf("document %q is not URL-encoded: %v", *p, err)
	}
	return d
}

func (f *fixture) createUser(name string) iamapi.User {
	f.t.Helper()
	out := must(f.CreateUser(f.ctx, &iamapi.CreateUserInput{UserName: ptr.To(name)}))
	return *out.User
}

func (f *fixture) createRole(name string) iamapi.Role {
	f.t.Helper()
	out := must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To(name), AssumeRolePolicyDocument: ptr.To(trustDoc)}))
	return *out.Role
}

func (f *fixture) createGroup(name string) iamapi.Group {
	f.t.Helper()
	out := must(f.CreateGroup(f.ctx, &iamapi.CreateGroupInput{GroupName: ptr.To(name)}))
	return *out.Group
}

func (f *fixture) createPolicy(name string) iamapi.Policy {
	f.t.Helper()
	out := must(f.CreatePolicy(f.ctx, &iamapi.CreatePolicyInput{PolicyName: ptr.To(name), PolicyDocument: ptr.To(allowS3)}))
	return *out.Policy
}

// fakeCatalog is a ManagedPolicyCatalog of a few AWS managed policies.
type fakeCatalog map[string]ManagedPolicy

func (c fakeCatalog) Lookup(arn string) (ManagedPolicy, bool) {
	p, ok := c[arn]
	return p, ok
}

func (c fakeCatalog) List() []ManagedPolicy {
	var out []ManagedPolicy
	for _, p := range c {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ARN < out[j].ARN })
	return out
}

const readOnlyARN = "arn:aws:iam::aws:policy/ReadOnlyAccess"

func testCatalog() fakeCatalog {
	mk := func(name, path, doc string) ManagedPolicy {
		return ManagedPolicy{
			ARN: "arn:aws:iam::aws:policy" + path + name, Name: name, Path: path,
			ID: "ANPA" + "AAAAAAAAAAAAAAAAA", DefaultVersionID: "v3", Description: name + " policy",
			Document: doc, CreateDate: t0.Add(-48 * time.Hour), UpdateDate: t0.Add(-24 * time.Hour),
		}
	}
	c := fakeCatalog{}
	for _, p := range []ManagedPolicy{
		mk("ReadOnlyAccess", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}]}`),
		mk("AdministratorAccess", "/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`),
		mk("AWSLambdaBasicExecutionRole", "/service-role/", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"logs:*","Resource":"*"}]}`),
	} {
		c[p.ARN] = p
	}
	return c
}
