package sns

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestSNSConformanceBoto3 walks SNS beyond the scenario paths with boto3:
// filter policy operators and refusals
// (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html),
// publish validation, mobile push (recorded at /_niwa/sns/push), SMS
// (recorded at /_niwa/sns/sms), sandbox numbers, Add/RemovePermission,
// data protection policies and ListTopics pages.
func TestSNSConformanceBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json, os, urllib.request
from botocore.exceptions import ClientError
sns, sqs = boto3.client("sns"), boto3.client("sqs")
endpoint = os.environ["AWS_ENDPOINT_URL"]
def err(fn, code, msg=None, **kw):
    try:
        fn(**kw)
    except ClientError as e:
        got = e.response["Error"]
        assert got["Code"] == code, (kw, got)
        assert msg is None or got["Message"] == msg, (kw, got)
        return
    raise SystemExit("accepted: %r" % (kw,))

topic = sns.create_topic(Name="conf")["TopicArn"]
url = sqs.create_queue(QueueName="conf")["QueueUrl"]
qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage", "Resource": qarn}]})})

# Filter policy refusals, worded as SNS words them.
err(sns.subscribe, "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: Unrecognized match type wildcard-ish",
    TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"FilterPolicy": json.dumps({"a": [{"wildcard-ish": "x"}]})})
err(sns.subscribe, "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicy: Malformed CIDR, one '/' required",
    TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"FilterPolicy": json.dumps({"ip": [{"cidr": "10.0.0.1"}]})})
err(sns.subscribe, "InvalidParameter", "Invalid parameter: Attributes Reason: Filter policy scope MessageAttributes does not support nested filter policy",
    TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"FilterPolicy": json.dumps({"a": {"b": ["x"]}})})
sub = sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true",
    "FilterPolicy": json.dumps({"ip": [{"cidr": "10.0.0.0/24"}], "kind": [{"anything-but": {"suffix": "-test"}}],
                                "price": [{"numeric": [">", 0, "<=", 1]}], "tags": ["blue"]})})["SubscriptionArn"]
err(sns.set_subscription_attributes, "InvalidParameter", "Invalid parameter: FilterPolicy: Bottom must be less than top",
    SubscriptionArn=sub, AttributeName="FilterPolicy", AttributeValue=json.dumps({"p": [{"numeric": [">", 5, "<", 1]}]}))
def pub(msg, ip, kind, price, tags):
    sns.publish(TopicArn=topic, Message=msg, MessageAttributes={
        "ip": {"DataType": "String", "StringValue": ip}, "kind": {"DataType": "String", "StringValue": kind},
        "price": {"DataType": "Number", "StringValue": price}, "tags": {"DataType": "String.Array", "StringValue": json.dumps(tags)}})
pub("match", "10.0.0.7", "order", "1.000001", ["red", "blue"])
pub("other-net", "10.0.1.7", "order", "1", ["blue"])
pub("test-kind", "10.0.0.7", "order-test", "1", ["blue"])
pub("too-dear", "10.0.0.7", "order", "1.00002", ["blue"])
pub("no-blue", "10.0.0.7", "order", "1", ["red"])
got = []
while True:
    r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    if not r: break
    got += [m["Body"] for m in r]
    for m in r: sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
assert got == ["match"], got

# Publish validation.
err(sns.publish, "InvalidParameter", "Invalid parameter: Subject", TopicArn=topic, Message="m", Subject="x" * 100)
err(sns.publish, "InvalidParameter", "Invalid parameter: Subject", TopicArn=topic, Message="m", Subject="two\nlines")
err(sns.publish, "InvalidParameter", "Invalid parameter: Message too long", TopicArn=topic, Message="x" * (256 * 1024 + 1))
err(sns.publish, "ParameterValueInvalid", "Could not cast message attribute 'n' value to number.", TopicArn=topic, Message="m",
    MessageAttributes={"n": {"DataType": "Number", "StringValue": "many"}})
