package ec2

import (
	"strings"

	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Declare is EC2 as the platform sees it: calls on existing resources
// are checked on them (by the type their id's prefix names), resource
// tags answer aws:ResourceTag and ec2:ResourceTag.
func (s *EC2) Declare() kit.Declaration {
	return kit.Declaration{
		Resources: s.cfnResources(), // CloudFormation (cfn.go)

		Impl:           s,
		Namespace:      "ec2",
		Authz:          kit.Authz{Resources: resources},
		NotImplemented: notImplemented(),
		Tags:           kit.TagLookup(s.resourceTags),
		// EC2 resources answer ec2:ResourceTag (the older alias) besides
		// aws:ResourceTag.
		TagKeys: func(string) []string { return []string{"ec2:resourcetag/", "aws:resourcetag/"} },
		Close:   s.Close,
		// Transition timers and the instances' processes outlive the
		// stored records: POST /_niwa/reset stops them.
		Reset: s.Reset,
	}
}

func resources(op string, in kit.Input, env kit.Env) []string {
	if strings.HasPrefix(op, "Describe") {
		return nil
	}
	ids := in.Strs("InstanceIds")
	if id := in.Str("InstanceId"); id != "" {
		ids = append(ids, id)
	}
	if len(ids) == 0 && !strings.HasPrefix(op, "Create") && !strings.HasPrefix(op, "Run") {
		// Operations on one existing resource are checked on it (its
		// tags are ec2:ResourceTag); creations keep "*" until their
		// several resource types are mapped.
		for _, m := range idMembers {
			if id := in.Str(m); id != "" {
				ids = append(ids, id)
				break
			}
		}
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		switch typ := arnType(id); typ {
		case "":
		case "image": // public images belong to no account
			out = append(out, kit.ARN("ec2", env.Region, "", typ+"/"+id))
		default:
			out = append(out, kit.ARN("ec2", env.Region, env.Account, typ+"/"+id))
		}
	}
	return out
}

// idMembers name the resource of an operation, most specific first
// (AssociateRouteTable acts on the route table, not the subnet).
var idMembers = []string{"RouteTableId", "NetworkInterfaceId", "VpcEndpointId", "NatGatewayId", "InternetGatewayId",
	"AllocationId", "VolumeId", "SnapshotId", "GroupId", "SubnetId", "VpcId", "ImageId"}

// arnTypes are the ARN resource types of EC2 ids, by their prefix
// (Service Authorization Reference resource types).
var arnTypes = map[string]string{
	"i": "instance", "vpc": "vpc", "subnet": "subnet", "sg": "security-group", "rtb": "route-table",
	"igw": "internet-gateway", "vol": "volume", "vpce": "vpc-endpoint", "nat": "natgateway",
	"eipalloc": "elastic-ip", "ami": "image", "snap": "snapshot", "eni": "network-interface",
	"nip": "network-insights-path", "nia": "network-insights-analysis", "fleet": "fleet", "pg": "placement-group", "fl": "vpc-flow-log",
}

// arnType is the ARN resource type of an EC2 id.
func arnType(id string) string {
	prefix, _, ok := strings.Cut(id, "-")
	if !ok {
		return ""
	}
	return arnTypes[prefix]
}

// resourceTags reads a resource's tags through DescribeTags.
func (s *EC2) resourceTags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, res, ok := kit.ARNScope(ctx, arn)
	if !ok {
		return nil, false, nil
	}
	_, id, ok := strings.Cut(res, "/")
	if !ok || id == "" {
		return nil, false, nil
	}
	name := "resource-id"
	out, err := s.DescribeTags(c, &ec2api.DescribeTagsRequest{Filters: []ec2api.Filter{{Name: &name, Values: []string{id}}}})
	if err != nil {
		return kit.NotFound(err)
	}
	return kit.TagMap(out.Tags, func(t ec2api.TagDescription) (*string, *string) { return t.Key, t.Value }), true, nil
}
