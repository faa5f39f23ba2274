package cloudfront

import (
	"slices"
	"strings"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// idList pages the ids of the distributions with a behaviour uses
// accepts.
func (s *CloudFront) idList(ctx *request.Context, marker, maxItems *string, uses func(cfapi.CacheBehavior) bool) (*cfapi.DistributionIdList, error) {
	all, err := s.matching(ctx, func(d distRec) bool { return slices.ContainsFunc(behavioursOf(d.Config), uses) })
	if err != nil {
		return nil, err
	}
	from, to, next, maxN, err := page(marker, maxItems, len(all), func(i int) string { return all[i].ID })
	if err != nil {
		return nil, err
	}
	out := &cfapi.DistributionIdList{Marker: ptr.To(ptr.Deref(marker)), MaxItems: &maxN, IsTruncated: ptr.To(next != "")}
	if next != "" {
		out.NextMarker = &next
	}
	for _, d := range all[from:to] {
		out.Items = append(out.Items, d.ID)
	}
	out.Quantity = ptr.To(int32(len(out.Items)))
	return out, nil
}

// ListDistributionsByCachePolicyId20200531 lists the ids of the
// distributions a behaviour of which uses the cache policy.
func (s *CloudFront) ListDistributionsByCachePolicyId20200531(ctx *request.Context, in *cfapi.ListDistributionsByCachePolicyIdRequest) (*cfapi.ListDistributionsByCachePolicyIdResult, error) {
	id := ptr.Deref(in.CachePolicyId)
	if _, err := cachePolicyType.find(s, ctx, id); err != nil {
		return nil, err
	}
	l, err := s.idList(ctx, in.Marker, in.MaxItems, func(b cfapi.CacheBehavior) bool { return cachePolicyType.uses(b, id) })
	if err != nil {
		return nil, err
	}
	return &cfapi.ListDistributionsByCachePolicyIdResult{DistributionIdList: l}, nil
}

// ListDistributionsByOriginRequestPolicyId20200531 lists the ids of the
// distributions using the origin request policy.
func (s *CloudFront) ListDistributionsByOriginRequestPolicyId20200531(ctx *request.Context, in *cfapi.ListDistributionsByOriginRequestPolicyIdRequest) (*cfapi.ListDistributionsByOriginRequestPolicyIdResult, error) {
	id := ptr.Deref(in.OriginRequestPolicyId)
	if _, err := originRequestPolicyType.find(s, ctx, id); err != nil {
		return nil, err
	}
	l, err := s.idList(ctx, in.Marker, in.MaxItems, func(b cfapi.CacheBehavior) bool { return originRequestPolicyType.uses(b, id) })
	if err != nil {
		return nil, err
	}
	return &cfapi.ListDistributionsByOriginRequestPolicyIdResult{DistributionIdList: l}, nil
}

// ListDistributionsByResponseHeadersPolicyId20200531 lists the ids of the
// distributions using the response headers policy.
func (s *CloudFront) ListDistributionsByResponseHeadersPolicyId20200531(ctx *request.Context, in *cfapi.ListDistributionsByResponseHeadersPolicyIdRequest) (*cfapi.ListDistributionsByResponseHeadersPolicyIdResult, error) {
	id := ptr.Deref(in.ResponseHeadersPolicyId)
	if _, err := headersPolicyType.find(s, ctx, id); err != nil {
		return nil, err
	}
	l, err := s.idList(ctx, in.Marker, in.MaxItems, func(b cfapi.CacheBehavior) bool { return headersPolicyType.uses(b, id) })
	if err != nil {
		return nil, err
	}
	return &cfapi.ListDistributionsByResponseHeadersPolicyIdResult{DistributionIdList: l}, nil
}

// ListDistributionsByKeyGroup20200531 lists the ids of the distributions
// a behaviour of which trusts the key group.
func (s *CloudFront) ListDistributionsByKeyGroup20200531(ctx *request.Context, in *cfapi.ListDistributionsByKeyGroupRequest) (*cfapi.ListDistributionsByKeyGroupResult, error) {
	id := ptr.Deref(in.KeyGroupId)
	l, err := s.idList(ctx, in.Marker, in.MaxItems, func(b cfapi.CacheBehavior) bool {
		return b.TrustedKeyGroups != nil && ptr.Deref(b.TrustedKeyGroups.Enabled) && slices.Contains(b.TrustedKeyGroups.Items, id)
	})
	if err != nil {
		return nil, err
	}
	return &cfapi.ListDistributionsByKeyGroupResult{DistributionIdList: l}, nil
}

// ListDistributionsByWebACLId20200531 lists the distributions protected
// by the web ACL (WebACLId "null" lists those with none, as on AWS).
func (s *CloudFront) ListDistributionsByWebACLId20200531(ctx *request.Context, in *cfapi.ListDistributionsByWebACLIdRequest) (*cfapi.ListDistributionsByWebACLIdResult, error) {
	acl := ptr.Deref(in.WebACLId)
	if acl == "null" {
		acl = ""
	}
	l, err := s.distributionList(ctx, in.Marker, in.MaxItems, func(d distRec) bool { return ptr.Deref(d.Config.WebACLId) == acl })
	if err != nil {
		return nil, err
	}
	return &cfapi.ListDistributionsByWebACLIdResult{DistributionList: l}, nil
}

// ListConflictingAliases20200531 lists the aliases of any account's
// distributions that overlap alias (the same name, or a wildcard and a
// name it covers), for moving an alias with AssociateAlias. The
// distribution named must be the caller's and hold the alias or a
// wildcard covering it. Other accounts' distribution ids are masked as
// AWS masks them.
func (s *CloudFront) ListConflictingAliases20200531(ctx *request.Context, in *cfapi.ListConflictingAliasesRequest) (*cfapi.ListConflictingAliasesResult, error) {
	d, err := s.getDist(ctx, ptr.Deref(in.DistributionId))
	if err != nil {
		return nil, err
	}
	alias := strings.ToLower(ptr.Deref(in.Alias))
	if alias == "" || d.Config.Aliases == nil || !slices.ContainsFunc(d.Config.Aliases.Items, func(a string) bool { return aliasOverlaps(strings.ToLower(a), alias) }) {
		return nil, cfapi.ErrInvalidArgument.New("Invalid request provided: The distribution must have the alias or a wildcard alias that covers it.")
	}
	var out []cfapi.ConflictingAlias
	if err := s.opt.Store.View(func(tx storage.Tx) error {
		return hosts.List(tx, anywhere, nil, storage.ListOptions{}, func(k []string, h hostRec) bool {
			name := k[len(k)-1]
			if strings.HasSuffix(name, DomainSuffix) || !aliasOverlaps(name, alias) {
				return true
			}
			id := h.ID
			if h.Account != ctx.Account {
				id = "*******" + id[max(0, len(id)-6):]
			}
			out = append(out, cfapi.ConflictingAlias{Alias: ptr.To(name), DistributionId: ptr.To(id), AccountId: ptr.To(maskAccount(ctx.Account, h.Account))})
			return true
		})
	}); err != nil {
		return nil, err
	}
	maxN := int32(100)
	if in.MaxItems != nil && *in.MaxItems > 0 && *in.MaxItems < maxN {
		maxN = *in.MaxItems
	}
	if len(out) > int(maxN) {
		out = out[:maxN]
	}
	return &cfapi.ListConflictingAliasesResult{ConflictingAliasesList: &cfapi.ConflictingAliasesList{
		MaxItems: &maxN, Quantity: ptr.To(int32(len(out))), Items: out}}, nil
}

// aliasOverlaps: the same name, or a wildcard (*.example.com) and a name
// one label below it.
func aliasOverlaps(a, b string) bool {
	if a == b {
		return true
	}
	covers := func(w, n string) bool {
		base, ok := strings.CutPrefix(w, "*.")
		head, rest, found := strings.Cut(n, ".")
		return ok && found && head != "" && rest == base
	}
	return covers(a, b) || covers(b, a)
}

// maskAccount shows another account's id as AWS does (the last four
// digits).
func maskAccount(caller, owner string) string {
	if owner == caller {
		return owner
	}
	return "********" + owner[max(0, len(owner)-4):]
}
