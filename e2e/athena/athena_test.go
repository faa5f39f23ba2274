package athena

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// query runs sql through start-query-execution and waits for it to end;
// it answers the execution as get-query-execution describes it.
func query(t *testing.T, n *framework.Niwa, cli framework.CLI, env []string, sql, output string) map[string]any {
	t.Helper()
	out, errOut, err := n.RunCLI(t, cli, env, "athena", "start-query-execution", "--query-string", sql,
		"--query-execution-context", "Database=default", "--result-configuration", "OutputLocation="+output)
	if err != nil {
		t.Fatalf("start-query-execution %s: %v\n%s", sql, err, errOut)
	}
	var started struct{ QueryExecutionId string }
	framework.MustJSON(t, out, &started)
	var qe map[string]any
	framework.WaitUntil(t, framework.Patience, func() bool {
		out, errOut, err := n.RunCLI(t, cli, env, "athena", "get-query-execution", "--query-execution-id", started.QueryExecutionId)
		if err != nil {
			t.Fatalf("get-query-execution: %v\n%s", err, errOut)
		}
		var ge struct{ QueryExecution map[string]any }
		framework.MustJSON(t, out, &ge)
		qe = ge.QueryExecution
		st := qe["Status"].(map[string]any)["State"]
		return st == "SUCCEEDED" || st == "FAILED" || st == "CANCELLED"
	}, "query "+sql+" finishes")
	return qe
}

func state(qe map[string]any) (string, string) {
	st := qe["Status"].(map[string]any)
	reason, _ := st["StateChangeReason"].(string)
	return st["State"].(string), reason
}

// rows runs a query that must succeed and answers get-query-results'
// rows, each "a|b|c" (the header row first, as Athena answers SELECT).
func rows(t *testing.T, n *framework.Niwa, cli framework.CLI, sql string) ([]string, map[string]any) {
	t.Helper()
	qe := query(t, n, cli, nil, sql, "s3://athena-results/q/")
	if s, reason := state(qe); s != "SUCCEEDED" {
		t.Fatalf("%s: %s %s", sql, s, reason)
	}
	out := n.MustCLI(t, cli, "athena", "get-query-results", "--query-execution-id", qe["QueryExecutionId"].(string))
	var res struct {
		ResultSet struct {
			Rows []struct {
				Data []struct{ VarCharValue *string }
			}
		}
	}
	framework.MustJSON(t, out, &res)
	var lines []string
	for _, r := range res.ResultSet.Rows {
		var cells []string
		for _, d := range r.Data {
			if d.VarCharValue == nil {
				cells = append(cells, "NULL")
			} else {
				cells = append(cells, *d.VarCharValue)
			}
		}
		lines = append(lines, strings.Join(cells, "|"))
	}
	return lines, qe
}

// prelude is the boto3 side of the tests: setup and most queries run in
// one python process (a CLI call costs seconds on a loaded machine); the
// CLI runs the queries the tests are about.
const prelude = `
import boto3, gzip, json, os, time, urllib.request
athena = boto3.client('athena')
s3 = boto3.client('s3')
def run(sql, out='s3://athena-results/q/', db='default', client=None):
    c = client or athena
    qid = c.start_query_execution(QueryString=sql, QueryExecutionContext={'Database': db},
        ResultConfiguration={'OutputLocation': out})['QueryExecutionId']
    end = time.time() + 120
    while time.time() < end:
        qe = c.get_query_execution(QueryExecutionId=qid)['QueryExecution']
        if qe['Status']['State'] in ('SUCCEEDED', 'FAILED', 'CANCELLED'):
            break
        time.sleep(0.05)
    res = {'state': qe['Status']['State'], 'reason': qe['Status'].get('StateChangeReason', ''),
           'error': qe['Status'].get('AthenaError'), 'rows': []}
    if res['state'] == 'SUCCEEDED':
        for r in c.get_query_results(QueryExecutionId=qid)['ResultSet']['Rows']:
            res['rows'].append('|'.join(d.get('VarCharValue', 'NULL') for d in r['Data']))
    return res
def mb(*names):
    region = s3.meta.region_name
    for b in names:
        if region == 'us-east-1':
            s3.create_bucket(Bucket=b)
        else:
            s3.create_bucket(Bucket=b, CreateBucketConfiguration={'LocationConstraint': region})
def must(sql, **kw):
    r = run(sql, **kw)
    assert r['state'] == 'SUCCEEDED', (sql, r)
    return r['rows']
`

