package iam

import (
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// IAM's reads that every call of a kind makes — the ARN of the entity an
// operation names (authorization asks it of GetRole, GetUser, ...), and
// GetRole's and GetUser's answers — are kept under IAM's write count
// (storage.Counting, generation.go): while no write to IAM's store has
// happened since an entry was read, it is what reading and rendering the
// record again would give. Any write (a tag, a policy attached, a trust
// policy, the role's last use, a deletion) or a reset makes every entry
// stale, and the request after it reads the store (storage.GenCache's
// rule: the count moves after the write's transaction returns, and a
// reader reads the count before the store).
//
// The kept answers are shared by every request that reads them: what
// GetRole and GetUser return is a copy of the output structure whose
// pointers and slices are the cache's, read-only like every handler's
// output.
type views struct {
	// arns is entityARN's answer for stored entities (missing ones are
	// not kept: CreateUser asks for the user it is about to create).
	arns *storage.GenCache[entityKey, string]
	// roles is GetRole's answer per role, users GetUser's per user.
	roles *storage.GenCache[entityKey, iamapi.Role]
	users *storage.GenCache[entityKey, iamapi.User]
}

// entityKey names a user, group or role of an account.
type entityKey struct {
	account string
	kind    int // the index of its kind in entityKinds
	// name is as the request spelled it (IAM's names are matched without
	// regard to case: each spelling is an entry of its own, and no
	// request lower-cases a name to find its entry).
	name string
}

// Indexes of entityKinds.
const (
	kindUserIdx = iota
	kindGroupIdx
	kindRoleIdx
)

// cloneEntityKey copies a key's strings, slices of a request, before a
// cache keeps them.
func cloneEntityKey(k entityKey) entityKey {
	return entityKey{account: strings.Clone(k.account), kind: k.kind, name: strings.Clone(k.name)}
}

func newViews(s *IAM) views {
	o := storage.GenCacheOptions[entityKey]{Writes: &s.gen, CloneKey: cloneEntityKey}
	return views{
		arns:  storage.NewGenCache[entityKey, string](o),
		roles: storage.NewGenCache[entityKey, iamapi.Role](o),
		users: storage.NewGenCache[entityKey, iamapi.User](o),
	}
}

// reset drops every kept entry: the store was emptied.
func (v *views) reset() {
	v.arns.Reset()
	v.roles.Reset()
	v.users.Reset()
}

// roleAnswer is GetRole's Role for the named role, read through the
// cache.
func (s *IAM) roleAnswer(ctx *request.Context, name *string) (iamapi.Role, error) {
	if name == nil || *name == "" {
		_, err := s.viewRole(ctx, name) // the validation error
		return iamapi.Role{}, err
	}
	k := entityKey{account: ctx.Account, kind: kindRoleIdx, name: *name}
	out, gen, ok := s.views.roles.Lookup(k)
	if ok {
		return out, nil
	}
	r, err := s.viewRole(ctx, name)
	if err != nil {
		return out, err
	}
	out = roleOut(ctx.Account, &r, roleFull)
	s.views.roles.Add(k, gen, out)
	return out, nil
}

// userAnswer is GetUser's User for the user named (not the root),
// read through the cache.
func (s *IAM) userAnswer(ctx *request.Context, name string) (iamapi.User, error) {
	k := entityKey{account: ctx.Account, kind: kindUserIdx, name: name}
	out, gen, ok := s.views.users.Lookup(k)
	if ok {
		return out, nil
	}
	u, err := s.viewUser(ctx, &name)
	if err != nil {
		return out, err
	}
	out = userOut(ctx.Account, &u, true)
	s.views.users.Add(k, gen, out)
	return out, nil
}
