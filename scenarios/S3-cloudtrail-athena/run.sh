#!/usr/bin/env bash
# S3 — CloudTrail to S3, read with Athena (seed 001).
#
# A trail logs to "<name>-test-bucket"'s sibling log bucket with AWS's
# documented bucket policy and records S3 data events; an IAM user uploads
# hane.jpg; once niwa's clock has moved past CloudTrail's 5-minute delivery,
# the gzip log file holds the PutObject record of hane.jpg naming the user.
# Then the CloudTrail table DDL in Athena, the seed's query through
# start-query-execution/get-query-results naming the user, and the result
# CSV in the output bucket.
set -euo pipefail

AWS_ENDPOINT_URL="${AWS_ENDPOINT_URL:-http://localhost:4566}"
export AWS_DEFAULT_REGION="${AWS_DEFAULT_REGION:-us-east-1}"
export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}" AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
awscli() { aws --endpoint-url "$AWS_ENDPOINT_URL" "$@"; }
fail() { echo "S3 FAILED: $*" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

region="$AWS_DEFAULT_REGION"
suffix="$(date +%s)$$"
data="hane-$suffix-test-bucket"
logs="aws-cloudtrail-logs-$suffix"
trail="management-events-$suffix"
account="$(awscli sts get-caller-identity --query Account --output text)"
trail_arn="arn:aws:cloudtrail:$region:$account:trail/$trail"
mb() { if [ "$region" = us-east-1 ]; then awscli s3api create-bucket --bucket "$1" >/dev/null
       else awscli s3api create-bucket --bucket "$1" --create-bucket-configuration "LocationConstraint=$region" >/dev/null; fi; }
mb "$data"
mb "$logs"

# The bucket policy the CloudTrail console writes for a new trail.
awscli s3api put-bucket-policy --bucket "$logs" --policy "{\"Version\":\"2012-10-17\",\"Statement\":[
 {\"Sid\":\"AWSCloudTrailAclCheck20150319\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},
  \"Action\":\"s3:GetBucketAcl\",\"Resource\":\"arn:aws:s3:::$logs\",\"Condition\":{\"StringEquals\":{\"AWS:SourceArn\":\"$trail_arn\"}}},
 {\"Sid\":\"AWSCloudTrailWrite20150319\",\"Effect\":\"Allow\",\"Principal\":{\"Service\":\"cloudtrail.amazonaws.com\"},
  \"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::$logs/AWSLogs/$account/*\",
  \"Condition\":{\"StringEquals\":{\"AWS:SourceArn\":\"$trail_arn\",\"s3:x-amz-acl\":\"bucket-owner-full-control\"}}}]}"
awscli cloudtrail create-trail --name "$trail" --s3-bucket-name "$logs" --is-multi-region-trail --enable-log-file-validation >/dev/null
awscli cloudtrail put-event-selectors --trail-name "$trail" --advanced-event-selectors '[
 {"Name":"Management events","FieldSelectors":[{"Field":"eventCategory","Equals":["Management"]}]},
 {"Name":"S3 data events","FieldSelectors":[{"Field":"eventCategory","Equals":["Data"]},{"Field":"resources.type","Equals":["AWS::S3::Object"]}]}]' >/dev/null
awscli cloudtrail start-logging --name "$trail"
[ "$(awscli cloudtrail get-trail-status --name "$trail" --query IsLogging --output text)" = True ] || fail "trail is not logging"

# An IAM user uploads the picture.
user="hane-uploader-$suffix"
awscli iam create-user --user-name "$user" >/dev/null
awscli iam put-user-policy --user-name "$user" --policy-name upload --policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:PutObject\",\"Resource\":\"arn:aws:s3:::$data/*\"}]}"
read -r key secret < <(awscli iam create-access-key --user-name "$user" --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
printf '\xff\xd8\xff\xe0hane' > "$work/hane.jpg"
AWS_ACCESS_KEY_ID="$key" AWS_SECRET_ACCESS_KEY="$secret" awscli s3 cp "$work/hane.jpg" "s3://$data/hane.jpg" >/dev/null

# CloudTrail delivers about every 5 minutes: move niwa's clock instead of
# waiting, then poll (bounded) for the delivery pass to write the file.
curl -sf -X POST "$AWS_ENDPOINT_URL/_niwa/clock/advance?by=6m" >/dev/null
prefix="AWSLogs/$account/CloudTrail/$region/"
found=""
end=$((SECONDS + 60)); while [ "$SECONDS" -lt "$end" ]; do # generous on a loaded machine; returns once it holds
  rm -rf "$work/ct"; mkdir -p "$work/ct"
  awscli s3 cp "s3://$logs/$prefix" "$work/ct" --recursive >/dev/null
  for f in $(find "$work/ct" -name '*.json.gz'); do
    if gunzip -c "$f" | python3 -c '
import json, sys
recs = json.load(sys.stdin)["Records"]
ok = [r for r in recs if r["eventName"] == "PutObject" and r["requestParameters"].get("key") == "hane.jpg"
      and r["userIdentity"].get("userName") == sys.argv[1] and r["eventSource"] == "s3.amazonaws.com"]
sys.exit(0 if ok else 1)' "$user"; then found="$f"; fi
  done
  [ -n "$found" ] && break
  sleep 0.5
done
[ -n "$found" ] || fail "no delivered log file with the PutObject record of hane.jpg by $user"
echo "delivered: ${found#"$work/ct/"}"
basename "$found" | grep -Eq "^${account}_CloudTrail_${region}_[0-9]{8}T[0-9]{4}Z_[A-Za-z0-9]{16}\.json\.gz$" || fail "log file name: $found"

# --- Athena: the CloudTrail table and the seed's query. ---
# The table DDL AWS documents for CloudTrail logs ("Creating a table for
# CloudTrail logs in Athena using manual partitioning", unpartitioned),
# over the trail's log prefix; results go to an output bucket as CSV.
results="athena-results-$suffix"
mb "$results"
# athena_run SQL: starts the query, waits (bounded) for it to end, and
# prints its execution id; a query that does not SUCCEED fails the script.
athena_run() {
  local id state
  id="$(awscli athena start-query-execution --query-string "$1" \
        --query-execution-context Database=default \
        --result-configuration "OutputLocation=s3://$results/" --query 'QueryExecutionId' --output text)"
  end=$((SECONDS + 60)); while [ "$SECONDS" -lt "$end" ]; do
    state="$(awscli athena get-query-execution --query-execution-id "$id" --query 'QueryExecution.Status.State' --output text)"
    case "$state" in
      SUCCEEDED) echo "$id"; return 0 ;;
      FAILED|CANCELLED) fail "query $state: $1: $(awscli athena get-query-execution --query-execution-id "$id" --query 'QueryExecution.Status.StateChangeReason' --output text)" ;;
    esac
    sleep 0.2
  done
  fail "query did not finish: $1"
}
table="cloudtrail_logs_$suffix"
athena_run "CREATE EXTERNAL TABLE $table (
eventversion STRING,
useridentity STRUCT<type:STRING, principalid:STRING, arn:STRING, accountid:STRING, invokedby:STRING,
  accesskeyid:STRING, username:STRING,
  sessioncontext:STRUCT<attributes:STRUCT<mfaauthenticated:STRING, creationdate:STRING>,
    sessionissuer:STRUCT<type:STRING, principalid:STRING, arn:STRING, accountid:STRING, username:STRING>>>,
eventtime STRING,
eventsource STRING,
eventname STRING,
awsregion STRING,
sourceipaddress STRING,
useragent STRING,
errorcode STRING,
errormessage STRING,
requestparameters STRING,
responseelements STRING,
additionaleventdata STRING,
requestid STRING,
eventid STRING,
resources ARRAY<STRUCT<arn:STRING, accountid:STRING, type:STRING>>,
eventtype STRING,
apiversion STRING,
readonly STRING,
recipientaccountid STRING,
serviceeventdetails STRING,
sharedeventid STRING,
vpcendpointid STRING,
eventcategory STRING,
tlsdetails STRUCT<tlsversion:STRING, ciphersuite:STRING, clientprovidedhostheader:STRING>
)
COMMENT 'CloudTrail table for $logs'
ROW FORMAT SERDE 'com.amazon.emr.hive.serde.CloudTrailSerde'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://$logs/AWSLogs/$account/CloudTrail/'
TBLPROPERTIES ('classification'='cloudtrail')" >/dev/null

