package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func getGroup(tx storage.Tx, sc storage.Scope, name string) (groupRecord, error) {
	return groupKind.get(tx, sc, name)
}

func (s *IAM) updateGroup(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, g *groupRecord) error) error {
	return groupKind.update(s.store, ctx, name, fn)
}

func (s *IAM) viewGroup(ctx *request.Context, name *string) (groupRecord, error) {
	return groupKind.view(s.store, ctx, name)
}

func groupOut(account string, g *groupRecord) iamapi.Group {
	return iamapi.Group{
		Path:       ptr.To(g.Path),
		GroupName:  ptr.To(g.Name),
		GroupId:    ptr.To(g.ID),
		Arn:        ptr.To(groupARN(account, g)),
		CreateDate: ptr.To(g.CreateDate),
	}
}

func (s *IAM) CreateGroup(ctx *request.Context, in *iamapi.CreateGroupInput) (*iamapi.CreateGroupOutput, error) {
	name, err := required("groupName", in.GroupName)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	g := groupRecord{Name: name, ID: newID("AGPA"), Path: path, CreateDate: now(ctx)}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if err := groupKind.mustBeNew(tx, sc, name); err != nil {
			return err
		}
		return groups.Put(tx, sc, g, lower(name))
	})
	if err != nil {
		return nil, err
	}
	out := groupOut(ctx.Account, &g)
	return &iamapi.CreateGroupOutput{Group: &out}, nil
}

