package ec2

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// kindOf finds the resource kind of an id by its prefix.
func kindOf(id string) (taggable, bool) {
	i := strings.LastIndex(id, "-")
	if i < 0 {
		return nil, false
	}
	prefix := id[:i]
	for _, k := range []interface {
		taggable
		idPrefix() string
	}{instances, vpcs, subnets, routeTables, igws, nats, addresses, sgs, enis, dhcps, acls, vpcEndpoints, peerings, cgws, vgws, vpns, volumes, snapshots, userImages, eigws, spotRequests, insightsPaths, insightsAnalyses, placementGroups, flowLogs, tgws, tgwAttachments, tgwRouteTables, capacityReservations, mirrorFilters, mirrorTargets, mirrorSessions, endpointServices, tgwConnectPeers, mcDomains} {
		if k.idPrefix() == prefix {
			return k, true
		}
	}
	return nil, false
}

func (r resource[T]) idPrefix() string { return r.prefix }

func checkTags(tags []ec2api.Tag) error {
	if len(tags) > 50 {
		return code("TagLimitExceeded").New("The maximum number of Tags for a resource has been reached.")
	}
	for _, t := range tags {
		k := ptr.Deref(t.Key)
		if k == "" {
			return errInvalidParameterValue.New("Tag key cannot be empty")
		}
		if len(k) > 128 {
			return errInvalidParameterValue.New("Tag key exceeds the maximum length of 128 characters")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return errInvalidParameterValue.New("Tag keys starting with 'aws:' are reserved for internal use")
		}
		if len(ptr.Deref(t.Value)) > 256 {
			return errInvalidParameterValue.New("Tag value exceeds the maximum length of 256 characters")
		}
	}
	return nil
}

// CreateTags adds or overwrites tags on resources of any kind.
func (s *EC2) CreateTags(ctx *request.Context, in *ec2api.CreateTagsRequest) (*ec2api.CreateTagsOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	err := s.editTags(ctx, in.Resources, func(cur []ec2api.Tag) ([]ec2api.Tag, error) {
		merged := mergeTags(append([]ec2api.Tag{}, cur...), in.Tags)
		if len(merged) > 50 {
			return nil, code("TagLimitExceeded").New("The maximum number of Tags for a resource has been reached.")
		}
		return merged, nil
	})
	return answer(&ec2api.CreateTagsOutput{}, err)
}

// editTags replaces the tags of every resource in ids with what edit makes
// of them, in one transaction: all change or, on the first error (an id of
// no known kind, a missing resource, or edit's), none does.
func (s *EC2) editTags(ctx *request.Context, ids []string, edit func(cur []ec2api.Tag) ([]ec2api.Tag, error)) error {
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		for _, id := range ids {
			k, ok := kindOf(id)
			if !ok {
				return errInvalidID.New("The ID '%s' is not valid", id)
			}
			cur, found, err := k.getTags(tx, sc, id)
			if err != nil {
				return err
			}
			if !found {
				return notFoundFor(id)
			}
			next, err := edit(cur)
			if err != nil {
				return err
			}
			if err := k.setTags(tx, sc, id, next); err != nil {
				return err
			}
		}
		return nil
	})
}

// notFoundFor is the not-found error of whatever kind id names.
func notFoundFor(id string) error {
	switch {
	case strings.HasPrefix(id, "i-"):
		return instances.missing(id)
	case strings.HasPrefix(id, "vpc-"):
		return vpcs.missing(id)
	case strings.HasPrefix(id, "subnet-"):
		return subnets.missing(id)
	case strings.HasPrefix(id, "ami-"):
		return errAMINotFound.New("The image id '[%s]' does not exist", id)
	}
	if k, ok := kindOf(id); ok {
		if m, ok := k.(interface{ missing(...string) error }); ok {
			return m.missing(id)
		}
	}
	return errInvalidID.New("The ID '%s' is not valid", id)
}

// DeleteTags removes tags: a tag given with a value only when the value
// matches, without a value whatever its value.
func (s *EC2) DeleteTags(ctx *request.Context, in *ec2api.DeleteTagsRequest) (*ec2api.DeleteTagsOutput, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	err := s.editTags(ctx, in.Resources, func(cur []ec2api.Tag) ([]ec2api.Tag, error) {
		kept := []ec2api.Tag{}
		for _, t := range cur {
			drop := len(in.Tags) == 0
			for _, d := range in.Tags {
				if ptr.Deref(d.Key) == ptr.Deref(t.Key) && (d.Value == nil || ptr.Deref(d.Value) == ptr.Deref(t.Value)) {
					drop = true
				}
			}
			if !drop {
				kept = append(kept, t)
			}
		}
		return kept, nil
	})
	return answer(&ec2api.DeleteTagsOutput{}, err)
}

