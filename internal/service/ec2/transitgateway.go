package ec2

import (
	"net/netip"
	"sort"
	"strconv"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Transit gateways: gateways, VPC and peering attachments, route tables
// with associations, propagations, static routes and prefix list
// references, stored, validated and described as EC2 does. The route
// evaluator follows a VPC route into a gateway (tgwroute.go): RouteFor's
// decision names the gateway route table and the attachment it forwards
// to, and Reachability Analyzer follows the same hop.

var (
	tgws = resource[ec2api.TransitGateway]{table: storage.NewTable[ec2api.TransitGateway]("tgw"), prefix: "tgw", typ: "transit-gateway", noun: "transitGateway",
		notFound: code("InvalidTransitGatewayID.NotFound"), tags: func(v *ec2api.TransitGateway) *[]ec2api.Tag { return &v.Tags }, doc: tgwDoc}
	tgwAttachments = resource[tgwAttachment]{table: storage.NewTable[tgwAttachment]("tgwattach"), prefix: "tgw-attach", typ: "transit-gateway-attachment",
		noun: "transitGatewayAttachment", notFound: code("InvalidTransitGatewayAttachmentID.NotFound"), tags: func(v *tgwAttachment) *[]ec2api.Tag { return v.tags() }, doc: tgwAttachmentDoc}
	tgwRouteTables = resource[tgwRouteTable]{table: storage.NewTable[tgwRouteTable]("tgwrtb"), prefix: "tgw-rtb", typ: "transit-gateway-route-table",
		noun: "transitGatewayRouteTable", notFound: errRouteTableNotFound, tags: func(v *tgwRouteTable) *[]ec2api.Tag { return &v.Table.Tags }, doc: tgwRouteTableDoc}
)

type tgwAttachment struct {
	VPC ec2api.TransitGatewayVpcAttachment
	// Peering is set on a peering attachment (VPC is then empty); the
	// record stands in the scopes of both sides under one id.
	Peering *ec2api.TransitGatewayPeeringAttachment
	// Connect is set on a Connect attachment, carried over a VPC
	// attachment (its transport).
	Connect *ec2api.TransitGatewayConnect
	// Side is "requester" or "accepter": which side of a peering
	// attachment the scope holding this record is.
	Side string
	// RouteTable is the associated route table, if any.
	RouteTable string
}

type tgwRouteTable struct {
	Table ec2api.TransitGatewayRouteTable
	// Propagations are the attachments whose VPC CIDRs this table learns.
	Propagations []string
	// Static are the routes added with CreateTransitGatewayRoute.
	Static []ec2api.TransitGatewayRoute
	// PrefixLists are the table's prefix list references.
	PrefixLists []ec2api.TransitGatewayPrefixListReference
}

func tgwDoc(v *ec2api.TransitGateway) filter.Doc {
	d := filter.New(v.Tags).Add("transit-gateway-id", ptr.Deref(v.TransitGatewayId)).Add("state", ptr.Deref(v.State)).Add("owner-id", ptr.Deref(v.OwnerId)).
		Add("options.propagation-default-route-table-id").Add("options.association-default-route-table-id").Add("options.amazon-side-asn").
		Add("options.default-route-table-association").Add("options.default-route-table-propagation").Add("options.dns-support").Add("options.vpn-ecmp-support").
		Add("options.auto-accept-shared-attachments")
	if o := v.Options; o != nil {
		d.Add("options.propagation-default-route-table-id", ptr.Deref(o.PropagationDefaultRouteTableId)).Add("options.association-default-route-table-id", ptr.Deref(o.AssociationDefaultRouteTableId)).
			Add("options.amazon-side-asn", strconv.FormatInt(ptr.Deref(o.AmazonSideAsn), 10)).Add("options.default-route-table-association", ptr.Deref(o.DefaultRouteTableAssociation)).
			Add("options.default-route-table-propagation", ptr.Deref(o.DefaultRouteTablePropagation)).Add("options.dns-support", ptr.Deref(o.DnsSupport)).
			Add("options.vpn-ecmp-support", ptr.Deref(o.VpnEcmpSupport)).Add("options.auto-accept-shared-attachments", ptr.Deref(o.AutoAcceptSharedAttachments))
	}
	return d
}

func tgwAttachmentDoc(v *tgwAttachment) filter.Doc {
	d := filter.New(*v.tags()).Add("transit-gateway-attachment-id", v.id()).Add("transit-gateway-id", v.gateway()).Add("state", v.state()).
		Add("resource-id", ptr.Deref(v.resourceID())).Add("resource-type", ptr.Deref(v.resourceType())).
		Add("association.transit-gateway-route-table-id", v.RouteTable).Add("association.state", map[bool]string{true: "associated", false: ""}[v.RouteTable != ""]).
		Add("vpc-id", ptr.Deref(v.VPC.VpcId)).Add("vpc-owner-id", ptr.Deref(v.VPC.VpcOwnerId)).Add("resource-owner-id").Add("transit-gateway-owner-id").
		Add("local-owner-id").Add("remote-owner-id")
	if p := v.Peering; p != nil {
		return d.Add("local-owner-id", ptr.Deref(p.RequesterTgwInfo.OwnerId)).Add("remote-owner-id", ptr.Deref(p.AccepterTgwInfo.OwnerId)).
			Add("transit-gateway-owner-id", ptr.Deref(p.RequesterTgwInfo.OwnerId)).Add("resource-owner-id", ptr.Deref(p.AccepterTgwInfo.OwnerId))
	}
	return d.Add("resource-owner-id", ptr.Deref(v.VPC.VpcOwnerId)).Add("transit-gateway-owner-id", ptr.Deref(v.VPC.VpcOwnerId))
}

func tgwRouteTableDoc(v *tgwRouteTable) filter.Doc {
	t := &v.Table
	return filter.New(t.Tags).Add("transit-gateway-route-table-id", ptr.Deref(t.TransitGatewayRouteTableId)).Add("transit-gateway-id", ptr.Deref(t.TransitGatewayId)).
		Add("state", ptr.Deref(t.State)).Add("default-association-route-table", boolStr(ptr.Deref(t.DefaultAssociationRouteTable))).
		Add("default-propagation-route-table", boolStr(ptr.Deref(t.DefaultPropagationRouteTable)))
}

func enableDisable(field, v string) error {
	if v != "" && v != "enable" && v != "disable" {
		return errInvalidParameterValue.New("Value (%s) for parameter %s is invalid. Valid values are enable, disable.", v, field)
	}
	return nil
}

func optOr(v *string, def string) *string {
	if v == nil || *v == "" {
		return ptr.To(def)
	}
	return ptr.To(*v)
}

// CreateTransitGateway creates a gateway and, unless its options turn
// them off, its default association and propagation route table.
func (s *EC2) CreateTransitGateway(ctx *request.Context, in *ec2api.CreateTransitGatewayRequest) (*ec2api.CreateTransitGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	o := in.Options
	if o == nil {
		o = &ec2api.TransitGatewayRequestOptions{}
	}
	asn := int64(64512)
	if o.AmazonSideAsn != nil {
		asn = *o.AmazonSideAsn
		if !(asn >= 64512 && asn <= 65534) && !(asn >= 4200000000 && asn <= 4294967294) {
			return nil, errInvalidParameterValue.New("Amazon side ASN %d is invalid. Expected a private ASN: 64512-65534 or 4200000000-4294967294.", asn)
		}
	}
	for f, v := range map[string]*string{"AutoAcceptSharedAttachments": o.AutoAcceptSharedAttachments, "DefaultRouteTableAssociation": o.DefaultRouteTableAssociation,
		"DefaultRouteTablePropagation": o.DefaultRouteTablePropagation, "VpnEcmpSupport": o.VpnEcmpSupport, "DnsSupport": o.DnsSupport,
		"SecurityGroupReferencingSupport": o.SecurityGroupReferencingSupport, "MulticastSupport": o.MulticastSupport} {
		if err := enableDisable(f, ptr.Deref(v)); err != nil {
			return nil, err
		}
	}
	for _, c := range o.TransitGatewayCidrBlocks {
		if _, err := netip.ParsePrefix(c); err != nil {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter TransitGatewayCidrBlocks is invalid. This is not a valid CIDR block.", c)
		}
	}
	now := ctx.Now().UTC()
	id := newID("tgw")
	opts := &ec2api.TransitGatewayOptions{AmazonSideAsn: ptr.To(asn), TransitGatewayCidrBlocks: o.TransitGatewayCidrBlocks,
		AutoAcceptSharedAttachments: optOr(o.AutoAcceptSharedAttachments, "disable"), DefaultRouteTableAssociation: optOr(o.DefaultRouteTableAssociation, "enable"),
		DefaultRouteTablePropagation: optOr(o.DefaultRouteTablePropagation, "enable"), VpnEcmpSupport: optOr(o.VpnEcmpSupport, "enable"),
		DnsSupport: optOr(o.DnsSupport, "enable"), SecurityGroupReferencingSupport: optOr(o.SecurityGroupReferencingSupport, "disable"),
		MulticastSupport: optOr(o.MulticastSupport, "disable")}
	g := ec2api.TransitGateway{TransitGatewayId: ptr.To(id), TransitGatewayArn: ptr.To("arn:aws:ec2:" + ctx.Region + ":" + ctx.Account + ":transit-gateway/" + id),
		State: ptr.To("available"), OwnerId: ptr.To(ctx.Account), Description: in.Description, CreationTime: ptr.To(now), Options: opts,
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway"))}
	assoc, prop := *opts.DefaultRouteTableAssociation == "enable", *opts.DefaultRouteTablePropagation == "enable"
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if assoc || prop {
			rt := newID("tgw-rtb")
			t := tgwRouteTable{Table: ec2api.TransitGatewayRouteTable{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayId: ptr.To(id), State: ptr.To("available"),
				DefaultAssociationRouteTable: ptr.To(assoc), DefaultPropagationRouteTable: ptr.To(prop), CreationTime: ptr.To(now), Tags: []ec2api.Tag{}}}
			if assoc {
				opts.AssociationDefaultRouteTableId = ptr.To(rt)
			}
			if prop {
				opts.PropagationDefaultRouteTableId = ptr.To(rt)
			}
			if err := tgwRouteTables.put(tx, sc, rt, t); err != nil {
				return err
			}
		}
		return tgws.put(tx, sc, id, g)
	})
	if err != nil {
		return nil, err
	}
	out := g
	out.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayResult{TransitGateway: &out}, nil
}

