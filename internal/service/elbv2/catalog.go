package elbv2

import (
	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// sslPolicy is one of ELB's predefined security policies.
type sslPolicy struct {
	name      string
	protocols []string
	ciphers   []string
}

func cipherSets() (tls12Ciphers, legacyCiphers, tls13Ciphers []string) {
	tls12Ciphers = []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256",
		"ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-SHA384",
		"ECDHE-RSA-AES256-SHA384", "AES128-GCM-SHA256", "AES128-SHA256", "AES256-GCM-SHA384", "AES256-SHA256"}
	legacyCiphers = []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES128-SHA256",
		"ECDHE-RSA-AES128-SHA256", "ECDHE-ECDSA-AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-ECDSA-AES256-GCM-SHA384",
		"ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-ECDSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA384", "ECDHE-RSA-AES256-SHA",
		"ECDHE-ECDSA-AES256-SHA", "AES128-GCM-SHA256", "AES128-SHA256", "AES128-SHA", "AES256-GCM-SHA384", "AES256-SHA256", "AES256-SHA"}
	tls13Ciphers = []string{"TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"}
	return
}

// sslPolicies is ELB's catalog of predefined policies (Elastic Load
// Balancing, "Security policies for your Application Load Balancer"):
// the common ones, with their protocols and ciphers.
func sslPolicies() []sslPolicy {
	tls12Ciphers, legacyCiphers, tls13Ciphers := cipherSets()
	t13 := append(append([]string{}, tls13Ciphers...), "ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256",
		"ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384")
	return []sslPolicy{
		{"ELBSecurityPolicy-2016-08", []string{"TLSv1", "TLSv1.1", "TLSv1.2"}, legacyCiphers},
		{"ELBSecurityPolicy-TLS-1-0-2015-04", []string{"TLSv1", "TLSv1.1", "TLSv1.2"}, append(append([]string{}, legacyCiphers...), "DES-CBC3-SHA")},
		{"ELBSecurityPolicy-TLS-1-1-2017-01", []string{"TLSv1.1", "TLSv1.2"}, legacyCiphers},
		{"ELBSecurityPolicy-TLS-1-2-2017-01", []string{"TLSv1.2"}, tls12Ciphers},
		{"ELBSecurityPolicy-TLS-1-2-Ext-2018-06", []string{"TLSv1.2"}, legacyCiphers},
		{"ELBSecurityPolicy-FS-2018-06", []string{"TLSv1", "TLSv1.1", "TLSv1.2"}, legacyCiphers[:12]},
		{"ELBSecurityPolicy-FS-1-2-Res-2020-10", []string{"TLSv1.2"}, []string{"ECDHE-ECDSA-AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-ECDSA-AES256-GCM-SHA384", "ECDHE-RSA-AES256-GCM-SHA384"}},
		{"ELBSecurityPolicy-TLS13-1-2-2021-06", []string{"TLSv1.2", "TLSv1.3"}, append(append([]string{}, tls13Ciphers...), tls12Ciphers...)},
		{"ELBSecurityPolicy-TLS13-1-2-Res-2021-06", []string{"TLSv1.2", "TLSv1.3"}, t13},
		{"ELBSecurityPolicy-TLS13-1-3-2021-06", []string{"TLSv1.3"}, tls13Ciphers},
		{"ELBSecurityPolicy-TLS13-1-2-2021-06-PQ-2025-09", []string{"TLSv1.2", "TLSv1.3"}, append(append([]string{}, tls13Ciphers...), tls12Ciphers...)},
	}
}

func knownPolicy(name string) bool {
	for _, p := range sslPolicies() {
		if p.name == name {
			return true
		}
	}
	return false
}

// DescribeSSLPolicies lists the predefined policies, all or by name.
func (s *ELBv2) DescribeSSLPolicies(ctx *request.Context, in *elbv2api.DescribeSSLPoliciesInput) (*elbv2api.DescribeSSLPoliciesOutput, error) {
	var picked []sslPolicy
	if len(in.Names) == 0 {
		picked = sslPolicies()
	}
	for _, n := range in.Names {
		found := false
		for _, p := range sslPolicies() {
			if p.name == n {
				picked, found = append(picked, p), true
			}
		}
		if !found {
			return nil, elbv2api.ErrSSLPolicyNotFoundException.New("One or more SSL policies not found")
		}
	}
	types := []string{"application", "network"}
	if t := ptr.Deref(in.LoadBalancerType); t != "" {
		types = []string{t}
	}
	pg, next, err := page(picked, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	out := &elbv2api.DescribeSSLPoliciesOutput{SslPolicies: []elbv2api.SslPolicy{}, NextMarker: next}
	for _, p := range pg {
		sp := elbv2api.SslPolicy{Name: ptr.To(p.name), SslProtocols: p.protocols, SupportedLoadBalancerTypes: types}
		for i, c := range p.ciphers {
			sp.Ciphers = append(sp.Ciphers, elbv2api.Cipher{Name: ptr.To(c), Priority: ptr.To(int32(i + 1))})
		}
		out.SslPolicies = append(out.SslPolicies, sp)
	}
	return out, nil
}

// DescribeAccountLimits reports ELB's quotas as niwa enforces them.
func (s *ELBv2) DescribeAccountLimits(ctx *request.Context, in *elbv2api.DescribeAccountLimitsInput) (*elbv2api.DescribeAccountLimitsOutput, error) {
	all := []elbv2api.Limit{
		{Name: ptr.To("application-load-balancers"), Max: ptr.To(itoa(maxLoadBalancers))},
		{Name: ptr.To("network-load-balancers"), Max: ptr.To(itoa(maxLoadBalancers))},
		{Name: ptr.To("target-groups"), Max: ptr.To(itoa(maxTargetGroups))},
		{Name: ptr.To("targets-per-application-load-balancer"), Max: ptr.To(itoa(maxTargetsPerGroup))},
		{Name: ptr.To("listeners-per-application-load-balancer"), Max: ptr.To(itoa(maxListeners))},
		{Name: ptr.To("listeners-per-network-load-balancer"), Max: ptr.To(itoa(maxListeners))},
		{Name: ptr.To("rules-per-application-load-balancer"), Max: ptr.To(itoa(maxRulesPerLB))},
		{Name: ptr.To("certificates-per-application-load-balancer"), Max: ptr.To(itoa(maxCertificates))},
		{Name: ptr.To("targets-per-target-group-per-region"), Max: ptr.To(itoa(maxTargetsPerGroup))},
	}
	pg, next, err := page(all, in.Marker, in.PageSize)
	if err != nil {
		return nil, err
	}
	return &elbv2api.DescribeAccountLimitsOutput{Limits: pg, NextMarker: next}, nil
}
