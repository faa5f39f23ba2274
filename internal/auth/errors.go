package auth

import (
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

// This file is the only place that knows how AWS words an authentication
// failure. The same failure reads differently per service family (S3 says
// InvalidAccessKeyId, STS says InvalidClientTokenId, DynamoDB says
// UnrecognizedClientException with a 400, Lambda the same with a 403), so
// the verifier names failures abstractly and looks the wording up here.

// Dialect selects the error vocabulary of the service being called.
type Dialect int

const (
	// DialectS3 is S3's rest-xml vocabulary.
	DialectS3 Dialect = iota
	// DialectQuery is the query and ec2 protocols' vocabulary (STS, IAM,
	// SNS, SQS over query, EC2, CloudFormation...).
	DialectQuery
	// DialectJSON is the JSON-RPC services' vocabulary (DynamoDB, KMS,
	// Logs, SQS over JSON, Kinesis...), whose front end answers
	// authentication failures with 400.
	DialectJSON
	// DialectRestJSON is the rest-json services' vocabulary (Lambda, API
	// Gateway, EKS...): the same codes as DialectJSON, but their front end
	// answers authentication failures with 403.
	DialectRestJSON
)

func (d Dialect) String() string {
	switch d {
	case DialectS3:
		return "s3"
	case DialectQuery:
		return "query"
	case DialectJSON:
		return "json"
	case DialectRestJSON:
		return "rest-json"
	}
	return "unknown"
}

// failure names an authentication failure independently of its wording.
type failure int

const (
	failMissingAuth failure = iota
	failUnknownKey
	failSignatureMismatch
	failInvalidToken
	failExpiredToken
	failSkewExpired
	failSkewNotYetCurrent
	failPresignExpired
	failPresignNotYetValid
	failMalformedHeader
	failMalformedCredential
	failCredentialDate
	failMissingDate
	failPresignMissingParams
	failPresignAlgorithm
	failPresignExpiresNumber
	failPresignExpiresNegative
	failPresignExpiresTooLarge
	failPresignCredential
	failPresignDate
	failPresignCredentialDate
	failMultipleAuth
	failUnsupportedAuthType
	failSigV4A
	failSigV2Malformed
	failSigV2QueryMissing
	failSigV2Expires
	failMissingContentSHA256
	failInvalidContentSHA256
	failContentSHA256Mismatch
	failIncompleteBody
	failInvalidChunkSize
	failMalformedTrailer
	failUnsupportedTrailer
	failInvalidTrailerChecksum
	failBadDigest
	failBodyTooLarge
	failInvalidDecodedLength
	numFailures
)

// wording is one failure as one dialect words it. Message placeholders
// {0}, {1}, ... take the arguments the verifier passes, so each dialect can
// use as many of them as its wording needs.
type wording struct {
	code awserr.Code
	msg  string
}

// row is one failure in every dialect, in Dialect order.
type row [4]wording

func sender(code string, status int) awserr.Code {
	return awserr.Code{Code: code, Status: status, Sender: true}
}

// Messages shared by several rows.
const (
	msgSigS3      = "The request signature we calculated does not match the signature you provided. Check your key and signing method."
	msgSig        = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."
	msgBadToken   = "The security token included in the request is invalid."
	msgExpired    = "The security token included in the request is expired"
	msgMissing    = "Request is missing Authentication Token"
	msgSkewOld    = "Signature expired: {0} is now earlier than {1} ({2} - 15 min.)"
	msgSkewNew    = "Signature not yet current: {0} is still later than {1} ({2} + 15 min.)"
	msgPresignOld = "Signature expired: {0} is now earlier than {1} ({2} - {3})"
	msgCredDate   = "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{0}' != '{1}', from '{2}'."
	msgQSParams   = "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Signature', 'X-Amz-Date', 'X-Amz-SignedHeaders'. Re-examine the query-string parameters."
	msgOneAuth    = "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
	msgS3Cred     = "the Credential is mal-formed; expecting \"<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request\"."
	msgSigV4A     = "Signature Version 4a (AWS4-ECDSA-P256-SHA256) is not supported by niwa; sign with AWS4-HMAC-SHA256."
	msgIncomplete = "The request body terminated unexpectedly"
)

// table returns the wording of every failure in every dialect. It is a
// function rather than a package variable so the table cannot be changed
// at run time; it is only consulted on the failure path.
func table() [numFailures]row {
	var (
		incompleteSig     = sender("IncompleteSignature", 400)
		incompleteSigJSON = sender("IncompleteSignatureException", 400)
		incompleteSigRest = sender("IncompleteSignatureException", 403)
		sigDoesNotMatch   = sender("SignatureDoesNotMatch", 403)
		invalidSigJSON    = sender("InvalidSignatureException", 400)
		invalidSigRest    = sender("InvalidSignatureException", 403)
		s3AccessDenied    = sender("AccessDenied", 403)
		s3HeaderMalformed = sender("AuthorizationHeaderMalformed", 400)
		s3QueryParams     = sender("AuthorizationQueryParametersError", 400)
		s3InvalidArgument = sender("InvalidArgument", 400)
		s3InvalidRequest  = sender("InvalidRequest", 400)
		notImplemented    = awserr.Code{Code: "NotImplemented", Status: 501}
	)
	// sig is a failure every non-S3 dialect reports as a bad signature.
	sig := func(s3 wording, msg string) row {
		return row{s3, {sigDoesNotMatch, msg}, {invalidSigJSON, msg}, {invalidSigRest, msg}}
	}
	// incomplete is a failure every non-S3 dialect reports as an
	// incomplete signature.
	incomplete := func(s3 wording, msg string) row {
		return row{s3, {incompleteSig, msg}, {incompleteSigJSON, msg}, {incompleteSigRest, msg}}
	}
	// s3Only is a failure of S3-only machinery (aws-chunked bodies,
	// x-amz-content-sha256); other dialects reuse the S3 wording should
	// a client ever send such a body to them.
	s3Only := func(w wording) row { return row{w, w, w, w} }

	return [numFailures]row{
		failMissingAuth: {
			{s3AccessDenied, "Access Denied"},
			{sender("MissingAuthenticationToken", 403), msgMissing},
			{sender("MissingAuthenticationTokenException", 400), msgMissing},
			{sender("MissingAuthenticationTokenException", 403), "Missing Authentication Token"},
		},
		failUnknownKey: {
			{sender("InvalidAccessKeyId", 403), "The AWS Access Key Id you provided does not exist in our records."},
			{sender("InvalidClientTokenId", 403), msgBadToken},
			{sender("UnrecognizedClientException", 400), msgBadToken},
			{sender("UnrecognizedClientException", 403), msgBadToken},
		},
		failSignatureMismatch: sig(wording{sigDoesNotMatch, msgSigS3}, msgSig),
		failInvalidToken: {
			{sender("InvalidToken", 400), "The provided token is malformed or otherwise invalid."},
			{sender("InvalidClientTokenId", 403), msgBadToken},
			{sender("UnrecognizedClientException", 400), msgBadToken},
			{sender("UnrecognizedClientException", 403), msgBadToken},
		},
		failExpiredToken: {
			{sender("ExpiredToken", 400), "The provided token has expired."},
			{sender("ExpiredToken", 403), msgExpired},
			{sender("ExpiredTokenException", 400), msgExpired},
			{sender("ExpiredTokenException", 403), msgExpired},
		},
		failSkewExpired:       sig(wording{sender("RequestTimeTooSkewed", 403), "The difference between the request time and the current time is too large."}, msgSkewOld),
		failSkewNotYetCurrent: sig(wording{sender("RequestTimeTooSkewed", 403), "The difference between the request time and the current time is too large."}, msgSkewNew),
		// Only S3 honours X-Amz-Expires; other services hold a presigned
		// request to the same 15 minutes as a signed one.
		failPresignExpired:     sig(wording{s3AccessDenied, "Request has expired"}, msgPresignOld),
		failPresignNotYetValid: sig(wording{s3AccessDenied, "Request is not yet valid"}, msgSkewNew),
		failMalformedHeader: incomplete(
			wording{s3HeaderMalformed, "The authorization header is malformed; the authorization header requires three components: Credential, SignedHeaders, and Signature."},
			"{0}Authorization={1}"),
		failMalformedCredential: incomplete(
			wording{s3HeaderMalformed, "The authorization header is malformed; " + msgS3Cred},
			"Credential should be scoped to a valid region, service and terminator: expecting <ACCESS-KEY-ID>/YYYYMMDD/REGION/SERVICE/aws4_request, got '{0}'."),
		failCredentialDate: sig(
			wording{s3HeaderMalformed, "The authorization header is malformed; Invalid credential date. Date is not the same as X-Amz-Date."},
			msgCredDate),
		failMissingDate: incomplete(
			wording{s3AccessDenied, "AWS authentication requires a valid Date or x-amz-date header"},
			"Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. Authorization={1}"),
		failPresignMissingParams: incomplete(
			wording{s3QueryParams, "Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters."},
			msgQSParams),
		failPresignAlgorithm: incomplete(
			wording{s3QueryParams, "X-Amz-Algorithm only supports \"AWS4-HMAC-SHA256 and AWS4-ECDSA-P256-SHA256\""},
			"Unsupported AWS 'algorithm': '{0}'."),
		failPresignExpiresNumber: incomplete(
			wording{s3QueryParams, "X-Amz-Expires should be a number"}, msgQSParams),
		failPresignExpiresNegative: incomplete(
			wording{s3QueryParams, "X-Amz-Expires must be non-negative"}, msgQSParams),
		failPresignExpiresTooLarge: incomplete(
			wording{s3QueryParams, "X-Amz-Expires must be less than a week (in seconds) that is 604800"}, msgQSParams),
		failPresignCredential: incomplete(
			wording{s3QueryParams, "Error parsing the X-Amz-Credential parameter; " + msgS3Cred},
			"Credential should be scoped to a valid region, service and terminator: expecting <ACCESS-KEY-ID>/YYYYMMDD/REGION/SERVICE/aws4_request, got '{0}'."),
		failPresignDate: incomplete(
			wording{s3QueryParams, "X-Amz-Date must be in the ISO8601 Long Format \"yyyyMMdd'T'HHmmss'Z'\""}, msgQSParams),
		failPresignCredentialDate: sig(
			wording{s3QueryParams, "Invalid credential date \"{0}\". This date is not the same as X-Amz-Date: \"{2}\"."},
			msgCredDate),
		failMultipleAuth:        incomplete(wording{s3InvalidArgument, msgOneAuth}, msgOneAuth),
		failUnsupportedAuthType: incomplete(wording{s3InvalidArgument, "Unsupported Authorization Type"}, "{0}Authorization={1}"),
		failSigV4A:              s3Only(wording{notImplemented, msgSigV4A}),
		failSigV2Malformed: incomplete(
			wording{s3InvalidArgument, "AWS authorization header is invalid.  Expected AwsAccessKeyId:signature"},
			"{0}Authorization={1}"),
		failSigV2QueryMissing:    s3Only(wording{s3AccessDenied, "Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters"}),
		failSigV2Expires:         s3Only(wording{s3AccessDenied, "Invalid date (should be seconds since epoch): {0}"}),
		failMissingContentSHA256: s3Only(wording{s3InvalidRequest, "Missing required header for this request: x-amz-content-sha256"}),
		failInvalidContentSHA256: s3Only(wording{s3InvalidArgument, "x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-UNSIGNED-PAYLOAD-TRAILER, STREAMING-AWS4-HMAC-SHA256-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD, STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD-TRAILER or a valid sha256 value."}),
		// A non-S3 service hashes the body itself, so a wrong declared
		// hash is just a signature that does not match.
		failContentSHA256Mismatch:  sig(wording{sender("XAmzContentSHA256Mismatch", 400), "The provided 'x-amz-content-sha256' header does not match what was computed."}, msgSig),
		failIncompleteBody:         s3Only(wording{sender("IncompleteBody", 400), msgIncomplete}),
		failInvalidChunkSize:       s3Only(wording{sender("InvalidChunkSizeError", 400), "Only the last chunk is allowed to have a size less than 8192 bytes"}),
		failMalformedTrailer:       s3Only(wording{sender("MalformedTrailerError", 400), "The request contained trailing data that was not well-formed or did not conform to our published schema."}),
		failUnsupportedTrailer:     s3Only(wording{s3InvalidRequest, "The value specified in the x-amz-trailer header is not supported"}),
		failInvalidTrailerChecksum: s3Only(wording{s3InvalidRequest, "Value for {0} trailing header is invalid."}),
		failBadDigest:              s3Only(wording{sender("BadDigest", 400), "The {0} you specified did not match the calculated checksum."}),
		// S3 answers an x-amz-decoded-content-length that is not a
		// non-negative number as if the length were missing.
		failInvalidDecodedLength: s3Only(wording{sender("MissingContentLength", 411), "You must provide the Content-Length HTTP header."}),
		failBodyTooLarge: {
			{sender("EntityTooLarge", 400), "Your proposed upload exceeds the maximum allowed size"},
			{sender("RequestEntityTooLarge", 413), "Request must be smaller than {0} bytes"},
			{sender("RequestEntityTooLargeException", 413), "Request must be smaller than {0} bytes"},
			{sender("RequestEntityTooLargeException", 413), "Request must be smaller than {0} bytes"},
		},
	}
}

// fail builds the error for f in dialect d, filling the message
// placeholders from args.
func fail(d Dialect, f failure, args ...string) *awserr.Error {
	if d < DialectS3 || d > DialectRestJSON {
		d = DialectQuery
	}
	w := table()[f][d]
	msg := w.msg
	if strings.Contains(msg, "{") {
		pairs := make([]string, 0, 2*len(args))
		for i, a := range args {
			pairs = append(pairs, "{"+string(rune('0'+i))+"}", a)
		}
		msg = strings.NewReplacer(pairs...).Replace(msg)
	}
	return &awserr.Error{Code: w.code, Message: msg}
}

// missingParts words the IncompleteSignature sentences that name what an
// Authorization header lacks, as AWS lists them before "Authorization=".
func missingParts(credential, signature, signedHeaders, date bool) string {
	var b strings.Builder
	if !credential {
		b.WriteString("Authorization header requires 'Credential' parameter. ")
	}
	if !signature {
		b.WriteString("Authorization header requires 'Signature' parameter. ")
	}
	if !signedHeaders {
		b.WriteString("Authorization header requires 'SignedHeaders' parameter. ")
	}
	if !date {
		b.WriteString("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header. ")
	}
	return b.String()
}

// MissingAuthentication is the error a service returns when a request that
// must be signed carries no authentication at all (Result.Anonymous). S3
// serves anonymous requests when policy allows, so for S3 this is the
// AccessDenied it answers when policy does not.
func MissingAuthentication(d Dialect) *awserr.Error { return fail(d, failMissingAuth) }

// InvalidAccessKey is the error for an access key id that does not exist,
// for callers (such as STS or IAM resolving a key outside a request) that
// need to report it the way the verifier does.
func InvalidAccessKey(d Dialect) *awserr.Error { return fail(d, failUnknownKey) }

// internalError wraps a failure of the credential source, which is niwa's
// fault rather than the client's.
func internalError(err error) *awserr.Error {
	return &awserr.Error{Code: awserr.InternalFailure, Message: "We encountered an internal error. Please try again. (" + err.Error() + ")"}
}

// iso8601Basic is SigV4's timestamp layout (X-Amz-Date).
const iso8601Basic = "20060102T150405Z"

// s3Time is the layout S3 uses for times in error bodies (ServerTime,
// Expires).
const s3Time = "2006-01-02T15:04:05Z"