// DescribeTransitGateways lists gateways.
func (s *EC2) DescribeTransitGateways(ctx *request.Context, in *ec2api.DescribeTransitGatewaysRequest) (*ec2api.DescribeTransitGatewaysResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, tgws, page{ids: in.TransitGatewayIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeTransitGatewaysResult{TransitGateways: orEmpty(recs), NextToken: next}, err)
}

// DeleteTransitGateway deletes a gateway with no attachments, and its
// route tables.
func (s *EC2) DeleteTransitGateway(ctx *request.Context, in *ec2api.DeleteTransitGatewayRequest) (*ec2api.DeleteTransitGatewayResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TransitGatewayId)
	sc := scope(ctx)
	var g ec2api.TransitGateway
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if g, err = tgws.get(tx, sc, id); err != nil {
			return err
		}
		atts, err := tgwAttachments.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range atts {
			if a.gateway() == id {
				return errIncorrectState.New("%s has non-deleted Transit Gateway Attachments: %s.", id, a.id())
			}
		}
		rts, err := tgwRouteTables.all(tx, sc)
		if err != nil {
			return err
		}
		for _, t := range rts {
			if ptr.Deref(t.Table.TransitGatewayId) == id {
				if err := tgwRouteTables.table.Delete(tx, sc, ptr.Deref(t.Table.TransitGatewayRouteTableId)); err != nil {
					return err
				}
			}
		}
		return tgws.table.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	g.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayResult{TransitGateway: &g}, nil
}

