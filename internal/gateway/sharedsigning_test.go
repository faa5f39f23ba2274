package gateway

import (
	"testing"

	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
)

// TestSharedSigningNameByPath: SES v1 (query) and v2 (rest-json) both sign
// as "ses"; a request under v2's URI prefixes (/v2/email/...) is v2's,
// anything else stays with the first registered (v1).
func TestSharedSigningNameByPath(t *testing.T) {
	cs := codecs.New()
	v1, err := NewService(sesapi.Spec(), none{}, cs)
	if err != nil {
		t.Fatal(err)
	}
	v2, err := NewService(sesv2api.Spec(), none{}, cs)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(Config{Auth: trustAll{}}, v1, v2)
	if err != nil {
		t.Fatal(err)
	}
	form := "application/x-www-form-urlencoded; charset=utf-8"
	cases := []struct {
		name, want string
		method     string
		path, body string
	}{
		{"v2 list identities", "sesv2", "GET", "/v2/email/identities", ""},
		{"v2 send", "sesv2", "POST", "/v2/email/outbound-emails", "{}"},
		{"v2 account", "sesv2", "GET", "/v2/email/account", ""},
		{"v1 form", "ses", "POST", "/", "Action=ListIdentities&Version=2010-12-01"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, _ := g.resolveService(newRequest(c.method, c.path, c.body, "Content-Type", form, "Authorization", sigV4("ses")))
			if svc == nil || svc.Spec.Name != c.want {
				t.Fatalf("resolved %v, want %s", svc, c.want)
			}
		})
	}
}