// cloudTrailDDL is the CloudTrail table AWS documents (Querying AWS
// CloudTrail logs: "Creating a table for CloudTrail logs in Athena using
// manual partitioning", without the partitions).
const cloudTrailDDL = `CREATE EXTERNAL TABLE cloudtrail_logs (
eventversion STRING,
useridentity STRUCT<
               type:STRING,
               principalid:STRING,
               arn:STRING,
               accountid:STRING,
               invokedby:STRING,
               accesskeyid:STRING,
               username:STRING,
               onbehalfof: STRUCT<
                    userid: STRING,
                    identitystorearn: STRING>,
  sessioncontext:STRUCT<
    attributes:STRUCT<
               mfaauthenticated:STRING,
               creationdate:STRING>,
    sessionissuer:STRUCT<
               type:STRING,
               principalid:STRING,
               arn:STRING,
               accountid:STRING,
               username:STRING>,
    ec2roledelivery:string,
    webidfederationdata: STRUCT<
               federatedprovider: STRING,
               attributes: map<string,string>>
  >
>,
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
resources ARRAY<STRUCT<
               arn:STRING,
               accountid:STRING,
               type:STRING>>,
eventtype STRING,
apiversion STRING,
readonly STRING,
recipientaccountid STRING,
serviceeventdetails STRING,
sharedeventid STRING,
vpcendpointid STRING,
vpcendpointaccountid STRING,
eventcategory STRING,
addendum STRUCT<
  reason:STRING,
  updatedfields:STRING,
  originalrequestid:STRING,
  originaleventid:STRING>,
sessioncredentialfromconsole STRING,
edgedevicedetails STRING,
tlsdetails STRUCT<
  tlsversion:STRING,
  ciphersuite:STRING,
  clientprovidedhostheader:STRING>
)
COMMENT 'CloudTrail table for amzn-s3-demo-bucket bucket'
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION 's3://trail-logs/AWSLogs/000000000000/CloudTrail/'
TBLPROPERTIES ('classification'='cloudtrail');`

// trailFile is a CloudTrail log file as a trail delivers it.
const trailFile = `{"Records":[
{"eventVersion":"1.09","userIdentity":{"type":"IAMUser","principalId":"AIDAEXAMPLE","arn":"arn:aws:iam::000000000000:user/hana","accountId":"000000000000","accessKeyId":"AKIAEXAMPLE","userName":"hana"},"eventTime":"2026-05-01T12:00:00Z","eventSource":"s3.amazonaws.com","eventName":"PutObject","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"aws-cli/2.15","requestParameters":{"bucketName":"hane-test-bucket","Host":"localhost","key":"hane.jpg"},"responseElements":null,"requestID":"R1","eventID":"E1","readOnly":false,"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::hane-test-bucket/hane.jpg"}],"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"000000000000","eventCategory":"Data","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"localhost"}},
{"eventVersion":"1.09","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000"},"eventTime":"2026-05-01T12:01:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","requestParameters":null,"readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"eventCategory":"Management"}
]}`

