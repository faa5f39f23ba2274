package iam

import (
	"context"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestIAMGetFederationToken: an IAM user federates "bob" with a session
// policy; bob's credentials may do what both the user's policy and the
// session policy allow (list), are denied the rest with AWS's message
// naming the federated-user ARN, are who get-caller-identity says, and a
// session without a policy may do nothing.
func TestIAMGetFederationToken(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	ctx := context.Background()
	userCfg := framework.IAMUser(t, n, "broker", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","s3:*"],"Resource":"*"}]}`)
	creds, err := userCfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.MustAWS(t, "s3", "mb", "s3://fed-bucket")
	userEnv := []string{"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey}
	const listOnly = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:ListBucket","Resource":"*"}]}`
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(env []string, args ...string) (string, string, error) { return n.RunCLI(t, cli, env, args...) }
			out, errOut, err := run(userEnv, "sts", "get-federation-token", "--name", "bob", "--policy", listOnly, "--duration-seconds", "900")
			if err != nil {
				t.Fatalf("get-federation-token: %v\n%s", err, errOut)
			}
			var tok struct {
				Credentials   struct{ AccessKeyId, SecretAccessKey, SessionToken string }
				FederatedUser struct{ FederatedUserId, Arn string }
			}
			framework.MustJSON(t, out, &tok)
			const bob = "arn:aws:sts::000000000000:federated-user/bob"
			if tok.FederatedUser.Arn != bob || tok.FederatedUser.FederatedUserId != "000000000000:bob" {
				t.Fatalf("federated user %+v", tok.FederatedUser)
			}
			bobEnv := []string{"AWS_ACCESS_KEY_ID=" + tok.Credentials.AccessKeyId, "AWS_SECRET_ACCESS_KEY=" + tok.Credentials.SecretAccessKey,
				"AWS_SESSION_TOKEN=" + tok.Credentials.SessionToken}
			out, errOut, err = run(bobEnv, "sts", "get-caller-identity")
			if err != nil {
				t.Fatalf("get-caller-identity: %v\n%s", err, errOut)
			}
			var id struct{ Arn, UserId string }
			framework.MustJSON(t, out, &id)
			if id.Arn != bob || id.UserId != "000000000000:bob" {
				t.Fatalf("caller identity %+v", id)
			}
			if _, errOut, err := run(bobEnv, "s3api", "list-objects-v2", "--bucket", "fed-bucket"); err != nil {
				t.Fatalf("list allowed by the session policy: %v\n%s", err, errOut)
			}
			_, errOut, err = run(bobEnv, "s3api", "put-object", "--bucket", "fed-bucket", "--key", "k")
			want := "User: " + bob + " is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::fed-bucket/k because no session policy allows the s3:PutObject action"
			if err == nil || !strings.Contains(errOut, "AccessDenied") || !strings.Contains(errOut, want) {
				t.Fatalf("put-object: want AccessDenied %q, got %v\n%s", want, err, errOut)
			}
			// No IAM with federated credentials.
			if _, errOut, err := run(bobEnv, "iam", "list-users"); err == nil || !strings.Contains(errOut, "AccessDenied") {
				t.Fatalf("iam list-users as a federated user: %v\n%s", err, errOut)
			}
			// Temporary credentials may not federate.
			_, errOut, err = run(bobEnv, "sts", "get-federation-token", "--name", "eve")
			if err == nil || !strings.Contains(errOut, "Cannot call GetFederationToken with session credentials") {
				t.Fatalf("federating from a session: %v\n%s", err, errOut)
			}
		})
	}
	// Without a session policy the session has no permissions, but a
	// bucket policy naming the federated user grants it.
	out := n.Python(t, `
import boto3, json, os
sts = boto3.client("sts", aws_access_key_id=os.environ["K"], aws_secret_access_key=os.environ["S"])
c = sts.get_federation_token(Name="nopolicy")["Credentials"]
s3 = boto3.client("s3", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
try:
    s3.list_objects_v2(Bucket="fed-bucket")
    print("allowed")
except s3.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["Error"]["Message"])
# A resource policy naming the federated user grants it directly.
admin = boto3.client("s3")
admin.put_bucket_policy(Bucket="fed-bucket", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
    "Principal": {"AWS": "arn:aws:sts::000000000000:federated-user/nopolicy"}, "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::fed-bucket"}]}))
s3.list_objects_v2(Bucket="fed-bucket")
print("granted by the bucket policy")
admin.delete_bucket_policy(Bucket="fed-bucket")
`, "K="+creds.AccessKeyID, "S="+creds.SecretAccessKey)
	if !strings.Contains(out, "AccessDenied User: arn:aws:sts::000000000000:federated-user/nopolicy is not authorized to perform: s3:ListBucket on resource: arn:aws:s3:::fed-bucket because no session policy allows the s3:ListBucket action") ||
		!strings.Contains(out, "granted by the bucket policy") {
		t.Fatalf("session without policy: %s", out)
	}
	// The user's own policies still bound the session: a session policy
	// cannot grant what the user lacks.
	limited, err := framework.IAMUser(t, n, "lister", `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["sts:GetFederationToken","s3:ListBucket"],"Resource":"*"}]}`).Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out = n.Python(t, `
import boto3, os
sts = boto3.client("sts", aws_access_key_id=os.environ["K"], aws_secret_access_key=os.environ["S"])
c = sts.get_federation_token(Name="wide", Policy='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}')["Credentials"]
s3 = boto3.client("s3", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
s3.list_objects_v2(Bucket="fed-bucket")
try:
    s3.put_object(Bucket="fed-bucket", Key="k", Body=b"x")
    print("allowed")
except s3.exceptions.ClientError as e:
    print(e.response["Error"]["Code"], e.response["Error"]["Message"])
`, "K="+limited.AccessKeyID, "S="+limited.SecretAccessKey)
	if !strings.Contains(out, "AccessDenied User: arn:aws:sts::000000000000:federated-user/wide is not authorized to perform: s3:PutObject on resource: arn:aws:s3:::fed-bucket/k because no identity-based policy allows the s3:PutObject action") {
		t.Fatalf("session policy wider than the user: %s", out)
	}
}

