package gateway

import (
	"net/http"
	"strings"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
)

// ownCORS answers CORS for paths under /mine/ and declines the rest, as S3
// does for existing buckets.
type ownCORS struct{}

func (ownCORS) CORS(w http.ResponseWriter, r *http.Request, _ string, preflight bool) bool {
	if !strings.HasPrefix(r.URL.Path, "/mine/") {
		return false
	}
	w.Header().Set("Access-Control-Allow-Origin", "own")
	if preflight {
		w.WriteHeader(http.StatusForbidden)
	}
	return true
}

func TestCORSResponderDecidesForItsResources(t *testing.T) {
	codec, err := codecs.New().For(s3api.Spec().Metadata.Protocol)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Auth: trustAll{}}, &Service{Spec: s3api.Spec(), Codec: codec, Impl: struct{}{}, CORS: ownCORS{}.CORS, Routing: kit.Routing{CatchAll: true}})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		path       string
		preflight  bool
		wantStatus int
		wantOrigin string
	}{
		{"/mine/key", true, http.StatusForbidden, "own"},
		{"/other/key", true, http.StatusOK, "https://app.example"},
		{"/mine/key", false, 0, "own"},
		{"/other/key", false, 0, "https://app.example"},
	} {
		hdr := []string{"Origin", "https://app.example"}
		method := "GET"
		if c.preflight {
			method = "OPTIONS"
			hdr = append(hdr, "Access-Control-Request-Method", "GET")
		}
		tg := &testGateway{Gateway: g}
		w := tg.do(newRequest(method, c.path, "", hdr...))
		if c.wantStatus != 0 && w.Code != c.wantStatus {
			t.Errorf("%s %s: status %d, want %d", method, c.path, w.Code, c.wantStatus)
		}
		if got := w.Header().Get("Access-Control-Allow-Origin"); got != c.wantOrigin {
			t.Errorf("%s %s: Access-Control-Allow-Origin %q, want %q", method, c.path, got, c.wantOrigin)
		}
	}
}