// CreateTransitGatewayVpcAttachment attaches a VPC through one subnet per
// zone, associating and propagating to the gateway's default route table
// when its options say so.
func (s *EC2) CreateTransitGatewayVpcAttachment(ctx *request.Context, in *ec2api.CreateTransitGatewayVpcAttachmentRequest) (*ec2api.CreateTransitGatewayVpcAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if len(in.SubnetIds) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter SubnetIds")
	}
	o := in.Options
	if o == nil {
		o = &ec2api.CreateTransitGatewayVpcAttachmentRequestOptions{}
	}
	for f, v := range map[string]*string{"DnsSupport": o.DnsSupport, "Ipv6Support": o.Ipv6Support, "ApplianceModeSupport": o.ApplianceModeSupport,
		"SecurityGroupReferencingSupport": o.SecurityGroupReferencingSupport} {
		if err := enableDisable(f, ptr.Deref(v)); err != nil {
			return nil, err
		}
	}
	sc := scope(ctx)
	id := newID("tgw-attach")
	var att tgwAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := tgws.get(tx, sc, ptr.Deref(in.TransitGatewayId))
		if err != nil {
			return err
		}
		vpc := ptr.Deref(in.VpcId)
		if _, err := vpcs.get(tx, sc, vpc); err != nil {
			return err
		}
		subs, err := subnets.getEach(tx, sc, in.SubnetIds)
		if err != nil {
			return err
		}
		zones := map[string]bool{}
		for _, sub := range subs {
			if ptr.Deref(sub.VpcId) != vpc {
				return errInvalidParameterValue.New("Subnet %s does not belong to VPC %s.", ptr.Deref(sub.SubnetId), vpc)
			}
			if zones[ptr.Deref(sub.AvailabilityZone)] {
				return code("DuplicateSubnetsInSameZone").New("Duplicate Subnets for same AZ")
			}
			zones[ptr.Deref(sub.AvailabilityZone)] = true
		}
		all, err := tgwAttachments.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range all {
			if ptr.Deref(a.VPC.TransitGatewayId) == ptr.Deref(g.TransitGatewayId) && ptr.Deref(a.VPC.VpcId) == vpc {
				return code("DuplicateTransitGatewayAttachment").New("%s has non-deleted Transit Gateway Attachments with same VPC ID.", ptr.Deref(g.TransitGatewayId))
			}
		}
		att = tgwAttachment{VPC: ec2api.TransitGatewayVpcAttachment{TransitGatewayAttachmentId: ptr.To(id), TransitGatewayId: g.TransitGatewayId, VpcId: ptr.To(vpc),
			VpcOwnerId: ptr.To(ctx.Account), State: ptr.To("available"), SubnetIds: append([]string{}, in.SubnetIds...), CreationTime: ptr.To(ctx.Now().UTC()),
			Options: &ec2api.TransitGatewayVpcAttachmentOptions{DnsSupport: optOr(o.DnsSupport, "enable"), Ipv6Support: optOr(o.Ipv6Support, "disable"),
				ApplianceModeSupport: optOr(o.ApplianceModeSupport, "disable"), SecurityGroupReferencingSupport: optOr(o.SecurityGroupReferencingSupport, "enable")},
			Tags: nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway-attachment"))}}
		if att.RouteTable, err = defaultRouting(tx, sc, g, id); err != nil {
			return err
		}
		return tgwAttachments.put(tx, sc, id, att)
	})
	if err != nil {
		return nil, err
	}
	out := att.VPC
	out.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayVpcAttachmentResult{TransitGatewayVpcAttachment: &out}, nil
}

