package elbv2

import (
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/lb"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

var tgNameRE = lazyre.New(`^[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,30}[a-zA-Z0-9])?$`)

func isHTTP(protocol string) bool { return protocol == "HTTP" || protocol == "HTTPS" }

func tgAttrDefaults(r tgRec) map[string]string {
	if r.TargetType == "lambda" {
		return map[string]string{"lambda.multi_value_headers.enabled": "false"}
	}
	m := map[string]string{
		"deregistration_delay.timeout_seconds": "300",
		"stickiness.enabled":                   "false",
	}
	if isHTTP(r.Protocol) {
		m["stickiness.type"] = "lb_cookie"
		m["stickiness.lb_cookie.duration_seconds"] = "86400"
		m["stickiness.app_cookie.cookie_name"] = ""
		m["stickiness.app_cookie.duration_seconds"] = "86400"
		m["slow_start.duration_seconds"] = "0"
		m["load_balancing.algorithm.type"] = "round_robin"
		m["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration"
		return m
	}
	m["stickiness.type"] = "source_ip"
	m["proxy_protocol_v2.enabled"] = "false"
	m["preserve_client_ip.enabled"] = strconv.FormatBool(r.TargetType == "instance")
	m["deregistration_delay.connection_termination.enabled"] = "false"
	m["load_balancing.cross_zone.enabled"] = "use_load_balancer_configuration"
	return m
}

// CreateTargetGroup creates a target group with AWS's health-check
// defaults for its protocol and target type.
func (s *ELBv2) CreateTargetGroup(ctx *request.Context, in *elbv2api.CreateTargetGroupInput) (*elbv2api.CreateTargetGroupOutput, error) {
	name := ptr.Deref(in.Name)
	if !tgNameRE.MatchString(name) {
		return nil, validationError("Target group name '%s' can only contain characters that are alphanumeric characters or hyphens(-), must not begin or end with a hyphen and must be at most 32 characters", name)
	}
	r := tgRec{Name: name, Protocol: ptr.Deref(in.Protocol), Port: ptr.Deref(in.Port), VpcID: ptr.Deref(in.VpcId),
		TargetType: ptr.Deref(in.TargetType), IPType: ptr.Deref(in.IpAddressType), ProtocolVersion: ptr.Deref(in.ProtocolVersion), Tags: in.Tags}
	if r.TargetType == "" {
		r.TargetType = "instance"
	}
	switch r.TargetType {
	case "lambda":
		if r.Protocol != "" || in.Port != nil || r.VpcID != "" {
			return nil, validationError("Protocol, port, and VPC ID cannot be specified for target groups with target type 'lambda'")
		}
		r.HCEnabled = in.HealthCheckEnabled != nil && *in.HealthCheckEnabled
		r.HCProtocol, r.HCPath, r.HCInterval, r.HCTimeout, r.Healthy, r.Unhealthy, r.Matcher = "", "/", 35, 30, 5, 2, "200"
	case "alb":
		return nil, validationError("niwa does not support target type 'alb' (an Application Load Balancer behind a Network Load Balancer)")
	default:
		if r.Protocol == "" {
			return nil, validationError("A protocol must be specified")
		}
		if in.Port == nil {
			return nil, validationError("A port must be specified")
		}
		if r.VpcID == "" {
			return nil, validationError("A VPC ID must be specified")
		}
		if r.Protocol == "UDP" || r.Protocol == "TCP_UDP" {
			return nil, validationError("niwa does not support %s target groups: load balancers in niwa carry TCP and HTTP only", r.Protocol)
		}
		if r.Protocol == "GENEVE" {
			return nil, validationError("niwa does not support GENEVE target groups (gateway load balancers)")
		}
		r.HCEnabled = in.HealthCheckEnabled == nil || *in.HealthCheckEnabled
		r.HCPort = "traffic-port"
		if isHTTP(r.Protocol) {
			r.HCProtocol, r.HCPath, r.HCInterval, r.HCTimeout, r.Healthy, r.Unhealthy, r.Matcher = r.Protocol, "/", 30, 5, 5, 2, "200"
			if r.ProtocolVersion == "" {
				r.ProtocolVersion = "HTTP1"
			}
		} else {
			r.HCProtocol, r.HCInterval, r.HCTimeout, r.Healthy, r.Unhealthy = "TCP", 30, 10, 5, 2
		}
	}
	if r.IPType == "" && r.TargetType != "lambda" {
		r.IPType = "ipv4"
	}
	if v := ptr.Deref(in.HealthCheckProtocol); v != "" {
		r.HCProtocol = v
	}
	if isHTTP(r.HCProtocol) && r.HCPath == "" {
		r.HCPath = "/"
		if r.Matcher == "" {
			r.Matcher = "200-399"
		}
	}
	if err := applyHC(&r, in.HealthCheckPort, in.HealthCheckPath, in.HealthCheckIntervalSeconds, in.HealthCheckTimeoutSeconds,
		in.HealthyThresholdCount, in.UnhealthyThresholdCount, in.Matcher); err != nil {
		return nil, err
	}
	r.Attrs = tgAttrDefaults(r)
	var out tgRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		var existing *tgRec
		n := 0
		if err := tgs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v tgRec) bool {
			n++
			if v.Name == name {
				existing = &v
			}
			return true
		}); err != nil {
			return err
		}
		if existing != nil {
			if existing.Protocol == r.Protocol && existing.Port == r.Port && existing.VpcID == r.VpcID && existing.TargetType == r.TargetType {
				out = *existing
				return nil
			}
			return elbv2api.ErrDuplicateTargetGroupNameException.New("A target group with the same name '%s' exists, but with different settings", name)
		}
		if n >= maxTargetGroups {
			return elbv2api.ErrTooManyTargetGroupsException.New("The maximum number of target groups has been reached")
		}
		r.ARN = arnPrefix(ctx) + "targetgroup/" + name + "/" + newID()
		out = r
		if err := tgs.Put(tx, sc, r, r.ARN); err != nil {
			return err
		}
		return tgIndex.Put(tx, anywhere, indexRec{Account: ctx.Account, Region: ctx.Region, ARN: r.ARN}, ctx.Account, ctx.Region, r.ARN)
	})
	if err != nil {
		return nil, err
	}
	s.ticker.Start() // its health checks
	return &elbv2api.CreateTargetGroupOutput{TargetGroups: []elbv2api.TargetGroup{tgOut(out, nil)}}, nil
}

