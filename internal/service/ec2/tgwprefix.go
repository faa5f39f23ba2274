package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Prefix list references route a prefix list's CIDRs, in a transit
// gateway route table, to an attachment or a blackhole.

func tgwPrefixDoc(r *ec2api.TransitGatewayPrefixListReference) filter.Doc {
	d := filter.New(nil).Add("prefix-list-id", ptr.Deref(r.PrefixListId)).Add("prefix-list-owner-id", ptr.Deref(r.PrefixListOwnerId)).
		Add("state", ptr.Deref(r.State)).Add("is-blackhole", boolStr(ptr.Deref(r.Blackhole))).
		Add("attachment.transit-gateway-attachment-id").Add("attachment.resource-id").Add("attachment.resource-type")
	if a := r.TransitGatewayAttachment; a != nil {
		d.Add("attachment.transit-gateway-attachment-id", ptr.Deref(a.TransitGatewayAttachmentId)).Add("attachment.resource-id", ptr.Deref(a.ResourceId)).
			Add("attachment.resource-type", ptr.Deref(a.ResourceType))
	}
	return d
}

// tgwPrefixReference builds a reference after checking its parts.
func tgwPrefixReference(tx storage.Tx, sc storage.Scope, rt, pl, attID string, blackhole bool) (tgwRouteTable, ec2api.TransitGatewayPrefixListReference, error) {
	ref := ec2api.TransitGatewayPrefixListReference{TransitGatewayRouteTableId: ptr.To(rt), PrefixListId: ptr.To(pl), Blackhole: ptr.To(blackhole), State: ptr.To("available")}
	if blackhole == (attID != "") {
		return tgwRouteTable{}, ref, errInvalidParameterCombo.New("Exactly one of TransitGatewayAttachmentId or Blackhole must be specified.")
	}
	l, _, err := getPrefixList(tx, sc, pl)
	if err != nil {
		return tgwRouteTable{}, ref, err
	}
	ref.PrefixListOwnerId = l.List.OwnerId
	if blackhole {
		t, err := tgwRouteTables.get(tx, sc, rt)
		return t, ref, err
	}
	t, a, err := tgwPair(tx, sc, rt, attID)
	ref.TransitGatewayAttachment = &ec2api.TransitGatewayPrefixListAttachment{TransitGatewayAttachmentId: ptr.To(attID), ResourceId: a.resourceID(), ResourceType: a.resourceType()}
	return t, ref, err
}

func refIndex(t tgwRouteTable, pl string) int {
	for i, r := range t.PrefixLists {
		if ptr.Deref(r.PrefixListId) == pl {
			return i
		}
	}
	return -1
}

func errNoPrefixReference(rt, pl string) error {
	return errInvalidParameterValue.New("Transit Gateway Route Table %s has no reference to prefix list %s.", rt, pl)
}

// putReference stores a reference: a new one (create), or over the
// table's existing reference to the same list.
func (s *EC2) putReference(ctx *request.Context, rt, pl, attID string, blackhole, create bool) (ec2api.TransitGatewayPrefixListReference, error) {
	var ref ec2api.TransitGatewayPrefixListReference
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		t, r, err := tgwPrefixReference(tx, sc, rt, pl, attID, blackhole)
		if err != nil {
			return err
		}
		switch i := refIndex(t, pl); {
		case create && i >= 0:
			return errInvalidParameterValue.New("Transit Gateway Route Table %s already has a reference to prefix list %s.", rt, pl)
		case create:
			t.PrefixLists = append(t.PrefixLists, r)
		case i < 0:
			return errNoPrefixReference(rt, pl)
		default:
			t.PrefixLists[i] = r
		}
		ref = r
		return tgwRouteTables.put(tx, sc, rt, t)
	})
	return ref, err
}

// CreateTransitGatewayPrefixListReference adds a reference.
func (s *EC2) CreateTransitGatewayPrefixListReference(ctx *request.Context, in *ec2api.CreateTransitGatewayPrefixListReferenceRequest) (*ec2api.CreateTransitGatewayPrefixListReferenceResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ref, err := s.putReference(ctx, ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.PrefixListId), ptr.Deref(in.TransitGatewayAttachmentId), ptr.Deref(in.Blackhole), true)
	if err != nil {
		return nil, err
	}
	ref.State = ptr.To("pending")
	return &ec2api.CreateTransitGatewayPrefixListReferenceResult{TransitGatewayPrefixListReference: &ref}, nil
}

// ModifyTransitGatewayPrefixListReference changes a reference's target.
func (s *EC2) ModifyTransitGatewayPrefixListReference(ctx *request.Context, in *ec2api.ModifyTransitGatewayPrefixListReferenceRequest) (*ec2api.ModifyTransitGatewayPrefixListReferenceResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	ref, err := s.putReference(ctx, ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.PrefixListId), ptr.Deref(in.TransitGatewayAttachmentId), ptr.Deref(in.Blackhole), false)
	if err != nil {
		return nil, err
	}
	ref.State = ptr.To("modifying")
	return &ec2api.ModifyTransitGatewayPrefixListReferenceResult{TransitGatewayPrefixListReference: &ref}, nil
}

// DeleteTransitGatewayPrefixListReference removes a reference.
func (s *EC2) DeleteTransitGatewayPrefixListReference(ctx *request.Context, in *ec2api.DeleteTransitGatewayPrefixListReferenceRequest) (*ec2api.DeleteTransitGatewayPrefixListReferenceResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	rt, pl := ptr.Deref(in.TransitGatewayRouteTableId), ptr.Deref(in.PrefixListId)
	var ref ec2api.TransitGatewayPrefixListReference
	err := mutate(s, ctx, tgwRouteTables, rt, func(_ storage.Tx, _ storage.Scope, t *tgwRouteTable) error {
		i := refIndex(*t, pl)
		if i < 0 {
			return errNoPrefixReference(rt, pl)
		}
		ref = t.PrefixLists[i]
		t.PrefixLists = append(t.PrefixLists[:i], t.PrefixLists[i+1:]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ref.State = ptr.To("deleting")
	return &ec2api.DeleteTransitGatewayPrefixListReferenceResult{TransitGatewayPrefixListReference: &ref}, nil
}

// GetTransitGatewayPrefixListReferences lists a table's references.
func (s *EC2) GetTransitGatewayPrefixListReferences(ctx *request.Context, in *ec2api.GetTransitGatewayPrefixListReferencesRequest) (*ec2api.GetTransitGatewayPrefixListReferencesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, tgwPrefixDoc(&ec2api.TransitGatewayPrefixListReference{})); err != nil {
		return nil, err
	}
	var list []ec2api.TransitGatewayPrefixListReference
	err := s.store.View(func(tx storage.Tx) error {
		t, err := tgwRouteTables.get(tx, scope(ctx), ptr.Deref(in.TransitGatewayRouteTableId))
		for _, r := range t.PrefixLists {
			if filter.Match(in.Filters, tgwPrefixDoc(&r)) {
				list = append(list, r)
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	return answer(&ec2api.GetTransitGatewayPrefixListReferencesResult{TransitGatewayPrefixListReferences: append([]ec2api.TransitGatewayPrefixListReference{}, items...), NextToken: next}, err)
}
