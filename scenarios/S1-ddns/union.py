"""Dynamic DNS for EC2 with Route 53 (S1, seed 000).

Written for niwa from the behaviour the tutorial describes (AWS Compute
Blog, "Building a Dynamic DNS for Route 53 using CloudWatch Events and
Lambda"): an EventBridge rule sends every "EC2 Instance State-change
Notification" for running / shutting-down / stopped here.

running:
  * create the DynamoDB table DDNS (hash key InstanceId) when it is missing,
  * describe the instance and store it (nested M/L/BOOL/N/S attributes),
  * if the VPC has DNS support and DNS hostnames on, UPSERT
      - in the private zone named by the VPC's DHCP options domain-name, and
        in any private zone named by the instance's ZONE tag:
        A   ip-a-b-c-d.<zone>  -> private IP,
      - in the reverse zone <c.b.a>.in-addr.arpa. (private, bound to the VPC,
        created when missing): PTR d.c.b.a.in-addr.arpa -> that name,
      - in a public zone named by the ZONE tag: A <public host>.<zone> ->
        public IP,
      - for a CNAME tag: a CNAME from the tag's name to the instance's name in
        the zone the tag's name belongs to.
stopped / shutting-down:
  * read the stored instance (GetItem with AttributesToGet: a stopped
    instance no longer has its public IP) and DELETE the same records.
"""

import json
import time

import boto3
from botocore.exceptions import ClientError

TABLE = "DDNS"

ec2 = boto3.client("ec2")
ddb = boto3.client("dynamodb")
r53 = boto3.client("route53")


# ---------------------------------------------------------------- DynamoDB

def to_attr(v):
    """A python value as a DynamoDB attribute value (M, L, BOOL, N, S, NULL)."""
    if isinstance(v, bool):
        return {"BOOL": v}
    if v is None:
        return {"NULL": True}
    if isinstance(v, (int, float)):
        return {"N": str(v)}
    if isinstance(v, dict):
        return {"M": {k: to_attr(x) for k, x in v.items()}}
    if isinstance(v, (list, tuple)):
        return {"L": [to_attr(x) for x in v]}
    if hasattr(v, "isoformat"):
        return {"S": v.isoformat()}
    return {"S": str(v)}


def from_attr(a):
    """The inverse of to_attr."""
    (t, v), = a.items()
    if t == "M":
        return {k: from_attr(x) for k, x in v.items()}
    if t == "L":
        return [from_attr(x) for x in v]
    if t == "BOOL":
        return v
    if t == "NULL":
        return None
    if t == "N":
        return int(v) if v.lstrip("-").isdigit() else float(v)
    return v


def ensure_table():
    names = ddb.list_tables()["TableNames"]
    if TABLE not in names:
        print("creating table " + TABLE)
        try:
            ddb.create_table(
                TableName=TABLE,
                AttributeDefinitions=[{"AttributeName": "InstanceId", "AttributeType": "S"}],
                KeySchema=[{"AttributeName": "InstanceId", "KeyType": "HASH"}],
                ProvisionedThroughput={"ReadCapacityUnits": 4, "WriteCapacityUnits": 4},
            )
        except ClientError as e:
            if e.response["Error"]["Code"] != "ResourceInUseException":
                raise
    for _ in range(60):
        if ddb.describe_table(TableName=TABLE)["Table"]["TableStatus"] == "ACTIVE":
            return
        time.sleep(1)
    raise RuntimeError("table DDNS did not become ACTIVE")


# ---------------------------------------------------------------- Route 53

def zones():
    """(private, public): {zone name with trailing dot: zone id}."""
    private, public = {}, {}
    for page in r53.get_paginator("list_hosted_zones").paginate():
        for z in page["HostedZones"]:
            (private if z["Config"]["PrivateZone"] else public)[z["Name"]] = z["Id"].split("/")[-1]
    return private, public


def zone_has_vpc(zone_id, vpc_id):
    vpcs = r53.get_hosted_zone(Id=zone_id).get("VPCs", [])
    return any(v["VPCId"] == vpc_id for v in vpcs)


def change(zone_id, action, name, rtype, value):
    batch = {"Changes": [{"Action": action, "ResourceRecordSet": {
        "Name": name, "Type": rtype, "TTL": 60, "ResourceRecords": [{"Value": value}]}}]}
    try:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch=batch)
        print("%s %s %s %s in %s" % (action, name, rtype, value, zone_id))
    except ClientError as e:
        msg = e.response["Error"]["Message"]
        if action == "DELETE" and "not found" in msg:
            print("%s %s already gone" % (name, rtype))
        elif "conflicts with other records" in msg or "conflicting RRSet" in msg:
            print("%s %s conflicts with other records: %s" % (name, rtype, msg))
        else:
            raise


def reverse_zone_name(ip, prefix_len):
    octets = ip.split(".")
    keep = 3 if prefix_len >= 24 else 2 if prefix_len >= 16 else 1
    return ".".join(reversed(octets[:keep])) + ".in-addr.arpa."


