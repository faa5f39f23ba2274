package rest

import (
	"bytes"
	"flag"
	"github.com/niwa-cloud/niwa/internal/protocol/protocoltest"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func dump(rec *httptest.ResponseRecorder) []byte { return protocoltest.DumpResponse(rec) }

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	protocoltest.Golden(t, name, got, *update)
}

func TestGoldenS3ListObjectsV2(t *testing.T) {
	s3 := loadModel(t, "s3")
	c := NewXML().(*Codec)
	req := protocol.NewRequest(newReq("GET", "/photos?list-type=2&prefix=2024%2F&delimiter=%2F&max-keys=2"), nil)
	op, err := c.Resolve(s3, req)
	if err != nil || op.Name != "ListObjectsV2" {
		t.Fatalf("%v %v", op, err)
	}
	in, err := c.Decode(op, req)
	if err != nil {
		t.Fatal(err)
	}
	if in["Bucket"] != "photos" || in["Prefix"] != "2024/" || in["Delimiter"] != "/" || in["MaxKeys"] != int64(2) {
		t.Fatalf("decoded %v", in)
	}
	mod := time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC)
	out := map[string]any{
		"Name": "photos", "Prefix": "2024/", "Delimiter": "/", "MaxKeys": int64(2), "KeyCount": int64(2),
		"IsTruncated": true, "NextContinuationToken": "token-2", "EncodingType": "url",
		"Contents": []any{
			map[string]any{"Key": "2024/a.jpg", "LastModified": mod, "ETag": `"9b2cf535f27731c974343645a3985328"`, "Size": int64(1024), "StorageClass": "STANDARD"},
		},
		"CommonPrefixes": []any{map[string]any{"Prefix": "2024/may/"}},
	}
	rec := httptest.NewRecorder()
	if err := c.Encode(rec, op, out, protocol.Meta{RequestID: "REQ-1", HostID: "HOST-1"}); err != nil {
		t.Fatal(err)
	}
	if name, ns := xmlRoot(t, rec.Body.Bytes()); name != "ListBucketResult" || ns != s3Namespace {
		t.Fatalf("root %s %s", name, ns)
	}
	golden(t, "s3_listobjectsv2", dump(rec))
}

func TestGoldenS3NoSuchKey(t *testing.T) {
	s3 := loadModel(t, "s3")
	c := NewXML().(*Codec)
	code := awserr.Code{Code: "NoSuchKey", Status: 404, Sender: true}
	e := code.New("The specified key does not exist.").With("Key", "missing.txt")
	rec := httptest.NewRecorder()
	c.EncodeError(rec, s3, s3.Operations["GetObject"], e, protocol.Meta{RequestID: "REQ-2", HostID: "HOST-2"})
	golden(t, "s3_nosuchkey", dump(rec))
}

