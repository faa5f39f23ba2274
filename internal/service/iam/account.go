package iam

import (
	"sort"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// GetAccountSummary counts the account's entities and reports IAM's
// default quotas next to them.
func (s *IAM) GetAccountSummary(ctx *request.Context, _ *iamapi.GetAccountSummaryInput) (*iamapi.GetAccountSummaryOutput, error) {
	sc := scope(ctx)
	m := map[string]int32{
		"UsersQuota":                        5000,
		"GroupsQuota":                       300,
		"RolesQuota":                        1000,
		"PoliciesQuota":                     1500,
		"InstanceProfilesQuota":             1000,
		"ServerCertificatesQuota":           20,
		"GroupsPerUserQuota":                maxGroupsPerUser,
		"AccessKeysPerUserQuota":            maxAccessKeysPerUser,
		"SigningCertificatesPerUserQuota":   2,
		"AttachedPoliciesPerUserQuota":      maxAttachedPerEntity,
		"AttachedPoliciesPerGroupQuota":     maxAttachedPerEntity,
		"AttachedPoliciesPerRoleQuota":      maxAttachedPerEntity,
		"UserPolicySizeQuota":               maxUserInlineSize,
		"GroupPolicySizeQuota":              maxGroupInlineSize,
		"RolePolicySizeQuota":               maxRoleInlineSize,
		"AssumeRolePolicySizeQuota":         maxTrustPolicySize,
		"PolicySizeQuota":                   maxManagedPolicySize,
		"VersionsPerPolicyQuota":            maxPolicyVersions,
		"PolicyVersionsInUseQuota":          10000,
		"GlobalEndpointTokenVersion":        1,
		"ServerCertificates":                0,
		"MFADevices":                        0,
		"MFADevicesInUse":                   0,
		"AccountMFAEnabled":                 0,
		"AccountSigningCertificatesPresent": 0,
		"Providers":                         0,
	}
	count := func(tx storage.Tx, key string, each func(tx storage.Tx) (int32, error)) error {
		n, err := each(tx)
		m[key] = n
		return err
	}
	err := s.store.View(func(tx storage.Tx) error {
		steps := []struct {
			key  string
			each func(tx storage.Tx) (int32, error)
		}{
			{"Users", func(tx storage.Tx) (int32, error) { return countTable(tx, users, sc) }},
			{"Groups", func(tx storage.Tx) (int32, error) { return countTable(tx, groups, sc) }},
			{"Roles", func(tx storage.Tx) (int32, error) { return countTable(tx, roles, sc) }},
			{"Policies", func(tx storage.Tx) (int32, error) { return countTable(tx, policies, sc) }},
			{"InstanceProfiles", func(tx storage.Tx) (int32, error) { return countTable(tx, instanceProfiles, sc) }},
			{"PolicyVersionsInUse", func(tx storage.Tx) (int32, error) { return countTable(tx, policyUses, sc) }},
			{"ServerCertificates", func(tx storage.Tx) (int32, error) { return countTable(tx, serverCerts, sc) }},
			{"Providers", func(tx storage.Tx) (int32, error) {
				a, err := countTable(tx, samlProviders, sc)
				if err != nil {
					return 0, err
				}
				b, err := countTable(tx, oidcProviders, sc)
				return a + b, err
			}},
			{"MFADevices", func(tx storage.Tx) (int32, error) { return countTable(tx, mfaDevices, sc) }},
			{"MFADevicesInUse", func(tx storage.Tx) (int32, error) {
				var n int32
				err := mfaDevices.List(tx, sc, nil, storage.ListOptions{}, func(_ []string, m mfaRecord) bool {
					if m.Enabled {
						n++
					}
					return true
				})
				return n, err
			}},
			{"GlobalEndpointTokenVersion", func(tx storage.Tx) (int32, error) {
				a, err := getSettings(tx, sc)
				return max(a.TokenVersion, 1), err
			}},
			{"AccountMFAEnabled", func(tx storage.Tx) (int32, error) {
				a, err := getSettings(tx, sc)
				if a.RootMFA != "" {
					return 1, err
				}
				return 0, err
			}},
			{"AccountAccessKeysPresent", func(tx storage.Tx) (int32, error) {
				ids, err := userKeyIDs(tx, sc, "")
				return int32(min(len(ids), 1)), err
			}},
		}
		for _, st := range steps {
			if err := count(tx, st.key, st.each); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.GetAccountSummaryOutput{SummaryMap: m}, nil
}

func countTable[T any](tx storage.Tx, t storage.Table[T], sc storage.Scope) (int32, error) {
	var n int32
	err := t.List(tx, sc, nil, storage.ListOptions{}, func([]string, T) bool {
		n++
		return true
	})
	return n, err
}

func inlineOut(list []inlinePolicy) []iamapi.PolicyDetail {
	out := []iamapi.PolicyDetail{}
	for _, p := range list {
		out = append(out, iamapi.PolicyDetail{PolicyName: ptr.To(p.Name), PolicyDocument: ptr.To(encodeDocument(p.Document))})
	}
	return out
}

func attachedOut(list []attachedPolicy) []iamapi.AttachedPolicy {
	out := []iamapi.AttachedPolicy{}
	for _, a := range list {
		out = append(out, iamapi.AttachedPolicy{PolicyName: ptr.To(a.Name), PolicyArn: ptr.To(a.ARN)})
	}
	return out
}

// GetAccountAuthorizationDetails dumps users, groups, roles and managed
// policies with everything attached to them, in that order, paged as one
// sequence. AWS managed policies appear only when the account uses them.
func (s *IAM) GetAccountAuthorizationDetails(ctx *request.Context, in *iamapi.GetAccountAuthorizationDetailsInput) (*iamapi.GetAccountAuthorizationDetailsOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	want := map[string]bool{}
	for _, f := range in.Filter {
		want[f] = true
	}
	all := len(want) == 0
	type item struct {
		key    string
		user   *iamapi.UserDetail
		group  *iamapi.GroupDetail
		role   *iamapi.RoleDetail
		policy *iamapi.ManagedPolicyDetail
	}
	var items []item
	sc := scope(ctx)
	acct := ctx.Account
	err = s.store.View(func(tx storage.Tx) error {
		var ferr error
		keep := func(err error) bool {
			ferr = err
			return err == nil
		}
		if all || want["User"] {
			err := users.List(tx, sc, nil, storage.ListOptions{}, func(k []string, u userRecord) bool {
				groupsOf := append([]string{}, u.Groups...)
				items = append(items, item{key: "1" + k[0], user: &iamapi.UserDetail{
					Path: ptr.To(u.Path), UserName: ptr.To(u.Name), UserId: ptr.To(u.ID), Arn: ptr.To(userARN(acct, &u)),
					CreateDate: ptr.To(u.CreateDate), UserPolicyList: inlineOut(u.Inline), GroupList: groupsOf,
					AttachedManagedPolicies: attachedOut(u.Attached), PermissionsBoundary: boundaryOut(u.Boundary),
					Tags: tagsOut(u.Tags),
				}})
				return true
			})
			if err != nil {
				return err
			}
		}
		if all || want["Group"] {
			err := groups.List(tx, sc, nil, storage.ListOptions{}, func(k []string, g groupRecord) bool {
				items = append(items, item{key: "2" + k[0], group: &iamapi.GroupDetail{
					Path: ptr.To(g.Path), GroupName: ptr.To(g.Name), GroupId: ptr.To(g.ID), Arn: ptr.To(groupARN(acct, &g)),
					CreateDate: ptr.To(g.CreateDate), GroupPolicyList: inlineOut(g.Inline),
					AttachedManagedPolicies: attachedOut(g.Attached),
				}})
				return true
			})
			if err != nil {
				return err
			}
		}
		if all || want["Role"] {
			err := roles.List(tx, sc, nil, storage.ListOptions{}, func(k []string, r roleRecord) bool {
				full := roleOut(acct, &r, roleFull)
				d := &iamapi.RoleDetail{
					Path: full.Path, RoleName: full.RoleName, RoleId: full.RoleId, Arn: full.Arn,
					CreateDate: full.CreateDate, AssumeRolePolicyDocument: full.AssumeRolePolicyDocument,
					InstanceProfileList: []iamapi.InstanceProfile{}, RolePolicyList: inlineOut(r.Inline),
					AttachedManagedPolicies: attachedOut(r.Attached), PermissionsBoundary: full.PermissionsBoundary,
					Tags: full.Tags, RoleLastUsed: full.RoleLastUsed,
				}
				for _, n := range r.InstanceProfiles {
					ip, ok, err := instanceProfiles.Get(tx, sc, lower(n))
					if !keep(err) {
						return false
					}
					if ok {
						o, err := instanceProfileOut(tx, sc, &ip, false)
						if !keep(err) {
							return false
						}
						d.InstanceProfileList = append(d.InstanceProfileList, o)
					}
				}
				items = append(items, item{key: "3" + k[0], role: d})
				return true
			})
			if err != nil {
				return err
			}
			if ferr != nil {
				return ferr
			}
		}
		counts, err := allUseCounts(tx, sc)
		if err != nil {
			return err
		}
		addPolicy := func(key string, ref policyRef) {
			c := counts[ref.ARN]
			base := policyOut(ref, c, policyFull)
			versions, def := versionsOf(ref)
			d := &iamapi.ManagedPolicyDetail{
				PolicyName: base.PolicyName, PolicyId: base.PolicyId, Arn: base.Arn, Path: base.Path,
				DefaultVersionId: base.DefaultVersionId, AttachmentCount: base.AttachmentCount,
				PermissionsBoundaryUsageCount: base.PermissionsBoundaryUsageCount, IsAttachable: base.IsAttachable,
				Description: base.Description, CreateDate: base.CreateDate, UpdateDate: base.UpdateDate,
			}
			for _, v := range versions {
				d.PolicyVersionList = append(d.PolicyVersionList, versionOut(v, v.ID == def, true))
			}
			items = append(items, item{key: key, policy: d})
		}
		if all || want["LocalManagedPolicy"] {
			err := policies.List(tx, sc, nil, storage.ListOptions{}, func(k []string, rec policyRecord) bool {
				addPolicy("4"+k[0]+"\x00l", policyRef{ARN: policyARN(acct, &rec), Name: rec.Name, Path: rec.Path, local: &rec})
				return true
			})
			if err != nil {
				return err
			}
		}
		if (all || want["AWSManagedPolicy"]) && s.catalog != nil {
			for arn, c := range counts {
				if c.attach == 0 && c.boundary == 0 {
					continue
				}
				if m, ok := s.catalog.Lookup(arn); ok {
					addPolicy("4"+lower(m.Name)+"\x00a", policyRef{ARN: m.ARN, Name: m.Name, Path: m.Path, managed: &m})
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(items, func(i, j int) bool { return items[i].key < items[j].key })
	start, end, res := p.sliceWindow(len(items), func(i int) string { return items[i].key })
	out := &iamapi.GetAccountAuthorizationDetailsOutput{
		UserDetailList: []iamapi.UserDetail{}, GroupDetailList: []iamapi.GroupDetail{},
		RoleDetailList: []iamapi.RoleDetail{}, Policies: []iamapi.ManagedPolicyDetail{},
		IsTruncated: res.IsTruncated, Marker: res.Marker,
	}
	for _, it := range items[start:end] {
		switch {
		case it.user != nil:
			out.UserDetailList = append(out.UserDetailList, *it.user)
		case it.group != nil:
			out.GroupDetailList = append(out.GroupDetailList, *it.group)
		case it.role != nil:
			out.RoleDetailList = append(out.RoleDetailList, *it.role)
		case it.policy != nil:
			out.Policies = append(out.Policies, *it.policy)
		}
	}
	return out, nil
}
