package elbv2

import (
	"sort"
	"strconv"
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Quotas (Elastic Load Balancing, "Quotas for your Application Load
// Balancers"), reported by DescribeAccountLimits and enforced.
const (
	maxLoadBalancers   = 50
	maxTargetGroups    = 3000
	maxListeners       = 50
	maxRulesPerLB      = 100
	maxTargetsPerGroup = 1000
	maxTags            = 50
	maxCertificates    = 25
)

var lbNameRE = lazyre.New(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)

// DNSSuffix is the domain load balancer names live under: niwa's DNS
// answers them and the gateway routes their Host to the data plane.
const DNSSuffix = ".elb.localhost"

func dnsName(name, id, region string) string {
	return strings.ToLower(name + "-" + id + "." + region + DNSSuffix)
}

func lbAttrDefaults(typ string) map[string]string {
	common := map[string]string{
		"access_logs.s3.enabled":      "false",
		"access_logs.s3.bucket":       "",
		"access_logs.s3.prefix":       "",
		"deletion_protection.enabled": "false",
	}
	if typ == "network" {
		common["load_balancing.cross_zone.enabled"] = "false"
		common["dns_record.client_routing_policy"] = "any_availability_zone"
		return common
	}
	for k, v := range map[string]string{
		"idle_timeout.timeout_seconds":                             "60",
		"routing.http2.enabled":                                    "true",
		"routing.http.drop_invalid_header_fields.enabled":          "false",
		"routing.http.xff_client_port.enabled":                     "false",
		"routing.http.preserve_host_header.enabled":                "false",
		"routing.http.xff_header_processing.mode":                  "append",
		"routing.http.desync_mitigation_mode":                      "defensive",
		"routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
		"load_balancing.cross_zone.enabled":                        "true",
		"waf.fail_open.enabled":                                    "false",
		"client_keep_alive.seconds":                                "3600",
		"connection_logs.s3.enabled":                               "false",
		"connection_logs.s3.bucket":                                "",
		"connection_logs.s3.prefix":                                "",
	} {
		common[k] = v
	}
	return common
}

// CreateLoadBalancer creates an application or network load balancer
// (gateway load balancers are refused: niwa has no GENEVE data plane).
// Creating one that exists with the same settings returns it, as AWS
// does.
func (s *ELBv2) CreateLoadBalancer(ctx *request.Context, in *elbv2api.CreateLoadBalancerInput) (*elbv2api.CreateLoadBalancerOutput, error) {
	name := ptr.Deref(in.Name)
	typ := ptr.Deref(in.Type)
	if typ == "" {
		typ = "application"
	}
	if typ == "gateway" {
		return nil, validationError("niwa does not support gateway load balancers: they forward GENEVE-encapsulated traffic to appliances, which niwa's network model does not carry")
	}
	if !lbNameRE.MatchString(name) || strings.HasPrefix(strings.ToLower(name), "internal-") {
		return nil, validationError("The load balancer name '%s' is not valid. It must contain only alphanumeric characters or hyphens, must not begin or end with a hyphen, must not begin with 'internal-' and must be at most 32 characters", name)
	}
	scheme := ptr.Deref(in.Scheme)
	if scheme == "" {
		scheme = "internet-facing"
	}
	ipType := ptr.Deref(in.IpAddressType)
	if ipType == "" {
		ipType = "ipv4"
	}
	if ipType == "dualstack-without-public-ipv4" && (typ != "application" || scheme != "internet-facing") {
		return nil, validationError("IP address type 'dualstack-without-public-ipv4' is only supported for internet-facing Application Load Balancers")
	}
	if len(in.Tags) > maxTags {
		return nil, elbv2api.ErrTooManyTagsException.New("You've reached the limit on the number of tags for this resource")
	}
	subnets := append([]string(nil), in.Subnets...)
	if len(subnets) > 0 && len(in.SubnetMappings) > 0 {
		return nil, validationError("You can specify subnets or subnet mappings, not both")
	}
	for _, m := range in.SubnetMappings {
		subnets = append(subnets, ptr.Deref(m.SubnetId))
	}
	if len(subnets) == 0 {
		return nil, validationError("At least one subnet must be specified")
	}
	zones, vpc, err := s.placeSubnets(ctx, subnets)
	if err != nil {
		return nil, err
	}
	if typ == "application" && len(zones) < 2 {
		return nil, validationError("At least two subnets in two different Availability Zones must be specified")
	}
	sgs := in.SecurityGroups
	if typ == "application" || len(sgs) > 0 {
		if sgs, err = s.checkSecurityGroups(ctx, vpc, sgs); err != nil {
			return nil, err
		}
	}
	var out lbRec
	err = s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		var existing *lbRec
		n := 0
		if err := lbs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v lbRec) bool {
			n++
			if v.Name == name {
				existing = &v
			}
			return true
		}); err != nil {
			return err
		}
		if existing != nil {
			if existing.Type == typ && existing.Scheme == scheme {
				out = *existing
				return nil
			}
			return elbv2api.ErrDuplicateLoadBalancerNameException.New("A load balancer with the same name '%s' exists, but with different settings", name)
		}
		if n >= maxLoadBalancers {
			return elbv2api.ErrTooManyLoadBalancersException.New("The maximum number of load balancers has been reached")
		}
		id := newID()
		out = lbRec{
			ARN: arnPrefix(ctx) + "loadbalancer/" + typeSegment(typ) + "/" + name + "/" + id,
			ID:  id, Name: name, Type: typ, Scheme: scheme, IPType: ipType, VpcID: vpc,
			DNSName: dnsName(name, id, ctx.Region), Created: ctx.Now().UTC(), Zones: zones, SGs: sgs,
			Attrs: lbAttrDefaults(typ), Tags: in.Tags, Account: ctx.Account, Region: ctx.Region,
			StateCode: "active",
		}
		if scheme == "internal" {
			out.DNSName = "internal-" + out.DNSName
		}
		if err := lbs.Put(tx, sc, out, out.ARN); err != nil {
			return err
		}
		return byDNS.Put(tx, anywhere, indexRec{Account: ctx.Account, Region: ctx.Region, ARN: out.ARN}, out.DNSName)
	})
	if err != nil {
		return nil, err
	}
	s.ticker.Start() // the per-minute metrics of its listeners' requests
	return &elbv2api.CreateLoadBalancerOutput{LoadBalancers: []elbv2api.LoadBalancer{lbOut(out)}}, nil
}

