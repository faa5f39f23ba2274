package apigwv2

import (
	"bufio"
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

const handler = `
import json

def handler(event, context):
    if event["rawPath"] == "/teapot":
        return {"statusCode": 418, "headers": {"x-teapot": "yes"}, "cookies": ["a=1", "b=2"], "body": "short and stout"}
    authz = event["requestContext"].get("authorizer") or {}
    return {
        "version": event["version"],
        "routeKey": event["routeKey"],
        "rawPath": event["rawPath"],
        "query": event.get("queryStringParameters"),
        "method": event["requestContext"]["http"]["method"],
        "stage": event["requestContext"]["stage"],
        "id": (event.get("pathParameters") or {}).get("id"),
        "sub": ((authz.get("jwt") or {}).get("claims") or {}).get("sub"),
        "body": event.get("body"),
    }
`

// curl calls niwa's endpoint with curl, naming host in the Host header,
// and returns the status, headers and body.
func curl(t *testing.T, n *framework.Niwa, host string, args ...string) (int, http.Header, string) {
	t.Helper()
	framework.RequireClient(t, "curl", "curl", "--version")
	ctx, cancel := context.WithTimeout(context.Background(), framework.Patience)
	defer cancel()
	full := append([]string{"-s", "-i", "-H", "Host: " + host}, args...)
	out, err := exec.CommandContext(ctx, "curl", full...).Output()
	if err != nil {
		t.Fatalf("curl %s: %v", strings.Join(full, " "), err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	if err != nil {
		t.Fatalf("curl %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// function creates the Python handler and returns its ARN.
func function(t *testing.T, n *framework.Niwa, name string) string {
	t.Helper()
	role := framework.LambdaRole(t, n, name+"-role")
	zipPath := framework.ZipFiles(t, t.TempDir(), map[string][]byte{"app.py": []byte(handler)})
	out := n.MustAWS(t, "lambda", "create-function", "--function-name", name, "--runtime", "python3.12",
		"--handler", "app.handler", "--role", role, "--zip-file", "fileb://"+zipPath, "--timeout", "30")
	var f struct{ FunctionArn string }
	framework.MustJSON(t, out, &f)
	return f.FunctionArn
}

// TestQuickCreate: each aws CLI quick-creates an HTTP API over the
// function; it answers at once through its auto-deployed $default stage
// (payload 2.0: a dict without statusCode is a 200 JSON body, a
// statusCode answer keeps its status, headers and cookies), unknown
// paths of a route-keyed API are 404.
func TestQuickCreate(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	fn := function(t, n, "quick")
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			var api struct{ ApiId, ApiEndpoint string }
			framework.CLIJSON(t, n, cli, &api, "apigatewayv2", "create-api", "--name", "quick-"+cli.Name,
				"--protocol-type", "HTTP", "--target", fn)
			if !strings.HasPrefix(api.ApiEndpoint, "http://"+api.ApiId+".execute-api.localhost:") {
				t.Fatalf("endpoint %q", api.ApiEndpoint)
			}
			var routes struct {
				Items []struct{ RouteKey, Target string }
			}
			framework.CLIJSON(t, n, cli, &routes, "apigatewayv2", "get-routes", "--api-id", api.ApiId)
			if len(routes.Items) != 1 || routes.Items[0].RouteKey != "$default" || !strings.HasPrefix(routes.Items[0].Target, "integrations/") {
				t.Fatalf("routes %+v", routes)
			}
			host := api.ApiId + ".execute-api.localhost"
			s, _, b := curl(t, n, host, n.Endpoint+"/hello/world?x=1&x=2", "-X", "POST", "-H", "Content-Type: application/json", "-d", `{"a":1}`)
			var ev map[string]any
			if s != 200 || json.Unmarshal([]byte(b), &ev) != nil {
				t.Fatalf("invoke: %d %s", s, b)
			}
			want := map[string]any{"version": "2.0", "routeKey": "$default", "rawPath": "/hello/world", "method": "POST", "stage": "$default", "body": `{"a":1}`}
			for k, v := range want {
				if ev[k] != v {
					t.Errorf("%s = %v, want %v", k, ev[k], v)
				}
			}
			if q, _ := ev["query"].(map[string]any); q["x"] != "1,2" {
				t.Errorf("query %v", ev["query"])
			}
			s, h, b := curl(t, n, host, n.Endpoint+"/teapot")
			if s != 418 || b != "short and stout" || h.Get("X-Teapot") != "yes" || strings.Join(h.Values("Set-Cookie"), ";") != "a=1;b=2" {
				t.Fatalf("teapot: %d %v %s", s, h, b)
			}
			// A route-keyed quick create answers only its route.
			var keyed struct{ ApiId string }
			framework.CLIJSON(t, n, cli, &keyed, "apigatewayv2", "create-api", "--name", "keyed-"+cli.Name,
				"--protocol-type", "HTTP", "--target", fn, "--route-key", "GET /items/{id}")
			khost := keyed.ApiId + ".execute-api.localhost"
			if s, _, b := curl(t, n, khost, n.Endpoint+"/items/42"); s != 200 || !strings.Contains(b, `"id": "42"`) {
				t.Fatalf("keyed: %d %s", s, b)
			}
			if s, _, b := curl(t, n, khost, n.Endpoint+"/other"); s != 404 || b != `{"message":"Not Found"}` {
				t.Fatalf("unknown path: %d %s", s, b)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "apigatewayv2", "get-api", "--api-id", "abcdefghij")
			if err == nil || !strings.Contains(errOut, "(NotFoundException) when calling the GetApi operation") {
				t.Fatalf("get-api of a missing API: %v %s", err, errOut)
			}
		})
	}
}

// TestCORSPreflight: an API with a CORS configuration answers preflights
// itself and puts the headers on answers to allowed origins.
func TestCORSPreflight(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	fn := function(t, n, "cors")
	var api struct{ ApiId string }
	framework.CLIJSON(t, n, framework.CLIs[0], &api, "apigatewayv2", "create-api", "--name", "cors", "--protocol-type", "HTTP",
		"--target", fn, "--cors-configuration", "AllowOrigins=https://app.example,AllowMethods=GET,POST,AllowHeaders=authorization,MaxAge=600")
	host := api.ApiId + ".execute-api.localhost"
	s, h, _ := curl(t, n, host, n.Endpoint+"/items", "-X", "OPTIONS", "-H", "Origin: https://app.example",
		"-H", "Access-Control-Request-Method: POST", "-H", "Access-Control-Request-Headers: authorization")
	if s != 204 || h.Get("Access-Control-Allow-Origin") != "https://app.example" || h.Get("Access-Control-Allow-Methods") != "GET,POST" ||
		h.Get("Access-Control-Allow-Headers") != "authorization" || h.Get("Access-Control-Max-Age") != "600" {
		t.Fatalf("preflight: %d %v", s, h)
	}
	if s, h, _ := curl(t, n, host, n.Endpoint+"/items", "-X", "OPTIONS", "-H", "Origin: https://evil.example", "-H", "Access-Control-Request-Method: GET"); s != 204 || h.Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("preflight of another origin: %d %v", s, h)
	}
	if s, h, _ := curl(t, n, host, n.Endpoint+"/items", "-H", "Origin: https://app.example"); s != 200 || h.Get("Access-Control-Allow-Origin") != "https://app.example" {
		t.Fatalf("GET with an origin: %d %v", s, h)
	}
}

// issuer serves an OpenID discovery document and a JWKS with one RSA
// key, on the machine niwa runs on.
type issuer struct {
	srv *httptest.Server
	key *rsa.PrivateKey
}

func newIssuer(t *testing.T) *issuer {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	is := &issuer{key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]string{"issuer": is.srv.URL, "jwks_uri": is.srv.URL + "/keys"})
	})
	mux.HandleFunc("/keys", func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]string{{"kty": "RSA", "kid": "k1", "use": "sig", "alg": "RS256",
			"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()), "e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}}})
	})
	is.srv = httptest.NewServer(mux)
	t.Cleanup(is.srv.Close)
	return is
}

