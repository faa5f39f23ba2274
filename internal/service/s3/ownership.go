package s3

import (
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Object Ownership (S3 User Guide, "Controlling ownership of objects"):
// on a bucket whose ObjectOwnership is ObjectWriter the account that
// uploads an object owns it; under BucketOwnerPreferred the bucket owner
// does when the upload gives the bucket-owner-full-control canned ACL,
// else the writer; under BucketOwnerEnforced (the default) the bucket
// owner always does and ACLs decide nothing. An object another account
// owns is governed by its ACL alone: the bucket owner and the bucket
// policy grant nothing on it (the bucket owner may still delete it,
// which the bucket's WRITE permission covers).

// objectOwnership is b's ObjectOwnership setting.
func objectOwnership(b bucketRecord) string {
	if b.Ownership == nil || len(b.Ownership.Rules) == 0 {
		return "ObjectWriter" // buckets made before the setting existed
	}
	return ptr.Deref(b.Ownership.Rules[0].ObjectOwnership)
}

// objectOwner is the account that owns an object ctx's caller writes
// into b with the canned ACL canned (nil for none). Anonymous writes
// (a public-write bucket) are owned by the bucket owner in niwa.
func objectOwner(ctx *request.Context, b bucketRecord, canned *string) string {
	w := ctx.Caller.Account
	if ctx.Caller.Anonymous || w == "" || w == b.Account {
		return b.Account
	}
	switch objectOwnership(b) {
	case "BucketOwnerEnforced":
		return b.Account
	case "BucketOwnerPreferred":
		if ptr.Deref(canned) == "bucket-owner-full-control" {
			return b.Account
		}
	}
	return w
}

// writeACL is the ACL of an object written by owner into b with the
// request's canned ACL or grant headers (nil when it names none: the
// owner-only ACL). The bucket-owner-* canned ACLs grant the bucket owner
// FULL_CONTROL or READ beside the object's owner.
func writeACL(b bucketRecord, owner string, canned *string, g grantHeaders) (*s3api.AccessControlPolicy, error) {
	hasGrants := g.FullControl != nil || g.Read != nil || g.ReadACP != nil || g.Write != nil || g.WriteACP != nil
	if canned == nil && !hasGrants {
		return nil, nil
	}
	acl, err := aclFromRequest(owner, canned, g, nil, false)
	if err != nil {
		return nil, err
	}
	if owner != b.Account {
		switch ptr.Deref(canned) {
		case "bucket-owner-full-control":
			acl.Grants = append(acl.Grants, userGrant(b.Account, "FULL_CONTROL"))
		case "bucket-owner-read":
			acl.Grants = append(acl.Grants, userGrant(b.Account, "READ"))
		}
	}
	if err := checkACLAllowed(b, acl); err != nil {
		return nil, err
	}
	return acl, nil
}

// aclGrants reports whether acl grants account ("" for anonymous) perm,
// directly or through FULL_CONTROL; public grants count unless
// ignorePublic (IgnorePublicAcls).
func aclGrants(acl *s3api.AccessControlPolicy, perm, account string, ignorePublic bool) bool {
	if acl == nil {
		return false
	}
	for _, g := range acl.Grants {
		if g.Grantee == nil || (ptr.Deref(g.Permission) != perm && ptr.Deref(g.Permission) != "FULL_CONTROL") {
			continue
		}
		if isPublicGrantee(g.Grantee) && ignorePublic {
			continue
		}
		switch {
		case ptr.Deref(g.Grantee.URI) == allUsersURI:
			return true
		case account != "" && ptr.Deref(g.Grantee.URI) == authUsersURI:
			return true
		case account != "" && g.Grantee.ID != nil && strings.EqualFold(*g.Grantee.ID, canonicalID(account)):
			return true
		}
	}
	return false
}

// objectACL is o's ACL, the owner-only one when none was given.
func objectACL(o objectRecord) *s3api.AccessControlPolicy {
	if o.ACL != nil {
		return o.ACL
	}
	acl, _ := cannedACL("private", o.Owner, false)
	return acl
}

// checkObjectOwner refuses ctx's caller perm on an object of bucket that
// another account than the bucket owner owns, unless the object's ACL
// grants it (403 AccessDenied, as S3 answers the bucket owner reading an
// object it does not own). The object's owner, and every object of a
// bucket whose owner owns it, pass.
func (s *S3) checkObjectOwner(ctx *request.Context, bucket string, o objectRecord, perm string) error {
	if o.Owner == "" || ctx.Service != "s3" || (!ctx.Caller.Anonymous && ctx.Caller.Account == o.Owner) {
		return nil
	}
	b, err := s.bucket(bucket)
	if err != nil {
		return err
	}
	if o.Owner == b.Account || aclsDisabled(b) {
		return nil
	}
	account := ctx.Caller.Account
	if ctx.Caller.Anonymous {
		account = ""
	}
	ignorePublic := b.PublicAccessBlock != nil && ptr.Deref(b.PublicAccessBlock.IgnorePublicAcls)
	if aclGrants(objectACL(o), perm, account, ignorePublic) {
		return nil
	}
	return errAccessDenied.New("Access Denied")
}
