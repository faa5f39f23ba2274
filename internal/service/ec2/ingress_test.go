package ec2

import (
	"net/netip"
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestIngressReads: an ingress rule admits by source group, CIDR or
// prefix list, on its protocol and ports; a group without rules
// admits nothing.
func TestIngressReads(t *testing.T) {
	const region = "ap-northeast-1"
	f := newFixture(t, region)
	vpc := ptr.Deref(must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.0.0.0/16")})).Vpc.VpcId)
	group := func(name string) string {
		return ptr.Deref(must(f.CreateSecurityGroup(f.ctx, &ec2api.CreateSecurityGroupRequest{VpcId: ptr.To(vpc), GroupName: ptr.To(name), Description: ptr.To(name)})).GroupId)
	}
	web, client, db := group("web"), group("client"), group("db")
	pl := ptr.Deref(must(f.CreateManagedPrefixList(f.ctx, &ec2api.CreateManagedPrefixListRequest{PrefixListName: ptr.To("office"), MaxEntries: ptr.To(int32(5)),
		AddressFamily: ptr.To("IPv4"), Entries: []ec2api.AddPrefixListEntry{{Cidr: ptr.To("198.51.100.0/24")}}})).PrefixList.PrefixListId)
	must(f.AuthorizeSecurityGroupIngress(f.ctx, &ec2api.AuthorizeSecurityGroupIngressRequest{GroupId: ptr.To(web), IpPermissions: []ec2api.IpPermission{
		{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(8080)), ToPort: ptr.To(int32(8080)), UserIdGroupPairs: []ec2api.UserIdGroupPair{{GroupId: ptr.To(client)}}},
		{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(80)), ToPort: ptr.To(int32(80)), IpRanges: []ec2api.IpRange{{CidrIp: ptr.To("10.0.2.0/24")}}},
		{IpProtocol: ptr.To("tcp"), FromPort: ptr.To(int32(443)), ToPort: ptr.To(int32(443)), PrefixListIds: []ec2api.PrefixListId{{PrefixListId: ptr.To(pl)}}},
	}}))
	tests := []struct {
		name   string
		groups []string
		src    string
		from   []string
		port   int
		want   bool
	}{
		{"source group", []string{web}, "10.0.9.9", []string{client}, 8080, true},
		{"source group, other port", []string{web}, "10.0.9.9", []string{client}, 8081, false},
		{"another group", []string{web}, "10.0.9.9", []string{db}, 8080, false},
		{"CIDR", []string{web}, "10.0.2.30", nil, 80, true},
		{"outside the CIDR", []string{web}, "10.0.3.30", nil, 80, false},
		{"prefix list", []string{web}, "198.51.100.7", nil, 443, true},
		{"outside the prefix list", []string{web}, "203.0.113.7", nil, 443, false},
		{"a group with no ingress rule", []string{db}, "10.0.2.30", []string{client}, 80, false},
		{"one of several groups", []string{db, web}, "10.0.2.30", nil, 80, true},
		{"no groups", nil, "10.0.2.30", nil, 80, false},
	}
	for _, tc := range tests {
		got := must(f.SecurityGroupsAllowIngress(testAccount, region, tc.groups, netip.MustParseAddr(tc.src), tc.from, tc.port))
		if got != tc.want {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
