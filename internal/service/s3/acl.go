package s3

import (
	"context"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Grantee group URIs.
const (
	allUsersURI  = "http://acs.amazonaws.com/groups/global/AllUsers"
	authUsersURI = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
	logDelivURI  = "http://acs.amazonaws.com/groups/s3/LogDelivery"
)

// grantHeaders are the x-amz-grant-* headers of a request.
type grantHeaders struct {
	FullControl, Read, ReadACP, Write, WriteACP *string
}

func userGrant(account, perm string) s3api.Grant {
	return s3api.Grant{Grantee: &s3api.Grantee{Type: ptr.To("CanonicalUser"), ID: ptr.To(canonicalID(account)), DisplayName: ptr.To(displayName)}, Permission: ptr.To(perm)}
}

func groupGrant(uri, perm string) s3api.Grant {
	return s3api.Grant{Grantee: &s3api.Grantee{Type: ptr.To("Group"), URI: ptr.To(uri)}, Permission: ptr.To(perm)}
}

// cannedACL expands a canned ACL name.
func cannedACL(name, account string, bucket bool) (*s3api.AccessControlPolicy, error) {
	acl := &s3api.AccessControlPolicy{Owner: owner(account), Grants: []s3api.Grant{userGrant(account, "FULL_CONTROL")}}
	switch name {
	case "private", "bucket-owner-full-control", "bucket-owner-read", "aws-exec-read":
	case "public-read":
		acl.Grants = append(acl.Grants, groupGrant(allUsersURI, "READ"))
	case "public-read-write":
		acl.Grants = append(acl.Grants, groupGrant(allUsersURI, "READ"), groupGrant(allUsersURI, "WRITE"))
	case "authenticated-read":
		acl.Grants = append(acl.Grants, groupGrant(authUsersURI, "READ"))
	case "log-delivery-write":
		if !bucket {
			return nil, errInvalidArgument.New("")
		}
		acl.Grants = append(acl.Grants, groupGrant(logDelivURI, "WRITE"), groupGrant(logDelivURI, "READ_ACP"))
	default:
		return nil, errInvalidArgument.New("").With("ArgumentName", "x-amz-acl").With("ArgumentValue", name)
	}
	return acl, nil
}

// parseGrantHeader reads one x-amz-grant-* value: comma-separated
// id="..", uri="..", emailAddress="..".
func parseGrantHeader(v, perm string) ([]s3api.Grant, error) {
	var out []s3api.Grant
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, val, ok := strings.Cut(part, "=")
		if !ok {
			return nil, errInvalidArgument.New("")
		}
		val = strings.Trim(strings.TrimSpace(val), `"`)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "id":
			out = append(out, s3api.Grant{Grantee: &s3api.Grantee{Type: ptr.To("CanonicalUser"), ID: ptr.To(val)}, Permission: ptr.To(perm)})
		case "uri":
			out = append(out, groupGrant(val, perm))
		case "emailaddress":
			return nil, errEmailGrantee()
		default:
			return nil, errInvalidArgument.New("")
		}
	}
	return out, nil
}

// errEmailGrantee is S3's answer to a grant by e-mail address: S3 ended
// e-mail grantees on October 1, 2025 ("the request will receive an HTTP
// 405 (Method Not Allowed) error"); niwa has no e-mail to account mapping
// either.
func errEmailGrantee() error {
	return errMethodNotAllowed.New("The specified method is not allowed against this resource.")
}

// aclFromRequest builds the ACL a request asks for: a canned ACL, grant
// headers, or an AccessControlPolicy body (exclusive, as S3 requires).
// With none, it is the owner-only private ACL.
func aclFromRequest(account string, canned *string, g grantHeaders, body *s3api.AccessControlPolicy, bucket bool) (*s3api.AccessControlPolicy, error) {
	hasGrants := g.FullControl != nil || g.Read != nil || g.ReadACP != nil || g.Write != nil || g.WriteACP != nil
	if canned != nil && hasGrants {
		return nil, errInvalidRequest.New("Specifying both Canned ACLs and Header Grants is not allowed")
	}
	if body != nil && (canned != nil || hasGrants) {
		return nil, errUnexpectedContent.New("This request does not support content")
	}
	if body != nil {
		for _, gr := range body.Grants {
			switch ptr.Deref(gr.Permission) {
			case "FULL_CONTROL", "READ", "WRITE", "READ_ACP", "WRITE_ACP":
			default:
				return nil, errMalformedACL.New("The XML you provided was not well-formed or did not validate against our published schema")
			}
			if gr.Grantee == nil {
				return nil, errMalformedACL.New("The XML you provided was not well-formed or did not validate against our published schema")
			}
			if gr.Grantee.EmailAddress != nil || ptr.Deref(gr.Grantee.Type) == "AmazonCustomerByEmail" {
				return nil, errEmailGrantee()
			}
		}
		acl := *body
		if acl.Owner == nil {
			acl.Owner = owner(account)
		}
		return &acl, nil
	}
	if hasGrants {
		acl := &s3api.AccessControlPolicy{Owner: owner(account)}
		for _, h := range []struct {
			v    *string
			perm string
		}{{g.FullControl, "FULL_CONTROL"}, {g.Read, "READ"}, {g.ReadACP, "READ_ACP"}, {g.Write, "WRITE"}, {g.WriteACP, "WRITE_ACP"}} {
			if h.v == nil {
				continue
			}
			grants, err := parseGrantHeader(*h.v, h.perm)
			if err != nil {
				return nil, err
			}
			acl.Grants = append(acl.Grants, grants...)
		}
		return acl, nil
	}
	name := "private"
	if canned != nil {
		name = *canned
	}
	return cannedACL(name, account, bucket)
}