// DescribeTransitGatewayVpcAttachments lists VPC attachments.
func (s *EC2) DescribeTransitGatewayVpcAttachments(ctx *request.Context, in *ec2api.DescribeTransitGatewayVpcAttachmentsRequest) (*ec2api.DescribeTransitGatewayVpcAttachmentsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, tgwAttachments, page{ids: in.TransitGatewayAttachmentIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		isVPCAttachment, func(a *tgwAttachment) ec2api.TransitGatewayVpcAttachment { return a.VPC })
	return answer(&ec2api.DescribeTransitGatewayVpcAttachmentsResult{TransitGatewayVpcAttachments: list, NextToken: next}, err)
}

// DescribeTransitGatewayAttachments lists attachments of every kind (VPC,
// peering and Connect).
func (s *EC2) DescribeTransitGatewayAttachments(ctx *request.Context, in *ec2api.DescribeTransitGatewayAttachmentsRequest) (*ec2api.DescribeTransitGatewayAttachmentsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, tgwAttachments, page{ids: in.TransitGatewayAttachmentIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		nil, func(r *tgwAttachment) ec2api.TransitGatewayAttachment {
			a := r.summary(ctx.Account)
			if r.RouteTable != "" {
				a.Association = &ec2api.TransitGatewayAttachmentAssociation{TransitGatewayRouteTableId: ptr.To(r.RouteTable), State: ptr.To("associated")}
			}
			return a
		})
	return answer(&ec2api.DescribeTransitGatewayAttachmentsResult{TransitGatewayAttachments: list, NextToken: next}, err)
}

// DeleteTransitGatewayVpcAttachment deletes an attachment, its
// association, propagations and the static routes through it.
func (s *EC2) DeleteTransitGatewayVpcAttachment(ctx *request.Context, in *ec2api.DeleteTransitGatewayVpcAttachmentRequest) (*ec2api.DeleteTransitGatewayVpcAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TransitGatewayAttachmentId)
	sc := scope(ctx)
	var att tgwAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if att, err = tgwAttachments.get(tx, sc, id); err != nil {
			return err
		}
		if !isVPCAttachment(&att) {
			return errInvalidParameterValue.New("%s is not a transit gateway VPC attachment.", id)
		}
		if err := noConnectOver(tx, sc, id); err != nil {
			return err
		}
		return detachEverywhere(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	out := att.VPC
	out.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayVpcAttachmentResult{TransitGatewayVpcAttachment: &out}, nil
}

// CreateTransitGatewayRouteTable adds a route table to a gateway.
func (s *EC2) CreateTransitGatewayRouteTable(ctx *request.Context, in *ec2api.CreateTransitGatewayRouteTableRequest) (*ec2api.CreateTransitGatewayRouteTableResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	id := newID("tgw-rtb")
	t := tgwRouteTable{Table: ec2api.TransitGatewayRouteTable{TransitGatewayRouteTableId: ptr.To(id), TransitGatewayId: in.TransitGatewayId, State: ptr.To("available"),
		DefaultAssociationRouteTable: ptr.To(false), DefaultPropagationRouteTable: ptr.To(false), CreationTime: ptr.To(ctx.Now().UTC()),
		Tags: nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway-route-table"))}}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := tgws.get(tx, sc, ptr.Deref(in.TransitGatewayId)); err != nil {
			return err
		}
		return tgwRouteTables.put(tx, sc, id, t)
	})
	if err != nil {
		return nil, err
	}
	out := t.Table
	out.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayRouteTableResult{TransitGatewayRouteTable: &out}, nil
}

// DescribeTransitGatewayRouteTables lists route tables.
func (s *EC2) DescribeTransitGatewayRouteTables(ctx *request.Context, in *ec2api.DescribeTransitGatewayRouteTablesRequest) (*ec2api.DescribeTransitGatewayRouteTablesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, tgwRouteTables, page{ids: in.TransitGatewayRouteTableIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		nil, func(t *tgwRouteTable) ec2api.TransitGatewayRouteTable { return t.Table })
	return answer(&ec2api.DescribeTransitGatewayRouteTablesResult{TransitGatewayRouteTables: list, NextToken: next}, err)
}

