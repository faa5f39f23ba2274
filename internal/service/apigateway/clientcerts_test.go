package apigateway

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestClientCertificate: a stage's client certificate is presented to an
// HTTPS backend that requires one (tlsConfig.insecureSkipVerification
// trusting the test server's own certificate).
func TestClientCertificate(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	cert := must[*apigatewayapi.ClientCertificate](t)(e.s.GenerateClientCertificate(ctx, &apigatewayapi.GenerateClientCertificateRequest{Description: ptr.To("backend")}))
	block, _ := pem.Decode([]byte(*cert.PemEncodedCertificate))
	parsed, err := x509.ParseCertificate(block.Bytes)
	if err != nil || parsed.Subject.CommonName != *cert.ClientCertificateId || !parsed.NotAfter.Equal(*cert.ExpirationDate) {
		t.Fatalf("certificate %v %v", parsed, err)
	}
	backend := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(r.TLS.PeerCertificates) == 0 {
			http.Error(w, "no client certificate", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, "hello "+r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	backend.TLS = &tls.Config{ClientAuth: tls.RequireAnyClientCert}
	backend.StartTLS()
	defer backend.Close()

	b := e.build(func(string) *apigatewayapi.PutIntegrationRequest {
		return &apigatewayapi.PutIntegrationRequest{Type: ptr.To("HTTP_PROXY"), IntegrationHttpMethod: ptr.To("GET"), Uri: ptr.To(backend.URL + "/x"),
			TlsConfig: &apigatewayapi.TlsConfig{InsecureSkipVerification: ptr.To(true)}}
	}, false)
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	if s, body, _ := e.do("GET", url, "", nil); s == 200 {
		t.Fatalf("without a client certificate: %d %s", s, body)
	}
	_, err = e.s.UpdateStage(ctx, &apigatewayapi.UpdateStageRequest{RestApiId: &b.api, StageName: ptr.To("test"), PatchOperations: ops(patch("replace", "/clientCertificateId", "nope"))})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Client Certificate")
	must[*apigatewayapi.Stage](t)(e.s.UpdateStage(ctx, &apigatewayapi.UpdateStageRequest{RestApiId: &b.api, StageName: ptr.To("test"),
		PatchOperations: ops(patch("replace", "/clientCertificateId", *cert.ClientCertificateId))}))
	if s, body, _ := e.do("GET", url, "", nil); s != 200 || body != "hello "+*cert.ClientCertificateId {
		t.Fatalf("with the stage's certificate: %d %s", s, body)
	}
	must[*apigatewayapi.DeleteClientCertificateOutput](t)(e.s.DeleteClientCertificate(ctx, &apigatewayapi.DeleteClientCertificateRequest{ClientCertificateId: cert.ClientCertificateId}))
	_, err = e.s.GetClientCertificate(ctx, &apigatewayapi.GetClientCertificateRequest{ClientCertificateId: cert.ClientCertificateId})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
}
