#!/usr/bin/env bash
# S16: route selection (seed 002), observed through AWS's own API for it,
# VPC Reachability Analyzer. A subnet's route table propagates the routes
# of a virtual private gateway that learned them three ways: static routes
# of a Site-to-Site VPN connection, BGP routes of a dynamic VPN connection
# and BGP routes of a Direct Connect virtual interface. Nothing on the far
# side exists in niwa, so the on-premises router's BGP announcements are
# made through niwa's /_niwa/ec2/bgp endpoint. Then a network interface in
# the subnet is analysed towards the gateway for one address per case:
#   1. the longest prefix wins (a BGP VPN /24 over a Direct Connect /16);
#   2. same prefix: Direct Connect BGP over a VPN static route;
#   3. same prefix: a VPN static route over VPN BGP;
#   4. same prefix: a static route of the table over every propagated one.
# The analysis shows NetworkPathFound, the route table route that won, the
# connection it was learned over, and niwa's reason (longest prefix, then
# the route's origin). An address no route covers gives NetworkPathFound
# false with the NO_ROUTE_TO_DESTINATION explanation.
# The order among propagated routes is the one of "How route priority
# works" in the VPC User Guide (Direct Connect BGP, VPN static, VPN BGP);
# the seed, written from an older reading, puts static VPN before Direct
# Connect.
set -euo pipefail
AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-ap-northeast-1}"
aws() { command aws --endpoint-url "$AWS_ENDPOINT_URL" --output text "$@"; }
fail() { echo "S16 FAILED: $*" >&2; exit 1; }
region="$AWS_DEFAULT_REGION"

vpc="$(aws ec2 create-vpc --cidr-block 10.0.0.0/16 --query Vpc.VpcId)"
subnet="$(aws ec2 create-subnet --vpc-id "$vpc" --cidr-block 10.0.1.0/24 --query Subnet.SubnetId)"
eni="$(aws ec2 create-network-interface --subnet-id "$subnet" --description "S16 source" --query NetworkInterface.NetworkInterfaceId)"
rtb="$(aws ec2 create-route-table --vpc-id "$vpc" --query RouteTable.RouteTableId)"
aws ec2 associate-route-table --route-table-id "$rtb" --subnet-id "$subnet" >/dev/null
vgw="$(aws ec2 create-vpn-gateway --type ipsec.1 --query VpnGateway.VpnGatewayId)"
aws ec2 attach-vpn-gateway --vpn-gateway-id "$vgw" --vpc-id "$vpc" >/dev/null
cgw="$(aws ec2 create-customer-gateway --type ipsec.1 --public-ip 203.0.113.10 --bgp-asn 65000 --query CustomerGateway.CustomerGatewayId)"
vpn_static="$(aws ec2 create-vpn-connection --type ipsec.1 --customer-gateway-id "$cgw" --vpn-gateway-id "$vgw" \
  --options StaticRoutesOnly=true --query VpnConnection.VpnConnectionId)"
vpn_bgp="$(aws ec2 create-vpn-connection --type ipsec.1 --customer-gateway-id "$cgw" --vpn-gateway-id "$vgw" \
  --options StaticRoutesOnly=false --query VpnConnection.VpnConnectionId)"
dxvif="dxvif-fg5678gh"
aws ec2 enable-vgw-route-propagation --route-table-id "$rtb" --gateway-id "$vgw"
echo "vpc $vpc subnet $subnet eni $eni table $rtb gateway $vgw static VPN $vpn_static BGP VPN $vpn_bgp Direct Connect $dxvif"

announce() { # source via cidr: the far side's BGP announcement
  curl -fsS -X POST "$AWS_ENDPOINT_URL/_niwa/ec2/bgp?region=$region&gateway=$vgw&source=$1&via=$2&cidr=$3" >/dev/null
}
# Case 1: a /16 over Direct Connect, a /24 inside it over the BGP VPN.
announce direct-connect "$dxvif" 172.16.0.0/16
announce vpn-bgp "$vpn_bgp" 172.16.1.0/24
# Case 2: the same /16 over Direct Connect and as a static VPN route.
announce direct-connect "$dxvif" 172.17.0.0/16
aws ec2 create-vpn-connection-route --vpn-connection-id "$vpn_static" --destination-cidr-block 172.17.0.0/16
# Case 3: the same /16 as a static VPN route and over the BGP VPN.
aws ec2 create-vpn-connection-route --vpn-connection-id "$vpn_static" --destination-cidr-block 172.18.0.0/16
announce vpn-bgp "$vpn_bgp" 172.18.0.0/16
# Case 4: a /16 over every path, and a static route in the table.
announce direct-connect "$dxvif" 172.19.0.0/16
announce vpn-bgp "$vpn_bgp" 172.19.0.0/16
aws ec2 create-vpn-connection-route --vpn-connection-id "$vpn_static" --destination-cidr-block 172.19.0.0/16
aws ec2 create-route --route-table-id "$rtb" --destination-cidr-block 172.19.0.0/16 --gateway-id "$vgw" >/dev/null
aws ec2 describe-route-tables --route-table-ids "$rtb" --query 'RouteTables[0].Routes[].[DestinationCidrBlock,GatewayId,Origin]'

