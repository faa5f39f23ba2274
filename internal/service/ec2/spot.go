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

// Spot fleet requests are stored and described like spot instance
// requests: active with nothing fulfilled, cancellable.
var spotFleets = storage.NewTable[ec2api.SpotFleetRequestConfig]("spotfleet")

// RequestSpotFleet stores a spot fleet request.
func (s *EC2) RequestSpotFleet(ctx *request.Context, in *ec2api.RequestSpotFleetRequest) (*ec2api.RequestSpotFleetResponse, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	cfg := in.SpotFleetRequestConfig
	if cfg == nil {
		return nil, errMissingParameter.New("The request must contain the parameter SpotFleetRequestConfig")
	}
	invalid := func(field string) error {
		return code("InvalidSpotFleetRequestConfig").New("Parameter: SpotFleetRequestConfig.%s is invalid.", field)
	}
	if ptr.Deref(cfg.IamFleetRole) == "" {
		return nil, invalid("IamFleetRole")
	}
	if ptr.Deref(cfg.TargetCapacity) < 1 {
		return nil, invalid("TargetCapacity")
	}
	if len(cfg.LaunchSpecifications) == 0 && len(cfg.LaunchTemplateConfigs) == 0 {
		return nil, invalid("LaunchSpecifications")
	}
	id := newID("sfr")
	stored := *cfg
	stored.FulfilledCapacity = ptr.To(0.0)
	stored.OnDemandFulfilledCapacity = ptr.To(0.0)
	if stored.Type == nil {
		stored.Type = ptr.To("maintain")
	}
	var tags []ec2api.Tag
	for _, t := range cfg.TagSpecifications {
		if ptr.Deref(t.ResourceType) == "spot-fleet-request" {
			tags = append(tags, t.Tags...)
		}
	}
	rec := ec2api.SpotFleetRequestConfig{SpotFleetRequestId: ptr.To(id), SpotFleetRequestState: ptr.To("active"), ActivityStatus: ptr.To("pending_fulfillment"),
		CreateTime: ptr.To(ctx.Now().UTC()), SpotFleetRequestConfig: &stored, Tags: nonNilTags(tags)}
	if err := s.store.Update(func(tx storage.Tx) error { return spotFleets.Put(tx, scope(ctx), rec, id) }); err != nil {
		return nil, err
	}
	return &ec2api.RequestSpotFleetResponse{SpotFleetRequestId: ptr.To(id)}, nil
}

// DescribeSpotFleetRequests lists spot fleet requests.
func (s *EC2) DescribeSpotFleetRequests(ctx *request.Context, in *ec2api.DescribeSpotFleetRequestsRequest) (*ec2api.DescribeSpotFleetRequestsResponse, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var list []ec2api.SpotFleetRequestConfig
	err := s.store.View(func(tx storage.Tx) error {
		for _, id := range in.SpotFleetRequestIds {
			if _, ok, err := spotFleets.Get(tx, sc, id); err != nil {
				return err
			} else if !ok {
				return code("InvalidSpotFleetRequestId.NotFound").New("The spot fleet request ID '%s' does not exist", id)
			}
		}
		return spotFleets.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v ec2api.SpotFleetRequestConfig) bool {
			if len(in.SpotFleetRequestIds) == 0 || contains(in.SpotFleetRequestIds, ptr.Deref(v.SpotFleetRequestId)) {
				list = append(list, v)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeSpotFleetRequestsResponse{SpotFleetRequestConfigs: append([]ec2api.SpotFleetRequestConfig{}, items...), NextToken: next}, nil
}

// CancelSpotFleetRequests cancels fleets, reporting each one.
func (s *EC2) CancelSpotFleetRequests(ctx *request.Context, in *ec2api.CancelSpotFleetRequestsRequest) (*ec2api.CancelSpotFleetRequestsResponse, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.TerminateInstances == nil {
		return nil, errMissingParameter.New("The request must contain the parameter TerminateInstances")
	}
	sc := scope(ctx)
	out := &ec2api.CancelSpotFleetRequestsResponse{SuccessfulFleetRequests: []ec2api.CancelSpotFleetRequestsSuccessItem{}, UnsuccessfulFleetRequests: []ec2api.CancelSpotFleetRequestsErrorItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, id := range in.SpotFleetRequestIds {
			v, ok, err := spotFleets.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				out.UnsuccessfulFleetRequests = append(out.UnsuccessfulFleetRequests, ec2api.CancelSpotFleetRequestsErrorItem{SpotFleetRequestId: ptr.To(id),
					Error: &ec2api.CancelSpotFleetRequestsError{Code: ptr.To("fleetRequestIdDoesNotExist"), Message: ptr.To("The spot fleet request ID '" + id + "' does not exist")}})
				continue
			}
			prev := ptr.Deref(v.SpotFleetRequestState)
			v.SpotFleetRequestState = ptr.To("cancelled")
			if err := spotFleets.Put(tx, sc, v, id); err != nil {
				return err
			}
			cur := "cancelled_terminating"
			if !*in.TerminateInstances {
				cur = "cancelled_running"
			}
			out.SuccessfulFleetRequests = append(out.SuccessfulFleetRequests, ec2api.CancelSpotFleetRequestsSuccessItem{SpotFleetRequestId: ptr.To(id),
				PreviousSpotFleetRequestState: ptr.To(prev), CurrentSpotFleetRequestState: ptr.To(cur)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