// DeleteTransitGatewayRouteTable deletes a route table nothing is
// associated with; the gateway's default tables cannot be deleted.
func (s *EC2) DeleteTransitGatewayRouteTable(ctx *request.Context, in *ec2api.DeleteTransitGatewayRouteTableRequest) (*ec2api.DeleteTransitGatewayRouteTableResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TransitGatewayRouteTableId)
	sc := scope(ctx)
	var t tgwRouteTable
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if t, err = tgwRouteTables.get(tx, sc, id); err != nil {
			return err
		}
		if ptr.Deref(t.Table.DefaultAssociationRouteTable) || ptr.Deref(t.Table.DefaultPropagationRouteTable) {
			return errIncorrectState.New("Default route table %s cannot be deleted.", id)
		}
		atts, err := tgwAttachments.all(tx, sc)
		if err != nil {
			return err
		}
		for _, a := range atts {
			if a.RouteTable == id {
				return errIncorrectState.New("%s has associations.", id)
			}
		}
		return tgwRouteTables.table.Delete(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	out := t.Table
	out.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayRouteTableResult{TransitGatewayRouteTable: &out}, nil
}

// tgwPair reads an attachment and a route table of the same gateway.
func tgwPair(tx storage.Tx, sc storage.Scope, rtID, attID string) (tgwRouteTable, tgwAttachment, error) {
	t, err := tgwRouteTables.get(tx, sc, rtID)
	if err != nil {
		return t, tgwAttachment{}, err
	}
	a, err := tgwAttachments.get(tx, sc, attID)
	if err != nil {
		return t, a, err
	}
	if a.gateway() != ptr.Deref(t.Table.TransitGatewayId) {
		return t, a, errInvalidParameterValue.New("%s and %s belong to different transit gateways.", rtID, attID)
	}
	return t, a, nil
}

// AssociateTransitGatewayRouteTable associates an attachment (one route
// table at a time).
func (s *EC2) AssociateTransitGatewayRouteTable(ctx *request.Context, in *ec2api.AssociateTransitGatewayRouteTableRequest) (*ec2api.AssociateTransitGatewayRouteTableResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	rt, attID := ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.TransitGatewayAttachmentId)
	var a tgwAttachment
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if _, a, err = tgwPair(tx, sc, rt, attID); err != nil {
			return err
		}
		if a.RouteTable != "" {
			return errAlreadyAssociated.New("Transit Gateway Attachment %s is already associated to a route table.", attID)
		}
		a.RouteTable = rt
		return tgwAttachments.put(tx, sc, attID, a)
	})
	return answer(&ec2api.AssociateTransitGatewayRouteTableResult{Association: &ec2api.TransitGatewayAssociation{TransitGatewayRouteTableId: ptr.To(rt),
		TransitGatewayAttachmentId: ptr.To(attID), ResourceId: a.resourceID(), ResourceType: a.resourceType(), State: ptr.To("associating")}}, err)
}

// DisassociateTransitGatewayRouteTable removes an attachment's
// association.
func (s *EC2) DisassociateTransitGatewayRouteTable(ctx *request.Context, in *ec2api.DisassociateTransitGatewayRouteTableRequest) (*ec2api.DisassociateTransitGatewayRouteTableResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	rt, attID := ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.TransitGatewayAttachmentId)
	var a tgwAttachment
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if _, a, err = tgwPair(tx, sc, rt, attID); err != nil {
			return err
		}
		if a.RouteTable != rt {
			return code("InvalidAssociation.NotFound").New("Transit Gateway Attachment %s is not associated with %s.", attID, rt)
		}
		a.RouteTable = ""
		return tgwAttachments.put(tx, sc, attID, a)
	})
	return answer(&ec2api.DisassociateTransitGatewayRouteTableResult{Association: &ec2api.TransitGatewayAssociation{TransitGatewayRouteTableId: ptr.To(rt),
		TransitGatewayAttachmentId: ptr.To(attID), ResourceId: a.resourceID(), ResourceType: a.resourceType(), State: ptr.To("disassociating")}}, err)
}

func (s *EC2) setPropagation(ctx *request.Context, rt, attID string, on bool) (*ec2api.TransitGatewayPropagation, error) {
	var a tgwAttachment
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		t, att, err := tgwPair(tx, sc, rt, attID)
		if err != nil {
			return err
		}
		if att.Peering != nil {
			return errInvalidParameterValue.New("Route propagation is not supported for transit gateway peering attachments; add static routes instead.")
		}
		a = att
		has := contains(t.Propagations, attID)
		switch {
		case on && has:
			return code("TransitGatewayRouteTablePropagation.Duplicate").New("Propagation for %s already exists in %s.", attID, rt)
		case !on && !has:
			return code("TransitGatewayRouteTablePropagation.NotFound").New("Propagation for %s does not exist in %s.", attID, rt)
		case on:
			t.Propagations = append(t.Propagations, attID)
		default:
			var keep []string
			for _, p := range t.Propagations {
				if p != attID {
					keep = append(keep, p)
				}
			}
			t.Propagations = keep
		}
		return tgwRouteTables.put(tx, sc, rt, t)
	})
	state := map[bool]string{true: "enabling", false: "disabling"}[on]
	return &ec2api.TransitGatewayPropagation{TransitGatewayRouteTableId: ptr.To(rt), TransitGatewayAttachmentId: ptr.To(attID), ResourceId: a.resourceID(),
		ResourceType: a.resourceType(), State: ptr.To(state)}, err
}