// applyHC applies and checks health-check settings.
func applyHC(r *tgRec, port, path *string, interval, timeout, healthy, unhealthy *int32, m *elbv2api.Matcher) error {
	if port != nil {
		p := *port
		if p != "traffic-port" {
			n, err := strconv.Atoi(p)
			if err != nil || n < 1 || n > 65535 {
				return validationError("Health check port '%s' must be 'traffic-port' or an integer between 1 and 65535", p)
			}
		}
		r.HCPort = p
	}
	if path != nil {
		if !isHTTP(r.HCProtocol) && r.TargetType != "lambda" {
			return validationError("Health check path cannot be specified for TCP health checks")
		}
		if !strings.HasPrefix(*path, "/") {
			return validationError("Health check path must begin with a '/' character")
		}
		r.HCPath = *path
	}
	if interval != nil {
		r.HCInterval = *interval
	}
	if timeout != nil {
		r.HCTimeout = *timeout
	}
	if healthy != nil {
		r.Healthy = *healthy
	}
	if unhealthy != nil {
		r.Unhealthy = *unhealthy
	}
	if r.HCTimeout >= r.HCInterval {
		return validationError("Health check timeout '%d' must be smaller than the interval '%d'", r.HCTimeout, r.HCInterval)
	}
	if m != nil {
		if code := ptr.Deref(m.HttpCode); code != "" {
			if !lb.ValidMatcher(code, 200, 599) {
				return validationError("Health check matcher HTTP code '%s' must be a value between 200 and 499, a list or a range of them", code)
			}
			r.Matcher = code
		}
		if g := ptr.Deref(m.GrpcCode); g != "" {
			r.GrpcMatcher = g
		}
	}
	return nil
}