# One Reachability Analyzer path and analysis per address, with boto3 (one
# process for the dozens of calls; the aws CLI gives the same answers).
python3 - "$AWS_ENDPOINT_URL" "$eni" "$vgw" "$rtb" "$vpn_static" "$vpn_bgp" "$dxvif" "$region" <<'PY' || fail "analyses"
import json, sys, time, urllib.request
import boto3
endpoint, eni, vgw, rtb, vpn_static, vpn_bgp, dxvif, region = sys.argv[1:]
ec2 = boto3.client("ec2", endpoint_url=endpoint, region_name=region)

def analyse(ip):
    path = ec2.create_network_insights_path(Source=eni, Destination=vgw, DestinationIp=ip, Protocol="tcp", DestinationPort=443,
        TagSpecifications=[{"ResourceType": "network-insights-path", "Tags": [{"Key": "Name", "Value": "S16 " + ip}]}])
    pid = path["NetworkInsightsPath"]["NetworkInsightsPathId"]
    aid = ec2.start_network_insights_analysis(NetworkInsightsPathId=pid)["NetworkInsightsAnalysis"]["NetworkInsightsAnalysisId"]
    # An analysis runs for a few seconds of niwa's clock: move it on
    # rather than wait.
    urllib.request.urlopen(urllib.request.Request(endpoint + "/_niwa/clock/advance?by=10s", method="POST")).read()
    deadline = time.time() + 120  # generous on a loaded machine; returns once it holds
    while True:
        a = ec2.describe_network_insights_analyses(NetworkInsightsAnalysisIds=[aid])["NetworkInsightsAnalyses"][0]
        if a["Status"] != "running" or time.time() > deadline:
            break
        time.sleep(0.5)
    assert a["Status"] == "succeeded", a
    return a

def check(ip, cidr, origin, via, why):
    a = analyse(ip)
    assert a["NetworkPathFound"] is True, ("no path", ip, a)
    comps = a["ForwardPathComponents"]
    rt = [c for c in comps if "RouteTableRoute" in c][0]
    r = rt["RouteTableRoute"]
    reason = rt["AdditionalDetails"][0]["Component"]["Name"]
    ids = [c["Component"]["Id"] for c in comps]
    assert r["DestinationCidr"] == cidr and r["Origin"] == origin and r["GatewayId"] == vgw, (ip, "route", r)
    i = ids.index(vgw) + 1
    after = ids[i] if i < len(ids) else "-"
    assert after == via, (ip, "learned over", after, "want", via, ids)
    assert why in reason, (ip, "reason", reason)
    print("%s: %s %s via %s (%s)" % (ip, cidr, origin, after, reason))

P = "EnableVgwRoutePropagation"
check("172.16.1.10", "172.16.1.0/24", P, vpn_bgp, "longest prefix 172.16.1.0/24, propagated route (vpn-bgp)")
check("172.16.2.10", "172.16.0.0/16", P, dxvif, "longest prefix 172.16.0.0/16, propagated route (direct-connect)")
check("172.17.0.10", "172.17.0.0/16", P, dxvif, "propagated route (direct-connect), chosen among 2")
check("172.18.0.10", "172.18.0.0/16", P, vpn_static, "propagated route (vpn-static), chosen among 2")
check("172.19.0.10", "172.19.0.0/16", "CreateRoute", "-", "static route, chosen among 4")

# No route: the path is not found and the analysis says why.
a = analyse("192.0.2.10")
assert a["NetworkPathFound"] is False, a
e = a["Explanations"][0]
assert e["ExplanationCode"] == "NO_ROUTE_TO_DESTINATION" and e["RouteTable"]["Id"] == rtb, e
print("192.0.2.10: no path,", e["ExplanationCode"], "in", e["RouteTable"]["Id"])

# Withdrawing the Direct Connect /16 of case 2 hands it to the static VPN.
q = "gateway=%s&source=direct-connect&via=%s&cidr=172.17.0.0/16&region=%s" % (vgw, dxvif, region)
urllib.request.urlopen(urllib.request.Request(endpoint + "/_niwa/ec2/bgp?" + q, method="DELETE")).read()
check("172.17.0.10", "172.17.0.0/16", P, vpn_static, "propagated route (vpn-static)")
PY

# Network Access Analyzer is not implemented, and says so.
if out="$(aws ec2 create-network-insights-access-scope --match-paths '[{"Source":{"ResourceStatement":{"ResourceTypes":["AWS::EC2::InternetGateway"]}}}]' 2>&1)"; then
  fail "access scopes accepted: $out"
fi
grep -q "NotImplemented" <<<"$out" || fail "access scope: $out"
echo "S16 OK"
