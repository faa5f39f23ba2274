package ec2

import (
	"encoding/base64"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Runtime runs instances (internal/instances, wired by the server): EC2
// tells it when an instance has booted (pending → running), is going
// down (stopping, shutting-down) or reboots, and asks it for the
// console. Nil: instances are simulated records only.
type Runtime interface {
	Boot(account, region, id string) error
	Stop(account, region, id string) error
	Terminate(account, region, id string) error
	Console(account, region, id string) (string, error)
}

// SetRuntime wires the instance runtime. Call it before requests flow.
func (s *EC2) SetRuntime(r Runtime) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.runtime = r
}

func (s *EC2) rt() Runtime {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runtime
}

// runtimeState tells the runtime an instance reached state: running
// boots it, stopping and shutting-down kill its processes (the OS goes
// down while EC2 shows the transition), terminated removes it.
func (s *EC2) runtimeState(sc storage.Scope, id, state string) {
	r := s.rt()
	if r == nil {
		return
	}
	var err error
	switch state {
	case "running":
		err = r.Boot(sc.Account, sc.Region, id)
	case "stopping":
		err = r.Stop(sc.Account, sc.Region, id)
	case "shutting-down", "terminated":
		err = r.Terminate(sc.Account, sc.Region, id)
	}
	if err != nil && s.opts.Log != nil {
		s.opts.Log.Warn("ec2: instance runtime", "instance", id, "state", state, "err", err)
	}
}

// RuntimeInstance is an instance as the runtime and SSM see it: the
// API's own shape, its decoded user data, and its subnet's and VPC's
// CIDR blocks.
type RuntimeInstance struct {
	Instance            ec2api.Instance
	UserData            []byte
	SubnetCIDR, VpcCIDR string
	AZID                string
	HopLimit            int
}

// RuntimeInstance reads one instance; ok is false when it does not
// exist (any more).
func (s *EC2) RuntimeInstance(account, region, id string) (RuntimeInstance, bool, error) {
	sc := storage.Scope{Account: account, Region: region}
	var out RuntimeInstance
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		r, found, err := instances.table.Get(tx, sc, id)
		if err != nil || !found {
			return err
		}
		ok = true
		out = s.runtimeView(tx, sc, &r)
		return nil
	})
	return out, ok, err
}

// RuntimeInstances lists the account's instances in a region.
func (s *EC2) RuntimeInstances(account, region string) ([]RuntimeInstance, error) {
	sc := storage.Scope{Account: account, Region: region}
	var out []RuntimeInstance
	err := s.store.View(func(tx storage.Tx) error {
		var recs []instanceRecord
		if err := instances.table.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v instanceRecord) bool {
			recs = append(recs, v)
			return true
		}); err != nil {
			return err
		}
		for i := range recs {
			out = append(out, s.runtimeView(tx, sc, &recs[i]))
		}
		return nil
	})
	return out, err
}

func (s *EC2) runtimeView(tx storage.Tx, sc storage.Scope, r *instanceRecord) RuntimeInstance {
	v := RuntimeInstance{Instance: s.instanceOut(tx, sc, r), HopLimit: int(r.IMDS.HopLimit)}
	if v.HopLimit == 0 {
		v.HopLimit = 1
	}
	if r.UserData != "" {
		if b, err := base64.StdEncoding.DecodeString(r.UserData); err == nil {
			v.UserData = b
		} else {
			v.UserData = []byte(r.UserData)
		}
	}
	if sub, ok, _ := subnets.table.Get(tx, sc, r.SubnetID); ok {
		v.SubnetCIDR = ptr.Deref(sub.CidrBlock)
		v.AZID = ptr.Deref(sub.AvailabilityZoneId)
	}
	if vpc, ok, _ := vpcs.table.Get(tx, sc, r.VpcID); ok {
		v.VpcCIDR = ptr.Deref(vpc.Vpc.CidrBlock)
	}
	return v
}

// reboot restarts the processes of the running instances among ids: a
// reboot kills them and boots again (user data does not run again).
func (s *EC2) reboot(sc storage.Scope, ids []string) {
	r := s.rt()
	if r == nil {
		return
	}
	for _, id := range ids {
		v, ok, err := s.RuntimeInstance(sc.Account, sc.Region, id)
		if err != nil || !ok || ptr.Deref(v.Instance.State.Name) != "running" {
			continue
		}
		if err := r.Stop(sc.Account, sc.Region, id); err != nil {
			continue
		}
		s.runtimeState(sc, id, "running")
	}
}

// Reset stops the transition timers and the instances' processes after
// POST /_niwa/reset dropped the records (the declaration's Reset).
func (s *EC2) Reset() error {
	s.mu.Lock()
	for k, t := range s.timers {
		t.Stop()
		delete(s.timers, k)
	}
	r := s.runtime
	s.mu.Unlock()
	if rs, ok := r.(interface{ Reset() error }); ok {
		return rs.Reset()
	}
	return nil
}
