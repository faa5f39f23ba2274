package ec2

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Customer-managed prefix lists keep every version's entries, so
// GetManagedPrefixListEntries can answer a TargetVersion. The AWS-managed
// lists (com.amazonaws.<region>.s3 and .dynamodb, the gateway endpoint
// lists) are read-only and owned by "AWS".
var managedPrefixLists = storage.NewTable[mplRecord]("managedprefixlist")

type mplRecord struct {
	List     ec2api.ManagedPrefixList
	Versions map[int64][]ec2api.PrefixListEntry
}

func awsManagedLists(regionName string) []mplRecord {
	var out []mplRecord
	for _, p := range gatewayServices(regionName) {
		var entries []ec2api.PrefixListEntry
		for _, c := range p.cidrs {
			entries = append(entries, ec2api.PrefixListEntry{Cidr: ptr.To(c)})
		}
		out = append(out, mplRecord{List: ec2api.ManagedPrefixList{PrefixListId: ptr.To(p.id), AddressFamily: ptr.To("IPv4"), State: ptr.To("create-complete"),
			PrefixListArn: ptr.To(fmt.Sprintf("arn:aws:ec2:%s:aws:prefix-list/%s", regionName, p.id)), PrefixListName: ptr.To(p.name), Version: ptr.To(int64(1)),
			Tags: []ec2api.Tag{}, OwnerId: ptr.To("AWS")}, Versions: map[int64][]ec2api.PrefixListEntry{1: entries}})
	}
	return out
}

func mplDoc(l *ec2api.ManagedPrefixList) filter.Doc {
	return filter.New(l.Tags).Add("owner-id", ptr.Deref(l.OwnerId)).Add("prefix-list-id", ptr.Deref(l.PrefixListId)).Add("prefix-list-name", ptr.Deref(l.PrefixListName))
}

func mplNotFound(id string) error {
	return errInvalidPrefixListNotFound.New("The prefix list ID '%s' does not exist", id)
}

// getPrefixList finds a list, AWS-managed ones included.
func getPrefixList(tx storage.Tx, sc storage.Scope, id string) (mplRecord, bool, error) {
	for _, m := range awsManagedLists(sc.Region) {
		if ptr.Deref(m.List.PrefixListId) == id {
			return m, true, nil
		}
	}
	r, ok, err := managedPrefixLists.Get(tx, sc, id)
	if err != nil {
		return r, false, err
	}
	if !ok {
		return r, false, mplNotFound(id)
	}
	return r, false, nil
}

// checkEntries validates CIDRs for the list's address family.
func checkEntries(family string, entries []ec2api.AddPrefixListEntry) error {
	seen := map[string]bool{}
	for _, e := range entries {
		c := ptr.Deref(e.Cidr)
		p, err := netip.ParsePrefix(c)
		if err != nil || p.Masked() != p || (family == "IPv4") != p.Addr().Is4() {
			return errInvalidParameterValue.New("Invalid CIDR %s for address family %s.", c, family)
		}
		if seen[p.String()] {
			return errInvalidParameterValue.New("The request contains duplicate CIDR %s.", c)
		}
		seen[p.String()] = true
		if len(ptr.Deref(e.Description)) > 255 {
			return errInvalidParameterValue.New("The description for CIDR %s exceeds 255 characters.", c)
		}
	}
	return nil
}

