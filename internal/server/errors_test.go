package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestNotImplementedEveryProtocol calls an operation of a service niwa
// routes but does not implement yet, in every protocol family, through
// the real SDK client: each answers NotImplemented (501) naming the
// operation, which the SDK parses and does not retry.
func TestNotImplementedEveryProtocol(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	// Operations niwa has no handler for, one per protocol family; chosen
	// among the rarely used so they stay unimplemented for a while. When
	// one gets a handler, pick another unimplemented operation.
	cases := []struct {
		protocol, operation string
		call                func(aws.Config) error
	}{
		{"query", "IAM.GetOrganizationsAccessReport", func(c aws.Config) error {
			_, err := iam.NewFromConfig(c).GetOrganizationsAccessReport(ctx, &iam.GetOrganizationsAccessReportInput{JobId: aws.String("00000000-0000-0000-0000-000000000000")})
			return err
		}},
		{"ec2", "EC2.DescribeIpams", func(c aws.Config) error {
			_, err := ec2.NewFromConfig(c).DescribeIpams(ctx, &ec2.DescribeIpamsInput{})
			return err
		}},
		{"json", "KMS.DescribeCustomKeyStores", func(c aws.Config) error {
			_, err := kms.NewFromConfig(c).DescribeCustomKeyStores(ctx, &kms.DescribeCustomKeyStoresInput{})
			return err
		}},
		{"rest-json", "API Gateway.GetSdkTypes", func(c aws.Config) error {
			_, err := apigateway.NewFromConfig(c).GetSdkTypes(ctx, &apigateway.GetSdkTypesInput{})
			return err
		}},
		{"rest-xml", "S3.GetObjectTorrent", func(c aws.Config) error {
			_, err := s3.NewFromConfig(c, func(o *s3.Options) { o.UsePathStyle = true }).GetObjectTorrent(ctx,
				&s3.GetObjectTorrentInput{Bucket: aws.String("b"), Key: aws.String("k")})
			return err
		}},
		{"query, implemented service", "IAM.GenerateOrganizationsAccessReport", func(c aws.Config) error {
			_, err := iam.NewFromConfig(c).GenerateOrganizationsAccessReport(ctx, &iam.GenerateOrganizationsAccessReportInput{EntityPath: aws.String("o-a1b2c3d4e5/r-f6g7")})
			return err
		}},
	}
	for _, c := range cases {
		t.Run(c.protocol+"/"+c.operation, func(t *testing.T) {
			cfg, ct := countingConfig(n)
			start := time.Now()
			err := c.call(cfg)
			elapsed := time.Since(start)
			msg := apiErr(t, err, "NotImplemented", 501)
			if !strings.Contains(msg, c.operation) {
				t.Errorf("message %q does not name %s", msg, c.operation)
			}
			// The reason S3 declares for leaving torrents out reaches
			// the client (kit.Declaration.NotImplemented).
			if c.operation == "S3.GetObjectTorrent" && !strings.Contains(msg, "S3.GetObjectTorrent: AWS ended BitTorrent support") {
				t.Errorf("message %q does not say why", msg)
			}
			var re *awshttp.ResponseError
			errors.As(err, &re)
			if re.ServiceRequestID() == "" {
				t.Errorf("the SDK found no request id in %v", err)
			}
			if got := ct.n.Load(); got != 1 {
				t.Errorf("%d attempts: the SDK retried a 501", got)
			}
			if elapsed > 5*time.Second {
				t.Errorf("took %v", elapsed)
			}
		})
	}
}

// TestSQSErrorsAreQueryCompatible: SQS speaks JSON but SDKs still read
// the legacy query code from x-amzn-query-error.
func TestSQSErrorsAreQueryCompatible(t *testing.T) {
	n := niwatest.Start(t)
	r := signed(t, n, time.Now(), rootCreds, "sqs", "POST", "/",
		map[string]string{"X-Amz-Target": "AmazonSQS.GetQueueUrl", "Content-Type": "application/x-amz-json-1.0"}, `{"QueueName":"missing"}`)
	var body map[string]string
	json.Unmarshal([]byte(r.body), &body)
	if r.status != 400 || r.header.Get("X-Amzn-Query-Error") != "AWS.SimpleQueueService.NonExistentQueue;Sender" ||
		body["__type"] != "com.amazonaws.sqs#QueueDoesNotExist" {
		t.Fatalf("%d %v %s", r.status, r.header, r.body)
	}
}

