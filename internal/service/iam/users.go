package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func getUser(tx storage.Tx, sc storage.Scope, name string) (userRecord, error) {
	return userKind.get(tx, sc, name)
}

// updateUser runs fn on the named user inside one write transaction and
// stores the user as fn leaves it.
func (s *IAM) updateUser(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, u *userRecord) error) error {
	return userKind.update(s.store, ctx, name, fn)
}

func (s *IAM) viewUser(ctx *request.Context, name *string) (userRecord, error) {
	return userKind.view(s.store, ctx, name)
}

// userOut renders a user. ListUsers leaves out the boundary and the tags,
// as IAM does; Get and Create include them.
func userOut(account string, u *userRecord, full bool) iamapi.User {
	out := iamapi.User{
		Path:             ptr.To(u.Path),
		UserName:         ptr.To(u.Name),
		UserId:           ptr.To(u.ID),
		Arn:              ptr.To(userARN(account, u)),
		CreateDate:       ptr.To(u.CreateDate),
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
		if err := userKind.mustBeNew(tx, sc, name); err != nil {
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
			UserId:     ptr.To(ctx.Account),
			Arn:        ptr.To(rootARN(ctx.Account)),
			CreateDate: ptr.To(now(ctx)),
		}}, nil
	}
	out, err := s.userAnswer(ctx, name)
	if err != nil {
		return nil, err
	}
	return &iamapi.GetUserOutput{User: &out}, nil
}

func (s *IAM) ListUsers(ctx *request.Context, in *iamapi.ListUsersInput) (*iamapi.ListUsersOutput, error) {
	list, res, err := userKind.list(s.store, ctx, in.Marker, in.MaxItems, in.PathPrefix)
	if err != nil {
		return nil, err
	}
	out := render(list, func(u *userRecord) iamapi.User { return userOut(ctx.Account, u, false) })
	return &iamapi.ListUsersOutput{Users: out, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// UpdateUser renames and/or moves a user. A rename carries everything that
// refers to the user by name along: group memberships, policy uses and
// access keys.
func (s *IAM) UpdateUser(ctx *request.Context, in *iamapi.UpdateUserInput) (*iamapi.UpdateUserOutput, error) {
	return empty[iamapi.UpdateUserOutput](userKind.moveOrRename(s.store, ctx, in.UserName, in.NewPath, in.NewUserName, func(tx storage.Tx, sc storage.Scope, old, u *userRecord) error {
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
		case len(u.MFA) > 0:
			return deleteConflict("Cannot delete entity, must delete MFA device first.")
		case len(u.SSHKeys) > 0:
			return deleteConflict("Cannot delete entity, must delete SSH public keys first.")
		case len(u.SigningCerts) > 0:
			return deleteConflict("Cannot delete entity, must delete signing certificates first.")
		case len(u.ServiceCreds) > 0:
			return deleteConflict("Cannot delete entity, must delete service specific credentials first.")
		}
		if err := dropUses(tx, sc, kindUser, u.Name, nil, u.Boundary); err != nil {
			return err
		}
		return users.Delete(tx, sc, lower(u.Name))
	}))
}

func (s *IAM) TagUser(ctx *request.Context, in *iamapi.TagUserInput) (*iamapi.TagUserOutput, error) {
	return empty[iamapi.TagUserOutput](userKind.tag(s.store, ctx, in.UserName, in.Tags))
}

func (s *IAM) UntagUser(ctx *request.Context, in *iamapi.UntagUserInput) (*iamapi.UntagUserOutput, error) {
	return empty[iamapi.UntagUserOutput](userKind.untag(s.store, ctx, in.UserName, in.TagKeys))
}

func (s *IAM) ListUserTags(ctx *request.Context, in *iamapi.ListUserTagsInput) (*iamapi.ListUserTagsOutput, error) {
	tags, res, err := userKind.listTags(s.store, ctx, in.UserName, in.Marker, in.MaxItems)
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