// isPrivateACL reports whether an ACL grants only the owner.
func isPrivateACL(acl *s3api.AccessControlPolicy, account string) bool {
	if acl == nil {
		return true
	}
	for _, g := range acl.Grants {
		if g.Grantee == nil || ptr.Deref(g.Grantee.ID) != canonicalID(account) {
			return false
		}
	}
	return true
}

// aclsDisabled reports whether the bucket enforces owner-only access
// (Object Ownership "BucketOwnerEnforced", S3's default since April 2023).
func aclsDisabled(b bucketRecord) bool {
	return b.Ownership != nil && len(b.Ownership.Rules) > 0 && ptr.Deref(b.Ownership.Rules[0].ObjectOwnership) == "BucketOwnerEnforced"
}

// errACLWithEnforced is S3's answer to a bucket ACL that grants anyone
// but the owner on a bucket whose Object Ownership is (or is about to be)
// BucketOwnerEnforced.
func errACLWithEnforced() error {
	return errInvalidBucketACLOwnership.New("Bucket cannot have ACLs set with ObjectOwnership's BucketOwnerEnforced setting")
}

func errACLNotSupported() error {
	return errAccessControlListNotSupported.New("The bucket does not allow ACLs")
}

// checkACLAllowed answers AccessControlListNotSupported when a bucket with
// ACLs disabled is asked for anything but the owner-only ACL.
// A public ACL (AllUsers or AuthenticatedUsers grants) on a bucket whose
// public access block sets BlockPublicAcls is 403 AccessDenied, as on S3.
func checkACLAllowed(b bucketRecord, acl *s3api.AccessControlPolicy) error {
	if aclsDisabled(b) && !isPrivateACL(acl, b.Account) {
		return errACLNotSupported()
	}
	if b.PublicAccessBlock != nil && ptr.Deref(b.PublicAccessBlock.BlockPublicAcls) && isPublicACL(acl) {
		return errAccessDenied.New("Access Denied")
	}
	return nil
}

// isPublicACL reports whether an ACL grants everyone or every AWS account.
func isPublicACL(acl *s3api.AccessControlPolicy) bool {
	if acl == nil {
		return false
	}
	for _, g := range acl.Grants {
		if g.Grantee != nil && isPublicGrantee(g.Grantee) {
			return true
		}
	}
	return false
}

func (s *S3) PutBucketAcl(ctx *request.Context, in *s3api.PutBucketAclInput) (*s3api.PutBucketAclOutput, error) {
	name := ptr.Deref(in.Bucket)
	return &s3api.PutBucketAclOutput{}, s.updateBucket(name, func(b *bucketRecord) error {
		acl, err := aclFromRequest(b.Account, in.ACL, grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}, in.AccessControlPolicy, true)
		if err != nil {
			return err
		}
		if err := checkACLAllowed(*b, acl); err != nil {
			return err
		}
		b.ACL = acl
		return nil
	})
}

func (s *S3) GetBucketAcl(ctx *request.Context, in *s3api.GetBucketAclInput) (*s3api.GetBucketAclOutput, error) {
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	acl := b.ACL
	if acl == nil {
		acl, _ = cannedACL("private", b.Account, true)
	}
	return &s3api.GetBucketAclOutput{Owner: acl.Owner, Grants: acl.Grants}, nil
}

func (s *S3) PutObjectAcl(ctx *request.Context, in *s3api.PutObjectAclInput) (*s3api.PutObjectAclOutput, error) {
	name, key := ptr.Deref(in.Bucket), ptr.Deref(in.Key)
	var b bucketRecord
	var o objectRecord
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if b, err = getBucket(tx, name); err != nil {
			return err
		}
		if o, err = currentObject(tx, name, key, ptr.Deref(in.VersionId)); err != nil {
			return err
		}
		if err := s.checkObjectOwner(ctx, name, o, "WRITE_ACP"); err != nil {
			return err
		}
		g := grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}
		if in.AccessControlPolicy != nil {
			acl, err := aclFromRequest(o.Owner, in.ACL, g, in.AccessControlPolicy, false)
			if err != nil {
				return err
			}
			if err := checkACLAllowed(b, acl); err != nil {
				return err
			}
			o.ACL = acl
		} else {
			// The object's owner stays; bucket-owner-* name the bucket's.
			canned := in.ACL
			if canned == nil && g == (grantHeaders{}) {
				canned = ptr.To("private")
			}
			acl, err := writeACL(b, o.Owner, canned, g)
			if err != nil {
				return err
			}
			o.ACL = acl
		}
		return putObjectRecord(tx, name, o)
	})
	if err != nil {
		return nil, err
	}
	s.notify(ctx, b, "ObjectAcl:Put", o)
	return &s3api.PutObjectAclOutput{}, nil
}