# The seed's query.
qid="$(athena_run "select eventTime, userIdentity.userName, eventName, eventSource from $table where requestparameters like '%hane.jpg%' limit 10")"
awscli athena get-query-results --query-execution-id "$qid" --output json > "$work/results.json"
python3 - "$work/results.json" "$user" <<'PY' || fail "the query's rows lack the PutObject of hane.jpg by $user"
import json, sys
rows = [[c.get("VarCharValue") for c in r["Data"]] for r in json.load(open(sys.argv[1]))["ResultSet"]["Rows"]]
print("header:", rows[0])
assert [h.lower() for h in rows[0]] == ["eventtime", "username", "eventname", "eventsource"], rows[0]
hits = [r for r in rows[1:] if r[1] == sys.argv[2] and r[2] == "PutObject" and r[3] == "s3.amazonaws.com"]
print("rows:", rows[1:])
sys.exit(0 if hits else 1)
PY
# The result CSV is in the output bucket.
awscli s3 cp "s3://$results/$qid.csv" "$work/result.csv" >/dev/null || fail "no result CSV s3://$results/$qid.csv"
grep -q "\"$user\"" "$work/result.csv" || fail "result CSV lacks $user"
grep -q '"PutObject"' "$work/result.csv" || fail "result CSV lacks PutObject"

echo "S3 OK"
