package elbv2

import (
	"net"
	"strconv"
	"strings"

	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

const defaultSSLPolicy = "ELBSecurityPolicy-2016-08"

// checkProtocol checks a listener protocol against the load balancer type.
func checkProtocol(typ, protocol string) error {
	switch protocol {
	case "UDP", "TCP_UDP":
		return elbv2api.ErrUnsupportedProtocolException.New("niwa does not support %s listeners: its load balancers carry TCP and HTTP only", protocol)
	case "GENEVE":
		return elbv2api.ErrUnsupportedProtocolException.New("niwa does not support GENEVE listeners (gateway load balancers)")
	}
	if typ == "network" && !(protocol == "TCP" || protocol == "TLS") || typ == "application" && !isHTTP(protocol) {
		return elbv2api.ErrUnsupportedProtocolException.New("Protocol '%s' is not supported by %s load balancers", protocol, typ)
	}
	return nil
}

// checkListener validates a listener's protocol, certificates and policy.
func (s *ELBv2) checkListener(ctx *request.Context, r lbRec, protocol, policy string, certs []elbv2api.Certificate) error {
	if err := checkProtocol(r.Type, protocol); err != nil {
		return err
	}
	secure := protocol == "HTTPS" || protocol == "TLS"
	if !secure {
		if len(certs) > 0 {
			return validationError("Certificates can be specified only for HTTPS and TLS listeners")
		}
		if policy != "" {
			return validationError("An SSL policy can be specified only for HTTPS and TLS listeners")
		}
		return nil
	}
	if len(certs) == 0 {
		return validationError("A certificate must be specified for %s listeners", protocol)
	}
	if len(certs) > 1 {
		return validationError("Only one default certificate can be specified; add more with AddListenerCertificates")
	}
	if policy != "" && !knownPolicy(policy) {
		return elbv2api.ErrSSLPolicyNotFoundException.New("SSL policy '%s' not found", policy)
	}
	return s.checkCerts(ctx, certs)
}

func (s *ELBv2) checkCerts(ctx *request.Context, certs []elbv2api.Certificate) error {
	for _, c := range certs {
		arn := ptr.Deref(c.CertificateArn)
		if !strings.HasPrefix(arn, "arn:aws:acm:") && !strings.HasPrefix(arn, "arn:aws:iam:") {
			return elbv2api.ErrCertificateNotFoundException.New("Certificate '%s' not found", arn)
		}
		if s.opt.Certificates == nil || !strings.HasPrefix(arn, "arn:aws:acm:") {
			continue
		}
		ok, err := s.opt.Certificates.Exists(ctx, arn)
		if err != nil {
			return err
		}
		if !ok {
			return elbv2api.ErrCertificateNotFoundException.New("Certificate '%s' not found", arn)
		}
	}
	return nil
}

// checkActions validates a rule's (or default) actions.
func checkActions(tx storage.Tx, sc storage.Scope, r lbRec, protocol string, actions []elbv2api.Action, isDefault bool) error {
	if len(actions) == 0 {
		return validationError("At least one action must be specified")
	}
	terminal := 0
	for _, a := range actions {
		t := ptr.Deref(a.Type)
		switch t {
		case "authenticate-oidc", "authenticate-cognito":
			return elbv2api.ErrInvalidLoadBalancerActionException.New("niwa does not support %s actions: it has no identity provider to send users to", t)
		case "forward":
			terminal++
			if a.TargetGroupArn == nil && a.ForwardConfig == nil {
				return validationError("A target group ARN must be specified for forward actions")
			}
			if a.ForwardConfig != nil {
				if n := len(a.ForwardConfig.TargetGroups); n == 0 || n > 5 {
					return validationError("A forward action must name between 1 and 5 target groups")
				}
				if r.Type == "network" && len(a.ForwardConfig.TargetGroups) > 1 {
					return elbv2api.ErrInvalidLoadBalancerActionException.New("Network Load Balancers forward to one target group only")
				}
				for _, tt := range a.ForwardConfig.TargetGroups {
					if w := ptr.Deref(tt.Weight); w < 0 || w > 999 {
						return validationError("Target group weight must be between 0 and 999")
					}
				}
			}
			for _, arn := range forwardTargets([]elbv2api.Action{a}) {
				tg, err := getTG(tx, sc, arn)
				if err != nil {
					return err
				}
				if r.Type == "application" && !(isHTTP(tg.Protocol) || tg.TargetType == "lambda") ||
					r.Type == "network" && (isHTTP(tg.Protocol) || tg.TargetType == "lambda") {
					return elbv2api.ErrIncompatibleProtocolsException.New("The protocol of target group '%s' is not compatible with a %s load balancer", tg.Name, r.Type)
				}
				if tg.VpcID != "" && r.VpcID != "" && tg.VpcID != r.VpcID {
					return validationError("Target group '%s' is in a different VPC from the load balancer", tg.Name)
				}
			}
		case "redirect":
			terminal++
			if r.Type != "application" {
				return elbv2api.ErrInvalidLoadBalancerActionException.New("Redirect actions are supported only by Application Load Balancers")
			}
			c := a.RedirectConfig
			if c == nil {
				return validationError("A redirect configuration must be specified for redirect actions")
			}
			if sc := ptr.Deref(c.StatusCode); sc != "HTTP_301" && sc != "HTTP_302" {
				return validationError("Redirect status code must be 'HTTP_301' or 'HTTP_302'")
			}
			if p := ptr.Deref(c.Protocol); p != "" && p != "#{protocol}" && p != "HTTP" && p != "HTTPS" {
				return validationError("Redirect protocol must be 'HTTP', 'HTTPS' or '#{protocol}'")
			}
		case "fixed-response":
			terminal++
			if r.Type != "application" {
				return elbv2api.ErrInvalidLoadBalancerActionException.New("Fixed-response actions are supported only by Application Load Balancers")
			}
			c := a.FixedResponseConfig
			if c == nil {
				return validationError("A fixed-response configuration must be specified for fixed-response actions")
			}
			code, err := strconv.Atoi(ptr.Deref(c.StatusCode))
			if err != nil || code < 200 || code > 599 || code >= 300 && code < 400 {
				return validationError("Fixed response status code must be 2XX, 4XX or 5XX")
			}
			if len(ptr.Deref(c.MessageBody)) > 1024 {
				return validationError("Fixed response message body must be at most 1024 characters")
			}
		default:
			return validationError("Action type '%s' must be one of '[redirect, fixed-response, forward, authenticate-cognito, authenticate-oidc]'", t)
		}
	}
	if terminal != 1 {
		return elbv2api.ErrInvalidLoadBalancerActionException.New("Exactly one of forward, redirect or fixed-response must be specified")
	}
	_ = protocol
	_ = isDefault
	return nil
}

// CreateListener creates a listener with its default rule and opens a
// port for it on the machine (reported by /_niwa/elb/listeners).
func (s *ELBv2) CreateListener(ctx *request.Context, in *elbv2api.CreateListenerInput) (*elbv2api.CreateListenerOutput, error) {
	var out listenerRec
	var lbr lbRec
	existed := false
	protocol := ptr.Deref(in.Protocol)
	port := ptr.Deref(in.Port)
	err := s.store.View(func(tx storage.Tx) (err error) {
		lbr, err = getLB(tx, scope(ctx), ptr.Deref(in.LoadBalancerArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	if protocol == "" {
		if lbr.Type == "network" {
			protocol = "TCP"
		} else {
			protocol = "HTTP"
		}
	}
	if port < 1 || port > 65535 {
		return nil, validationError("A listener port must be specified between 1 and 65535")
	}
	if err := s.checkListener(ctx, lbr, protocol, ptr.Deref(in.SslPolicy), in.Certificates); err != nil {
		return nil, err
	}
	err = s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		ls, err := listListeners(tx, sc, lbr.ARN)
		if err != nil {
			return err
		}
		for _, l := range ls {
			if l.Port == port {
				if l.Protocol == protocol {
					out, existed = l, true
					return nil
				}
				return elbv2api.ErrDuplicateListenerException.New("A listener already exists on this port for this load balancer '%s'", lbr.ARN)
			}
		}
		if len(ls) >= maxListeners {
			return elbv2api.ErrTooManyListenersException.New("You've reached the limit on the number of listeners per load balancer")
		}
		if err := checkActions(tx, sc, lbr, protocol, in.DefaultActions, true); err != nil {
			return err
		}
		id := newID()
		out = listenerRec{ARN: arnPrefix(ctx) + "listener/" + typeSegment(lbr.Type) + "/" + lbr.Name + "/" + lbr.ID + "/" + id,
			LB: lbr.ARN, Port: port, Protocol: protocol, Certs: in.Certificates, Default: in.DefaultActions, Alpn: in.AlpnPolicy, Tags: in.Tags}
		if protocol == "HTTPS" || protocol == "TLS" {
			out.SSL = ptr.Deref(in.SslPolicy)
			if out.SSL == "" {
				out.SSL = defaultSSLPolicy
			}
			for i := range out.Certs {
				out.Certs[i].IsDefault = nil
			}
		}
		if err := listeners.Put(tx, sc, out, lbr.ARN, out.ARN); err != nil {
			return err
		}
		def := ruleRec{ARN: ruleARN(out.ARN), Listener: out.ARN, Actions: in.DefaultActions}
		if err := rules.Put(tx, sc, def, out.ARN, def.ARN); err != nil {
			return err
		}
		return lisIndex.Put(tx, anywhere, indexRec{Account: ctx.Account, Region: ctx.Region, ARN: out.ARN}, ctx.Account, ctx.Region, out.ARN)
	})
	if err != nil {
		return nil, err
	}
	if !existed {
		s.markCerts(ctx, lbr.ARN, out.Certs, true)
		s.openListener(ctx.Account, ctx.Region, out)
	}
	return &elbv2api.CreateListenerOutput{Listeners: []elbv2api.Listener{listenerOut(out)}}, nil
}

// ruleARN makes a rule ARN under a listener.
func ruleARN(listenerARN string) string {
	return strings.Replace(listenerARN, ":listener/", ":listener-rule/", 1) + "/" + newID()
}

func listenerOut(l listenerRec) elbv2api.Listener {
	out := elbv2api.Listener{ListenerArn: ptr.To(l.ARN), LoadBalancerArn: ptr.To(l.LB), Port: ptr.To(l.Port),
		Protocol: ptr.To(l.Protocol), Certificates: l.Certs, DefaultActions: l.Default, AlpnPolicy: l.Alpn}
	if l.SSL != "" {
		out.SslPolicy = ptr.To(l.SSL)
	}
	return out
}

func deleteListener(tx storage.Tx, sc storage.Scope, l listenerRec) error {
	if err := storage.DeletePrefix(tx, rules.Key(sc, l.ARN)); err != nil {
		return err
	}
	if err := listeners.Delete(tx, sc, l.LB, l.ARN); err != nil {
		return err
	}
	return lisIndex.Delete(tx, anywhere, sc.Account, sc.Region, l.ARN)
}

// DescribeListeners lists a load balancer's listeners or the ones named.
func (s *ELBv2) DescribeListeners(ctx *request.Context, in *elbv2api.DescribeListenersInput) (*elbv2api.DescribeListenersOutput, error) {
	lbARN := ptr.Deref(in.LoadBalancerArn)
	if lbARN == "" && len(in.ListenerArns) == 0 {
		return nil, validationError("You must specify either listener ARNs or a load balancer ARN")
	}
	if lbARN != "" && len(in.ListenerArns) > 0 {
		return nil, validationError("Listener ARNs and a load balancer ARN cannot be specified at the same time")
	}
	var all []listenerRec
	err := s.store.View(func(tx storage.Tx) error {
		sc := scope(ctx)
		if lbARN != "" {
			if _, err := getLB(tx, sc, lbARN); err != nil {
				return err
			}
			var err error
			all, err = listListeners(tx, sc, lbARN)
			return err
		}
		for _, a := range in.ListenerArns {
			l, err := findListener(tx, sc, a)
			if err != nil {
				return err
			}
			all = append(all, l)
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
	out := &elbv2api.DescribeListenersOutput{NextMarker: next, Listeners: []elbv2api.Listener{}}
	for _, l := range pg {
		out.Listeners = append(out.Listeners, listenerOut(l))
	}
	return out, nil
}

// ModifyListener changes a listener's port, protocol, policy,
// certificate or default actions.
func (s *ELBv2) ModifyListener(ctx *request.Context, in *elbv2api.ModifyListenerInput) (*elbv2api.ModifyListenerOutput, error) {
	var out, before listenerRec
	err := s.store.Update(func(tx storage.Tx) error {
		sc := scope(ctx)
		l, err := findListener(tx, sc, ptr.Deref(in.ListenerArn))
		if err != nil {
			return err
		}
		before = l
		lbr, err := getLB(tx, sc, l.LB)
		if err != nil {
			return err
		}
		if in.Port != nil && *in.Port != l.Port {
			ls, err := listListeners(tx, sc, l.LB)
			if err != nil {
				return err
			}
			for _, o := range ls {
				if o.Port == *in.Port {
					return elbv2api.ErrDuplicateListenerException.New("A listener already exists on this port for this load balancer '%s'", l.LB)
				}
			}
			l.Port = *in.Port
		}
		if p := ptr.Deref(in.Protocol); p != "" {
			l.Protocol = p
		}
		if in.Certificates != nil {
			l.Certs = in.Certificates
		}
		if v := ptr.Deref(in.SslPolicy); v != "" {
			l.SSL = v
		}
		if l.Protocol == "HTTPS" || l.Protocol == "TLS" {
			if l.SSL == "" {
				l.SSL = defaultSSLPolicy
			}
		} else {
			l.SSL, l.Certs = "", nil
		}
		if err := s.checkListener(ctx, lbr, l.Protocol, ptr.Deref(in.SslPolicy), l.Certs); err != nil {
			return err
		}
		if in.DefaultActions != nil {
			if err := checkActions(tx, sc, lbr, l.Protocol, in.DefaultActions, true); err != nil {
				return err
			}
			l.Default = in.DefaultActions
			rs, err := listRules(tx, sc, l.ARN)
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r.Priority == 0 {
					r.Actions = in.DefaultActions
					if err := rules.Put(tx, sc, r, l.ARN, r.ARN); err != nil {
						return err
					}
				}
			}
		}
		if in.AlpnPolicy != nil {
			l.Alpn = in.AlpnPolicy
		}
		out = l
		return listeners.Put(tx, sc, l, l.LB, l.ARN)
	})
	if err != nil {
		return nil, err
	}
	s.markCerts(ctx, out.LB, before.Certs, false)
	s.markCerts(ctx, out.LB, out.Certs, true)
	if before.Protocol != out.Protocol {
		s.ports.Close(out.ARN)
		s.openListener(ctx.Account, ctx.Region, out)
	}
	return &elbv2api.ModifyListenerOutput{Listeners: []elbv2api.Listener{listenerOut(out)}}, nil
}

// DeleteListener deletes a listener and its rules and closes its port.
func (s *ELBv2) DeleteListener(ctx *request.Context, in *elbv2api.DeleteListenerInput) (*elbv2api.DeleteListenerOutput, error) {
	arn := ptr.Deref(in.ListenerArn)
	var l listenerRec
	err := s.store.Update(func(tx storage.Tx) (err error) {
		if l, err = findListener(tx, scope(ctx), arn); err != nil {
			return err
		}
		return deleteListener(tx, scope(ctx), l)
	})
	if err != nil {
		return nil, err
	}
	s.markCerts(ctx, l.LB, l.Certs, false)
	s.ports.Close(arn)
	return &elbv2api.DeleteListenerOutput{}, nil
}

// DescribeListenerCertificates lists a listener's certificates.
func (s *ELBv2) DescribeListenerCertificates(ctx *request.Context, in *elbv2api.DescribeListenerCertificatesInput) (*elbv2api.DescribeListenerCertificatesOutput, error) {
	var l listenerRec
	err := s.store.View(func(tx storage.Tx) (err error) {
		l, err = findListener(tx, scope(ctx), ptr.Deref(in.ListenerArn))
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &elbv2api.DescribeListenerCertificatesOutput{Certificates: []elbv2api.Certificate{}}
	for i, c := range l.Certs {
		out.Certificates = append(out.Certificates, elbv2api.Certificate{CertificateArn: c.CertificateArn, IsDefault: ptr.To(i == 0)})
	}
	return out, nil
}

// AddListenerCertificates adds certificates to the listener's list.
func (s *ELBv2) AddListenerCertificates(ctx *request.Context, in *elbv2api.AddListenerCertificatesInput) (*elbv2api.AddListenerCertificatesOutput, error) {
	if err := s.checkCerts(ctx, in.Certificates); err != nil {
		return nil, err
	}
	err := s.store.Update(func(tx storage.Tx) error {
		l, err := findListener(tx, scope(ctx), ptr.Deref(in.ListenerArn))
		if err != nil {
			return err
		}
		if l.Protocol != "HTTPS" && l.Protocol != "TLS" {
			return validationError("Certificates can be added only to HTTPS and TLS listeners")
		}
		for _, c := range in.Certificates {
			dup := false
			for _, o := range l.Certs {
				dup = dup || ptr.Deref(o.CertificateArn) == ptr.Deref(c.CertificateArn)
			}
			if !dup {
				l.Certs = append(l.Certs, elbv2api.Certificate{CertificateArn: c.CertificateArn})
			}
		}
		if len(l.Certs) > maxCertificates {
			return elbv2api.ErrTooManyCertificatesException.New("You've reached the limit on the number of certificates per load balancer")
		}
		return listeners.Put(tx, scope(ctx), l, l.LB, l.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.AddListenerCertificatesOutput{Certificates: in.Certificates}, nil
}

// RemoveListenerCertificates removes non-default certificates.
func (s *ELBv2) RemoveListenerCertificates(ctx *request.Context, in *elbv2api.RemoveListenerCertificatesInput) (*elbv2api.RemoveListenerCertificatesOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		l, err := findListener(tx, scope(ctx), ptr.Deref(in.ListenerArn))
		if err != nil {
			return err
		}
		for _, c := range in.Certificates {
			for i, o := range l.Certs {
				if ptr.Deref(o.CertificateArn) != ptr.Deref(c.CertificateArn) {
					continue
				}
				if i == 0 {
					return elbv2api.ErrOperationNotPermittedException.New("The default certificate cannot be removed from a listener")
				}
				l.Certs = append(l.Certs[:i:i], l.Certs[i+1:]...)
				break
			}
		}
		return listeners.Put(tx, scope(ctx), l, l.LB, l.ARN)
	})
	if err != nil {
		return nil, err
	}
	return &elbv2api.RemoveListenerCertificatesOutput{}, nil
}

// hostOnly strips a port from a Host header.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return h
}
