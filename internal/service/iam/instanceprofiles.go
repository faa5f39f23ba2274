package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Instance profiles hold at most one role (IAM's default quota). The
// profile lists its role by name and the role lists its profiles, so that
// DeleteRole's conflict check and ListInstanceProfilesForRole need one read.

func getInstanceProfile(tx storage.Tx, sc storage.Scope, name string) (instanceProfileRecord, error) {
	return instanceProfileKind.get(tx, sc, name)
}

func (s *IAM) updateInstanceProfile(ctx *request.Context, name *string, fn func(tx storage.Tx, sc storage.Scope, ip *instanceProfileRecord) error) error {
	return instanceProfileKind.update(s.store, ctx, name, fn)
}

// instanceProfileOut renders a profile with its roles, read in tx.
func instanceProfileOut(tx storage.Tx, sc storage.Scope, ip *instanceProfileRecord, withTags bool) (iamapi.InstanceProfile, error) {
	out := iamapi.InstanceProfile{
		Path:                ptr.To(ip.Path),
		InstanceProfileName: ptr.To(ip.Name),
		InstanceProfileId:   ptr.To(ip.ID),
		Arn:                 ptr.To(instanceProfileARN(sc.Account, ip)),
		CreateDate:          ptr.To(ip.CreateDate),
		Roles:               []iamapi.Role{},
	}
	for _, rn := range ip.Roles {
		r, ok, err := roles.Get(tx, sc, lower(rn))
		if err != nil {
			return out, err
		}
		if ok {
			out.Roles = append(out.Roles, roleOut(sc.Account, &r, roleEmbedded))
		}
	}
	if withTags {
		out.Tags = tagsOut(ip.Tags)
	}
	return out, nil
}

func (s *IAM) CreateInstanceProfile(ctx *request.Context, in *iamapi.CreateInstanceProfileInput) (*iamapi.CreateInstanceProfileOutput, error) {
	name, err := required("instanceProfileName", in.InstanceProfileName)
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
	ip := instanceProfileRecord{Name: name, ID: newID("AIPA"), Path: path, CreateDate: now(ctx), Tags: tags}
	sc := scope(ctx)
	var out iamapi.InstanceProfile
	err = s.store.Update(func(tx storage.Tx) error {
		if err := instanceProfileKind.mustBeNew(tx, sc, name); err != nil {
			return err
		}
		if err := instanceProfiles.Put(tx, sc, ip, lower(name)); err != nil {
			return err
		}
		out, err = instanceProfileOut(tx, sc, &ip, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateInstanceProfileOutput{InstanceProfile: &out}, nil
}

func (s *IAM) GetInstanceProfile(ctx *request.Context, in *iamapi.GetInstanceProfileInput) (*iamapi.GetInstanceProfileOutput, error) {
	name, err := required("instanceProfileName", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var out iamapi.InstanceProfile
	err = s.store.View(func(tx storage.Tx) error {
		ip, err := getInstanceProfile(tx, sc, name)
		if err != nil {
			return err
		}
		out, err = instanceProfileOut(tx, sc, &ip, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetInstanceProfileOutput{InstanceProfile: &out}, nil
}

func (s *IAM) ListInstanceProfiles(ctx *request.Context, in *iamapi.ListInstanceProfilesInput) (*iamapi.ListInstanceProfilesOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &iamapi.ListInstanceProfilesOutput{InstanceProfiles: []iamapi.InstanceProfile{}}
	err = s.store.View(func(tx storage.Tx) error {
		list, res, err := instanceProfileKind.pageByPath(tx, sc, p, in.PathPrefix)
		if err != nil {
			return err
		}
		out.IsTruncated, out.Marker = res.IsTruncated, res.Marker
		for i := range list {
			o, err := instanceProfileOut(tx, sc, &list[i], false)
			if err != nil {
				return err
			}
			out.InstanceProfiles = append(out.InstanceProfiles, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *IAM) DeleteInstanceProfile(ctx *request.Context, in *iamapi.DeleteInstanceProfileInput) (*iamapi.DeleteInstanceProfileOutput, error) {
	name, err := required("instanceProfileName", in.InstanceProfileName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeleteInstanceProfileOutput](s.store.Update(func(tx storage.Tx) error {
		ip, err := getInstanceProfile(tx, sc, name)
		if err != nil {
			return err
		}
		if len(ip.Roles) > 0 {
			return deleteConflict("Cannot delete entity, must remove roles from instance profile first.")
		}
		return instanceProfiles.Delete(tx, sc, lower(ip.Name))
	}))
}

func (s *IAM) AddRoleToInstanceProfile(ctx *request.Context, in *iamapi.AddRoleToInstanceProfileInput) (*iamapi.AddRoleToInstanceProfileOutput, error) {
	roleName, err := required("roleName", in.RoleName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.AddRoleToInstanceProfileOutput](s.updateInstanceProfile(ctx, in.InstanceProfileName, func(tx storage.Tx, sc storage.Scope, ip *instanceProfileRecord) error {
		r, err := getRole(tx, sc, roleName)
		if err != nil {
			return err
		}
		if len(ip.Roles) >= 1 {
			return limitExceeded("Cannot exceed quota for InstanceSessionsPerInstanceProfile: 1")
		}
		ip.Roles = append(ip.Roles, r.Name)
		r.InstanceProfiles = append(r.InstanceProfiles, ip.Name)
		sortByName(r.InstanceProfiles, func(n string) string { return n })
		return roles.Put(tx, sc, r, lower(r.Name))
	}))
}

func (s *IAM) RemoveRoleFromInstanceProfile(ctx *request.Context, in *iamapi.RemoveRoleFromInstanceProfileInput) (*iamapi.RemoveRoleFromInstanceProfileOutput, error) {
	roleName, err := required("roleName", in.RoleName)
	if err != nil {
		return nil, err
	}
	return empty[iamapi.RemoveRoleFromInstanceProfileOutput](s.updateInstanceProfile(ctx, in.InstanceProfileName, func(tx storage.Tx, sc storage.Scope, ip *instanceProfileRecord) error {
		i := indexFold(ip.Roles, roleName)
		if i < 0 {
			return noSuchRole(roleName)
		}
		ip.Roles = append(ip.Roles[:i:i], ip.Roles[i+1:]...)
		r, ok, err := roles.Get(tx, sc, lower(roleName))
		if err != nil || !ok {
			return err
		}
		if j := indexFold(r.InstanceProfiles, ip.Name); j >= 0 {
			r.InstanceProfiles = append(r.InstanceProfiles[:j:j], r.InstanceProfiles[j+1:]...)
		}
		return roles.Put(tx, sc, r, lower(r.Name))
	}))
}

func indexFold(list []string, name string) int {
	for i, n := range list {
		if lower(n) == lower(name) {
			return i
		}
	}
	return -1
}

func (s *IAM) ListInstanceProfilesForRole(ctx *request.Context, in *iamapi.ListInstanceProfilesForRoleInput) (*iamapi.ListInstanceProfilesForRoleOutput, error) {
	roleName, err := required("roleName", in.RoleName)
	if err != nil {
		return nil, err
	}
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &iamapi.ListInstanceProfilesForRoleOutput{InstanceProfiles: []iamapi.InstanceProfile{}}
	err = s.store.View(func(tx storage.Tx) error {
		r, err := getRole(tx, sc, roleName)
		if err != nil {
			return err
		}
		start, end, res := p.sliceWindow(len(r.InstanceProfiles), func(i int) string { return nameKey(r.InstanceProfiles[i]) })
		out.IsTruncated, out.Marker = res.IsTruncated, res.Marker
		for _, n := range r.InstanceProfiles[start:end] {
			ip, ok, err := instanceProfiles.Get(tx, sc, lower(n))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			o, err := instanceProfileOut(tx, sc, &ip, false)
			if err != nil {
				return err
			}
			out.InstanceProfiles = append(out.InstanceProfiles, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *IAM) TagInstanceProfile(ctx *request.Context, in *iamapi.TagInstanceProfileInput) (*iamapi.TagInstanceProfileOutput, error) {
	return empty[iamapi.TagInstanceProfileOutput](instanceProfileKind.tag(s.store, ctx, in.InstanceProfileName, in.Tags))
}

func (s *IAM) UntagInstanceProfile(ctx *request.Context, in *iamapi.UntagInstanceProfileInput) (*iamapi.UntagInstanceProfileOutput, error) {
	return empty[iamapi.UntagInstanceProfileOutput](instanceProfileKind.untag(s.store, ctx, in.InstanceProfileName, in.TagKeys))
}

func (s *IAM) ListInstanceProfileTags(ctx *request.Context, in *iamapi.ListInstanceProfileTagsInput) (*iamapi.ListInstanceProfileTagsOutput, error) {
	tags, res, err := instanceProfileKind.listTags(s.store, ctx, in.InstanceProfileName, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListInstanceProfileTagsOutput{Tags: tags, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}
