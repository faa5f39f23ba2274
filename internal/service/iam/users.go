package iam

import (
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func getUser(tx storage.Tx, sc storage.Scope, name string) (userRecord, error) {
	u, ok, err := users.Get(tx, sc, lower(name))
	if err != nil {
		return u, err
	}
	if !ok {
		return u, noSuchUser(name)
	}
	return u, nil
}

// updateUser runs fn on the named user inside one write transaction and
// stores the user as fn leaves it.
func (s *IAM) updateUser(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, u *userRecord) error) error {
	n, err := required("userName", name)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		u, err := getUser(tx, sc, n)
		if err != nil {
			return err
		}
		if err := fn(tx, sc, &u); err != nil {
			return err
		}
		return users.Put(tx, sc, u, lower(u.Name))
	})
}

func (s *IAM) viewUser(ctx *request.Context, name *string) (userRecord, error) {
	n, err := required("userName", name)
	if err != nil {
		return userRecord{}, err
	}
	var u userRecord
	err = s.store.View(func(tx storage.Tx) error {
		u, err = getUser(tx, scope(ctx), n)
		return err
	})
	return u, err
}

// userOut renders a user. ListUsers leaves out the boundary and the tags,
// as IAM does; Get and Create include them.
func userOut(account string, u *userRecord, full bool) iamapi.User {
	out := iamapi.User{
		Path:             ptr(u.Path),
		UserName:         ptr(u.Name),
		UserId:           ptr(u.ID),
		Arn:              ptr(userARN(account, u)),
		CreateDate:       ptr(u.CreateDate),
		PasswordLastUsed: u.PasswordLastUsed,
	}
	if full {
		out.PermissionsBoundary = boundaryOut(u.Boundary)
		out.Tags = tagsOut(u.Tags)
	}
	return out
}

func (s *IAM) CreateUser(ctx *request.Context, in *iamapi.CreateUserInput) (*iamapi.CreateUserOutput, error) {
	name, err := required("userName", in.UserName)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(in.Tags)
	if err != nil {
		return nil, err
	}
	u := userRecord{Name: name, ID: newID("AIDA"), Path: path, CreateDate: now(ctx), Tags: tags}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := users.Get(tx, sc, lower(name)); err != nil || ok {
			if ok {
				return iamapi.ErrEntityAlreadyExistsException.New("User with name %s already exists.", name)
			}
			return err
		}
		if in.PermissionsBoundary != nil {
			if err := s.setBoundary(tx, sc, &u.Boundary, kindUser, name, *in.PermissionsBoundary); err != nil {
				return err
			}
		}
		return users.Put(tx, sc, u, lower(name))
	})
	if err != nil {
		return nil, err
	}
	out := userOut(ctx.Account, &u, true)
	return &iamapi.CreateUserOutput{User: &out}, nil
}

// GetUser without a UserName describes the caller: the calling IAM user, or
// the account root (which has no name or path).
func (s *IAM) GetUser(ctx *request.Context, in *iamapi.GetUserInput) (*iamapi.GetUserOutput, error) {
	name, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if name == "" {
		return &iamapi.GetUserOutput{User: &iamapi.User{
			UserId:     ptr(ctx.Account),
			Arn:        ptr(rootARN(ctx.Account)),
			CreateDate: ptr(now(ctx)),
		}}, nil
	}
	u, err := s.viewUser(ctx, &name)
	if err != nil {
		return nil, err
	}
	out := userOut(ctx.Account, &u, true)
	return &iamapi.GetUserOutput{User: &out}, nil
}

