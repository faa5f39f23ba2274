package ec2

import (
	"net/netip"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// ModifyTransitGateway changes a gateway's description and options: its
// CIDR blocks, default route tables and feature switches.
func (s *EC2) ModifyTransitGateway(ctx *request.Context, in *ec2api.ModifyTransitGatewayRequest) (*ec2api.ModifyTransitGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	o := in.Options
	if o == nil {
		o = &ec2api.ModifyTransitGatewayOptions{}
	}
	for f, v := range map[string]*string{"AutoAcceptSharedAttachments": o.AutoAcceptSharedAttachments, "DefaultRouteTableAssociation": o.DefaultRouteTableAssociation,
		"DefaultRouteTablePropagation": o.DefaultRouteTablePropagation, "VpnEcmpSupport": o.VpnEcmpSupport, "DnsSupport": o.DnsSupport,
		"SecurityGroupReferencingSupport": o.SecurityGroupReferencingSupport} {
		if err := enableDisable(f, ptr.Deref(v)); err != nil {
			return nil, err
		}
	}
	for _, c := range o.AddTransitGatewayCidrBlocks {
		if _, err := netip.ParsePrefix(c); err != nil {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter TransitGatewayCidrBlocks is invalid. This is not a valid CIDR block.", c)
		}
	}
	if asn := o.AmazonSideAsn; asn != nil && !(*asn >= 64512 && *asn <= 65534) && !(*asn >= 4200000000 && *asn <= 4294967294) {
		return nil, errInvalidParameterValue.New("Amazon side ASN %d is invalid. Expected a private ASN: 64512-65534 or 4200000000-4294967294.", *asn)
	}
	var g ec2api.TransitGateway
	err := mutate(s, ctx, tgws, ptr.Deref(in.TransitGatewayId), func(tx storage.Tx, sc storage.Scope, v *ec2api.TransitGateway) error {
		id := ptr.Deref(v.TransitGatewayId)
		ownTable := func(rt string) error {
			t, err := tgwRouteTables.get(tx, sc, rt)
			if err == nil && ptr.Deref(t.Table.TransitGatewayId) != id {
				err = errInvalidParameterValue.New("Transit gateway route table %s does not belong to %s.", rt, id)
			}
			return err
		}
		if in.Description != nil {
			v.Description = in.Description
		}
		opts := v.Options
		set := func(dst **string, val *string) {
			if val != nil {
				*dst = ptr.To(*val)
			}
		}
		set(&opts.AutoAcceptSharedAttachments, o.AutoAcceptSharedAttachments)
		set(&opts.DefaultRouteTableAssociation, o.DefaultRouteTableAssociation)
		set(&opts.DefaultRouteTablePropagation, o.DefaultRouteTablePropagation)
		set(&opts.VpnEcmpSupport, o.VpnEcmpSupport)
		set(&opts.DnsSupport, o.DnsSupport)
		set(&opts.SecurityGroupReferencingSupport, o.SecurityGroupReferencingSupport)
		if o.AmazonSideAsn != nil {
			opts.AmazonSideAsn = ptr.To(*o.AmazonSideAsn)
		}
		for _, rt := range []struct {
			id  *string
			dst **string
		}{{o.AssociationDefaultRouteTableId, &opts.AssociationDefaultRouteTableId}, {o.PropagationDefaultRouteTableId, &opts.PropagationDefaultRouteTableId}} {
			if rt.id != nil {
				if err := ownTable(*rt.id); err != nil {
					return err
				}
				*rt.dst = ptr.To(*rt.id)
			}
		}
		for _, c := range o.AddTransitGatewayCidrBlocks {
			if !contains(opts.TransitGatewayCidrBlocks, c) {
				opts.TransitGatewayCidrBlocks = append(opts.TransitGatewayCidrBlocks, c)
			}
		}
		var keep []string
		for _, c := range opts.TransitGatewayCidrBlocks {
			if !contains(o.RemoveTransitGatewayCidrBlocks, c) {
				keep = append(keep, c)
			}
		}
		opts.TransitGatewayCidrBlocks = keep
		g = *v
		return nil
	})
	if err != nil {
		return nil, err
	}
	g.State = ptr.To("modifying")
	return &ec2api.ModifyTransitGatewayResult{TransitGateway: &g}, nil
}

// ModifyTransitGatewayVpcAttachment adds and removes the attachment's
// subnets (one per zone, at least one left) and changes its options.
func (s *EC2) ModifyTransitGatewayVpcAttachment(ctx *request.Context, in *ec2api.ModifyTransitGatewayVpcAttachmentRequest) (*ec2api.ModifyTransitGatewayVpcAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	o := in.Options
	if o == nil {
		o = &ec2api.ModifyTransitGatewayVpcAttachmentRequestOptions{}
	}
	for f, v := range map[string]*string{"DnsSupport": o.DnsSupport, "Ipv6Support": o.Ipv6Support, "ApplianceModeSupport": o.ApplianceModeSupport,
		"SecurityGroupReferencingSupport": o.SecurityGroupReferencingSupport} {
		if err := enableDisable(f, ptr.Deref(v)); err != nil {
			return nil, err
		}
	}
	var out ec2api.TransitGatewayVpcAttachment
	err := mutate(s, ctx, tgwAttachments, ptr.Deref(in.TransitGatewayAttachmentId), func(tx storage.Tx, sc storage.Scope, a *tgwAttachment) error {
		if !isVPCAttachment(a) {
			return errInvalidParameterValue.New("%s is not a transit gateway VPC attachment.", a.id())
		}
		v := &a.VPC
		var subs []string
		for _, id := range v.SubnetIds {
			if !contains(in.RemoveSubnetIds, id) {
				subs = append(subs, id)
			}
		}
		for _, id := range in.RemoveSubnetIds {
			if !contains(v.SubnetIds, id) {
				return errInvalidParameterValue.New("Subnet %s is not part of attachment %s.", id, a.id())
			}
		}
		added, err := subnets.getEach(tx, sc, in.AddSubnetIds)
		if err != nil {
			return err
		}
		zones := map[string]bool{}
		for _, id := range subs {
			if sub, ok, err := subnets.table.Get(tx, sc, id); err != nil {
				return err
			} else if ok {
				zones[ptr.Deref(sub.AvailabilityZone)] = true
			}
		}
		for _, sub := range added {
			if ptr.Deref(sub.VpcId) != ptr.Deref(v.VpcId) {
				return errInvalidParameterValue.New("Subnet %s does not belong to VPC %s.", ptr.Deref(sub.SubnetId), ptr.Deref(v.VpcId))
			}
			if zones[ptr.Deref(sub.AvailabilityZone)] {
				return code("DuplicateSubnetsInSameZone").New("Duplicate Subnets for same AZ")
			}
			zones[ptr.Deref(sub.AvailabilityZone)] = true
			subs = append(subs, ptr.Deref(sub.SubnetId))
		}
		if len(subs) == 0 {
			return errInvalidParameterValue.New("A transit gateway VPC attachment needs at least one subnet.")
		}
		v.SubnetIds = subs
		set := func(dst **string, val *string) {
			if val != nil {
				*dst = ptr.To(*val)
			}
		}
		set(&v.Options.DnsSupport, o.DnsSupport)
		set(&v.Options.Ipv6Support, o.Ipv6Support)
		set(&v.Options.ApplianceModeSupport, o.ApplianceModeSupport)
		set(&v.Options.SecurityGroupReferencingSupport, o.SecurityGroupReferencingSupport)
		out = *v
		return nil
	})
	if err != nil {
		return nil, err
	}
	out.State = ptr.To("modifying")
	return &ec2api.ModifyTransitGatewayVpcAttachmentResult{TransitGatewayVpcAttachment: &out}, nil
}

// A VPC attachment in niwa is always in the gateway owner's own account,
// so it never waits for acceptance: accepting or rejecting one answers
// that it is not pendingAcceptance, as EC2 answers for an attachment that
// is already available.
func vpcAttachmentNotPending(s *EC2, ctx *request.Context, id string) (ec2api.TransitGatewayVpcAttachment, error) {
	var a tgwAttachment
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if a, err = tgwAttachments.get(tx, scope(ctx), id); err != nil {
			return err
		}
		if !isVPCAttachment(&a) {
			return errInvalidParameterValue.New("%s is not a transit gateway VPC attachment.", id)
		}
		return errIncorrectState.New("Transit Gateway Attachment %s is in invalid state %s.", id, a.state())
	})
	return a.VPC, err
}

