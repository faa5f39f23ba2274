package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Transit gateway attachments come in two kinds in niwa: VPC attachments
// and peering attachments between two gateways (in any of niwa's
// accounts and regions). These accessors answer for either kind.

func isVPCAttachment(a *tgwAttachment) bool { return a.Peering == nil && a.Connect == nil }

func (a *tgwAttachment) id() string {
	if a.Connect != nil {
		return ptr.Deref(a.Connect.TransitGatewayAttachmentId)
	}
	if a.Peering != nil {
		return ptr.Deref(a.Peering.TransitGatewayAttachmentId)
	}
	return ptr.Deref(a.VPC.TransitGatewayAttachmentId)
}

// gateway is the gateway of the attachment in the scope it is read from:
// for a peering attachment, the requester's in the requester's scope and
// the accepter's in the accepter's (see local).
func (a *tgwAttachment) gateway() string {
	if a.Connect != nil {
		return ptr.Deref(a.Connect.TransitGatewayId)
	}
	if a.Peering != nil {
		return ptr.Deref(a.local().TransitGatewayId)
	}
	return ptr.Deref(a.VPC.TransitGatewayId)
}

// local and remote are a peering attachment's sides as seen from the
// scope the record was read from (Side is set when it is read).
func (a *tgwAttachment) local() *ec2api.PeeringTgwInfo {
	if a.Side == "accepter" {
		return a.Peering.AccepterTgwInfo
	}
	return a.Peering.RequesterTgwInfo
}

func (a *tgwAttachment) remote() *ec2api.PeeringTgwInfo {
	if a.Side == "accepter" {
		return a.Peering.RequesterTgwInfo
	}
	return a.Peering.AccepterTgwInfo
}

func (a *tgwAttachment) state() string {
	if a.Connect != nil {
		return ptr.Deref(a.Connect.State)
	}
	if a.Peering != nil {
		return ptr.Deref(a.Peering.State)
	}
	return ptr.Deref(a.VPC.State)
}

func (a *tgwAttachment) tags() *[]ec2api.Tag {
	if a.Connect != nil {
		return &a.Connect.Tags
	}
	if a.Peering != nil {
		return &a.Peering.Tags
	}
	return &a.VPC.Tags
}

// resourceID is what the attachment connects: the VPC, or the peer
// gateway.
func (a *tgwAttachment) resourceID() *string {
	if a.Connect != nil {
		return a.Connect.TransportTransitGatewayAttachmentId
	}
	if a.Peering != nil {
		return a.remote().TransitGatewayId
	}
	return a.VPC.VpcId
}

func (a *tgwAttachment) resourceType() *string {
	if a.Connect != nil {
		return ptr.To("connect")
	}
	if a.Peering != nil {
		return ptr.To("peering")
	}
	return ptr.To("vpc")
}

// summary is the attachment as DescribeTransitGatewayAttachments shows it.
func (a *tgwAttachment) summary(account string) ec2api.TransitGatewayAttachment {
	out := ec2api.TransitGatewayAttachment{TransitGatewayAttachmentId: ptr.To(a.id()), TransitGatewayId: ptr.To(a.gateway()), TransitGatewayOwnerId: ptr.To(account),
		ResourceType: a.resourceType(), ResourceId: a.resourceID(), State: ptr.To(a.state()), Tags: *a.tags()}
	switch {
	case a.Connect != nil:
		out.ResourceOwnerId, out.CreationTime = ptr.To(account), a.Connect.CreationTime
	case a.Peering != nil:
		out.ResourceOwnerId, out.CreationTime = a.remote().OwnerId, a.Peering.CreationTime
	default:
		out.ResourceOwnerId, out.CreationTime = a.VPC.VpcOwnerId, a.VPC.CreationTime
	}
	return out
}

func peerScope(info *ec2api.PeeringTgwInfo) storage.Scope {
	return storage.Scope{Account: ptr.Deref(info.OwnerId), Region: ptr.Deref(info.Region)}
}

