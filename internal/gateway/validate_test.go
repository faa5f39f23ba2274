package gateway

import (
	"net/http"
	"strings"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
)

// TestValidationAsDeclared: a model constraint violation is answered
// with the protocol's code, with the code the service declares
// (kit.Validation.Error), or not at all where the service checks its
// input itself (kit.Validation.Skip: the handler answers).
func TestValidationAsDeclared(t *testing.T) {
	cs := codecs.New()
	jsonCodec, _ := cs.For("json")
	long := strings.Repeat("a", 513)
	body := `{"logGroupName":"` + long + `"}`
	own := func(op *model.Operation, vs []model.Violation) error {
		return awserr.Code{Code: "OwnWords", Status: 400, Sender: true}.New("%s: %s", op.Name, model.Summary(vs))
	}
	for _, c := range []struct {
		name       string
		validation kit.Validation
		status     int
		want       string
	}{
		{"protocol", kit.Validation{}, 400,
			`"__type":"ValidationException","message":"1 validation error detected: Value '` + long + `' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512"`},
		{"declared", kit.Validation{Error: own}, 400, `"__type":"OwnWords","message":"CreateLogGroup: 1 validation error detected`},
		{"skipped", kit.Validation{Skip: true}, 501, `NotImplemented`},
	} {
		t.Run(c.name, func(t *testing.T) {
			g, err := New(Config{Auth: trustAll{}}, &Service{Spec: logsapi.Spec(), Codec: jsonCodec, Impl: struct{}{}, Validation: c.validation})
			if err != nil {
				t.Fatal(err)
			}
			tg := &testGateway{Gateway: g}
			r := newRequest(http.MethodPost, "/", body, "X-Amz-Target", "Logs_20140328.CreateLogGroup", "Content-Type", "application/x-amz-json-1.1", "Authorization", sigV4("logs"))
			r.Host = "example.com"
			w := tg.do(r)
			if w.Code != c.status || !strings.Contains(w.Body.String(), c.want) {
				t.Fatalf("%d\n%s\nwant %d %s", w.Code, w.Body, c.status, c.want)
			}
		})
	}
}
