package server_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/internal/server"
	"github.com/niwa-cloud/niwa/niwatest"
)

// TestSecureTransportAndResourceAccount: a bucket whose policy denies
// requests without TLS (CDK's staging bucket's AllowSSLRequestsOnly)
// takes plain-HTTP requests from this host by default and refuses them
// with --secure-transport tls; an identity policy conditioned on
// aws:ResourceAccount (CDK's file-publishing role's) matches the bucket
// owner's account and no other.
func TestSecureTransportAndResourceAccount(t *testing.T) {
	ctx := context.Background()
	const sslOnly = `{"Version":"2012-10-17","Statement":[{"Sid":"AllowSSLRequestsOnly","Effect":"Deny","Principal":"*","Action":"s3:*",` +
		`"Resource":["arn:aws:s3:::assets","arn:aws:s3:::assets/*"],"Condition":{"Bool":{"aws:SecureTransport":"false"}}}]}`
	userPolicy := func(account string) string {
		return `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:PutObject","Resource":"arn:aws:s3:::assets/*",` +
			`"Condition":{"StringEquals":{"aws:ResourceAccount":["` + account + `"]}}}]}`
	}
	for _, tc := range []struct {
		name    string
		opts    []niwatest.Option
		account string
		want    bool
	}{
		{"loopback, owner account", nil, niwatest.Account, true},
		{"loopback, other account", nil, "111111111111", false},
		{"tls only", []niwatest.Option{func(c *server.Config) { c.SecureTransport = server.SecureTransportTLS }}, niwatest.Account, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := niwatest.Start(t, tc.opts...)
			root := s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true })
			if _, err := root.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("assets"),
				CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
				t.Fatal(err)
			}
			if _, err := root.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: aws.String("assets"), Policy: aws.String(sslOnly)}); err != nil {
				t.Fatal(err)
			}
			u := newUser(t, n, "publisher")
			if _, err := iam.NewFromConfig(n.AWSConfig()).PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String("publisher"),
				PolicyName: aws.String("p"), PolicyDocument: aws.String(userPolicy(tc.account))}); err != nil {
				t.Fatal(err)
			}
			c := s3.NewFromConfig(u.config(n), func(o *s3.Options) { o.UsePathStyle = true })
			_, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("assets"), Key: aws.String("a.zip"), Body: strings.NewReader("zip")})
			if tc.want && err != nil {
				t.Fatalf("put: %v", err)
			}
			if !tc.want {
				apiErr(t, err, "AccessDenied", 403)
			}
		})
	}
}
