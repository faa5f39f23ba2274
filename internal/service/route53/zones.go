package route53

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"
	"strconv"
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// vpcIDPattern is the form of an EC2 VPC id. Whether the VPC exists in
// niwa's EC2 is not checked yet (EC2 is built separately); the form is.
var vpcIDPattern = lazyre.New(`^vpc-([0-9a-f]{8}|[0-9a-f]{17})$`)

// privateNameServers are the name servers of every private zone's NS
// record, as Route53 creates them.
var privateNameServers = []string{"ns-0.awsdns-00.com.", "ns-512.awsdns-00.net.", "ns-1024.awsdns-00.org.", "ns-1536.awsdns-00.co.uk."}

// delegationSet derives four Route53-style name servers from the zone id
// (one each in .com, .net, .org and .co.uk, as Route53 assigns them).
func delegationSet(id string) []string {
	h := sha256.Sum256([]byte(id))
	tlds := []string{"com", "net", "org", "co.uk"}
	out := make([]string, 4)
	for i, tld := range tlds {
		n := binary.BigEndian.Uint16(h[i*2:]) % 512
		out[i] = fmt.Sprintf("ns-%d.awsdns-%02d.%s", int(n)+512*i, h[8+i]%64, tld)
	}
	return out
}

func (s *Route53) checkVPC(ctx *request.Context, v *route53api.VPC) (vpcRec, error) {
	id := ptr.Deref(v.VPCId)
	if !vpcIDPattern.MatchString(id) {
		return vpcRec{}, route53api.ErrInvalidVPCId.New("The VPC ID '%s' is not valid.", id)
	}
	region := ptr.Deref(v.VPCRegion)
	if region == "" {
		region = ctx.Region
	}
	return vpcRec{ID: id, Region: region}, nil
}

func zoneOut(z zoneRec) *route53api.HostedZone {
	return &route53api.HostedZone{
		Id:                     ptr.To("/hostedzone/" + z.ID),
		Name:                   ptr.To(outName(z.Name)),
		CallerReference:        ptr.To(z.CallerReference),
		Config:                 &route53api.HostedZoneConfig{Comment: z.Comment, PrivateZone: ptr.To(z.Private)},
		ResourceRecordSetCount: ptr.To(z.RecordCount),
	}
}

func indexOf(account string, z zoneRec) indexRec {
	ix := indexRec{Account: account, ID: z.ID, Private: z.Private}
	for _, v := range z.VPCs {
		ix.VPCs = append(ix.VPCs, v.ID)
	}
	return ix
}

