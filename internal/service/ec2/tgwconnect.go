package ec2

import (
	"net/netip"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Transit Gateway Connect at API level: Connect attachments over a VPC
// attachment and their GRE peers are stored, validated and described as
// EC2 does. niwa runs no GRE tunnel and no BGP speaker, so a peer's BGP
// sessions stay down and no route is learned through it.

var tgwConnectPeers = resource[ec2api.TransitGatewayConnectPeer]{table: storage.NewTable[ec2api.TransitGatewayConnectPeer]("tgwconnectpeer"), prefix: "tgw-connect-peer",
	typ: "transit-gateway-connect-peer", noun: "transitGatewayConnectPeer", notFound: code("InvalidTransitGatewayConnectPeerId.NotFound"),
	tags: func(v *ec2api.TransitGatewayConnectPeer) *[]ec2api.Tag { return &v.Tags },
	doc: func(v *ec2api.TransitGatewayConnectPeer) filter.Doc {
		return filter.New(v.Tags).Add("state", ptr.Deref(v.State)).Add("transit-gateway-attachment-id", ptr.Deref(v.TransitGatewayAttachmentId)).
			Add("transit-gateway-connect-peer-id", ptr.Deref(v.TransitGatewayConnectPeerId))
	}}

// maxConnectPeers is how many peers a Connect attachment takes.
const maxConnectPeers = 4

// noConnectOver refuses to delete a VPC attachment that Connect
// attachments use as their transport.
func noConnectOver(tx storage.Tx, sc storage.Scope, id string) error {
	all, err := tgwAttachments.all(tx, sc)
	for _, a := range all {
		if a.Connect != nil && ptr.Deref(a.Connect.TransportTransitGatewayAttachmentId) == id {
			return errIncorrectState.New("Transit Gateway Attachment %s is the transport of Connect attachment %s.", id, a.id())
		}
	}
	return err
}

// CreateTransitGatewayConnect creates a Connect attachment over a VPC
// attachment, associated and propagating as the gateway's defaults say.
func (s *EC2) CreateTransitGatewayConnect(ctx *request.Context, in *ec2api.CreateTransitGatewayConnectRequest) (*ec2api.CreateTransitGatewayConnectResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if p := ptr.Deref(in.Options.Protocol); p != "gre" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter Protocol is invalid. Valid values are gre.", p)
	}
	id := newID("tgw-attach")
	var c ec2api.TransitGatewayConnect
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		transport, err := tgwAttachments.get(tx, sc, ptr.Deref(in.TransportTransitGatewayAttachmentId))
		if err != nil {
			return err
		}
		if !isVPCAttachment(&transport) {
			return errInvalidParameterValue.New("The transport attachment of a Connect attachment must be a VPC attachment.")
		}
		g, err := tgws.get(tx, sc, transport.gateway())
		if err != nil {
			return err
		}
		c = ec2api.TransitGatewayConnect{TransitGatewayAttachmentId: ptr.To(id), TransportTransitGatewayAttachmentId: in.TransportTransitGatewayAttachmentId,
			TransitGatewayId: g.TransitGatewayId, State: ptr.To("available"), CreationTime: ptr.To(ctx.Now().UTC()),
			Options: &ec2api.TransitGatewayConnectOptions{Protocol: ptr.To("gre")}, Tags: nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway-attachment"))}
		rec := tgwAttachment{Connect: &c}
		if rec.RouteTable, err = defaultRouting(tx, sc, g, id); err != nil {
			return err
		}
		return tgwAttachments.put(tx, sc, id, rec)
	})
	if err != nil {
		return nil, err
	}
	out := c
	out.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayConnectResult{TransitGatewayConnect: &out}, nil
}

// mutateIn changes one record inside a transaction.
func mutateIn[T any](tx storage.Tx, sc storage.Scope, r resource[T], id string, fn func(*T)) error {
	v, err := r.get(tx, sc, id)
	if err != nil {
		return err
	}
	fn(&v)
	return r.put(tx, sc, id, v)
}

// connectIn reads a Connect attachment of the scope.
func connectIn(tx storage.Tx, sc storage.Scope, id string) (tgwAttachment, error) {
	a, err := tgwAttachments.get(tx, sc, id)
	if err == nil && a.Connect == nil {
		err = errInvalidParameterValue.New("%s is not a transit gateway Connect attachment.", id)
	}
	return a, err
}

