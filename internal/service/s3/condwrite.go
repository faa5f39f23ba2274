package s3

import (
	"net/http"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

var errConditionalConflict = awserr.Code{Code: "ConditionalRequestConflict", Status: http.StatusConflict, Sender: true}

// writeCond is the precondition of a conditional write (PutObject,
// CompleteMultipartUpload: If-None-Match: * or If-Match: <etag>) or a
// conditional delete (DeleteObject: If-Match) on the key's current
// version. It is evaluated inside the transaction that commits the write,
// so of racing writers at most one can pass.
type writeCond struct {
	ifMatch, ifNoneMatch *string
	// since is the sequence number from which a change to the key counts
	// as a conflicting operation: a write that happened after the request
	// began (or, for multipart, after the upload was created) makes a
	// failing condition a 409 ConditionalRequestConflict, as S3 answers a
	// writer that lost a race, rather than a 412. Zero: always 412.
	since int64
}

func (c writeCond) active() bool { return c.ifMatch != nil || c.ifNoneMatch != nil }

// validate refuses what S3 does not evaluate on writes: If-None-Match only
// takes "*" there.
func (c writeCond) validate() error {
	if c.ifNoneMatch != nil && *c.ifNoneMatch != "*" {
		return awserr.NotImplemented.New("A header you provided implies functionality that is not implemented").With("Header", "If-None-Match")
	}
	return nil
}

// check evaluates the condition against the key's current version (exists
// false when there is none or it is a delete marker).
func (c writeCond) check(key string, cur objectRecord, exists bool) error {
	conflict := func(cond string) error {
		if c.since != 0 && exists && cur.Seq >= c.since {
			return errConditionalConflict.New("The conditional request cannot succeed due to a conflicting operation against this resource.")
		}
		return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").With("Condition", cond)
	}
	if c.ifNoneMatch != nil && exists {
		return conflict("If-None-Match")
	}
	if c.ifMatch != nil {
		if !exists {
			return noSuchKey(key)
		}
		if !etagMatches(*c.ifMatch, cur.ETag) {
			return conflict("If-Match")
		}
	}
	return nil
}