// TestUnknownOperations: an action or target the service's model does not
// have answers each protocol's own error.
func TestUnknownOperations(t *testing.T) {
	n := niwatest.Start(t)
	now := time.Now()

	r := query(t, n, now, rootCreds, "sts", "Action=Bogus&Version=2011-06-15")
	if msg := wantQueryErr(t, r, 400, "InvalidAction"); !strings.Contains(msg, "Bogus") {
		t.Errorf("InvalidAction message %q", msg)
	}
	r = query(t, n, now, rootCreds, "iam", "Version=2010-05-08")
	wantQueryErr(t, r, 400, "MissingAction")

	for _, target := range []string{"DynamoDB_20120810.Bogus", "DynamoDB_20120810.", "Nope_2020.ListTables"} {
		r = signed(t, n, now, rootCreds, "dynamodb", "POST", "/",
			map[string]string{"X-Amz-Target": target, "Content-Type": "application/x-amz-json-1.0"}, "{}")
		var body map[string]string
		json.Unmarshal([]byte(r.body), &body)
		if r.status != 400 || body["__type"] != "UnknownOperationException" || r.header.Get("X-Amzn-Requestid") == "" {
			t.Errorf("target %s: %d %s", target, r.status, r.body)
		}
	}

	r = signed(t, n, now, rootCreds, "lambda", "GET", "/2015-03-31/nothing-here", nil, "")
	if r.status != 404 || !strings.HasPrefix(r.header.Get("X-Amzn-Errortype"), "UnknownOperationException") {
		t.Errorf("lambda unknown path: %d %s", r.status, r.body)
	}
}

