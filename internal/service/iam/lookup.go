package iam

import (
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// Lookups for the rest of niwa: the signature layer resolves access keys,
// STS resolves roles to assume, and the policy engine reads the policies of
// principals. They are plain methods taking an account where one is needed,
// because their callers are not serving an IAM request. Each reads one
// consistent snapshot of the store.

// AccessKey is a long-term access key and the principal it signs for.
type AccessKey struct {
	AccessKeyID     string
	SecretAccessKey string
	// Status is "Active" or "Inactive"; an inactive key must not
	// authenticate.
	Status  string
	Account string
	// UserName is "" for a key of the account root.
	UserName string
	// UserID is the user's unique id (AIDA...), or the account id for the
	// root, as sts:GetCallerIdentity reports it.
	UserID string
	// UserARN is the user's ARN, or arn:aws:iam::<account>:root.
	UserARN    string
	CreateDate time.Time
}

// Active reports whether the key may sign requests.
func (k AccessKey) Active() bool { return k.Status == keyStatusActive }

// AttachedPolicy is a managed policy attached to a principal.
type AttachedPolicy struct {
	Name string
	ARN  string
}

// InlinePolicy is an inline policy with its JSON document (not URL-encoded).
type InlinePolicy struct {
	Name     string
	Document string
}

// Tag is a principal's tag (aws:PrincipalTag).
type Tag struct {
	Key   string
	Value string
}

// Role is a stored role, with everything needed to assume it and to
// evaluate what its sessions may do.
type Role struct {
	Name    string
	ID      string
	ARN     string
	Path    string
	Account string
	// TrustPolicy is the assume role policy document (JSON, not
	// URL-encoded).
	TrustPolicy        string
	Description        string
	MaxSessionDuration int32
	// PermissionsBoundary is the boundary policy's ARN, or "".
	PermissionsBoundary string
	AttachedPolicies    []AttachedPolicy
	InlinePolicies      []InlinePolicy
	Tags                []Tag
	CreateDate          time.Time
}

// User is a stored user with its groups and policies.
type User struct {
	Name                string
	ID                  string
	ARN                 string
	Path                string
	Account             string
	Groups              []string
	PermissionsBoundary string
	AttachedPolicies    []AttachedPolicy
	InlinePolicies      []InlinePolicy
	Tags                []Tag
	CreateDate          time.Time
}

// Group is a stored group with its policies.
type Group struct {
	Name             string
	ID               string
	ARN              string
	Path             string
	Account          string
	AttachedPolicies []AttachedPolicy
	InlinePolicies   []InlinePolicy
}

func attachedList(in []attachedPolicy) []AttachedPolicy {
	out := make([]AttachedPolicy, len(in))
	for i, a := range in {
		out[i] = AttachedPolicy(a)
	}
	return out
}

func inlineList(in []inlinePolicy) []InlinePolicy {
	out := make([]InlinePolicy, len(in))
	for i, p := range in {
		out[i] = InlinePolicy(p)
	}
	return out
}

func tagList(in []tag) []Tag {
	out := make([]Tag, len(in))
	for i, t := range in {
		out[i] = Tag(t)
	}
	return out
}

// LookupAccessKey finds a long-term access key by id in any account. It
// returns inactive keys too (with their Status), so the caller can tell an
// inactive key from an unknown one if it wants to; both must fail
// authentication.
func (s *IAM) LookupAccessKey(accessKeyID string) (key AccessKey, ok bool, err error) {
	err = s.store.View(func(tx storage.Tx) error {
		k, found, err := accessKeys.Get(tx, keyScope, accessKeyID)
		if err != nil || !found {
			return err
		}
		key = AccessKey{
			AccessKeyID: k.ID, SecretAccessKey: k.Secret, Status: k.Status,
			Account: k.Account, UserName: k.UserName, CreateDate: k.CreateDate,
		}
		if k.UserName == "" {
			key.UserID, key.UserARN = k.Account, rootARN(k.Account)
			ok = true
			return nil
		}
		u, found, err := users.Get(tx, storage.Global(k.Account), lower(k.UserName))
		if err != nil || !found {
			return err
		}
		key.UserName, key.UserID, key.UserARN = u.Name, u.ID, userARN(k.Account, &u)
		ok = true
		return nil
	})
	return key, ok, err
}

// RoleByARN finds a role by its ARN (arn:aws:iam::<account>:role/<path><name>).
// The name matches without regard to case, as IAM role names do; the
// account and path must match exactly.
func (s *IAM) RoleByARN(arn string) (Role, bool, error) {
	a, ok := parseIAMARN(arn)
	if !ok || a.Kind != "role" {
		return Role{}, false, nil
	}
	var role Role
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		r, ok, err := roles.Get(tx, storage.Global(a.Account), lower(a.Name))
		if err != nil || !ok || r.Path != a.Path {
			return err
		}
		found = true
		role = Role{
			Name: r.Name, ID: r.ID, ARN: roleARN(a.Account, &r), Path: r.Path, Account: a.Account,
			TrustPolicy: r.TrustPolicy, Description: r.Description, MaxSessionDuration: r.MaxSessionDuration,
			PermissionsBoundary: r.Boundary, AttachedPolicies: attachedList(r.Attached),
			InlinePolicies: inlineList(r.Inline), Tags: tagList(r.Tags), CreateDate: r.CreateDate,
		}
		return nil
	})
	return role, found, err
}