err(sns.publish, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: 12345abc is not valid to publish to", PhoneNumber="12345abc", Message="m")
err(sns.subscribe, "InvalidParameter", "Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics",
    TopicArn=topic, Protocol="sqs", Endpoint=qarn + ".fifo")
sns.publish(PhoneNumber="+15550100", Message="hello by text")
texts = json.load(urllib.request.urlopen(endpoint + "/_niwa/sns/sms?phoneNumber=%2B15550100"))["messages"]
assert [m["message"] for m in texts] == ["hello by text"], texts

# Mobile push.
app = sns.create_platform_application(Name="app", Platform="GCM", Attributes={"PlatformCredential": "key"})["PlatformApplicationArn"]
ep = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="me")["EndpointArn"]
assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"] == {"Enabled": "true", "Token": "device-1", "CustomUserData": "me"}
assert [e["EndpointArn"] for e in sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]] == [ep]
assert [a["PlatformApplicationArn"] for a in sns.list_platform_applications()["PlatformApplications"]] == [app]
sns.publish(TargetArn=ep, MessageStructure="json", Message=json.dumps({"default": "d", "GCM": json.dumps({"data": {"k": "v"}})}))
pushes = json.load(urllib.request.urlopen(endpoint + "/_niwa/sns/push?endpointArn=" + urllib.parse.quote(ep)))["messages"]
assert [json.loads(p["message"]) for p in pushes] == [{"data": {"k": "v"}}], pushes
sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
err(sns.publish, "EndpointDisabled", "Endpoint is disabled", TargetArn=ep, Message="m")
sns.delete_endpoint(EndpointArn=ep)
err(sns.get_endpoint_attributes, "NotFound", "Endpoint does not exist", EndpointArn=ep)
sns.delete_platform_application(PlatformApplicationArn=app)
err(sns.get_platform_application_attributes, "NotFound", "PlatformApplication does not exist", PlatformApplicationArn=app)

# SMS settings, sandbox numbers (the one-time password is "texted"), opt-outs.
sns.set_sms_attributes(attributes={"DefaultSMSType": "Transactional"})
assert sns.get_sms_attributes(attributes=["DefaultSMSType"])["attributes"] == {"DefaultSMSType": "Transactional"}
sns.create_sms_sandbox_phone_number(PhoneNumber="+15550111", LanguageCode="en-US")
err(sns.verify_sms_sandbox_phone_number, "VerificationException", None, PhoneNumber="+15550111", OneTimePassword="1234567")
otp = json.load(urllib.request.urlopen(endpoint + "/_niwa/sns/sms?phoneNumber=%2B15550111"))["messages"][0]["message"][-6:]
sns.verify_sms_sandbox_phone_number(PhoneNumber="+15550111", OneTimePassword=otp)
assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": "+15550111", "Status": "Verified"}]
sns.delete_sms_sandbox_phone_number(PhoneNumber="+15550111")
assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False
assert sns.list_origination_numbers()["PhoneNumbers"] == []
assert sns.check_if_phone_number_is_opted_out(phoneNumber="+15550100")["isOptedOut"] is False
assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
sns.opt_in_phone_number(phoneNumber="+15550100")

# Permissions and data protection.
sns.add_permission(TopicArn=topic, Label="partner", AWSAccountId=["111122223333"], ActionName=["Publish", "Subscribe"])
st = [s for s in json.loads(sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"])["Statement"] if s.get("Sid") == "partner"]
assert st == [{"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
               "Action": ["SNS:Publish", "SNS:Subscribe"], "Resource": topic}], st
err(sns.add_permission, "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!",
    TopicArn=topic, Label="x", AWSAccountId=["111122223333"], ActionName=["SendMessage"])
sns.remove_permission(TopicArn=topic, Label="partner")
assert "partner" not in sns.get_topic_attributes(TopicArn=topic)["Attributes"]["Policy"]
dpp = json.dumps({"Name": "p", "Version": "2021-06-01", "Statement": [{"DataDirection": "Inbound", "Principal": ["*"],
    "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"], "Operation": {"Audit": {"SampleRate": "99", "FindingsDestination": {}}}}]})
sns.put_data_protection_policy(ResourceArn=topic, DataProtectionPolicy=dpp)
assert sns.get_data_protection_policy(ResourceArn=topic)["DataProtectionPolicy"] == dpp
err(sns.put_data_protection_policy, "InvalidParameter", None, ResourceArn=topic, DataProtectionPolicy="{}")

# ListTopics pages of 100.
for i in range(120):
    sns.create_topic(Name="page-%03d" % i)
first = sns.list_topics()
assert len(first["Topics"]) == 100 and "NextToken" in first, len(first["Topics"])
second = sns.list_topics(NextToken=first["NextToken"])
assert len(second["Topics"]) == 21 and "NextToken" not in second, second
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}

