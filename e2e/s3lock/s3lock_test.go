package s3lock

import (
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestBoto3ObjectLock drives Object Lock as a user's boto3 code meets it:
// a lock bucket with a default retention, explicit retention and legal
// holds, refused deletes of locked versions, the governance bypass,
// DeleteObjects' per-key errors, and lock calls on a bucket without it.
func TestBoto3ObjectLock(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.Python(t, `
import boto3, botocore, datetime
from botocore.config import Config
s3 = boto3.client("s3", config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}))
region = s3.meta.region_name
loc = {"LocationConstraint": region}

def err(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

s3.create_bucket(Bucket="vault", CreateBucketConfiguration=loc, ObjectLockEnabledForBucket=True)
assert s3.get_bucket_versioning(Bucket="vault")["Status"] == "Enabled"
assert err(lambda: s3.put_bucket_versioning(Bucket="vault", VersioningConfiguration={"Status": "Suspended"})) == ("InvalidBucketState", 409)
assert s3.get_object_lock_configuration(Bucket="vault")["ObjectLockConfiguration"] == {"ObjectLockEnabled": "Enabled"}
assert err(lambda: s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1, "Years": 1}}})) == ("MalformedXML", 400)
assert err(lambda: s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 0}}})) == ("InvalidArgument", 400)
s3.put_object_lock_configuration(Bucket="vault", ObjectLockConfiguration={"ObjectLockEnabled": "Enabled",
    "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})

# The default retention stamps a new version.
v1 = s3.put_object(Bucket="vault", Key="ledger", Body=b"v1")
h = s3.head_object(Bucket="vault", Key="ledger")
assert h["ObjectLockMode"] == "GOVERNANCE", h
assert h["ObjectLockRetainUntilDate"] - h["LastModified"] == datetime.timedelta(days=1), h

# A locked version cannot be deleted; a plain delete adds a marker.
assert err(lambda: s3.delete_object(Bucket="vault", Key="ledger", VersionId=v1["VersionId"])) == ("AccessDenied", 403)
marker = s3.delete_object(Bucket="vault", Key="ledger")
assert marker["DeleteMarker"] is True
s3.delete_object(Bucket="vault", Key="ledger", VersionId=marker["VersionId"])

# Retention: extend yes, shorten only with the bypass; COMPLIANCE never.
until = h["ObjectLockRetainUntilDate"]
assert err(lambda: s3.put_object_retention(Bucket="vault", Key="ledger", VersionId=v1["VersionId"],
    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until - datetime.timedelta(hours=1)})) == ("AccessDenied", 403)
s3.put_object_retention(Bucket="vault", Key="ledger", VersionId=v1["VersionId"],
    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until + datetime.timedelta(days=1)})
s3.put_object_retention(Bucket="vault", Key="ledger", VersionId=v1["VersionId"], BypassGovernanceRetention=True,
    Retention={"Mode": "COMPLIANCE", "RetainUntilDate": until})
r = s3.get_object_retention(Bucket="vault", Key="ledger", VersionId=v1["VersionId"])["Retention"]
assert r["Mode"] == "COMPLIANCE" and r["RetainUntilDate"] == until, r
assert err(lambda: s3.delete_object(Bucket="vault", Key="ledger", VersionId=v1["VersionId"], BypassGovernanceRetention=True)) == ("AccessDenied", 403)
assert err(lambda: s3.put_object_retention(Bucket="vault", Key="ledger", VersionId=v1["VersionId"], BypassGovernanceRetention=True,
    Retention={"Mode": "GOVERNANCE", "RetainUntilDate": until + datetime.timedelta(days=9)})) == ("AccessDenied", 403)

# Explicit headers override the default; a legal hold outlives the bypass.
soon = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
g = s3.put_object(Bucket="vault", Key="held", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=soon,
    ObjectLockLegalHoldStatus="ON")
assert s3.get_object_legal_hold(Bucket="vault", Key="held")["LegalHold"]["Status"] == "ON"
assert err(lambda: s3.put_object(Bucket="vault", Key="half", Body=b"x", ObjectLockMode="GOVERNANCE")) == ("InvalidArgument", 400)
out = s3.delete_objects(Bucket="vault", BypassGovernanceRetention=True, Delete={"Objects": [{"Key": "held", "VersionId": g["VersionId"]}]})
assert [e["Code"] for e in out.get("Errors", [])] == ["AccessDenied"], out
s3.put_object_legal_hold(Bucket="vault", Key="held", VersionId=g["VersionId"], LegalHold={"Status": "OFF"})
out = s3.delete_objects(Bucket="vault", BypassGovernanceRetention=True, Delete={"Objects": [{"Key": "held", "VersionId": g["VersionId"]}]})
assert len(out.get("Deleted", [])) == 1 and not out.get("Errors"), out

# Lock calls on a bucket without Object Lock.
s3.create_bucket(Bucket="plain", CreateBucketConfiguration=loc)
s3.put_object(Bucket="plain", Key="k", Body=b"x")
assert err(lambda: s3.get_object_retention(Bucket="plain", Key="k")) == ("InvalidRequest", 400)
assert err(lambda: s3.put_object_legal_hold(Bucket="plain", Key="k", LegalHold={"Status": "ON"})) == ("InvalidRequest", 400)
assert err(lambda: s3.put_object(Bucket="plain", Key="k", Body=b"x", ObjectLockMode="GOVERNANCE", ObjectLockRetainUntilDate=soon)) == ("InvalidRequest", 400)
assert err(lambda: s3.get_object_lock_configuration(Bucket="plain")) == ("ObjectLockConfigurationNotFoundError", 404)
assert err(lambda: s3.delete_object(Bucket="plain", Key="k", BypassGovernanceRetention=True)) == ("InvalidArgument", 400)
`)
}

// TestBoto3AttributesRestoreConfigsReplication covers GetObjectAttributes,
// GLACIER objects and RestoreObject, the id-keyed configurations, the
// expected bucket owner and replication to a bucket of another region.
func TestBoto3AttributesRestoreConfigsReplication(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	n.Python(t, `
import boto3, botocore, time
from botocore.config import Config
cfg = Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1})
s3 = boto3.client("s3", config=cfg)
eu = boto3.client("s3", region_name="eu-west-1", config=cfg)
region = s3.meta.region_name
loc = {"LocationConstraint": region}

def err(fn):
    try:
        fn()
    except botocore.exceptions.ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    return None, 200

s3.create_bucket(Bucket="attrs", CreateBucketConfiguration=loc)
p = s3.put_object(Bucket="attrs", Key="a", Body=b"hello", ChecksumAlgorithm="SHA256")
a = s3.get_object_attributes(Bucket="attrs", Key="a", ObjectAttributes=["ETag", "Checksum", "ObjectSize", "StorageClass"])
assert a["ETag"] == p["ETag"].strip('"') and a["ObjectSize"] == 5 and a["StorageClass"] == "STANDARD", a
assert a["Checksum"]["ChecksumSHA256"] == p["ChecksumSHA256"], a
assert err(lambda: s3.get_object_attributes(Bucket="attrs", Key="a", ObjectAttributes=["Size"])) == ("InvalidArgument", 400)

# GLACIER: no GET until restored; the restore is accepted once.
s3.put_object(Bucket="attrs", Key="cold", Body=b"ice", StorageClass="GLACIER")
assert err(lambda: s3.get_object(Bucket="attrs", Key="cold")) == ("InvalidObjectState", 403)
r = s3.restore_object(Bucket="attrs", Key="cold", RestoreRequest={"Days": 1, "GlacierJobParameters": {"Tier": "Standard"}})
assert r["ResponseMetadata"]["HTTPStatusCode"] == 202, r
assert err(lambda: s3.restore_object(Bucket="attrs", Key="cold", RestoreRequest={"Days": 1})) == ("RestoreAlreadyInProgress", 409)
assert s3.head_object(Bucket="attrs", Key="cold")["Restore"] == 'ongoing-request="true"'
assert err(lambda: s3.restore_object(Bucket="attrs", Key="a", RestoreRequest={"Days": 1})) == ("InvalidObjectState", 403)

# Id-keyed configurations.
s3.put_bucket_metrics_configuration(Bucket="attrs", Id="all", MetricsConfiguration={"Id": "all"})
assert [m["Id"] for m in s3.list_bucket_metrics_configurations(Bucket="attrs")["MetricsConfigurationList"]] == ["all"]
s3.delete_bucket_metrics_configuration(Bucket="attrs", Id="all")
assert err(lambda: s3.get_bucket_metrics_configuration(Bucket="attrs", Id="all")) == ("NoSuchConfiguration", 404)
s3.put_bucket_inventory_configuration(Bucket="attrs", Id="weekly", InventoryConfiguration={"Id": "weekly", "IsEnabled": True,
    "IncludedObjectVersions": "All", "Schedule": {"Frequency": "Weekly"},
    "Destination": {"S3BucketDestination": {"Bucket": "arn:aws:s3:::attrs", "Format": "CSV"}}})
assert s3.get_bucket_inventory_configuration(Bucket="attrs", Id="weekly")["InventoryConfiguration"]["Schedule"]["Frequency"] == "Weekly"

# x-amz-expected-bucket-owner.
assert err(lambda: s3.head_object(Bucket="attrs", Key="a", ExpectedBucketOwner="999999999999"))[1] == 403
s3.head_object(Bucket="attrs", Key="a", ExpectedBucketOwner=boto3.client("sts").get_caller_identity()["Account"])

# Replication to a bucket of another region.
s3.create_bucket(Bucket="repl-src", CreateBucketConfiguration=loc)
eu.create_bucket(Bucket="repl-dst", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
rc = {"Role": "arn:aws:iam::000000000000:role/repl", "Rules": [{"ID": "r", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
    "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": "arn:aws:s3:::repl-dst"}}]}
assert err(lambda: s3.put_bucket_replication(Bucket="repl-src", ReplicationConfiguration=rc)) == ("InvalidRequest", 400)
s3.put_bucket_versioning(Bucket="repl-src", VersioningConfiguration={"Status": "Enabled"})
eu.put_bucket_versioning(Bucket="repl-dst", VersioningConfiguration={"Status": "Enabled"})
s3.put_bucket_replication(Bucket="repl-src", ReplicationConfiguration=rc)
w = s3.put_object(Bucket="repl-src", Key="doc", Body=b"copy me")
deadline = time.time() + 60
while s3.head_object(Bucket="repl-src", Key="doc").get("ReplicationStatus") != "COMPLETED":
    assert time.time() < deadline, s3.head_object(Bucket="repl-src", Key="doc")
    time.sleep(0.2)
g = eu.get_object(Bucket="repl-dst", Key="doc")
assert g["Body"].read() == b"copy me" and g["ReplicationStatus"] == "REPLICA" and g["VersionId"] == w["VersionId"], g
`)
}

// TestCLIObjectLock runs the main Object Lock flow with both aws CLI
// versions.
func TestCLIObjectLock(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			t.Parallel()
			b := "cli-vault-" + cli.Name
			framework.CLIJSON(t, n, cli, nil, "s3api", "create-bucket", "--bucket", b, "--object-lock-enabled-for-bucket",
				"--create-bucket-configuration", "LocationConstraint="+n.Region)
			framework.CLIJSON(t, n, cli, nil, "s3api", "put-object-lock-configuration", "--bucket", b, "--object-lock-configuration",
				`{"ObjectLockEnabled":"Enabled","Rule":{"DefaultRetention":{"Mode":"GOVERNANCE","Days":1}}}`)
			until := time.Now().UTC().Add(3 * time.Hour).Truncate(time.Second).Format(time.RFC3339)
			var put struct{ VersionId string }
			framework.CLIJSON(t, n, cli, &put, "s3api", "put-object", "--bucket", b, "--key", "k", "--body", "/etc/hostname",
				"--object-lock-mode", "GOVERNANCE", "--object-lock-retain-until-date", until, "--object-lock-legal-hold-status", "OFF")
			var head map[string]any
			framework.CLIJSON(t, n, cli, &head, "s3api", "head-object", "--bucket", b, "--key", "k")
			if head["ObjectLockMode"] != "GOVERNANCE" || head["ObjectLockLegalHoldStatus"] != "OFF" || head["ObjectLockRetainUntilDate"] == nil {
				t.Fatalf("head-object: %v", head)
			}
			_, errOut, err := n.RunCLI(t, cli, nil, "s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", put.VersionId)
			if err == nil || !strings.Contains(errOut, "AccessDenied") {
				t.Fatalf("delete of a locked version: %v %s", err, errOut)
			}
			framework.CLIJSON(t, n, cli, nil, "s3api", "delete-object", "--bucket", b, "--key", "k", "--version-id", put.VersionId, "--bypass-governance-retention")
			var attrs struct {
				ObjectSize int64
				ETag       string
			}
			framework.CLIJSON(t, n, cli, nil, "s3api", "put-object", "--bucket", b, "--key", "a", "--body", "/etc/hostname")
			framework.CLIJSON(t, n, cli, &attrs, "s3api", "get-object-attributes", "--bucket", b, "--key", "a", "--object-attributes", "ObjectSize", "ETag")
			if attrs.ObjectSize == 0 || attrs.ETag == "" || strings.Contains(attrs.ETag, `"`) {
				t.Fatalf("get-object-attributes: %+v", attrs)
			}
			var ret struct{ Retention struct{ Mode string } }
			framework.CLIJSON(t, n, cli, &ret, "s3api", "get-object-retention", "--bucket", b, "--key", "a")
			if ret.Retention.Mode != "GOVERNANCE" {
				t.Fatalf("default retention through the CLI: %+v", ret)
			}
		})
	}
}
