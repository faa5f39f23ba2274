// Package request carries what a service handler knows about the call it
// serves: who made it, where (account and region), when (the injectable
// clock), and the raw HTTP request for the few operations whose behaviour
// depends on more than the modeled input (S3 bodies, CORS, website hosts).
package request

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/niwa-cloud/niwa/internal/clock"
)

// Caller is the authenticated principal of a request.
type Caller struct {
	AccessKeyID  string
	SessionToken string
	Account      string
	ARN          string
	UserID       string
	// Anonymous is true for unsigned requests (S3 public access).
	Anonymous bool
}

// IsRoot reports whether the caller is an account's root user.
func (c Caller) IsRoot() bool {
	return !c.Anonymous && c.ARN == "arn:aws:iam::"+c.Account+":root"
}

// Context is passed to every handler.
type Context struct {
	context.Context
	RequestID string
	Service   string
	Operation string
	// Account and Region scope every resource the request touches.
	Account string
	Region  string
	Caller  Caller
	Clock   clock.Clock
	Log     *slog.Logger
	HTTP    *http.Request
	// SourceIP is the client address as niwa sees it (aws:SourceIp).
	SourceIP string
	// CalledVia are the service principals (athena.amazonaws.com) that
	// made this request on the caller's behalf with its credentials
	// (forward access sessions), first to last: aws:CalledVia,
	// aws:CalledViaFirst, aws:CalledViaLast. Empty for direct calls; no
	// niwa service calls on a principal's behalf yet.
	CalledVia []string
	// DeniedItems are the resources of a batch the authorizer refused
	// one by one (S3 DeleteObjects' keys, as ARNs): the handler answers
	// each with AccessDenied and serves the others.
	DeniedItems []string
}

// Now is the request's view of the current time.
func (c *Context) Now() time.Time { return c.Clock.Now() }
