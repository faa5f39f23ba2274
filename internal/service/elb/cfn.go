package elb

import (
	"strings"

	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// cfnResources are Classic ELB's CloudFormation resource types.
func (s *ELB) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the load balancer name; Fn::GetAtt DNSName,
		// CanonicalHostedZoneName, CanonicalHostedZoneNameID,
		// SourceSecurityGroup.GroupName, SourceSecurityGroup.OwnerAlias.
		// Listeners, HealthCheck, Instances, the attributes and tags
		// change in place. AWS changes AvailabilityZones, Subnets and
		// SecurityGroups in place too, with operations niwa does not
		// implement (EnableAvailabilityZonesForLoadBalancer,
		// AttachLoadBalancerToSubnets, ApplySecurityGroupsToLoadBalancer):
		// a change to them replaces the load balancer.
		"AWS::ElasticLoadBalancing::LoadBalancer": {
			Create: s.cfnCreate, Update: s.cfnUpdate, Delete: s.cfnDelete, Read: s.cfnRead,
			Replace: []string{"LoadBalancerName", "Scheme", "AvailabilityZones", "Subnets", "SecurityGroups"}, Tags: true,
		},
	}
}

func cfnInvalid(r kit.ResourceRequest, prop string, err error) error {
	return awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, prop, err)
}

func cfnListeners(r kit.ResourceRequest) ([]elbapi.Listener, error) {
	var ls []elbapi.Listener
	if err := kit.DecodeProp(r.Properties, "Listeners", &ls); err != nil {
		return nil, cfnInvalid(r, "Listeners", err)
	}
	return ls, nil
}

func (s *ELB) cfnCreate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if !kit.Has(r.Properties, "Listeners") {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Listeners] not found", r.LogicalID)
	}
	ls, err := cfnListeners(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	name := r.Str("LoadBalancerName")
	if name == "" {
		// Classic names are at most 32 alphanumerics and hyphens.
		name = strings.Trim(strings.ReplaceAll(kit.PhysicalName(r, 32), "_", "-"), "-")
	}
	in := &elbapi.CreateAccessPointInput{LoadBalancerName: &name, Listeners: ls,
		AvailabilityZones: kit.PropList(r.Properties, "AvailabilityZones"), Subnets: kit.PropList(r.Properties, "Subnets"),
		SecurityGroups: kit.PropList(r.Properties, "SecurityGroups")}
	if len(in.AvailabilityZones) == 0 {
		in.AvailabilityZones = nil
	}
	if len(in.Subnets) == 0 {
		in.Subnets = nil
	}
	if len(in.SecurityGroups) == 0 {
		in.SecurityGroups = nil
	}
	if v := r.Str("Scheme"); v != "" {
		in.Scheme = &v
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, elbapi.Tag{Key: &key, Value: &val})
	}
	if _, err := s.CreateLoadBalancer(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	if err := s.cfnApply(ctx, name, r); err != nil {
		// A load balancer the stack cannot finish is not left behind.
		_, _ = s.DeleteLoadBalancer(ctx, &elbapi.DeleteAccessPointInput{LoadBalancerName: &name})
		return kit.ResourceResult{}, err
	}
	return s.cfnResult(ctx, name)
}

