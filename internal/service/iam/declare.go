package iam

import (
	"slices"
	"strings"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Declare is IAM as the platform sees it: resource ARNs carry the stored
// entity's path, roles and users answer aws:ResourceTag, calls are
// recorded in us-east-1 (a global service), and GetFederationToken
// sessions may call none of its operations.
func (s *IAM) Declare() kit.Declaration {
	rules := authzRules(s.entityARN)
	rules.GrantedWithoutPolicy = s.grantedByPasswordPolicy
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:      s,
		Namespace: "iam",
		Authz:     rules,
		NotImplemented: kit.Reasons{}.Add("these reports cover an AWS Organizations organization, which niwa does not have",
			"GenerateOrganizationsAccessReport", "GetOrganizationsAccessReport"),
		Audit:   kit.Audit{Global: true},
		Tags:    kit.TagLookup(s.resourceTags),
		TagKeys: tagKeys,
		Reset:   s.reset,
	}
}

// tagKeys: roles and users answer iam:ResourceTag besides
// aws:ResourceTag (the older alias); other resources only the latter.
func tagKeys(resource string) []string {
	parts := strings.SplitN(resource, ":", 6)
	if len(parts) == 6 && (strings.HasPrefix(parts[5], "role/") || strings.HasPrefix(parts[5], "user/")) {
		return []string{"iam:resourcetag/", "aws:resourcetag/"}
	}
	return []string{"aws:resourcetag/"}
}

// grantedByPasswordPolicy: a password policy that lets users change
// their own passwords grants each user ChangePassword and
// GetAccountPasswordPolicy without a policy saying so.
func (s *IAM) grantedByPasswordPolicy(ctx *request.Context, op string) (bool, error) {
	if op != "ChangePassword" && op != "GetAccountPasswordPolicy" || !strings.Contains(ctx.Caller.ARN, ":user/") {
		return false, nil
	}
	return s.UsersMayChangePassword(ctx.Caller.Account)
}

// entityFinder finds the ARN, with its path, of an existing role, user
// or group of account by name ("role", "user", "group").
type entityFinder func(account, kind, name string) (arn string, ok bool)

func authzRules(find entityFinder) kit.Authz {
	return kit.Authz{
		Resources: resources(find),
		Context:   conditionKeys,
		// "You cannot call any IAM operations using the temporary
		// credentials returned by GetFederationToken."
		NotForFederated: true,
		// Roles named here are not handed to IAM to act as.
		NamesRoles: true,
	}
}

// entityARN finds stored entities for resource ARNs with their paths.
// It reads only the record's name and path, through a decode cache, and
// keeps the ARNs it finds while IAM's store is unchanged (views.go).
func (s *IAM) entityARN(account, kind, name string) (string, bool) {
	i := slices.Index(entityKinds[:], kind)
	if i < 0 {
		return "", false
	}
	k := entityKey{account: account, kind: i, name: name}
	arn, gen, ok := s.views.arns.Lookup(k)
	if ok {
		return arn, true
	}
	arn, ok = s.readEntityARN(account, i, lower(name))
	if ok {
		s.views.arns.Add(k, gen, arn)
	}
	return arn, ok
}

// readEntityARN is entityARN's read of the store: the ARN of the entity
// of kind entityKinds[i] stored under lname.
func (s *IAM) readEntityARN(account string, i int, lname string) (string, bool) {
	kind := entityKinds[i]
	var h entityHead
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		h, ok, err = s.heads[i].Get(tx, storage.Global(account), lname)
		return err
	})
	if err != nil || !ok {
		return "", false
	}
	return arnOf(account, kind, h.Path, h.Name), true
}

// resourceTags gives roles' and users' tags.
func (s *IAM) resourceTags(_ *request.Context, arn string) (map[string]string, bool, error) {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 {
		return nil, false, nil
	}
	var tags []Tag
	switch res := parts[5]; {
	case strings.HasPrefix(res, "role/"):
		r, ok, err := s.RoleByARN(arn)
		if err != nil || !ok {
			return nil, ok, err
		}
		tags = r.Tags
	case strings.HasPrefix(res, "user/"):
		u, ok, err := s.UserByName(parts[4], res[strings.LastIndexByte(res, '/')+1:])
		if err != nil || !ok {
			return nil, ok, err
		}
		tags = u.Tags
	default:
		return nil, false, nil
	}
	m := map[string]string{}
	for _, t := range tags {
		m[t.Key] = t.Value
	}
	return m, true, nil
}