// AcceptTransitGatewayVpcAttachment accepts a shared VPC's attachment.
func (s *EC2) AcceptTransitGatewayVpcAttachment(ctx *request.Context, in *ec2api.AcceptTransitGatewayVpcAttachmentRequest) (*ec2api.AcceptTransitGatewayVpcAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := vpcAttachmentNotPending(s, ctx, ptr.Deref(in.TransitGatewayAttachmentId))
	return nil, err
}

// RejectTransitGatewayVpcAttachment rejects a shared VPC's attachment.
func (s *EC2) RejectTransitGatewayVpcAttachment(ctx *request.Context, in *ec2api.RejectTransitGatewayVpcAttachmentRequest) (*ec2api.RejectTransitGatewayVpcAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	_, err := vpcAttachmentNotPending(s, ctx, ptr.Deref(in.TransitGatewayAttachmentId))
	return nil, err
}

// ReplaceTransitGatewayRoute replaces the target of a static route (or
// makes a propagated destination static).
func (s *EC2) ReplaceTransitGatewayRoute(ctx *request.Context, in *ec2api.ReplaceTransitGatewayRouteRequest) (*ec2api.ReplaceTransitGatewayRouteResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	dest := ptr.Deref(in.DestinationCidrBlock)
	if p, err := netip.ParsePrefix(dest); err != nil || p.Masked() != p {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", dest)
	}
	blackhole, attID := ptr.Deref(in.Blackhole), ptr.Deref(in.TransitGatewayAttachmentId)
	if blackhole == (attID != "") {
		return nil, errInvalidParameterCombo.New("Exactly one of TransitGatewayAttachmentId or Blackhole must be specified.")
	}
	rt := ptr.Deref(in.TransitGatewayRouteTableId)
	route := ec2api.TransitGatewayRoute{DestinationCidrBlock: ptr.To(dest), Type: ptr.To("static"), State: ptr.To("active"), TransitGatewayAttachments: []ec2api.TransitGatewayRouteAttachment{}}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		t, err := tgwRouteTables.get(tx, sc, rt)
		if err != nil {
			return err
		}
		if blackhole {
			route.State = ptr.To("blackhole")
		} else {
			_, a, err := tgwPair(tx, sc, rt, attID)
			if err != nil {
				return err
			}
			route.TransitGatewayAttachments = []ec2api.TransitGatewayRouteAttachment{{ResourceId: a.resourceID(), TransitGatewayAttachmentId: ptr.To(attID), ResourceType: a.resourceType()}}
		}
		for i, r := range t.Static {
			if ptr.Deref(r.DestinationCidrBlock) == dest {
				t.Static[i] = route
				return tgwRouteTables.put(tx, sc, rt, t)
			}
		}
		return errRouteNotFound.New("No route with destination-cidr-block %s in Transit Gateway Route Table %s.", dest, rt)
	})
	return answer(&ec2api.ReplaceTransitGatewayRouteResult{Route: &route}, err)
}