// placeSubnets checks subnets (one per Availability Zone, one VPC) and
// returns their zones.
func (s *ELBv2) placeSubnets(ctx *request.Context, subnets []string) ([]zoneRec, string, error) {
	var zones []zoneRec
	seen := map[string]bool{}
	vpc := ""
	for i, id := range subnets {
		if s.opt.Network == nil {
			// Without EC2 the subnets are taken as given, one zone each.
			zones = append(zones, zoneRec{Zone: ctx.Region + string(rune('a'+i%26)), Subnet: id})
			continue
		}
		v, zone, ok, err := s.opt.Network.Subnet(ctx, id)
		if err != nil {
			return nil, "", err
		}
		if !ok {
			return nil, "", elbv2api.ErrSubnetNotFoundException.New("The subnet ID '%s' is not valid", id)
		}
		if vpc != "" && v != vpc {
			return nil, "", elbv2api.ErrInvalidSubnetException.New("Subnets must all be in the same VPC")
		}
		vpc = v
		if seen[zone] {
			return nil, "", elbv2api.ErrInvalidConfigurationRequestException.New("A load balancer cannot be attached to multiple subnets in the same Availability Zone")
		}
		seen[zone] = true
		zones = append(zones, zoneRec{Zone: zone, Subnet: id})
	}
	sort.Slice(zones, func(i, j int) bool { return zones[i].Zone < zones[j].Zone })
	return zones, vpc, nil
}

