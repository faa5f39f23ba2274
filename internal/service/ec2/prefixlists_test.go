package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestManagedPrefixLists(t *testing.T) {
	f := newFixture(t, "eu-west-1")
	// AWS's lists are there in every region, read-only.
	aws := must(f.DescribeManagedPrefixLists(f.ctx, &ec2api.DescribeManagedPrefixListsRequest{Filters: []ec2api.Filter{{Name: ptr.To("prefix-list-name"), Values: []string{"com.amazonaws.eu-west-1.s3"}}}}))
	if len(aws.PrefixLists) != 1 || ptr.Deref(aws.PrefixLists[0].OwnerId) != "AWS" {
		t.Fatalf("AWS s3 list: %+v", aws.PrefixLists)
	}
	s3 := aws.PrefixLists[0].PrefixListId
	if e := must(f.GetManagedPrefixListEntries(f.ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: s3})); len(e.Entries) == 0 {
		t.Errorf("no entries in the s3 list")
	}
	_, err := f.DeleteManagedPrefixList(f.ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: s3})
	wantErr(t, err, "UnauthorizedOperation", "")

	pl := must(f.CreateManagedPrefixList(f.ctx, &ec2api.CreateManagedPrefixListRequest{PrefixListName: ptr.To("office"), AddressFamily: ptr.To("IPv4"), MaxEntries: ptr.To(int32(3)),
		Entries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("10.0.0.0/8"), Description: ptr.To("a")}}})).PrefixList
	id := pl.PrefixListId
	mod := must(f.ModifyManagedPrefixList(f.ctx, &ec2api.ModifyManagedPrefixListRequest{PrefixListId: id, CurrentVersion: ptr.To(int64(1)),
		AddEntries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("192.168.0.0/16")}}, RemoveEntries: []ec2api.RemovePrefixListEntry{{Cidr: ptr.To("10.0.0.0/8")}}})).PrefixList
	if ptr.Deref(mod.Version) != 2 {
		t.Errorf("version after modify = %d", ptr.Deref(mod.Version))
	}
	cidrs := func(v *int64) []string {
		var out []string
		for _, e := range must(f.GetManagedPrefixListEntries(f.ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: id, TargetVersion: v})).Entries {
			out = append(out, ptr.Deref(e.Cidr))
		}
		return out
	}
	if got := cidrs(nil); len(got) != 1 || got[0] != "192.168.0.0/16" {
		t.Errorf("current entries %v", got)
	}
	if got := cidrs(ptr.To(int64(1))); len(got) != 1 || got[0] != "10.0.0.0/8" {
		t.Errorf("version 1 entries %v", got)
	}

	errs := []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"stale version", func() error {
			_, err := f.ModifyManagedPrefixList(f.ctx, &ec2api.ModifyManagedPrefixListRequest{PrefixListId: id, CurrentVersion: ptr.To(int64(1)), AddEntries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("172.16.0.0/12")}}})
			return err
		}, "PrefixListVersionMismatch", "The prefix list has the incorrect version number."},
		{"too many entries", func() error {
			_, err := f.ModifyManagedPrefixList(f.ctx, &ec2api.ModifyManagedPrefixListRequest{PrefixListId: id, CurrentVersion: ptr.To(int64(2)), AddEntries: []ec2api.AddPrefixListEntry{
				{Cidr: ptr.To("172.16.0.0/12")}, {Cidr: ptr.To("172.32.0.0/12")}, {Cidr: ptr.To("172.48.0.0/12")}}})
			return err
		}, "InvalidParameterValue", ""},
		{"IPv6 in IPv4 list", func() error {
			_, err := f.ModifyManagedPrefixList(f.ctx, &ec2api.ModifyManagedPrefixListRequest{PrefixListId: id, CurrentVersion: ptr.To(int64(2)), AddEntries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("2001:db8::/32")}}})
			return err
		}, "InvalidParameterValue", ""},
		{"unknown", func() error {
			_, err := f.GetManagedPrefixListEntries(f.ctx, &ec2api.GetManagedPrefixListEntriesRequest{PrefixListId: ptr.To("pl-0123456789abcdef0")})
			return err
		}, "InvalidPrefixListID.NotFound", "The prefix list ID 'pl-0123456789abcdef0' does not exist"},
		{"bad family", func() error {
			_, err := f.CreateManagedPrefixList(f.ctx, &ec2api.CreateManagedPrefixListRequest{PrefixListName: ptr.To("x"), AddressFamily: ptr.To("IPv5"), MaxEntries: ptr.To(int32(1))})
			return err
		}, "InvalidParameterValue", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) { wantErr(t, c.call(), c.code, c.msg) })
	}

	// Referenced by a security group rule: cannot go.
	g := must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{GroupName: ptr.To("pl"), Description: ptr.To("pl")})).GroupId
	must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: g, IpPermissions: []ec2api.IpPermission{
		{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(22)), ToPort: ptr.To(int32(22)), PrefixListIds: []ec2api.PrefixListId{{PrefixListId: id}}}}}))
	_, err = f.DeleteManagedPrefixList(f.ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: id})
	wantErr(t, err, "DependencyViolation", "")
	must(f.DeleteSecurityGroup(f.ctx, &ec2api.DeleteSecurityGroupRequest{GroupId: g}))
	must(f.DeleteManagedPrefixList(f.ctx, &ec2api.DeleteManagedPrefixListRequest{PrefixListId: id}))
	if l := must(f.DescribeManagedPrefixLists(f.ctx, &ec2api.DescribeManagedPrefixListsRequest{Filters: []ec2api.Filter{{Name: ptr.To("owner-id"), Values: []string{testAccount}}}})); len(l.PrefixLists) != 0 {
		t.Errorf("left %+v", l.PrefixLists)
	}
}
