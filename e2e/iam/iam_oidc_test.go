package iam

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestIAMOIDCWebIdentity: boto3 registers a local OpenID Connect issuer
// (an httptest server serving its discovery document and JWKS) as an IAM
// OIDC provider, assumes a role with an RS256 ID token the issuer signed,
// and the credentials it gets sign get_caller_identity. A token for
// another audience is refused with InvalidIdentityToken.
func TestIAMOIDCWebIdentity(t *testing.T) {
	t.Parallel()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	var issuer string
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]string{"issuer": issuer, "jwks_uri": issuer + "/jwks"})
	})
	mux.HandleFunc("/jwks", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{
			"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": enc(key.N.Bytes()), "e": enc(big.NewInt(int64(key.E)).Bytes()),
		}}})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	issuer = srv.URL
	sign := func(aud string) string {
		h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
		c, _ := json.Marshal(map[string]any{"iss": issuer, "sub": "repo:niwa:ref:main", "aud": aud,
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
		input := enc(h) + "." + enc(c)
		sum := sha256.Sum256([]byte(input))
		sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
		if err != nil {
			t.Fatal(err)
		}
		return input + "." + enc(sig)
	}

	n := framework.Start(t, framework.Binary)
	out := n.Python(t, `
import boto3, botocore, json, os
iam = boto3.client("iam")
issuer = os.environ["ISSUER"]
host = issuer.split("://", 1)[1]
arn = iam.create_open_id_connect_provider(Url=issuer, ClientIDList=["sts.amazonaws.com"],
    ThumbprintList=["990f4193972f2becf12ddeda5237f9c952f20d9e"])["OpenIDConnectProviderArn"]
assert arn.endswith(":oidc-provider/" + host), arn
got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
assert got["Url"] == host and got["ClientIDList"] == ["sts.amazonaws.com"], got
assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [arn]
trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Federated": arn},
    "Action": "sts:AssumeRoleWithWebIdentity",
    "Condition": {"StringEquals": {host + ":aud": "sts.amazonaws.com"},
                  "StringLike": {host + ":sub": "repo:niwa:*"}}}]}
role = iam.create_role(RoleName="oidc-deployer", AssumeRolePolicyDocument=json.dumps(trust))["Role"]

sts = boto3.client("sts")
r = sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="gha",
    WebIdentityToken=os.environ["TOKEN"])
assert r["AssumedRoleUser"]["Arn"].endswith(":assumed-role/oidc-deployer/gha"), r
assert r["SubjectFromWebIdentityToken"] == "repo:niwa:ref:main", r
assert r["Audience"] == "sts.amazonaws.com" and r["Provider"] == issuer, r
c = r["Credentials"]
who = boto3.client("sts", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
    aws_session_token=c["SessionToken"]).get_caller_identity()
assert who["Arn"] == r["AssumedRoleUser"]["Arn"], who

try:
    sts.assume_role_with_web_identity(RoleArn=role["Arn"], RoleSessionName="gha", WebIdentityToken=os.environ["BAD_AUD"])
    raise SystemExit("wrong audience accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InvalidIdentityToken", e.response
    assert e.response["Error"]["Message"] == "Incorrect token audience", e.response
iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=arn)
print("ok")
`, "ISSUER="+issuer, "TOKEN="+sign("sts.amazonaws.com"), "BAD_AUD="+sign("other"))
	if strings.TrimSpace(out) != "ok" {
		t.Fatalf("boto3: %s", out)
	}
}
