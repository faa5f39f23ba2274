package gateway

import (
	"net/http"
	"strings"
	"testing"
)

// TestResolveService checks the routing order of docs/design.md: X-Amz-Target,
// then the SigV4 credential scope, then form Action+Version, then host and
// path rules, with S3 as the fallback.
func TestResolveService(t *testing.T) {
	tg := newTestGateway(t)
	form := "application/x-www-form-urlencoded; charset=utf-8"
	cases := []struct {
		name        string
		req         *http.Request
		service     string
		hostBucket  string
		stillReadTo string // the body the codec must still see, when the gateway peeked at it
	}{
		// X-Amz-Target wins over everything.
		{name: "target dynamodb", service: "dynamodb",
			req: newRequest("POST", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.ListTables", "Authorization", sigV4("dynamodb"))},
		{name: "target dynamodbstreams shares dynamodb's signing name", service: "dynamodbstreams",
			req: newRequest("POST", "/", "{}", "X-Amz-Target", "DynamoDBStreams_20120810.ListStreams", "Authorization", sigV4("dynamodb"))},
		{name: "target sqs", service: "sqs",
			req: newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonSQS.ListQueues", "Authorization", sigV4("sqs"))},
		{name: "target beats scope", service: "sqs",
			req: newRequest("POST", "/", "{}", "X-Amz-Target", "AmazonSQS.ListQueues", "Authorization", sigV4("sts"))},
		{name: "unknown target prefix falls back to the scope", service: "dynamodb",
			req: newRequest("POST", "/", "{}", "X-Amz-Target", "Nope_2020.ListTables", "Authorization", sigV4("dynamodb"))},

		// SigV4 credential scope.
		{name: "scope sts", service: "sts",
			req: newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form, "Authorization", sigV4("sts"))},
		{name: "scope iam", service: "iam",
			req: newRequest("POST", "/", "Action=ListRoles&Version=2010-05-08", "Content-Type", form, "Authorization", sigV4("iam"))},
		{name: "scope monitoring is cloudwatch", service: "cloudwatch",
			req: newRequest("POST", "/", "Action=ListMetrics&Version=2010-08-01", "Content-Type", form, "Authorization", sigV4("monitoring"))},
		{name: "scope beats the form's Version", service: "iam",
			req: newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form, "Authorization", sigV4("iam"))},
		{name: "scope s3 with a date-like path", service: "s3",
			req: newRequest("GET", "/2015-03-31/functions", "", "Authorization", sigV4("s3"))},
		{name: "presigned s3 X-Amz-Credential", service: "s3",
			req: newRequest("GET", "/bucket/key?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260301%2Fap-northeast-1%2Fs3%2Faws4_request&X-Amz-Date=20260301T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "")},
		{name: "presigned sts X-Amz-Credential", service: "sts",
			req: newRequest("GET", "/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=test%2F20260301%2Fus-east-1%2Fsts%2Faws4_request&X-Amz-Date=20260301T120000Z&X-Amz-SignedHeaders=host&X-Amz-Signature=00", "")},
		{name: "unknown scope service falls through to the form", service: "sns",
			req: newRequest("POST", "/", "Action=ListTopics&Version=2010-03-31", "Content-Type", form, "Authorization", sigV4("execute-api"))},

		// Form Action+Version without a SigV4 header.
		{name: "form body sts", service: "sts", stillReadTo: "Action=GetCallerIdentity&Version=2011-06-15",
			req: newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form)},
		{name: "form body sns", service: "sns", stillReadTo: "Version=2010-03-31&Action=ListTopics",
			req: newRequest("POST", "/", "Version=2010-03-31&Action=ListTopics", "Content-Type", form)},
		{name: "form body ec2", service: "ec2", stillReadTo: "Action=DescribeInstances&Version=2016-11-15",
			req: newRequest("POST", "/", "Action=DescribeInstances&Version=2016-11-15", "Content-Type", form)},
		{name: "query string iam", service: "iam",
			req: newRequest("GET", "/?Action=ListRoles&Version=2010-05-08", "")},
		{name: "sigv2 header on a query service still routes by form", service: "sts",
			req: newRequest("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form, "Authorization", "AWS test:c2ln")},

		// S3 virtual-host style.
		{name: "virtual host", service: "s3", hostBucket: "bucket",
			req: hostRequest("GET", "/", "bucket.s3.localhost:4566")},
		{name: "virtual host with region", service: "s3", hostBucket: "bucket",
			req: hostRequest("GET", "/key", "bucket.s3.ap-northeast-1.localhost")},
		{name: "virtual host, dotted bucket", service: "s3", hostBucket: "my.bucket",
			req: hostRequest("GET", "/", "my.bucket.s3.localhost:4566")},
		{name: "virtual host, bucket containing .s3", service: "s3", hostBucket: "logs.s3archive",
			req: hostRequest("GET", "/", "logs.s3archive.s3.localhost:4566")},
		{name: "virtual host, signed", service: "s3", hostBucket: "bucket",
			req: hostRequest("GET", "/", "bucket.s3.localhost:4566", "Authorization", sigV4("s3"))},
		{name: "website host is not a bucket", service: "s3", hostBucket: "",
			req: hostRequest("GET", "/index.html", "site.s3-website-ap-northeast-1.localhost:4566")},
		{name: "website host, dot form", service: "s3", hostBucket: "",
			req: hostRequest("GET", "/", "site.s3-website.ap-northeast-1.localhost")},
		{name: "s3 endpoint host without bucket", service: "s3", hostBucket: "",
			req: hostRequest("GET", "/", "s3.localhost:4566")},
		{name: "s3 regional endpoint host without bucket", service: "s3", hostBucket: "",
			req: hostRequest("GET", "/", "s3.ap-northeast-1.localhost:4566")},
		// LocalStack's domain is accepted wherever the suffix is.
		{name: "localstack virtual host", service: "s3", hostBucket: "bucket",
			req: hostRequest("GET", "/", "bucket.s3.localhost.localstack.cloud:4566")},
		{name: "localstack virtual host with region, signed", service: "s3", hostBucket: "my.bucket",
			req: hostRequest("GET", "/key", "my.bucket.s3.eu-west-1.localhost.localstack.cloud:4566", "Authorization", sigV4("s3"))},
		{name: "localstack website host is not a bucket", service: "s3", hostBucket: "",
			req: hostRequest("GET", "/", "site.s3-website.us-east-1.localhost.localstack.cloud:4566")},
		{name: "localstack s3 endpoint host without bucket", service: "s3", hostBucket: "",
			req: hostRequest("GET", "/", "s3.localhost.localstack.cloud:4566")},
		{name: "sigv2 presigned", service: "s3",
			req: newRequest("GET", "/bucket/key?AWSAccessKeyId=test&Expires=1&Signature=x", "")},

		// Lambda and Route 53 paths (unsigned requests have no scope).
		{name: "lambda functions", service: "lambda",
			req: newRequest("GET", "/2015-03-31/functions/", "")},
		{name: "lambda layers", service: "lambda",
			req: newRequest("GET", "/2018-10-31/layers", "")},
		{name: "lambda tags", service: "lambda",
			req: newRequest("GET", "/2017-03-31/tags/arn:aws:lambda:ap-northeast-1:000000000000:function:f", "")},
		{name: "lambda account settings", service: "lambda",
			req: newRequest("GET", "/2016-08-19/account-settings/", "")},
		{name: "route53", service: "route53",
			req: newRequest("GET", "/2013-04-01/hostedzone", "")},

		// Everything else is S3 path style.
		{name: "unknown path falls back to s3", service: "s3",
			req: newRequest("GET", "/some-bucket/some/key", "")},
		{name: "root falls back to s3", service: "s3",
			req: newRequest("GET", "/", "")},
		{name: "unknown version falls back to s3", service: "s3",
			req: newRequest("POST", "/", "Action=X&Version=1999-01-01", "Content-Type", form)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			svc, bucket := tg.resolveService(c.req)
			if svc == nil {
				t.Fatalf("resolved no service, want %s", c.service)
			}
			if svc.Spec.Name != c.service || bucket != c.hostBucket {
				t.Fatalf("resolved %s (bucket %q), want %s (bucket %q)", svc.Spec.Name, bucket, c.service, c.hostBucket)
			}
			if c.stillReadTo != "" {
				var b strings.Builder
				buf := make([]byte, 7) // small reads cross the peeked/unpeeked boundary
				for {
					n, err := c.req.Body.Read(buf)
					b.Write(buf[:n])
					if err != nil {
						break
					}
				}
				if b.String() != c.stillReadTo {
					t.Fatalf("body after routing %q, want %q", b.String(), c.stillReadTo)
				}
			}
		})
	}
}

func hostRequest(method, path, host string, header ...string) *http.Request {
	r := newRequest(method, path, "", header...)
	r.Host = host
	return r
}

// TestHostBucketSuffix: the bucket is read only under the configured
// suffix or LocalStack's localhost.localstack.cloud.
func TestHostBucketSuffix(t *testing.T) {
	g := &Gateway{cfg: Config{S3HostSuffix: "niwa.test"}}
	for host, want := range map[string]string{
		"b.s3.niwa.test":                     "b",
		"B.S3.NIWA.TEST:4566":                "b",
		"b.s3-us-west-2.niwa.test":           "b",
		"b.s3.localhost":                     "",
		"b.s3.niwa.test.evil":                "",
		"niwa.test":                          "",
		".s3.niwa.test":                      "",
		"b.s3-website-us-east-1.niwa.test":   "",
		"a.s3.b.s3.us-east-1.niwa.test":      "a.s3.b",
		"b.sqs.us-east-1.niwa.test":          "",
		"[::1]:4566":                         "",
		"b.s3.dualstack.us-east-1.niwa.test": "",
		// LocalStack's domain, beside the configured suffix.
		"b.s3.localhost.localstack.cloud:4566":              "b",
		"B.S3.US-EAST-1.LOCALHOST.LOCALSTACK.CLOUD":         "b",
		"b.s3-website.us-east-1.localhost.localstack.cloud": "",
		"localhost.localstack.cloud:4566":                   "",
		"b.s3.localstack.cloud":                             "",
	} {
		if got := g.hostBucket(host); got != want {
			t.Errorf("hostBucket(%q) = %q, want %q", host, got, want)
		}
	}
}
