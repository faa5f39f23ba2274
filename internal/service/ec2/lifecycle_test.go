package ec2

import (
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/images"
)

func amazonLinux(region string) string {
	for _, im := range images.Catalog(region) {
		if im.Alias == "amazon" && im.Platform == "" {
			return im.ID
		}
	}
	panic("no Amazon Linux image")
}

func (f *fixture) describeState(id string) string {
	f.t.Helper()
	out := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}}))
	return ptr.Deref(out.Reservations[0].Instances[0].State.Name)
}

func (f *fixture) expectState(id, state string) {
	f.t.Helper()
	e := f.nextEvent()
	gotID, gotState := stateDetail(f.t, e)
	if e.Source != "aws.ec2" || e.DetailType != "EC2 Instance State-change Notification" || gotID != id || gotState != state {
		f.t.Fatalf("event %s %s %s %s, want %s %s", e.Source, e.DetailType, gotID, gotState, id, state)
	}
	if len(e.Resources) != 1 || e.Resources[0] != "arn:aws:ec2:"+f.ctx.Region+":"+testAccount+":instance/"+id {
		f.t.Fatalf("resources %v", e.Resources)
	}
	if e.Account != testAccount || e.Region != f.ctx.Region {
		f.t.Fatalf("event scope %s %s", e.Account, e.Region)
	}
}

func TestInstanceLifecycleOnTheClock(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("ap-northeast-1")), InstanceType: ptr.To("t3.micro"), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
		TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("instance"), Tags: []ec2api.Tag{{Key: ptr.To("ZONE"), Value: ptr.To("example.internal.")}}}}}))
	inst := res.Instances[0]
	id := ptr.Deref(inst.InstanceId)
	if len(id) != 19 || id[:2] != "i-" {
		t.Fatalf("instance id %q", id)
	}
	if ptr.Deref(inst.PrivateIpAddress) != "172.31.0.4" || ptr.Deref(inst.PrivateDnsName) != "ip-172-31-0-4.ap-northeast-1.compute.internal" {
		t.Fatalf("private address %s %s", ptr.Deref(inst.PrivateIpAddress), ptr.Deref(inst.PrivateDnsName))
	}
	if inst.PublicIpAddress == nil || ptr.Deref(inst.PublicDnsName) == "" {
		t.Fatal("default subnet maps a public address")
	}
	f.expectState(id, "pending")
	if got := f.describeState(id); got != "pending" {
		t.Fatalf("state %s", got)
	}
	f.clock.Advance(4 * time.Second)
	f.noEvent()
	f.clock.Advance(time.Second)
	f.expectState(id, "running")
	if got := f.describeState(id); got != "running" {
		t.Fatalf("state %s", got)
	}

	stop := must(f.StopInstances(f.ctx, &ec2api.StopInstancesRequest{InstanceIds: []string{id}}))
	if ptr.Deref(stop.StoppingInstances[0].CurrentState.Name) != "stopping" || ptr.Deref(stop.StoppingInstances[0].PreviousState.Code) != 16 {
		t.Fatalf("stop: %+v", stop.StoppingInstances[0])
	}
	f.expectState(id, "stopping")
	_, err := f.StartInstances(f.ctx, &ec2api.StartInstancesRequest{InstanceIds: []string{id}})
	wantErr(t, err, "IncorrectInstanceState", "The instance '"+id+"' is not in a state from which it can be started.")
	f.clock.Advance(10 * time.Second)
	f.expectState(id, "stopped")
	out := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}}))
	if out.Reservations[0].Instances[0].PublicIpAddress != nil {
		t.Fatal("a stopped instance keeps no public address")
	}

	// S11: sriovNetSupport on the stopped instance.
	must(f.ModifyInstanceAttribute(f.ctx, &ec2api.ModifyInstanceAttributeRequest{InstanceId: ptr.To(id), SriovNetSupport: &ec2api.AttributeValue{Value: ptr.To("simple")}}))
	attr := must(f.DescribeInstanceAttribute(f.ctx, &ec2api.DescribeInstanceAttributeRequest{InstanceId: ptr.To(id), Attribute: ptr.To("sriovNetSupport")}))
	if ptr.Deref(attr.SriovNetSupport.Value) != "simple" {
		t.Fatalf("sriovNetSupport %v", attr.SriovNetSupport)
	}

	must(f.StartInstances(f.ctx, &ec2api.StartInstancesRequest{InstanceIds: []string{id}}))
	f.expectState(id, "pending")
	f.clock.Advance(5 * time.Second)
	f.expectState(id, "running")

	must(f.ModifyInstanceAttribute(f.ctx, &ec2api.ModifyInstanceAttributeRequest{InstanceId: ptr.To(id), DisableApiTermination: &ec2api.AttributeBooleanValue{Value: ptr.To(true)}}))
	_, err = f.TerminateInstances(f.ctx, &ec2api.TerminateInstancesRequest{InstanceIds: []string{id}})
	wantErr(t, err, "OperationNotPermitted", "")
	must(f.ModifyInstanceAttribute(f.ctx, &ec2api.ModifyInstanceAttributeRequest{InstanceId: ptr.To(id), Attribute: ptr.To("disableApiTermination"), Value: ptr.To("false")}))

	must(f.TerminateInstances(f.ctx, &ec2api.TerminateInstancesRequest{InstanceIds: []string{id}}))
	f.expectState(id, "shutting-down")
	f.clock.Advance(10 * time.Second)
	f.expectState(id, "terminated")
	if got := f.describeState(id); got != "terminated" {
		t.Fatalf("state %s", got)
	}
	// The address went back to the subnet.
	subs := must(f.DescribeSubnets(f.ctx, &ec2api.DescribeSubnetsRequest{Filters: []ec2api.Filter{{Name: ptr.To("availability-zone"), Values: []string{"ap-northeast-1a"}}}}))
	if got := ptr.Deref(subs.Subnets[0].AvailableIpAddressCount); got != 4091 {
		t.Fatalf("available addresses %d, want 4091", got)
	}
	// Terminated instances stay visible for an hour.
	f.clock.Advance(59 * time.Minute)
	if got := f.describeState(id); got != "terminated" {
		t.Fatalf("state %s", got)
	}
	f.clock.Advance(2 * time.Minute)
	deadline := time.Now().Add(time.Minute) // generous for a loaded machine; the loop ends as soon as the condition holds
	for {
		_, err = f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{id}})
		if err != nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond) // the timer's goroutine, not clock time
	}
	wantErr(t, err, "InvalidInstanceID.NotFound", "The instance ID '"+id+"' does not exist")
}