// DeleteTransitGatewayConnect deletes a Connect attachment with no peers.
func (s *EC2) DeleteTransitGatewayConnect(ctx *request.Context, in *ec2api.DeleteTransitGatewayConnectRequest) (*ec2api.DeleteTransitGatewayConnectResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	id := ptr.Deref(in.TransitGatewayAttachmentId)
	var c ec2api.TransitGatewayConnect
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		a, err := connectIn(tx, sc, id)
		if err != nil {
			return err
		}
		peers, err := tgwConnectPeers.all(tx, sc)
		if err != nil {
			return err
		}
		for _, p := range peers {
			if ptr.Deref(p.TransitGatewayAttachmentId) == id {
				return errIncorrectState.New("Transit Gateway Connect attachment %s has Connect peers: %s.", id, ptr.Deref(p.TransitGatewayConnectPeerId))
			}
		}
		c = *a.Connect
		return detachEverywhere(tx, sc, id)
	})
	if err != nil {
		return nil, err
	}
	c.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayConnectResult{TransitGatewayConnect: &c}, nil
}

// DescribeTransitGatewayConnects lists Connect attachments.
func (s *EC2) DescribeTransitGatewayConnects(ctx *request.Context, in *ec2api.DescribeTransitGatewayConnectsRequest) (*ec2api.DescribeTransitGatewayConnectsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	list, next, err := describeAs(s, ctx, tgwAttachments, page{ids: in.TransitGatewayAttachmentIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken},
		func(a *tgwAttachment) bool { return a.Connect != nil }, func(a *tgwAttachment) ec2api.TransitGatewayConnect { return *a.Connect })
	return answer(&ec2api.DescribeTransitGatewayConnectsResult{TransitGatewayConnects: list, NextToken: next}, err)
}

// reservedInside are the link-local /29s AWS reserves from Connect peers'
// inside CIDR blocks.
var reservedInside = []string{"169.254.0.0/29", "169.254.1.0/29", "169.254.2.0/29", "169.254.3.0/29", "169.254.4.0/29", "169.254.5.0/29", "169.254.169.248/29"}

// insideBlocks checks a peer's inside CIDR blocks: one IPv4 /29 from
// 169.254.0.0/16 (not a reserved one), and optionally one IPv6 /125 from
// fd00::/8.
func insideBlocks(cidrs []string) (v4 netip.Prefix, err error) {
	ll, ula := netip.MustParsePrefix("169.254.0.0/16"), netip.MustParsePrefix("fd00::/8")
	var n4, n6 int
	for _, c := range cidrs {
		p, perr := netip.ParsePrefix(c)
		switch {
		case perr != nil || p.Masked() != p:
			return v4, errInvalidParameterValue.New("Value (%s) for parameter InsideCidrBlocks is invalid. This is not a valid CIDR block.", c)
		case p.Addr().Is4() && (p.Bits() != 29 || !ll.Contains(p.Addr()) || contains(reservedInside, p.String())):
			return v4, errInvalidParameterValue.New("The inside CIDR block %s must be a /29 from 169.254.0.0/16 other than the reserved ones.", c)
		case p.Addr().Is6() && (p.Bits() != 125 || !ula.Contains(p.Addr())):
			return v4, errInvalidParameterValue.New("The inside CIDR block %s must be a /125 from fd00::/8.", c)
		case p.Addr().Is4():
			n4++
			v4 = p
		default:
			n6++
		}
	}
	if n4 != 1 || n6 > 1 {
		return v4, errInvalidParameterValue.New("Specify one IPv4 inside CIDR block, and at most one IPv6 inside CIDR block.")
	}
	return v4, nil
}

