package gateway

import (
	"bytes"
	"net/http"
	"strings"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

const (
	json11  = "application/x-amz-json-1.1"
	cborCT  = "application/cbor"
	cwCBOR  = "/service/GraniteServiceVersion20100801/operation/ListMetrics"
	smithyH = "Smithy-Protocol"
)

// TestResolveUnimplemented: requests for services niwa does not
// implement resolve to that service (never to S3), by every signal the
// clients send; implemented services resolve as before.
func TestResolveUnimplemented(t *testing.T) {
	tg := newTestGateway(t)
	cases := []struct {
		name, want string // want: the model directory, or an implemented service's name
		unimpl     bool
		req        *http.Request
	}{
		{"athena by target", "athena", true, newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonAthena.ListWorkGroups", "Authorization", sigV4("athena"))},
		{"athena by target, unsigned", "athena", true, newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonAthena.ListWorkGroups")},
		{"kinesis by target", "kinesis", true, newRequest("POST", "/", "{}", "X-Amz-Target", "Kinesis_20131202.ListStreams", "Authorization", sigV4("kinesis"))},
		{"wafv2", "wafv2", true, newRequest("POST", "/", "{}", "X-Amz-Target", "AWSWAF_20190729.ListWebACLs", "Authorization", sigV4("wafv2"))},
		{"acm", "acm", true, newRequest("POST", "/", "{}", "X-Amz-Target", "CertificateManager.ListCertificates", "Authorization", sigV4("acm"))},
		{"secretsmanager", "secretsmanager", true, newRequest("POST", "/", "{}", "X-Amz-Target", "secretsmanager.ListSecrets", "Authorization", sigV4("secretsmanager"))},
		{"stepfunctions", "states", true, newRequest("POST", "/", "{}", "X-Amz-Target", "AWSStepFunctions.ListStateMachines", "Authorization", sigV4("states"))},
		{"ecr", "ecr", true, newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonEC2ContainerRegistry_V20150921.DescribeRepositories", "Authorization", sigV4("ecr"))},
		{"elbv2 by version and scope", "elasticloadbalancingv2", true, newRequest("POST", "/", "Action=DescribeLoadBalancers&Version=2015-12-01", "Content-Type", form, "Authorization", sigV4("elasticloadbalancing"))},
		{"elb by version and scope", "elasticloadbalancing", true, newRequest("POST", "/", "Action=DescribeLoadBalancers&Version=2012-06-01", "Content-Type", form, "Authorization", sigV4("elasticloadbalancing"))},
		{"rds by version and scope", "rds", true, newRequest("POST", "/", "Action=DescribeDBInstances&Version=2014-10-31", "Content-Type", form, "Authorization", sigV4("rds"))},
		{"rds unsigned", "rds", true, newRequest("POST", "/", "Action=DescribeDBInstances&Version=2014-10-31", "Content-Type", form)},
		{"ses v1 by form", "email", true, newRequest("POST", "/", "Action=ListIdentities&Version=2010-12-01", "Content-Type", form, "Authorization", sigV4("ses"))},
		{"ses v2 by path", "sesv2", true, newRequest("GET", "/v2/email/identities", "", "Authorization", sigV4("ses"))},
		{"cloudfront signed", "cloudfront", true, newRequest("GET", "/2020-05-31/distribution", "", "Authorization", sigV4("cloudfront"))},
		{"cloudfront unsigned", "cloudfront", true, newRequest("GET", "/2020-05-31/distribution", "")},
		// API Gateway's REST APIs are implemented; V2 shares their signing
		// name and is told apart by its /v2/ prefix.
		{"apigateway", "apigateway", false, newRequest("GET", "/restapis", "", "Authorization", sigV4("apigateway"))},
		{"apigatewayv2", "apigatewayv2", true, newRequest("GET", "/v2/apis", "", "Authorization", sigV4("apigateway"))},
		{"gamelift in CBOR, unsigned", "gamelift", true, newRequest("POST", "/service/GameLift/operation/ListFleets", "", smithyH, "rpc-v2-cbor")},

		{"cloudwatch in CBOR, signed", "cloudwatch", false, newRequest("POST", cwCBOR, "", smithyH, "rpc-v2-cbor", "Authorization", sigV4("monitoring"))},
		{"cloudwatch in CBOR, unsigned", "cloudwatch", false, newRequest("POST", cwCBOR, "", smithyH, "rpc-v2-cbor")},
		{"cloudwatch in JSON, unsigned", "cloudwatch", false, newRequest("POST", "/", "{}", "X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics")},
		{"CBOR-looking S3 path without the header is S3", "s3", false, newRequest("POST", "/service/GameLift/operation/ListFleets", "")},
		{"unsigned bucket path stays S3", "s3", false, newRequest("GET", "/v2/email/key", "")},
		{"virtual host with a dated path stays S3", "s3", false, hostRequest("GET", "/2020-05-31/distribution", "b.s3.localhost:4566")},
		{"lambda dates stay lambda", "lambda", false, newRequest("GET", "/2015-03-31/functions/", "")},
		{"signed s3 stays s3", "s3", false, newRequest("GET", "/2020-05-31/distribution", "", "Authorization", sigV4("s3"))},
		{"implemented targets first", "sqs", false, newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonSQS.ListQueues", "Authorization", sigV4("athena"))},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, _ := tg.resolveService(c.req)
			if svc == nil || svc.Spec.Name != c.want || (svc.unimplemented != nil) != c.unimpl {
				t.Fatalf("resolved %+v", svc)
			}
		})
	}
}

// TestUnimplementedAnswers: each protocol family answers NotImplemented,
// 501, naming the service, in its own wire format.
func TestUnimplementedAnswers(t *testing.T) {
	tg := newTestGateway(t)
	cases := []struct {
		name, wantCT string
		req          *http.Request
		want         []string // substrings of the body
		header       [2]string
	}{
		{"json", json11, newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonAthena.ListWorkGroups", "Content-Type", json11, "Authorization", sigV4("athena")),
			[]string{`"__type":"NotImplemented"`, `"message":"niwa does not implement Amazon Athena yet"`}, [2]string{"X-Amzn-Errortype", "NotImplemented"}},
		{"query", "text/xml", newRequest("POST", "/", "Action=DescribeLoadBalancers&Version=2015-12-01", "Content-Type", form, "Authorization", sigV4("elasticloadbalancing")),
			[]string{"<ErrorResponse", "<Code>NotImplemented</Code>", "<Message>niwa does not implement Elastic Load Balancing v2 yet</Message>"}, [2]string{}},
		{"rest-xml", "", newRequest("GET", "/2020-05-31/distribution", "", "Authorization", sigV4("cloudfront")),
			[]string{"<Code>NotImplemented</Code>", "niwa does not implement Amazon CloudFront yet"}, [2]string{}},
		{"rest-json", "application/json", newRequest("GET", "/2015-02-01/file-systems", "", "Authorization", sigV4("elasticfilesystem")),
			[]string{"niwa does not implement Amazon Elastic File System yet"}, [2]string{"X-Amzn-Errortype", "NotImplemented"}},
		{"retired", json11, newRequest("POST", "/", "{}", "X-Amz-Target", "AWSWAF_20150824.ListWebACLs", "Content-Type", json11, "Authorization", sigV4("waf")),
			[]string{`"message":"niwa does not implement AWS WAF: AWS ended support for WAF Classic on September 30, 2025; niwa serves AWS WAF (wafv2)`}, [2]string{}},
		{"with a reason", json11, newRequest("POST", "/", "{}", "X-Amz-Target", "ACMPrivateCA.ListCertificateAuthorities", "Content-Type", json11, "Authorization", sigV4("acm-pca")),
			[]string{`"message":"niwa does not implement AWS Certificate Manager Private Certificate Authority: niwa has no private certificate authorities to manage`}, [2]string{}},
		{"ambiguous", "application/x-amz-json-1.0", newRequest("POST", "/", "{}", "X-Amz-Target", "Timestream_20181101.DescribeEndpoints", "Authorization", sigV4("timestream")),
			[]string{"niwa does not implement Amazon Timestream Query or Amazon Timestream Write yet"}, [2]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := tg.do(c.req)
			body := w.Body.String()
			if w.Code != http.StatusNotImplemented || !strings.HasPrefix(w.Header().Get("Content-Type"), c.wantCT) {
				t.Fatalf("%d %s\n%s", w.Code, w.Header().Get("Content-Type"), body)
			}
			for _, s := range c.want {
				if !strings.Contains(body, s) {
					t.Fatalf("body lacks %q:\n%s", s, body)
				}
			}
			if c.header[0] != "" && w.Header().Get(c.header[0]) != c.header[1] {
				t.Fatalf("%s: %q", c.header[0], w.Header().Get(c.header[0]))
			}
		})
	}
}

// TestCBOR: a service is answered in CBOR when the request is CBOR:
// an unimplemented one naming the service, CloudWatch (implemented in
// query, CBOR through its protocols list) naming the operation, with the
// query-compatible error header current clients read.
func TestCBOR(t *testing.T) {
	tg := newTestGateway(t)
	listMetrics, _ := cbor.Marshal(map[string]any{"Namespace": "AWS/EC2"})
	badBody := []byte{0xa1, 0x69, 'N', 'a', 'm', 'e', 's', 'p', 'a', 'c', 'e', 0x01}
	cases := []struct {
		name        string
		req         *http.Request
		status      int
		typ, msg, q string
	}{
		{"unimplemented service", newRequest("POST", "/service/GameLift/operation/ListFleets", "", smithyH, "rpc-v2-cbor", "Authorization", sigV4("gamelift")),
			501, "NotImplemented", "niwa does not implement Amazon GameLift yet", ""},
		{"cloudwatch operation", cborReq(cwCBOR, listMetrics), 501, "NotImplemented", "niwa does not implement CloudWatch.ListMetrics yet", "NotImplemented;Receiver"},
		{"cloudwatch malformed input", cborReq(cwCBOR, badBody), 400, "SerializationException", "", "SerializationException;Sender"},
		{"cloudwatch unknown operation", cborReq("/service/GraniteServiceVersion20100801/operation/Nope", nil), 400, "UnknownOperationException", "", "UnknownOperationException;Sender"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := tg.do(c.req)
			var body map[string]any
			if err := cbor.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatalf("%d %v: %x", w.Code, err, w.Body.Bytes())
			}
			typ, _ := body["__type"].(string)
			msg, _ := body["message"].(string)
			if w.Code != c.status || !strings.HasSuffix(typ, "#"+c.typ) || c.msg != "" && msg != c.msg ||
				w.Header().Get("Content-Type") != cborCT || w.Header().Get("Smithy-Protocol") != "rpc-v2-cbor" ||
				w.Header().Get("X-Amzn-Query-Error") != c.q {
				t.Fatalf("%d %v %v", w.Code, body, w.Header())
			}
		})
	}
}

