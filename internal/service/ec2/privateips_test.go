package ec2

import (
	"testing"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestPrivateIPAddresses(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.8.0.0/16")})).Vpc.VpcId
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.8.1.0/28")})).Subnet
	free := func() int32 {
		return ptr.Deref(must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{SubnetIds: []string{*sub.SubnetId}})).Subnets[0].AvailableIpAddressCount)
	}
	eni := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub.SubnetId, SecondaryPrivateIpAddressCount: ptr.To(int32(2))})).NetworkInterface
	if len(eni.PrivateIpAddresses) != 3 || ptr.Deref(eni.PrivateIpAddresses[1].PrivateIpAddress) != "10.8.1.5" || ptr.Deref(eni.PrivateIpAddresses[1].Primary) {
		t.Fatalf("created with %+v", eni.PrivateIpAddresses)
	}
	if n := free(); n != 11-3 {
		t.Fatalf("free addresses %d after a 3-address interface", n)
	}
	id := eni.NetworkInterfaceId
	out := must(f.AssignPrivateIpAddresses(f.ctx, &ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{"10.8.1.10"}}))
	if len(out.AssignedPrivateIpAddresses) != 1 || ptr.Deref(out.AssignedPrivateIpAddresses[0].PrivateIpAddress) != "10.8.1.10" {
		t.Fatalf("assigned %+v", out.AssignedPrivateIpAddresses)
	}
	byAddr := must(f.DescribeNetworkInterfaces(f.ctx, &ec2api.DescribeNetworkInterfacesRequest{Filters: []ec2api.Filter{{Name: ptr.To("addresses.private-ip-address"), Values: []string{"10.8.1.10"}}}}))
	if len(byAddr.NetworkInterfaces) != 1 || len(byAddr.NetworkInterfaces[0].PrivateIpAddresses) != 4 {
		t.Fatalf("filtered by secondary address: %+v", byAddr.NetworkInterfaces)
	}

	// An instance of a type holding two addresses per interface.
	r := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("us-east-1")), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
		InstanceType: ptr.To("t3.micro"), SubnetId: sub.SubnetId}))
	inst := r.Instances[0]
	ieni := inst.NetworkInterfaces[0].NetworkInterfaceId
	must(f.AssignPrivateIpAddresses(f.ctx, &ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: ieni, SecondaryPrivateIpAddressCount: ptr.To(int32(1))}))
	d := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{*inst.InstanceId}})).Reservations[0].Instances[0]
	if pa := d.NetworkInterfaces[0].PrivateIpAddresses; len(pa) != 2 || !ptr.Deref(pa[0].Primary) || ptr.Deref(pa[1].Primary) || ptr.Deref(pa[1].PrivateDnsName) == "" {
		t.Fatalf("instance addresses %+v", pa)
	}

	errs := []struct {
		name      string
		in        ec2api.AssignPrivateIpAddressesRequest
		code, msg string
	}{
		{"neither count nor addresses", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id}, "MissingParameter", ""},
		{"both", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: ptr.To(int32(1)), PrivateIpAddresses: []string{"10.8.1.11"}}, "InvalidParameterCombination", ""},
		{"outside the subnet", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{"10.8.2.9"}}, "InvalidParameterValue", "Address 10.8.2.9 does not fall within the subnet's address range"},
		{"reserved", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{"10.8.1.2"}}, "InvalidParameterValue", "Address 10.8.1.2 is in subnet's reserved address range"},
		{"malformed", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{"10.8.1"}}, "InvalidParameterValue", ""},
		{"in use by another interface", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{ptr.Deref(inst.PrivateIpAddress)}}, "InvalidIPAddress.InUse", ""},
		{"primary never moves", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, AllowReassignment: ptr.To(true), PrivateIpAddresses: []string{ptr.Deref(inst.PrivateIpAddress)}}, "InvalidIPAddress.InUse", ""},
		{"instance type limit", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: ieni, SecondaryPrivateIpAddressCount: ptr.To(int32(1))}, "PrivateIpAddressLimitExceeded", "Number of private addresses will exceed limit."},
		{"subnet full", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, SecondaryPrivateIpAddressCount: ptr.To(int32(9))}, "InsufficientFreeAddressesInSubnet", ""},
		{"prefixes", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: id, Ipv4PrefixCount: ptr.To(int32(1))}, "InvalidParameterValue", ""},
		{"unknown interface", ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: ptr.To("eni-0123456789abcdef0"), SecondaryPrivateIpAddressCount: ptr.To(int32(1))}, "InvalidNetworkInterfaceID.NotFound", ""},
	}
	for _, c := range errs {
		t.Run(c.name, func(t *testing.T) {
			before := free()
			_, err := f.AssignPrivateIpAddresses(f.ctx, &c.in)
			wantErr(t, err, c.code, c.msg)
			if after := free(); after != before {
				t.Errorf("a refused assignment changed the free addresses %d -> %d", before, after)
			}
		})
	}

	// AllowReassignment moves a secondary address between interfaces.
	other := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub.SubnetId})).NetworkInterface.NetworkInterfaceId
	_, err := f.AssignPrivateIpAddresses(f.ctx, &ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: other, PrivateIpAddresses: []string{"10.8.1.10"}})
	wantErr(t, err, "InvalidIPAddress.InUse", "")
	must(f.AssignPrivateIpAddresses(f.ctx, &ec2api.AssignPrivateIpAddressesRequest{NetworkInterfaceId: other, AllowReassignment: ptr.To(true), PrivateIpAddresses: []string{"10.8.1.10"}}))
	got := must(f.DescribeNetworkInterfaces(f.ctx, &ec2api.DescribeNetworkInterfacesRequest{NetworkInterfaceIds: []string{*id, *other}})).NetworkInterfaces
	for _, e := range got {
		has := false
		for _, a := range e.PrivateIpAddresses {
			has = has || ptr.Deref(a.PrivateIpAddress) == "10.8.1.10"
		}
		if has != (ptr.Deref(e.NetworkInterfaceId) == *other) {
			t.Errorf("after reassignment %s holds 10.8.1.10: %v", *e.NetworkInterfaceId, has)
		}
	}

	uerrs := []struct {
		name, addr, code string
	}{
		{"not assigned", "10.8.1.12", "InvalidParameterValue"},
		{"primary", ptr.Deref(eni.PrivateIpAddress), "InvalidParameterValue"},
	}
	for _, c := range uerrs {
		t.Run("unassign "+c.name, func(t *testing.T) {
			_, err := f.UnassignPrivateIpAddresses(f.ctx, &ec2api.UnassignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{c.addr}})
			wantErr(t, err, c.code, "")
		})
	}
	before := free()
	must(f.UnassignPrivateIpAddresses(f.ctx, &ec2api.UnassignPrivateIpAddressesRequest{NetworkInterfaceId: id, PrivateIpAddresses: []string{"10.8.1.5"}}))
	if after := free(); after != before+1 {
		t.Errorf("unassign freed %d addresses", after-before)
	}
	// Deleting an interface frees its secondary addresses too.
	before = free()
	must(f.DeleteNetworkInterface(f.ctx, &ec2api.DeleteNetworkInterfaceRequest{NetworkInterfaceId: id}))
	if after := free(); after != before+2 {
		t.Errorf("delete freed %d addresses, want 2", after-before)
	}
}

