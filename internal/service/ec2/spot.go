package ec2

import (
	"strconv"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Spot instance requests exist at API level: they are stored, described
// and cancelled, and stay open without being fulfilled (niwa has no spot
// capacity or market).
var spotRequests = resource[ec2api.SpotInstanceRequest]{table: storage.NewTable[ec2api.SpotInstanceRequest]("spotrequest"), prefix: "sir", typ: "spot-instances-request",
	noun: "spot instance request", notFound: code("InvalidSpotInstanceRequestID.NotFound"), tags: func(v *ec2api.SpotInstanceRequest) *[]ec2api.Tag { return &v.Tags }, doc: spotDoc}

func spotDoc(v *ec2api.SpotInstanceRequest) filter.Doc {
	d := filter.New(v.Tags).Add("spot-instance-request-id", ptr.Deref(v.SpotInstanceRequestId)).Add("state", ptr.Deref(v.State)).Add("type", ptr.Deref(v.Type)).
		Add("spot-price", ptr.Deref(v.SpotPrice)).Add("product-description", ptr.Deref(v.ProductDescription)).Add("instance-id", ptr.Deref(v.InstanceId)).
		Add("status-code").Add("status-message").Add("launch-group", ptr.Deref(v.LaunchGroup)).Add("availability-zone-group", ptr.Deref(v.AvailabilityZoneGroup)).
		Add("launch.image-id").Add("launch.instance-type").Add("launch.key-name").Add("create-time")
	if st := v.Status; st != nil {
		d.Add("status-code", ptr.Deref(st.Code)).Add("status-message", ptr.Deref(st.Message))
	}
	if l := v.LaunchSpecification; l != nil {
		d.Add("launch.image-id", ptr.Deref(l.ImageId)).Add("launch.instance-type", ptr.Deref(l.InstanceType)).Add("launch.key-name", ptr.Deref(l.KeyName))
	}
	if v.CreateTime != nil {
		d.Add("create-time", v.CreateTime.UTC().Format("2006-01-02T15:04:05.000Z"))
	}
	return d
}

// RequestSpotInstances stores InstanceCount open requests.
func (s *EC2) RequestSpotInstances(ctx *request.Context, in *ec2api.RequestSpotInstancesRequest) (*ec2api.RequestSpotInstancesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	n := int32(1)
	if in.InstanceCount != nil {
		n = *in.InstanceCount
	}
	if n < 1 || n > 100 {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter instanceCount is invalid. Expected a value between 1 and 100.", n)
	}
	typ := "one-time"
	if in.Type != nil {
		typ = *in.Type
	}
	if typ != "one-time" && typ != "persistent" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter type is invalid. Valid values are one-time, persistent.", typ)
	}
	if p := in.SpotPrice; p != nil {
		if f, err := strconv.ParseFloat(*p, 64); err != nil || f <= 0 {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter spotPrice is invalid.", *p)
		}
	}
	if in.LaunchSpecification == nil || in.LaunchSpecification.ImageId == nil {
		return nil, errMissingParameter.New("The request must contain the parameter LaunchSpecification.ImageId")
	}
	spec := &ec2api.LaunchSpecification{}
	if err := convertShape(in.LaunchSpecification, spec); err != nil {
		return nil, err
	}
	behaviour := "terminate"
	if in.InstanceInterruptionBehavior != nil {
		behaviour = *in.InstanceInterruptionBehavior
	}
	now := ctx.Now().UTC()
	sc := scope(ctx)
	out := &ec2api.RequestSpotInstancesResult{SpotInstanceRequests: []ec2api.SpotInstanceRequest{}}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := s.imageFor(tx, ctx, *in.LaunchSpecification.ImageId); err != nil {
			return err
		}
		for i := int32(0); i < n; i++ {
			id := newID("sir")
			r := ec2api.SpotInstanceRequest{SpotInstanceRequestId: ptr.To(id), SpotPrice: in.SpotPrice, Type: ptr.To(typ), State: ptr.To("open"), CreateTime: ptr.To(now),
				Status:              &ec2api.SpotInstanceStatus{Code: ptr.To("pending-evaluation"), Message: ptr.To("Your Spot request has been submitted for review, and is pending evaluation."), UpdateTime: ptr.To(now)},
				LaunchSpecification: spec, ProductDescription: ptr.To("Linux/UNIX"), Tags: nonNilTags(tagsFor(in.TagSpecifications, "spot-instances-request")),
				ValidFrom: in.ValidFrom, ValidUntil: in.ValidUntil, LaunchGroup: in.LaunchGroup, AvailabilityZoneGroup: in.AvailabilityZoneGroup, InstanceInterruptionBehavior: ptr.To(behaviour)}
			if err := spotRequests.put(tx, sc, id, r); err != nil {
				return err
			}
			out.SpotInstanceRequests = append(out.SpotInstanceRequests, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DescribeSpotInstanceRequests lists requests.
func (s *EC2) DescribeSpotInstanceRequests(ctx *request.Context, in *ec2api.DescribeSpotInstanceRequestsRequest) (*ec2api.DescribeSpotInstanceRequestsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	recs, next, err := describe(s, ctx, spotRequests, page{ids: in.SpotInstanceRequestIds, filters: in.Filters, maxResults: in.MaxResults, nextToken: in.NextToken}, nil)
	return answer(&ec2api.DescribeSpotInstanceRequestsResult{SpotInstanceRequests: orEmpty(recs), NextToken: next}, err)
}

// CancelSpotInstanceRequests cancels open requests.
func (s *EC2) CancelSpotInstanceRequests(ctx *request.Context, in *ec2api.CancelSpotInstanceRequestsRequest) (*ec2api.CancelSpotInstanceRequestsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	now := ctx.Now().UTC()
	out := &ec2api.CancelSpotInstanceRequestsResult{CancelledSpotInstanceRequests: []ec2api.CancelledSpotInstanceRequest{}}
	err := s.store.Update(func(tx storage.Tx) error {
		recs, err := spotRequests.getEach(tx, sc, in.SpotInstanceRequestIds)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if st := ptr.Deref(r.State); st == "open" || st == "active" {
				r.State = ptr.To("cancelled")
				r.Status = &ec2api.SpotInstanceStatus{Code: ptr.To("canceled-before-fulfillment"), Message: ptr.To("Your Spot request was canceled before it was fulfilled."), UpdateTime: ptr.To(now)}
				if err := spotRequests.put(tx, sc, ptr.Deref(r.SpotInstanceRequestId), r); err != nil {
					return err
				}
			}
			out.CancelledSpotInstanceRequests = append(out.CancelledSpotInstanceRequests, ec2api.CancelledSpotInstanceRequest{SpotInstanceRequestId: r.SpotInstanceRequestId, State: r.State})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