// RoleByName finds a role of account by name (without regard to case),
// whatever its path: authorization names roles by their full ARN.
func (s *IAM) RoleByName(account, name string) (Role, bool, error) {
	var arn string
	err := s.store.View(func(tx storage.Tx) error {
		r, ok, err := roles.Get(tx, storage.Global(account), lower(name))
		if err == nil && ok {
			arn = roleARN(account, &r)
		}
		return err
	})
	if err != nil || arn == "" {
		return Role{}, false, err
	}
	return s.RoleByARN(arn)
}

// UserByName finds a user of account by name (without regard to case).
func (s *IAM) UserByName(account, name string) (User, bool, error) {
	var user User
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		u, ok, err := users.Get(tx, storage.Global(account), lower(name))
		if err != nil || !ok {
			return err
		}
		found = true
		user = User{
			Name: u.Name, ID: u.ID, ARN: userARN(account, &u), Path: u.Path, Account: account,
			Groups: append([]string{}, u.Groups...), PermissionsBoundary: u.Boundary,
			AttachedPolicies: attachedList(u.Attached), InlinePolicies: inlineList(u.Inline),
			Tags: tagList(u.Tags), CreateDate: u.CreateDate,
		}
		return nil
	})
	return user, found, err
}

// GroupByName finds a group of account by name (without regard to case).
func (s *IAM) GroupByName(account, name string) (Group, bool, error) {
	var group Group
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		g, ok, err := groups.Get(tx, storage.Global(account), lower(name))
		if err != nil || !ok {
			return err
		}
		found = true
		group = Group{
			Name: g.Name, ID: g.ID, ARN: groupARN(account, &g), Path: g.Path, Account: account,
			AttachedPolicies: attachedList(g.Attached), InlinePolicies: inlineList(g.Inline),
		}
		return nil
	})
	return group, found, err
}

// ManagedPolicyDocument returns the default version's document (JSON, not
// URL-encoded) of a managed policy as seen from account: one of account's
// customer managed policies, or an AWS managed policy.
func (s *IAM) ManagedPolicyDocument(account, arn string) (string, bool, error) {
	var doc string
	var found bool
	err := s.store.View(func(tx storage.Tx) error {
		ref, ok, err := s.findPolicy(tx, storage.Global(account), arn)
		if err != nil || !ok {
			return nil // an unparsable ARN is simply no policy here
		}
		versions, def := versionsOf(ref)
		for _, v := range versions {
			if v.ID == def {
				doc, found = v.Document, true
			}
		}
		return nil
	})
	return doc, found, err
}

// NoteAccessKeyUsed records a key's last use (GetAccessKeyLastUsed). The
// signature layer may call it on every request; it writes only when the
// recorded use is older than a minute or names another service or region,
// so a busy key does not turn every request into a write.
func (s *IAM) NoteAccessKeyUsed(accessKeyID, service, region string, at time.Time) error {
	_, err := s.RecordAccessKeyUse(accessKeyID, service, region, at)
	return err
}

// RecordAccessKeyUse is NoteAccessKeyUsed returning the use the key's
// record holds afterwards (zero when there is no such key): until a
// minute after it, with the same service and region, a call would not
// write, and the authorizer does not make it.
func (s *IAM) RecordAccessKeyUse(accessKeyID, service, region string, at time.Time) (recorded time.Time, err error) {
	at = at.UTC().Truncate(time.Second)
	var stale bool
	err = s.store.View(func(tx storage.Tx) error {
		k, ok, err := accessKeys.Get(tx, keyScope, accessKeyID)
		stale = ok && (k.LastUsed == nil || at.Sub(k.LastUsed.Date) >= time.Minute ||
			k.LastUsed.Service != service || k.LastUsed.Region != region)
		if ok && !stale {
			recorded = k.LastUsed.Date
		}
		return err
	})
	if err != nil || !stale {
		return recorded, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		k, ok, err := accessKeys.Get(tx, keyScope, accessKeyID)
		if err != nil || !ok {
			return err
		}
		k.LastUsed = &keyUse{Date: at, Service: service, Region: region}
		recorded = at
		return accessKeys.Put(tx, keyScope, k, k.ID)
	})
	return recorded, err
}

// NoteRoleUsed records that a role was assumed (GetRole's RoleLastUsed),
// with the same write-at-most-once-a-minute rule as NoteAccessKeyUsed.
func (s *IAM) NoteRoleUsed(arn, region string, at time.Time) error {
	_, err := s.RecordRoleUse(arn, region, at)
	return err
}

// RecordRoleUse is NoteRoleUsed returning the use the role's record
// holds afterwards (zero when there is no such role), as
// RecordAccessKeyUse.
func (s *IAM) RecordRoleUse(arn, region string, at time.Time) (recorded time.Time, err error) {
	a, ok := parseIAMARN(arn)
	if !ok || a.Kind != "role" {
		return time.Time{}, nil
	}
	at = at.UTC().Truncate(time.Second)
	sc := storage.Global(a.Account)
	var stale bool
	err = s.store.View(func(tx storage.Tx) error {
		r, ok, err := roles.Get(tx, sc, lower(a.Name))
		stale = ok && (r.LastUsed == nil || at.Sub(r.LastUsed.Date) >= time.Minute || r.LastUsed.Region != region)
		if ok && !stale {
			recorded = r.LastUsed.Date
		}
		return err
	})
	if err != nil || !stale {
		return recorded, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		r, ok, err := roles.Get(tx, sc, lower(a.Name))
		if err != nil || !ok {
			return err
		}
		r.LastUsed = &roleLastUsed{Date: at, Region: region}
		recorded = at
		return roles.Put(tx, sc, r, lower(r.Name))
	})
	return recorded, err
}