// GetTransitGatewayAttachmentPropagations lists the route tables an
// attachment propagates to.
func (s *EC2) GetTransitGatewayAttachmentPropagations(ctx *request.Context, in *ec2api.GetTransitGatewayAttachmentPropagationsRequest) (*ec2api.GetTransitGatewayAttachmentPropagationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(p *ec2api.TransitGatewayAttachmentPropagation) filter.Doc {
		return filter.New(nil).Add("transit-gateway-route-table-id", ptr.Deref(p.TransitGatewayRouteTableId))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.TransitGatewayAttachmentPropagation{})); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TransitGatewayAttachmentId)
	var list []ec2api.TransitGatewayAttachmentPropagation
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		if _, err := tgwAttachments.get(tx, sc, id); err != nil {
			return err
		}
		rts, err := tgwRouteTables.all(tx, sc)
		for _, t := range rts {
			p := ec2api.TransitGatewayAttachmentPropagation{TransitGatewayRouteTableId: t.Table.TransitGatewayRouteTableId, State: ptr.To("enabled")}
			if contains(t.Propagations, id) && filter.Match(in.Filters, doc(&p)) {
				list = append(list, p)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.GetTransitGatewayAttachmentPropagationsResult{TransitGatewayAttachmentPropagations: append([]ec2api.TransitGatewayAttachmentPropagation{}, items...), NextToken: next}, err)
}
