package ec2

import (
	"net/netip"
	"slices"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Transit gateway multicast at API level: domains, their subnet
// associations and static group members and sources are stored,
// validated and searched as EC2 does. niwa's networks carry no multicast
// (nor any packet between interfaces), so no group receives anything.

type mcDomain struct {
	Domain ec2api.TransitGatewayMulticastDomain
	// Assocs are the associated subnets, one entry each.
	Assocs []ec2api.TransitGatewayMulticastDomainAssociation
	// Groups are the registered members and sources, one entry per
	// group address and interface.
	Groups []ec2api.TransitGatewayMulticastGroup
}

var mcDomains = resource[mcDomain]{table: storage.NewTable[mcDomain]("tgwmcast"), prefix: "tgw-mcast-domain", typ: "transit-gateway-multicast-domain",
	noun: "transitGatewayMulticastDomain", notFound: code("InvalidTransitGatewayMulticastDomainId.NotFound"),
	tags: func(v *mcDomain) *[]ec2api.Tag { return &v.Domain.Tags },
	doc: func(v *mcDomain) filter.Doc {
		return filter.New(v.Domain.Tags).Add("state", ptr.Deref(v.Domain.State)).Add("transit-gateway-id", ptr.Deref(v.Domain.TransitGatewayId)).
			Add("transit-gateway-multicast-domain-id", ptr.Deref(v.Domain.TransitGatewayMulticastDomainId))
	}}

// CreateTransitGatewayMulticastDomain creates a domain on a gateway that
// has multicast support.
func (s *EC2) CreateTransitGatewayMulticastDomain(ctx *request.Context, in *ec2api.CreateTransitGatewayMulticastDomainRequest) (*ec2api.CreateTransitGatewayMulticastDomainResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	o := in.Options
	if o == nil {
		o = &ec2api.CreateTransitGatewayMulticastDomainRequestOptions{}
	}
	for f, v := range map[string]*string{"Igmpv2Support": o.Igmpv2Support, "StaticSourcesSupport": o.StaticSourcesSupport, "AutoAcceptSharedAssociations": o.AutoAcceptSharedAssociations} {
		if err := enableDisable(f, ptr.Deref(v)); err != nil {
			return nil, err
		}
	}
	id := newID("tgw-mcast-domain")
	var d ec2api.TransitGatewayMulticastDomain
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		g, err := tgws.get(tx, sc, ptr.Deref(in.TransitGatewayId))
		if err != nil {
			return err
		}
		if ptr.Deref(g.Options.MulticastSupport) != "enable" {
			return errInvalidParameterValue.New("Transit gateway %s does not have multicast support enabled.", ptr.Deref(g.TransitGatewayId))
		}
		d = ec2api.TransitGatewayMulticastDomain{TransitGatewayMulticastDomainId: ptr.To(id), TransitGatewayId: g.TransitGatewayId, OwnerId: ptr.To(ctx.Account),
			TransitGatewayMulticastDomainArn: ptr.To("arn:aws:ec2:" + ctx.Region + ":" + ctx.Account + ":transit-gateway-multicast-domain/" + id), State: ptr.To("available"),
			CreationTime: ptr.To(ctx.Now().UTC()), Tags: nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway-multicast-domain")),
			Options: &ec2api.TransitGatewayMulticastDomainOptions{Igmpv2Support: optOr(o.Igmpv2Support, "disable"), StaticSourcesSupport: optOr(o.StaticSourcesSupport, "disable"),
				AutoAcceptSharedAssociations: optOr(o.AutoAcceptSharedAssociations, "disable")}}
		return mcDomains.put(tx, sc, id, mcDomain{Domain: d})
	})
	if err != nil {
		return nil, err
	}
	d.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayMulticastDomainResult{TransitGatewayMulticastDomain: &d}, nil
}