// TestCloudTrailTable: CloudTrail log files in S3, AWS's CloudTrail
// table DDL, the query of the S3 tutorial through both CLIs, its rows
// through get-query-results and its CSV in the output bucket.
func TestCloudTrailTable(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, prelude+`
mb('trail-logs', 'athena-results')
s3.put_object(Bucket='trail-logs', Key='AWSLogs/000000000000/CloudTrail/us-east-1/2026/05/01/000000000000_CloudTrail_us-east-1_20260501T1205Z_abc.json.gz',
    Body=gzip.compress(os.environ['TRAIL'].encode()))
must(os.environ['DDL'])
t = boto3.client('glue').get_table(DatabaseName='default', Name='cloudtrail_logs')['Table']
print(json.dumps({'location': t['StorageDescriptor']['Location'], 'serde': t['StorageDescriptor']['SerdeInfo']['SerializationLibrary'],
  'useridentity': t['StorageDescriptor']['Columns'][1]['Type'],
  'nested': must("select tlsdetails.tlsversion, resources[1].arn, json_extract_scalar(requestparameters, '$.bucketName'), res.type from \"default\".\"cloudtrail_logs\" cross join unnest(resources) as r(res) where eventname = 'PutObject'"),
  'missing': run('select * from nosuch')}))
`, "TRAIL="+trailFile, "DDL="+cloudTrailDDL)
	var got struct {
		Location, Serde, Useridentity string
		Nested                        []string
		Missing                       struct {
			State, Reason string
			Error         map[string]any
		}
	}
	framework.MustJSON(t, out, &got)
	if got.Location != "s3://trail-logs/AWSLogs/000000000000/CloudTrail/" || got.Serde != "org.apache.hive.hcatalog.data.JsonSerDe" ||
		!strings.HasPrefix(got.Useridentity, "struct<type:string,principalid:string") {
		t.Fatalf("glue table: %+v", got)
	}
	if strings.Join(got.Nested, "\n") != "tlsversion|arn|_col2|type\nTLSv1.3|arn:aws:s3:::hane-test-bucket/hane.jpg|hane-test-bucket|AWS::S3::Object" &&
		!strings.HasSuffix(strings.Join(got.Nested, "\n"), "\nTLSv1.3|arn:aws:s3:::hane-test-bucket/hane.jpg|hane-test-bucket|AWS::S3::Object") {
		t.Fatalf("nested fields: %v", got.Nested)
	}
	if got.Missing.State != "FAILED" || !strings.HasPrefix(got.Missing.Reason, "TABLE_NOT_FOUND") ||
		got.Missing.Error["ErrorCategory"].(float64) != 2 || got.Missing.Error["ErrorType"].(float64) != 1110 {
		t.Fatalf("missing table: %+v", got.Missing)
	}
	seed := `select eventTime, userIdentity.userName, eventName, eventSource from cloudtrail_logs where requestparameters like '%hane.jpg%' limit 10`
	for _, c := range framework.CLIs {
		lines, qe := rows(t, n, c, seed)
		want := "eventtime|username|eventname|eventsource\n2026-05-01T12:00:00Z|hana|PutObject|s3.amazonaws.com"
		if strings.Join(lines, "\n") != want {
			t.Fatalf("%s rows:\n%s\nwant:\n%s", c.Name, strings.Join(lines, "\n"), want)
		}
		id := qe["QueryExecutionId"].(string)
		loc := qe["ResultConfiguration"].(map[string]any)["OutputLocation"].(string)
		if loc != "s3://athena-results/q/"+id+".csv" {
			t.Fatalf("OutputLocation %s", loc)
		}
		if stats := qe["Statistics"].(map[string]any); stats["DataScannedInBytes"].(float64) <= 0 {
			t.Fatalf("statistics %v", stats)
		}
		if c.Name == "v1" {
			csv := n.MustAWS(t, "s3", "cp", loc, "-")
			if csv != "\"eventtime\",\"username\",\"eventname\",\"eventsource\"\n\"2026-05-01T12:00:00Z\",\"hana\",\"PutObject\",\"s3.amazonaws.com\"\n" {
				t.Fatalf("result CSV %q", csv)
			}
		}
	}
}