func tgOut(r tgRec, lbArns []string) elbv2api.TargetGroup {
	out := elbv2api.TargetGroup{
		TargetGroupArn: ptr.To(r.ARN), TargetGroupName: ptr.To(r.Name), TargetType: ptr.To(r.TargetType),
		HealthCheckEnabled: ptr.To(r.HCEnabled), HealthCheckIntervalSeconds: ptr.To(r.HCInterval),
		HealthCheckTimeoutSeconds: ptr.To(r.HCTimeout), HealthyThresholdCount: ptr.To(r.Healthy),
		UnhealthyThresholdCount: ptr.To(r.Unhealthy), LoadBalancerArns: lbArns,
	}
	if lbArns == nil {
		out.LoadBalancerArns = []string{}
	}
	if r.TargetType != "lambda" {
		out.Protocol, out.Port, out.VpcId = ptr.To(r.Protocol), ptr.To(r.Port), ptr.To(r.VpcID)
		out.HealthCheckProtocol, out.HealthCheckPort = ptr.To(r.HCProtocol), ptr.To(r.HCPort)
		out.IpAddressType = ptr.To(r.IPType)
	}
	if r.ProtocolVersion != "" {
		out.ProtocolVersion = ptr.To(r.ProtocolVersion)
	}
	if r.HCPath != "" && (isHTTP(r.HCProtocol) || r.TargetType == "lambda") {
		out.HealthCheckPath = ptr.To(r.HCPath)
	}
	if r.Matcher != "" && (isHTTP(r.HCProtocol) || r.TargetType == "lambda") {
		out.Matcher = &elbv2api.Matcher{HttpCode: ptr.To(r.Matcher)}
	}
	return out
}

// tgUsers maps each target group of a scope to the load balancers whose
// listeners or rules forward to it.
func tgUsers(tx storage.Tx, sc storage.Scope) (map[string][]string, error) {
	users := map[string]map[string]bool{}
	add := func(lbARN string, actions []elbv2api.Action) {
		for _, tg := range forwardTargets(actions) {
			if users[tg] == nil {
				users[tg] = map[string]bool{}
			}
			users[tg][lbARN] = true
		}
	}
	var err error
	if e := listeners.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, l listenerRec) bool {
		add(l.LB, l.Default)
		return true
	}); e != nil {
		return nil, e
	}
	if e := rules.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, r ruleRec) bool {
		lbARN, _ := listenerLB(r.Listener)
		add(lbARN, r.Actions)
		return true
	}); e != nil {
		return nil, e
	}
	out := map[string][]string{}
	for tg, set := range users {
		for a := range set {
			out[tg] = append(out[tg], a)
		}
		sort.Strings(out[tg])
	}
	return out, err
}

