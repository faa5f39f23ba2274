package gateway

import (
	"net/http"
	"strings"
	"testing"

	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
)

// TestValidateCodePerService: a model constraint violation is answered
// with the code the service itself uses. CloudWatch Logs answers
// InvalidParameterException where other JSON services answer
// ValidationException, except for its operations that declare
// ValidationException.
func TestValidateCodePerService(t *testing.T) {
	cs := codecs.New()
	jsonCodec, _ := cs.For("json")
	g, err := New(Config{Auth: trustAll{}}, &Service{Spec: logsapi.Spec(), Codec: jsonCodec, Impl: struct{}{}})
	if err != nil {
		t.Fatal(err)
	}
	tg := &testGateway{Gateway: g}
	long := strings.Repeat("a", 513)
	cases := []struct {
		name, target, body, want string
	}{
		{"too long", "Logs_20140328.CreateLogGroup", `{"logGroupName":"` + long + `"}`,
			`"__type":"InvalidParameterException","message":"1 validation error detected: Value '` + long + `' at 'logGroupName' failed to satisfy constraint: Member must have length less than or equal to 512"`},
		{"missing", "Logs_20140328.CreateLogGroup", `{}`,
			`"__type":"InvalidParameterException","message":"1 validation error detected: Value null at 'logGroupName' failed to satisfy constraint: Member must not be null"`},
		{"limit range", "Logs_20140328.DescribeLogGroups", `{"limit":0}`,
			`"InvalidParameterException"`},
		// The delivery operations declare ValidationException, not
		// InvalidParameterException.
		{"newer operation", "Logs_20140328.GetDelivery", `{}`,
			`"__type":"ValidationException","message":"1 validation error detected: Value null at 'id' failed to satisfy constraint: Member must not be null"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest(http.MethodPost, "/", c.body, "X-Amz-Target", c.target, "Content-Type", "application/x-amz-json-1.1", "Authorization", sigV4("logs"))
			r.Host = "example.com"
			w := tg.do(r)
			if w.Code != 400 || !strings.Contains(w.Body.String(), c.want) {
				t.Fatalf("%d\n%s\nwant %s", w.Code, w.Body, c.want)
			}
		})
	}
}