func (s *S3) GetObjectAcl(ctx *request.Context, in *s3api.GetObjectAclInput) (*s3api.GetObjectAclOutput, error) {
	var o objectRecord
	err := s.store.View(func(tx storage.Tx) error {
		if _, err := getBucket(tx, ptr.Deref(in.Bucket)); err != nil {
			return err
		}
		var err error
		o, err = currentObject(tx, ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId))
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := s.checkObjectOwner(ctx, ptr.Deref(in.Bucket), o, "READ_ACP"); err != nil {
		return nil, err
	}
	acl := objectACL(o)
	out := &s3api.GetObjectAclOutput{Owner: acl.Owner, Grants: acl.Grants}
	return out, nil
}

// aclPermission maps an S3 action to the ACL permission that grants it
// and whether the object's ACL (rather than the bucket's) holds it — S3's
// "Mapping of ACL permissions and access policy permissions". Other
// actions are granted by no ACL.
func aclPermission(action string) (perm string, object, ok bool) {
	switch strings.ToLower(action) {
	case "s3:getobject", "s3:getobjectversion":
		return "READ", true, true
	case "s3:getobjectacl", "s3:getobjectversionacl":
		return "READ_ACP", true, true
	case "s3:putobjectacl", "s3:putobjectversionacl":
		return "WRITE_ACP", true, true
	case "s3:listbucket", "s3:listbucketversions", "s3:listbucketmultipartuploads":
		return "READ", false, true
	case "s3:putobject", "s3:deleteobject":
		return "WRITE", false, true
	case "s3:getbucketacl":
		return "READ_ACP", false, true
	case "s3:putbucketacl":
		return "WRITE_ACP", false, true
	}
	return "", false, false
}

// isPublicGrantee reports whether a grantee is one of the groups that
// make an ACL public (everyone, or every AWS account).
func isPublicGrantee(g *s3api.Grantee) bool {
	u := ptr.Deref(g.URI)
	return u == allUsersURI || u == authUsersURI
}

// ACLAllows reports whether the bucket's or object's ACL grants a caller
// the action on resource (arn:aws:s3:::bucket or arn:aws:s3:::bucket/key).
// account is the caller's account, "" for an anonymous caller. Grants
// match by canonical user id (the account's), AuthenticatedUsers (any
// signed caller) and AllUsers (anyone), with the permission or
// FULL_CONTROL. ACLs grant nothing on buckets with BucketOwnerEnforced
// ownership, and the public grants nothing under the public access
// block's IgnorePublicAcls, as on S3. The policy engine asks it when the
// bucket policy does not decide.
func (s *S3) ACLAllows(ctx context.Context, action, resource, account string) (bool, error) {
	perm, onObject, ok := aclPermission(action)
	rest, isS3 := strings.CutPrefix(resource, "arn:aws:s3:::")
	if !ok || !isS3 {
		return false, nil
	}
	bucket, key, _ := strings.Cut(rest, "/")
	if onObject && key == "" {
		return false, nil
	}
	var b bucketRecord
	var o objectRecord
	var haveObj bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if b, err = getBucket(tx, bucket); err != nil {
			return err
		}
		if onObject {
			o, haveObj, err = objects.Get(tx, globalScope(), bucket, key)
		}
		return err
	})
	if err != nil {
		return false, err
	}
	if aclsDisabled(b) {
		return false, nil
	}
	ignorePublic := b.PublicAccessBlock != nil && ptr.Deref(b.PublicAccessBlock.IgnorePublicAcls)
	acl := b.ACL
	if onObject {
		if !haveObj {
			return false, nil
		}
		// An object without an ACL of its own grants its owner (the
		// writer, under ObjectWriter) full control.
		acl = objectACL(o)
	}
	return aclGrants(acl, perm, account, ignorePublic), nil
}

// ObjectExists reports whether a bucket's key has a current version that
// is not a delete marker. The policy engine asks it to tell a missing key
// from a denied one (S3 answers 403 for a missing key to callers who may
// not list the bucket).
func (s *S3) ObjectExists(ctx context.Context, bucket, key string) (bool, error) {
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		o, ok, err := objects.Get(tx, globalScope(), bucket, key)
		found = ok && !o.DeleteMarker
		return err
	})
	return found, err
}
