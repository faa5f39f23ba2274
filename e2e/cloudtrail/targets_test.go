package cloudtrail

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3TrailTargets: a trail encrypts its log files with its KMS key
// (refused at creation while the key policy leaves CloudTrail out),
// notifies its SNS topic of each delivery in AWS's message shape, and
// puts its records into its CloudWatch Logs log group in the stream
// <account>_CloudTrail_<region>; a key policy changed afterwards shows in
// GetTrailStatus's LatestDeliveryError.
func TestBoto3TrailTargets(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.Python(t, strings.ReplaceAll(`
import boto3, botocore, gzip, json, os, time, urllib.request
from botocore.config import Config
acct = "000000000000"
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}))
ct, kms, sns, sqs, logs, iam = (boto3.client(s) for s in ("cloudtrail", "kms", "sns", "sqs", "logs", "iam"))
region = s3.meta.region_name
name = "encrypted"
arn = f"arn:aws:cloudtrail:{region}:{acct}:trail/{name}"

def advance(by):
    req = urllib.request.Request(os.environ["AWS_ENDPOINT_URL"] + "/_niwa/clock/advance?by=" + by, method="POST")
    urllib.request.urlopen(req).read()

def wait(what, cond):
    deadline = time.time() + 60
    while time.time() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    raise SystemExit("timed out waiting for " + what)

s3.create_bucket(Bucket="enc-trail", CreateBucketConfiguration={"LocationConstraint": region})
s3.put_bucket_policy(Bucket="enc-trail", Policy=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:GetBucketAcl", "Resource": "arn:aws:s3:::enc-trail"},
    {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "s3:PutObject",
     "Resource": f"arn:aws:s3:::enc-trail/AWSLogs/{acct}/*", "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}}]}))

root_only = {"Version": "2012-10-17", "Statement": [
    {"Sid": "Enable IAM User Permissions", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{acct}:root"}, "Action": "kms:*", "Resource": "*"}]}
key = kms.create_key(Policy=json.dumps(root_only))["KeyMetadata"]["Arn"]
try:
    ct.create_trail(Name=name, S3BucketName="enc-trail", KmsKeyId=key)
    raise SystemExit("a key whose policy leaves CloudTrail out was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InsufficientEncryptionPolicyException", e.response
with_trail = dict(root_only, Statement=root_only["Statement"] + [
    {"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
     "Action": "kms:GenerateDataKey*", "Resource": "*"}])
kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(with_trail))

topic = sns.create_topic(Name="trail-deliveries")["TopicArn"]
try:
    ct.create_trail(Name=name, S3BucketName="enc-trail", SnsTopicName="trail-deliveries")
    raise SystemExit("a topic whose policy leaves CloudTrail out was accepted")
except botocore.exceptions.ClientError as e:
    assert e.response["Error"]["Code"] == "InsufficientSnsTopicPolicyException", e.response
sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "SNS:Publish", "Resource": topic}]}))
q = sqs.create_queue(QueueName="deliveries")["QueueUrl"]
qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=q, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})

logs.create_log_group(logGroupName="CloudTrail/logs")
group = logs.describe_log_groups(logGroupNamePrefix="CloudTrail/logs")["logGroups"][0]["arn"]
role = iam.create_role(RoleName="CloudTrail_CloudWatchLogs_Role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole"}]}))["Role"]["Arn"]

t = ct.create_trail(Name=name, S3BucketName="enc-trail", KmsKeyId=key, SnsTopicName="trail-deliveries",
                    CloudWatchLogsLogGroupArn=group, CloudWatchLogsRoleArn=role)
assert t["KmsKeyId"] == key and t["SnsTopicARN"] == topic and t["CloudWatchLogsLogGroupArn"] == group, t
ct.start_logging(Name=name)
sqs.create_queue(QueueName="recorded-call")
advance("6m")

prefix = f"AWSLogs/{acct}/CloudTrail/{region}/"
keys = wait("the log file", lambda: [o["Key"] for o in s3.list_objects_v2(Bucket="enc-trail", Prefix=prefix).get("Contents", [])])
head = s3.head_object(Bucket="enc-trail", Key=keys[0])
assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == key, head
records = json.loads(gzip.decompress(s3.get_object(Bucket="enc-trail", Key=keys[0])["Body"].read()))["Records"]
assert any(r["eventName"] == "CreateQueue" and r["requestParameters"]["queueName"] == "recorded-call" for r in records), records

msgs = wait("the SNS notification", lambda: sqs.receive_message(QueueUrl=q, WaitTimeSeconds=1).get("Messages"))
note = json.loads(msgs[0]["Body"])
assert note == {"s3Bucket": "enc-trail", "s3ObjectKey": keys}, note

stream = f"{acct}_CloudTrail_{region}"
def trail_events():
    # CloudTrail creates its stream with the first delivery to the log
    # group, which may come a moment after the S3 one: until then the
    # stream does not exist.
    try:
        return logs.filter_log_events(logGroupName="CloudTrail/logs", logStreamNames=[stream]).get("events")
    except logs.exceptions.ResourceNotFoundException:
        return None
evs = wait("the CloudWatch Logs events", trail_events)
assert any(json.loads(e["message"])["eventName"] == "CreateQueue" for e in evs), evs

# The key policy no longer lets CloudTrail in: the next delivery fails.
kms.put_key_policy(KeyId=key, PolicyName="default", Policy=json.dumps(root_only))
sqs.create_queue(QueueName="after-the-change")
advance("6m")
st = wait("the delivery error", lambda: (lambda s: s if s.get("LatestDeliveryError") else None)(ct.get_trail_status(Name=name)))
assert st["LatestDeliveryError"].startswith("KMS"), st
`, "\t", "    "))
}
