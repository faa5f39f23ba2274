package ec2

import (
	"sort"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// prefixListUser is a resource that refers to a prefix list.
type prefixListUser struct {
	id, kind string
}

// prefixListUsers are the route tables (VPC and transit gateway) and
// security groups that refer to a prefix list, in id order: the list's
// associations, and what keeps it from being deleted.
func prefixListUsers(tx storage.Tx, sc storage.Scope, id string) ([]prefixListUser, error) {
	var out []prefixListUser
	rts, err := routeTables.all(tx, sc)
	if err != nil {
		return nil, err
	}
	for _, rt := range rts {
		for _, r := range rt.Routes {
			if ptr.Deref(r.DestinationPrefixListId) == id {
				out = append(out, prefixListUser{ptr.Deref(rt.RouteTableId), "route table"})
				break
			}
		}
	}
	tgwTables, err := tgwRouteTables.all(tx, sc)
	if err != nil {
		return nil, err
	}
	for _, t := range tgwTables {
		if refIndex(t, id) >= 0 {
			out = append(out, prefixListUser{ptr.Deref(t.Table.TransitGatewayRouteTableId), "transit gateway route table"})
		}
	}
	groups, err := sgs.all(tx, sc)
	if err != nil {
		return nil, err
	}
	for _, g := range groups {
		used := false
		for _, p := range append(append([]ec2api.IpPermission{}, g.IpPermissions...), g.IpPermissionsEgress...) {
			for _, x := range p.PrefixListIds {
				used = used || ptr.Deref(x.PrefixListId) == id
			}
		}
		if used {
			out = append(out, prefixListUser{ptr.Deref(g.GroupId), "security group"})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out, nil
}

// GetManagedPrefixListAssociations lists the resources that refer to a
// customer-managed prefix list.
func (s *EC2) GetManagedPrefixListAssociations(ctx *request.Context, in *ec2api.GetManagedPrefixListAssociationsRequest) (*ec2api.GetManagedPrefixListAssociationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.PrefixListId)
	var assocs []ec2api.PrefixListAssociation
	err := s.store.View(func(tx storage.Tx) error {
		_, awsOwned, err := getPrefixList(tx, sc, id)
		if err != nil {
			return err
		}
		if awsOwned {
			return errInvalidParameterValue.New("Associations can only be listed for customer-managed prefix lists; %s is managed by AWS.", id)
		}
		users, err := prefixListUsers(tx, sc, id)
		for _, u := range users {
			assocs = append(assocs, ec2api.PrefixListAssociation{ResourceId: ptr.To(u.id), ResourceOwner: ptr.To(ctx.Account)})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(assocs, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.GetManagedPrefixListAssociationsResult{PrefixListAssociations: append([]ec2api.PrefixListAssociation{}, items...), NextToken: next}, nil
}

// RestoreManagedPrefixListVersion makes the entries of an earlier version
// the list's entries again, as a new version.
func (s *EC2) RestoreManagedPrefixListVersion(ctx *request.Context, in *ec2api.RestoreManagedPrefixListVersionRequest) (*ec2api.RestoreManagedPrefixListVersionResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := ptr.Deref(in.PrefixListId)
	var l ec2api.ManagedPrefixList
	err := s.store.Update(func(tx storage.Tx) error {
		r, awsOwned, err := getPrefixList(tx, sc, id)
		if err != nil {
			return err
		}
		if awsOwned {
			return code("UnauthorizedOperation").New("You are not authorized to modify the AWS-managed prefix list %s.", id)
		}
		cur := ptr.Deref(r.List.Version)
		if ptr.Deref(in.CurrentVersion) != cur {
			return code("PrefixListVersionMismatch").New("The prefix list has the incorrect version number.")
		}
		prev := ptr.Deref(in.PreviousVersion)
		entries, ok := r.Versions[prev]
		if !ok || prev >= cur {
			return code("InvalidPrefixListVersion.NotFound").New("The prefix list '%s' has no previous version %d.", id, prev)
		}
		if len(entries) > int(ptr.Deref(r.List.MaxEntries)) {
			return errInvalidParameterValue.New("The number of entries (%d) exceeds the maximum entries (%d) of the prefix list.", len(entries), ptr.Deref(r.List.MaxEntries))
		}
		r.List.Version = ptr.To(cur + 1)
		r.Versions[cur+1] = append([]ec2api.PrefixListEntry{}, entries...)
		l = r.List
		return managedPrefixLists.Put(tx, sc, r, id)
	})
	if err != nil {
		return nil, err
	}
	l.State = ptr.To("restore-in-progress")
	return &ec2api.RestoreManagedPrefixListVersionResult{PrefixList: &l}, nil
}
