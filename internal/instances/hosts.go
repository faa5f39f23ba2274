package instances

import (
	"net/netip"
	"os/exec"
	"sort"
	"time"

	"github.com/niwa-cloud/niwa/internal/proc"
)

// Names inside instances: an instance's processes resolve the names
// niwa hands out (RDS endpoints) and, in a VPC, what the VPC's resolver
// answers (its private hosted zones, instances' private DNS names)
// through the hosts file proc.Hosts keeps for the instance's network,
// mounted at /etc/hosts in their own mount namespace, as Lambda
// functions do. Where the machine has no mount namespaces they see the
// machine's /etc/hosts (niwa logs it once).

// hostsRefresh is how often the hosts files follow the names niwa
// hands out (RDS's, which say nothing when they change) while instances
// run, so that a process started before a database was created (a
// server user data left running) resolves it soon after. It is
// wall-clock time: the file serves real processes. Route53's changes
// need no wait: NamesChanged writes them at once.
const hostsRefresh = 2 * time.Second

// SetNames gives the runtime the names niwa hands out, with their
// addresses (internal/server wires what niwa's DNS answers for every
// service's names).
func (r *Runtime) SetNames(names proc.Names) { r.hosts.SetNames(names) }

// startRefreshing starts refreshHosts with the first instance booted (a
// niwa that runs no instance needs no ticker); r.mu is held.
func (r *Runtime) startRefreshing() {
	if r.refreshing || r.closed {
		return
	}
	r.refreshing = true
	go r.refreshHosts()
}

// SetVPCNames gives the runtime what each VPC's resolver answers, for
// the hosts file of instances in a VPC (internal/server wires Route53's
// private zones and the instances' own names, EachName).
func (r *Runtime) SetVPCNames(fn proc.VPCNames) { r.hosts.SetVPCNames(fn) }

// NamesChanged tells the runtime that what SetNames or SetVPCNames list
// changed; the hosts files follow soon, without waiting.
func (r *Runtime) NamesChanged() { r.hosts.Changed() }

// Name is a private DNS name of a running instance: the VPC's resolver
// answers it with the instance's private address.
type Name struct {
	Account, Region, VPC string
	Name                 string
	IP                   netip.Addr
}

// EachName calls fn with the private DNS names of each running instance
// in a VPC, of account and region ("" for any) and in vpc (AllVPCs for
// any), sorted by name, until fn returns false: the names a VPC's
// resolver answers for its instances — the ip-name form
// (ip-10-0-1-5.ec2.internal), whatever the instance's hostname type, and
// the private DNS name EC2 gives it when that is another one (the
// resource name, i-0123....ec2.internal).
func (r *Runtime) EachName(account, region, vpc string, fn func(Name) bool) error {
	r.mu.Lock()
	var vms []*vm
	for _, v := range r.vms {
		if (account == "" || v.account == account) && (region == "" || v.region == region) {
			vms = append(vms, v)
		}
	}
	r.mu.Unlock()
	var es []Name
	for _, v := range vms {
		in, ok, err := r.cfg.Source.Instance(v.account, v.region, v.id)
		if err != nil {
			return err
		}
		ip, perr := netip.ParseAddr(in.PrivateIP)
		if !ok || in.VpcID == "" || (vpc != AllVPCs && in.VpcID != vpc) || perr != nil || !ip.Is4() {
			continue
		}
		names := []string{IPName(ip, v.region)}
		if in.ResourceNameA {
			names = append(names, privateName(in.ID, v.region))
		}
		for _, n := range names {
			es = append(es, Name{Account: v.account, Region: v.region, VPC: in.VpcID, Name: n, IP: ip})
		}
	}
	sort.Slice(es, func(i, j int) bool { return es[i].Name < es[j].Name })
	for _, e := range es {
		if !fn(e) {
			break
		}
	}
	return nil
}

// AllVPCs is EachName's vpc for instances of every VPC.
const AllVPCs = "*"

// IPName is the ip-name private DNS name of ip in region:
// ip-10-0-1-5.ec2.internal in us-east-1,
// ip-10-0-1-5.<region>.compute.internal elsewhere.
func IPName(ip netip.Addr, region string) string {
	b := ip.As4()
	return privateName("ip-"+itoa(b[0])+"-"+itoa(b[1])+"-"+itoa(b[2])+"-"+itoa(b[3]), region)
}

// privateName is label in region's private DNS domain: ec2.internal in
// us-east-1, <region>.compute.internal elsewhere.
func privateName(label, region string) string {
	if region == "us-east-1" {
		return label + ".ec2.internal"
	}
	return label + "." + region + ".compute.internal"
}

func itoa(b byte) string {
	if b == 0 {
		return "0"
	}
	var s []byte
	for ; b > 0; b /= 10 {
		s = append([]byte{'0' + b%10}, s...)
	}
	return string(s)
}

// refreshHosts rewrites the hosts files while instances run, until the
// runtime closes.
func (r *Runtime) refreshHosts() {
	t := time.NewTicker(hostsRefresh)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
		}
		r.mu.Lock()
		running := len(r.vms) > 0
		r.mu.Unlock()
		if running {
			r.hosts.Refresh()
		}
	}
}

// withHosts makes cmd of v start in a mount namespace of its own where
// the hosts file of v's network is at /etc/hosts, once there is one and
// the machine allows it; otherwise cmd is left as it is.
func (r *Runtime) withHosts(v *vm, cmd *exec.Cmd) {
	n := proc.Net{Account: v.account, Region: v.region}
	if in, ok, err := r.cfg.Source.Instance(v.account, v.region, v.id); err == nil && ok {
		n.VPC = in.VpcID
	}
	r.hosts.RefreshFor(n)
	mounts := r.hosts.MountsFor(n)
	if len(mounts) == 0 {
		return
	}
	r.nsOnce.Do(func() {
		l, err := proc.Probe(r.cfg.WorkDir, proc.HostsTarget)
		if err != nil {
			r.cfg.Log.Warn("instances: no mount namespaces here; instance processes see the machine's /etc/hosts, so they resolve neither the names niwa hands out nor their VPC's private hosted zones (query niwa's DNS server instead)", "reason", err)
			return
		}
		r.ns = l
	})
	r.ns.Wrap(cmd, mounts...)
}