// CreateTransitGatewayConnectPeer adds a GRE peer to a Connect
// attachment. Its two BGP sessions are described down: niwa has no BGP
// speaker to bring them up.
func (s *EC2) CreateTransitGatewayConnectPeer(ctx *request.Context, in *ec2api.CreateTransitGatewayConnectPeerRequest) (*ec2api.CreateTransitGatewayConnectPeerResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	peerAddr, err := netip.ParseAddr(ptr.Deref(in.PeerAddress))
	if err != nil {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter PeerAddress is invalid. This is not a valid IP address.", ptr.Deref(in.PeerAddress))
	}
	inside, err := insideBlocks(in.InsideCidrBlocks)
	if err != nil {
		return nil, err
	}
	id := newID("tgw-connect-peer")
	var p ec2api.TransitGatewayConnectPeer
	err = s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		a, err := connectIn(tx, sc, ptr.Deref(in.TransitGatewayAttachmentId))
		if err != nil {
			return err
		}
		g, err := tgws.get(tx, sc, a.gateway())
		if err != nil {
			return err
		}
		peers, err := tgwConnectPeers.all(tx, sc)
		if err != nil {
			return err
		}
		n := 0
		for _, o := range peers {
			if ptr.Deref(o.TransitGatewayAttachmentId) == a.id() {
				n++
			}
		}
		if n >= maxConnectPeers {
			return code("TransitGatewayConnectPeerLimitExceeded").New("Connect attachment %s already has %d Connect peers.", a.id(), maxConnectPeers)
		}
		tgwAddr, err := connectAddress(g, ptr.Deref(in.TransitGatewayAddress), peerAddr)
		if err != nil {
			return err
		}
		peerASN := int64(0)
		if in.BgpOptions != nil {
			peerASN = ptr.Deref(in.BgpOptions.PeerAsn)
		}
		first := inside.Addr().Next()
		bgp := func(tgwInside netip.Addr) ec2api.TransitGatewayAttachmentBgpConfiguration {
			return ec2api.TransitGatewayAttachmentBgpConfiguration{TransitGatewayAsn: g.Options.AmazonSideAsn, PeerAsn: ptr.To(peerASN),
				TransitGatewayAddress: ptr.To(tgwInside.String()), PeerAddress: ptr.To(first.String()), BgpStatus: ptr.To("down")}
		}
		p = ec2api.TransitGatewayConnectPeer{TransitGatewayAttachmentId: ptr.To(a.id()), TransitGatewayConnectPeerId: ptr.To(id), State: ptr.To("available"),
			CreationTime: ptr.To(ctx.Now().UTC()), Tags: nonNilTags(tagsFor(in.TagSpecifications, "transit-gateway-connect-peer")),
			ConnectPeerConfiguration: &ec2api.TransitGatewayConnectPeerConfiguration{TransitGatewayAddress: ptr.To(tgwAddr), PeerAddress: in.PeerAddress,
				InsideCidrBlocks: in.InsideCidrBlocks, Protocol: ptr.To("gre"),
				BgpConfigurations: []ec2api.TransitGatewayAttachmentBgpConfiguration{bgp(first.Next()), bgp(first.Next().Next())}}}
		return tgwConnectPeers.put(tx, sc, id, p)
	})
	if err != nil {
		return nil, err
	}
	out := p
	out.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayConnectPeerResult{TransitGatewayConnectPeer: &out}, nil
}

// connectAddress is the gateway's GRE address for a peer: the one asked
// for, which must be in the gateway's CIDR blocks, or the first address
// of its block of the peer's family.
func connectAddress(g ec2api.TransitGateway, want string, peer netip.Addr) (string, error) {
	var blocks []netip.Prefix
	for _, c := range g.Options.TransitGatewayCidrBlocks {
		if p, err := netip.ParsePrefix(c); err == nil && p.Addr().Is4() == peer.Is4() {
			blocks = append(blocks, p)
		}
	}
	if len(blocks) == 0 {
		return "", errInvalidParameterValue.New("Transit gateway %s has no CIDR block for the peer's address family; add one with ModifyTransitGateway.", ptr.Deref(g.TransitGatewayId))
	}
	if want == "" {
		return blocks[0].Addr().String(), nil
	}
	a, err := netip.ParseAddr(want)
	if err != nil {
		return "", errInvalidParameterValue.New("Value (%s) for parameter TransitGatewayAddress is invalid.", want)
	}
	for _, b := range blocks {
		if b.Contains(a) {
			return a.String(), nil
		}
	}
	return "", errInvalidParameterValue.New("The address %s is not in a CIDR block of transit gateway %s.", want, ptr.Deref(g.TransitGatewayId))
}

// DeleteTransitGatewayConnectPeer deletes a Connect peer.
func (s *EC2) DeleteTransitGatewayConnectPeer(ctx *request.Context, in *ec2api.DeleteTransitGatewayConnectPeerRequest) (*ec2api.DeleteTransitGatewayConnectPeerResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var p ec2api.TransitGatewayConnectPeer
	err := remove(s, ctx, tgwConnectPeers, ptr.Deref(in.TransitGatewayConnectPeerId), func(_ storage.Tx, _ storage.Scope, v *ec2api.TransitGatewayConnectPeer) error {
		p = *v
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayConnectPeerResult{TransitGatewayConnectPeer: &p}, nil
}

// DescribeTransitGatewayConnectPeers lists Connect peers.
func (s *EC2) DescribeTransitGatewayConnectPeers(ctx *request.Context, in *ec2api.DescribeTransitGatewayConnectPeersRequest) (*ec2api.DescribeTransitGatewayConnectPeersResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, tgwConnectPeers, page{ids: in.TransitGatewayConnectPeerIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeTransitGatewayConnectPeersResult{TransitGatewayConnectPeers: orEmpty(recs), NextToken: next}, err)
}