// accessLogDDL is AWS's documented table for S3 server access logs
// (Amazon S3 User Guide, "Using Amazon S3 server access logs to identify
// requests"), in the database it names.
const accessLogDDL = "CREATE EXTERNAL TABLE `s3_access_logs_db.mybucket_logs`(\n" +
	"`bucketowner` STRING, `bucket_name` STRING, `requestdatetime` STRING, `remoteip` STRING, `requester` STRING, `requestid` STRING,\n" +
	"`operation` STRING, `key` STRING, `request_uri` STRING, `httpstatus` STRING, `errorcode` STRING, `bytessent` BIGINT,\n" +
	"`objectsize` BIGINT, `totaltime` STRING, `turnaroundtime` STRING, `referrer` STRING, `useragent` STRING, `versionid` STRING,\n" +
	"`hostid` STRING, `sigv` STRING, `ciphersuite` STRING, `authtype` STRING, `endpoint` STRING, `tlsversion` STRING,\n" +
	"`accesspointarn` STRING, `aclrequired` STRING)\n" +
	"ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'\n" +
	"WITH SERDEPROPERTIES (\n" +
	`'input.regex'='([^ ]*) ([^ ]*) \\[(.*?)\\] ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) (-|[0-9]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) (\"[^\"]*\"|-) ([^ ]*)(?: ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*))?.*$')` + "\n" +
	"STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'\n" +
	"OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\n" +
	"LOCATION 's3://access-logs/logs/'"