// TestSNSConformanceCLI: both CLI versions drive the operations that were
// NotImplemented (platform applications, SMS attributes, permissions,
// data protection) and get SNS's refusals of a bad filter policy and a
// too-long subject.
func TestSNSConformanceCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			run := func(args ...string) map[string]any {
				t.Helper()
				out, errOut, err := n.RunCLI(t, cli, nil, args...)
				if err != nil {
					t.Fatalf("%v: %v\n%s", args, err, errOut)
				}
				var m map[string]any
				json.Unmarshal([]byte(out), &m)
				return m
			}
			fails := func(want string, args ...string) {
				t.Helper()
				_, errOut, err := n.RunCLI(t, cli, nil, args...)
				if err == nil || !strings.Contains(errOut, want) {
					t.Fatalf("%v: err %v, stderr %s; want %s", args, err, errOut, want)
				}
			}
			topic := run("sns", "create-topic", "--name", "conf-"+cli.Name)["TopicArn"].(string)
			fails("(InvalidParameter) when calling the Subscribe operation: Invalid parameter: Attributes Reason: FilterPolicy: Value of < must be numeric",
				"sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint", "arn:aws:sqs:"+n.Region+":000000000000:q",
				"--attributes", `{"FilterPolicy":"{\"a\":[{\"numeric\":[\"<\",\"x\"]}]}"}`)
			fails("(InvalidParameter) when calling the Publish operation: Invalid parameter: Subject",
				"sns", "publish", "--topic-arn", topic, "--message", "m", "--subject", strings.Repeat("s", 101))
			app := run("sns", "create-platform-application", "--name", "app-"+cli.Name, "--platform", "APNS_SANDBOX",
				"--attributes", "PlatformPrincipal=key-id,PlatformCredential=signing-key")["PlatformApplicationArn"].(string)
			ep := run("sns", "create-platform-endpoint", "--platform-application-arn", app, "--token", "t-"+cli.Name)["EndpointArn"].(string)
			run("sns", "publish", "--target-arn", ep, "--message", "pushed "+cli.Name)
			resp, err := http.Get(n.Endpoint + "/_niwa/sns/push")
			if err != nil {
				t.Fatal(err)
			}
			var rec struct{ Messages []map[string]string }
			json.NewDecoder(resp.Body).Decode(&rec)
			resp.Body.Close()
			found := false
			for _, m := range rec.Messages {
				found = found || (m["endpointArn"] == ep && m["message"] == "pushed "+cli.Name)
			}
			if !found {
				t.Fatalf("push not recorded: %v", rec.Messages)
			}
			run("sns", "set-sms-attributes", "--attributes", "DefaultSMSType=Promotional")
			if got := run("sns", "get-sms-attributes")["attributes"].(map[string]any); got["DefaultSMSType"] != "Promotional" {
				t.Fatal(got)
			}
			run("sns", "add-permission", "--topic-arn", topic, "--label", "l", "--aws-account-id", "111122223333", "--action-name", "Publish")
			attrs := run("sns", "get-topic-attributes", "--topic-arn", topic)["Attributes"].(map[string]any)
			if !strings.Contains(attrs["Policy"].(string), `"Sid":"l"`) {
				t.Fatal(attrs["Policy"])
			}
			run("sns", "remove-permission", "--topic-arn", topic, "--label", "l")
			dpp := `{"Name":"p","Version":"2021-06-01","Statement":[{"DataDirection":"Outbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deidentify":{"MaskConfig":{}}}}]}`
			run("sns", "put-data-protection-policy", "--resource-arn", topic, "--data-protection-policy", dpp)
			if got := run("sns", "get-data-protection-policy", "--resource-arn", topic)["DataProtectionPolicy"]; got != dpp {
				t.Fatal(got)
			}
			if got := run("sns", "check-if-phone-number-is-opted-out", "--phone-number", "+15550100")["isOptedOut"]; got != false {
				t.Fatal(got)
			}
		})
	}
}