// EnableTransitGatewayRouteTablePropagation makes a route table learn an
// attachment's VPC CIDRs.
func (s *EC2) EnableTransitGatewayRouteTablePropagation(ctx *request.Context, in *ec2api.EnableTransitGatewayRouteTablePropagationRequest) (*ec2api.EnableTransitGatewayRouteTablePropagationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	p, err := s.setPropagation(ctx, ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.TransitGatewayAttachmentId), true)
	return answer(&ec2api.EnableTransitGatewayRouteTablePropagationResult{Propagation: p}, err)
}

// DisableTransitGatewayRouteTablePropagation stops it.
func (s *EC2) DisableTransitGatewayRouteTablePropagation(ctx *request.Context, in *ec2api.DisableTransitGatewayRouteTablePropagationRequest) (*ec2api.DisableTransitGatewayRouteTablePropagationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	p, err := s.setPropagation(ctx, ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.TransitGatewayAttachmentId), false)
	return answer(&ec2api.DisableTransitGatewayRouteTablePropagationResult{Propagation: p}, err)
}

// GetTransitGatewayRouteTableAssociations lists a table's associations.
func (s *EC2) GetTransitGatewayRouteTableAssociations(ctx *request.Context, in *ec2api.GetTransitGatewayRouteTableAssociationsRequest) (*ec2api.GetTransitGatewayRouteTableAssociationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(a *ec2api.TransitGatewayRouteTableAssociation) filter.Doc {
		return filter.New(nil).Add("resource-id", ptr.Deref(a.ResourceId)).Add("resource-type", ptr.Deref(a.ResourceType)).
			Add("transit-gateway-attachment-id", ptr.Deref(a.TransitGatewayAttachmentId))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.TransitGatewayRouteTableAssociation{})); err != nil {
		return nil, err
	}
	rt := ptr.Deref(in.TransitGatewayRouteTableId)
	sc := scope(ctx)
	var list []ec2api.TransitGatewayRouteTableAssociation
	err := s.store.View(func(tx storage.Tx) error {
		if _, err := tgwRouteTables.get(tx, sc, rt); err != nil {
			return err
		}
		atts, err := tgwAttachments.all(tx, sc)
		for _, a := range atts {
			v := ec2api.TransitGatewayRouteTableAssociation{TransitGatewayAttachmentId: ptr.To(a.id()), ResourceId: a.resourceID(), ResourceType: a.resourceType(), State: ptr.To("associated")}
			if a.RouteTable == rt && filter.Match(in.Filters, doc(&v)) {
				list = append(list, v)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.GetTransitGatewayRouteTableAssociationsResult{Associations: append([]ec2api.TransitGatewayRouteTableAssociation{}, items...), NextToken: next}, err)
}

// GetTransitGatewayRouteTablePropagations lists a table's propagations.
func (s *EC2) GetTransitGatewayRouteTablePropagations(ctx *request.Context, in *ec2api.GetTransitGatewayRouteTablePropagationsRequest) (*ec2api.GetTransitGatewayRouteTablePropagationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(p *ec2api.TransitGatewayRouteTablePropagation) filter.Doc {
		return filter.New(nil).Add("resource-id", ptr.Deref(p.ResourceId)).Add("resource-type", ptr.Deref(p.ResourceType)).
			Add("transit-gateway-attachment-id", ptr.Deref(p.TransitGatewayAttachmentId))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.TransitGatewayRouteTablePropagation{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var list []ec2api.TransitGatewayRouteTablePropagation
	err := s.store.View(func(tx storage.Tx) error {
		t, err := tgwRouteTables.get(tx, sc, ptr.Deref(in.TransitGatewayRouteTableId))
		if err != nil {
			return err
		}
		for _, id := range t.Propagations {
			a, ok, err := tgwAttachments.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			v := ec2api.TransitGatewayRouteTablePropagation{TransitGatewayAttachmentId: ptr.To(id), ResourceId: a.resourceID(), ResourceType: a.resourceType(), State: ptr.To("enabled")}
			if ok && filter.Match(in.Filters, doc(&v)) {
				list = append(list, v)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.GetTransitGatewayRouteTablePropagationsResult{TransitGatewayRouteTablePropagations: append([]ec2api.TransitGatewayRouteTablePropagation{}, items...), NextToken: next}, err)
}

// CreateTransitGatewayRoute adds a static route to an attachment or a
// blackhole.
func (s *EC2) CreateTransitGatewayRoute(ctx *request.Context, in *ec2api.CreateTransitGatewayRouteRequest) (*ec2api.CreateTransitGatewayRouteResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	dest := ptr.Deref(in.DestinationCidrBlock)
	p, err := netip.ParsePrefix(dest)
	if err != nil || p.Masked() != p {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.", dest)
	}
	blackhole := ptr.Deref(in.Blackhole)
	attID := ptr.Deref(in.TransitGatewayAttachmentId)
	if blackhole == (attID != "") {
		return nil, errInvalidParameterCombo.New("Exactly one of TransitGatewayAttachmentId or Blackhole must be specified.")
	}
	rt := ptr.Deref(in.TransitGatewayRouteTableId)
	sc := scope(ctx)
	route := ec2api.TransitGatewayRoute{DestinationCidrBlock: ptr.To(dest), Type: ptr.To("static"), State: ptr.To("active"), TransitGatewayAttachments: []ec2api.TransitGatewayRouteAttachment{}}
	if blackhole {
		route.State = ptr.To("blackhole")
	}
	err = s.store.Update(func(tx storage.Tx) error {
		var t tgwRouteTable
		var err error
		if blackhole {
			t, err = tgwRouteTables.get(tx, sc, rt)
		} else {
			var a tgwAttachment
			t, a, err = tgwPair(tx, sc, rt, attID)
			route.TransitGatewayAttachments = []ec2api.TransitGatewayRouteAttachment{{ResourceId: a.resourceID(), TransitGatewayAttachmentId: ptr.To(attID), ResourceType: a.resourceType()}}
		}
		if err != nil {
			return err
		}
		for _, r := range t.Static {
			if ptr.Deref(r.DestinationCidrBlock) == dest {
				return errRouteExists.New("Route %s already exists in Transit Gateway Route Table %s.", dest, rt)
			}
		}
		t.Static = append(t.Static, route)
		return tgwRouteTables.put(tx, sc, rt, t)
	})
	return answer(&ec2api.CreateTransitGatewayRouteResult{Route: &route}, err)
}

// DeleteTransitGatewayRoute removes a static route.
func (s *EC2) DeleteTransitGatewayRoute(ctx *request.Context, in *ec2api.DeleteTransitGatewayRouteRequest) (*ec2api.DeleteTransitGatewayRouteResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	dest, rt := ptr.Deref(in.DestinationCidrBlock), ptr.Deref(in.TransitGatewayRouteTableId)
	var gone ec2api.TransitGatewayRoute
	err := mutate(s, ctx, tgwRouteTables, rt, func(_ storage.Tx, _ storage.Scope, t *tgwRouteTable) error {
		for i, r := range t.Static {
			if ptr.Deref(r.DestinationCidrBlock) == dest {
				gone = r
				t.Static = append(t.Static[:i], t.Static[i+1:]...)
				return nil
			}
		}
		return errRouteNotFound.New("No route with destination-cidr-block %s in Transit Gateway Route Table %s.", dest, rt)
	})
	gone.State = ptr.To("deleted")
	return answer(&ec2api.DeleteTransitGatewayRouteResult{Route: &gone}, err)
}

// tgwRouteDoc is what the route filters of SearchTransitGatewayRoutes and
// ExportTransitGatewayRoutes see of a route.
func tgwRouteDoc(r *ec2api.TransitGatewayRoute) filter.Doc {
	d := filter.New(nil).Add("type", ptr.Deref(r.Type)).Add("state", ptr.Deref(r.State)).Add("route-search.exact-match", ptr.Deref(r.DestinationCidrBlock)).
		Add("attachment.transit-gateway-attachment-id").Add("attachment.resource-id").Add("attachment.resource-type").Add("prefix-list-id").
		Add("route-search.longest-prefix-match").Add("route-search.subnet-of-match").Add("route-search.supernet-of-match")
	for _, a := range r.TransitGatewayAttachments {
		d.Add("attachment.transit-gateway-attachment-id", ptr.Deref(a.TransitGatewayAttachmentId)).Add("attachment.resource-id", ptr.Deref(a.ResourceId)).
			Add("attachment.resource-type", ptr.Deref(a.ResourceType))
	}
	return d
}

// tgwRoutes are a table's static routes and the VPC CIDRs it learns from
// propagating attachments, filtered and in destination order.
func (s *EC2) tgwRoutes(ctx *request.Context, rt string, filters []ec2api.Filter) ([]ec2api.TransitGatewayRoute, error) {
	if err := filter.Validate(filters, tgwRouteDoc(&ec2api.TransitGatewayRoute{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var routes []ec2api.TransitGatewayRoute
	err := s.store.View(func(tx storage.Tx) error {
		t, err := tgwRouteTables.get(tx, sc, rt)
		if err != nil {
			return err
		}
		routes = append(routes, t.Static...)
		for _, id := range t.Propagations {
			a, ok, err := tgwAttachments.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			v, ok, err := vpcs.table.Get(tx, sc, ptr.Deref(a.VPC.VpcId))
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			for _, c := range v.Vpc.CidrBlockAssociationSet {
				routes = append(routes, ec2api.TransitGatewayRoute{DestinationCidrBlock: c.CidrBlock, Type: ptr.To("propagated"), State: ptr.To("active"),
					TransitGatewayAttachments: []ec2api.TransitGatewayRouteAttachment{{ResourceId: a.VPC.VpcId, TransitGatewayAttachmentId: ptr.To(id), ResourceType: ptr.To("vpc")}}})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	var out []ec2api.TransitGatewayRoute
	for _, r := range routes {
		if filter.Match(cidrFilters(filters, ptr.Deref(r.DestinationCidrBlock)), tgwRouteDoc(&r)) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		return ptr.Deref(out[i].DestinationCidrBlock) < ptr.Deref(out[j].DestinationCidrBlock)
	})
	return out, nil
}

// SearchTransitGatewayRoutes lists a table's routes, filtered.
func (s *EC2) SearchTransitGatewayRoutes(ctx *request.Context, in *ec2api.SearchTransitGatewayRoutesRequest) (*ec2api.SearchTransitGatewayRoutesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if len(in.Filters) == 0 {
		return nil, errMissingParameter.New("The request must contain the parameter Filters")
	}
	limit := 1000
	if in.MaxResults != nil {
		if *in.MaxResults < 5 || *in.MaxResults > 1000 {
			return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Expecting a value between 5 and 1000.", *in.MaxResults)
		}
		limit = int(*in.MaxResults)
	}
	out, err := s.tgwRoutes(ctx, ptr.Deref(in.TransitGatewayRouteTableId), in.Filters)
	if err != nil {
		return nil, err
	}
	more := len(out) > limit
	if more {
		out = out[:limit]
	}
	return &ec2api.SearchTransitGatewayRoutesResult{Routes: orEmpty(out), AdditionalRoutesAvailable: ptr.To(more)}, nil
}

// cidrFilters turns the route-search CIDR relations into plain matches:
// a relation that holds for the route's destination becomes a filter the
// destination itself matches, one that fails a filter nothing matches.
func cidrFilters(fs []ec2api.Filter, dest string) []ec2api.Filter {
	d, err := netip.ParsePrefix(dest)
	out := make([]ec2api.Filter, 0, len(fs))
	for _, f := range fs {
		name := ptr.Deref(f.Name)
		var rel func(q netip.Prefix) bool
		switch name {
		case "route-search.subnet-of-match":
			rel = func(q netip.Prefix) bool { return d.Bits() >= q.Bits() && q.Contains(d.Addr()) }
		case "route-search.supernet-of-match", "route-search.longest-prefix-match":
			rel = func(q netip.Prefix) bool { return d.Bits() <= q.Bits() && d.Contains(q.Addr()) }
		default:
			out = append(out, f)
			continue
		}
		hit := false
		for _, v := range f.Values {
			if q, perr := netip.ParsePrefix(v); perr == nil && err == nil && rel(q) {
				hit = true
			}
		}
		v := "\x00none"
		if hit {
			v = dest
		}
		out = append(out, ec2api.Filter{Name: ptr.To("route-search.exact-match"), Values: []string{v}})
	}
	return out
}

// detachEverywhere deletes an attachment of the scope with what refers
// to it in the scope's route tables: propagations, static routes and
// prefix list references.
func detachEverywhere(tx storage.Tx, sc storage.Scope, id string) error {
	rts, err := tgwRouteTables.all(tx, sc)
	if err != nil {
		return err
	}
	for _, t := range rts {
		props := t.Propagations[:0]
		for _, p := range t.Propagations {
			if p != id {
				props = append(props, p)
			}
		}
		t.Propagations = props
		var static []ec2api.TransitGatewayRoute
		for _, r := range t.Static {
			if len(r.TransitGatewayAttachments) == 0 || ptr.Deref(r.TransitGatewayAttachments[0].TransitGatewayAttachmentId) != id {
				static = append(static, r)
			}
		}
		t.Static = static
		var refs []ec2api.TransitGatewayPrefixListReference
		for _, r := range t.PrefixLists {
			if r.TransitGatewayAttachment == nil || ptr.Deref(r.TransitGatewayAttachment.TransitGatewayAttachmentId) != id {
				refs = append(refs, r)
			}
		}
		t.PrefixLists = refs
		if err := tgwRouteTables.put(tx, sc, ptr.Deref(t.Table.TransitGatewayRouteTableId), t); err != nil {
			return err
		}
	}
	_, err = tgwAttachments.table.DeleteExisting(tx, sc, id)
	return err
}

// defaultRouting applies a gateway's defaults to a new attachment: it
// propagates to the default propagation table, and answers the default
// association table it is associated with ("" for none).
func defaultRouting(tx storage.Tx, sc storage.Scope, g ec2api.TransitGateway, id string) (string, error) {
	if rt := ptr.Deref(g.Options.PropagationDefaultRouteTableId); rt != "" && ptr.Deref(g.Options.DefaultRouteTablePropagation) == "enable" {
		if err := mutateIn(tx, sc, tgwRouteTables, rt, func(t *tgwRouteTable) { t.Propagations = append(t.Propagations, id) }); err != nil {
			return "", err
		}
	}
	if rt := ptr.Deref(g.Options.AssociationDefaultRouteTableId); rt != "" && ptr.Deref(g.Options.DefaultRouteTableAssociation) == "enable" {
		return rt, nil
	}
	return "", nil
}