// peeringBoth stores a peering attachment in the scopes of both sides.
func peeringBoth(tx storage.Tx, p ec2api.TransitGatewayPeeringAttachment, routeTables map[string]string) error {
	for _, side := range []string{"requester", "accepter"} {
		info := p.RequesterTgwInfo
		if side == "accepter" {
			info = p.AccepterTgwInfo
		}
		sc := peerScope(info)
		id := ptr.Deref(p.TransitGatewayAttachmentId)
		cur, _, err := tgwAttachments.table.Get(tx, sc, id)
		if err != nil {
			return err
		}
		rec := tgwAttachment{Peering: &p, Side: side, RouteTable: cur.RouteTable}
		if rt, ok := routeTables[side]; ok {
			rec.RouteTable = rt
		}
		if cur.Peering != nil {
			rec.Peering = ptr.To(p)
			rec.Peering.Tags = cur.Peering.Tags // each side tags its own view
		}
		if err := tgwAttachments.put(tx, sc, id, rec); err != nil {
			return err
		}
	}
	return nil
}

// CreateTransitGatewayPeeringAttachment asks another gateway, in this or
// another of niwa's accounts and regions, to peer; the attachment waits
// in pendingAcceptance until the peer's owner accepts it in its region.
func (s *EC2) CreateTransitGatewayPeeringAttachment(ctx *request.Context, in *ec2api.CreateTransitGatewayPeeringAttachmentRequest) (*ec2api.CreateTransitGatewayPeeringAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if _, ok := regionTable()[ptr.Deref(in.PeerRegion)]; !ok {
		return nil, errInvalidParameterValue.New("Invalid value '%s' for PeerRegion.", ptr.Deref(in.PeerRegion))
	}
	if o := in.Options; o != nil && o.DynamicRouting != nil && *o.DynamicRouting != "disable" {
		return nil, errInvalidParameterValue.New("Dynamic routing is not supported for transit gateway peering attachments; the only value is disable.")
	}
	sc := scope(ctx)
	id := newID("tgw-attach")
	var p ec2api.TransitGatewayPeeringAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		g, err := tgws.get(tx, sc, ptr.Deref(in.TransitGatewayId))
		if err != nil {
			return err
		}
		peer := &ec2api.PeeringTgwInfo{TransitGatewayId: in.PeerTransitGatewayId, OwnerId: in.PeerAccountId, Region: in.PeerRegion}
		if ptr.Deref(peer.TransitGatewayId) == ptr.Deref(g.TransitGatewayId) {
			return errInvalidParameterValue.New("A transit gateway cannot peer with itself.")
		}
		if _, err := tgws.get(tx, peerScope(peer), ptr.Deref(peer.TransitGatewayId)); err != nil {
			return err
		}
		p = ec2api.TransitGatewayPeeringAttachment{TransitGatewayAttachmentId: ptr.To(id), State: ptr.To("pendingAcceptance"), CreationTime: ptr.To(ctx.Now().UTC()),
			RequesterTgwInfo: &ec2api.PeeringTgwInfo{TransitGatewayId: g.TransitGatewayId, OwnerId: ptr.To(ctx.Account), Region: ptr.To(ctx.Region)}, AccepterTgwInfo: peer,
			Status:  &ec2api.PeeringAttachmentStatus{Code: ptr.To("pendingAcceptance"), Message: ptr.To("Pending Acceptance by " + ptr.Deref(in.PeerAccountId))},
			Options: &ec2api.TransitGatewayPeeringAttachmentOptions{DynamicRouting: ptr.To("disable")}, Tags: []ec2api.Tag{}}
		if err := peeringBoth(tx, p, nil); err != nil {
			return err
		}
		// The requester's tags are its own.
		rec, _, err := tgwAttachments.table.Get(tx, sc, id)
		if err != nil {
			return err
		}
		rec.Peering.Tags = nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway-attachment"))
		p.Tags = rec.Peering.Tags
		return tgwAttachments.put(tx, sc, id, rec)
	})
	if err != nil {
		return nil, err
	}
	p.State = ptr.To("initiatingRequest")
	return &ec2api.CreateTransitGatewayPeeringAttachmentResult{TransitGatewayPeeringAttachment: &p}, nil
}