// cfnApply sets what CreateLoadBalancer does not take: the health
// check, the attributes and the instances (registering those the
// template lists and deregistering those it no longer lists).
func (s *ELB) cfnApply(ctx *request.Context, name string, r kit.ResourceRequest) error {
	if kit.Has(r.Properties, "HealthCheck") {
		hc := &elbapi.HealthCheck{}
		if err := kit.DecodeProp(r.Properties, "HealthCheck", hc); err != nil {
			return cfnInvalid(r, "HealthCheck", err)
		}
		if _, err := s.ConfigureHealthCheck(ctx, &elbapi.ConfigureHealthCheckInput{LoadBalancerName: &name, HealthCheck: hc}); err != nil {
			return err
		}
	}
	attrs := &elbapi.LoadBalancerAttributes{}
	set := false
	if kit.Has(r.Properties, "CrossZone") || kit.Has(r.OldProperties, "CrossZone") {
		attrs.CrossZoneLoadBalancing = &elbapi.CrossZoneLoadBalancing{Enabled: ptr.To(kit.PropBool(r.Properties, "CrossZone"))}
		set = true
	}
	for _, p := range []struct {
		name string
		dst  any
	}{{"ConnectionDrainingPolicy", &attrs.ConnectionDraining}, {"ConnectionSettings", &attrs.ConnectionSettings},
		{"AccessLoggingPolicy", &attrs.AccessLog}} {
		if err := kit.DecodeProp(r.Properties, p.name, p.dst); err != nil {
			return cfnInvalid(r, p.name, err)
		}
		set = set || kit.Has(r.Properties, p.name)
	}
	// A policy the template no longer sets goes back to its default.
	if attrs.ConnectionDraining == nil && kit.Has(r.OldProperties, "ConnectionDrainingPolicy") {
		attrs.ConnectionDraining, set = &elbapi.ConnectionDraining{Enabled: ptr.To(false), Timeout: ptr.To(int32(300))}, true
	}
	if attrs.ConnectionSettings == nil && kit.Has(r.OldProperties, "ConnectionSettings") {
		attrs.ConnectionSettings, set = &elbapi.ConnectionSettings{IdleTimeout: ptr.To(int32(60))}, true
	}
	if attrs.AccessLog == nil && kit.Has(r.OldProperties, "AccessLoggingPolicy") {
		attrs.AccessLog, set = &elbapi.AccessLog{Enabled: ptr.To(false)}, true
	}
	if set {
		if _, err := s.ModifyLoadBalancerAttributes(ctx, &elbapi.ModifyLoadBalancerAttributesInput{LoadBalancerName: &name, LoadBalancerAttributes: attrs}); err != nil {
			return err
		}
	}
	want, had := kit.PropList(r.Properties, "Instances"), kit.PropList(r.OldProperties, "Instances")
	var add, drop []elbapi.Instance
	for _, id := range want {
		if !contains(had, id) {
			add = append(add, elbapi.Instance{InstanceId: ptr.To(id)})
		}
	}
	for _, id := range had {
		if !contains(want, id) {
			drop = append(drop, elbapi.Instance{InstanceId: ptr.To(id)})
		}
	}
	if len(drop) > 0 {
		if _, err := s.DeregisterInstancesFromLoadBalancer(ctx, &elbapi.DeregisterEndPointsInput{LoadBalancerName: &name, Instances: drop}); err != nil {
			return err
		}
	}
	if len(add) > 0 {
		if _, err := s.RegisterInstancesWithLoadBalancer(ctx, &elbapi.RegisterEndPointsInput{LoadBalancerName: &name, Instances: add}); err != nil {
			return err
		}
	}
	return nil
}

func contains(l []string, s string) bool {
	for _, v := range l {
		if v == s {
			return true
		}
	}
	return false
}

// cfnResult reads the attributes Fn::GetAtt answers. SourceSecurityGroup
// is the group instances allow the load balancer's traffic from: the
// load balancer's first security group in a VPC (by id: niwa's ELB
// holds no group names), amazon-elb/amazon-elb-sg outside one, as
// DescribeLoadBalancers answers on AWS.
func (s *ELB) cfnResult(ctx *request.Context, name string) (kit.ResourceResult, error) {
	var d elbapi.LoadBalancerDescription
	err := s.store.View(func(tx storage.Tx) error {
		rec, err := getLB(tx, scope(ctx), name)
		if err != nil {
			return err
		}
		d, err = s.describe(tx, scope(ctx), rec)
		return err
	})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	attrs := map[string]any{"DNSName": ptr.Deref(d.DNSName), "CanonicalHostedZoneNameID": ptr.Deref(d.CanonicalHostedZoneNameID),
		"SourceSecurityGroup.GroupName": "amazon-elb-sg", "SourceSecurityGroup.OwnerAlias": "amazon-elb"}
	if d.CanonicalHostedZoneName != nil {
		attrs["CanonicalHostedZoneName"] = *d.CanonicalHostedZoneName
	}
	if d.VPCId != nil && len(d.SecurityGroups) > 0 {
		attrs["SourceSecurityGroup.GroupName"], attrs["SourceSecurityGroup.OwnerAlias"] = d.SecurityGroups[0], ctx.Account
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: attrs}, nil
}