// CreateHostedZone creates a zone with its SOA and NS record sets. A zone
// created with a VPC is private; CallerReference makes the call
// idempotent in Route53's way (a repeat fails with HostedZoneAlreadyExists).
func (s *Route53) CreateHostedZone(ctx *request.Context, in *route53api.CreateHostedZoneInput) (*route53api.CreateHostedZoneOutput, error) {
	name := normName(ptr.Deref(in.Name))
	if !validDomain(name) {
		return nil, route53api.ErrInvalidDomainName.New("%s is not a valid domain name.", ptr.Deref(in.Name))
	}
	private := in.VPC != nil
	var vpc vpcRec
	if private {
		var err error
		if vpc, err = s.checkVPC(ctx, in.VPC); err != nil {
			return nil, err
		}
	} else if in.HostedZoneConfig != nil && in.HostedZoneConfig.PrivateZone != nil && *in.HostedZoneConfig.PrivateZone {
		return nil, invalidInput("Invalid request: Missing VPC information for a private hosted zone")
	}
	if in.DelegationSetId != nil && private {
		return nil, route53api.ErrConflictingDomainExists.New("A reusable delegation set cannot be used with a private hosted zone.")
	}
	z := zoneRec{ID: newZoneID(), Name: name, CallerReference: ptr.Deref(in.CallerReference), Private: private, RecordCount: 2, Created: ctx.Now()}
	if in.HostedZoneConfig != nil {
		z.Comment = in.HostedZoneConfig.Comment
	}
	ns := privateNameServers
	if private {
		z.VPCs = []vpcRec{vpc}
	} else {
		z.NameServers = delegationSet(z.ID)
		ns = nil
		for _, n := range z.NameServers {
			ns = append(ns, n+".")
		}
	}
	out := &route53api.CreateHostedZoneOutput{}
	sc := scope(ctx)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, dup, err := callerRefs.Get(tx, sc, z.CallerReference); err != nil {
			return err
		} else if dup {
			return route53api.ErrHostedZoneAlreadyExists.New("A hosted zone has already been created with the specified caller reference.")
		}
		if in.DelegationSetId != nil {
			d, err := getDelegationSet(tx, sc, *in.DelegationSetId)
			if err != nil {
				return err
			}
			n, err := zonesUsing(tx, sc, d.ID)
			if err != nil {
				return err
			}
			if n >= maxZonesPerDelegSet {
				return route53api.ErrLimitsExceeded.New("The limit on the number of hosted zones that can use a reusable delegation set (%d) has been exceeded.", maxZonesPerDelegSet)
			}
			z.DelegationSetID, z.NameServers = d.ID, d.NameServers
			ns = nil
			for _, n := range z.NameServers {
				ns = append(ns, n+".")
			}
		}
		if err := callerRefs.Put(tx, sc, z.ID, z.CallerReference); err != nil {
			return err
		}
		if err := zones.Put(tx, sc, z, z.ID); err != nil {
			return err
		}
		if err := zoneIndex.Put(tx, indexScope, indexOf(ctx.Account, z), name, ctx.Account, z.ID); err != nil {
			return err
		}
		soa := route53api.ResourceRecordSet{Name: ptr.To(name), Type: ptr.To("SOA"), TTL: ptr.To(int64(900)), ResourceRecords: []route53api.ResourceRecord{
			{Value: ptr.To(ns[0] + " awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400")}}}
		nsSet := route53api.ResourceRecordSet{Name: ptr.To(name), Type: ptr.To("NS"), TTL: ptr.To(int64(172800))}
		for _, n := range ns {
			nsSet.ResourceRecords = append(nsSet.ResourceRecords, route53api.ResourceRecord{Value: ptr.To(n)})
		}
		for _, rs := range []route53api.ResourceRecordSet{soa, nsSet} {
			if err := rrsets.Put(tx, sc, rs, setKey(z.ID, rs)...); err != nil {
				return err
			}
		}
		ci, err := s.newChange(ctx, tx, nil)
		out.ChangeInfo = ci
		return err
	})
	if err != nil {
		return nil, err
	}
	out.HostedZone = zoneOut(z)
	out.Location = ptr.To("https://route53.amazonaws.com/2013-04-01/hostedzone/" + z.ID)
	if private {
		out.VPC = &route53api.VPC{VPCId: ptr.To(vpc.ID), VPCRegion: ptr.To(vpc.Region)}
	} else {
		out.DelegationSet = zoneDelegationSet(z)
	}
	return out, nil
}

// zoneDelegationSet is a public zone's delegation set as GetHostedZone
// returns it: a reusable set's id and caller reference come with it.
func zoneDelegationSet(z zoneRec) *route53api.DelegationSet {
	out := &route53api.DelegationSet{NameServers: z.NameServers}
	if z.DelegationSetID != "" {
		out.Id = ptr.To("/delegationset/" + z.DelegationSetID)
	}
	return out
}

// GetHostedZone returns the zone with its delegation set (public) or its
// VPCs (private).
func (s *Route53) GetHostedZone(ctx *request.Context, in *route53api.GetHostedZoneInput) (*route53api.GetHostedZoneOutput, error) {
	var z zoneRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		z, err = getZone(tx, scope(ctx), ptr.Deref(in.Id))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &route53api.GetHostedZoneOutput{HostedZone: zoneOut(z)}
	if z.Private {
		for _, v := range z.VPCs {
			out.VPCs = append(out.VPCs, route53api.VPC{VPCId: ptr.To(v.ID), VPCRegion: ptr.To(v.Region)})
		}
	} else {
		out.DelegationSet = zoneDelegationSet(z)
	}
	return out, nil
}

// DeleteHostedZone deletes a zone that holds only its apex SOA and NS.
func (s *Route53) DeleteHostedZone(ctx *request.Context, in *route53api.DeleteHostedZoneInput) (*route53api.DeleteHostedZoneOutput, error) {
	sc := scope(ctx)
	out := &route53api.DeleteHostedZoneOutput{}
	err := s.store.Update(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, ptr.Deref(in.Id))
		if err != nil {
			return err
		}
		var keys [][]string
		nonRequired := false
		err = rrsets.List(tx, sc, []string{z.ID}, storage.ListOptions{}, func(k []string, rs route53api.ResourceRecordSet) bool {
			keys = append(keys, k)
			if !(ptr.Deref(rs.Name) == z.Name && (ptr.Deref(rs.Type) == "SOA" || ptr.Deref(rs.Type) == "NS")) {
				nonRequired = true
			}
			return true
		})
		if err != nil {
			return err
		}
		if nonRequired {
			return route53api.ErrHostedZoneNotEmpty.New("The specified hosted zone contains non-required resource record sets and so cannot be deleted.")
		}
		for _, k := range keys {
			if err := rrsets.Delete(tx, sc, k...); err != nil {
				return err
			}
		}
		if err := zones.Delete(tx, sc, z.ID); err != nil {
			return err
		}
		if err := zoneIndex.Delete(tx, indexScope, z.Name, ctx.Account, z.ID); err != nil {
			return err
		}
		out.ChangeInfo, err = s.newChange(ctx, tx, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Route53) allZones(ctx *request.Context) ([]zoneRec, error) {
	var all []zoneRec
	err := s.store.View(func(tx storage.Tx) error {
		return zones.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, z zoneRec) bool {
			all = append(all, z)
			return true
		})
	})
	return all, err
}

