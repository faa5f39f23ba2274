package ec2

import (
	"net/netip"

	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// tgwHop is where a transit gateway sends traffic that a VPC's route
// handed to it: the route table associated with the VPC's attachment, the
// route that matched there and the attachment it leads to.
type tgwHop struct {
	RouteTableID string `json:"routeTableId,omitempty"`
	Matched      string `json:"matched,omitempty"`
	// AttachmentID, ResourceType and ResourceID are the next hop: a VPC
	// attachment and its VPC, or a peering attachment and the peer
	// gateway.
	AttachmentID string `json:"attachmentId,omitempty"`
	ResourceType string `json:"resourceType,omitempty"`
	ResourceID   string `json:"resourceId,omitempty"`
	Blackhole    bool   `json:"blackhole,omitempty"`
	// Reason says why the gateway forwards nothing, when it does not.
	Reason string `json:"reason,omitempty"`
}

// tgwCandidate is one route of a transit gateway route table as the hop
// evaluation sees it; rank orders equal prefixes (static routes before
// prefix list references before propagated routes, as AWS prefers them).
type tgwCandidate struct {
	dest      netip.Prefix
	att       string
	blackhole bool
	rank      int
}

// transitHop follows a packet from vpc into transit gateway tgw towards
// dst: the VPC's attachment to the gateway must exist and be associated
// with a route table, whose longest matching route picks the next
// attachment.
func transitHop(tx storage.Tx, sc storage.Scope, vpc, tgw string, dst netip.Addr) (tgwHop, error) {
	var hop tgwHop
	atts, err := tgwAttachments.all(tx, sc)
	if err != nil {
		return hop, err
	}
	var from *tgwAttachment
	for i := range atts {
		if isVPCAttachment(&atts[i]) && atts[i].gateway() == tgw && ptr.Deref(atts[i].VPC.VpcId) == vpc {
			from = &atts[i]
		}
	}
	switch {
	case from == nil:
		hop.Reason = "the VPC has no attachment to the transit gateway"
		return hop, nil
	case from.RouteTable == "":
		hop.Reason = "the VPC's transit gateway attachment is associated with no route table"
		return hop, nil
	}
	hop.RouteTableID = from.RouteTable
	t, ok, err := tgwRouteTables.table.Get(tx, sc, from.RouteTable)
	if err != nil || !ok {
		return hop, err
	}
	var cands []tgwCandidate
	add := func(cidr, att string, blackhole bool, rank int) {
		if p, err := netip.ParsePrefix(cidr); err == nil && p.Contains(dst) {
			cands = append(cands, tgwCandidate{p, att, blackhole, rank})
		}
	}
	for _, r := range t.Static {
		att := ""
		if len(r.TransitGatewayAttachments) > 0 {
			att = ptr.Deref(r.TransitGatewayAttachments[0].TransitGatewayAttachmentId)
		}
		add(ptr.Deref(r.DestinationCidrBlock), att, ptr.Deref(r.State) == "blackhole", 0)
	}
	for _, ref := range t.PrefixLists {
		l, _, err := getPrefixList(tx, sc, ptr.Deref(ref.PrefixListId))
		if err != nil {
			continue
		}
		att := ""
		if ref.TransitGatewayAttachment != nil {
			att = ptr.Deref(ref.TransitGatewayAttachment.TransitGatewayAttachmentId)
		}
		for _, e := range l.Versions[ptr.Deref(l.List.Version)] {
			add(ptr.Deref(e.Cidr), att, ptr.Deref(ref.Blackhole), 1)
		}
	}
	for _, id := range t.Propagations {
		a, ok, err := tgwAttachments.table.Get(tx, sc, id)
		if err != nil || !ok || !isVPCAttachment(&a) {
			continue
		}
		if v, ok, err := vpcs.table.Get(tx, sc, ptr.Deref(a.VPC.VpcId)); err == nil && ok {
			for _, c := range v.Vpc.CidrBlockAssociationSet {
				add(ptr.Deref(c.CidrBlock), id, false, 2)
			}
		}
	}
	best := -1
	for i, c := range cands {
		if best < 0 || c.dest.Bits() > cands[best].dest.Bits() || (c.dest.Bits() == cands[best].dest.Bits() && c.rank < cands[best].rank) {
			best = i
		}
	}
	if best < 0 {
		hop.Reason = "no route in transit gateway route table " + hop.RouteTableID + " matches the destination"
		return hop, nil
	}
	c := cands[best]
	hop.Matched, hop.Blackhole, hop.AttachmentID = c.dest.String(), c.blackhole, c.att
	if c.blackhole {
		hop.Reason = "the transit gateway route is a blackhole"
		return hop, nil
	}
	if a, ok, err := tgwAttachments.table.Get(tx, sc, c.att); err != nil {
		return hop, err
	} else if ok {
		hop.ResourceType, hop.ResourceID = ptr.Deref(a.resourceType()), ptr.Deref(a.resourceID())
		if a.state() != "available" {
			hop.Reason = "the next attachment is " + a.state()
		}
	}
	return hop, nil
}