func TestTransitionsResumeAfterRestart(t *testing.T) {
	f := newFixture(t, "us-east-1")
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("us-east-1")), MinCount: ptr.To(int32(2)), MaxCount: ptr.To(int32(2))}))
	if ptr.Deref(res.Instances[0].PrivateDnsName) != "ip-172-31-0-4.ec2.internal" {
		t.Fatalf("us-east-1 private DNS %s", ptr.Deref(res.Instances[0].PrivateDnsName))
	}
	f.nextEvent()
	f.nextEvent()
	// The process stops; a new one on the same store takes over.
	must(0, f.EC2.Close())
	f.EC2 = f.start()
	f.clock.Advance(5 * time.Second)
	got := map[string]string{}
	for range 2 {
		id, st := stateDetail(t, f.nextEvent())
		got[id] = st
	}
	for _, i := range res.Instances {
		if got[ptr.Deref(i.InstanceId)] != "running" {
			t.Fatalf("after restart: %v", got)
		}
	}
}

func TestDescribeInstancesFiltersAndPaging(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	ami := amazonLinux("ap-northeast-1")
	for i, name := range []string{"web-1", "web-2", "db-1"} {
		typ := "t3.micro"
		if i == 2 {
			typ = "m5.large"
		}
		must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(ami), InstanceType: ptr.To(typ), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)),
			TagSpecifications: []ec2api.TagSpecification{{ResourceType: ptr.To("instance"), Tags: []ec2api.Tag{{Key: ptr.To("Name"), Value: ptr.To(name)}}}}}))
	}
	count := func(filters ...ec2api.Filter) int {
		out := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{Filters: filters}))
		n := 0
		for _, r := range out.Reservations {
			n += len(r.Instances)
		}
		return n
	}
	cases := []struct {
		name    string
		filters []ec2api.Filter
		want    int
	}{
		{"all", nil, 3},
		{"tag wildcard", []ec2api.Filter{{Name: ptr.To("tag:Name"), Values: []string{"web-*"}}}, 2},
		{"instance type", []ec2api.Filter{{Name: ptr.To("instance-type"), Values: []string{"m5.large"}}}, 1},
		{"state", []ec2api.Filter{{Name: ptr.To("instance-state-name"), Values: []string{"running"}}}, 0},
		{"pending", []ec2api.Filter{{Name: ptr.To("instance-state-name"), Values: []string{"pending"}}}, 3},
		{"private ip", []ec2api.Filter{{Name: ptr.To("private-ip-address"), Values: []string{"172.31.0.5"}}}, 1},
		{"zone", []ec2api.Filter{{Name: ptr.To("availability-zone"), Values: []string{"ap-northeast-1a"}}}, 3},
		{"and", []ec2api.Filter{{Name: ptr.To("tag:Name"), Values: []string{"web-*"}}, {Name: ptr.To("instance-type"), Values: []string{"m5.large"}}}, 0},
	}
	for _, c := range cases {
		if got := count(c.filters...); got != c.want {
			t.Errorf("%s: %d instances, want %d", c.name, got, c.want)
		}
	}
	_, err := f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{Filters: []ec2api.Filter{{Name: ptr.To("nope"), Values: []string{"x"}}}})
	wantErr(t, err, "InvalidParameterValue", "The filter 'nope' is invalid")
	_, err = f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{"i-0123456789abcdef0", "i-0123456789abcdef1"}})
	wantErr(t, err, "InvalidInstanceID.NotFound", "The instance IDs 'i-0123456789abcdef0, i-0123456789abcdef1' do not exist")
	_, err = f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{InstanceIds: []string{"bogus"}})
	wantErr(t, err, "InvalidInstanceID.Malformed", `Invalid id: "bogus"`)

	// Paging: 5 per page is the minimum, so launch more.
	must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(ami), MinCount: ptr.To(int32(4)), MaxCount: ptr.To(int32(4))}))
	seen := map[string]bool{}
	var token *string
	pages := 0
	for {
		out := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{MaxResults: ptr.To(int32(5)), NextToken: token}))
		pages++
		for _, r := range out.Reservations {
			for _, i := range r.Instances {
				if seen[ptr.Deref(i.InstanceId)] {
					t.Fatalf("%s twice", ptr.Deref(i.InstanceId))
				}
				seen[ptr.Deref(i.InstanceId)] = true
			}
		}
		if out.NextToken == nil {
			break
		}
		token = out.NextToken
	}
	if len(seen) != 7 || pages != 2 {
		t.Fatalf("paged %d instances in %d pages", len(seen), pages)
	}
}

