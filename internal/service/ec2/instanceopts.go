package ec2

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// imdsOptions are an instance's metadata options; "" and 0 are EC2's
// defaults for an instance launched without MetadataOptions.
type imdsOptions struct {
	HttpTokens, HttpEndpoint, HttpProtocolIpv6, Tags string
	HopLimit                                         int32
}

func orDefault(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

func (o imdsOptions) response(state string) *ec2api.InstanceMetadataOptionsResponse {
	hop := o.HopLimit
	if hop == 0 {
		hop = 1
	}
	return &ec2api.InstanceMetadataOptionsResponse{State: ptr.To(state), HttpTokens: ptr.To(orDefault(o.HttpTokens, "optional")), HttpPutResponseHopLimit: ptr.To(hop),
		HttpEndpoint: ptr.To(orDefault(o.HttpEndpoint, "enabled")), HttpProtocolIpv6: ptr.To(orDefault(o.HttpProtocolIpv6, "disabled")),
		InstanceMetadataTags: ptr.To(orDefault(o.Tags, "disabled"))}
}

// apply validates and sets the options given, as RunInstances and
// ModifyInstanceMetadataOptions take them.
func (o *imdsOptions) apply(tokens *string, hop *int32, endpoint, ipv6, tags *string) error {
	oneOf := func(v *string, param string, allowed ...string) (string, error) {
		if v == nil {
			return "", nil
		}
		if !contains(allowed, *v) {
			return "", errInvalidParameterValue.New("Value (%s) for parameter %s is invalid. Valid values are %s.", *v, param, strings.Join(allowed, ", "))
		}
		return *v, nil
	}
	var err error
	set := func(dst *string, v *string, param string, allowed ...string) {
		if err != nil || v == nil {
			return
		}
		*dst, err = oneOf(v, param, allowed...)
	}
	set(&o.HttpTokens, tokens, "HttpTokens", "optional", "required")
	set(&o.HttpEndpoint, endpoint, "HttpEndpoint", "enabled", "disabled")
	set(&o.HttpProtocolIpv6, ipv6, "HttpProtocolIpv6", "enabled", "disabled")
	set(&o.Tags, tags, "InstanceMetadataTags", "enabled", "disabled")
	if err != nil {
		return err
	}
	if hop != nil {
		if *hop < 1 || *hop > 64 {
			return errInvalidParameterValue.New("Value (%d) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64.", *hop)
		}
		o.HopLimit = *hop
	}
	return nil
}

// ModifyInstanceMetadataOptions changes an instance's metadata options;
// the answer shows them "pending", later describes "applied", as on EC2.
func (s *EC2) ModifyInstanceMetadataOptions(ctx *request.Context, in *ec2api.ModifyInstanceMetadataOptionsRequest) (*ec2api.ModifyInstanceMetadataOptionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var opts imdsOptions
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if r.State == "terminated" || r.State == "shutting-down" {
			return errIncorrectInstanceState.New("The instance '%s' is not in a state from which it can be modified.", r.ID)
		}
		if err := r.IMDS.apply(in.HttpTokens, in.HttpPutResponseHopLimit, in.HttpEndpoint, in.HttpProtocolIpv6, in.InstanceMetadataTags); err != nil {
			return err
		}
		opts = r.IMDS
		return instances.put(tx, sc, r.ID, r)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.ModifyInstanceMetadataOptionsResult{InstanceId: in.InstanceId, InstanceMetadataOptions: opts.response("pending")}, nil
}

// burstable reports whether an instance type earns CPU credits and its
// default credit option: standard for T2, unlimited for T3, T3a and T4g.
func burstable(itype string) (string, bool) {
	switch strings.SplitN(itype, ".", 2)[0] {
	case "t2":
		return "standard", true
	case "t3", "t3a", "t4g":
		return "unlimited", true
	}
	return "", false
}

// DescribeInstanceCreditSpecifications lists the credit option of
// burstable instances (others have none and are left out).
func (s *EC2) DescribeInstanceCreditSpecifications(ctx *request.Context, in *ec2api.DescribeInstanceCreditSpecificationsRequest) (*ec2api.DescribeInstanceCreditSpecificationsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	doc := func(c *ec2api.InstanceCreditSpecification) filter.Doc {
		return filter.New(nil).Add("instance-id", ptr.Deref(c.InstanceId))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.InstanceCreditSpecification{})); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var specs []ec2api.InstanceCreditSpecification
	err := s.store.View(func(tx storage.Tx) error {
		recs, err := instances.getEach(tx, sc, in.InstanceIds)
		if err != nil {
			return err
		}
		if len(in.InstanceIds) == 0 {
			if recs, err = instances.all(tx, sc); err != nil {
				return err
			}
		}
		for _, r := range recs {
			def, ok := burstable(r.InstanceType)
			if !ok || r.State == "terminated" {
				continue
			}
			c := ec2api.InstanceCreditSpecification{InstanceId: ptr.To(r.ID), CpuCredits: ptr.To(orDefault(r.CpuCredits, def))}
			if filter.Match(in.Filters, doc(&c)) {
				specs = append(specs, c)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(specs, func(i, j int) bool { return ptr.Deref(specs[i].InstanceId) < ptr.Deref(specs[j].InstanceId) })
	items, next, err := pageOf(specs, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeInstanceCreditSpecificationsResult{InstanceCreditSpecifications: append([]ec2api.InstanceCreditSpecification{}, items...), NextToken: next}, nil
}

// ModifyInstanceCreditSpecification sets credit options, reporting each
// instance's success or failure.
func (s *EC2) ModifyInstanceCreditSpecification(ctx *request.Context, in *ec2api.ModifyInstanceCreditSpecificationRequest) (*ec2api.ModifyInstanceCreditSpecificationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	sc := scope(ctx)
	out := &ec2api.ModifyInstanceCreditSpecificationResult{SuccessfulInstanceCreditSpecifications: []ec2api.SuccessfulInstanceCreditSpecificationItem{},
		UnsuccessfulInstanceCreditSpecifications: []ec2api.UnsuccessfulInstanceCreditSpecificationItem{}}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, c := range in.InstanceCreditSpecifications {
			id := ptr.Deref(c.InstanceId)
			fail := func(code, msg string) {
				out.UnsuccessfulInstanceCreditSpecifications = append(out.UnsuccessfulInstanceCreditSpecifications, ec2api.UnsuccessfulInstanceCreditSpecificationItem{
					InstanceId: ptr.To(id), Error: &ec2api.UnsuccessfulInstanceCreditSpecificationItemError{Code: ptr.To(code), Message: ptr.To(msg)}})
			}
			credits := strings.ToLower(ptr.Deref(c.CpuCredits))
			if credits != "standard" && credits != "unlimited" {
				fail("InvalidCpuCredits.Malformed", fmt.Sprintf("Value (%s) for parameter cpuCredits is invalid. Valid values are standard or unlimited.", ptr.Deref(c.CpuCredits)))
				continue
			}
			r, ok, err := instances.table.Get(tx, sc, id)
			if err != nil {
				return err
			}
			if !ok {
				fail("InvalidInstanceID.NotFound", fmt.Sprintf("The instance ID '%s' does not exist", id))
				continue
			}
			if _, b := burstable(r.InstanceType); !b {
				fail("IncorrectInstanceState", fmt.Sprintf("The instance %s does not support credit specification; only burstable performance instances do.", id))
				continue
			}
			r.CpuCredits = credits
			if err := instances.put(tx, sc, id, r); err != nil {
				return err
			}
			out.SuccessfulInstanceCreditSpecifications = append(out.SuccessfulInstanceCreditSpecifications, ec2api.SuccessfulInstanceCreditSpecificationItem{InstanceId: ptr.To(id)})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// profileAssocID is an instance's association id: the stored one, or one
// derived from the instance id for instances launched with a profile.
func profileAssocID(r *instanceRecord) string {
	if r.ProfileAssoc != "" {
		return r.ProfileAssoc
	}
	h := fnv.New64a()
	h.Write([]byte("iip|" + r.ID))
	return fmt.Sprintf("iip-assoc-%017x", h.Sum64()&0xfffffffffffffff)
}

func profileAssociation(r *instanceRecord, state string) ec2api.IamInstanceProfileAssociation {
	return ec2api.IamInstanceProfileAssociation{AssociationId: ptr.To(profileAssocID(r)), InstanceId: ptr.To(r.ID), State: ptr.To(state),
		IamInstanceProfile: &ec2api.IamInstanceProfile{Arn: ptr.To(r.IamProfileArn), Id: ptr.To(r.IamProfileID)}, Timestamp: ptr.To(r.ProfileAssocTime.UTC())}
}

func profileArnOf(ctx *request.Context, p *ec2api.IamInstanceProfileSpecification) (string, error) {
	switch {
	case p == nil:
	case p.Arn != nil && strings.HasPrefix(*p.Arn, "arn:"):
		return *p.Arn, nil
	case p.Arn != nil:
		return "", errInvalidParameterValue.New("Value (%s) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN", *p.Arn)
	case p.Name != nil:
		return fmt.Sprintf("arn:aws:iam::%s:instance-profile/%s", ctx.Account, *p.Name), nil
	}
	return "", errMissingParameter.New("The request must contain the parameter IamInstanceProfile")
}

// findProfileAssociation finds the instance holding an association id.
func findProfileAssociation(tx storage.Tx, sc storage.Scope, id string) (instanceRecord, error) {
	all, err := instances.all(tx, sc)
	if err != nil {
		return instanceRecord{}, err
	}
	for _, r := range all {
		if r.IamProfileArn != "" && r.State != "terminated" && profileAssocID(&r) == id {
			return r, nil
		}
	}
	return instanceRecord{}, code("InvalidAssociationID.NotFound").New("An association with ID %s does not exist.", id)
}

// AssociateIamInstanceProfile attaches an instance profile to an instance
// that has none.
func (s *EC2) AssociateIamInstanceProfile(ctx *request.Context, in *ec2api.AssociateIamInstanceProfileRequest) (*ec2api.AssociateIamInstanceProfileResult, error) {
	arn, err := profileArnOf(ctx, in.IamInstanceProfile)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var a ec2api.IamInstanceProfileAssociation
	err = s.store.Update(func(tx storage.Tx) error {
		r, err := instances.get(tx, sc, ptr.Deref(in.InstanceId))
		if err != nil {
			return err
		}
		if r.State == "terminated" || r.State == "shutting-down" {
			return errIncorrectInstanceState.New("The instance '%s' is not in a valid state for this operation.", r.ID)
		}
		if r.IamProfileArn != "" {
			return code("IncorrectState").New("There is an existing association for instance %s", r.ID)
		}
		r.IamProfileArn, r.IamProfileID = arn, "AIPA"+strings.ToUpper(newID("x")[2:19])
		r.ProfileAssoc, r.ProfileAssocTime = newID("iip-assoc"), ctx.Now().UTC()
		a = profileAssociation(&r, "associating")
		return instances.put(tx, sc, r.ID, r)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.AssociateIamInstanceProfileResult{IamInstanceProfileAssociation: &a}, nil
}

// ReplaceIamInstanceProfileAssociation swaps the profile of an
// association; the association gets a new id, as on EC2.
func (s *EC2) ReplaceIamInstanceProfileAssociation(ctx *request.Context, in *ec2api.ReplaceIamInstanceProfileAssociationRequest) (*ec2api.ReplaceIamInstanceProfileAssociationResult, error) {
	arn, err := profileArnOf(ctx, in.IamInstanceProfile)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var a ec2api.IamInstanceProfileAssociation
	err = s.store.Update(func(tx storage.Tx) error {
		r, err := findProfileAssociation(tx, sc, ptr.Deref(in.AssociationId))
		if err != nil {
			return err
		}
		r.IamProfileArn, r.IamProfileID = arn, "AIPA"+strings.ToUpper(newID("x")[2:19])
		r.ProfileAssoc, r.ProfileAssocTime = newID("iip-assoc"), ctx.Now().UTC()
		a = profileAssociation(&r, "associating")
		return instances.put(tx, sc, r.ID, r)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.ReplaceIamInstanceProfileAssociationResult{IamInstanceProfileAssociation: &a}, nil
}

// DisassociateIamInstanceProfile removes an instance's profile.
func (s *EC2) DisassociateIamInstanceProfile(ctx *request.Context, in *ec2api.DisassociateIamInstanceProfileRequest) (*ec2api.DisassociateIamInstanceProfileResult, error) {
	sc := scope(ctx)
	var a ec2api.IamInstanceProfileAssociation
	err := s.store.Update(func(tx storage.Tx) error {
		r, err := findProfileAssociation(tx, sc, ptr.Deref(in.AssociationId))
		if err != nil {
			return err
		}
		a = profileAssociation(&r, "disassociating")
		r.IamProfileArn, r.IamProfileID, r.ProfileAssoc = "", "", ""
		return instances.put(tx, sc, r.ID, r)
	})
	if err != nil {
		return nil, err
	}
	return &ec2api.DisassociateIamInstanceProfileResult{IamInstanceProfileAssociation: &a}, nil
}

// DescribeIamInstanceProfileAssociations lists the associations of
// instances that are not terminated (filters instance-id, state).
func (s *EC2) DescribeIamInstanceProfileAssociations(ctx *request.Context, in *ec2api.DescribeIamInstanceProfileAssociationsRequest) (*ec2api.DescribeIamInstanceProfileAssociationsResult, error) {
	doc := func(a *ec2api.IamInstanceProfileAssociation) filter.Doc {
		return filter.New(nil).Add("instance-id", ptr.Deref(a.InstanceId)).Add("state", ptr.Deref(a.State))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.IamInstanceProfileAssociation{})); err != nil {
		return nil, err
	}
	if m := in.MaxResults; m != nil && (*m < 5 || *m > 1000) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.", *m)
	}
	sc := scope(ctx)
	var list []ec2api.IamInstanceProfileAssociation
	err := s.store.View(func(tx storage.Tx) error {
		for _, id := range in.AssociationIds {
			if _, err := findProfileAssociation(tx, sc, id); err != nil {
				return err
			}
		}
		all, err := instances.all(tx, sc)
		if err != nil {
			return err
		}
		for _, r := range all {
			if r.IamProfileArn == "" || r.State == "terminated" {
				continue
			}
			a := profileAssociation(&r, "associated")
			if len(in.AssociationIds) > 0 && !contains(in.AssociationIds, ptr.Deref(a.AssociationId)) {
				continue
			}
			if filter.Match(in.Filters, doc(&a)) {
				list = append(list, a)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return ptr.Deref(list[i].AssociationId) < ptr.Deref(list[j].AssociationId) })
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeIamInstanceProfileAssociationsResult{IamInstanceProfileAssociations: append([]ec2api.IamInstanceProfileAssociation{}, items...), NextToken: next}, nil
}

// DescribeInstanceTypeOfferings lists the catalog's instance types per
// region (default), zone or zone id.
func (s *EC2) DescribeInstanceTypeOfferings(ctx *request.Context, in *ec2api.DescribeInstanceTypeOfferingsRequest) (*ec2api.DescribeInstanceTypeOfferingsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	lt := "region"
	if in.LocationType != nil {
		lt = *in.LocationType
	}
	var locations []string
	switch lt {
	case "region":
		locations = []string{ctx.Region}
	case "availability-zone", "availability-zone-id":
		for _, z := range zones(ctx.Region) {
			if lt == "availability-zone" {
				locations = append(locations, z.Name)
			} else {
				locations = append(locations, z.ID)
			}
		}
	default:
		return nil, errInvalidParameterValue.New("Value (%s) for parameter locationType is invalid. Valid values are region, availability-zone, availability-zone-id.", lt)
	}
	doc := func(o *ec2api.InstanceTypeOffering) filter.Doc {
		return filter.New(nil).Add("location", ptr.Deref(o.Location)).Add("instance-type", ptr.Deref(o.InstanceType))
	}
	if err := filter.Validate(in.Filters, doc(&ec2api.InstanceTypeOffering{})); err != nil {
		return nil, err
	}
	if m := in.MaxResults; m != nil && (*m < 5 || *m > 1000) {
		return nil, errInvalidParameterValue.New("Value ( %d ) for parameter maxResults is invalid. Parameter must be between 5 and 1000.", *m)
	}
	var list []ec2api.InstanceTypeOffering
	for _, loc := range locations {
		for _, t := range instanceTypes() {
			o := ec2api.InstanceTypeOffering{InstanceType: ptr.To(t.name), LocationType: ptr.To(lt), Location: ptr.To(loc)}
			if filter.Match(in.Filters, doc(&o)) {
				list = append(list, o)
			}
		}
	}
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeInstanceTypeOfferingsResult{InstanceTypeOfferings: append([]ec2api.InstanceTypeOffering{}, items...), NextToken: next}, nil
}

// ModifyInstanceMaintenanceOptions sets an instance's automatic recovery.
// niwa's simulated instances run on no hardware that fails, so recovery
// never happens; the setting is kept and described.
func (s *EC2) ModifyInstanceMaintenanceOptions(ctx *request.Context, in *ec2api.ModifyInstanceMaintenanceOptionsRequest) (*ec2api.ModifyInstanceMaintenanceOptionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	var out string
	err := mutate(s, ctx, instances, ptr.Deref(in.InstanceId), func(_ storage.Tx, _ storage.Scope, r *instanceRecord) error {
		if r.State == "terminated" || r.State == "shutting-down" {
			return errIncorrectInstanceState.New("The instance '%s' is not in a state from which it can be modified.", r.ID)
		}
		if in.AutoRecovery != nil {
			r.AutoRecovery = *in.AutoRecovery
		}
		out = orDefault(r.AutoRecovery, "default")
		return nil
	})
	return answer(&ec2api.ModifyInstanceMaintenanceOptionsResult{InstanceId: in.InstanceId, AutoRecovery: ptr.To(out)}, err)
}
