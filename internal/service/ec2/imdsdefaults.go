package ec2

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// metadataDefaults are the account's instance metadata defaults, the
// options RunInstances starts from before the request's MetadataOptions
// (and its launch template's) are applied on top, field by field.
func (s *EC2) metadataDefaults(ctx *request.Context) (imdsOptions, error) {
	var v settingsRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		v, _, err = accountSettings.Get(tx, scope(ctx), "")
		return err
	})
	return v.IMDSDefaults, err
}

// ModifyInstanceMetadataDefaults sets the account's instance metadata
// defaults in the region; "no-preference" (and a hop limit of -1) clears
// one.
func (s *EC2) ModifyInstanceMetadataDefaults(ctx *request.Context, in *ec2api.ModifyInstanceMetadataDefaultsRequest) (*ec2api.ModifyInstanceMetadataDefaultsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if in.HttpTokens == nil && in.HttpPutResponseHopLimit == nil && in.HttpEndpoint == nil && in.InstanceMetadataTags == nil {
		return nil, errMissingParameter.New("The request must contain at least one of the parameters HttpTokens, HttpPutResponseHopLimit, HttpEndpoint or InstanceMetadataTags.")
	}
	if h := in.HttpPutResponseHopLimit; h != nil && *h != -1 && (*h < 1 || *h > 64) {
		return nil, errInvalidParameterValue.New("Value (%d) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64, or -1 for no preference.", *h)
	}
	set := func(dst *string, v *string) {
		if v == nil {
			return
		}
		*dst = *v
		if *v == "no-preference" {
			*dst = ""
		}
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error {
		d := &v.IMDSDefaults
		set(&d.HttpTokens, in.HttpTokens)
		set(&d.HttpEndpoint, in.HttpEndpoint)
		set(&d.Tags, in.InstanceMetadataTags)
		if h := in.HttpPutResponseHopLimit; h != nil {
			d.HopLimit = max(*h, 0)
		}
		return nil
	})
	return answer(&ec2api.ModifyInstanceMetadataDefaultsResult{Return: ptr.To(true)}, err)
}

// GetInstanceMetadataDefaults answers the account's defaults; options with
// no preference are left out, as EC2 leaves them out.
func (s *EC2) GetInstanceMetadataDefaults(ctx *request.Context, in *ec2api.GetInstanceMetadataDefaultsRequest) (*ec2api.GetInstanceMetadataDefaultsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	d, err := s.metadataDefaults(ctx)
	if err != nil {
		return nil, err
	}
	out := &ec2api.InstanceMetadataDefaultsResponse{}
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return ptr.To(v)
	}
	out.HttpTokens, out.HttpEndpoint, out.InstanceMetadataTags = str(d.HttpTokens), str(d.HttpEndpoint), str(d.Tags)
	if d.HopLimit > 0 {
		out.HttpPutResponseHopLimit = ptr.To(d.HopLimit)
	}
	return &ec2api.GetInstanceMetadataDefaultsResult{AccountLevel: out}, nil
}

// creditDefault is the account's default credit option for a burstable
// family, "" when it was never changed (AWS's default applies).
func (s *EC2) creditDefault(ctx *request.Context, family string) (string, error) {
	var v settingsRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		v, _, err = accountSettings.Get(tx, scope(ctx), "")
		return err
	})
	return v.Credits[family], err
}

func familyCredits(family, credits string) *ec2api.InstanceFamilyCreditSpecification {
	return &ec2api.InstanceFamilyCreditSpecification{InstanceFamily: ptr.To(family), CpuCredits: ptr.To(credits)}
}

// GetDefaultCreditSpecification answers a burstable family's default
// credit option in the account: what ModifyDefaultCreditSpecification
// set, else AWS's (standard for T2, unlimited for T3, T3a and T4g).
func (s *EC2) GetDefaultCreditSpecification(ctx *request.Context, in *ec2api.GetDefaultCreditSpecificationRequest) (*ec2api.GetDefaultCreditSpecificationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	family := ptr.Deref(in.InstanceFamily)
	c, err := s.creditDefault(ctx, family)
	if err != nil {
		return nil, err
	}
	if c == "" {
		c, _ = burstable(family + ".micro")
	}
	return &ec2api.GetDefaultCreditSpecificationResult{InstanceFamilyCreditSpecification: familyCredits(family, c)}, nil
}

// ModifyDefaultCreditSpecification sets a family's default credit option
// for instances launched from now on; running instances keep theirs.
func (s *EC2) ModifyDefaultCreditSpecification(ctx *request.Context, in *ec2api.ModifyDefaultCreditSpecificationRequest) (*ec2api.ModifyDefaultCreditSpecificationResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	family, credits := ptr.Deref(in.InstanceFamily), strings.ToLower(ptr.Deref(in.CpuCredits))
	if credits != "standard" && credits != "unlimited" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter cpuCredits is invalid. Valid values are standard or unlimited.", ptr.Deref(in.CpuCredits))
	}
	_, err := s.settings(ctx, func(v *settingsRecord) error {
		if v.Credits == nil {
			v.Credits = map[string]string{}
		}
		v.Credits[family] = credits
		return nil
	})
	return answer(&ec2api.ModifyDefaultCreditSpecificationResult{InstanceFamilyCreditSpecification: familyCredits(family, credits)}, err)
}
