package ec2

import (
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Instance hostnames. EC2 names an instance after its private address
// (ip-name: ip-10-0-1-4.<domain>) or after its id (resource-name:
// i-0123456789abcdef0.<domain>). A subnet's PrivateDnsNameOptionsOnLaunch
// is the default a launch takes; RunInstances' PrivateDnsNameOptions and
// ModifyPrivateDnsNameOptions set an instance's own.

// hostnameOptions are an instance's hostname options. The zero value is
// EC2's default (ip-name, no resource-name records), so records stored
// before the options existed read the same.
type hostnameOptions struct {
	Type    string // "" is ip-name
	A, AAAA bool   // answer the resource name with A / AAAA records
}

func (h hostnameOptions) typ() string {
	if h.Type == "" {
		return "ip-name"
	}
	return h.Type
}

func (h hostnameOptions) response() *ec2api.PrivateDnsNameOptionsResponse {
	return &ec2api.PrivateDnsNameOptionsResponse{HostnameType: ptr.To(h.typ()), EnableResourceNameDnsARecord: ptr.To(h.A), EnableResourceNameDnsAAAARecord: ptr.To(h.AAAA)}
}

// resourceDNS is an instance's resource name: its id in the region's
// private domain.
func resourceDNS(region, id string) string { return id + "." + internalDomain(region) }

// checkHostnameType accepts EC2's two hostname types.
func checkHostnameType(param, v string) error {
	if v != "ip-name" && v != "resource-name" {
		return errInvalidParameterValue.New("Value (%s) for parameter %s is invalid. Valid values are ip-name, resource-name.", v, param)
	}
	return nil
}

// hostnameOnLaunch is the options a new instance in sub takes: the
// subnet's launch defaults, overridden field by field by the request's.
func hostnameOnLaunch(sub ec2api.Subnet, req *ec2api.PrivateDnsNameOptionsRequest) (hostnameOptions, error) {
	var h hostnameOptions
	if o := sub.PrivateDnsNameOptionsOnLaunch; o != nil {
		h = hostnameOptions{Type: ptr.Deref(o.HostnameType), A: ptr.Deref(o.EnableResourceNameDnsARecord), AAAA: ptr.Deref(o.EnableResourceNameDnsAAAARecord)}
	}
	if req != nil {
		if req.HostnameType != nil {
			if err := checkHostnameType("PrivateDnsNameOptions.HostnameType", *req.HostnameType); err != nil {
				return h, err
			}
			h.Type = *req.HostnameType
		}
		if req.EnableResourceNameDnsARecord != nil {
			h.A = *req.EnableResourceNameDnsARecord
		}
		if req.EnableResourceNameDnsAAAARecord != nil {
			h.AAAA = *req.EnableResourceNameDnsAAAARecord
		}
	}
	if h.Type == "ip-name" {
		h.Type = ""
	}
	return h, nil
}

// ModifyPrivateDnsNameOptions changes an instance's hostname options. As
// in EC2, the hostname type changes only while the instance is stopped
// (its guest took its hostname at boot); the record options change in any
// state but terminated.
func (s *EC2) ModifyPrivateDnsNameOptions(ctx *request.Context, in *ec2api.ModifyPrivateDnsNameOptionsRequest) (*ec2api.ModifyPrivateDnsNameOptionsResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if ptr.Deref(in.InstanceId) == "" {
		return nil, errMissingParameter.New("The request must contain the parameter InstanceId")
	}
	if t := in.PrivateDnsHostnameType; t != nil {
		if err := checkHostnameType("PrivateDnsHostnameType", *t); err != nil {
			return nil, err
		}
	}
	err := mutate(s, ctx, instances, ptr.Deref(in.InstanceId), func(_ storage.Tx, _ storage.Scope, r *instanceRecord) error {
		if r.State == "terminated" || r.State == "shutting-down" {
			return errIncorrectInstanceState.New("The instance '%s' is not in a valid state for this operation.", r.ID)
		}
		h := r.Hostname
		if t := in.PrivateDnsHostnameType; t != nil && *t != h.typ() {
			if r.State != "stopped" {
				return errIncorrectInstanceState.New("The instance '%s' is not in a valid state for this operation.", r.ID)
			}
			h.Type = *t
		}
		if in.EnableResourceNameDnsARecord != nil {
			h.A = *in.EnableResourceNameDnsARecord
		}
		if in.EnableResourceNameDnsAAAARecord != nil {
			h.AAAA = *in.EnableResourceNameDnsAAAARecord
		}
		if h.Type == "ip-name" {
			h.Type = ""
		}
		r.Hostname = h
		return nil
	})
	return answer(&ec2api.ModifyPrivateDnsNameOptionsResult{Return: ptr.To(true)}, err)
}
