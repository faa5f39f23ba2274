package gaps18

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// eventsBoto3Script walks EventBridge's partner event source flow and
// global endpoints with boto3: a source created by the partner (here the
// same account) is PENDING, a partner bus activates it, PutPartnerEvents
// reach the bus's rule target; an endpoint over two buses of one name is
// created, described and listed.
const eventsBoto3Script = `
import boto3, json, os, time
from botocore.exceptions import ClientError
ev = boto3.client("events")
region = os.environ["AWS_DEFAULT_REGION"]
acct = boto3.client("sts").get_caller_identity()["Account"]
sqs = boto3.client("sqs")
url = sqs.create_queue(QueueName="partner")["QueueUrl"]
qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":qarn}]})})
src = "aws.partner/saas.example.com/" + acct + "/orders"
arn = ev.create_partner_event_source(Name=src, Account=acct)["EventSourceArn"]
assert arn == "arn:aws:events:%s::event-source/%s" % (region, src), arn
assert ev.describe_event_source(Name=src)["State"] == "PENDING"
ev.create_event_bus(Name=src, EventSourceName=src)
assert ev.describe_event_source(Name=src)["State"] == "ACTIVE"
assert [s["Name"] for s in ev.list_event_sources(NamePrefix="aws.partner/saas")["EventSources"]] == [src]
assert ev.list_partner_event_source_accounts(EventSourceName=src)["PartnerEventSourceAccounts"][0]["State"] == "ACTIVE"
ev.put_rule(Name="orders", EventBusName=src, EventPattern=json.dumps({"source": [src]}))
ev.put_targets(Rule="orders", EventBusName=src, Targets=[{"Id": "q", "Arn": qarn}])
r = ev.put_partner_events(Entries=[{"Source": src, "DetailType": "Order Created", "Detail": json.dumps({"id": 7})}])
assert r["FailedEntryCount"] == 0, r
deadline, msgs = time.time() + 60, []
while not msgs and time.time() < deadline:
    msgs = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=1).get("Messages", [])
body = json.loads(msgs[0]["Body"])
assert body["source"] == src and body["detail"] == {"id": 7} and body["account"] == acct, body
ev.delete_partner_event_source(Name=src, Account=acct)
try:
    ev.describe_event_source(Name=src)
    raise SystemExit("deleted source still described")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ResourceNotFoundException", e.response

other = "us-east-1" if region != "us-east-1" else "us-west-2"
ev.create_event_bus(Name="ge")
boto3.client("events", region_name=other).create_event_bus(Name="ge")
hc = "arn:aws:route53:::healthcheck/" + boto3.client("route53").create_health_check(CallerReference="ge",
    HealthCheckConfig={"Type": "HTTP", "IPAddress": "192.0.2.1", "Port": 80, "ResourcePath": "/"})["HealthCheck"]["Id"]
buses = [{"EventBusArn": "arn:aws:events:%s:%s:event-bus/ge" % (r, acct)} for r in (region, other)]
routing = {"FailoverConfig": {"Primary": {"HealthCheck": hc}, "Secondary": {"Route": other}}}
try:
    ev.create_endpoint(Name="ge", RoutingConfig=routing, EventBuses=[buses[0], buses[0]], ReplicationConfig={"State": "DISABLED"})
    raise SystemExit("two buses in one region accepted")
except ClientError as e:
    assert e.response["Error"]["Code"] == "ValidationException" and "different Regions" in e.response["Error"]["Message"], e.response
c = ev.create_endpoint(Name="ge", RoutingConfig=routing, EventBuses=buses, ReplicationConfig={"State": "DISABLED"})
assert c["State"] == "ACTIVE", c
d = ev.describe_endpoint(Name="ge")
assert d["EndpointUrl"] == "https://%s.endpoint.events.amazonaws.com" % d["EndpointId"], d
assert [e["Name"] for e in ev.list_endpoints()["Endpoints"]] == ["ge"]
print(d["EndpointId"])
`

// TestPartnerSourcesAndEndpointsBoto3 runs eventsBoto3Script, then sends
// an event to the endpoint with the aws CLI v2 (put-events --endpoint-id
// signs with SigV4a, which CLI v2 bundles; boto3 and CLI v1 need awscrt)
// and reads it from a queue that a rule of the primary region's bus
// targets; niwa verifies the SigV4a signature.
func TestPartnerSourcesAndEndpointsBoto3(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	id := strings.TrimSpace(n.Python(t, eventsBoto3Script))
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("script output %q", id)
	}
	v2 := framework.CLIs[1]
	qURL := strings.TrimSpace(n.MustCLI(t, v2, "sqs", "create-queue", "--queue-name", "ge", "--query", "QueueUrl", "--output", "text"))
	qARN := strings.TrimSpace(n.MustCLI(t, v2, "sqs", "get-queue-attributes", "--queue-url", qURL, "--attribute-names", "QueueArn", "--query", "Attributes.QueueArn", "--output", "text"))
	pol, _ := json.Marshal(map[string]string{"Policy": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"events.amazonaws.com"},"Action":"sqs:SendMessage","Resource":"` + qARN + `"}]}`})
	n.MustCLI(t, v2, "sqs", "set-queue-attributes", "--queue-url", qURL, "--attributes", string(pol))
	n.MustCLI(t, v2, "events", "put-rule", "--name", "ge", "--event-bus-name", "ge", "--event-pattern", `{"source":["shop"]}`)
	n.MustCLI(t, v2, "events", "put-targets", "--rule", "ge", "--event-bus-name", "ge", "--targets", "Id=q,Arn="+qARN)
	var put struct{ FailedEntryCount int }
	framework.CLIJSON(t, n, v2, &put, "events", "put-events", "--endpoint-id", id,
		"--entries", `[{"Source":"shop","DetailType":"order","Detail":"{\"n\":1}","EventBusName":"ge"}]`)
	if put.FailedEntryCount != 0 {
		t.Fatalf("put-events: %+v", put)
	}
	var got string
	framework.WaitUntil(t, framework.Patience, func() bool {
		got = n.MustCLI(t, v2, "sqs", "receive-message", "--queue-url", qURL, "--wait-time-seconds", "1", "--query", "Messages[0].Body", "--output", "text")
		return strings.TrimSpace(got) != "None" && strings.TrimSpace(got) != ""
	}, "the event in the queue")
	if !strings.Contains(got, `"detail":{"n":1}`) || !strings.Contains(got, `"region":"`+n.Region+`"`) {
		t.Fatalf("delivered %s", got)
	}
}