def ensure_reverse_zone(name, vpc_id, region, private):
    if name in private:
        zid = private[name]
        if not zone_has_vpc(zid, vpc_id):
            r53.associate_vpc_with_hosted_zone(
                HostedZoneId=zid, VPC={"VPCRegion": region, "VPCId": vpc_id})
        return zid
    print("creating reverse lookup zone " + name)
    zid = r53.create_hosted_zone(
        Name=name, CallerReference="ddns-%s-%d" % (vpc_id, time.time() * 1000),
        VPC={"VPCRegion": region, "VPCId": vpc_id},
        HostedZoneConfig={"Comment": "reverse lookup zone created by ddns", "PrivateZone": True},
    )["HostedZone"]["Id"].split("/")[-1]
    private[name] = zid
    return zid


# ---------------------------------------------------------------- records

def plan(inst, region):
    """The records the instance gets: a list of (zone id, name, type, value).
    Computed the same way at start and at stop, from the stored instance."""
    vpc_id = inst["VpcId"]
    attrs = {a: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=a) for a in ("enableDnsSupport", "enableDnsHostnames")}
    if not (attrs["enableDnsSupport"]["EnableDnsSupport"]["Value"] and attrs["enableDnsHostnames"]["EnableDnsHostnames"]["Value"]):
        print("DNS support or DNS hostnames off in %s: nothing to do" % vpc_id)
        return []
    private, public = zones()
    private_ip = inst["PrivateIpAddress"]
    public_ip = inst.get("PublicIpAddress")
    host = "ip-" + private_ip.replace(".", "-")
    if inst.get("PublicDnsName"):
        public_host = inst["PublicDnsName"].split(".")[0]
    elif public_ip:
        public_host = "ec2-" + public_ip.replace(".", "-")
    else:
        public_host = None
    tags = {t["Key"]: t["Value"] for t in inst.get("Tags", [])}

    # The private zones this instance belongs to: the VPC's DHCP domain
    # name, and the ZONE tag when it names a private zone.
    private_names = []
    dhcp_id = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0].get("DhcpOptionsId")
    if dhcp_id and dhcp_id != "default":
        for cfg in ec2.describe_dhcp_options(DhcpOptionsIds=[dhcp_id])["DhcpOptions"][0]["DhcpConfigurations"]:
            if cfg["Key"] == "domain-name":
                for v in cfg["Values"]:
                    name = v["Value"].rstrip(".") + "."
                    if name in private and zone_has_vpc(private[name], vpc_id):
                        private_names.append(name)
    zone_tag = tags.get("ZONE")
    if zone_tag and zone_tag in private and zone_has_vpc(private[zone_tag], vpc_id) and zone_tag not in private_names:
        private_names.append(zone_tag)

    records = []
    for zname in private_names:
        fqdn = host + "." + zname
        records.append((private[zname], fqdn, "A", private_ip))
    if private_names:
        subnet = ec2.describe_subnets(SubnetIds=[inst["SubnetId"]])["Subnets"][0]
        prefix_len = int(subnet["CidrBlock"].split("/")[1])
        rzone = ensure_reverse_zone(reverse_zone_name(private_ip, prefix_len), vpc_id, region, private)
        ptr = ".".join(reversed(private_ip.split("."))) + ".in-addr.arpa."
        records.append((rzone, ptr, "PTR", host + "." + private_names[0]))
    if zone_tag and zone_tag in public and public_ip and public_host:
        records.append((public[zone_tag], public_host + "." + zone_tag, "A", public_ip))

    cname = tags.get("CNAME")
    if cname:
        cname = cname.rstrip(".") + "."
        for zname in private_names:
            if cname.endswith("." + zname):
                records.append((private[zname], cname, "CNAME", host + "." + zname))
        if zone_tag in public and public_host and cname.endswith("." + zone_tag):
            records.append((public[zone_tag], cname, "CNAME", public_host + "." + zone_tag))
    return records


def lambda_handler(event, context):
    print("event: " + json.dumps(event))
    region = event["region"]
    instance_id = event["detail"]["instance-id"]
    state = event["detail"]["state"]

    if state == "running":
        ensure_table()
        inst = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
        inst = json.loads(json.dumps(inst, default=str))  # datetimes as strings
        ddb.put_item(TableName=TABLE, Item={"InstanceId": {"S": instance_id}, "InstanceAttributes": to_attr(inst)})
        print("stored %s in %s" % (instance_id, TABLE))
        action = "UPSERT"
    else:
        got = ddb.get_item(TableName=TABLE, Key={"InstanceId": {"S": instance_id}},
                           AttributesToGet=["InstanceAttributes"])
        if "Item" not in got:
            print("no stored record of %s" % instance_id)
            return
        inst = from_attr(got["Item"]["InstanceAttributes"])
        action = "DELETE"

    records = plan(inst, region)
    for zone_id, name, rtype, value in records:
        change(zone_id, action, name, rtype, value)
    if action == "DELETE":
        ddb.delete_item(TableName=TABLE, Key={"InstanceId": {"S": instance_id}})
    print("%s %d records for %s" % (action, len(records), instance_id))
    return {"action": action, "records": len(records)}
