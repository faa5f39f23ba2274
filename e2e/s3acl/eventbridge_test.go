package s3acl

import (
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3EventBridgeNotifications checks S3 → EventBridge end to end: a
// bucket with EventBridgeConfiguration, a rule on the default bus matching
// its events with an SQS target, and the events object writes, tag and
// ACL changes and deletes put there, in EventBridge's S3 event shape.
func TestBoto3EventBridgeNotifications(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json, time
from botocore.config import Config
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3, sqs, events = boto3.client("s3", config=cfg), boto3.client("sqs"), boto3.client("events")
region = s3.meta.region_name
s3.create_bucket(Bucket="evb", CreateBucketConfiguration={"LocationConstraint": region})
s3.put_bucket_versioning(Bucket="evb", VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_notification_configuration(Bucket="evb", NotificationConfiguration={"EventBridgeConfiguration": {}})
assert "EventBridgeConfiguration" in s3.get_bucket_notification_configuration(Bucket="evb")

q = sqs.create_queue(QueueName="s3-events")["QueueUrl"]
qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})
events.put_rule(Name="s3-evb", EventPattern=json.dumps({"source": ["aws.s3"], "detail": {"bucket": {"name": ["evb"]}}}))
events.put_targets(Rule="s3-evb", Targets=[{"Id": "q", "Arn": qarn}])

put = s3.put_object(Bucket="evb", Key="docs/report.txt", Body=b"hello")
s3.put_object_tagging(Bucket="evb", Key="docs/report.txt", Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
s3.delete_object_tagging(Bucket="evb", Key="docs/report.txt")
s3.put_object_acl(Bucket="evb", Key="docs/report.txt", ACL="private")
dele = s3.delete_object(Bucket="evb", Key="docs/report.txt")

want = ["Object Created", "Object Tags Added", "Object Tags Deleted", "Object ACL Updated", "Object Deleted"]
got = {}
deadline = time.time() + 60
while len(got) < len(want) and time.time() < deadline:
    for m in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
        e = json.loads(m["Body"])
        got[e["detail-type"]] = e
assert sorted(got) == sorted(want), sorted(got)
for dt, e in got.items():
    assert e["source"] == "aws.s3" and e["account"] and e["region"] == region, e
    assert e["resources"] == ["arn:aws:s3:::evb"], e
    d = e["detail"]
    assert d["version"] == "0" and d["bucket"] == {"name": "evb"} and d["object"]["key"] == "docs/report.txt", e
    assert d["request-id"] and d["requester"] and "source-ip-address" in d, e
c = got["Object Created"]["detail"]
assert c["reason"] == "PutObject" and c["object"]["size"] == 5 and c["object"]["etag"] == put["ETag"].strip('"'), c
assert c["object"]["version-id"] == put["VersionId"], c
for dt in ("Object Tags Added", "Object Tags Deleted", "Object ACL Updated"):
    o = got[dt]["detail"]["object"]
    assert o["etag"] == put["ETag"].strip('"') and o["version-id"] == put["VersionId"], (dt, o)
d = got["Object Deleted"]["detail"]
assert d["reason"] == "DeleteObject" and d["deletion-type"] == "Delete Marker Created", d
assert d["object"]["version-id"] == dele["VersionId"], d
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}

// TestBoto3EventBridgeClockEvents checks the events S3 puts on the bus by
// itself, on niwa's clock: a restore's "Object Restore Initiated" and,
// once the clock passes the Expedited delay, "Object Restore Completed";
// a lifecycle transition's "Object Storage Class Changed" once the clock
// passes the rule's Days.
func TestBoto3EventBridgeClockEvents(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.Python(t, `
import boto3, json
from botocore.config import Config
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3, sqs, events = boto3.client("s3", config=cfg), boto3.client("sqs"), boto3.client("events")
region = s3.meta.region_name
s3.create_bucket(Bucket="evclock", CreateBucketConfiguration={"LocationConstraint": region})
s3.put_bucket_notification_configuration(Bucket="evclock", NotificationConfiguration={"EventBridgeConfiguration": {}})
s3.put_bucket_lifecycle_configuration(Bucket="evclock", LifecycleConfiguration={"Rules": [{"ID": "cool", "Status": "Enabled",
    "Filter": {"Prefix": "cold/"}, "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}]})
q = sqs.create_queue(QueueName="s3-clock-events")["QueueUrl"]
qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"Service": "events.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})
events.put_rule(Name="s3-clock", EventPattern=json.dumps({"source": ["aws.s3"],
    "detail-type": ["Object Restore Initiated", "Object Restore Completed", "Object Storage Class Changed"]}))
events.put_targets(Rule="s3-clock", Targets=[{"Id": "q", "Arn": qarn}])
s3.put_object(Bucket="evclock", Key="frozen", Body=b"ice", StorageClass="GLACIER")
s3.put_object(Bucket="evclock", Key="cold/log", Body=b"warm bytes")
r = s3.restore_object(Bucket="evclock", Key="frozen", RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Expedited"}})
assert r["ResponseMetadata"]["HTTPStatusCode"] == 202, r
`)
	// Each wait reads what the clock's move caused before the next move:
	// SQS drops messages older than their retention period (4 days) on
	// the same clock.
	read := `
import boto3, json, time
s3, sqs = boto3.client("s3"), boto3.client("sqs")
q = sqs.get_queue_url(QueueName="s3-clock-events")["QueueUrl"]
def wait(want):
    got = {}
    deadline = time.time() + 60
    while len(got) < len(want) and time.time() < deadline:
        for m in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", []):
            e = json.loads(m["Body"])
            got[e["detail-type"]] = e
            sqs.delete_message(QueueUrl=q, ReceiptHandle=m["ReceiptHandle"])
    assert sorted(got) == sorted(want), sorted(got)
    for dt, e in got.items():
        assert e["source"] == "aws.s3" and e["resources"] == ["arn:aws:s3:::evclock"], e
        assert e["detail"]["version"] == "0" and e["detail"]["bucket"] == {"name": "evclock"}, e
    return got
`
	n.AdvanceClock(t, 2*time.Minute)
	out := n.Python(t, read+`
got = wait(["Object Restore Initiated", "Object Restore Completed"])
i = got["Object Restore Initiated"]["detail"]
assert i["object"]["key"] == "frozen" and i["source-storage-class"] == "GLACIER" and i["requester"] != "s3.amazonaws.com", i
c = got["Object Restore Completed"]["detail"]
assert c["object"]["key"] == "frozen" and c["requester"] == "s3.amazonaws.com" and c["restore-expiry-time"], c
assert 'ongoing-request="false"' in s3.head_object(Bucket="evclock", Key="frozen")["Restore"]
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
	n.AdvanceClock(t, 32*24*time.Hour)
	out = n.Python(t, read+`
got = wait(["Object Storage Class Changed"])
s = got["Object Storage Class Changed"]["detail"]
assert s["object"]["key"] == "cold/log" and s["object"]["size"] == 10 and s["destination-storage-class"] == "STANDARD_IA", s
assert s["requester"] == "s3.amazonaws.com", s
assert s3.head_object(Bucket="evclock", Key="cold/log")["StorageClass"] == "STANDARD_IA"
print("ok")
`)
	if !strings.Contains(out, "ok") {
		t.Fatalf("script did not finish: %s", out)
	}
}