func TestGoldenS3GetObject(t *testing.T) {
	s3 := loadModel(t, "s3")
	c := NewXML().(*Codec)
	c.Prepare(s3)
	out := map[string]any{
		"Body": strings.NewReader("hello world"), "ContentLength": int64(11), "ContentType": "text/plain",
		"ETag": `"5eb63bbbe01eeed093cb22bb8f5acdc3"`, "LastModified": time.Date(2024, 5, 1, 12, 30, 0, 0, time.UTC),
		"Metadata": map[string]any{"owner": "ann"}, "AcceptRanges": "bytes",
	}
	rec := httptest.NewRecorder()
	if err := c.Encode(rec, s3.Operations["GetObject"], out, protocol.Meta{RequestID: "REQ-3", HostID: "HOST-3"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "s3_getobject", dump(rec))
}

func TestGoldenLambdaGetFunction(t *testing.T) {
	lambda := loadModel(t, "lambda")
	c := NewJSON().(*Codec)
	req := protocol.NewRequest(newReq("GET", "/2015-03-31/functions/my-fn"), nil)
	op, err := c.Resolve(lambda, req)
	if err != nil || op.Name != "GetFunction" {
		t.Fatalf("%v %v", op, err)
	}
	out := map[string]any{
		"Configuration": map[string]any{
			"FunctionName": "my-fn", "FunctionArn": "arn:aws:lambda:us-east-1:000000000000:function:my-fn",
			"Runtime": "python3.12", "Role": "arn:aws:iam::000000000000:role/r", "Handler": "app.handler",
			"CodeSize": int64(321), "Timeout": int64(3), "MemorySize": int64(128),
			"LastModified": "2024-05-01T12:30:00.000+0000", "Version": "$LATEST", "State": "Active",
			"Architectures": []any{"x86_64"},
			"Environment":   map[string]any{"Variables": map[string]any{"STAGE": "test"}},
		},
		"Code": map[string]any{"RepositoryType": "S3", "Location": "http://localhost:4566/code/my-fn.zip"},
		"Tags": map[string]any{"team": "a"},
	}
	rec := httptest.NewRecorder()
	if err := c.Encode(rec, op, out, protocol.Meta{RequestID: "REQ-4"}); err != nil {
		t.Fatal(err)
	}
	golden(t, "lambda_getfunction", dump(rec))
}

func TestGoldenLambdaNotFound(t *testing.T) {
	lambda := loadModel(t, "lambda")
	c := NewJSON().(*Codec)
	code := awserr.Code{Code: "ResourceNotFoundException", Status: 404, Sender: true}
	rec := httptest.NewRecorder()
	c.EncodeError(rec, lambda, lambda.Operations["GetFunction"], code.New("Function not found: arn:aws:lambda:us-east-1:000000000000:function:nope"), protocol.Meta{RequestID: "REQ-5"})
	golden(t, "lambda_notfound", dump(rec))
}

func TestGoldenRoute53Error(t *testing.T) {
	r53 := loadModel(t, "route53")
	c := NewXML().(*Codec)
	code := awserr.Code{Code: "NoSuchHostedZone", Status: 404, Sender: true}
	rec := httptest.NewRecorder()
	c.EncodeError(rec, r53, r53.Operations["GetHostedZone"], code.New("No hosted zone found with ID: Z1"), protocol.Meta{RequestID: "REQ-6"})
	golden(t, "route53_error", dump(rec))
}

// TestEncodeWithoutResolve: Encode and EncodeError on a codec that never
// resolved (or prepared) the operation's model answer exactly as one that
// did: the service's quirks and namespace come from op.Service.
func TestEncodeWithoutResolve(t *testing.T) {
	s3 := loadModel(t, "s3")
	op := s3.Operations["GetBucketLocation"]
	encode := func(c *Codec) []byte {
		rec := httptest.NewRecorder()
		if err := c.Encode(rec, op, map[string]any{"LocationConstraint": "eu-west-1"}, protocol.Meta{RequestID: "R", HostID: "H"}); err != nil {
			t.Fatal(err)
		}
		return dump(rec)
	}
	encodeError := func(c *Codec) []byte {
		rec := httptest.NewRecorder()
		c.EncodeError(rec, nil, op, awserr.Code{Code: "NoSuchBucket", Status: 404, Sender: true}.New("no bucket"), protocol.Meta{RequestID: "R", HostID: "H"})
		return dump(rec)
	}
	resolved := NewXML().(*Codec)
	req := protocol.NewRequest(newReq("GET", "/b?location"), nil)
	if got, err := resolved.Resolve(s3, req); err != nil || got != op {
		t.Fatalf("resolved %v %v", got, err)
	}
	want, got := encode(resolved), encode(NewXML().(*Codec))
	if !bytes.Equal(want, got) {
		t.Fatalf("unresolved Encode differs:\n--- resolved\n%s\n--- unresolved\n%s", want, got)
	}
	if !bytes.Contains(got, []byte(`xmlns="`+s3Namespace+`"`)) || !bytes.Contains(got, []byte("X-Amz-Id-2: H")) {
		t.Fatalf("S3 quirks missing:\n%s", got)
	}
	if want, got := encodeError(resolved), encodeError(NewXML().(*Codec)); !bytes.Equal(want, got) {
		t.Fatalf("unresolved EncodeError differs:\n--- resolved\n%s\n--- unresolved\n%s", want, got)
	}
}