// TestValidationFromTheModel: constraints of the AWS model are enforced by
// the gateway before any handler runs, worded as AWS words them.
func TestValidationFromTheModel(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	long := strings.Repeat("r", 65)
	_, err := iam.NewFromConfig(n.AWSConfig()).CreateRole(ctx, &iam.CreateRoleInput{
		RoleName: aws.String(long), AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[]}`),
	})
	msg := apiErr(t, err, "ValidationError", 400)
	want := "1 validation error detected: Value '" + long + "' at 'roleName' failed to satisfy constraint: Member must have length less than or equal to 64"
	if msg != want {
		t.Fatalf("message\n%q\nwant\n%q", msg, want)
	}

	// The SDK refuses to send a request missing a required member, so
	// this one is signed by hand: DynamoDB (JSON) answers
	// ValidationException.
	r := signed(t, n, time.Now(), rootCreds, "dynamodb", "POST", "/",
		map[string]string{"X-Amz-Target": "DynamoDB_20120810.DescribeTable", "Content-Type": "application/x-amz-json-1.0"}, "{}")
	var body map[string]string
	if err := json.Unmarshal([]byte(r.body), &body); err != nil {
		t.Fatalf("%s: %v", r.body, err)
	}
	if r.status != 400 || body["__type"] != "ValidationException" || r.header.Get("X-Amzn-Errortype") != "ValidationException" ||
		body["message"] != "1 validation error detected: Value null at 'tableName' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("missing TableName: %d %v %s", r.status, r.header, r.body)
	}

	// A query service missing a required member: ValidationError.
	r = query(t, n, time.Now(), rootCreds, "iam", "Action=GetRole&Version=2010-05-08")
	if msg := wantQueryErr(t, r, 400, "ValidationError"); msg != "1 validation error detected: Value null at 'roleName' failed to satisfy constraint: Member must not be null" {
		t.Fatalf("missing RoleName: %q", msg)
	}
}

// TestRequestIDsThroughTheSDK: the SDKs find the request id where each
// protocol puts it, on success and on error.
func TestRequestIDsThroughTheSDK(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	out, err := sts.NewFromConfig(n.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := awsmiddleware.GetRequestIDMetadata(out.ResultMetadata); !ok || id == "" {
		t.Errorf("query success: no request id")
	}
	_, err = iam.NewFromConfig(n.AWSConfig()).GetRole(ctx, &iam.GetRoleInput{RoleName: aws.String("missing")})
	var re *awshttp.ResponseError
	if !errors.As(err, &re) || re.ServiceRequestID() == "" {
		t.Errorf("query error: no request id in %v", err)
	}
	_, err = s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true }).HeadBucket(ctx, &s3.HeadBucketInput{Bucket: aws.String("missing")})
	if err == nil {
		t.Fatal("HeadBucket of a missing bucket succeeded")
	}
	_, err = s3.NewFromConfig(n.AWSConfig(), func(o *s3.Options) { o.UsePathStyle = true }).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String("missing"), Key: aws.String("k")})
	var s3err interface {
		ServiceRequestID() string
		ServiceHostID() string
	}
	if !errors.As(err, &s3err) || s3err.ServiceRequestID() == "" || s3err.ServiceHostID() == "" {
		t.Errorf("s3 error: request id / host id missing in %v", err)
	}
}

// TestS3VirtualHostThroughTheSDK: an SDK client addressing buckets by
// host (bucket.s3.localhost) reaches the bucket's operation, signed and
// verified with the virtual host.
func TestS3VirtualHostThroughTheSDK(t *testing.T) {
	n := niwatest.Start(t)
	addr := strings.TrimPrefix(n.Endpoint, "http://")
	_, port, _ := net.SplitHostPort(addr)
	cfg := n.AWSConfig()
	var hosts []string
	var mu sync.Mutex
	cfg.HTTPClient = &http.Client{Transport: &http.Transport{
		// *.s3.localhost need not resolve on the test machine: every
		// connection goes to niwa.
		DialContext: func(ctx context.Context, network, a string) (net.Conn, error) {
			mu.Lock()
			hosts = append(hosts, a)
			mu.Unlock()
			return (&net.Dialer{}).DialContext(ctx, network, addr)
		},
	}}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.BaseEndpoint = aws.String("http://s3.localhost:" + port)
		o.UsePathStyle = false
	})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("photos"),
		CreateBucketConfiguration: &s3types.CreateBucketConfiguration{LocationConstraint: s3types.BucketLocationConstraint(n.Region)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String("photos"), Key: aws.String("a/b.jpg"), Body: strings.NewReader("x")}); err != nil {
		t.Fatal(err)
	}
	out, err := client.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("photos")})
	if err != nil || len(out.Contents) != 1 || aws.ToString(out.Contents[0].Key) != "a/b.jpg" {
		t.Fatalf("virtual-host ListObjectsV2: %v %+v", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(hosts) == 0 || hosts[0] != "photos.s3.localhost:"+port {
		t.Fatalf("the SDK dialled %v, not the virtual host", hosts)
	}
}

// TestUnsignedRequests: only S3 serves anonymous requests; every other
// service, however the gateway found it, asks for a signature in its own
// vocabulary.
func TestUnsignedRequests(t *testing.T) {
	n := niwatest.Start(t)
	do := func(method, path, body string, header ...string) rawResponse {
		req, _ := http.NewRequest(method, n.Endpoint+path, strings.NewReader(body))
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return rawResponse{resp.StatusCode, resp.Header, string(b)}
	}
	form := "application/x-www-form-urlencoded"

	r := do("POST", "/", "Action=GetCallerIdentity&Version=2011-06-15", "Content-Type", form)
	wantQueryErr(t, r, 403, "MissingAuthenticationToken")

	r = do("POST", "/", "{}", "X-Amz-Target", "DynamoDB_20120810.ListTables", "Content-Type", "application/x-amz-json-1.0")
	if r.status != 400 || !strings.Contains(r.body, "MissingAuthenticationTokenException") {
		t.Errorf("dynamodb: %d %s", r.status, r.body)
	}

	for _, p := range []string{"/2015-03-31/functions/", "/2017-03-31/tags/arn:aws:lambda:ap-northeast-1:000000000000:function:f", "/2021-10-31/functions/f/url"} {
		r = do("GET", p, "")
		if r.status != 403 || !strings.HasPrefix(r.header.Get("X-Amzn-Errortype"), "MissingAuthenticationTokenException") {
			t.Errorf("lambda %s: %d %v %s", p, r.status, r.header, r.body)
		}
	}

	r = do("GET", "/2013-04-01/hostedzone", "")
	if r.status != 403 || !strings.Contains(r.body, "MissingAuthenticationToken") {
		t.Errorf("route53: %d %s", r.status, r.body)
	}

	// S3 takes anonymous requests and answers them itself: a bucket that
	// does not exist is NoSuchBucket, as on AWS.
	r = do("GET", "/public-bucket/key.txt", "")
	if r.status != 404 || !strings.Contains(r.body, "NoSuchBucket") || r.header.Get("X-Amz-Request-Id") == "" {
		t.Errorf("s3 anonymous: %d %s", r.status, r.body)
	}
}