// CreateManagedPrefixList creates a customer-managed list at version 1.
func (s *EC2) CreateManagedPrefixList(ctx *request.Context, in *ec2api.CreateManagedPrefixListRequest) (*ec2api.CreateManagedPrefixListResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	name := ptr.Deref(in.PrefixListName)
	if name == "" || len(name) > 255 || strings.HasPrefix(name, "com.amazonaws") {
		return nil, errInvalidParameterValue.New("Invalid value '%s' for PrefixListName.", name)
	}
	family := ptr.Deref(in.AddressFamily)
	if family != "IPv4" && family != "IPv6" {
		return nil, errInvalidParameterValue.New("Invalid value '%s' for AddressFamily. Valid values are IPv4 and IPv6.", family)
	}
	maxEntries := ptr.Deref(in.MaxEntries)
	if maxEntries < 1 || maxEntries > 1000 {
		return nil, errInvalidParameterValue.New("Invalid value '%d' for MaxEntries. It must be between 1 and 1000.", maxEntries)
	}
	if err := checkEntries(family, in.Entries); err != nil {
		return nil, err
	}
	if len(in.Entries) > int(maxEntries) {
		return nil, errInvalidParameterValue.New("The number of entries (%d) exceeds the maximum entries (%d) of the prefix list.", len(in.Entries), maxEntries)
	}
	sc := scope(ctx)
	id := newID("pl")
	var entries []ec2api.PrefixListEntry
	for _, e := range in.Entries {
		entries = append(entries, ec2api.PrefixListEntry(e))
	}
	l := ec2api.ManagedPrefixList{PrefixListId: ptr.To(id), AddressFamily: ptr.To(family), State: ptr.To("create-complete"), PrefixListName: ptr.To(name),
		PrefixListArn: ptr.To(fmt.Sprintf("arn:aws:ec2:%s:%s:prefix-list/%s", ctx.Region, ctx.Account, id)), MaxEntries: ptr.To(maxEntries), Version: ptr.To(int64(1)),
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "prefix-list")), OwnerId: ptr.To(ctx.Account)}
	if err := s.store.Update(func(tx storage.Tx) error {
		return managedPrefixLists.Put(tx, sc, mplRecord{List: l, Versions: map[int64][]ec2api.PrefixListEntry{1: entries}}, id)
	}); err != nil {
		return nil, err
	}
	l.State = ptr.To("create-in-progress")
	return &ec2api.CreateManagedPrefixListResult{PrefixList: &l}, nil
}