// TestS3AccessLogs: AWS's documented S3 server access log table over the
// logs niwa's S3 delivers (delivery moved along by the clock), and a
// GROUP BY over them through the CLI.
func TestS3AccessLogs(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	n.Python(t, prelude+`
mb('athena-results', 'src-bucket', 'access-logs')
s3.put_bucket_policy(Bucket='access-logs', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
  'Principal': {'Service': 'logging.s3.amazonaws.com'}, 'Action': 's3:PutObject', 'Resource': 'arn:aws:s3:::access-logs/*'}]}))
s3.put_bucket_logging(Bucket='src-bucket', BucketLoggingStatus={'LoggingEnabled': {'TargetBucket': 'access-logs', 'TargetPrefix': 'logs/'}})
for k in ('a.txt', 'b.txt', 'c.txt'):
    s3.put_object(Bucket='src-bucket', Key=k, Body=b'hello\n')
s3.get_object(Bucket='src-bucket', Key='a.txt')['Body'].read()
try:
    s3.get_object(Bucket='src-bucket', Key='missing.txt')
except s3.exceptions.NoSuchKey:
    pass
# Delivery runs on the clock: move it until the last request's line is in.
end = time.time() + 120
while time.time() < end:
    urllib.request.urlopen(urllib.request.Request(os.environ['AWS_ENDPOINT_URL'] + '/_niwa/clock/advance?by=10m', method='POST')).read()
    logs = ''.join(s3.get_object(Bucket='access-logs', Key=o['Key'])['Body'].read().decode()
                   for o in s3.list_objects_v2(Bucket='access-logs', Prefix='logs/').get('Contents', []))
    if 'missing.txt' in logs:
        break
    time.sleep(0.2)
must('CREATE DATABASE s3_access_logs_db')
must(os.environ['DDL'])
`, "DDL="+accessLogDDL)
	got, _ := rows(t, n, framework.CLIs[0], `SELECT operation, httpstatus, count(*) AS requests FROM s3_access_logs_db.mybucket_logs
WHERE bucket_name = 'src-bucket' AND operation IN ('REST.PUT.OBJECT', 'REST.GET.OBJECT') GROUP BY operation, httpstatus ORDER BY operation, httpstatus`)
	want := "operation|httpstatus|requests\nREST.GET.OBJECT|200|1\nREST.GET.OBJECT|404|1\nREST.PUT.OBJECT|200|3"
	if strings.Join(got, "\n") != want {
		t.Fatalf("GROUP BY:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	got, _ = rows(t, n, framework.CLIs[0], `SELECT key, bytessent, requester, errorcode FROM s3_access_logs_db.mybucket_logs WHERE operation = 'REST.GET.OBJECT' ORDER BY key`)
	// bytessent is a BIGINT: the 6 bytes of a.txt, and the error
	// document's length for the failed GET.
	if len(got) != 3 || got[1] != "a.txt|6|arn:aws:iam::000000000000:root|-" ||
		!strings.HasPrefix(got[2], "missing.txt|") || !strings.HasSuffix(got[2], "|arn:aws:iam::000000000000:root|NoSuchKey") {
		t.Fatalf("typed columns: %v", got)
	}
}

// TestDataAccessDenied: a user allowed Athena, Glue and the result
// bucket but not s3:GetObject on the data gets the query FAILED with
// Athena's permission error; a user without Athena permissions is
// refused the call itself.
func TestDataAccessDenied(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	out := n.Python(t, prelude+`
mb('trail-logs', 'athena-results')
s3.put_object(Bucket='trail-logs', Key='AWSLogs/000000000000/CloudTrail/us-east-1/2026/05/01/f.json.gz', Body=gzip.compress(os.environ['TRAIL'].encode()))
must(os.environ['DDL'])
iam = boto3.client('iam')
keys = {}
for user, policy in (('analyst', {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['athena:*', 'glue:Get*'], 'Resource': '*'},
        {'Effect': 'Allow', 'Action': ['s3:ListBucket', 's3:PutObject', 's3:GetObject'], 'Resource': ['arn:aws:s3:::athena-results', 'arn:aws:s3:::athena-results/*']},
        {'Effect': 'Allow', 'Action': 's3:ListBucket', 'Resource': 'arn:aws:s3:::trail-logs'}]}), ('nobody', None),
        ('viaathena', {'Version': '2012-10-17', 'Statement': [
        {'Effect': 'Allow', 'Action': ['athena:*', 'glue:Get*'], 'Resource': '*'},
        {'Effect': 'Allow', 'Action': ['s3:ListBucket', 's3:PutObject', 's3:GetObject'], 'Resource': ['arn:aws:s3:::athena-results', 'arn:aws:s3:::athena-results/*']},
        {'Effect': 'Allow', 'Action': ['s3:ListBucket', 's3:GetObject'], 'Resource': ['arn:aws:s3:::trail-logs', 'arn:aws:s3:::trail-logs/*'],
         'Condition': {'ForAnyValue:StringEquals': {'aws:CalledVia': 'athena.amazonaws.com'}}}]})):
    iam.create_user(UserName=user)
    if policy:
        iam.put_user_policy(UserName=user, PolicyName='p', PolicyDocument=json.dumps(policy))
    k = iam.create_access_key(UserName=user)['AccessKey']
    keys[user] = [k['AccessKeyId'], k['SecretAccessKey']]
print(json.dumps({'keys': keys, 'owner': must('select count(*) from cloudtrail_logs')}))
`, "TRAIL="+trailFile, "DDL="+cloudTrailDDL)
	var got struct {
		Keys  map[string][2]string
		Owner []string
	}
	framework.MustJSON(t, out, &got)
	if len(got.Owner) != 2 || got.Owner[1] != "2" {
		t.Fatalf("owner's query: %v", got.Owner)
	}
	env := func(u string) []string {
		return []string{"AWS_ACCESS_KEY_ID=" + got.Keys[u][0], "AWS_SECRET_ACCESS_KEY=" + got.Keys[u][1]}
	}
	qe := query(t, n, framework.CLIs[0], env("analyst"), "select count(*) from cloudtrail_logs", "s3://athena-results/analyst/")
	s, reason := state(qe)
	want := "Permission denied on S3 path: s3://trail-logs/AWSLogs/000000000000/CloudTrail/us-east-1/2026/05/01/f.json.gz"
	if s != "FAILED" || reason != want {
		t.Fatalf("analyst: %s %q, want FAILED %q", s, reason, want)
	}
	if e := qe["Status"].(map[string]any)["AthenaError"].(map[string]any); e["ErrorCategory"].(float64) != 2 || e["ErrorType"].(float64) != 1501 {
		t.Fatalf("AthenaError %v", e)
	}
	// Data readable only through Athena (aws:CalledVia): the query runs,
	// a direct read is refused.
	qe = query(t, n, framework.CLIs[0], env("viaathena"), "select count(*) from cloudtrail_logs", "s3://athena-results/via/")
	if s, reason := state(qe); s != "SUCCEEDED" {
		t.Fatalf("through athena: %s %s", s, reason)
	}
	if _, errOut, err := n.RunCLI(t, framework.CLIs[0], env("viaathena"), "s3api", "head-object", "--bucket", "trail-logs",
		"--key", "AWSLogs/000000000000/CloudTrail/us-east-1/2026/05/01/f.json.gz"); err == nil || !strings.Contains(errOut, "403") {
		t.Fatalf("direct read: %v %s", err, errOut)
	}
	_, errOut, err := n.RunCLI(t, framework.CLIs[0], env("nobody"),
		"athena", "start-query-execution", "--query-string", "select 1", "--result-configuration", "OutputLocation=s3://athena-results/")
	if err == nil || !strings.Contains(errOut, "AccessDeniedException") {
		t.Fatalf("no athena permission: %v %s", err, errOut)
	}
}

// albDDL is AWS's documented table for Application Load Balancer access
// logs (Athena User Guide, "Create the table for ALB logs"), its
// LOCATION left to the test.
const albDDL = `CREATE EXTERNAL TABLE IF NOT EXISTS alb_access_logs (
            type string, time string, elb string, client_ip string, client_port int,
            target_ip string, target_port int, request_processing_time double,
            target_processing_time double, response_processing_time double,
            elb_status_code int, target_status_code string, received_bytes bigint,
            sent_bytes bigint, request_verb string, request_url string, request_proto string,
            user_agent string, ssl_cipher string, ssl_protocol string, target_group_arn string,
            trace_id string, domain_name string, chosen_cert_arn string, matched_rule_priority string,
            request_creation_time string, actions_executed string, redirect_url string,
            lambda_error_reason string, target_port_list string, target_status_code_list string,
            classification string, classification_reason string, conn_trace_id string
            )
            ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.RegexSerDe'
            WITH SERDEPROPERTIES (
            'serialization.format' = '1',
            'input.regex' =
        '([^ ]*) ([^ ]*) ([^ ]*) ([^ ]*):([0-9]*) ([^ ]*)[:-]([0-9]*) ([-.0-9]*) ([-.0-9]*) ([-.0-9]*) (|[-0-9]*) (-|[-0-9]*) ([-0-9]*) ([-0-9]*) \"([^ ]*) (.*) (- |[^ ]*)\" \"([^\"]*)\" ([A-Z0-9-_]+) ([A-Za-z0-9.-]*) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" \"([^\"]*)\" ([-.0-9]*) ([^ ]*) \"([^\"]*)\" \"([^\"]*)\" \"([^ ]*)\" \"([^\\s]+?)\" \"([^\\s]+)\" \"([^ ]*)\" \"([^ ]*)\" ?([^ ]*)?( .*)?'
            )
            LOCATION '%s'`

// TestALBAccessLogs: AWS's documented ALB log table over the access logs
// niwa's own load balancer delivers (requests through the ALB to a local
// target, delivery moved along by the clock), and a GROUP BY over them
// through the CLI.
func TestALBAccessLogs(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	target := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/missing" {
			http.NotFound(w, r)
			return
		}
		_, _ = io.WriteString(w, "ok\n")
	}))
	t.Cleanup(target.Close)
	host, port, err := net.SplitHostPort(strings.TrimPrefix(target.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	out := n.Python(t, prelude+`
ec2 = boto3.client('ec2')
elb = boto3.client('elbv2')
mb('athena-results', 'alb-logs')
account = boto3.client('sts').get_caller_identity()['Account']
region = s3.meta.region_name
s3.put_bucket_policy(Bucket='alb-logs', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{'Effect': 'Allow',
  'Principal': {'Service': 'logdelivery.elasticloadbalancing.amazonaws.com'}, 'Action': 's3:PutObject',
  'Resource': 'arn:aws:s3:::alb-logs/web/AWSLogs/%s/*' % account}]}))
vpc = ec2.describe_vpcs(Filters=[{'Name': 'isDefault', 'Values': ['true']}])['Vpcs'][0]['VpcId']
subnets = [s['SubnetId'] for s in ec2.describe_subnets(Filters=[{'Name': 'vpc-id', 'Values': [vpc]}])['Subnets']][:2]
lb = elb.create_load_balancer(Name='web', Subnets=subnets)['LoadBalancers'][0]
elb.modify_load_balancer_attributes(LoadBalancerArn=lb['LoadBalancerArn'], Attributes=[
  {'Key': 'access_logs.s3.enabled', 'Value': 'true'}, {'Key': 'access_logs.s3.bucket', 'Value': 'alb-logs'},
  {'Key': 'access_logs.s3.prefix', 'Value': 'web'}])
tg = elb.create_target_group(Name='local', Protocol='HTTP', Port=80, VpcId=vpc, TargetType='ip')['TargetGroups'][0]['TargetGroupArn']
elb.register_targets(TargetGroupArn=tg, Targets=[{'Id': os.environ['TARGET_HOST'], 'Port': int(os.environ['TARGET_PORT'])}])
elb.create_listener(LoadBalancerArn=lb['LoadBalancerArn'], Protocol='HTTP', Port=80,
  DefaultActions=[{'Type': 'forward', 'TargetGroupArn': tg}])
def get(path):
    req = urllib.request.Request(os.environ['AWS_ENDPOINT_URL'] + path, headers={'Host': lb['DNSName']})
    try:
        return urllib.request.urlopen(req).status
    except urllib.error.HTTPError as e:
        return e.code
statuses = [get('/'), get('/'), get('/missing')]
assert statuses == [200, 200, 404], statuses
# Delivery runs every 5 minutes of niwa's clock: move it until a log is in.
prefix = 'web/AWSLogs/%s/elasticloadbalancing/%s/' % (account, region)
end = time.time() + 120
while time.time() < end:
    urllib.request.urlopen(urllib.request.Request(os.environ['AWS_ENDPOINT_URL'] + '/_niwa/clock/advance?by=6m', method='POST')).read()
    if s3.list_objects_v2(Bucket='alb-logs', Prefix=prefix).get('KeyCount', 0):
        break
    time.sleep(0.2)
must(os.environ['DDL'] % ('s3://alb-logs/' + prefix))
print(lb['DNSName'])
`, "DDL="+albDDL, "TARGET_HOST="+host, "TARGET_PORT="+port)
	if !strings.Contains(out, ".elb.localhost") {
		t.Fatalf("setup: %s", out)
	}
	got, _ := rows(t, n, framework.CLIs[0], `SELECT elb_status_code, target_status_code, count(*) AS requests FROM alb_access_logs
GROUP BY elb_status_code, target_status_code ORDER BY elb_status_code`)
	want := "elb_status_code|target_status_code|requests\n200|200|2\n404|404|1"
	if strings.Join(got, "\n") != want {
		t.Fatalf("GROUP BY:\n%s\nwant:\n%s", strings.Join(got, "\n"), want)
	}
	got, _ = rows(t, n, framework.CLIs[0], `SELECT request_verb, request_url, target_port FROM alb_access_logs WHERE elb_status_code = 404`)
	if len(got) != 2 || !strings.HasPrefix(got[1], "GET|http://") || !strings.HasSuffix(got[1], "/missing|"+port) {
		t.Fatalf("typed columns: %v", got)
	}
}