// TestIAMResourceTagConditions: aws:ResourceTag/<key> comes from the tags
// stored on the target: a user allowed sqs:SendMessage only on queues
// tagged env=dev sends to the tagged queue and is denied on an untagged
// one; iam:ResourceTag works the same on roles; s3:ExistingObjectTag on
// objects.
func TestIAMResourceTagConditions(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	ctx := context.Background()
	cfg := framework.IAMUser(t, n, "tagged", `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/env":"dev"}}},
	 {"Effect":"Allow","Action":"iam:GetRole","Resource":"*","Condition":{"StringEquals":{"iam:ResourceTag/team":"blue"}}},
	 {"Effect":"Allow","Action":"s3:GetObject","Resource":"*","Condition":{"StringEquals":{"s3:ExistingObjectTag/class":"public"}}}]}`)
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey}
	var q struct{ QueueUrl string }
	framework.MustJSON(t, n.MustAWS(t, "sqs", "create-queue", "--queue-name", "dev-q", "--tags", "env=dev"), &q)
	devURL := q.QueueUrl
	framework.MustJSON(t, n.MustAWS(t, "sqs", "create-queue", "--queue-name", "plain-q"), &q)
	plainURL := q.QueueUrl
	n.MustAWS(t, "iam", "create-role", "--role-name", "blue-role", "--assume-role-policy-document", framework.TrustPolicy, "--tags", "Key=team,Value=blue")
	n.MustAWS(t, "iam", "create-role", "--role-name", "red-role", "--assume-role-policy-document", framework.TrustPolicy, "--tags", "Key=team,Value=red")
	n.MustAWS(t, "s3", "mb", "s3://tag-bucket")
	n.MustAWS(t, "s3api", "put-object", "--bucket", "tag-bucket", "--key", "pub", "--tagging", "class=public")
	n.MustAWS(t, "s3api", "put-object", "--bucket", "tag-bucket", "--key", "priv", "--tagging", "class=secret")
	const me = "arn:aws:iam::000000000000:user/tagged"
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			ok := func(args ...string) {
				t.Helper()
				if _, errOut, err := n.RunCLI(t, cli, env, args...); err != nil {
					t.Fatalf("%v: %v\n%s", args, err, errOut)
				}
			}
			deny := func(want string, args ...string) {
				t.Helper()
				_, errOut, err := n.RunCLI(t, cli, env, args...)
				if err == nil || !strings.Contains(errOut, want) {
					t.Fatalf("%v: want %q, got %v\n%s", args, want, err, errOut)
				}
			}
			ok("sqs", "send-message", "--queue-url", devURL, "--message-body", "hi")
			deny("User: "+me+" is not authorized to perform: sqs:sendmessage on resource: arn:aws:sqs:"+n.Region+":000000000000:plain-q because no identity-based policy allows the sqs:sendmessage action",
				"sqs", "send-message", "--queue-url", plainURL, "--message-body", "hi")
			ok("iam", "get-role", "--role-name", "blue-role")
			deny("User: "+me+" is not authorized to perform: iam:GetRole on resource: arn:aws:iam::000000000000:role/red-role because no identity-based policy allows the iam:GetRole action",
				"iam", "get-role", "--role-name", "red-role")
			ok("s3api", "get-object", "--bucket", "tag-bucket", "--key", "pub", "/dev/null")
			deny("AccessDenied", "s3api", "get-object", "--bucket", "tag-bucket", "--key", "priv", "/dev/null")
		})
	}
	// Retagging the queue changes the answer at once.
	n.MustAWS(t, "sqs", "tag-queue", "--queue-url", plainURL, "--tags", "env=dev")
	if _, errOut, err := n.AWS(t, env, "sqs", "send-message", "--queue-url", plainURL, "--message-body", "hi"); err != nil {
		t.Fatalf("after tagging: %v\n%s", err, errOut)
	}
}