// peeringIn reads a peering attachment of this scope.
func peeringIn(tx storage.Tx, sc storage.Scope, id string) (tgwAttachment, error) {
	a, err := tgwAttachments.get(tx, sc, id)
	if err != nil {
		return a, err
	}
	if a.Peering == nil {
		return a, errInvalidParameterValue.New("%s is not a transit gateway peering attachment.", id)
	}
	return a, nil
}

// settlePeering moves a pendingAcceptance attachment to its answer; only
// the accepter's side answers.
func (s *EC2) settlePeering(ctx *request.Context, id, state, code_ string) (ec2api.TransitGatewayPeeringAttachment, error) {
	sc := scope(ctx)
	var p ec2api.TransitGatewayPeeringAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		a, err := peeringIn(tx, sc, id)
		if err != nil {
			return err
		}
		if a.Side != "accepter" {
			return errInvalidParameterValue.New("Transit Gateway Attachment %s can only be accepted or rejected by the owner of the peer transit gateway.", id)
		}
		if a.state() != "pendingAcceptance" {
			return errIncorrectState.New("Transit Gateway Attachment %s is in invalid state %s.", id, a.state())
		}
		p = *a.Peering
		p.State, p.Status = ptr.To(state), &ec2api.PeeringAttachmentStatus{Code: ptr.To(code_), Message: ptr.To(code_)}
		return peeringBoth(tx, p, nil)
	})
	return p, err
}

// AcceptTransitGatewayPeeringAttachment accepts a peering request; both
// sides become available.
func (s *EC2) AcceptTransitGatewayPeeringAttachment(ctx *request.Context, in *ec2api.AcceptTransitGatewayPeeringAttachmentRequest) (*ec2api.AcceptTransitGatewayPeeringAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	p, err := s.settlePeering(ctx, ptr.Deref(in.TransitGatewayAttachmentId), "available", "available")
	if err != nil {
		return nil, err
	}
	p.State = ptr.To("pending")
	return &ec2api.AcceptTransitGatewayPeeringAttachmentResult{TransitGatewayPeeringAttachment: &p}, nil
}

// RejectTransitGatewayPeeringAttachment rejects a peering request.
func (s *EC2) RejectTransitGatewayPeeringAttachment(ctx *request.Context, in *ec2api.RejectTransitGatewayPeeringAttachmentRequest) (*ec2api.RejectTransitGatewayPeeringAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	p, err := s.settlePeering(ctx, ptr.Deref(in.TransitGatewayAttachmentId), "rejected", "rejected")
	if err != nil {
		return nil, err
	}
	p.State = ptr.To("rejecting")
	return &ec2api.RejectTransitGatewayPeeringAttachmentResult{TransitGatewayPeeringAttachment: &p}, nil
}

// DeleteTransitGatewayPeeringAttachment deletes a peering attachment on
// both sides, with the routes through it.
func (s *EC2) DeleteTransitGatewayPeeringAttachment(ctx *request.Context, in *ec2api.DeleteTransitGatewayPeeringAttachmentRequest) (*ec2api.DeleteTransitGatewayPeeringAttachmentResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TransitGatewayAttachmentId)
	var p ec2api.TransitGatewayPeeringAttachment
	err := s.store.Update(func(tx storage.Tx) error {
		a, err := peeringIn(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		p = *a.Peering
		for _, info := range []*ec2api.PeeringTgwInfo{p.RequesterTgwInfo, p.AccepterTgwInfo} {
			if err := detachEverywhere(tx, peerScope(info), id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayPeeringAttachmentResult{TransitGatewayPeeringAttachment: &p}, nil
}

// DescribeTransitGatewayPeeringAttachments lists the peering attachments
// of the scope, requested and accepted ones, each seen from its side.
func (s *EC2) DescribeTransitGatewayPeeringAttachments(ctx *request.Context, in *ec2api.DescribeTransitGatewayPeeringAttachmentsRequest) (*ec2api.DescribeTransitGatewayPeeringAttachmentsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, tgwAttachments, page{ids: in.TransitGatewayAttachmentIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		func(a *tgwAttachment) bool { return a.Peering != nil }, func(a *tgwAttachment) ec2api.TransitGatewayPeeringAttachment { return *a.Peering })
	return answer(&ec2api.DescribeTransitGatewayPeeringAttachmentsResult{TransitGatewayPeeringAttachments: list, NextToken: next}, err)
}