// DeleteTransitGatewayMulticastDomain deletes a domain with no
// associations.
func (s *EC2) DeleteTransitGatewayMulticastDomain(ctx *request.Context, in *ec2api.DeleteTransitGatewayMulticastDomainRequest) (*ec2api.DeleteTransitGatewayMulticastDomainResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var d ec2api.TransitGatewayMulticastDomain
	err := remove(s, ctx, mcDomains, ptr.Deref(in.TransitGatewayMulticastDomainId), func(_ storage.Tx, _ storage.Scope, v *mcDomain) error {
		if len(v.Assocs) > 0 {
			return errIncorrectState.New("Transit gateway multicast domain %s has associations.", ptr.Deref(v.Domain.TransitGatewayMulticastDomainId))
		}
		d = v.Domain
		return nil
	})
	if err != nil {
		return nil, err
	}
	d.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayMulticastDomainResult{TransitGatewayMulticastDomain: &d}, nil
}

// DescribeTransitGatewayMulticastDomains lists domains.
func (s *EC2) DescribeTransitGatewayMulticastDomains(ctx *request.Context, in *ec2api.DescribeTransitGatewayMulticastDomainsRequest) (*ec2api.DescribeTransitGatewayMulticastDomainsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, mcDomains, page{ids: in.TransitGatewayMulticastDomainIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		nil, func(d *mcDomain) ec2api.TransitGatewayMulticastDomain { return d.Domain })
	return answer(&ec2api.DescribeTransitGatewayMulticastDomainsResult{TransitGatewayMulticastDomains: list, NextToken: next}, err)
}

// editAssociations associates (or disassociates) subnets of a VPC
// attachment of the domain's gateway, answering them in state.
func (s *EC2) editAssociations(ctx *request.Context, domain, attID string, subnetIDs []string, add bool) (*ec2api.TransitGatewayMulticastDomainAssociations, error) {
	out := &ec2api.TransitGatewayMulticastDomainAssociations{TransitGatewayMulticastDomainId: ptr.To(domain), TransitGatewayAttachmentId: ptr.To(attID),
		ResourceType: ptr.To("vpc"), ResourceOwnerId: ptr.To(ctx.Account), Subnets: []ec2api.SubnetAssociation{}}
	state := map[bool]string{true: "associating", false: "disassociating"}[add]
	err := mutate(s, ctx, mcDomains, domain, func(tx storage.Tx, sc storage.Scope, d *mcDomain) error {
		a, err := tgwAttachments.get(tx, sc, attID)
		if err != nil {
			return err
		}
		if !isVPCAttachment(&a) || a.gateway() != ptr.Deref(d.Domain.TransitGatewayId) {
			return errInvalidParameterValue.New("%s is not a VPC attachment of transit gateway %s.", attID, ptr.Deref(d.Domain.TransitGatewayId))
		}
		out.ResourceId = a.VPC.VpcId
		for _, sub := range subnetIDs {
			i := slices.IndexFunc(d.Assocs, func(x ec2api.TransitGatewayMulticastDomainAssociation) bool {
				return ptr.Deref(x.TransitGatewayAttachmentId) == attID && ptr.Deref(x.Subnet.SubnetId) == sub
			})
			switch {
			case add && !slices.Contains(a.VPC.SubnetIds, sub):
				return errInvalidParameterValue.New("Subnet %s is not a subnet of attachment %s.", sub, attID)
			case add && i >= 0:
				return errAlreadyAssociated.New("Subnet %s is already associated with multicast domain %s.", sub, domain)
			case add:
				d.Assocs = append(d.Assocs, ec2api.TransitGatewayMulticastDomainAssociation{TransitGatewayAttachmentId: ptr.To(attID), ResourceId: a.VPC.VpcId,
					ResourceType: ptr.To("vpc"), ResourceOwnerId: ptr.To(ctx.Account), Subnet: &ec2api.SubnetAssociation{SubnetId: ptr.To(sub), State: ptr.To("associated")}})
			case i < 0:
				return code("InvalidAssociation.NotFound").New("Subnet %s is not associated with multicast domain %s.", sub, domain)
			default:
				d.Assocs = slices.Delete(d.Assocs, i, i+1)
				// Members and sources in the subnet go with it.
				d.Groups = slices.DeleteFunc(d.Groups, func(g ec2api.TransitGatewayMulticastGroup) bool { return ptr.Deref(g.SubnetId) == sub })
			}
			out.Subnets = append(out.Subnets, ec2api.SubnetAssociation{SubnetId: ptr.To(sub), State: ptr.To(state)})
		}
		return nil
	})
	return out, err
}

