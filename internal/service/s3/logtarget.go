package s3

import (
	"net/http"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// logDeliveryService is the service principal that writes server access
// logs into target buckets.
const logDeliveryService = "logging.s3.amazonaws.com"

var errCrossLocationLogging = awserr.Code{Code: "CrossLocationLoggingProhibited", Status: http.StatusForbidden, Sender: true}

// errLogDeliveryNotAllowed is S3's answer to a target bucket that lets
// neither the logging service (bucket policy) nor the LogDelivery group
// (ACL) write into it.
func errLogDeliveryNotAllowed(target string) error {
	return errInvalidTargetBucket.New("You must either provide the necessary permissions to the logging service using a bucket policy or give the log-delivery group WRITE and READ_ACP permissions to the target bucket").With("TargetBucket", target)
}

// logDeliveryAllowed reports whether the target bucket lets S3 deliver
// src's logs under prefix: its policy allows logging.s3.amazonaws.com
// s3:PutObject on a log object's key with aws:SourceArn the source bucket
// and aws:SourceAccount its owner (evaluated by the IAM engine, as the
// delivery would be), or — where ACLs are enabled — its ACL grants the
// LogDelivery group WRITE and READ_ACP. Delivery to another account is
// allowed this way too, as on S3.
func logDeliveryAllowed(src, target bucketRecord, prefix string) bool {
	// A log object's name: the prefix, then the date and a unique suffix.
	logKey := "arn:aws:s3:::" + target.Name + "/" + prefix + "2006-01-02-15-04-05-0123456789ABCDEF"
	if iam.ServiceDeliveryAllowed(target.Policy, "s3:PutObject", logKey, logDeliveryService, "arn:aws:s3:::"+src.Name, src.Account) {
		return true
	}
	if aclsDisabled(target) || target.ACL == nil {
		return false
	}
	var write, readACP bool
	for _, g := range target.ACL.Grants {
		if g.Grantee == nil || ptr.Deref(g.Grantee.URI) != logDelivURI {
			continue
		}
		switch ptr.Deref(g.Permission) {
		case "FULL_CONTROL":
			write, readACP = true, true
		case "WRITE":
			write = true
		case "READ_ACP":
			readACP = true
		}
	}
	return write && readACP
}
