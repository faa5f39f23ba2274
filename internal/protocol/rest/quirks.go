package rest

import (
	"net/http"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
)

// This file is the one place for wire behaviour that belongs to a service
// rather than to its protocol. Each quirk says which client behaviour
// needs it.

// quirks are the service-specific behaviours of one model.
type quirks struct {
	s3     bool // serviceId "S3"
	lambda bool // serviceId "Lambda"
	// inputErrorCode is the code a request that does not fit the model is
	// answered with in rest-xml services other than S3.
	inputErrorCode awserr.Code
}

func quirksFor(svc *model.Service) *quirks {
	q := &quirks{
		s3:             svc.Metadata.ServiceID == "S3",
		lambda:         svc.Metadata.ServiceID == "Lambda",
		inputErrorCode: awserr.Code{Code: "InvalidInput", Status: http.StatusBadRequest, Sender: true},
	}
	// Route 53 models InvalidInput, CloudFront InvalidArgument: answer
	// with the one the service's clients know.
	if _, ok := svc.Shapes["InvalidInput"]; !ok {
		if _, ok := svc.Shapes["InvalidArgument"]; ok {
			q.inputErrorCode.Code = "InvalidArgument"
		}
	}
	return q
}

// s3Code is one of the S3 error codes the codec raises itself.
func s3Code(code string) awserr.Code {
	switch code {
	case "MethodNotAllowed":
		return awserr.Code{Code: code, Status: http.StatusMethodNotAllowed, Sender: true}
	case "NotImplemented":
		return awserr.Code{Code: code, Status: http.StatusNotImplemented}
	}
	return awserr.Code{Code: code, Status: http.StatusBadRequest, Sender: true} // MalformedXML, InvalidArgument
}

// s3Namespace is the namespace of every S3 XML document.
const s3Namespace = "http://s3.amazonaws.com/doc/2006-03-01/"

// s3RootElement is the root element S3 gives an output document whose
// model names none. Clients ignore the root name, but tools that parse
// S3's XML by hand (and the S3 documentation's examples, which the AWS CLI
// `s3` commands were written against) expect these.
func s3RootElement(op string) string {
	switch op {
	case "ListObjects", "ListObjectsV2":
		return "ListBucketResult"
	case "ListBuckets":
		return "ListAllMyBucketsResult"
	case "ListDirectoryBuckets":
		return "ListAllMyDirectoryBucketsResult"
	case "ListObjectVersions":
		return "ListVersionsResult"
	case "ListMultipartUploads":
		return "ListMultipartUploadsResult"
	case "ListParts":
		return "ListPartsResult"
	case "CreateMultipartUpload":
		return "InitiateMultipartUploadResult"
	case "CompleteMultipartUpload":
		return "CompleteMultipartUploadResult"
	case "CreateSession":
		return "CreateSessionResult"
	case "DeleteObjects":
		return "DeleteResult"
	case "GetBucketAcl", "GetObjectAcl":
		return "AccessControlPolicy"
	case "GetBucketAccelerateConfiguration":
		return "AccelerateConfiguration"
	case "GetBucketCors":
		return "CORSConfiguration"
	case "GetBucketLifecycle", "GetBucketLifecycleConfiguration":
		return "LifecycleConfiguration"
	case "GetBucketLocation":
		return "LocationConstraint"
	case "GetBucketLogging":
		return "BucketLoggingStatus"
	case "GetBucketNotification", "GetBucketNotificationConfiguration":
		return "NotificationConfiguration"
	case "GetBucketRequestPayment":
		return "RequestPaymentConfiguration"
	case "GetBucketTagging", "GetObjectTagging":
		return "Tagging"
	case "GetBucketVersioning":
		return "VersioningConfiguration"
	case "GetBucketWebsite":
		return "WebsiteConfiguration"
	case "GetObjectAttributes":
		return "GetObjectAttributesResponse"
	case "ListBucketAnalyticsConfigurations":
		return "ListBucketAnalyticsConfigurationResult"
	case "ListBucketIntelligentTieringConfigurations":
		return "ListBucketIntelligentTieringConfigurationsOutput"
	case "ListBucketInventoryConfigurations":
		return "ListInventoryConfigurationsResult"
	case "ListBucketMetricsConfigurations":
		return "ListMetricsConfigurationsResult"
	}
	return ""
}

