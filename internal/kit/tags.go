package kit

import (
	"errors"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Helpers for a service's ResourceTagger: each service reads tags
// through its own read-only listing operation, in the account and region
// the ARN names. A resource the service does not know (an AWS error from
// the listing) has no tags: the handler answers the request's own
// NotFound after authorization.

// ARNScope is ctx moved to the account and region of arn, with the ARN's
// resource part.
func ARNScope(ctx *request.Context, arn string) (*request.Context, string, bool) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return nil, "", false
	}
	c := *ctx
	if parts[4] != "" {
		c.Account = parts[4]
	}
	if parts[3] != "" {
		c.Region = parts[3]
	}
	return &c, parts[5], true
}

// TagMap turns a service's list of tags into a map.
func TagMap[T any](list []T, kv func(T) (*string, *string)) map[string]string {
	m := make(map[string]string, len(list))
	for _, t := range list {
		k, v := kv(t)
		m[ptr.Deref(k)] = ptr.Deref(v)
	}
	return m
}

// NotFound turns a service's AWS error into "no such resource" and
// passes any other error on.
func NotFound(err error) (map[string]string, bool, error) {
	var ae *awserr.Error
	if errors.As(err, &ae) {
		return nil, false, nil
	}
	return nil, false, err
}