func (s *ELBv2) checkSecurityGroups(ctx *request.Context, vpc string, sgs []string) ([]string, error) {
	if s.opt.Network == nil {
		return sgs, nil
	}
	if len(sgs) == 0 && vpc != "" {
		def, err := s.opt.Network.DefaultSecurityGroup(ctx, vpc)
		if err != nil {
			return nil, err
		}
		if def != "" {
			return []string{def}, nil
		}
		return nil, nil
	}
	for _, id := range sgs {
		v, ok, err := s.opt.Network.SecurityGroup(ctx, id)
		if err != nil {
			return nil, err
		}
		if !ok || vpc != "" && v != vpc {
			return nil, elbv2api.ErrInvalidSecurityGroupException.New("One or more security groups are invalid")
		}
	}
	return sgs, nil
}

func lbOut(r lbRec) elbv2api.LoadBalancer {
	out := elbv2api.LoadBalancer{
		LoadBalancerArn: ptr.To(r.ARN), DNSName: ptr.To(r.DNSName), CanonicalHostedZoneId: ptr.To(lb.HostedZoneID(r.Region, r.Type)),
		CreatedTime: ptr.To(r.Created), LoadBalancerName: ptr.To(r.Name), Scheme: ptr.To(r.Scheme),
		VpcId: ptr.To(r.VpcID), State: &elbv2api.LoadBalancerState{Code: ptr.To(r.StateCode)}, Type: ptr.To(r.Type),
		IpAddressType: ptr.To(r.IPType), SecurityGroups: r.SGs,
	}
	for _, z := range r.Zones {
		out.AvailabilityZones = append(out.AvailabilityZones, elbv2api.AvailabilityZone{ZoneName: ptr.To(z.Zone), SubnetId: ptr.To(z.Subnet)})
	}
	return out
}