// TestIAMResourceARNsWithPathsAndQualifiers: requests on IAM entities are
// checked on their ARN with its path, and Lambda invocations on the
// version or alias they name.
func TestIAMResourceARNsWithPathsAndQualifiers(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	n.MustAWS(t, "iam", "create-role", "--role-name", "pathed", "--path", "/team/", "--assume-role-policy-document", framework.TrustPolicy)
	n.MustAWS(t, "iam", "create-role", "--role-name", "plain", "--assume-role-policy-document", framework.TrustPolicy)
	cfg := framework.IAMUser(t, n, "scoped", `{"Version":"2012-10-17","Statement":[
	 {"Effect":"Allow","Action":"iam:GetRole","Resource":"arn:aws:iam::000000000000:role/team/*"},
	 {"Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:*:000000000000:function:fn"}]}`)
	creds, err := cfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	env := []string{"AWS_ACCESS_KEY_ID=" + creds.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + creds.SecretAccessKey}
	if _, errOut, err := n.AWS(t, env, "iam", "get-role", "--role-name", "pathed"); err != nil {
		t.Fatalf("get-role on a role under /team/: %v\n%s", err, errOut)
	}
	_, errOut, err := n.AWS(t, env, "iam", "get-role", "--role-name", "plain")
	if err == nil || !strings.Contains(errOut, "on resource: arn:aws:iam::000000000000:role/plain because no identity-based policy allows") {
		t.Fatalf("get-role outside /team/: %v\n%s", err, errOut)
	}
	_, errOut, err = n.AWS(t, env, "lambda", "invoke", "--function-name", "fn", "--qualifier", "live", "/dev/null")
	want := "User: arn:aws:iam::000000000000:user/scoped is not authorized to perform: lambda:InvokeFunction on resource: arn:aws:lambda:" + n.Region + ":000000000000:function:fn:live"
	if err == nil || !strings.Contains(errOut, want) {
		t.Fatalf("invoke of an alias with a policy on the unqualified function: want %q, got %v\n%s", want, err, errOut)
	}
}

