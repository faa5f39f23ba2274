package iam

import (
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// entityKind describes one kind of named IAM entity (user, group, role,
// instance profile). They are all stored by lower-cased name, looked up the
// same way, listed by path prefix and tagged the same way, so those shapes
// are written once here and each kind only says what differs: its table,
// the request member naming it and the errors IAM answers with.
//
// Like the tables, an entityKind is a description, not state.
type entityKind[T any] struct {
	table  storage.Table[T]
	member string // the request member that names the entity, e.g. "userName"
	// notFound is the NoSuchEntity error for a name and exists the message
	// of EntityAlreadyExists (with %s for the name); IAM words them
	// differently per kind.
	notFound func(name string) error
	exists   string
	// name and path point into the record, so that one accessor serves
	// both reading and renaming or moving.
	name func(*T) *string
	path func(*T) *string
	// tags is nil for kinds IAM does not tag (groups).
	tags func(*T) *[]tag
}

var (
	userKind = entityKind[userRecord]{
		table: users, member: "userName", notFound: noSuchUser,
		exists: "User with name %s already exists.",
		name:   func(u *userRecord) *string { return &u.Name },
		path:   func(u *userRecord) *string { return &u.Path },
		tags:   func(u *userRecord) *[]tag { return &u.Tags },
	}
	groupKind = entityKind[groupRecord]{
		table: groups, member: "groupName", notFound: noSuchGroup,
		exists: "Group with name %s already exists.",
		name:   func(g *groupRecord) *string { return &g.Name },
		path:   func(g *groupRecord) *string { return &g.Path },
	}
	roleKind = entityKind[roleRecord]{
		table: roles, member: "roleName", notFound: noSuchRole,
		exists: "Role with name %s already exists.",
		name:   func(r *roleRecord) *string { return &r.Name },
		path:   func(r *roleRecord) *string { return &r.Path },
		tags:   func(r *roleRecord) *[]tag { return &r.Tags },
	}
	instanceProfileKind = entityKind[instanceProfileRecord]{
		table: instanceProfiles, member: "instanceProfileName", notFound: noSuchInstanceProfile,
		exists: "Instance Profile %s already exists.",
		name:   func(ip *instanceProfileRecord) *string { return &ip.Name },
		path:   func(ip *instanceProfileRecord) *string { return &ip.Path },
		tags:   func(ip *instanceProfileRecord) *[]tag { return &ip.Tags },
	}
)

// get reads the named entity, answering NoSuchEntity when it is not there.
func (k entityKind[T]) get(tx storage.Tx, sc storage.Scope, name string) (T, error) {
	v, ok, err := k.table.Get(tx, sc, lower(name))
	if err != nil {
		return v, err
	}
	if !ok {
		return v, k.notFound(name)
	}
	return v, nil
}

// put stores v under its (lower-cased) name.
func (k entityKind[T]) put(tx storage.Tx, sc storage.Scope, v T) error {
	return k.table.Put(tx, sc, v, lower(*k.name(&v)))
}

// mustBeNew answers EntityAlreadyExists when an entity is stored under
// name, which Create and a rename must not overwrite.
func (k entityKind[T]) mustBeNew(tx storage.Tx, sc storage.Scope, name string) error {
	_, ok, err := k.table.Get(tx, sc, lower(name))
	if err != nil {
		return err
	}
	if ok {
		return iamapi.ErrEntityAlreadyExistsException.New(k.exists, name)
	}
	return nil
}

// update runs fn on the named entity inside one write transaction and
// stores the entity as fn leaves it.
func (k entityKind[T]) update(store storage.Store, ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, v *T) error) error {
	n, err := required(k.member, name)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return store.Update(func(tx storage.Tx) error {
		v, err := k.get(tx, sc, n)
		if err != nil {
			return err
		}
		if err := fn(tx, sc, &v); err != nil {
			return err
		}
		return k.put(tx, sc, v)
	})
}

// view reads the named entity in a read transaction.
func (k entityKind[T]) view(store storage.Store, ctx *request.Context, name *string) (T, error) {
	var v T
	n, err := required(k.member, name)
	if err != nil {
		return v, err
	}
	err = store.View(func(tx storage.Tx) error {
		v, err = k.get(tx, scope(ctx), n)
		return err
	})
	return v, err
}

