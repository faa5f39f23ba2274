package niwatest_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"

	"github.com/niwa-cloud/niwa/niwatest"
)

const trust = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}`

func TestStartAndAWSConfig(t *testing.T) {
	n := niwatest.Start(t)
	if !strings.HasPrefix(n.Endpoint, "http://127.0.0.1:") || strings.HasSuffix(n.Endpoint, ":0") {
		t.Fatalf("endpoint %q", n.Endpoint)
	}
	if n.Region != niwatest.Region {
		t.Fatalf("region %q", n.Region)
	}
	cfg := n.AWSConfig()
	if cfg.Region != niwatest.Region || aws.ToString(cfg.BaseEndpoint) != n.Endpoint {
		t.Fatalf("config region %q endpoint %q", cfg.Region, aws.ToString(cfg.BaseEndpoint))
	}
	c, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil || c.AccessKeyID != niwatest.AccessKeyID || c.SecretAccessKey != niwatest.SecretAccessKey || c.SessionToken != "" {
		t.Fatalf("credentials %+v %v", c, err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(id.Account) != niwatest.Account || aws.ToString(id.Arn) != "arn:aws:iam::"+niwatest.Account+":root" {
		t.Fatalf("identity %s %s", aws.ToString(id.Account), aws.ToString(id.Arn))
	}
}

// TestInstancesAreIndependent: two instances in one test share nothing.
func TestInstancesAreIndependent(t *testing.T) {
	a, b := niwatest.Start(t), niwatest.Start(t)
	if a.Endpoint == b.Endpoint {
		t.Fatal("two instances on one endpoint")
	}
	ctx := context.Background()
	if _, err := iam.NewFromConfig(a.AWSConfig()).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	_, err := iam.NewFromConfig(b.AWSConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")})
	if code(err) != "NoSuchEntity" {
		t.Fatalf("role leaked to the other instance: %v", err)
	}
}

func TestReset(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	ic := iam.NewFromConfig(n.AWSConfig())
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatal(err)
	}
	tok, err := sts.NewFromConfig(n.AWSConfig()).GetSessionToken(ctx, &sts.GetSessionTokenInput{})
	if err != nil {
		t.Fatal(err)
	}
	n.Reset(t)
	if _, err := ic.GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("r")}); code(err) != "NoSuchEntity" {
		t.Fatalf("role after Reset: %v", err)
	}
	session := n.AWSConfigWith(aws.ToString(tok.Credentials.AccessKeyId), aws.ToString(tok.Credentials.SecretAccessKey), aws.ToString(tok.Credentials.SessionToken))
	if _, err := sts.NewFromConfig(session).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); code(err) != "InvalidClientTokenId" {
		t.Fatalf("temporary key after Reset: %v", err)
	}
	// The instance keeps serving, empty.
	if _, err := ic.CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
		t.Fatalf("recreating after Reset: %v", err)
	}
}

// TestStoppedAtTestEnd: the instance stops when its test ends.
func TestStoppedAtTestEnd(t *testing.T) {
	var endpoint string
	t.Run("inner", func(t *testing.T) {
		endpoint = niwatest.Start(t).Endpoint
		resp, err := http.Get(endpoint + "/_niwa/health")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	})
	client := &http.Client{Timeout: 5 * time.Second}
	if resp, err := client.Get(endpoint + "/_niwa/health"); err == nil {
		resp.Body.Close()
		t.Fatalf("%s still serves after its test ended", endpoint)
	}
}

// TestWithDataDir: state survives a second instance on the same dir, once
// the first has stopped.
func TestWithDataDir(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	t.Run("first", func(t *testing.T) {
		n := niwatest.Start(t, niwatest.WithDataDir(dir))
		if _, err := iam.NewFromConfig(n.AWSConfig()).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("kept"), AssumeRolePolicyDocument: aws.String(trust)}); err != nil {
			t.Fatal(err)
		}
	})
	n := niwatest.Start(t, niwatest.WithDataDir(dir))
	if _, err := iam.NewFromConfig(n.AWSConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("kept")}); err != nil {
		t.Fatalf("role not kept in %s: %v", dir, err)
	}
}

// TestWithClock: niwa reads the clock it is given.
func TestWithClock(t *testing.T) {
	start := time.Now().UTC().Truncate(time.Second)
	clk := niwatest.NewFakeClock(start)
	n := niwatest.Start(t, niwatest.WithClock(clk))
	clk.Advance(5 * time.Minute) // within the signature's 15 minutes
	out, err := sts.NewFromConfig(n.AWSConfig()).GetSessionToken(context.Background(), &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(5*time.Minute + 15*time.Minute); !out.Credentials.Expiration.Equal(want) {
		t.Fatalf("expiration %v, want %v", out.Credentials.Expiration, want)
	}
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

// TestDNSAddr: every instance runs its DNS server on its own free port.
func TestDNSAddr(t *testing.T) {
	a, b := niwatest.Start(t), niwatest.Start(t)
	if !strings.HasPrefix(a.DNSAddr(), "127.0.0.1:") || strings.HasSuffix(a.DNSAddr(), ":0") || a.DNSAddr() == b.DNSAddr() {
		t.Fatalf("dns addrs %q %q", a.DNSAddr(), b.DNSAddr())
	}
}