func (is *issuer) token(t *testing.T, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	signed := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(p)
	d := sha256.Sum256([]byte(signed))
	sig, err := rsa.SignPKCS1v15(rand.Reader, is.key, crypto.SHA256, d[:])
	if err != nil {
		t.Fatal(err)
	}
	return signed + "." + base64.RawURLEncoding.EncodeToString(sig)
}

// TestJWTAuthorizer: boto3 puts a JWT authorizer on a route; a token of
// the issuer for the audience is let through (its claims reach the
// function), one for another audience, an expired one (on niwa's clock)
// or none are 401 Unauthorized.
func TestJWTAuthorizer(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	fn := function(t, n, "jwt")
	is := newIssuer(t)
	out := n.Python(t, `
import boto3
ag = boto3.client("apigatewayv2")
api = ag.create_api(Name="jwt", ProtocolType="HTTP")
integ = ag.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri="`+fn+`", PayloadFormatVersion="2.0")
au = ag.create_authorizer(ApiId=api["ApiId"], Name="jwt", AuthorizerType="JWT", IdentitySource=["$request.header.Authorization"],
    JwtConfiguration={"Issuer": "`+is.srv.URL+`", "Audience": ["my-app"]})
ag.create_route(ApiId=api["ApiId"], RouteKey="GET /me", Target="integrations/" + integ["IntegrationId"],
    AuthorizationType="JWT", AuthorizerId=au["AuthorizerId"])
ag.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
print(api["ApiId"])
`)
	host := strings.TrimSpace(out) + ".execute-api.localhost"
	now := n.ClockNow(t)
	claims := map[string]any{"iss": is.srv.URL, "aud": "my-app", "sub": "alice", "exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	good := is.token(t, claims)
	s, _, b := curl(t, n, host, n.Endpoint+"/me", "-H", "Authorization: Bearer "+good)
	if s != 200 || !strings.Contains(b, `"sub": "alice"`) {
		t.Fatalf("valid token: %d %s", s, b)
	}
	claims["aud"] = "other"
	for name, hdr := range map[string][]string{"no token": nil, "other audience": {"-H", "Authorization: Bearer " + is.token(t, claims)}} {
		if s, _, b := curl(t, n, host, append([]string{n.Endpoint + "/me"}, hdr...)...); s != 401 || b != `{"message":"Unauthorized"}` {
			t.Errorf("%s: %d %s", name, s, b)
		}
	}
	n.AdvanceClock(t, 2*time.Hour)
	if s, _, b := curl(t, n, host, n.Endpoint+"/me", "-H", "Authorization: Bearer "+good); s != 401 || b != `{"message":"Unauthorized"}` {
		t.Fatalf("expired token: %d %s", s, b)
	}
}

// TestIAMRoute: a route with AWS_IAM authorization lets through a
// request botocore signs for execute-api with niwa's credentials,
// verified by niwa's own SigV4 verifier, and refuses unsigned or badly
// signed ones with 403.
func TestIAMRoute(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	fn := function(t, n, "iam")
	out := n.Python(t, `
import boto3, os, urllib.request, urllib.error
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
ag = boto3.client("apigatewayv2")
api = ag.create_api(Name="iam", ProtocolType="HTTP")
integ = ag.create_integration(ApiId=api["ApiId"], IntegrationType="AWS_PROXY", IntegrationUri="`+fn+`", PayloadFormatVersion="2.0")
ag.create_route(ApiId=api["ApiId"], RouteKey="GET /who", Target="integrations/" + integ["IntegrationId"], AuthorizationType="AWS_IAM")
ag.create_stage(ApiId=api["ApiId"], StageName="$default", AutoDeploy=True)
endpoint = os.environ["AWS_ENDPOINT_URL"]
port = endpoint.rsplit(":", 1)[1]
host = api["ApiId"] + ".execute-api.localhost:" + port

def call(headers):
    req = urllib.request.Request(endpoint + "/who", headers=dict(headers, Host=host))
    try:
        with urllib.request.urlopen(req) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()

creds = boto3.Session().get_credentials()
signed = AWSRequest(method="GET", url="http://" + host + "/who")
SigV4Auth(creds, "execute-api", "us-east-1").add_auth(signed)
print(call({}))
print(call({k: v for k, v in signed.headers.items()}))
bad = dict(signed.headers.items())
bad["Authorization"] = bad["Authorization"][:-4] + "0000"
print(call(bad))
`)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || lines[0] != `(403, '{"message":"Forbidden"}')` || !strings.HasPrefix(lines[1], "(200, ") || lines[2] != `(403, '{"message":"Forbidden"}')` {
		t.Fatalf("unsigned, signed, badly signed:\n%s", out)
	}
}

// TestHTTPProxyAccessLog: a quick-created API over an HTTP URL proxies
// the whole path with the parameter mappings of its integration, and its
// stage's access log lands in CloudWatch Logs in the configured format.
func TestHTTPProxyAccessLog(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, r.Method+" "+r.URL.Path+" "+r.URL.RawQuery+" "+r.Header.Get("X-Tenant"))
	}))
	defer backend.Close()
	cli := framework.CLIs[0]
	var api struct{ ApiId string }
	framework.CLIJSON(t, n, cli, &api, "apigatewayv2", "create-api", "--name", "proxy", "--protocol-type", "HTTP",
		"--target", backend.URL+"/base")
	n.MustAWS(t, "logs", "create-log-group", "--log-group-name", "api-access")
	n.MustAWS(t, "apigatewayv2", "update-stage", "--api-id", api.ApiId, "--stage-name", "$default", "--access-log-settings",
		`{"DestinationArn":"arn:aws:logs:`+n.Region+`:000000000000:log-group:api-access",`+
			`"Format":"{\"route\":\"$context.routeKey\",\"status\":\"$context.status\",\"path\":\"$context.path\"}"}`)
	var integs struct {
		Items []struct{ IntegrationId string }
	}
	framework.CLIJSON(t, n, cli, &integs, "apigatewayv2", "get-integrations", "--api-id", api.ApiId)
	if len(integs.Items) != 1 {
		t.Fatalf("integrations %+v", integs)
	}
	// A managed integration is changed through the API; a new one with
	// a mapping takes a route of its own.
	var mapped struct{ IntegrationId string }
	framework.CLIJSON(t, n, cli, &mapped, "apigatewayv2", "create-integration", "--api-id", api.ApiId, "--integration-type", "HTTP_PROXY",
		"--integration-method", "GET", "--integration-uri", backend.URL+"/tenants/{id}", "--payload-format-version", "1.0",
		"--request-parameters", `{"append:header.x-tenant":"$request.path.id","overwrite:querystring.v":"2"}`)
	n.MustAWS(t, "apigatewayv2", "create-route", "--api-id", api.ApiId, "--route-key", "GET /t/{id}", "--target", "integrations/"+mapped.IntegrationId)
	host := api.ApiId + ".execute-api.localhost"
	if s, _, b := curl(t, n, host, n.Endpoint+"/a/b?x=1"); s != 200 || b != "GET /base/a/b x=1 " {
		t.Fatalf("$default proxy: %d %q", s, b)
	}
	if s, _, b := curl(t, n, host, n.Endpoint+"/t/42?v=1"); s != 200 || b != "GET /tenants/42 v=2 42" {
		t.Fatalf("mapped proxy: %d %q", s, b)
	}
	want := []string{`{"route":"$default","status":"200","path":"/a/b"}`, `{"route":"GET /t/{id}","status":"200","path":"/t/42"}`}
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, _, err := n.AWS(t, nil, "logs", "get-log-events", "--log-group-name", "api-access", "--log-stream-name", api.ApiId+"_$default")
		if err != nil {
			return false
		}
		var ev struct{ Events []struct{ Message string } }
		framework.MustJSON(t, out, &ev)
		if len(ev.Events) != len(want) {
			return false
		}
		for i, e := range ev.Events {
			if e.Message != want[i] {
				t.Fatalf("access log line %d: %s, want %s", i, e.Message, want[i])
			}
		}
		return true
	}, "the access log lines")
}
