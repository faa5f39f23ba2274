package ec2

import (
	"fmt"
	"sort"
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/ec2/filter"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Account limits niwa enforces, at AWS's defaults for a new account; the
// same numbers DescribeAccountAttributes reports.
const (
	maxElasticIPs         = 5
	maxInstancesAttribute = 20 // reported only: AWS no longer enforces it (vCPU quotas do)
	maxGroupsPerInterface = 5
)

// accountAttributeNames are the attributes of DescribeAccountAttributes,
// in the order EC2 lists them.
var accountAttributeNames = []string{"vpc-max-security-groups-per-interface", "max-instances", "supported-platforms", "default-vpc", "max-elastic-ips", "vpc-max-elastic-ips"}

// DescribeAccountAttributes reports the account's attributes in this
// region: EC2-VPC is the only platform (as for every account since
// EC2-Classic retired), and default-vpc is the region's default VPC or
// "none" once it was deleted. The Terraform provider reads this on every
// plan.
func (s *EC2) DescribeAccountAttributes(ctx *request.Context, in *ec2api.DescribeAccountAttributesRequest) (*ec2api.DescribeAccountAttributesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	for _, n := range in.AttributeNames {
		if !contains(accountAttributeNames, n) {
			return nil, errInvalidParameterValue.New("Value (%s) for parameter attributeName is invalid.", n)
		}
	}
	if err := s.ensureDefaults(ctx); err != nil {
		return nil, err
	}
	defaultVpc := "none"
	err := s.store.View(func(tx storage.Tx) error {
		d, err := s.defaultsOf(tx, scope(ctx))
		if d.VpcID != "" {
			defaultVpc = d.VpcID
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	values := map[string][]string{
		"vpc-max-security-groups-per-interface": {fmt.Sprint(maxGroupsPerInterface)},
		"max-instances":                         {fmt.Sprint(maxInstancesAttribute)},
		"supported-platforms":                   {"VPC"},
		"default-vpc":                           {defaultVpc},
		"max-elastic-ips":                       {fmt.Sprint(maxElasticIPs)},
		"vpc-max-elastic-ips":                   {fmt.Sprint(maxElasticIPs)},
	}
	out := &ec2api.DescribeAccountAttributesResult{AccountAttributes: []ec2api.AccountAttribute{}}
	for _, n := range accountAttributeNames {
		if len(in.AttributeNames) > 0 && !contains(in.AttributeNames, n) {
			continue
		}
		a := ec2api.AccountAttribute{AttributeName: ptr.To(n), AttributeValues: []ec2api.AccountAttributeValue{}}
		for _, v := range values[n] {
			a.AttributeValues = append(a.AttributeValues, ec2api.AccountAttributeValue{AttributeValue: ptr.To(v)})
		}
		out.AccountAttributes = append(out.AccountAttributes, a)
	}
	return out, nil
}

// interfaceServices are the AWS services niwa offers VPC endpoints for,
// under their endpoint service names (com.amazonaws.<region>.<name>):
// every service niwa serves that AWS offers PrivateLink for (route53 and
// dynamodbstreams have none), plus the ECR and API Gateway names tools
// look up while wiring a VPC.
func interfaceServices() []string {
	return []string{"cloudformation", "cloudtrail", "dynamodb", "ec2", "ecr.api", "ecr.dkr", "events", "execute-api", "kms", "lambda", "logs", "monitoring",
		"s3", "secretsmanager", "sns", "sqs", "ssm", "sts"}
}

// gatewayCapable are the services that take Gateway endpoints as well.
func gatewayCapable(svc string) bool { return svc == "s3" || svc == "dynamodb" }

// endpointServiceDetails is what DescribeVpcEndpointServices shows for
// each service: a Gateway entry and an Interface entry for S3 and
// DynamoDB (as EC2 lists them), one Interface entry for the others.
func endpointServiceDetails(regionName string) []ec2api.ServiceDetail {
	var azs []string
	for _, z := range zones(regionName) {
		azs = append(azs, z.Name)
	}
	var out []ec2api.ServiceDetail
	for _, svc := range interfaceServices() {
		name := "com.amazonaws." + regionName + "." + svc
		types := []string{"Interface"}
		if gatewayCapable(svc) {
			types = []string{"Gateway", "Interface"}
		}
		for _, typ := range types {
			d := ec2api.ServiceDetail{ServiceName: ptr.To(name), ServiceId: ptr.To(endpointServiceID(name, typ)), ServiceType: []ec2api.ServiceTypeDetail{{ServiceType: ptr.To(typ)}},
				AvailabilityZones: azs, Owner: ptr.To("amazon"), VpcEndpointPolicySupported: ptr.To(true), AcceptanceRequired: ptr.To(false), ManagesVpcEndpoints: ptr.To(false),
				Tags: []ec2api.Tag{}, SupportedIpAddressTypes: []string{"ipv4"}, PrivateDnsNames: []ec2api.PrivateDnsDetails{}}
			if typ == "Interface" {
				host := svc + "." + regionName + ".amazonaws.com"
				d.BaseEndpointDnsNames = []string{svc + "." + regionName + ".vpce.amazonaws.com"}
				if svc != "s3" { // S3 interface endpoints have no private DNS name of their own
					d.PrivateDnsName = ptr.To(host)
					d.PrivateDnsNames = []ec2api.PrivateDnsDetails{{PrivateDnsName: ptr.To(host)}}
					d.PrivateDnsNameVerificationState = ptr.To("verified")
				}
			} else {
				d.BaseEndpointDnsNames = []string{svc + "." + regionName + ".amazonaws.com"}
			}
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return ptr.Deref(out[i].ServiceName) < ptr.Deref(out[j].ServiceName) })
	return out
}

// endpointServiceID is a stable vpce-svc- id per service and type, so a
// repeated describe answers the same ids.
func endpointServiceID(name, typ string) string {
	var h uint64 = 14695981039346656037
	for _, c := range []byte(name + "/" + typ) {
		h = (h ^ uint64(c)) * 1099511628211
	}
	return fmt.Sprintf("vpce-svc-%017x", h&0xfffffffffffffff)
}

func endpointServiceDoc(d *ec2api.ServiceDetail) filter.Doc {
	doc := filter.New(d.Tags).Add("service-name", ptr.Deref(d.ServiceName)).Add("owner", ptr.Deref(d.Owner)).Add("service-type").
		Add("supported-ip-address-types", d.SupportedIpAddressTypes...).Add("service-region")
	if n := ptr.Deref(d.ServiceName); strings.HasPrefix(n, "com.amazonaws.") {
		doc.Add("service-region", strings.SplitN(strings.TrimPrefix(n, "com.amazonaws."), ".", 2)[0])
	}
	for _, t := range d.ServiceType {
		doc.Add("service-type", ptr.Deref(t.ServiceType))
	}
	return doc
}

// DescribeVpcEndpointServices lists the endpoint services of the region.
// An unknown name in ServiceNames is InvalidServiceName, as on EC2.
func (s *EC2) DescribeVpcEndpointServices(ctx *request.Context, in *ec2api.DescribeVpcEndpointServicesRequest) (*ec2api.DescribeVpcEndpointServicesResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if err := filter.Validate(in.Filters, endpointServiceDoc(&ec2api.ServiceDetail{})); err != nil {
		return nil, err
	}
	all := endpointServiceDetails(ctx.Region)
	custom, err := s.visibleEndpointServices(ctx)
	if err != nil {
		return nil, err
	}
	all = append(all, custom...)
	for _, n := range in.ServiceNames {
		found := false
		for _, d := range all {
			found = found || ptr.Deref(d.ServiceName) == n
		}
		if !found {
			return nil, errServiceNotFound.New("The Vpc Endpoint Service '%s' does not exist", n)
		}
	}
	out := &ec2api.DescribeVpcEndpointServicesResult{ServiceNames: []string{}, ServiceDetails: []ec2api.ServiceDetail{}}
	for _, d := range all {
		if len(in.ServiceNames) > 0 && !contains(in.ServiceNames, ptr.Deref(d.ServiceName)) {
			continue
		}
		if !filter.Match(in.Filters, endpointServiceDoc(&d)) {
			continue
		}
		out.ServiceDetails = append(out.ServiceDetails, d)
		if n := ptr.Deref(d.ServiceName); len(out.ServiceNames) == 0 || out.ServiceNames[len(out.ServiceNames)-1] != n {
			out.ServiceNames = append(out.ServiceNames, n)
		}
	}
	return out, nil
}

// DescribeAddressesAttribute answers the domain-name attribute of Elastic
// IPs (the Terraform provider reads it for every aws_eip). niwa keeps no
// reverse DNS records, so no address has a PtrRecord.
func (s *EC2) DescribeAddressesAttribute(ctx *request.Context, in *ec2api.DescribeAddressesAttributeRequest) (*ec2api.DescribeAddressesAttributeResult, error) {
	if err := dryRun(in.DryRun); err != nil {
		return nil, err
	}
	if a := ptr.Deref(in.Attribute); a != "domain-name" {
		return nil, errInvalidParameterValue.New("Value (%s) for parameter attribute is invalid. Valid values are domain-name.", a)
	}
	sc := scope(ctx)
	var list []ec2api.AddressAttribute
	err := s.store.View(func(tx storage.Tx) error {
		recs, err := addresses.getEach(tx, sc, in.AllocationIds)
		if err != nil {
			return err
		}
		if len(in.AllocationIds) == 0 {
			if recs, err = addresses.all(tx, sc); err != nil {
				return err
			}
		}
		for _, a := range recs {
			list = append(list, ec2api.AddressAttribute{PublicIp: a.PublicIp, AllocationId: a.AllocationId})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(list, func(i, j int) bool { return ptr.Deref(list[i].AllocationId) < ptr.Deref(list[j].AllocationId) })
	items, next, err := pageOf(list, in.MaxResults, in.NextToken)
	if err != nil {
		return nil, err
	}
	return &ec2api.DescribeAddressesAttributeResult{Addresses: append([]ec2api.AddressAttribute{}, items...), NextToken: next}, nil
}
