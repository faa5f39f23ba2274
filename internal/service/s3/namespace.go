package s3

import (
	"net/http"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
)

// Account regional namespaces (S3 User Guide, "Namespaces for general
// purpose buckets", 2026): a general purpose bucket named
// <prefix>-<account id>-<region>-an belongs to that account's namespace
// in that region. Only that account creates it there, and only with
// x-amz-bucket-namespace: account-regional; a CreateBucket of such a name
// without the header is refused. Once made it is an ordinary bucket.

var (
	errMissingNamespaceHeader = awserr.Code{Code: "MissingNamespaceHeader", Status: http.StatusBadRequest, Sender: true}
	errInvalidNamespaceHeader = awserr.Code{Code: "InvalidNamespaceHeader", Status: http.StatusBadRequest, Sender: true}
	errInvalidBucketNamespace = awserr.Code{Code: "InvalidBucketNamespace", Status: http.StatusBadRequest, Sender: true}
)

// accountRegionalName splits a bucket name of the account regional
// namespace format into its account id and region; ok is false for any
// other name.
func accountRegionalName(name string) (account, region string, ok bool) {
	rest, found := strings.CutSuffix(name, "-an")
	if !found {
		return "", "", false
	}
	parts := strings.Split(rest, "-")
	// From the right: a region (letters-...-digits, at least three
	// segments), then a 12-digit account id, then a non-empty prefix.
	for i := len(parts) - 4; i >= 1; i-- {
		if isAccountID(parts[i]) && isRegion(parts[i+1:]) {
			return parts[i], strings.Join(parts[i+1:], "-"), true
		}
	}
	return "", "", false
}

// isRegion reports whether segments spell a region code such as
// us-east-1 or us-gov-west-1.
func isRegion(segs []string) bool {
	if len(segs) < 3 || len(segs[0]) != 2 {
		return false
	}
	for _, s := range segs[:len(segs)-1] {
		if s == "" || strings.Trim(s, "abcdefghijklmnopqrstuvwxyz") != "" {
			return false
		}
	}
	last := segs[len(segs)-1]
	return last != "" && strings.Trim(last, "0123456789") == ""
}

// checkNamespace applies the namespace header of a CreateBucket of name
// by account in region.
func checkNamespace(namespace, name, account, region string) error {
	acct, reg, regional := accountRegionalName(name)
	switch namespace {
	case "", "global":
		if !regional {
			return nil
		}
		if namespace == "" {
			return errMissingNamespaceHeader.New("A bucket name in the account regional namespace format requires the x-amz-bucket-namespace header.").With("BucketName", name)
		}
		return errInvalidNamespaceHeader.New("The global namespace cannot be used with a bucket name in the account regional namespace format.").With("BucketName", name)
	case "account-regional":
		if !regional {
			return errInvalidNamespaceHeader.New("The account-regional namespace requires a bucket name ending in -<account id>-<region>-an.").With("BucketName", name)
		}
		if acct != account || reg != region {
			return errInvalidBucketName.New("The specified bucket is not valid.").With("BucketName", name)
		}
		return nil
	}
	return errInvalidBucketNamespace.New("The x-amz-bucket-namespace header must be account-regional or global.").With("ArgumentValue", namespace)
}