// pageByPath is one page of the List operation: the entities whose path
// starts with prefix, in name order.
func (k entityKind[T]) pageByPath(tx storage.Tx, sc storage.Scope, p pageReq, prefix *string) ([]T, pageResult, error) {
	pp := pathPrefix(prefix)
	return tablePage(tx, k.table, sc, nil, p, func(v T) bool { return strings.HasPrefix(*k.path(&v), pp) })
}

// list reads one page of the List operation in its own read transaction.
func (k entityKind[T]) list(store storage.Store, ctx *request.Context, marker *string, maxItems *int32, prefix *string) ([]T, pageResult, error) {
	p, err := newPage(marker, maxItems)
	if err != nil {
		return nil, pageResult{}, err
	}
	var list []T
	var res pageResult
	err = store.View(func(tx storage.Tx) error {
		list, res, err = k.pageByPath(tx, scope(ctx), p, prefix)
		return err
	})
	return list, res, err
}

// moveOrRename is Update<Kind> for users and groups: it moves the named
// entity to newPath (when given) and renames it to newName (when given and
// different). After a rename has stored the entity under its new name,
// carry moves what refers to it by name (old is the entity as it was).
func (k entityKind[T]) moveOrRename(store storage.Store, ctx *request.Context, name, newPath, newName *string, carry func(tx storage.Tx, sc storage.Scope, old, v *T) error) error {
	n, err := required(k.member, name)
	if err != nil {
		return err
	}
	var path string
	if newPath != nil {
		if path, err = checkPath("newPath", newPath); err != nil {
			return err
		}
	}
	sc := scope(ctx)
	return store.Update(func(tx storage.Tx) error {
		v, err := k.get(tx, sc, n)
		if err != nil {
			return err
		}
		old := v
		if path != "" {
			*k.path(&v) = path
		}
		to := ptr.Deref(newName)
		if to == "" || to == *k.name(&v) {
			return k.put(tx, sc, v)
		}
		// A change of case only keeps the key, so it cannot collide.
		if lower(to) != lower(*k.name(&v)) {
			if err := k.mustBeNew(tx, sc, to); err != nil {
				return err
			}
		}
		*k.name(&v) = to
		if err := k.table.Delete(tx, sc, lower(*k.name(&old))); err != nil {
			return err
		}
		if err := k.put(tx, sc, v); err != nil {
			return err
		}
		return carry(tx, sc, &old, &v)
	})
}

// tag sets the given tags on the named entity (Tag<Kind>).
func (k entityKind[T]) tag(store storage.Store, ctx *request.Context, name *string, add []iamapi.Tag) error {
	return k.update(store, ctx, name, func(_ storage.Tx, _ storage.Scope, v *T) error {
		ts, err := mergeTags(*k.tags(v), add)
		if err != nil {
			return err
		}
		*k.tags(v) = ts
		return nil
	})
}

// untag drops the tags with these keys from the named entity (Untag<Kind>).
func (k entityKind[T]) untag(store storage.Store, ctx *request.Context, name *string, keys []string) error {
	return k.update(store, ctx, name, func(_ storage.Tx, _ storage.Scope, v *T) error {
		*k.tags(v) = removeTags(*k.tags(v), keys)
		return nil
	})
}

// listTags is one page of the named entity's tags (List<Kind>Tags).
func (k entityKind[T]) listTags(store storage.Store, ctx *request.Context, name *string, marker *string, maxItems *int32) ([]iamapi.Tag, pageResult, error) {
	v, err := k.view(store, ctx, name)
	if err != nil {
		return nil, pageResult{}, err
	}
	return pageTags(*k.tags(&v), marker, maxItems)
}

// render maps records to their outputs; the result is never nil because IAM
// always sends the (possibly empty) list.
func render[T, O any](list []T, out func(*T) O) []O {
	o := make([]O, 0, len(list))
	for i := range list {
		o = append(o, out(&list[i]))
	}
	return o
}