// DescribeManagedPrefixLists lists the account's lists and AWS's.
func (s *EC2) DescribeManagedPrefixLists(ctx *request.Context, in *ec2api.DescribeManagedPrefixListsRequest) (*ec2api.DescribeManagedPrefixListsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, mplDoc(&ec2api.ManagedPrefixList{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var all []ec2api.ManagedPrefixList
	err := s.store.View(func(tx storage.Tx) error {
		for _, id := range in.PrefixListIds {
			if _, _, err := getPrefixList(tx, sc, id); err != nil {
				return err
			}
		}
		for _, m := range awsManagedLists(ctx.Region) {
			all = append(all, m.List)
		}
		return managedPrefixLists.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v mplRecord) bool {
			all = append(all, v.List)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	var kept []ec2api.ManagedPrefixList
	for _, l := range all {
		if len(in.PrefixListIds) > 0 && !contains(in.PrefixListIds, ptr.Deref(l.PrefixListId)) {
			continue
		}
		if filter.Match(in.Filters, mplDoc(&l)) {
			kept = append(kept, l)
		}
	}
	sort.SliceStable(kept, func(i, j int) bool { return ptr.Deref(kept[i].PrefixListId) < ptr.Deref(kept[j].PrefixListId) })
	items, next, err := pageOf(kept, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeManagedPrefixListsResult{PrefixLists: append([]ec2api.ManagedPrefixList{}, items...), NextToken: next}, nil
}

// GetManagedPrefixListEntries answers a list's entries, at its current
// version or TargetVersion.
func (s *EC2) GetManagedPrefixListEntries(ctx *request.Context, in *ec2api.GetManagedPrefixListEntriesRequest) (*ec2api.GetManagedPrefixListEntriesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var entries []ec2api.PrefixListEntry
	err := s.store.View(func(tx storage.Tx) error {
		r, _, err := getPrefixList(tx, scope(ctx), ptr.Deref(in.PrefixListId))
		if err != nil {
			return err
		}
		v := ptr.Deref(r.List.Version)
		if in.TargetVersion != nil {
			v = *in.TargetVersion
		}
		e, ok := r.Versions[v]
		if !ok {
			return code("InvalidPrefixListVersion.NotFound").New("The prefix list '%s' has no version %d.", ptr.Deref(r.List.PrefixListId), v)
		}
		entries = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(entries, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.GetManagedPrefixListEntriesResult{Entries: append([]ec2api.PrefixListEntry{}, items...), NextToken: next}, nil
}

// ModifyManagedPrefixList renames, resizes or edits the entries of a
// customer-managed list; entry changes make a new version and need the
// current one (PrefixListVersionMismatch otherwise).
func (s *EC2) ModifyManagedPrefixList(ctx *request.Context, in *ec2api.ModifyManagedPrefixListRequest) (*ec2api.ModifyManagedPrefixListResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var l ec2api.ManagedPrefixList
	err := s.store.Update(func(tx storage.Tx) error {
		r, awsOwned, err := getPrefixList(tx, sc, ptr.Deref(in.PrefixListId))
		if err != nil {
			return err
		}
		if awsOwned {
			return code("UnauthorizedOperation").New("You are not authorized to modify the AWS-managed prefix list %s.", ptr.Deref(in.PrefixListId))
		}
		if n := in.PrefixListName; n != nil {
			if *n == "" || len(*n) > 255 || strings.HasPrefix(*n, "com.amazonaws") {
				return errInvalidParameterValue.New("Invalid value '%s' for PrefixListName.", *n)
			}
			r.List.PrefixListName = n
		}
		cur := r.Versions[ptr.Deref(r.List.Version)]
		if len(in.AddEntries)+len(in.RemoveEntries) > 0 {
			if in.CurrentVersion == nil {
				return errMissingParameter.New("The request must contain the parameter CurrentVersion")
			}
			if *in.CurrentVersion != ptr.Deref(r.List.Version) {
				return code("PrefixListVersionMismatch").New("The prefix list has the incorrect version number.")
			}
			if err := checkEntries(ptr.Deref(r.List.AddressFamily), in.AddEntries); err != nil {
				return err
			}
			next := []ec2api.PrefixListEntry{}
			for _, e := range cur {
				removed := false
				for _, x := range in.RemoveEntries {
					removed = removed || ptr.Deref(x.Cidr) == ptr.Deref(e.Cidr)
				}
				if !removed {
					next = append(next, e)
				}
			}
			for _, x := range in.RemoveEntries {
				found := false
				for _, e := range cur {
					found = found || ptr.Deref(x.Cidr) == ptr.Deref(e.Cidr)
				}
				if !found {
					return errInvalidParameterValue.New("The CIDR %s does not exist in the prefix list.", ptr.Deref(x.Cidr))
				}
			}
			for _, a := range in.AddEntries {
				replaced := false
				for i := range next {
					if ptr.Deref(next[i].Cidr) == ptr.Deref(a.Cidr) {
						next[i].Description, replaced = a.Description, true
					}
				}
				if !replaced {
					next = append(next, ec2api.PrefixListEntry(a))
				}
			}
			cur = next
			v := ptr.Deref(r.List.Version) + 1
			r.List.Version = ptr.To(v)
			r.Versions[v] = next
		}
		if m := in.MaxEntries; m != nil {
			if *m < 1 || *m > 1000 {
				return errInvalidParameterValue.New("Invalid value '%d' for MaxEntries. It must be between 1 and 1000.", *m)
			}
			r.List.MaxEntries = m
		}
		if len(cur) > int(ptr.Deref(r.List.MaxEntries)) {
			return errInvalidParameterValue.New("The number of entries (%d) exceeds the maximum entries (%d) of the prefix list.", len(cur), ptr.Deref(r.List.MaxEntries))
		}
		l = r.List
		return managedPrefixLists.Put(tx, sc, r, ptr.Deref(r.List.PrefixListId))
	})
	if err != nil {
		return nil, err
	}
	l.State = ptr.To("modify-in-progress")
	return &ec2api.ModifyManagedPrefixListResult{PrefixList: &l}, nil
}

// DeleteManagedPrefixList deletes a customer-managed list no route or
// security group rule refers to.
func (s *EC2) DeleteManagedPrefixList(ctx *request.Context, in *ec2api.DeleteManagedPrefixListRequest) (*ec2api.DeleteManagedPrefixListResult, error) {
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
			return code("UnauthorizedOperation").New("You are not authorized to delete the AWS-managed prefix list %s.", id)
		}
		users, err := prefixListUsers(tx, sc, id)
		if err != nil {
			return err
		}
		if len(users) > 0 {
			return errDependencyViolation.New("The prefix list %s is referenced by %s %s.", id, users[0].kind, users[0].id)
		}
		l = r.List
		return managedPrefixLists.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	l.State = ptr.To("delete-in-progress")
	return &ec2api.DeleteManagedPrefixListResult{PrefixList: &l}, nil
}