// maxItems parses a MaxItems string (Route53 sends numbers as strings).
func maxItems(v *string, def int) (int, error) {
	if v == nil || *v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(*v)
	if err != nil || n < 0 {
		return 0, invalidInput("1 validation error detected: Value '%s' at 'maxItems' failed to satisfy constraint: Member must satisfy regular expression pattern: \\d+", *v)
	}
	if n == 0 || n > def {
		n = def
	}
	return n, nil
}

// ListHostedZones lists the account's zones in id order, Marker being
// the id to start at.
func (s *Route53) ListHostedZones(ctx *request.Context, in *route53api.ListHostedZonesInput) (*route53api.ListHostedZonesOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	dsID := ""
	if in.DelegationSetId != nil {
		err := s.store.View(func(tx storage.Tx) error {
			d, err := getDelegationSet(tx, scope(ctx), *in.DelegationSetId)
			dsID = d.ID
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	all, err := s.allZones(ctx)
	if err != nil {
		return nil, err
	}
	out := &route53api.ListHostedZonesOutput{HostedZones: []route53api.HostedZone{}, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false), Marker: in.Marker}
	marker := bareID(ptr.Deref(in.Marker))
	for _, z := range all {
		if marker != "" && z.ID < marker {
			continue
		}
		if t := ptr.Deref(in.HostedZoneType); t == "PrivateHostedZone" && !z.Private {
			continue
		}
		if dsID != "" && z.DelegationSetID != dsID {
			continue
		}
		if len(out.HostedZones) == max {
			out.IsTruncated, out.NextMarker = ptr.To(true), ptr.To(z.ID)
			break
		}
		out.HostedZones = append(out.HostedZones, *zoneOut(z))
	}
	return out, nil
}

// ListHostedZonesByName lists zones by name with the labels reversed,
// then id, starting at DNSName (and HostedZoneId).
func (s *Route53) ListHostedZonesByName(ctx *request.Context, in *route53api.ListHostedZonesByNameInput) (*route53api.ListHostedZonesByNameOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	if in.HostedZoneId != nil && in.DNSName == nil {
		return nil, invalidInput("The DNSName must be specified if the HostedZoneId is specified.")
	}
	all, err := s.allZones(ctx)
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		a, b := reverse(all[i].Name), reverse(all[j].Name)
		if a != b {
			return a < b
		}
		return all[i].ID < all[j].ID
	})
	out := &route53api.ListHostedZonesByNameOutput{HostedZones: []route53api.HostedZone{}, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false),
		DNSName: in.DNSName, HostedZoneId: in.HostedZoneId}
	startName, startID := "", bareID(ptr.Deref(in.HostedZoneId))
	if in.DNSName != nil {
		startName = reverse(normName(*in.DNSName))
	}
	for _, z := range all {
		rn := reverse(z.Name)
		if rn < startName || (rn == startName && startID != "" && z.ID < startID) {
			continue
		}
		if len(out.HostedZones) == max {
			out.IsTruncated, out.NextDNSName, out.NextHostedZoneId = ptr.To(true), ptr.To(outName(z.Name)), ptr.To(z.ID)
			break
		}
		out.HostedZones = append(out.HostedZones, *zoneOut(z))
	}
	return out, nil
}

// ListHostedZonesByVPC lists the private zones associated with a VPC.
func (s *Route53) ListHostedZonesByVPC(ctx *request.Context, in *route53api.ListHostedZonesByVPCInput) (*route53api.ListHostedZonesByVPCOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	all, err := s.allZones(ctx)
	if err != nil {
		return nil, err
	}
	out := &route53api.ListHostedZonesByVPCOutput{HostedZoneSummaries: []route53api.HostedZoneSummary{}, MaxItems: ptr.To(strconv.Itoa(max))}
	for _, z := range all {
		for _, v := range z.VPCs {
			if v.ID == ptr.Deref(in.VPCId) && v.Region == ptr.Deref(in.VPCRegion) {
				out.HostedZoneSummaries = append(out.HostedZoneSummaries, route53api.HostedZoneSummary{
					HostedZoneId: ptr.To(z.ID), Name: ptr.To(outName(z.Name)), Owner: &route53api.HostedZoneOwner{OwningAccount: ptr.To(ctx.Account)}})
			}
		}
	}
	return out, nil
}