func TestRunInstancesErrors(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	ami := amazonLinux("ap-northeast-1")
	cases := []struct {
		name string
		in   ec2api.RunInstancesRequest
		code string
		msg  string
	}{
		{"unknown image", ec2api.RunInstancesRequest{ImageId: ptr.To("ami-0123456789abcdef0"), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}, "InvalidAMIID.NotFound", "The image id '[ami-0123456789abcdef0]' does not exist"},
		{"malformed image", ec2api.RunInstancesRequest{ImageId: ptr.To("bogus"), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}, "InvalidAMIID.Malformed", `Invalid id: "bogus" (expecting "ami-...")`},
		{"unknown key", ec2api.RunInstancesRequest{ImageId: ptr.To(ami), KeyName: ptr.To("nokey"), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}, "InvalidKeyPair.NotFound", "The key pair 'nokey' does not exist"},
		{"unknown subnet", ec2api.RunInstancesRequest{ImageId: ptr.To(ami), SubnetId: ptr.To("subnet-0123456789abcdef0"), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}, "InvalidSubnetID.NotFound", "The subnet ID 'subnet-0123456789abcdef0' does not exist"},
		{"bad user data", ec2api.RunInstancesRequest{ImageId: ptr.To(ami), UserData: ptr.To("not base64!"), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1))}, "InvalidParameterValue", "Invalid BASE64 encoding of user data."},
		{"min over max", ec2api.RunInstancesRequest{ImageId: ptr.To(ami), MinCount: ptr.To(int32(3)), MaxCount: ptr.To(int32(2))}, "InvalidParameterValue", ""},
		{"dry run", ec2api.RunInstancesRequest{ImageId: ptr.To(ami), MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)), DryRun: ptr.To(true)}, "DryRunOperation", "Request would have succeeded, but DryRun flag is set."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := f.RunInstances(f.ctx, &c.in)
			wantErr(t, err, c.code, c.msg)
		})
	}
	out := must(f.DescribeInstances(f.ctx, &ec2api.DescribeInstancesRequest{}))
	if len(out.Reservations) != 0 {
		t.Fatal("a failed launch left instances behind")
	}
}