// AssociateTransitGatewayMulticastDomain associates subnets.
func (s *EC2) AssociateTransitGatewayMulticastDomain(ctx *request.Context, in *ec2api.AssociateTransitGatewayMulticastDomainRequest) (*ec2api.AssociateTransitGatewayMulticastDomainResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	a, err := s.editAssociations(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId), ptr.Deref(in.TransitGatewayAttachmentId), in.SubnetIds, true)
	return answer(&ec2api.AssociateTransitGatewayMulticastDomainResult{Associations: a}, err)
}

// DisassociateTransitGatewayMulticastDomain disassociates subnets.
func (s *EC2) DisassociateTransitGatewayMulticastDomain(ctx *request.Context, in *ec2api.DisassociateTransitGatewayMulticastDomainRequest) (*ec2api.DisassociateTransitGatewayMulticastDomainResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	a, err := s.editAssociations(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId), ptr.Deref(in.TransitGatewayAttachmentId), in.SubnetIds, false)
	return answer(&ec2api.DisassociateTransitGatewayMulticastDomainResult{Associations: a}, err)
}

// noPendingAssociations answers Accept/Reject: niwa's associations are
// made in the gateway owner's own account and never wait for acceptance.
func (s *EC2) noPendingAssociations(ctx *request.Context, domain string) error {
	return s.store.View(func(tx storage.Tx) error {
		if _, err := mcDomains.get(tx, scope(ctx), domain); err != nil {
			return err
		}
		return errIncorrectState.New("Transit gateway multicast domain %s has no associations pending acceptance.", domain)
	})
}

// AcceptTransitGatewayMulticastDomainAssociations accepts shared
// associations (none are ever pending in niwa).
func (s *EC2) AcceptTransitGatewayMulticastDomainAssociations(ctx *request.Context, in *ec2api.AcceptTransitGatewayMulticastDomainAssociationsRequest) (*ec2api.AcceptTransitGatewayMulticastDomainAssociationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return nil, s.noPendingAssociations(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId))
}

// RejectTransitGatewayMulticastDomainAssociations rejects shared
// associations (none are ever pending in niwa).
func (s *EC2) RejectTransitGatewayMulticastDomainAssociations(ctx *request.Context, in *ec2api.RejectTransitGatewayMulticastDomainAssociationsRequest) (*ec2api.RejectTransitGatewayMulticastDomainAssociationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	return nil, s.noPendingAssociations(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId))
}

// GetTransitGatewayMulticastDomainAssociations lists a domain's subnet
// associations.
func (s *EC2) GetTransitGatewayMulticastDomainAssociations(ctx *request.Context, in *ec2api.GetTransitGatewayMulticastDomainAssociationsRequest) (*ec2api.GetTransitGatewayMulticastDomainAssociationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(a *ec2api.TransitGatewayMulticastDomainAssociation) filter.Doc {
		d := filter.New(nil).Add("resource-id", ptr.Deref(a.ResourceId)).Add("resource-type", ptr.Deref(a.ResourceType)).
			Add("transit-gateway-attachment-id", ptr.Deref(a.TransitGatewayAttachmentId)).Add("state").Add("subnet-id")
		if a.Subnet != nil {
			d.Add("state", ptr.Deref(a.Subnet.State)).Add("subnet-id", ptr.Deref(a.Subnet.SubnetId))
		}
		return d
	}
	items, next, err := describeMembers(s, ctx, mcDomains, ptr.Deref(in.TransitGatewayMulticastDomainId), func(v mcDomain) []ec2api.TransitGatewayMulticastDomainAssociation { return v.Assocs },
		in.Filters, doc, in.MaxResults, in.NextToken)
	return answer(&ec2api.GetTransitGatewayMulticastDomainAssociationsResult{MulticastDomainAssociations: items, NextToken: next}, err)
}

