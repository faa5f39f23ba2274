package rest

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
)

// loadModel reads a real service model from the aws-sdk-go module.
func loadModel(t testing.TB, name string) *model.Service {
	t.Helper()
	dir := filepath.Join(filepath.Dir(protocoltest.Dir(t)), "apis", name)
	matches, _ := filepath.Glob(filepath.Join(dir, "*", "api-2.json"))
	if len(matches) == 0 {
		t.Fatalf("no model for %s", name)
	}
	data, err := os.ReadFile(matches[len(matches)-1])
	if err != nil {
		t.Fatal(err)
	}
	svc, err := model.Load(data)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func newReq(method, target string, headers ...string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	return r
}

func TestS3Routing(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	cases := []struct {
		method, uri string
		headers     []string
		want        string
	}{
		{"GET", "/", nil, "ListBuckets"},
		{"GET", "/?max-directory-buckets=10", nil, "ListDirectoryBuckets"},
		{"PUT", "/bucket", nil, "CreateBucket"},
		{"PUT", "/bucket/", nil, "CreateBucket"},
		{"HEAD", "/bucket", nil, "HeadBucket"},
		{"DELETE", "/bucket", nil, "DeleteBucket"},
		{"GET", "/bucket", nil, "ListObjects"},
		{"GET", "/bucket/", nil, "ListObjects"},
		{"GET", "/bucket?list-type=2&prefix=a%2Fb&delimiter=%2F", nil, "ListObjectsV2"},
		{"GET", "/bucket?list-type=1", nil, "ListObjects"},
		{"GET", "/bucket?acl", nil, "GetBucketAcl"},
		{"PUT", "/bucket?acl", nil, "PutBucketAcl"},
		{"GET", "/bucket?location", nil, "GetBucketLocation"},
		{"GET", "/bucket?versions", nil, "ListObjectVersions"},
		{"GET", "/bucket?uploads", nil, "ListMultipartUploads"},
		{"GET", "/bucket?lifecycle", nil, "GetBucketLifecycleConfiguration"},
		{"PUT", "/bucket?lifecycle", nil, "PutBucketLifecycleConfiguration"},
		{"GET", "/bucket?notification", nil, "GetBucketNotificationConfiguration"},
		{"GET", "/bucket?analytics", nil, "ListBucketAnalyticsConfigurations"},
		{"GET", "/bucket?analytics&id=x", nil, "GetBucketAnalyticsConfiguration"},
		{"POST", "/bucket?delete", nil, "DeleteObjects"},
		{"GET", "/bucket/key", nil, "GetObject"},
		{"GET", "/bucket/dir/sub/key.txt?versionId=3", nil, "GetObject"},
		{"HEAD", "/bucket/key", nil, "HeadObject"},
		{"GET", "/bucket/key?acl", nil, "GetObjectAcl"},
		{"GET", "/bucket/key?tagging", nil, "GetObjectTagging"},
		{"GET", "/bucket/key?uploadId=u1", nil, "ListParts"},
		{"PUT", "/bucket/key", nil, "PutObject"},
		{"PUT", "/bucket/key", []string{"X-Amz-Copy-Source", "/src/k"}, "CopyObject"},
		{"PUT", "/bucket/key?partNumber=1&uploadId=u1", nil, "UploadPart"},
		{"PUT", "/bucket/key?partNumber=1&uploadId=u1", []string{"X-Amz-Copy-Source", "/src/k"}, "UploadPartCopy"},
		{"POST", "/bucket/key?uploads", nil, "CreateMultipartUpload"},
		{"POST", "/bucket/key?uploadId=u1", nil, "CompleteMultipartUpload"},
		{"DELETE", "/bucket/key?uploadId=u1", nil, "AbortMultipartUpload"},
		{"DELETE", "/bucket/key", nil, "DeleteObject"},
		{"POST", "/bucket/key?restore", nil, "RestoreObject"},
		{"POST", "/bucket/key?select&select-type=2", nil, "SelectObjectContent"},
		// The SDKs' x-id hint.
		{"PUT", "/bucket/key?x-id=PutObject", nil, "PutObject"},
		{"GET", "/bucket/key?uploadId=u1&x-id=ListParts", nil, "ListParts"},
		{"GET", "/bucket?list-type=2&x-id=ListObjectsV2", nil, "ListObjectsV2"},
		{"GET", "/bucket/key?x-id=ListObjectsV2", nil, "GetObject"}, // hint for another path: ignored
	}
	for _, c := range cases {
		for _, style := range []string{"path", "virtual"} {
			r := newReq(c.method, c.uri, c.headers...)
			req := protocol.NewRequest(r, nil)
			if style == "virtual" {
				// bucket.s3.localhost/key: the gateway takes the bucket
				// from the host.
				rest, ok := strings.CutPrefix(r.URL.Path, "/bucket")
				if !ok {
					continue
				}
				if rest == "" {
					rest = "/"
				}
				vr := newReq(c.method, rest+queryOf(c.uri), c.headers...)
				vr.Host = "bucket.s3.localhost"
				req = protocol.NewRequest(vr, nil)
				req.HostBucket = "bucket"
			}
			op, err := codec.Resolve(s3, req)
			if err != nil {
				t.Errorf("%s %s (%s): %v", c.method, c.uri, style, err)
				continue
			}
			if op.Name != c.want {
				t.Errorf("%s %s (%s) = %s, want %s", c.method, c.uri, style, op.Name, c.want)
				continue
			}
			in, err := codec.Decode(op, req)
			if err != nil {
				t.Errorf("%s %s (%s): decode: %v", c.method, c.uri, style, err)
				continue
			}
			if op.Input != nil {
				if _, ok := op.Input.Shape.MemberByName("Bucket"); ok && in["Bucket"] != "bucket" {
					t.Errorf("%s %s (%s): Bucket = %v", c.method, c.uri, style, in["Bucket"])
				}
			}
		}
	}
}

func queryOf(uri string) string {
	if i := strings.IndexByte(uri, '?'); i >= 0 {
		return uri[i:]
	}
	return ""
}

func TestS3DecodeObjectRequests(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)

	// PutObject: greedy key with escapes, user metadata, streaming body
	// left unread.
	r := httptest.NewRequest("PUT", "/bucket/a%20dir/b%2Bc/d.txt", strings.NewReader("hello"))
	r.Header.Set("Content-Type", "text/plain")
	r.Header.Set("X-Amz-Meta-Owner", "ann")
	r.Header.Set("Content-Length", "5")
	req := protocol.NewRequest(r, nil)
	op, err := codec.Resolve(s3, req)
	if err != nil || op.Name != "PutObject" {
		t.Fatalf("resolve: %v %v", op, err)
	}
	in, err := codec.Decode(op, req)
	if err != nil {
		t.Fatal(err)
	}
	if in["Key"] != "a dir/b+c/d.txt" || in["ContentType"] != "text/plain" || in["ContentLength"] != int64(5) {
		t.Fatalf("decoded %v", in)
	}
	if md, _ := in["Metadata"].(map[string]any); md["owner"] != "ann" {
		t.Fatalf("metadata %v", in["Metadata"])
	}
	if in["Body"] != req.Body {
		t.Fatalf("Body is %T, want the request body reader", in["Body"])
	}

	// CompleteMultipartUpload: XML payload.
	body := `<CompleteMultipartUpload xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Part><ETag>"e1"</ETag><PartNumber>1</PartNumber></Part><Part><ETag>"e2"</ETag><PartNumber>2</PartNumber></Part></CompleteMultipartUpload>`
	r = httptest.NewRequest("POST", "/bucket/k?uploadId=u1", strings.NewReader(body))
	req = protocol.NewRequest(r, nil)
	op, err = codec.Resolve(s3, req)
	if err != nil || op.Name != "CompleteMultipartUpload" {
		t.Fatalf("resolve: %v %v", op, err)
	}
	in, err = codec.Decode(op, req)
	if err != nil {
		t.Fatal(err)
	}
	parts := in["MultipartUpload"].(map[string]any)["Parts"].([]any)
	if len(parts) != 2 || parts[1].(map[string]any)["PartNumber"] != int64(2) || in["UploadId"] != "u1" {
		t.Fatalf("decoded %v", in)
	}

	// Malformed XML is MalformedXML.
	r = httptest.NewRequest("POST", "/bucket/k?uploadId=u1", strings.NewReader("<Complete"))
	req = protocol.NewRequest(r, nil)
	_, err = codec.Decode(op, req)
	if e := awserr.As(err); e.Code.Code != "MalformedXML" {
		t.Fatalf("got %v", err)
	}
}

