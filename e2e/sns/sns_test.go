package sns

import (
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	snstypes "github.com/aws/aws-sdk-go-v2/service/sns/types"
	"github.com/niwa-cloud/niwa/e2e/framework"
	"github.com/niwa-cloud/niwa/e2e/framework/inprocess"
)

// TestSNSFanOutBoto3: SNS → SQS fan-out with a filter policy delivers only
// matching messages, in the SNS envelope or raw; FIFO topic to FIFO queue
// keeps order.
func TestSNSFanOutBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json
sns, sqs = boto3.client("sns"), boto3.client("sqs")
topic = sns.create_topic(Name="orders")["TopicArn"]
def queue(name, source=None, **attrs):
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    # As on AWS, the queue policy must let SNS send from the topic.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
        "Resource": arn, "Condition": {"ArnEquals": {"aws:SourceArn": source or topic}}}]})})
    return url, arn
big, big_arn = queue("big-orders")
raw, raw_arn = queue("raw-orders")
body, body_arn = queue("body-orders")
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=big_arn,
    Attributes={"FilterPolicy": json.dumps({"amount": [{"numeric": [">=", 100]}], "kind": ["order", {"prefix": "ret"}]})})
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=raw_arn, Attributes={"RawMessageDelivery": "true"})
sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=body_arn,
    Attributes={"FilterPolicyScope": "MessageBody", "FilterPolicy": json.dumps({"status": [{"anything-but": ["draft"]}]})})
def pub(msg, amount, kind):
    sns.publish(TopicArn=topic, Message=msg, Subject="s", MessageAttributes={
        "amount": {"DataType": "Number", "StringValue": str(amount)},
        "kind": {"DataType": "String", "StringValue": kind}})
pub(json.dumps({"status": "paid"}), 150, "order")
pub(json.dumps({"status": "draft"}), 5, "order")
pub(json.dumps({"status": "paid"}), 500, "return")
pub(json.dumps({"status": "x"}), 500, "other")
def drain(url):
    got = []
    while True:
        r = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
        if not r: return got
        got += r
        for m in r: sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
b = [json.loads(m["Body"]) for m in drain(big)]
assert len(b) == 2, b
assert all(e["Type"] == "Notification" and e["TopicArn"] == topic and e["Subject"] == "s" and e["SignatureVersion"] == "1" for e in b), b
assert sorted(e["MessageAttributes"]["amount"]["Value"] for e in b) == ["150", "500"], b
r = drain(raw)
assert len(r) == 4 and json.loads(r[0]["Body"])["status"] == "paid", r
assert r[0]["MessageAttributes"]["kind"]["StringValue"] == "order", r[0]
assert len(drain(body)) == 3

# FIFO topic → FIFO queue.
ft = sns.create_topic(Name="t.fifo", Attributes={"FifoTopic": "true", "ContentBasedDeduplication": "true"})["TopicArn"]
fq, fq_arn = queue("q.fifo", source=ft, FifoQueue="true")
sns.subscribe(TopicArn=ft, Protocol="sqs", Endpoint=fq_arn, Attributes={"RawMessageDelivery": "true"})
for m in ["1", "2", "2", "3"]:
    sns.publish(TopicArn=ft, Message=m, MessageGroupId="g")
got = [m["Body"] for m in drain(fq)]
assert got == ["1", "2", "3"], got
try:
    sns.publish(TopicArn=ft, Message="x")
    raise SystemExit("FIFO publish without group accepted")
except sns.exceptions.InvalidParameterException:
    pass