func resources(find entityFinder) func(op string, in kit.Input, env kit.Env) []string {
	return func(op string, in kit.Input, env kit.Env) []string {
		acct := "arn:aws:iam::" + env.Account + ":"
		// The entity an operation acts on comes first: AttachRolePolicy is
		// checked on the role, not on the policy.
		entity := func(kind, member string) []string {
			name := in.Str(member)
			if strings.HasPrefix(op, "Create") && strings.HasSuffix(op, kindOp[kind]) {
				// A new entity's ARN carries the Path it is created with.
				return []string{acct + kind + pathOr(in.Str("Path")) + name}
			}
			if find != nil && kind != "instance-profile" {
				if a, ok := find(env.Account, kind, name); ok {
					return []string{a}
				}
			}
			return []string{acct + kind + "/" + name}
		}
		switch {
		case in.Str("RoleName") != "":
			return entity("role", "RoleName")
		case in.Str("GroupName") != "":
			return entity("group", "GroupName")
		case in.Str("UserName") != "":
			return entity("user", "UserName")
		case in.Str("InstanceProfileName") != "":
			return entity("instance-profile", "InstanceProfileName")
		case in.Str("PolicyArn") != "":
			return []string{in.Str("PolicyArn")}
		case in.Str("SAMLProviderArn") != "":
			return []string{in.Str("SAMLProviderArn")}
		case in.Str("OpenIDConnectProviderArn") != "":
			return []string{in.Str("OpenIDConnectProviderArn")}
		case in.Str("PolicySourceArn") != "":
			return []string{in.Str("PolicySourceArn")}
		case op == "CreatePolicy" && in.Str("PolicyName") != "":
			return []string{acct + "policy" + pathOr(in.Str("Path")) + in.Str("PolicyName")}
		case op == "CreateSAMLProvider" && in.Str("Name") != "":
			return []string{acct + "saml-provider/" + in.Str("Name")}
		case op == "CreateServiceLinkedRole":
			// The role's name is IAM's to choose; its path is the service's.
			return []string{acct + "role/aws-service-role/" + in.Str("AWSServiceName") + "/"}
		case op == "CreateVirtualMFADevice":
			return []string{acct + "mfa" + pathOr(in.Str("Path")) + in.Str("VirtualMFADeviceName")}
		case in.Str("SerialNumber") != "" && op != "EnableMFADevice" && op != "DeactivateMFADevice":
			return []string{in.Str("SerialNumber")} // the device itself
		case in.Str("ServerCertificateName") != "":
			return []string{acct + "server-certificate" + pathOr(in.Str("Path")) + in.Str("ServerCertificateName")}
		}
		// Operations on the caller itself when the user is omitted.
		if callerOps[op] && strings.Contains(env.CallerARN, ":user/") {
			return []string{env.CallerARN}
		}
		return nil
	}
}

// callerOps act on the calling user when UserName is omitted.
var callerOps = kit.Set("GetUser", "ListAccessKeys", "CreateAccessKey", "UpdateAccessKey", "DeleteAccessKey",
	"ListUserPolicies", "ListAttachedUserPolicies", "ListGroupsForUser", "ChangePassword",
	"GetLoginProfile", "ListUserTags", "ListSigningCertificates", "ListSSHPublicKeys", "ListMFADevices",
	"EnableMFADevice", "DeactivateMFADevice", "ListServiceSpecificCredentials")

// kindOp is the operation suffix that creates an entity kind
// (CreateRole, CreateUser, CreateGroup, CreateInstanceProfile).
var kindOp = map[string]string{"role": "Role", "user": "User", "group": "Group", "instance-profile": "InstanceProfile"}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// attachOps take iam:PolicyARN.
var attachOps = kit.Set("AttachRolePolicy", "AttachUserPolicy", "AttachGroupPolicy",
	"DetachRolePolicy", "DetachUserPolicy", "DetachGroupPolicy")

func conditionKeys(op string, in kit.Input) iam.Context {
	var c iam.Context // nil until a key has a value: most calls set none
	set := func(key, value string) {
		if value == "" {
			return
		}
		if c == nil {
			c = iam.Context{}
		}
		c.Set(key, value)
	}
	if attachOps[op] {
		set("iam:policyarn", in.Str("PolicyArn"))
	}
	set("iam:permissionsboundary", in.Str("PermissionsBoundary"))
	set("iam:awsservicename", in.Str("AWSServiceName"))
	return c
}
