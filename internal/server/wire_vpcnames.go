package server

import (
	"net/netip"
	"strings"

	mdns "github.com/miekg/dns"

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
	// The egress proxy resolves the names a workload's VPC resolver
	// answers from a private zone or for an instance, like the hosts
	// file; the rest goes to the machine's resolver.
	d.vpcLookup = func(account, region, vpc, name string) (netip.Addr, bool, error) {
		support, _, err := dnsFlags(account, region, vpc)
		if err != nil || !support {
			return netip.Addr{}, false, err
		}
		fq := strings.ToLower(mdns.Fqdn(name))
		src := r53.Resolver().Source
		inVPC, okVPC, err := src.Zone(fq, vpc)
		if err != nil {
			return netip.Addr{}, false, err
		}
		if !okVPC {
			// Outside every zone: an instance's name, or the machine's
			// resolver's business (names niwa hands out included, as
			// before).
			if r53.Resolver().VPCNames == nil {
				return netip.Addr{}, false, nil
			}
			addrs, err := r53.Resolver().VPCNames(fq, vpc)
			for _, a := range addrs {
				if a.Is4() {
					return a, true, err
				}
			}
			return netip.Addr{}, false, err
		}
		// Only a private zone's names: the zone the VPC sees is not the
		// one outside every VPC sees.
		if pub, okPub, err := src.Zone(fq, ""); err != nil || (okPub && pub == inVPC) {
			return netip.Addr{}, false, err
		}
		m, err := r53.Resolver().Answer(mdns.Question{Name: fq, Qtype: mdns.TypeA, Qclass: mdns.ClassINET}, vpc)
		if err != nil || m.Rcode != mdns.RcodeSuccess {
			return netip.Addr{}, false, err
		}
		for _, rr := range m.Answer {
			if a, ok := rr.(*mdns.A); ok {
				if ip, ok := netip.AddrFromSlice(a.A.To4()); ok {
					return ip, true, nil
				}
			}
		}
		return netip.Addr{}, false, nil
	}
	// Every network's file also holds the names services hand out for
	// what niwa serves (load balancers, execute-api hosts, CloudFront
	// domains, database endpoints: kit.Declaration's EachName), with
	// what niwa's DNS answers for them: the resolver lists and answers
	// them through the same endpointNames its queries ask.
	endpoints := func() ([]proc.Entry, error) {
		hs, err := r53.Resolver().EndpointHosts()
		if err != nil {
			return nil, err
		}
		out := make([]proc.Entry, 0, len(hs))
		for _, h := range hs {
			out = append(out, proc.Entry{Name: h.Name, Addrs: h.Addrs})
		}
		return out, nil
	}
	if d.lambda != nil {
		d.lambda.SetNames(endpoints)
		d.lambda.SetVPCNames(names)
		r53.OnChange(d.lambda.NamesChanged)
	}
	if d.instances != nil {
		d.instances.SetNames(endpoints)
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