var multicastRanges = []netip.Prefix{netip.MustParsePrefix("224.0.0.0/4"), netip.MustParsePrefix("ff00::/8")}

// registerGroup adds (or removes) interfaces as static members or
// sources of a group: the address must be a multicast one and each
// interface in a subnet associated with the domain.
func (s *EC2) registerGroup(ctx *request.Context, domain, group string, enis_ []string, source, add bool) ([]string, error) {
	ip, err := netip.ParseAddr(group)
	if err != nil || !slices.ContainsFunc(multicastRanges, func(p netip.Prefix) bool { return p.Contains(ip) }) {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter GroupIpAddress is invalid. It must be a multicast address.", group)
	}
	var done []string
	err = mutate(s, ctx, mcDomains, domain, func(tx storage.Tx, sc storage.Scope, d *mcDomain) error {
		for _, id := range enis_ {
			match := func(g ec2api.TransitGatewayMulticastGroup) bool {
				return ptr.Deref(g.GroupIpAddress) == group && ptr.Deref(g.NetworkInterfaceId) == id && ptr.Deref(g.GroupSource) == source
			}
			if !add {
				if i := slices.IndexFunc(d.Groups, match); i >= 0 {
					d.Groups = slices.Delete(d.Groups, i, i+1)
					done = append(done, id)
				}
				continue
			}
			e, err := enis.get(tx, sc, id)
			if err != nil {
				return err
			}
			i := slices.IndexFunc(d.Assocs, func(a ec2api.TransitGatewayMulticastDomainAssociation) bool {
				return ptr.Deref(a.Subnet.SubnetId) == ptr.Deref(e.SubnetId)
			})
			if i < 0 {
				return errInvalidParameterValue.New("The subnet of network interface %s is not associated with multicast domain %s.", id, domain)
			}
			if slices.ContainsFunc(d.Groups, match) {
				continue
			}
			a := d.Assocs[i]
			d.Groups = append(d.Groups, ec2api.TransitGatewayMulticastGroup{GroupIpAddress: ptr.To(group), TransitGatewayAttachmentId: a.TransitGatewayAttachmentId,
				SubnetId: e.SubnetId, ResourceId: a.ResourceId, ResourceType: ptr.To("vpc"), ResourceOwnerId: ptr.To(ctx.Account), NetworkInterfaceId: ptr.To(id),
				GroupMember: ptr.To(!source), GroupSource: ptr.To(source), MemberType: memberType(!source), SourceType: memberType(source)})
			done = append(done, id)
		}
		return nil
	})
	return done, err
}

func memberType(on bool) *string {
	if on {
		return ptr.To("static")
	}
	return nil
}

// RegisterTransitGatewayMulticastGroupMembers adds static members.
func (s *EC2) RegisterTransitGatewayMulticastGroupMembers(ctx *request.Context, in *ec2api.RegisterTransitGatewayMulticastGroupMembersRequest) (*ec2api.RegisterTransitGatewayMulticastGroupMembersResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ids, err := s.registerGroup(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId), ptr.Deref(in.GroupIpAddress), in.NetworkInterfaceIds, false, true)
	return answer(&ec2api.RegisterTransitGatewayMulticastGroupMembersResult{RegisteredMulticastGroupMembers: &ec2api.TransitGatewayMulticastRegisteredGroupMembers{
		TransitGatewayMulticastDomainId: in.TransitGatewayMulticastDomainId, GroupIpAddress: in.GroupIpAddress, RegisteredNetworkInterfaceIds: ids}}, err)
}

