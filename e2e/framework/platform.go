package framework

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"

	"github.com/niwa-cloud/niwa/niwatest/sdkbody"
)

// TrustPolicy lets Lambda and the account's own principals (those its
// policies allow sts:AssumeRole) assume the role.
const TrustPolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com","AWS":"arn:aws:iam::000000000000:root"},"Action":"sts:AssumeRole"}]}`

// GoConfig is an aws-sdk-go-v2 configuration for n with static
// credentials (key, secret and an optional session token).
func GoConfig(n *Niwa, key, secret, token string) aws.Config {
	return aws.Config{
		Region:       n.Region,
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, token),
		BaseEndpoint: aws.String(n.Endpoint),
		// Bodies sent from a copy: the SDK may close a body while Go's
		// transport still reads it (niwatest/sdkbody says why).
		HTTPClient: &http.Client{Transport: sdkbody.Transport(nil)},
	}
}

// MustJSON decodes the JSON s into v, failing the test on error.
func MustJSON(t testing.TB, s string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(s), v); err != nil {
		t.Fatalf("decoding %q: %v", s, err)
	}
}