// s3BucketLocation reports whether op is S3's GetBucketLocation, whose
// response is the bare <LocationConstraint> element holding the region
// (empty for us-east-1). botocore (handlers.parse_get_bucket_location) and
// the Go SDK v2 (s3 customizations) read the root element's text, not a
// member element.
func s3BucketLocation(op *model.Operation) bool { return op.Name == "GetBucketLocation" }

// s3OperationHint is the operation named by the x-id query parameter that
// the Go SDK v2 and JavaScript SDK v3 add to S3 requests
// (?x-id=PutObject; Smithy's S3 model has it in the request URIs). When it
// names an operation the request matches, routing takes it as given.
func s3OperationHint(query map[string][]string) string {
	if v := query["x-id"]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// s3RequestIDHeaders: S3 answers with x-amz-request-id and x-amz-id-2
// (botocore reads ResponseMetadata.RequestId/HostId from these, the Go SDK
// v2 s3 middleware too) instead of x-amzn-RequestId.
func s3RequestIDHeaders(h http.Header, meta protocol.Meta) {
	// Either left alone when empty.
	protocol.SetHeaders(h, "X-Amz-Request-Id", meta.RequestID, "X-Amz-Id-2", meta.HostID)
}

// s3Unroutable answers a request that matches no S3 operation as S3 does:
// 405 MethodNotAllowed naming the method and the resource type when the
// resource exists with other methods, NotImplemented otherwise.
func s3Unroutable(method, path string, resourceKnown bool) *awserr.Error {
	if !resourceKnown && method != http.MethodPost {
		return s3Code("NotImplemented").New("A header you provided implies functionality that is not implemented")
	}
	resource := "SERVICE"
	if segs := splitPath(path); len(segs) > 0 && segs[0] != "" {
		resource = "BUCKET"
		if len(segs) > 1 && strings.Join(segs[1:], "") != "" {
			resource = "OBJECT"
		}
	}
	return s3Code("MethodNotAllowed").New("The specified method is not allowed against this resource.").
		With("Method", method).With("ResourceType", resource)
}

// xmlInputError is the error for a rest-xml request that does not fit the
// model: S3 answers a body it cannot read with MalformedXML and a bad
// header or parameter with InvalidArgument; Route 53 and CloudFront use
// their modeled input error.
func (q *quirks) xmlInputError(err error) *awserr.Error {
	if q == nil {
		return awserr.Code{Code: "InvalidInput", Status: http.StatusBadRequest, Sender: true}.New("%v", err)
	}
	if q.s3 {
		if _, body := err.(*xmlBodyError); body {
			return s3Code("MalformedXML").New("The XML you provided was not well-formed or did not validate against our published schema")
		}
		return s3Code("InvalidArgument").New("%v", err)
	}
	return q.inputErrorCode.New("%v", err)
}

// jsonErrorFields adds the members a service's rest-json errors always
// carry. Lambda's errors have "Type": "User" or "Service" beside the
// message (the Lambda model's exception shapes declare it and the Java and
// Go SDKs expose it as the error's Type).
func (q *quirks) jsonErrorFields(sh *model.Shape, e *awserr.Error) map[string]any {
	if !q.lambda || sh == nil {
		return e.Fields
	}
	if _, ok := sh.MemberByName("Type"); !ok {
		return e.Fields
	}
	if _, ok := e.Fields["Type"]; ok {
		return e.Fields
	}
	fields := make(map[string]any, len(e.Fields)+1)
	for k, v := range e.Fields {
		fields[k] = v
	}
	fields["Type"] = "Service"
	if e.Code.Sender {
		fields["Type"] = "User"
	}
	return fields
}

// s3PartialContent reports whether an S3 GetObject or HeadObject answer is
// a byte range (a Content-Range was set): S3 answers ranged and
// part-number GETs and HEADs with 206 Partial Content, which the model has
// no status member for. The aws CLI's parallel ranged downloads and curl -r
// rely on it.
func s3PartialContent(op *model.Operation, out *output) bool {
	if op.Name != "GetObject" && op.Name != "HeadObject" {
		return false
	}
	v, ok := out.byName(op.Output.Shape, "ContentRange")
	return ok && v != nil && v != ""
}