// GetGroup describes a group and pages through its users.
func (s *IAM) GetGroup(ctx *request.Context, in *iamapi.GetGroupInput) (*iamapi.GetGroupOutput, error) {
	name, err := required("groupName", in.GroupName)
	if err != nil {
		return nil, err
	}
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &iamapi.GetGroupOutput{Users: []iamapi.User{}}
	err = s.store.View(func(tx storage.Tx) error {
		g, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		gout := groupOut(ctx.Account, &g)
		out.Group = &gout
		members, res, err := tablePage(tx, groupMembers, sc, []string{lower(g.Name)}, p, nil)
		if err != nil {
			return err
		}
		out.IsTruncated, out.Marker = res.IsTruncated, res.Marker
		for _, m := range members {
			u, ok, err := users.Get(tx, sc, lower(m.User))
			if err != nil {
				return err
			}
			if ok {
				out.Users = append(out.Users, userOut(ctx.Account, &u, false))
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *IAM) ListGroups(ctx *request.Context, in *iamapi.ListGroupsInput) (*iamapi.ListGroupsOutput, error) {
	list, res, err := groupKind.list(s.store, ctx, in.Marker, in.MaxItems, in.PathPrefix)
	if err != nil {
		return nil, err
	}
	out := render(list, func(g *groupRecord) iamapi.Group { return groupOut(ctx.Account, g) })
	return &iamapi.ListGroupsOutput{Groups: out, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// UpdateGroup renames and/or moves a group, carrying its memberships and
// policy uses to the new name.
func (s *IAM) UpdateGroup(ctx *request.Context, in *iamapi.UpdateGroupInput) (*iamapi.UpdateGroupOutput, error) {
	return empty[iamapi.UpdateGroupOutput](groupKind.moveOrRename(s.store, ctx, in.GroupName, in.NewPath, in.NewGroupName, func(tx storage.Tx, sc storage.Scope, old, g *groupRecord) error {
		var members []memberRecord
		err := groupMembers.List(tx, sc, []string{lower(old.Name)}, storage.ListOptions{}, func(_ []string, m memberRecord) bool {
			members = append(members, m)
			return true
		})
		if err != nil {
			return err
		}
		for _, m := range members {
			if err := groupMembers.Delete(tx, sc, lower(old.Name), lower(m.User)); err != nil {
				return err
			}
			if err := groupMembers.Put(tx, sc, m, lower(g.Name), lower(m.User)); err != nil {
				return err
			}
			u, ok, err := users.Get(tx, sc, lower(m.User))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			for i, gn := range u.Groups {
				if lower(gn) == lower(old.Name) {
					u.Groups[i] = g.Name
				}
			}
			if err := users.Put(tx, sc, u, lower(u.Name)); err != nil {
				return err
			}
		}
		if err := dropUses(tx, sc, kindGroup, old.Name, old.Attached, ""); err != nil {
			return err
		}
		return addUses(tx, sc, kindGroup, g.Name, g.Attached, "")
	}))
}

func (s *IAM) DeleteGroup(ctx *request.Context, in *iamapi.DeleteGroupInput) (*iamapi.DeleteGroupOutput, error) {
	name, err := required("groupName", in.GroupName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeleteGroupOutput](s.store.Update(func(tx storage.Tx) error {
		g, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		hasMembers := false
		err = groupMembers.List(tx, sc, []string{lower(g.Name)}, storage.ListOptions{Limit: 1}, func([]string, memberRecord) bool {
			hasMembers = true
			return false
		})
		if err != nil {
			return err
		}
		switch {
		case hasMembers:
			return deleteConflict("Cannot delete entity, must remove users from group first.")
		case len(g.Attached) > 0:
			return deleteConflict("Cannot delete entity, must detach all policies first.")
		case len(g.Inline) > 0:
			return deleteConflict("Cannot delete entity, must delete policies first.")
		}
		return groups.Delete(tx, sc, lower(g.Name))
	}))
}

func (s *IAM) AddUserToGroup(ctx *request.Context, in *iamapi.AddUserToGroupInput) (*iamapi.AddUserToGroupOutput, error) {
	gname, err := required("groupName", in.GroupName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.AddUserToGroupOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		g, err := getGroup(tx, sc, gname)
		if err != nil {
			return err
		}
		for _, gn := range u.Groups {
			if lower(gn) == lower(g.Name) {
				return nil
			}
		}
		if len(u.Groups) >= maxGroupsPerUser {
			return limitExceeded("Cannot exceed quota for GroupsPerUser: %d", maxGroupsPerUser)
		}
		u.Groups = append(u.Groups, g.Name)
		return groupMembers.Put(tx, sc, memberRecord{User: u.Name}, lower(g.Name), lower(u.Name))
	}))
}

func (s *IAM) RemoveUserFromGroup(ctx *request.Context, in *iamapi.RemoveUserFromGroupInput) (*iamapi.RemoveUserFromGroupOutput, error) {
	gname, err := required("groupName", in.GroupName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.RemoveUserFromGroupOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		g, err := getGroup(tx, sc, gname)
		if err != nil {
			return err
		}
		for i, gn := range u.Groups {
			if lower(gn) == lower(g.Name) {
				u.Groups = append(u.Groups[:i:i], u.Groups[i+1:]...)
				return groupMembers.Delete(tx, sc, lower(g.Name), lower(u.Name))
			}
		}
		return noSuchUser(u.Name)
	}))
}

func (s *IAM) ListGroupsForUser(ctx *request.Context, in *iamapi.ListGroupsForUserInput) (*iamapi.ListGroupsForUserOutput, error) {
	name, err := required("userName", in.UserName)
	if err != nil {
		return nil, err
	}
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var list []groupRecord
	err = s.store.View(func(tx storage.Tx) error {
		u, err := getUser(tx, sc, name)
		if err != nil {
			return err
		}
		for _, gn := range u.Groups {
			g, ok, err := groups.Get(tx, sc, lower(gn))
			if err != nil {
				return err
			}
			if ok {
				list = append(list, g)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sortByName(list, func(g groupRecord) string { return g.Name })
	start, end, res := p.sliceWindow(len(list), func(i int) string { return nameKey(list[i].Name) })
	out := render(list[start:end], func(g *groupRecord) iamapi.Group { return groupOut(ctx.Account, g) })
	return &iamapi.ListGroupsForUserOutput{Groups: out, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}
