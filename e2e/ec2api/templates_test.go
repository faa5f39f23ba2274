package ec2api

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestLaunchTemplatesAndIPv6CLI: a launch template with two versions,
// run-instances from $Latest with a parameter of the request winning,
// metadata options, and
// an IPv6 VPC with an egress-only gateway route.
func TestLaunchTemplatesAndIPv6CLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			name := "web-" + cli.Name
			var ami string
			framework.CLIJSON(t, n, cli, &ami, "ec2", "describe-images", "--owners", "amazon", "--filters", "Name=name,Values=al2023-ami-2023*-x86_64", "--query", "Images[0].ImageId")
			framework.CLIJSON(t, n, cli, nil, "ec2", "create-launch-template", "--launch-template-name", name,
				"--launch-template-data", `{"ImageId":"`+ami+`","InstanceType":"t3.micro","MetadataOptions":{"HttpTokens":"required"}}`)
			var v int
			framework.CLIJSON(t, n, cli, &v, "ec2", "create-launch-template-version", "--launch-template-name", name, "--source-version", "1",
				"--launch-template-data", `{"InstanceType":"t3.small"}`, "--query", "LaunchTemplateVersion.VersionNumber")
			if v != 2 {
				t.Fatalf("version %d", v)
			}
			var inst map[string]string
			framework.CLIJSON(t, n, cli, &inst, "ec2", "run-instances", "--launch-template", "LaunchTemplateName="+name+",Version=$Latest", "--count", "1",
				"--query", "Instances[0].{Id:InstanceId,Type:InstanceType,Image:ImageId,Tokens:MetadataOptions.HttpTokens}")
			if inst["Type"] != "t3.small" || inst["Image"] != ami || inst["Tokens"] != "required" {
				t.Errorf("launched from $Latest: %v", inst)
			}
			framework.CLIJSON(t, n, cli, nil, "ec2", "modify-instance-metadata-options", "--instance-id", inst["Id"], "--http-put-response-hop-limit", "3")
			var hop int
			framework.CLIJSON(t, n, cli, &hop, "ec2", "describe-instances", "--instance-ids", inst["Id"], "--query", "Reservations[0].Instances[0].MetadataOptions.HttpPutResponseHopLimit")
			if hop != 3 {
				t.Errorf("hop limit %d", hop)
			}
			var vpc string
			framework.CLIJSON(t, n, cli, &vpc, "ec2", "create-vpc", "--cidr-block", "10.8.0.0/16", "--amazon-provided-ipv6-cidr-block", "--query", "Vpc.VpcId")
			var block string
			framework.CLIJSON(t, n, cli, &block, "ec2", "describe-vpcs", "--vpc-ids", vpc, "--query", "Vpcs[0].Ipv6CidrBlockAssociationSet[0].Ipv6CidrBlock")
			if !strings.HasPrefix(block, "2600:1f18:") || !strings.HasSuffix(block, "/56") {
				t.Fatalf("VPC IPv6 block %q", block)
			}
			var eigw string
			framework.CLIJSON(t, n, cli, &eigw, "ec2", "create-egress-only-internet-gateway", "--vpc-id", vpc, "--query", "EgressOnlyInternetGateway.EgressOnlyInternetGatewayId")
			var rtb string
			framework.CLIJSON(t, n, cli, &rtb, "ec2", "create-route-table", "--vpc-id", vpc, "--query", "RouteTable.RouteTableId")
			framework.CLIJSON(t, n, cli, nil, "ec2", "create-route", "--route-table-id", rtb, "--destination-ipv6-cidr-block", "::/0", "--egress-only-internet-gateway-id", eigw)
			var state string
			framework.CLIJSON(t, n, cli, &state, "ec2", "describe-route-tables", "--route-table-ids", rtb, "--query", "RouteTables[0].Routes[?DestinationIpv6CidrBlock=='::/0'].State | [0]")
			if state != "active" {
				t.Errorf("::/0 route state %q", state)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.8.1.0/24", "--ipv6-cidr-block", "2001:db8::/64")
			if err == nil || !strings.Contains(errOut, "(InvalidSubnet.Range)") {
				t.Errorf("subnet outside the VPC's IPv6 block: %v %s", err, errOut)
			}
		})
	}
}
