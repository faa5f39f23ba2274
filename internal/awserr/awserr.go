// Package awserr holds AWS errors as data. A service never formats an error
// body itself: it returns an *Error, and the protocol codec of the service
// encodes it in the one place that knows the wire format.
package awserr

import (
	"errors"
	"fmt"
	"net/http"
)

// Code is one AWS error code with the HTTP status AWS answers it with. Codes
// for a service's modeled exceptions are generated from the AWS model
// (internal/api/<service>/errors.go); the common ones shared by every
// service are listed below.
type Code struct {
	// Code is the wire error code ("NoSuchEntity",
	// "AWS.SimpleQueueService.NonExistentQueue").
	Code string
	// Shape is the model's exception shape name when it differs from Code
	// ("QueueDoesNotExist"); JSON protocols put it in __type.
	Shape string
	// Status is the HTTP status code.
	Status int
	// Sender is true for client faults ("Sender"), false for "Receiver".
	Sender bool
}

// New returns an error with this code and a message.
func (c Code) New(format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: c, Message: msg}
}

// Is lets errors.Is(err, awserr.AccessDenied) match by code string.
func (c Code) Is(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Code.Code == c.Code
}

// Error is an AWS error response.
type Error struct {
	Code    Code
	Message string
	// Fields are extra members of the error body, by member name, encoded
	// by the codec after Code and Message (S3's Resource, BucketName,
	// Key; DynamoDB's CancellationReasons; ...). Values follow the
	// dynamic value conventions of internal/model.
	Fields map[string]any
	// Header are extra response headers.
	Header http.Header
}

func (e *Error) Error() string { return e.Code.Code + ": " + e.Message }

// With adds an extra body member and returns e.
func (e *Error) With(member string, value any) *Error {
	if e.Fields == nil {
		e.Fields = map[string]any{}
	}
	e.Fields[member] = value
	return e
}

// As returns err as an *Error, wrapping an unknown error as InternalError so
// that nothing reaches a client without an AWS shape.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalFailure.New("%v", err)
}

// Errors common to all services.
var (
	AccessDenied                = Code{Code: "AccessDenied", Status: 403, Sender: true}
	AccessDeniedException       = Code{Code: "AccessDeniedException", Status: 400, Sender: true}
	IncompleteSignature         = Code{Code: "IncompleteSignature", Status: 400, Sender: true}
	InternalFailure             = Code{Code: "InternalFailure", Status: 500}
	InvalidAction               = Code{Code: "InvalidAction", Status: 400, Sender: true}
	InvalidClientTokenID        = Code{Code: "InvalidClientTokenId", Status: 403, Sender: true}
	InvalidParameterCombination = Code{Code: "InvalidParameterCombination", Status: 400, Sender: true}
	InvalidParameterValue       = Code{Code: "InvalidParameterValue", Status: 400, Sender: true}
	InvalidQueryParameter       = Code{Code: "InvalidQueryParameter", Status: 400, Sender: true}
	MalformedQueryString        = Code{Code: "MalformedQueryString", Status: 404, Sender: true}
	MissingAction               = Code{Code: "MissingAction", Status: 400, Sender: true}
	MissingAuthenticationToken  = Code{Code: "MissingAuthenticationToken", Status: 403, Sender: true}
	MissingParameter            = Code{Code: "MissingParameter", Status: 400, Sender: true}
	NotImplemented              = Code{Code: "NotImplemented", Status: 501}
	OptInRequired               = Code{Code: "OptInRequired", Status: 403, Sender: true}
	RequestExpired              = Code{Code: "RequestExpired", Status: 400, Sender: true}
	ServiceUnavailable          = Code{Code: "ServiceUnavailable", Status: 503}
	Throttling                  = Code{Code: "ThrottlingException", Status: 400, Sender: true}
	UnknownOperation            = Code{Code: "UnknownOperationException", Status: 400, Sender: true}
	ValidationError             = Code{Code: "ValidationError", Status: 400, Sender: true}
	ValidationException         = Code{Code: "ValidationException", Status: 400, Sender: true}
	SerializationException      = Code{Code: "SerializationException", Status: 400, Sender: true}
)

// NotAuthorizedException is not modeled by KMS but is what KMS answers
// for alias names in the reserved alias/aws/ space.
var NotAuthorizedException = Code{Code: "NotAuthorizedException", Status: 400, Sender: true}
