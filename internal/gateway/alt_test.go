package gateway

import (
	"net/http"
	"strings"
	"testing"

	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
	"github.com/niwa-cloud/niwa/internal/request"
)

// urlGetter implements GetQueueUrl once, whatever protocol asked.
type urlGetter struct{}

func (urlGetter) GetQueueUrl(ctx *request.Context, in *sqsapi.GetQueueUrlInput) (*sqsapi.GetQueueUrlOutput, error) {
	u := "http://" + ctx.HTTP.Host + "/" + ctx.Account + "/" + *in.QueueName
	return &sqsapi.GetQueueUrlOutput{QueueUrl: &u}, nil
}

// altGateway serves SQS's JSON model with a query-protocol twin of it as
// the alternate protocol.
func altGateway(t *testing.T) *Gateway {
	t.Helper()
	cs := codecs.New()
	spec := sqsapi.Spec()
	jsonCodec, _ := cs.For("json")
	queryCodec, _ := cs.For("query")
	md := spec.Metadata
	md.Protocol, md.XMLNamespace, md.TargetPrefix, md.JSONVersion, md.AWSQueryCompatible = "query", "http://queue.amazonaws.com/doc/2012-11-05/", "", "", false
	alt := &AltProtocol{Metadata: md, Codec: queryCodec, Model: func() (*model.Service, error) {
		m, err := spec.Model()
		if err != nil {
			return nil, err
		}
		m.Metadata = md
		return m, nil
	}}
	g, err := New(Config{Auth: trustAll{}}, &Service{Spec: spec, Codec: jsonCodec, Impl: urlGetter{}, Alts: []*AltProtocol{alt}})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestAltProtocol: one set of typed methods answers both the primary
// (JSON, X-Amz-Target) and the alternate (query, form Action) protocol,
// each in its own wire format, errors included.
func TestAltProtocol(t *testing.T) {
	tg := &testGateway{Gateway: altGateway(t)}
	cases := []struct {
		name, body, wantCT, want string
		header                   []string
		code                     int
	}{
		{"json", `{"QueueName":"q1"}`, "application/x-amz-json-1.0", `"QueueUrl":"http://example.com/000000000000/q1"`,
			[]string{"X-Amz-Target", "AmazonSQS.GetQueueUrl", "Content-Type", "application/x-amz-json-1.0", "Authorization", sigV4("sqs")}, 200},
		{"query signed", "Action=GetQueueUrl&Version=2012-11-05&QueueName=q2", "text/xml", "<GetQueueUrlResponse xmlns=\"http://queue.amazonaws.com/doc/2012-11-05/\"><QueueUrl>http://example.com/000000000000/q2</QueueUrl>",
			[]string{"Content-Type", form, "Authorization", sigV4("sqs")}, 200},
		{"query unsigned routed by Version", "Action=GetQueueUrl&Version=2012-11-05&QueueName=q3", "text/xml", "<QueueUrl>http://example.com/000000000000/q3</QueueUrl>",
			[]string{"Content-Type", form}, 200},
		{"query error in XML", "Action=GetQueueUrl&Version=2012-11-05", "text/xml", "<Code>ValidationError</Code>",
			[]string{"Content-Type", form, "Authorization", sigV4("sqs")}, 400},
		{"json error in JSON", `{}`, "application/x-amz-json-1.0", `"__type":`,
			[]string{"X-Amz-Target", "AmazonSQS.GetQueueUrl", "Content-Type", "application/x-amz-json-1.0", "Authorization", sigV4("sqs")}, 400},
		{"query unimplemented", "Action=PurgeQueue&Version=2012-11-05&QueueUrl=x", "text/xml", "<Code>NotImplemented</Code>",
			[]string{"Content-Type", form, "Authorization", sigV4("sqs")}, 501},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newRequest(http.MethodPost, "/", c.body, c.header...)
			r.Host = "example.com"
			w := tg.do(r)
			if w.Code != c.code || !strings.HasPrefix(w.Header().Get("Content-Type"), c.wantCT) || !strings.Contains(w.Body.String(), c.want) {
				t.Fatalf("%d %s\n%s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
		})
	}
}