print("ok")
`)
	if strings.TrimSpace(out) != "ok" {
		t.Fatal(out)
	}
}

// TestSNSCLI: both CLI versions create a topic, subscribe a queue and an
// email address (confirmed through the link of the recorded confirmation
// email), publish; the email is recorded at /_niwa/sns/email.
func TestSNSCLI(t *testing.T) {
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
			topic := run("sns", "create-topic", "--name", "cli-"+cli.Name)["TopicArn"].(string)
			q := run("sqs", "create-queue", "--queue-name", "sns-cli-"+cli.Name)["QueueUrl"].(string)
			qarn := "arn:aws:sqs:" + n.Region + ":000000000000:sns-cli-" + cli.Name
			// As on AWS, the queue policy must let SNS send from the topic.
			pol, _ := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
				"Effect": "Allow", "Principal": map[string]string{"Service": "sns.amazonaws.com"}, "Action": "sqs:SendMessage",
				"Resource": qarn, "Condition": map[string]any{"ArnEquals": map[string]string{"aws:SourceArn": topic}}}}})
			attrs, _ := json.Marshal(map[string]string{"Policy": string(pol)})
			run("sqs", "set-queue-attributes", "--queue-url", q, "--attributes", string(attrs))
			run("sns", "subscribe", "--topic-arn", topic, "--protocol", "sqs", "--notification-endpoint",
				"arn:aws:sqs:"+n.Region+":000000000000:sns-cli-"+cli.Name)
			to := cli.Name + "@example.com"
			run("sns", "subscribe", "--topic-arn", topic, "--protocol", "email", "--notification-endpoint", to)
			subs := run("sns", "list-subscriptions-by-topic", "--topic-arn", topic)["Subscriptions"].([]any)
			if len(subs) != 2 {
				t.Fatal(subs)
			}
			mailbox := func() []map[string]string {
				t.Helper()
				resp, err := http.Get(n.Endpoint + "/_niwa/sns/email?to=" + to)
				if err != nil {
					t.Fatal(err)
				}
				defer resp.Body.Close()
				var mail struct{ Messages []map[string]string }
				json.NewDecoder(resp.Body).Decode(&mail)
				return mail.Messages
			}
			// As on AWS, the email subscription waits for its owner to
			// follow the link in the confirmation email.
			confirm := mailbox()
			if len(confirm) != 1 || confirm[0]["subscribeUrl"] == "" {
				t.Fatal(confirm)
			}
			resp, err := http.Get(confirm[0]["subscribeUrl"])
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatal(resp, err)
			}
			resp.Body.Close()
			run("sns", "publish", "--topic-arn", topic, "--message", "hi "+cli.Name, "--subject", "greeting")
			got := run("sqs", "receive-message", "--queue-url", q)
			msgs, _ := got["Messages"].([]any)
			if len(msgs) != 1 || !strings.Contains(msgs[0].(map[string]any)["Body"].(string), `"Message":"hi `+cli.Name+`"`) {
				t.Fatal(got)
			}
			mail := mailbox()
			if len(mail) != 2 || mail[1]["body"] != "hi "+cli.Name || mail[1]["subject"] != "greeting" {
				t.Fatal(mail)
			}
		})
	}
}

// TestSNSHTTPSubscription: an HTTP endpoint gets a signed
// SubscriptionConfirmation, confirms through SubscribeURL, then receives
// signed notifications whose signatures verify against the certificate
// at SigningCertURL (versions 1 and 2).
func TestSNSHTTPSubscription(t *testing.T) {
	t.Parallel()
	for _, target := range framework.Targets {
		t.Run(string(target), func(t *testing.T) {
			n := inprocess.Start(t, target)
			got := make(chan map[string]string, 10)
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				var raw map[string]any
				b, _ := io.ReadAll(r.Body)
				if err := json.Unmarshal(b, &raw); err != nil {
					t.Errorf("body %s: %v", b, err)
				}
				m := map[string]string{}
				for k, v := range raw {
					if s, ok := v.(string); ok {
						m[k] = s
					}
				}
				m["header-type"] = r.Header.Get("x-amz-sns-message-type")
				got <- m
			}))
			defer srv.Close()
			ctx := context.Background()
			c := sns.NewFromConfig(framework.GoConfig(n, "test", "test", ""))
			topic, err := c.CreateTopic(ctx, &sns.CreateTopicInput{Name: aws.String("web")})
			if err != nil {
				t.Fatal(err)
			}
			sub, err := c.Subscribe(ctx, &sns.SubscribeInput{TopicArn: topic.TopicArn, Protocol: aws.String("http"), Endpoint: aws.String(srv.URL + "/hook")})
			if err != nil || *sub.SubscriptionArn != "pending confirmation" {
				t.Fatal(err, sub)
			}
			conf := wait(t, got)
			if conf["Type"] != "SubscriptionConfirmation" || conf["header-type"] != "SubscriptionConfirmation" || conf["Token"] == "" {
				t.Fatal(conf)
			}
			verifySNS(t, conf)
			resp, err := http.Get(conf["SubscribeURL"])
			if err != nil || resp.StatusCode != 200 {
				t.Fatal(err, resp)
			}
			resp.Body.Close()
			list, _ := c.ListSubscriptionsByTopic(ctx, &sns.ListSubscriptionsByTopicInput{TopicArn: topic.TopicArn})
			if len(list.Subscriptions) != 1 || *list.Subscriptions[0].SubscriptionArn == "PendingConfirmation" {
				t.Fatal("not confirmed", list)
			}
			for _, v := range []string{"1", "2"} {
				if _, err := c.SetTopicAttributes(ctx, &sns.SetTopicAttributesInput{TopicArn: topic.TopicArn, AttributeName: aws.String("SignatureVersion"), AttributeValue: aws.String(v)}); err != nil {
					t.Fatal(err)
				}
				if _, err := c.Publish(ctx, &sns.PublishInput{TopicArn: topic.TopicArn, Message: aws.String("hello " + v), Subject: aws.String("subj"),
					MessageAttributes: map[string]snstypes.MessageAttributeValue{"a": {DataType: aws.String("String"), StringValue: aws.String("b")}}}); err != nil {
					t.Fatal(err)
				}
				m := wait(t, got)
				if m["Type"] != "Notification" || m["Message"] != "hello "+v || m["SignatureVersion"] != v {
					t.Fatal(m)
				}
				verifySNS(t, m)
			}
		})
	}
}

func wait(t *testing.T, ch chan map[string]string) map[string]string {
	t.Helper()
	select {
	case m := <-ch:
		return m
	case <-time.After(framework.Patience): // a real HTTP delivery from another process
		t.Fatal("no delivery")
		return nil
	}
}

// verifySNS checks a message's signature the way AWS's documentation and
// SDK message validators do.
func verifySNS(t *testing.T, m map[string]string) {
	t.Helper()
	resp, err := http.Get(m["SigningCertURL"])
	if err != nil {
		t.Fatal(err)
	}
	pemBytes, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatalf("no PEM at %s: %s", m["SigningCertURL"], pemBytes)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	if m["Type"] == "Notification" {
		keys = []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
	} else {
		keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
	}
	var b strings.Builder
	for _, k := range keys {
		if v, ok := m[k]; ok {
			b.WriteString(k + "\n" + v + "\n")
		}
	}
	sig, _ := base64.StdEncoding.DecodeString(m["Signature"])
	pub := cert.PublicKey.(*rsa.PublicKey)
	if m["SignatureVersion"] == "2" {
		h := sha256.Sum256([]byte(b.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA256, h[:], sig)
	} else {
		h := sha1.Sum([]byte(b.String()))
		err = rsa.VerifyPKCS1v15(pub, crypto.SHA1, h[:], sig)
	}
	if err != nil {
		t.Fatalf("signature: %v", err)
	}
}
