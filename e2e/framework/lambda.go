package framework

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// LambdaRolePolicy is what the test functions' execution role may do.
const LambdaRolePolicy = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*","logs:*","sts:GetCallerIdentity"],"Resource":"*"}]}`

// ZipFiles builds a deployment package; names ending in "bootstrap" are
// executable.
func ZipFiles(t *testing.T, dir string, files map[string][]byte) string {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, data := range files {
		h := &zip.FileHeader{Name: name, Method: zip.Deflate}
		h.SetMode(0o644)
		if strings.HasSuffix(name, "bootstrap") {
			h.SetMode(0o755)
		}
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = w.Write(data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "fn-"+strings.ReplaceAll(t.Name(), "/", "-")+"-"+time.Now().Format("150405.000000000")+".zip")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// LambdaRole creates the execution role and returns its ARN.
func LambdaRole(t *testing.T, n *Niwa, name string) string {
	t.Helper()
	out := n.MustAWS(t, "iam", "create-role", "--role-name", name, "--assume-role-policy-document", TrustPolicy)
	n.MustAWS(t, "iam", "put-role-policy", "--role-name", name, "--policy-name", "fn", "--policy-document", LambdaRolePolicy)
	var r struct{ Role struct{ Arn string } }
	_ = json.Unmarshal([]byte(out), &r)
	return r.Role.Arn
}