func cborReq(path string, body []byte) *http.Request {
	r := newRequest("POST", path, "", smithyH, "rpc-v2-cbor", "Content-Type", cborCT, "Authorization", sigV4("monitoring"))
	if body != nil {
		r.Body = http.NoBody
		r = r.WithContext(r.Context())
		r.Body = readCloser{bytes.NewReader(body), http.NoBody}
		r.ContentLength = int64(len(body))
	}
	return r
}

// TestCloudWatchProtocols: CloudWatch answers each protocol of its
// protocols list in that protocol: query (its v1 model's), JSON (what
// botocore 1.43 speaks to it; query-compatible, so the legacy code rides
// in x-amzn-query-error) and CBOR.
func TestCloudWatchProtocols(t *testing.T) {
	tg := newTestGateway(t)
	msg := "niwa does not implement CloudWatch.ListMetrics yet"
	cases := []struct {
		name, ct, want, queryErr string
		req                      *http.Request
	}{
		{"query", "text/xml", "<Message>" + msg + "</Message>", "",
			newRequest("POST", "/", "Action=ListMetrics&Version=2010-08-01", "Content-Type", form, "Authorization", sigV4("monitoring"))},
		{"json", "application/x-amz-json-1.0", `"__type":"com.amazonaws.cloudwatch#NotImplemented","message":"` + msg + `"`, "NotImplemented;Receiver",
			newRequest("POST", "/", `{"Namespace":"AWS/EC2"}`, "X-Amz-Target", "GraniteServiceVersion20100801.ListMetrics", "Content-Type", "application/x-amz-json-1.0", "Authorization", sigV4("monitoring"))},
		{"cbor", cborCT, msg, "NotImplemented;Receiver", cborReq(cwCBOR, nil)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := tg.do(c.req)
			if w.Code != 501 || w.Header().Get("Content-Type") != c.ct || !strings.Contains(w.Body.String(), c.want) ||
				w.Header().Get("X-Amzn-Query-Error") != c.queryErr {
				t.Fatalf("%d %v\n%s", w.Code, w.Header(), w.Body)
			}
		})
	}
}