func (s *ELB) cfnUpdate(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	ls, err := cfnListeners(r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	old, err := cfnListeners(kit.ResourceRequest{LogicalID: r.LogicalID, Properties: r.OldProperties})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	// A listener whose port stays but whose settings change is deleted
	// and made again, as CloudFormation does.
	var gone []int32
	for _, o := range old {
		if !cfnHasListener(ls, o) {
			gone = append(gone, ptr.Deref(o.LoadBalancerPort))
		}
	}
	var added []elbapi.Listener
	for _, l := range ls {
		if !cfnHasListener(old, l) {
			added = append(added, l)
		}
	}
	if len(gone) > 0 {
		if _, err := s.DeleteLoadBalancerListeners(ctx, &elbapi.DeleteLoadBalancerListenerInput{LoadBalancerName: &name, LoadBalancerPorts: gone}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(added) > 0 {
		if _, err := s.CreateLoadBalancerListeners(ctx, &elbapi.CreateLoadBalancerListenerInput{LoadBalancerName: &name, Listeners: added}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnApply(ctx, name, r); err != nil {
		return kit.ResourceResult{}, err
	}
	oldTags, tags := kit.PropTags(r.OldProperties), kit.PropTags(r.Properties)
	var drop []elbapi.TagKeyOnly
	var put []elbapi.Tag
	for k := range oldTags {
		if _, ok := tags[k]; !ok {
			drop = append(drop, elbapi.TagKeyOnly{Key: ptr.To(k)})
		}
	}
	for k, v := range tags {
		if ov, ok := oldTags[k]; !ok || ov != v {
			put = append(put, elbapi.Tag{Key: ptr.To(k), Value: ptr.To(v)})
		}
	}
	if len(drop) > 0 {
		if _, err := s.RemoveTags(ctx, &elbapi.RemoveTagsInput{LoadBalancerNames: []string{name}, Tags: drop}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if len(put) > 0 {
		if _, err := s.AddTags(ctx, &elbapi.AddTagsInput{LoadBalancerNames: []string{name}, Tags: put}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return s.cfnResult(ctx, name)
}

// cfnHasListener reports whether ls holds a listener the same as l.
func cfnHasListener(ls []elbapi.Listener, l elbapi.Listener) bool {
	n := normListener(l)
	for _, o := range ls {
		o = normListener(o)
		if ptr.Deref(o.LoadBalancerPort) == ptr.Deref(n.LoadBalancerPort) && ptr.Deref(o.InstancePort) == ptr.Deref(n.InstancePort) &&
			ptr.Deref(o.Protocol) == ptr.Deref(n.Protocol) && ptr.Deref(o.InstanceProtocol) == ptr.Deref(n.InstanceProtocol) &&
			ptr.Deref(o.SSLCertificateId) == ptr.Deref(n.SSLCertificateId) {
			return true
		}
	}
	return false
}

// cfnDelete deletes the load balancer (DeleteLoadBalancer succeeds for
// one already gone, as on AWS).
func (s *ELB) cfnDelete(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteLoadBalancer(ctx, &elbapi.DeleteAccessPointInput{LoadBalancerName: &r.PhysicalID})
	return err
}

// cfnRead reads the listeners, health check, instances and scheme back
// for drift detection.
func (s *ELB) cfnRead(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	out, err := s.DescribeLoadBalancers(ctx, &elbapi.DescribeAccessPointsInput{LoadBalancerNames: []string{r.PhysicalID}})
	if elbapi.ErrAccessPointNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	d := out.LoadBalancerDescriptions[0]
	var ls, insts []any
	for _, l := range d.ListenerDescriptions {
		m := map[string]any{"Protocol": ptr.Deref(l.Listener.Protocol), "InstanceProtocol": ptr.Deref(l.Listener.InstanceProtocol),
			"LoadBalancerPort": float64(ptr.Deref(l.Listener.LoadBalancerPort)), "InstancePort": float64(ptr.Deref(l.Listener.InstancePort))}
		if c := l.Listener.SSLCertificateId; c != nil {
			m["SSLCertificateId"] = *c
		}
		ls = append(ls, m)
	}
	for _, i := range d.Instances {
		insts = append(insts, ptr.Deref(i.InstanceId))
	}
	live := map[string]any{"LoadBalancerName": r.PhysicalID, "Scheme": ptr.Deref(d.Scheme), "Listeners": ls, "Instances": insts}
	if hc := d.HealthCheck; hc != nil {
		live["HealthCheck"] = map[string]any{"Target": ptr.Deref(hc.Target), "Interval": float64(ptr.Deref(hc.Interval)),
			"Timeout": float64(ptr.Deref(hc.Timeout)), "HealthyThreshold": float64(ptr.Deref(hc.HealthyThreshold)),
			"UnhealthyThreshold": float64(ptr.Deref(hc.UnhealthyThreshold))}
	}
	return live, nil
}