// TestIAMSourceVpceFromLambda: a Lambda function in a VPC subnet whose
// route table has an S3 gateway endpoint reads a bucket whose policy
// denies every read not made through that endpoint (aws:SourceVpce);
// the same code outside any VPC is denied, in a VPC with neither an
// endpoint nor a NAT route its call never leaves (it times out, as on
// AWS), and the first function is denied once the endpoint's own policy
// no longer allows s3:GetObject.
func TestIAMSourceVpceFromLambda(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	role := framework.LambdaRole(t, n, "vpce-fn-role")
	out := n.Python(t, `
import boto3, io, json, zipfile
buf = io.BytesIO()
with zipfile.ZipFile(buf, "w") as z:
    z.writestr("app.py", """import boto3
from botocore.config import Config
def handler(event, context):
    try:
        s3 = boto3.client("s3", config=Config(connect_timeout=3, read_timeout=3, retries={"total_max_attempts": 1}))
        body = s3.get_object(Bucket=event["bucket"], Key="k")["Body"].read().decode()
        return {"body": body}
    except Exception as e:
        return {"error": str(e)}
""")
region = boto3.session.Session().region_name
ec2 = boto3.client("ec2")
def network(cidr):
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    sub = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace("0.0/16", "1.0/24"))["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    rtb = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=sub)
    return vpc, sub, sg, rtb
vpc, sub, sg, rtb = network("10.40.0.0/16")
vpce = ec2.create_vpc_endpoint(VpcId=vpc, ServiceName="com.amazonaws.%s.s3" % region, VpcEndpointType="Gateway",
    RouteTableIds=[rtb])["VpcEndpoint"]["VpcEndpointId"]
ovpc, osub, osg, _ = network("10.50.0.0/16")
s3 = boto3.client("s3")
s3.create_bucket(Bucket="vpce-only", CreateBucketConfiguration={"LocationConstraint": region})
s3.put_object(Bucket="vpce-only", Key="k", Body=b"through the endpoint")
s3.put_bucket_policy(Bucket="vpce-only", Policy=json.dumps({"Version": "2012-10-17", "Statement": [{
    "Sid": "OnlyViaEndpoint", "Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::vpce-only/*", "Condition": {"StringNotEquals": {"aws:SourceVpce": vpce}}}]}))
lam = boto3.client("lambda")
def fn(name, vpc_config):
    kw = {"VpcConfig": vpc_config} if vpc_config else {}
    lam.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role="`+role+`",
        Code={"ZipFile": buf.getvalue()}, Timeout=30, **kw)
    r = lam.invoke(FunctionName=name, Payload=json.dumps({"bucket": "vpce-only"}))
    return json.loads(r["Payload"].read())
res = {
    "endpoint": fn("in-endpoint-vpc", {"SubnetIds": [sub], "SecurityGroupIds": [sg]}),
    "noendpoint": fn("in-other-vpc", {"SubnetIds": [osub], "SecurityGroupIds": [osg]}),
    "novpc": fn("outside-vpc", None),
    "vpce": vpce,
}
# The endpoint's own policy must allow the request too.
ec2.modify_vpc_endpoint(VpcEndpointId=vpce, PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:ListBucket", "Resource": "*"}]}))
r = lam.invoke(FunctionName="in-endpoint-vpc", Payload=json.dumps({"bucket": "vpce-only"}))
res["restricted"] = json.loads(r["Payload"].read())
print(json.dumps(res))
`)
	var res struct {
		Endpoint, NoEndpoint, NoVPC, Restricted struct{ Body, Error string }
		Vpce                                    string
	}
	framework.MustJSON(t, out, &res)
	if res.Endpoint.Body != "through the endpoint" {
		t.Errorf("function behind the S3 gateway endpoint: %+v", res.Endpoint)
	}
	if r := res.Restricted; r.Body != "" || !strings.Contains(r.Error, "because no VPC endpoint policy allows the s3:GetObject action") {
		t.Errorf("endpoint policy allowing only s3:ListBucket: %+v", r)
	}
	if r := res.NoVPC; r.Body != "" || !strings.Contains(r.Error, "AccessDenied") || !strings.Contains(r.Error, "with an explicit deny in a resource-based policy") {
		t.Errorf("function outside any VPC: want AccessDenied by the bucket policy, got %+v", r)
	}
	if r := res.NoEndpoint; r.Body != "" || !strings.Contains(strings.ToLower(r.Error), "timeout") {
		t.Errorf("function in a VPC with no endpoint and no route out: want a timeout, got %+v", r)
	}
}