// DescribeLoadBalancers lists load balancers, all or by ARN or name.
func (s *ELBv2) DescribeLoadBalancers(ctx *request.Context, in *elbv2api.DescribeLoadBalancersInput) (*elbv2api.DescribeLoadBalancersOutput, error) {
	if len(in.LoadBalancerArns) > 0 && len(in.Names) > 0 {
		return nil, validationError("Load balancer names and load balancer ARNs cannot be specified at the same time")
	}
	var all []lbRec
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		if len(in.LoadBalancerArns) > 0 {
			for _, a := range in.LoadBalancerArns {
				r, err := getLB(tx, sc, a)
				if err != nil {
					return err
				}
				all = append(all, r)
			}
			return nil
		}
		byName := map[string]lbRec{}
		if err := lbs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v lbRec) bool {
			all = append(all, v)
			byName[v.Name] = v
			return true
		}); err != nil {
			return err
		}
		if len(in.Names) > 0 {
			all = all[:0]
			for _, n := range in.Names {
				r, ok := byName[n]
				if !ok {
					return elbv2api.ErrLoadBalancerNotFoundException.New("Load balancers '[%s]' not found", n)
				}
				all = append(all, r)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	pg, next, err := page(all, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2api.DescribeLoadBalancersOutput{NextMarker: next, LoadBalancers: []elbv2api.LoadBalancer{}}
	for _, r := range pg {
		out.LoadBalancers = append(out.LoadBalancers, lbOut(r))
	}
	return out, nil
}

// DeleteLoadBalancer deletes a load balancer with its listeners and
// rules (refused while deletion protection is on); deleting one that
// does not exist succeeds, as on AWS.
func (s *ELBv2) DeleteLoadBalancer(ctx *request.Context, in *elbv2api.DeleteLoadBalancerInput) (*elbv2api.DeleteLoadBalancerOutput, error) {
	arn := ptr.Deref(in.LoadBalancerArn)
	var closed []listenerRec
	err := s.store.Update(func(tx storage.Tx) error {
		closed = nil
		sc := scope(ctx)
		r, ok, err := lbs.Get(tx, sc, arn)
		if err != nil || !ok {
			return err
		}
		if r.Attrs["deletion_protection.enabled"] == "true" {
			return elbv2api.ErrOperationNotPermittedException.New("Load balancer '%s' cannot be deleted because deletion protection is enabled", arn)
		}
		ls, err := listListeners(tx, sc, arn)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if err := deleteListener(tx, sc, l); err != nil {
				return err
			}
			closed = append(closed, l)
		}
		if err := lbs.Delete(tx, sc, arn); err != nil {
			return err
		}
		return byDNS.Delete(tx, anywhere, r.DNSName)
	})
	if err != nil {
		return nil, err
	}
	for _, l := range closed {
		s.markCerts(ctx, arn, l.Certs, false)
		s.ports.Close(l.ARN)
	}
	return &elbv2api.DeleteLoadBalancerOutput{}, nil
}

// DescribeLoadBalancerAttributes returns every attribute of a load balancer.
func (s *ELBv2) DescribeLoadBalancerAttributes(ctx *request.Context, in *elbv2api.DescribeLoadBalancerAttributesInput) (*elbv2api.DescribeLoadBalancerAttributesOutput, error) {
	var r lbRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getLB(tx, scope(ctx), ptr.Deref(in.LoadBalancerArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.DescribeLoadBalancerAttributesOutput{Attributes: lbAttrList(r.Attrs)}, nil
}

func lbAttrList(m map[string]string) []elbv2api.LoadBalancerAttribute {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := make([]elbv2api.LoadBalancerAttribute, 0, len(keys))
	for _, k := range keys {
		out = append(out, elbv2api.LoadBalancerAttribute{Key: ptr.To(k), Value: ptr.To(m[k])})
	}
	return out
}

// checkAttr validates one attribute value by the shape of its key.
func checkAttr(key, value string) error {
	switch {
	case strings.HasSuffix(key, ".enabled"):
		if value != "true" && value != "false" {
			return validationError("Attribute '%s' value '%s' is not valid: it must be 'true' or 'false'", key, value)
		}
	case key == "idle_timeout.timeout_seconds":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 4000 {
			return validationError("Idle timeout must be an integer between 1 and 4000 seconds")
		}
	case key == "deregistration_delay.timeout_seconds":
		if n, err := strconv.Atoi(value); err != nil || n < 0 || n > 3600 {
			return validationError("Deregistration delay must be an integer between 0 and 3600 seconds")
		}
	case key == "slow_start.duration_seconds":
		if n, err := strconv.Atoi(value); err != nil || n != 0 && (n < 30 || n > 900) {
			return validationError("Slow start duration must be 0 or between 30 and 900 seconds")
		}
	case key == "stickiness.lb_cookie.duration_seconds", key == "stickiness.app_cookie.duration_seconds":
		if n, err := strconv.Atoi(value); err != nil || n < 1 || n > 604800 {
			return validationError("Stickiness duration must be between 1 and 604800 seconds")
		}
	}
	return nil
}

// ModifyLoadBalancerAttributes sets attributes; unknown keys are refused.
// Turning access logs on checks the bucket can be written, as AWS does.
func (s *ELBv2) ModifyLoadBalancerAttributes(ctx *request.Context, in *elbv2api.ModifyLoadBalancerAttributesInput) (*elbv2api.ModifyLoadBalancerAttributesOutput, error) {
	var r lbRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getLB(tx, scope(ctx), ptr.Deref(in.LoadBalancerArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	next := map[string]string{}
	for k, v := range r.Attrs {
		next[k] = v
	}
	for _, a := range in.Attributes {
		k, v := ptr.Deref(a.Key), ptr.Deref(a.Value)
		if _, ok := r.Attrs[k]; !ok {
			return nil, validationError("Load balancer attribute key '%s' is not recognized", k)
		}
		if err := checkAttr(k, v); err != nil {
			return nil, err
		}
		next[k] = v
	}
	if next["access_logs.s3.enabled"] == "true" && (r.Attrs["access_logs.s3.enabled"] != "true" || next["access_logs.s3.bucket"] != r.Attrs["access_logs.s3.bucket"]) {
		if err := s.logs.check(ctx, r, next["access_logs.s3.bucket"], next["access_logs.s3.prefix"]); err != nil {
			return nil, err
		}
	}
	err = s.store.Update(func(tx storage.Tx) error {
		cur, err := getLB(tx, scope(ctx), r.ARN)
		if err != nil {
			return err
		}
		cur.Attrs = next
		return lbs.Put(tx, scope(ctx), cur, cur.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.ModifyLoadBalancerAttributesOutput{Attributes: lbAttrList(next)}, nil
}

// SetSecurityGroups replaces a load balancer's security groups.
func (s *ELBv2) SetSecurityGroups(ctx *request.Context, in *elbv2api.SetSecurityGroupsInput) (*elbv2api.SetSecurityGroupsOutput, error) {
	var r lbRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getLB(tx, scope(ctx), ptr.Deref(in.LoadBalancerArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	if r.Type == "network" && len(r.SGs) == 0 {
		return nil, validationError("You cannot set security groups on a Network Load Balancer which was created without any security groups.")
	}
	sgs, err := s.checkSecurityGroups(ctx, r.VpcID, in.SecurityGroups)
	if err != nil {
		return nil, err
	}
	if len(in.SecurityGroups) == 0 {
		sgs = nil
	}
	err = s.update(ctx, r.ARN, func(r *lbRec) { r.SGs = sgs })
	if err != nil {
		return nil, err
	}
	return &elbv2api.SetSecurityGroupsOutput{SecurityGroupIds: sgs}, nil
}

// SetIpAddressType sets ipv4 or dualstack.
func (s *ELBv2) SetIpAddressType(ctx *request.Context, in *elbv2api.SetIpAddressTypeInput) (*elbv2api.SetIpAddressTypeOutput, error) {
	t := ptr.Deref(in.IpAddressType)
	err := s.update(ctx, ptr.Deref(in.LoadBalancerArn), func(r *lbRec) { r.IPType = t })
	if err != nil {
		return nil, err
	}
	return &elbv2api.SetIpAddressTypeOutput{IpAddressType: in.IpAddressType}, nil
}

// SetSubnets replaces a load balancer's subnets.
func (s *ELBv2) SetSubnets(ctx *request.Context, in *elbv2api.SetSubnetsInput) (*elbv2api.SetSubnetsOutput, error) {
	subnets := append([]string(nil), in.Subnets...)
	for _, m := range in.SubnetMappings {
		subnets = append(subnets, ptr.Deref(m.SubnetId))
	}
	var r lbRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getLB(tx, scope(ctx), ptr.Deref(in.LoadBalancerArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	zones, _, err := s.placeSubnets(ctx, subnets)
	if err != nil {
		return nil, err
	}
	if r.Type == "application" && len(zones) < 2 {
		return nil, validationError("At least two subnets in two different Availability Zones must be specified")
	}
	if err := s.update(ctx, r.ARN, func(r *lbRec) { r.Zones = zones }); err != nil {
		return nil, err
	}
	out := &elbv2api.SetSubnetsOutput{}
	for _, z := range zones {
		out.AvailabilityZones = append(out.AvailabilityZones, elbv2api.AvailabilityZone{ZoneName: ptr.To(z.Zone), SubnetId: ptr.To(z.Subnet)})
	}
	return out, nil
}

func (s *ELBv2) update(ctx *request.Context, arn string, fn func(*lbRec)) error {
	return s.store.Update(func(tx storage.Tx) error {
		r, err := getLB(tx, scope(ctx), arn)
		if err != nil {
			return err
		}
		fn(&r)
		return lbs.Put(tx, scope(ctx), r, arn)
	})
}
