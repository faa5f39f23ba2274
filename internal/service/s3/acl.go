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
			out = append(out, s3api.Grant{Grantee: &s3api.Grantee{Type: ptr.To("AmazonCustomerByEmail"), EmailAddress: ptr.To(val)}, Permission: ptr.To(perm)})
		default:
			return nil, errInvalidArgument.New("")
		}
	}
	return out, nil
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

func errACLNotSupported() error {
	return errAccessControlListNotSupported.New("The bucket does not allow ACLs")
}

// checkACLAllowed answers AccessControlListNotSupported when a bucket with
// ACLs disabled is asked for anything but the owner-only ACL.
func checkACLAllowed(b bucketRecord, acl *s3api.AccessControlPolicy) error {
	if aclsDisabled(b) && !isPrivateACL(acl, b.Account) {
		return errACLNotSupported()
	}
	return nil
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
	err := s.store.Update(func(tx storage.Tx) error {
		b, err := getBucket(tx, name)
		if err != nil {
			return err
		}
		o, err := currentObject(tx, name, key, ptr.Deref(in.VersionId))
		if err != nil {
			return err
		}
		acl, err := aclFromRequest(b.Account, in.ACL, grantHeaders{in.GrantFullControl, in.GrantRead, in.GrantReadACP, in.GrantWrite, in.GrantWriteACP}, in.AccessControlPolicy, false)
		if err != nil {
			return err
		}
		if err := checkACLAllowed(b, acl); err != nil {
			return err
		}
		o.ACL = acl
		return putObjectRecord(tx, name, o)
	})
	if err != nil {
		return nil, err
	}
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
	acl := o.ACL
	if acl == nil {
		acl, _ = cannedACL("private", o.Owner, false)
	}
	out := &s3api.GetObjectAclOutput{Owner: acl.Owner, Grants: acl.Grants}
	return out, nil
}

// BucketACLAllowsAnonymous reports whether the ACLs grant everyone
// (AllUsers) access to the bucket (key == "") or to an object: READ for
// reads (write false), WRITE on the bucket for writes. It honours Object
// Ownership (ACLs disabled grant nothing) and the public access block's
// IgnorePublicAcls, as S3 does. The policy engine calls it for anonymous
// requests beside the bucket policy.
func (s *S3) BucketACLAllowsAnonymous(ctx context.Context, bucket, key string, write bool) (bool, error) {
	var b bucketRecord
	var o objectRecord
	var haveObj bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if b, err = getBucket(tx, bucket); err != nil {
			return err
		}
		if key != "" && !write {
			o, haveObj, err = objects.Get(tx, globalScope(), bucket, key)
		}
		return err
	})
	if err != nil {
		return false, err
	}
	if aclsDisabled(b) || (b.PublicAccessBlock != nil && ptr.Deref(b.PublicAccessBlock.IgnorePublicAcls)) {
		return false, nil
	}
	perm := "READ"
	acl := b.ACL
	if write {
		perm = "WRITE"
	} else if key != "" {
		if !haveObj {
			return false, nil
		}
		acl = o.ACL
	}
	if acl == nil {
		return false, nil
	}
	for _, g := range acl.Grants {
		if g.Grantee != nil && ptr.Deref(g.Grantee.URI) == allUsersURI && (ptr.Deref(g.Permission) == perm || ptr.Deref(g.Permission) == "FULL_CONTROL") {
			return true, nil
		}
	}
	return false, nil
}