// GetHostedZoneCount counts the account's zones.
func (s *Route53) GetHostedZoneCount(ctx *request.Context, _ *route53api.GetHostedZoneCountInput) (*route53api.GetHostedZoneCountOutput, error) {
	all, err := s.allZones(ctx)
	if err != nil {
		return nil, err
	}
	return &route53api.GetHostedZoneCountOutput{HostedZoneCount: ptr.To(int64(len(all)))}, nil
}

// UpdateHostedZoneComment replaces (or, absent, clears) the comment.
func (s *Route53) UpdateHostedZoneComment(ctx *request.Context, in *route53api.UpdateHostedZoneCommentInput) (*route53api.UpdateHostedZoneCommentOutput, error) {
	var z zoneRec
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if z, err = getZone(tx, scope(ctx), ptr.Deref(in.Id)); err != nil {
			return err
		}
		z.Comment = in.Comment
		return zones.Put(tx, scope(ctx), z, z.ID)
	})
	if err != nil {
		return nil, err
	}
	return &route53api.UpdateHostedZoneCommentOutput{HostedZone: zoneOut(z)}, nil
}

// AssociateVPCWithHostedZone adds a VPC to a private zone.
func (s *Route53) AssociateVPCWithHostedZone(ctx *request.Context, in *route53api.AssociateVPCWithHostedZoneInput) (*route53api.AssociateVPCWithHostedZoneOutput, error) {
	out := &route53api.AssociateVPCWithHostedZoneOutput{}
	err := s.updateVPCs(ctx, ptr.Deref(in.HostedZoneId), in.VPC, in.Comment, func(z *zoneRec, v vpcRec) error {
		if !z.Private {
			return route53api.ErrPublicZoneVPCAssociation.New("Public hosted zones cannot be associated with VPCs.")
		}
		for _, have := range z.VPCs {
			if have == v {
				return route53api.ErrConflictingDomainExists.New("The VPC %s in %s region has already been associated with the hosted zone %s with the same domain name.", v.ID, v.Region, z.ID)
			}
		}
		z.VPCs = append(z.VPCs, v)
		return nil
	}, &out.ChangeInfo)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DisassociateVPCFromHostedZone removes a VPC from a private zone; the
// last one cannot be removed.
func (s *Route53) DisassociateVPCFromHostedZone(ctx *request.Context, in *route53api.DisassociateVPCFromHostedZoneInput) (*route53api.DisassociateVPCFromHostedZoneOutput, error) {
	out := &route53api.DisassociateVPCFromHostedZoneOutput{}
	err := s.updateVPCs(ctx, ptr.Deref(in.HostedZoneId), in.VPC, in.Comment, func(z *zoneRec, v vpcRec) error {
		if !z.Private {
			return route53api.ErrVPCAssociationNotFound.New("The specified VPC and hosted zone are not currently associated.")
		}
		for i, have := range z.VPCs {
			if have == v {
				if len(z.VPCs) == 1 {
					return route53api.ErrLastVPCAssociation.New("The VPC that you're trying to disassociate from the private hosted zone is the last VPC that is associated with the hosted zone. Amazon Route 53 doesn't support disassociating the last VPC from a hosted zone.")
				}
				z.VPCs = append(z.VPCs[:i:i], z.VPCs[i+1:]...)
				return nil
			}
		}
		return route53api.ErrVPCAssociationNotFound.New("The specified VPC and hosted zone are not currently associated.")
	}, &out.ChangeInfo)
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Route53) updateVPCs(ctx *request.Context, id string, vpc *route53api.VPC, comment *string, fn func(*zoneRec, vpcRec) error, ci **route53api.ChangeInfo) error {
	if vpc == nil {
		return invalidInput("Invalid request: Missing VPC")
	}
	v, err := s.checkVPC(ctx, vpc)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, id)
		if err != nil {
			return err
		}
		if err := fn(&z, v); err != nil {
			return err
		}
		if err := zones.Put(tx, sc, z, z.ID); err != nil {
			return err
		}
		if err := zoneIndex.Put(tx, indexScope, indexOf(ctx.Account, z), z.Name, ctx.Account, z.ID); err != nil {
			return err
		}
		*ci, err = s.newChange(ctx, tx, comment)
		return err
	})
}

var _ = strings.TrimSpace
