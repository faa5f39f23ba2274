package sqs

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/request"
)

func asAWS(err error) *awserr.Error { return awserr.As(err) }

// isAWS tells an AWS error (a per-entry failure) from a storage failure
// (which fails the whole request).
func isAWS(err error) bool {
	var e *awserr.Error
	return errors.As(err, &e)
}

func sha256Hex(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

func awsAccessDenied() error {
	return awserr.AccessDenied.New("Access to the resource https://sqs.amazonaws.com/ is denied.")
}

// reqHost is the Host the client reached niwa through, which queue URLs
// are built on.
func reqHost(ctx *request.Context) string {
	if ctx.HTTP == nil {
		return ""
	}
	return ctx.HTTP.Host
}