// DescribeTags lists the tags of every taggable resource.
func (s *EC2) DescribeTags(ctx *request.Context, in *ec2api.DescribeTagsRequest) (*ec2api.DescribeTagsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(t ec2api.TagDescription) filter.Doc {
		return filter.New(nil).Add("key", ptr.Deref(t.Key)).Add("value", ptr.Deref(t.Value)).Add("resource-id", ptr.Deref(t.ResourceId)).Add("resource-type", ptr.Deref(t.ResourceType))
	}
	if err := filter.Validate(in.Filters, doc(ec2api.TagDescription{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var all []ec2api.TagDescription
	collect := func(typ, id string, tags []ec2api.Tag) {
		for _, t := range tags {
			all = append(all, ec2api.TagDescription{Key: t.Key, Value: ptr.To(ptr.Deref(t.Value)), ResourceId: ptr.To(id), ResourceType: ptr.To(typ)})
		}
	}
	err := s.store.View(func(tx storage.Tx) error {
		lists := []func() error{
			func() error {
				return listTags(tx, sc, instances, func(v *instanceRecord) string { return v.ID }, collect)
			},
			func() error {
				return listTags(tx, sc, vpcs, func(v *vpcRecord) string { return ptr.Deref(v.Vpc.VpcId) }, collect)
			},
			func() error {
				return listTags(tx, sc, subnets, func(v *ec2api.Subnet) string { return ptr.Deref(v.SubnetId) }, collect)
			},
			func() error {
				return listTags(tx, sc, routeTables, func(v *ec2api.RouteTable) string { return ptr.Deref(v.RouteTableId) }, collect)
			},
			func() error {
				return listTags(tx, sc, igws, func(v *ec2api.InternetGateway) string { return ptr.Deref(v.InternetGatewayId) }, collect)
			},
			func() error {
				return listTags(tx, sc, nats, func(v *ec2api.NatGateway) string { return ptr.Deref(v.NatGatewayId) }, collect)
			},
			func() error {
				return listTags(tx, sc, addresses, func(v *ec2api.Address) string { return ptr.Deref(v.AllocationId) }, collect)
			},
			func() error {
				return listTags(tx, sc, sgs, func(v *ec2api.SecurityGroup) string { return ptr.Deref(v.GroupId) }, collect)
			},
			func() error {
				return listTags(tx, sc, enis, func(v *ec2api.NetworkInterface) string { return ptr.Deref(v.NetworkInterfaceId) }, collect)
			},
			func() error {
				return listTags(tx, sc, dhcps, func(v *ec2api.DhcpOptions) string { return ptr.Deref(v.DhcpOptionsId) }, collect)
			},
			func() error {
				return listTags(tx, sc, acls, func(v *ec2api.NetworkAcl) string { return ptr.Deref(v.NetworkAclId) }, collect)
			},
			func() error {
				return listTags(tx, sc, vpcEndpoints, func(v *ec2api.VpcEndpoint) string { return ptr.Deref(v.VpcEndpointId) }, collect)
			},
			func() error {
				return listTags(tx, sc, volumes, func(v *ec2api.Volume) string { return ptr.Deref(v.VolumeId) }, collect)
			},
			func() error {
				return listTags(tx, sc, snapshots, func(v *ec2api.Snapshot) string { return ptr.Deref(v.SnapshotId) }, collect)
			},
			func() error {
				return listTags(tx, sc, userImages, func(v *ec2api.Image) string { return ptr.Deref(v.ImageId) }, collect)
			},
			func() error {
				return listTags(tx, sc, placementGroups, func(v *ec2api.PlacementGroup) string { return ptr.Deref(v.GroupId) }, collect)
			},
			func() error {
				return listTags(tx, sc, flowLogs, func(v *ec2api.FlowLog) string { return ptr.Deref(v.FlowLogId) }, collect)
			},
			func() error {
				return listTags(tx, sc, tgws, func(v *ec2api.TransitGateway) string { return ptr.Deref(v.TransitGatewayId) }, collect)
			},
			func() error {
				return listTags(tx, sc, tgwAttachments, func(v *tgwAttachment) string { return v.id() }, collect)
			},
			func() error {
				return listTags(tx, sc, tgwRouteTables, func(v *tgwRouteTable) string { return ptr.Deref(v.Table.TransitGatewayRouteTableId) }, collect)
			},
			func() error {
				return listTags(tx, sc, mirrorFilters, func(v *ec2api.TrafficMirrorFilter) string { return ptr.Deref(v.TrafficMirrorFilterId) }, collect)
			},
			func() error {
				return listTags(tx, sc, mirrorTargets, func(v *ec2api.TrafficMirrorTarget) string { return ptr.Deref(v.TrafficMirrorTargetId) }, collect)
			},
			func() error {
				return listTags(tx, sc, mirrorSessions, func(v *ec2api.TrafficMirrorSession) string { return ptr.Deref(v.TrafficMirrorSessionId) }, collect)
			},
			func() error {
				return listTags(tx, sc, endpointServices, func(v *endpointService) string { return ptr.Deref(v.Config.ServiceId) }, collect)
			},
			func() error {
				return listTags(tx, sc, tgwConnectPeers, func(v *ec2api.TransitGatewayConnectPeer) string { return ptr.Deref(v.TransitGatewayConnectPeerId) }, collect)
			},
			func() error {
				return listTags(tx, sc, mcDomains, func(v *mcDomain) string { return ptr.Deref(v.Domain.TransitGatewayMulticastDomainId) }, collect)
			},
		}
		for _, f := range lists {
			if err := f(); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := &ec2api.DescribeTagsResult{Tags: []ec2api.TagDescription{}}
	for _, t := range all {
		if filter.Match(in.Filters, doc(t)) {
			out.Tags = append(out.Tags, t)
		}
	}
	return out, nil
}

func listTags[T any](tx storage.Tx, sc storage.Scope, r resource[T], id func(*T) string, fn func(typ, id string, tags []ec2api.Tag)) error {
	all, err := r.all(tx, sc)
	for i := range all {
		fn(r.typ, id(&all[i]), *r.tags(&all[i]))
	}
	return err
}
