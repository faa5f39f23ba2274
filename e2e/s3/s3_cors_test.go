package s3

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestS3CORS puts a bucket CORS configuration with each aws CLI and makes
// the requests a browser would: preflights (path and virtual-host style)
// answered from the configuration, and an actual GET carrying Origin.
func TestS3CORS(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			bucket := "cors-e2e-" + cli.Name
			run := func(args ...string) {
				t.Helper()
				if _, errOut, err := n.RunCLI(t, cli, nil, args...); err != nil {
					t.Fatalf("aws %s: %v\n%s", strings.Join(args, " "), err, errOut)
				}
			}
			body := filepath.Join(t.TempDir(), "hello.txt")
			if err := os.WriteFile(body, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			run("s3api", "create-bucket", "--bucket", bucket, "--create-bucket-configuration", "LocationConstraint="+n.Region)
			run("s3api", "put-bucket-cors", "--bucket", bucket, "--cors-configuration",
				`{"CORSRules":[{"AllowedOrigins":["https://*.example.com"],"AllowedMethods":["GET","PUT"],"AllowedHeaders":["*"],"ExposeHeaders":["ETag"],"MaxAgeSeconds":600}]}`)
			run("s3api", "put-object", "--bucket", bucket, "--key", "hello.txt", "--body", body)

			do := func(method, path, host string, hdr ...string) *http.Response {
				t.Helper()
				req, err := http.NewRequest(method, n.Endpoint+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				if host != "" {
					req.Host = host
				}
				for i := 0; i+1 < len(hdr); i += 2 {
					req.Header.Set(hdr[i], hdr[i+1])
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { resp.Body.Close() })
				return resp
			}
			u, _ := url.Parse(n.Endpoint)
			vhost := bucket + ".s3.localhost:" + u.Port()

			for _, c := range []struct{ path, host string }{{"/" + bucket + "/hello.txt", ""}, {"/hello.txt", vhost}} {
				resp := do("OPTIONS", c.path, c.host, "Origin", "https://app.example.com",
					"Access-Control-Request-Method", "PUT", "Access-Control-Request-Headers", "content-type,x-amz-date")
				h := resp.Header
				if resp.StatusCode != 200 || h.Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
					h.Get("Access-Control-Allow-Methods") != "GET, PUT" || h.Get("Access-Control-Max-Age") != "600" ||
					h.Get("Access-Control-Allow-Headers") != "content-type, x-amz-date" || h.Get("Access-Control-Expose-Headers") != "ETag" {
					t.Errorf("preflight %s host %q: %d %v", c.path, c.host, resp.StatusCode, h)
				}
			}
			// A method or origin the rules do not allow is refused.
			for _, hdr := range [][]string{
				{"Origin", "https://evil.test", "Access-Control-Request-Method", "GET"},
				{"Origin", "https://app.example.com", "Access-Control-Request-Method", "DELETE"},
			} {
				resp := do("OPTIONS", "/"+bucket+"/hello.txt", "", hdr...)
				body, _ := io.ReadAll(resp.Body)
				if resp.StatusCode != 403 || !strings.Contains(string(body), "CORSResponse: This CORS request is not allowed") ||
					resp.Header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("refused preflight %v: %d %s", hdr, resp.StatusCode, body)
				}
			}
			// The actual request gets the rule's headers.
			resp := do("GET", "/"+bucket+"/hello.txt", "", "Origin", "https://app.example.com")
			if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.example.com" || resp.Header.Get("Access-Control-Expose-Headers") != "ETag" {
				t.Errorf("actual GET: %d %v", resp.StatusCode, resp.Header)
			}
			// After delete-bucket-cors every preflight is refused.
			run("s3api", "delete-bucket-cors", "--bucket", bucket)
			resp = do("OPTIONS", "/"+bucket+"/hello.txt", "", "Origin", "https://app.example.com", "Access-Control-Request-Method", "GET")
			if body, _ := io.ReadAll(resp.Body); resp.StatusCode != 403 || !strings.Contains(string(body), "CORS is not enabled for this bucket") {
				t.Errorf("preflight without CORS: %d %s", resp.StatusCode, body)
			}
		})
	}
}