func (s *IAM) ListUsers(ctx *request.Context, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	pp := pathPrefix(in.PathPrefix)
	var list []userRecord
	var res pageResult
	err = s.store.View(func(tx storage.Tx) error {
		list, res, err = tablePage(tx, users, scope(ctx), nil, p, func(u userRecord) bool { return strings.HasPrefix(u.Path, pp) })
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListUsersOutput{Users: []iamapi.User{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for i := range list {
		out.Users = append(out.Users, userOut(ctx.Account, &list[i], false))
	}
	return out, nil
}

// UpdateUser renames and/or moves a user. A rename carries everything that
// refers to the user by name along: group memberships, policy uses and
// access keys.
func (s *IAM) UpdateUser(ctx *request.Context, in *iamapi.UpdateUserInput) (*iamapi.UpdateUserOutput, error) {
	name, err := required("userName", in.UserName)
	if err != nil {
		return nil, err
	}
	var newPath string
	if in.NewPath != nil {
		if newPath, err = checkPath("newPath", in.NewPath); err != nil {
			return nil, err
		}
	}
	sc := scope(ctx)
	return empty[iamapi.UpdateUserOutput](s.store.Update(func(tx storage.Tx) error {
		u, err := getUser(tx, sc, name)
		if err != nil {
			return err
		}
		old := u
		if newPath != "" {
			u.Path = newPath
		}
		newName := str(in.NewUserName)
		if newName == "" || newName == u.Name {
			return users.Put(tx, sc, u, lower(u.Name))
		}
		if lower(newName) != lower(u.Name) {
			if _, ok, err := users.Get(tx, sc, lower(newName)); err != nil || ok {
				if ok {
					return iamapi.ErrEntityAlreadyExistsException.New("User with name %s already exists.", newName)
				}
				return err
			}
		}
		u.Name = newName
		if err := users.Delete(tx, sc, lower(old.Name)); err != nil {
			return err
		}
		if err := users.Put(tx, sc, u, lower(u.Name)); err != nil {
			return err
		}
		for _, g := range u.Groups {
			if err := groupMembers.Delete(tx, sc, lower(g), lower(old.Name)); err != nil {
				return err
			}
			if err := groupMembers.Put(tx, sc, memberRecord{User: u.Name}, lower(g), lower(u.Name)); err != nil {
				return err
			}
		}
		if err := dropUses(tx, sc, kindUser, old.Name, old.Attached, old.Boundary); err != nil {
			return err
		}
		if err := addUses(tx, sc, kindUser, u.Name, u.Attached, u.Boundary); err != nil {
			return err
		}
		return moveAccessKeys(tx, sc, old.Name, u.Name)
	}))
}

// DeleteUser refuses, as IAM does, while anything still hangs off the user.
func (s *IAM) DeleteUser(ctx *request.Context, in *iamapi.DeleteUserInput) (*iamapi.DeleteUserOutput, error) {
	name, err := required("userName", in.UserName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeleteUserOutput](s.store.Update(func(tx storage.Tx) error {
		u, err := getUser(tx, sc, name)
		if err != nil {
			return err
		}
		keys, err := userKeyIDs(tx, sc, u.Name)
		if err != nil {
			return err
		}
		switch {
		case u.Login != nil:
			return deleteConflict("Cannot delete entity, must delete login profile first.")
		case len(keys) > 0:
			return deleteConflict("Cannot delete entity, must delete access keys first.")
		case len(u.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(u.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		case len(u.Groups) > 0:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		}
		if err := dropUses(tx, sc, kindUser, u.Name, nil, u.Boundary); err != nil {
			return err
		}
		return users.Delete(tx, sc, lower(u.Name))
	}))
}

func (s *IAM) TagUser(ctx *request.Context, in *iamapi.TagUserInput) (*iamapi.TagUserOutput, error) {
	return empty[iamapi.TagUserOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		tags, err := mergeTags(u.Tags, in.Tags)
		u.Tags = tags
		return err
	}))
}

func (s *IAM) UntagUser(ctx *request.Context, in *iamapi.UntagUserInput) (*iamapi.UntagUserOutput, error) {
	return empty[iamapi.UntagUserOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		u.Tags = removeTags(u.Tags, in.TagKeys)
		return nil
	}))
}

func (s *IAM) ListUserTags(ctx *request.Context, in *iamapi.ListUserTagsInput) (*iamapi.ListUserTagsOutput, error) {
	u, err := s.viewUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	tags, res, err := pageTags(u.Tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListUserTagsOutput{Tags: tags, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

func (s *IAM) PutUserPermissionsBoundary(ctx *request.Context, in *iamapi.PutUserPermissionsBoundaryInput) (*iamapi.PutUserPermissionsBoundaryOutput, error) {
	return empty[iamapi.PutUserPermissionsBoundaryOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		arn, err := required("permissionsBoundary", in.PermissionsBoundary)
		if err != nil {
			return err
		}
		return s.setBoundary(tx, sc, &u.Boundary, kindUser, u.Name, arn)
	}))
}

func (s *IAM) DeleteUserPermissionsBoundary(ctx *request.Context, in *iamapi.DeleteUserPermissionsBoundaryInput) (*iamapi.DeleteUserPermissionsBoundaryOutput, error) {
	return empty[iamapi.DeleteUserPermissionsBoundaryOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		return clearBoundary(tx, sc, &u.Boundary, kindUser, u.Name)
	}))
}