func TestInstanceTypeNetworkInfo(t *testing.T) {
	f := newFixture(t, "us-east-1")
	got := must(f.DescribeInstanceTypes(f.ctx, &ec2api.DescribeInstanceTypesRequest{InstanceTypes: []string{"t3.micro", "m5.4xlarge"}})).InstanceTypes
	want := map[string][2]int32{"t3.micro": {2, 2}, "m5.4xlarge": {8, 30}}
	for _, it := range got {
		w := want[*it.InstanceType]
		if it.NetworkInfo == nil || ptr.Deref(it.NetworkInfo.MaximumNetworkInterfaces) != w[0] || ptr.Deref(it.NetworkInfo.Ipv4AddressesPerInterface) != w[1] {
			t.Errorf("%s network info %+v", *it.InstanceType, it.NetworkInfo)
		}
	}
}

func TestElasticIPOnSecondaryAddress(t *testing.T) {
	f := newFixture(t, "us-east-1")
	vpc := must(f.CreateVpc(f.ctx, &ec2api.CreateVpcRequest{CidrBlock: ptr.To("10.9.0.0/16")})).Vpc.VpcId
	igw := must(f.CreateInternetGateway(f.ctx, &ec2api.CreateInternetGatewayRequest{})).InternetGateway.InternetGatewayId
	must(f.AttachInternetGateway(f.ctx, &ec2api.AttachInternetGatewayRequest{InternetGatewayId: igw, VpcId: vpc}))
	sub := must(f.CreateSubnet(f.ctx, &ec2api.CreateSubnetRequest{VpcId: vpc, CidrBlock: ptr.To("10.9.1.0/24")})).Subnet.SubnetId
	eni := must(f.CreateNetworkInterface(f.ctx, &ec2api.CreateNetworkInterfaceRequest{SubnetId: sub, SecondaryPrivateIpAddressCount: ptr.To(int32(1))})).NetworkInterface
	primary, secondary := ptr.Deref(eni.PrivateIpAddresses[0].PrivateIpAddress), ptr.Deref(eni.PrivateIpAddresses[1].PrivateIpAddress)
	e1 := must(f.AllocateAddress(f.ctx, &ec2api.AllocateAddressRequest{Domain: ptr.To("vpc")}))
	e2 := must(f.AllocateAddress(f.ctx, &ec2api.AllocateAddressRequest{Domain: ptr.To("vpc")}))
	must(f.AssociateAddress(f.ctx, &ec2api.AssociateAddressRequest{AllocationId: e1.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId}))
	must(f.AssociateAddress(f.ctx, &ec2api.AssociateAddressRequest{AllocationId: e2.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIpAddress: ptr.To(secondary)}))
	_, err := f.AssociateAddress(f.ctx, &ec2api.AssociateAddressRequest{AllocationId: e2.AllocationId, NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIpAddress: ptr.To("10.9.1.200")})
	wantErr(t, err, "InvalidParameterValue", "")
	got := must(f.DescribeNetworkInterfaces(f.ctx, &ec2api.DescribeNetworkInterfacesRequest{NetworkInterfaceIds: []string{*eni.NetworkInterfaceId}})).NetworkInterfaces[0]
	public := map[string]string{}
	for _, a := range got.PrivateIpAddresses {
		if a.Association != nil {
			public[ptr.Deref(a.PrivateIpAddress)] = ptr.Deref(a.Association.PublicIp)
		}
	}
	if public[primary] != ptr.Deref(e1.PublicIp) || public[secondary] != ptr.Deref(e2.PublicIp) || ptr.Deref(got.Association.PublicIp) != ptr.Deref(e1.PublicIp) {
		t.Fatalf("public addresses %v, interface association %+v", public, got.Association)
	}
	// Unassigning the secondary address disassociates its Elastic IP
	// and leaves the primary's.
	must(f.UnassignPrivateIpAddresses(f.ctx, &ec2api.UnassignPrivateIpAddressesRequest{NetworkInterfaceId: eni.NetworkInterfaceId, PrivateIpAddresses: []string{secondary}}))
	addrs := must(f.DescribeAddresses(f.ctx, &ec2api.DescribeAddressesRequest{AllocationIds: []string{*e1.AllocationId, *e2.AllocationId}})).Addresses
	for _, a := range addrs {
		if associated := a.AssociationId != nil; associated != (ptr.Deref(a.AllocationId) == *e1.AllocationId) {
			t.Errorf("%s associated: %v", *a.AllocationId, associated)
		}
	}
}