// forwardTargets are the target groups forward actions name.
func forwardTargets(actions []elbv2api.Action) []string {
	var out []string
	for _, a := range actions {
		if ptr.Deref(a.Type) != "forward" {
			continue
		}
		if t := ptr.Deref(a.TargetGroupArn); t != "" {
			out = append(out, t)
		}
		if a.ForwardConfig != nil {
			for _, t := range a.ForwardConfig.TargetGroups {
				if v := ptr.Deref(t.TargetGroupArn); v != "" {
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// DescribeTargetGroups lists target groups, all, by ARN, by name or by
// load balancer.
func (s *ELBv2) DescribeTargetGroups(ctx *request.Context, in *elbv2api.DescribeTargetGroupsInput) (*elbv2api.DescribeTargetGroupsOutput, error) {
	var all []tgRec
	var users map[string][]string
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		var err error
		if users, err = tgUsers(tx, sc); err != nil {
			return err
		}
		if len(in.TargetGroupArns) > 0 {
			for _, a := range in.TargetGroupArns {
				r, err := getTG(tx, sc, a)
				if err != nil {
					return err
				}
				all = append(all, r)
			}
			return nil
		}
		if lbARN := ptr.Deref(in.LoadBalancerArn); lbARN != "" {
			if _, err := getLB(tx, sc, lbARN); err != nil {
				return err
			}
		}
		byName := map[string]tgRec{}
		if err := tgs.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, v tgRec) bool {
			if lbARN := ptr.Deref(in.LoadBalancerArn); lbARN != "" && !contains(users[v.ARN], lbARN) {
				return true
			}
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
					return elbv2api.ErrTargetGroupNotFoundException.New("Target groups '[%s]' not found", n)
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
	out := &elbv2api.DescribeTargetGroupsOutput{NextMarker: next, TargetGroups: []elbv2api.TargetGroup{}}
	for _, r := range pg {
		out.TargetGroups = append(out.TargetGroups, tgOut(r, users[r.ARN]))
	}
	return out, nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ModifyTargetGroup changes a target group's health check.
func (s *ELBv2) ModifyTargetGroup(ctx *request.Context, in *elbv2api.ModifyTargetGroupInput) (*elbv2api.ModifyTargetGroupOutput, error) {
	var out tgRec
	var users []string
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		r, err := getTG(tx, sc, ptr.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		if v := ptr.Deref(in.HealthCheckProtocol); v != "" {
			if r.TargetType == "lambda" || isHTTP(r.Protocol) && !isHTTP(v) {
				return validationError("Health check protocol '%s' is not supported for this target group", v)
			}
			r.HCProtocol = v
			if isHTTP(v) && r.HCPath == "" {
				r.HCPath = "/"
			}
		}
		if in.HealthCheckEnabled != nil {
			r.HCEnabled = *in.HealthCheckEnabled
		}
		if err := applyHC(&r, in.HealthCheckPort, in.HealthCheckPath, in.HealthCheckIntervalSeconds, in.HealthCheckTimeoutSeconds,
			in.HealthyThresholdCount, in.UnhealthyThresholdCount, in.Matcher); err != nil {
			return err
		}
		out = r
		u, err := tgUsers(tx, sc)
		if err != nil {
			return err
		}
		users = u[r.ARN]
		return tgs.Put(tx, sc, r, r.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.ModifyTargetGroupOutput{TargetGroups: []elbv2api.TargetGroup{tgOut(out, users)}}, nil
}

// DeleteTargetGroup deletes a target group no listener or rule uses.
func (s *ELBv2) DeleteTargetGroup(ctx *request.Context, in *elbv2api.DeleteTargetGroupInput) (*elbv2api.DeleteTargetGroupOutput, error) {
	arn := ptr.Deref(in.TargetGroupArn)
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		if _, ok, err := tgs.Get(tx, sc, arn); err != nil || !ok {
			return err
		}
		users, err := tgUsers(tx, sc)
		if err != nil {
			return err
		}
		if len(users[arn]) > 0 {
			return elbv2api.ErrResourceInUseException.New("Target group '%s' is currently in use by a listener or a rule", arn)
		}
		if err := storage.DeletePrefix(tx, targets.Key(sc, arn)); err != nil {
			return err
		}
		if err := tgs.Delete(tx, sc, arn); err != nil {
			return err
		}
		return tgIndex.Delete(tx, anywhere, ctx.Account, ctx.Region, arn)
	})
	if err != nil {
		return nil, err
	}
	s.rr.Forget(arn)
	return &elbv2api.DeleteTargetGroupOutput{}, nil
}

// DescribeTargetGroupAttributes returns a target group's attributes.
func (s *ELBv2) DescribeTargetGroupAttributes(ctx *request.Context, in *elbv2api.DescribeTargetGroupAttributesInput) (*elbv2api.DescribeTargetGroupAttributesOutput, error) {
	var r tgRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		r, err = getTG(tx, scope(ctx), ptr.Deref(in.TargetGroupArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.DescribeTargetGroupAttributesOutput{Attributes: tgAttrList(r.Attrs)}, nil
}

func tgAttrList(m map[string]string) []elbv2api.TargetGroupAttribute {
	var out []elbv2api.TargetGroupAttribute
	for _, a := range lbAttrList(m) {
		out = append(out, elbv2api.TargetGroupAttribute(a))
	}
	return out
}

// ModifyTargetGroupAttributes sets target group attributes.
func (s *ELBv2) ModifyTargetGroupAttributes(ctx *request.Context, in *elbv2api.ModifyTargetGroupAttributesInput) (*elbv2api.ModifyTargetGroupAttributesOutput, error) {
	var out map[string]string
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		r, err := getTG(tx, sc, ptr.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		next := map[string]string{}
		for k, v := range r.Attrs {
			next[k] = v
		}
		for _, a := range in.Attributes {
			k, v := ptr.Deref(a.Key), ptr.Deref(a.Value)
			if _, ok := r.Attrs[k]; !ok {
				return validationError("Target group attribute key '%s' is not recognized", k)
			}
			if err := checkAttr(k, v); err != nil {
				return err
			}
			if k == "stickiness.type" && v != "lb_cookie" && v != "app_cookie" && v != "source_ip" {
				return validationError("Stickiness type '%s' is not valid", v)
			}
			next[k] = v
		}
		r.Attrs, out = next, next
		return tgs.Put(tx, sc, r, r.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.ModifyTargetGroupAttributesOutput{Attributes: tgAttrList(out)}, nil
}

// RegisterTargets registers targets: instances, IP addresses (127.0.0.0/8
// stands for services on the machine running niwa) or one Lambda function.
func (s *ELBv2) RegisterTargets(ctx *request.Context, in *elbv2api.RegisterTargetsInput) (*elbv2api.RegisterTargetsOutput, error) {
	if len(in.Targets) == 0 {
		return nil, validationError("At least one target must be specified")
	}
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		r, err := getTG(tx, sc, ptr.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		existing, err := listTargets(tx, sc, r.ARN)
		if err != nil {
			return err
		}
		n := len(existing)
		for _, t := range in.Targets {
			id := ptr.Deref(t.Id)
			port := ptr.Deref(t.Port)
			switch r.TargetType {
			case "lambda":
				if in.Targets[0].Port != nil {
					return validationError("A port cannot be specified for Lambda targets")
				}
				if len(in.Targets) > 1 || len(existing) > 0 && existing[0].ID != id {
					return elbv2api.ErrTooManyTargetsException.New("You've reached the limit on the number of targets per target group (1 for Lambda)")
				}
				if !strings.HasPrefix(id, "arn:aws:lambda:") {
					return elbv2api.ErrInvalidTargetException.New("The target '%s' is not a valid Lambda function ARN", id)
				}
			case "ip":
				a, err := netip.ParseAddr(id)
				if err != nil {
					return elbv2api.ErrInvalidTargetException.New("The IP address '%s' is not a valid IPv4 address", id)
				}
				if a.IsUnspecified() || a.IsMulticast() {
					return elbv2api.ErrInvalidTargetException.New("The IP address '%s' is not within the allowed ranges", id)
				}
			default:
				if !strings.HasPrefix(id, "i-") {
					return elbv2api.ErrInvalidTargetException.New("The following targets are not valid instances: '%s'", id)
				}
			}
			if r.TargetType != "lambda" {
				if port == 0 {
					port = r.Port
				}
				if port < 1 || port > 65535 {
					return validationError("Port must be between 1 and 65535")
				}
			}
			key := targetKey(id, port)
			cur, found, err := targets.Get(tx, sc, r.ARN, key)
			if err != nil {
				return err
			}
			if found && cur.DrainUntil.IsZero() {
				continue // registering a registered target changes nothing
			}
			if !found {
				n++
			}
			if n > maxTargetsPerGroup {
				return elbv2api.ErrTooManyTargetsException.New("You've reached the limit on the number of targets per target group")
			}
			rec := targetRec{ID: id, Port: port, AZ: ptr.Deref(t.AvailabilityZone), Health: lb.Registered(), Registered: ctx.Now()}
			if err := targets.Put(tx, sc, rec, r.ARN, key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.RegisterTargetsOutput{}, nil
}

// DeregisterTargets starts draining targets: they leave the group when
// the deregistration delay has passed on the clock (at once when the
// group is not in use or the delay is 0).
func (s *ELBv2) DeregisterTargets(ctx *request.Context, in *elbv2api.DeregisterTargetsInput) (*elbv2api.DeregisterTargetsOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		r, err := getTG(tx, sc, ptr.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		users, err := tgUsers(tx, sc)
		if err != nil {
			return err
		}
		delay, _ := strconv.Atoi(r.Attrs["deregistration_delay.timeout_seconds"])
		for _, t := range in.Targets {
			port := ptr.Deref(t.Port)
			if port == 0 {
				port = r.Port
			}
			key := targetKey(ptr.Deref(t.Id), port)
			if r.TargetType == "lambda" {
				key = targetKey(ptr.Deref(t.Id), 0)
			}
			cur, found, err := targets.Get(tx, sc, r.ARN, key)
			if err != nil {
				return err
			}
			if !found {
				return elbv2api.ErrInvalidTargetException.New("The target '%s' is not registered to the target group", ptr.Deref(t.Id))
			}
			if len(users[r.ARN]) == 0 || delay == 0 || r.TargetType == "lambda" {
				if err := targets.Delete(tx, sc, r.ARN, key); err != nil {
					return err
				}
				continue
			}
			if cur.DrainUntil.IsZero() {
				cur.DrainUntil = ctx.Now().Add(time.Duration(delay) * time.Second)
			}
			if err := targets.Put(tx, sc, cur, r.ARN, key); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// No new request goes to them: their idle connections close.
	s.fwd.CloseIdle()
	return &elbv2api.DeregisterTargetsOutput{}, nil
}

// reported is the health DescribeTargetHealth shows for a target.
func reported(r tgRec, t targetRec, inUse bool) lb.Health {
	switch {
	case !t.DrainUntil.IsZero():
		return lb.Health{State: lb.StateDraining, Reason: lb.ReasonDeregistrationInProgress, Description: lb.DescDeregistrationInProgress}
	case !inUse:
		return lb.Health{State: lb.StateUnused, Reason: lb.ReasonNotInUse, Description: lb.DescNotInUse}
	case !r.HCEnabled:
		return lb.Health{State: lb.StateUnavailable, Reason: lb.ReasonHealthCheckDisabled, Description: lb.DescHealthCheckDisabled}
	}
	return t.Health
}

// DescribeTargetHealth reports each target's state and reason.
func (s *ELBv2) DescribeTargetHealth(ctx *request.Context, in *elbv2api.DescribeTargetHealthInput) (*elbv2api.DescribeTargetHealthOutput, error) {
	out := &elbv2api.DescribeTargetHealthOutput{TargetHealthDescriptions: []elbv2api.TargetHealthDescription{}}
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		r, err := getTG(tx, sc, ptr.Deref(in.TargetGroupArn))
		if err != nil {
			return err
		}
		users, err := tgUsers(tx, sc)
		if err != nil {
			return err
		}
		inUse := len(users[r.ARN]) > 0
		all, err := listTargets(tx, sc, r.ARN)
		if err != nil {
			return err
		}
		byKey := map[string]targetRec{}
		for _, t := range all {
			byKey[targetKey(t.ID, t.Port)] = t
		}
		describe := func(t targetRec) {
			h := reported(r, t, inUse)
			th := &elbv2api.TargetHealth{State: ptr.To(h.State)}
			if h.Reason != "" {
				th.Reason, th.Description = ptr.To(h.Reason), ptr.To(h.Description)
			}
			d := elbv2api.TargetHealthDescription{Target: &elbv2api.TargetDescription{Id: ptr.To(t.ID)}, TargetHealth: th}
			if r.TargetType != "lambda" {
				d.Target.Port = ptr.To(t.Port)
				hp := r.HCPort
				if hp == "traffic-port" || hp == "" {
					hp = itoa(t.Port)
				}
				d.HealthCheckPort = ptr.To(hp)
			}
			if t.AZ != "" {
				d.Target.AvailabilityZone = ptr.To(t.AZ)
			}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
		}
		if len(in.Targets) == 0 {
			sort.Slice(all, func(i, j int) bool { return targetKey(all[i].ID, all[i].Port) < targetKey(all[j].ID, all[j].Port) })
			for _, t := range all {
				describe(t)
			}
			return nil
		}
		for _, want := range in.Targets {
			port := ptr.Deref(want.Port)
			if port == 0 {
				port = r.Port
			}
			if t, ok := byKey[targetKey(ptr.Deref(want.Id), port)]; ok {
				describe(t)
				continue
			}
			if r.TargetType != "lambda" && !strings.HasPrefix(ptr.Deref(want.Id), "i-") {
				if _, err := netip.ParseAddr(ptr.Deref(want.Id)); err != nil {
					return elbv2api.ErrInvalidTargetException.New("The target '%s' is not valid", ptr.Deref(want.Id))
				}
			}
			d := elbv2api.TargetHealthDescription{Target: &elbv2api.TargetDescription{Id: want.Id, Port: ptr.To(port)},
				TargetHealth: &elbv2api.TargetHealth{State: ptr.To(lb.StateUnused), Reason: ptr.To(lb.ReasonNotRegistered), Description: ptr.To("Target is not registered to the target group")}}
			out.TargetHealthDescriptions = append(out.TargetHealthDescriptions, d)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