func TestS3Unroutable(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	req := protocol.NewRequest(newReq("PATCH", "/bucket/key"), nil)
	_, err := codec.Resolve(s3, req)
	e := awserr.As(err)
	if e.Code.Code != "MethodNotAllowed" || e.Code.Status != 405 || e.Fields["ResourceType"] != "OBJECT" || e.Fields["Method"] != "PATCH" {
		t.Fatalf("got %+v", e)
	}
	rec := httptest.NewRecorder()
	codec.EncodeError(rec, s3, nil, e, protocol.Meta{RequestID: "R", HostID: "H"})
	if rec.Code != 405 || !strings.Contains(rec.Body.String(), "<Method>PATCH</Method><ResourceType>OBJECT</ResourceType><RequestId>R</RequestId><HostId>H</HostId></Error>") {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestS3HeadErrorHasNoBody(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	rec := httptest.NewRecorder()
	e := awserr.Code{Code: "NoSuchKey", Status: 404, Sender: true}.New("The specified key does not exist.")
	codec.EncodeError(rec, s3, s3.Operations["HeadObject"], e, protocol.Meta{RequestID: "R", HostID: "H"})
	if rec.Code != 404 || rec.Body.Len() != 0 || rec.Header().Get("X-Amz-Request-Id") != "R" || rec.Header().Get("X-Amz-Id-2") != "H" ||
		rec.Header().Get("Content-Type") != "application/xml" { // as S3 labels it
		t.Fatalf("%d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
}

func TestS3HeadObjectKeepsContentLength(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	codec.Prepare(s3)
	rec := httptest.NewRecorder()
	err := codec.Encode(rec, s3.Operations["HeadObject"], map[string]any{"ContentLength": int64(1234), "ETag": `"abc"`, "Metadata": map[string]any{"owner": "ann"}}, protocol.Meta{RequestID: "R"})
	if err != nil {
		t.Fatal(err)
	}
	h := rec.Header()
	//lint:ignore SA1008 the key is read as S3 writes it, not canonicalized.
	if h.Get("Content-Length") != "1234" || h.Get("Etag") != `"abc"` || h["x-amz-meta-owner"][0] != "ann" || rec.Body.Len() != 0 { // lower case on the wire, as S3 sends it
		t.Fatalf("%v %q", h, rec.Body.String())
	}
}

func TestS3GetBucketLocation(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	codec.Prepare(s3)
	for region, want := range map[string]string{
		"eu-west-1": `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">eu-west-1</LocationConstraint>`,
		"":          `<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></LocationConstraint>`,
	} {
		rec := httptest.NewRecorder()
		out := map[string]any{}
		if region != "" {
			out["LocationConstraint"] = region
		}
		if err := codec.Encode(rec, s3.Operations["GetBucketLocation"], out, protocol.Meta{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasSuffix(rec.Body.String(), want) {
			t.Fatalf("got %s", rec.Body.String())
		}
	}
}

func TestLambdaRouting(t *testing.T) {
	lambda := loadModel(t, "lambda")
	codec := NewJSON().(*Codec)
	cases := []struct{ method, uri, want string }{
		{"GET", "/2015-03-31/functions/", "ListFunctions"},
		{"GET", "/2015-03-31/functions", "ListFunctions"},
		{"POST", "/2015-03-31/functions", "CreateFunction"},
		{"GET", "/2015-03-31/functions/my-fn", "GetFunction"},
		{"GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Amy-fn", "GetFunction"},
		{"GET", "/2015-03-31/functions/my-fn/configuration", "GetFunctionConfiguration"},
		{"POST", "/2015-03-31/functions/my-fn/invocations", "Invoke"},
		{"GET", "/2018-10-31/layers", "ListLayers"},
		{"GET", "/2018-10-31/layers?find=LayerVersion&Arn=x", "GetLayerVersionByArn"},
		{"GET", "/2019-09-30/functions/f/provisioned-concurrency?List=ALL", "ListProvisionedConcurrencyConfigs"},
		{"GET", "/2019-09-30/functions/f/provisioned-concurrency?Qualifier=1", "GetProvisionedConcurrencyConfig"},
	}
	for _, c := range cases {
		req := protocol.NewRequest(newReq(c.method, c.uri), nil)
		op, err := codec.Resolve(lambda, req)
		if err != nil || op.Name != c.want {
			t.Errorf("%s %s = %v %v, want %s", c.method, c.uri, op, err, c.want)
		}
	}
	req := protocol.NewRequest(newReq("GET", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A000000000000%3Afunction%3Amy-fn?Qualifier=2"), nil)
	op, _ := codec.Resolve(lambda, req)
	in, err := codec.Decode(op, req)
	if err != nil || in["FunctionName"] != "arn:aws:lambda:us-east-1:000000000000:function:my-fn" || in["Qualifier"] != "2" {
		t.Fatalf("decoded %v %v", in, err)
	}
	_, err = codec.Resolve(lambda, protocol.NewRequest(newReq("GET", "/nope"), nil))
	if e := awserr.As(err); e.Code.Code != "UnknownOperationException" || e.Code.Status != 404 {
		t.Fatalf("got %v", err)
	}
}

// The router is built once per model, safely under concurrency.
func TestRouterBuiltOnceConcurrently(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := protocol.NewRequest(newReq("GET", "/b?list-type=2"), nil)
			if op, err := codec.Resolve(s3, req); err != nil || op.Name != "ListObjectsV2" {
				t.Errorf("%v %v", op, err)
			}
		}()
	}
	wg.Wait()
}

func BenchmarkS3Resolve(b *testing.B) {
	s3 := loadModel(b, "s3")
	codec := NewXML().(*Codec)
	r := newReq("PUT", "/bucket/some/key.txt?partNumber=1&uploadId=u1")
	b.ReportAllocs()
	for b.Loop() {
		req := protocol.NewRequest(r, nil)
		if _, err := codec.Resolve(s3, req); err != nil {
			b.Fatal(err)
		}
	}
}

func TestNoContentHasNoLength(t *testing.T) {
	s3 := loadModel(t, "s3")
	codec := NewXML().(*Codec)
	codec.Prepare(s3)
	rec := httptest.NewRecorder()
	if err := codec.Encode(rec, s3.Operations["DeleteObject"], map[string]any{"DeleteMarker": true}, protocol.Meta{RequestID: "R"}); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 204 || rec.Header().Get("Content-Length") != "" || rec.Header().Get("X-Amz-Delete-Marker") != "true" || rec.Body.Len() != 0 {
		t.Fatalf("%d %v %q", rec.Code, rec.Header(), rec.Body.String())
	}
}
