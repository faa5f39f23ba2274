package ec2

import (
	"encoding/base64"
	"sync"
	"testing"
	"time"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// fakeRuntime records what EC2 tells the instance runtime.
type fakeRuntime struct {
	mu    sync.Mutex
	calls []string
	seen  chan string
}

func (r *fakeRuntime) note(s string) error {
	r.mu.Lock()
	r.calls = append(r.calls, s)
	r.mu.Unlock()
	r.seen <- s
	return nil
}

func (r *fakeRuntime) Boot(account, region, id string) error      { return r.note("boot " + id) }
func (r *fakeRuntime) Stop(account, region, id string) error      { return r.note("stop " + id) }
func (r *fakeRuntime) Terminate(account, region, id string) error { return r.note("terminate " + id) }
func (r *fakeRuntime) Console(account, region, id string) (string, error) {
	return "printed by " + id + "\n", nil
}

func (r *fakeRuntime) want(t *testing.T, s string) {
	t.Helper()
	select {
	case got := <-r.seen:
		if got != s {
			t.Fatalf("runtime told %q, want %q", got, s)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("runtime never told %q", s)
	}
}

func TestRuntimeFollowsTheLifecycle(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	rt := &fakeRuntime{seen: make(chan string, 16)}
	f.SetRuntime(rt)
	ud := base64.StdEncoding.EncodeToString([]byte("#!/bin/sh\necho hi\n"))
	res := must(f.RunInstances(f.ctx, &ec2api.RunInstancesRequest{ImageId: ptr.To(amazonLinux("ap-northeast-1")), InstanceType: ptr.To("t3.micro"),
		MinCount: ptr.To(int32(1)), MaxCount: ptr.To(int32(1)), UserData: ptr.To(ud)}))
	id := ptr.Deref(res.Instances[0].InstanceId)
	f.clock.Advance(5 * time.Second)
	rt.want(t, "boot "+id)
	v, ok, err := f.RuntimeInstance(testAccount, "ap-northeast-1", id)
	if err != nil || !ok || string(v.UserData) != "#!/bin/sh\necho hi\n" || v.SubnetCIDR == "" || ptr.Deref(v.Instance.State.Name) != "running" {
		t.Fatalf("runtime view: %+v %v %v", v, ok, err)
	}
	out := must(f.GetConsoleOutput(f.ctx, &ec2api.GetConsoleOutputRequest{InstanceId: ptr.To(id)}))
	if b, _ := base64.StdEncoding.DecodeString(ptr.Deref(out.Output)); string(b) != "printed by "+id+"\n" {
		t.Fatalf("console %q", b)
	}
	must(f.RebootInstances(f.ctx, &ec2api.RebootInstancesRequest{InstanceIds: []string{id}}))
	rt.want(t, "stop "+id)
	rt.want(t, "boot "+id)
	must(f.StopInstances(f.ctx, &ec2api.StopInstancesRequest{InstanceIds: []string{id}}))
	rt.want(t, "stop "+id)
	f.clock.Advance(10 * time.Second)
	deadline := time.Now().Add(5 * time.Second)
	for f.describeState(id) != "stopped" {
		if time.Now().After(deadline) {
			t.Fatal("never stopped")
		}
		time.Sleep(time.Millisecond)
	}
	must(f.StartInstances(f.ctx, &ec2api.StartInstancesRequest{InstanceIds: []string{id}}))
	f.clock.Advance(5 * time.Second)
	rt.want(t, "boot "+id)
	must(f.TerminateInstances(f.ctx, &ec2api.TerminateInstancesRequest{InstanceIds: []string{id}}))
	rt.want(t, "terminate "+id)
}

func (r *fakeRuntime) Reset() error { return r.note("reset") }

// TestResetStopsTheRuntime: POST /_niwa/reset drops the records; the
// declaration's Reset stops the instances' processes with them.
func TestResetStopsTheRuntime(t *testing.T) {
	f := newFixture(t, "ap-northeast-1")
	rt := &fakeRuntime{seen: make(chan string, 16)}
	f.SetRuntime(rt)
	if err := f.Declare().Reset(); err != nil {
		t.Fatal(err)
	}
	rt.want(t, "reset")
}
