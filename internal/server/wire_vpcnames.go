package server

import (
	"net/netip"
	"strings"

	"github.com/niwa-cloud/niwa/internal/dns"
	"github.com/niwa-cloud/niwa/internal/instances"
	"github.com/niwa-cloud/niwa/internal/proc"
	"github.com/niwa-cloud/niwa/internal/service/route53"
)

// wireVPCNames gives the code niwa runs inside a VPC (Lambda functions,
// instance processes) what that VPC's resolver answers, through the
// hosts file of their network (proc.Hosts): the private hosted zones
// associated with the VPC and its instances' private DNS names, when the
// VPC has enableDnsSupport (instances' names also need
// enableDnsHostnames). Route53's writes rewrite the files at once;
// instances coming and going are picked up at the next refresh (every
// invocation, every few seconds for instances). niwa's DNS server
// answers the instances' names in a VPC's view too.
func wireVPCNames(d *deps, r53 *route53.Route53) {
	// dnsFlags reads a VPC's DNS attributes; a VPC EC2 does not know
	// (or no EC2) has the defaults of a new VPC.
	dnsFlags := func(account, region, vpc string) (support, hostnames bool, err error) {
		if d.ec2 == nil {
			return true, false, nil
		}
		_, hostnames, support, ok, err := d.ec2.VPC(account, region, vpc)
		if err != nil || !ok {
			return true, false, err
		}
		return support, hostnames, nil
	}
	names := func(n proc.Net) ([]proc.Entry, error) {
		support, hostnames, err := dnsFlags(n.Account, n.Region, n.VPC)
		if err != nil || !support {
			return nil, err
		}
		hs, err := r53.Hosts(n.VPC)
		if err != nil {
			return nil, err
		}
		out := make([]proc.Entry, 0, len(hs))
		for _, h := range hs {
			out = append(out, proc.Entry{Name: h.Name, Addrs: h.Addrs})
		}
		if hostnames && d.instances != nil {
			err = d.instances.EachName(n.Account, n.Region, n.VPC, func(in instances.Name) bool {
				out = append(out, proc.Entry{Name: in.Name, Addrs: []netip.Addr{in.IP}})
				return true
			})
		}
		return out, err
	}
	if d.lambda != nil {
		d.lambda.SetVPCNames(names)
		r53.OnChange(d.lambda.NamesChanged)
	}
	if d.instances != nil {
		d.instances.SetVPCNames(names)
		r53.OnChange(d.instances.NamesChanged)
		rt := d.instances
		r53.Resolver().VPCNames = func(name, vpc string) ([]netip.Addr, error) {
			name = strings.TrimSuffix(name, ".")
			if !strings.HasSuffix(name, ".internal") {
				return nil, nil
			}
			want := vpc
			if vpc == dns.AllVPCs {
				want = instances.AllVPCs
			}
			var out []netip.Addr
			err := rt.EachName("", "", want, func(in instances.Name) bool {
				if in.Name != name {
					return true
				}
				support, hostnames, err := dnsFlags(in.Account, in.Region, in.VPC)
				if err == nil && support && hostnames {
					out = append(out, in.IP)
				}
				return true
			})
			return out, err
		}
	}
}
