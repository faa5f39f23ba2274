package iam

import (
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

func getGroup(tx storage.Tx, sc storage.Scope, name string) (groupRecord, error) {
	g, ok, err := groups.Get(tx, sc, lower(name))
	if err != nil {
		return g, err
	}
	if !ok {
		return g, noSuchGroup(name)
	}
	return g, nil
}

func (s *IAM) updateGroup(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, g *groupRecord) error) error {
	n, err := required("groupName", name)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		g, err := getGroup(tx, sc, n)
		if err != nil {
			return err
		}
		if err := fn(tx, sc, &g); err != nil {
			return err
		}
		return groups.Put(tx, sc, g, lower(g.Name))
	})
}

func (s *IAM) viewGroup(ctx *request.Context, name *string) (groupRecord, error) {
	n, err := required("groupName", name)
	if err != nil {
		return groupRecord{}, err
	}
	var g groupRecord
	err = s.store.View(func(tx storage.Tx) error {
		g, err = getGroup(tx, scope(ctx), n)
		return err
	})
	return g, err
}

func groupOut(account string, g *groupRecord) iamapi.Group {
	return iamapi.Group{
		Path:       ptr(g.Path),
		GroupName:  ptr(g.Name),
		GroupId:    ptr(g.ID),
		Arn:        ptr(groupARN(account, g)),
		CreateDate: ptr(g.CreateDate),
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
		if _, ok, err := groups.Get(tx, sc, lower(name)); err != nil || ok {
			if ok {
				return iamapi.ErrEntityAlreadyExistsException.New("Group with name %s already exists.", name)
			}
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
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	pp := pathPrefix(in.PathPrefix)
	var list []groupRecord
	var res pageResult
	err = s.store.View(func(tx storage.Tx) error {
		list, res, err = tablePage(tx, groups, scope(ctx), nil, p, func(g groupRecord) bool { return strings.HasPrefix(g.Path, pp) })
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.ListGroupsOutput{Groups: []iamapi.Group{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for i := range list {
		out.Groups = append(out.Groups, groupOut(ctx.Account, &list[i]))
	}
	return out, nil
}

// UpdateGroup renames and/or moves a group, carrying its memberships and
// policy uses to the new name.
func (s *IAM) UpdateGroup(ctx *request.Context, in *iamapi.UpdateGroupInput) (*iamapi.UpdateGroupOutput, error) {
	name, err := required("groupName", in.GroupName)
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
	return empty[iamapi.UpdateGroupOutput](s.store.Update(func(tx storage.Tx) error {
		g, err := getGroup(tx, sc, name)
		if err != nil {
			return err
		}
		old := g
		if newPath != "" {
			g.Path = newPath
		}
		newName := str(in.NewGroupName)
		if newName == "" || newName == g.Name {
			return groups.Put(tx, sc, g, lower(g.Name))
		}
		if lower(newName) != lower(g.Name) {
			if _, ok, err := groups.Get(tx, sc, lower(newName)); err != nil || ok {
				if ok {
					return iamapi.ErrEntityAlreadyExistsException.New("Group with name %s already exists.", newName)
				}
				return err
			}
		}
		g.Name = newName
		if err := groups.Delete(tx, sc, lower(old.Name)); err != nil {
			return err
		}
		if err := groups.Put(tx, sc, g, lower(g.Name)); err != nil {
			return err
		}
		var members []memberRecord
		err = groupMembers.List(tx, sc, []string{lower(old.Name)}, storage.ListOptions{}, func(_ []string, m memberRecord) bool {
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
	out := &iamapi.ListGroupsForUserOutput{Groups: []iamapi.Group{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for i := start; i < end; i++ {
		out.Groups = append(out.Groups, groupOut(ctx.Account, &list[i]))
	}
	return out, nil
}