// RegisterTransitGatewayMulticastGroupSources adds static sources.
func (s *EC2) RegisterTransitGatewayMulticastGroupSources(ctx *request.Context, in *ec2api.RegisterTransitGatewayMulticastGroupSourcesRequest) (*ec2api.RegisterTransitGatewayMulticastGroupSourcesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ids, err := s.registerGroup(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId), ptr.Deref(in.GroupIpAddress), in.NetworkInterfaceIds, true, true)
	return answer(&ec2api.RegisterTransitGatewayMulticastGroupSourcesResult{RegisteredMulticastGroupSources: &ec2api.TransitGatewayMulticastRegisteredGroupSources{
		TransitGatewayMulticastDomainId: in.TransitGatewayMulticastDomainId, GroupIpAddress: in.GroupIpAddress, RegisteredNetworkInterfaceIds: ids}}, err)
}

// DeregisterTransitGatewayMulticastGroupMembers removes static members.
func (s *EC2) DeregisterTransitGatewayMulticastGroupMembers(ctx *request.Context, in *ec2api.DeregisterTransitGatewayMulticastGroupMembersRequest) (*ec2api.DeregisterTransitGatewayMulticastGroupMembersResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ids, err := s.registerGroup(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId), ptr.Deref(in.GroupIpAddress), in.NetworkInterfaceIds, false, false)
	return answer(&ec2api.DeregisterTransitGatewayMulticastGroupMembersResult{DeregisteredMulticastGroupMembers: &ec2api.TransitGatewayMulticastDeregisteredGroupMembers{
		TransitGatewayMulticastDomainId: in.TransitGatewayMulticastDomainId, GroupIpAddress: in.GroupIpAddress, DeregisteredNetworkInterfaceIds: ids}}, err)
}

// DeregisterTransitGatewayMulticastGroupSources removes static sources.
func (s *EC2) DeregisterTransitGatewayMulticastGroupSources(ctx *request.Context, in *ec2api.DeregisterTransitGatewayMulticastGroupSourcesRequest) (*ec2api.DeregisterTransitGatewayMulticastGroupSourcesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ids, err := s.registerGroup(ctx, ptr.Deref(in.TransitGatewayMulticastDomainId), ptr.Deref(in.GroupIpAddress), in.NetworkInterfaceIds, true, false)
	return answer(&ec2api.DeregisterTransitGatewayMulticastGroupSourcesResult{DeregisteredMulticastGroupSources: &ec2api.TransitGatewayMulticastDeregisteredGroupSources{
		TransitGatewayMulticastDomainId: in.TransitGatewayMulticastDomainId, GroupIpAddress: in.GroupIpAddress, DeregisteredNetworkInterfaceIds: ids}}, err)
}

// SearchTransitGatewayMulticastGroups lists a domain's members and
// sources, filtered.
func (s *EC2) SearchTransitGatewayMulticastGroups(ctx *request.Context, in *ec2api.SearchTransitGatewayMulticastGroupsRequest) (*ec2api.SearchTransitGatewayMulticastGroupsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(g *ec2api.TransitGatewayMulticastGroup) filter.Doc {
		return filter.New(nil).Add("group-ip-address", ptr.Deref(g.GroupIpAddress)).Add("is-group-member", boolStr(ptr.Deref(g.GroupMember))).
			Add("is-group-source", boolStr(ptr.Deref(g.GroupSource))).Add("member-type", ptr.Deref(g.MemberType)).Add("source-type", ptr.Deref(g.SourceType)).
			Add("resource-id", ptr.Deref(g.ResourceId)).Add("resource-type", ptr.Deref(g.ResourceType)).Add("subnet-id", ptr.Deref(g.SubnetId)).
			Add("transit-gateway-attachment-id", ptr.Deref(g.TransitGatewayAttachmentId))
	}
	items, next, err := describeMembers(s, ctx, mcDomains, ptr.Deref(in.TransitGatewayMulticastDomainId), func(v mcDomain) []ec2api.TransitGatewayMulticastGroup { return v.Groups },
		in.Filters, doc, in.MaxResults, in.NextToken)
	return answer(&ec2api.SearchTransitGatewayMulticastGroupsResult{MulticastGroups: items, NextToken: next}, err)
}
