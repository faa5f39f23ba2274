"""EC2 Scheduler for niwa's S13, written from the description of AWS's
EC2 Scheduler (seed 002) for python3: every five minutes an EventBridge
rule invokes it; it starts and stops the instances tagged
`scheduler:ec2-startstop` = `start;stop;utc;days` (HHMM times, days
`all`, `weekdays` or `mon,tue,...`; empty fields take the defaults kept in
DynamoDB) and publishes a 1 (running) / 0 (stopped) EC2Scheduler metric per
instance. Invoked as a CloudFormation custom resource it writes those
defaults to the table and answers at the ResponseURL.
"""
import datetime
import json
import os
import urllib.request

import boto3

TABLE = os.environ["CONFIG_TABLE"]
ddb = boto3.client("dynamodb")
ec2 = boto3.client("ec2")
cw = boto3.client("cloudwatch")
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def respond(event, status, data=None, reason=""):
    body = json.dumps({
        "Status": status, "Reason": reason or "see the function's log",
        "PhysicalResourceId": "EC2SchedulerConfig-" + event["LogicalResourceId"],
        "StackId": event["StackId"], "RequestId": event["RequestId"],
        "LogicalResourceId": event["LogicalResourceId"], "Data": data or {},
    }).encode()
    req = urllib.request.Request(event["ResponseURL"], data=body, method="PUT", headers={"content-type": ""})
    with urllib.request.urlopen(req) as r:
        print("response sent:", r.status)


def configure(event):
    props = event["ResourceProperties"]
    try:
        if event["RequestType"] in ("Create", "Update"):
            ddb.put_item(TableName=TABLE, Item={
                "SolutionName": {"S": "EC2Scheduler"},
                "DefaultStartTime": {"S": props["DefaultStartTime"]},
                "DefaultStopTime": {"S": props["DefaultStopTime"]},
                "DefaultDaysActive": {"S": props["DefaultDaysActive"]},
                "CustomTagName": {"S": props["CustomTagName"]},
                "CloudWatchMetrics": {"S": props.get("CloudWatchMetrics", "Enabled")},
            })
        respond(event, "SUCCESS", {"TagName": props["CustomTagName"]})
    except Exception as e:  # the stack must hear of any failure
        respond(event, "FAILED", reason=str(e))


def active_day(days, now):
    days = days.lower()
    today = DAYS[now.weekday()]
    if days == "all":
        return True
    if days == "weekdays":
        return today in DAYS[:5]
    return today in [d.strip() for d in days.split(",")]


def due(hhmm, now):
    """hhmm falls in the five minutes ending now (the rule's period)."""
    if not hhmm:
        return False
    t = now.replace(hour=int(hhmm[:2]), minute=int(hhmm[2:]), second=0, microsecond=0)
    return now - datetime.timedelta(minutes=5) < t <= now


def handler(event, context):
    if "RequestType" in event:
        configure(event)
        return
    now = datetime.datetime.strptime(event["time"], "%Y-%m-%dT%H:%M:%SZ")
    cfg = ddb.get_item(TableName=TABLE, Key={"SolutionName": {"S": "EC2Scheduler"}})["Item"]
    tag = cfg["CustomTagName"]["S"]
    out = ec2.describe_instances(Filters=[{"Name": "tag-key", "Values": [tag]}])
    for res in out["Reservations"]:
        for inst in res["Instances"]:
            value = next(t["Value"] for t in inst.get("Tags", []) if t["Key"] == tag)
            fields = (value.split(";") + ["", "", "", ""])[:4]
            start = fields[0] or cfg["DefaultStartTime"]["S"]
            stop = fields[1] or cfg["DefaultStopTime"]["S"]
            days = fields[3] or cfg["DefaultDaysActive"]["S"]
            iid, state = inst["InstanceId"], inst["State"]["Name"]
            if active_day(days, now) and due(start, now) and state == "stopped":
                ec2.start_instances(InstanceIds=[iid])
                state = "running"
                print(now.isoformat(), "started", iid)
            elif active_day(days, now) and due(stop, now) and state == "running":
                ec2.stop_instances(InstanceIds=[iid])
                state = "stopped"
                print(now.isoformat(), "stopped", iid)
            if cfg["CloudWatchMetrics"]["S"] == "Enabled":
                cw.put_metric_data(Namespace="EC2Scheduler", MetricData=[{
                    "MetricName": iid, "Dimensions": [{"Name": "State", "Value": "Running"}],
                    "Timestamp": now, "Value": 1 if state in ("running", "pending") else 0, "Unit": "Count"}])
