package ses

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

type outboxMail struct {
	ID          string `json:"Id"`
	Source      string `json:"Source"`
	Subject     string `json:"Subject"`
	Via         string `json:"Via"`
	Destination struct {
		ToAddresses []string `json:"ToAddresses"`
	} `json:"Destination"`
	Body struct {
		Text string `json:"text_part"`
	} `json:"Body"`
	Raw string `json:"RawData"`
}

// outbox reads GET /_niwa/ses/messages.
func outbox(t *testing.T, n *framework.Niwa) []outboxMail {
	t.Helper()
	resp, err := http.Get(n.Endpoint + "/_niwa/ses/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got struct {
		Messages []outboxMail `json:"messages"`
	}
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("outbox: %v\n%s", err, b)
	}
	return got.Messages
}

var link = regexp.MustCompile(`http://\S+/_niwa/ses/verify\?token=[0-9a-f]+`)

// follow opens the verification link mailed to addr.
func follow(t *testing.T, n *framework.Niwa, addr string) {
	t.Helper()
	for _, m := range outbox(t, n) {
		if m.Via == "Verification" && len(m.Destination.ToAddresses) == 1 && m.Destination.ToAddresses[0] == addr {
			u := link.FindString(m.Body.Text)
			resp, err := http.Get(u)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Fatalf("verification link %s: %d", u, resp.StatusCode)
			}
			return
		}
	}
	t.Fatalf("no verification mail to %s", addr)
}

// TestSESCLI: with both CLI versions (v1 through the ses API, v2 through
// sesv2), a send from unverified addresses is refused with SES's
// message, the verification links in the outbox verify them, and the
// send then lands in the outbox.
func TestSESCLI(t *testing.T) {
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			from, to := "from-"+cli.Name+"@example.com", "to-"+cli.Name+"@example.com"
			subject := "hello from " + cli.Name
			var send []string
			if cli.Name == framework.CLIs[0].Name {
				for _, a := range []string{from, to} {
					n.MustCLI(t, cli, "ses", "verify-email-identity", "--email-address", a)
				}
				send = []string{"ses", "send-email", "--from", from, "--destination", "ToAddresses=" + to,
					"--message", "Subject={Data=" + subject + "},Body={Text={Data=body text}}"}
			} else {
				for _, a := range []string{from, to} {
					n.MustCLI(t, cli, "sesv2", "create-email-identity", "--email-identity", a)
				}
				send = []string{"sesv2", "send-email", "--from-email-address", from, "--destination", "ToAddresses=" + to,
					"--content", "Simple={Subject={Data=" + subject + "},Body={Text={Data=body text}}}"}
			}
			_, errOut, err := n.RunCLI(t, cli, nil, send...)
			want := "(MessageRejected) when calling the SendEmail operation: Email address is not verified. The following identities failed the check in region " + strings.ToUpper(n.Region) + ": " + from
			if err == nil || !strings.Contains(errOut, want) {
				t.Fatalf("unverified send: %v\n%s\nwant %s", err, errOut, want)
			}
			follow(t, n, from)
			follow(t, n, to)
			var out struct{ MessageId string }
			framework.MustJSON(t, n.MustCLI(t, cli, send...), &out)
			if !regexp.MustCompile(`^01[0-9a-f]{14}-[0-9a-f-]{36}-000000$`).MatchString(out.MessageId) {
				t.Fatalf("MessageId %q", out.MessageId)
			}
			for _, m := range outbox(t, n) {
				if m.ID == out.MessageId {
					if m.Source != from || m.Subject != subject || m.Body.Text != "body text" || !strings.Contains(m.Raw, "Subject: "+subject) {
						t.Fatalf("outbox: %+v", m)
					}
					return
				}
			}
			t.Fatalf("message %s not in the outbox", out.MessageId)
		})
	}
}

// TestSESBoto3SMTP: boto3 verifies two addresses, then Python's smtplib
// logs in to niwa's SMTP interface with the SMTP password derived from
// the access key as AWS documents it — after STARTTLS, verified against
// niwa's root CA (a login in the clear is refused with 530, as SES
// refuses it) — and the message lands in the outbox; a wrong password
// is refused with 535.
func TestSESBoto3SMTP(t *testing.T) {
	port := framework.FreePort(t)
	n := framework.StartBinary(t, "--smtp-port", strconv.Itoa(port))
	n.Python(t, `
import boto3
ses = boto3.client('ses')
for a in ['py-from@example.com', 'py-to@example.com']:
    ses.verify_email_identity(EmailAddress=a)
`)
	follow(t, n, "py-from@example.com")
	follow(t, n, "py-to@example.com")
	cafile := rootCA(t, n)
	out := n.Python(t, `
import base64, hashlib, hmac, os, smtplib, ssl
ctx = ssl.create_default_context(cafile='`+cafile+`')
def sign(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
def smtp_password(secret, region):
    s = sign(('AWS4' + secret).encode(), '11111111')
    for m in [region, 'ses', 'aws4_request', 'SendRawEmail']:
        s = sign(s, m)
    return base64.b64encode(bytes([4]) + s).decode()
key, secret = os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_SECRET_ACCESS_KEY']
msg = 'From: py-from@example.com\r\nTo: py-to@example.com\r\nSubject: via smtplib\r\n\r\nhello over smtp\r\n'
with smtplib.SMTP('127.0.0.1', `+strconv.Itoa(port)+`, timeout=60) as s:
    s.ehlo()
    try:
        s.login(key, smtp_password(secret, os.environ['AWS_DEFAULT_REGION']))
        print('login in the clear accepted')
    except smtplib.SMTPException as e:
        print('clear login refused', e)
with smtplib.SMTP('127.0.0.1', `+strconv.Itoa(port)+`, timeout=60) as s:
    s.starttls(context=ctx)
    try:
        s.login(key, 'wrong')
        print('wrong password accepted')
    except smtplib.SMTPAuthenticationError as e:
        print('refused', e.smtp_code)
with smtplib.SMTP('127.0.0.1', `+strconv.Itoa(port)+`, timeout=60) as s:
    s.starttls(context=ctx)
    s.login(key, smtp_password(secret, os.environ['AWS_DEFAULT_REGION']))
    try:
        s.sendmail('py-from@example.com', ['nobody@example.com'], msg)
    except smtplib.SMTPRecipientsRefused as e:
        print('recipients refused', e)
    except smtplib.SMTPDataError as e:
        print('rejected', e.smtp_code, e.smtp_error.decode())
    s.sendmail('py-from@example.com', ['py-to@example.com'], msg)
    print('sent')
# An IAM user's access key works the same way.
import boto3
iam = boto3.client('iam')
iam.create_user(UserName='mailer')
k = iam.create_access_key(UserName='mailer')['AccessKey']
with smtplib.SMTP('127.0.0.1', `+strconv.Itoa(port)+`, timeout=60) as s:
    s.starttls(context=ctx)
    code, _ = s.login(k['AccessKeyId'], smtp_password(k['SecretAccessKey'], os.environ['AWS_DEFAULT_REGION']))
    print('iam user login', code)
`)
	for _, want := range []string{"clear login refused (530, b'Must issue a STARTTLS command first')", "refused 535", "rejected 554 Message rejected: Email address is not verified. The following identities failed the check in region " + strings.ToUpper(n.Region) + ": nobody@example.com", "sent", "iam user login 235"} {
		if !strings.Contains(out, want) {
			t.Fatalf("want %q in:\n%s", want, out)
		}
	}
	for _, m := range outbox(t, n) {
		if m.Via == "SMTP" && m.Subject == "via smtplib" && strings.Contains(m.Raw, "hello over smtp") {
			return
		}
	}
	t.Fatalf("SMTP message not in the outbox: %+v", outbox(t, n))
}

// TestSESDomainAndEvents (boto3): a domain is verified once its
// _amazonses TXT record is in niwa's Route 53; leaving the sandbox with
// PutAccountDetails lets it send to anyone; a configuration set's SNS
// destination delivers SES's Send and Delivery records to a queue
// subscribed to the topic.
func TestSESDomainAndEvents(t *testing.T) {
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json, time
ses, v2, r53 = boto3.client('ses'), boto3.client('sesv2'), boto3.client('route53')
sns, sqs = boto3.client('sns'), boto3.client('sqs')
token = ses.verify_domain_identity(Domain='mail.example.net')['VerificationToken']
def status():
    return ses.get_identity_verification_attributes(Identities=['mail.example.net'])['VerificationAttributes']['mail.example.net']['VerificationStatus']
print('before', status())
zone = r53.create_hosted_zone(Name='example.net', CallerReference='e2e')['HostedZone']['Id']
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={'Changes': [{'Action': 'CREATE', 'ResourceRecordSet': {
    'Name': '_amazonses.mail.example.net', 'Type': 'TXT', 'TTL': 300, 'ResourceRecords': [{'Value': '"%s"' % token}]}}]})
print('after', status())
v2.put_account_details(MailType='TRANSACTIONAL', WebsiteURL='https://example.net', UseCaseDescription='e2e', ProductionAccessEnabled=True)
print('production', v2.get_account()['ProductionAccessEnabled'])
topic = sns.create_topic(Name='ses-events')['TopicArn']
q = sqs.create_queue(QueueName='ses-events')['QueueUrl']
qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
sqs.set_queue_attributes(QueueUrl=q, Attributes={'Policy': json.dumps({'Version': '2012-10-17', 'Statement': [{
    'Effect': 'Allow', 'Principal': {'Service': 'sns.amazonaws.com'}, 'Action': 'sqs:SendMessage', 'Resource': qarn}]})})
sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn, Attributes={'RawMessageDelivery': 'true'})
ses.create_configuration_set(ConfigurationSet={'Name': 'tracked'})
ses.create_configuration_set_event_destination(ConfigurationSetName='tracked', EventDestination={
    'Name': 'to-sns', 'Enabled': True, 'MatchingEventTypes': ['send', 'delivery'], 'SNSDestination': {'TopicARN': topic}})
mid = ses.send_email(Source='noreply@mail.example.net', Destination={'ToAddresses': ['anyone@elsewhere.test']},
    Message={'Subject': {'Data': 'tracked'}, 'Body': {'Text': {'Data': 'b'}}}, ConfigurationSetName='tracked')['MessageId']
types = []
deadline = time.time() + 60
while len(types) < 2 and time.time() < deadline:
    for m in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', []):
        rec = json.loads(m['Body'])
        if rec['mail']['messageId'] == mid:
            types.append(rec['eventType'])
print('events', sorted(types))
`)
	for _, want := range []string{"before Pending", "after Success", "production True", "events ['Delivery', 'Send']"} {
		if !strings.Contains(out, want) {
			t.Fatalf("want %q in:\n%s", want, out)
		}
	}
}

// rootCA writes niwa's root certificate (GET /_niwa/ca.pem) to a file.
func rootCA(t *testing.T, n *framework.Niwa) string {
	t.Helper()
	resp, err := http.Get(n.Endpoint + "/_niwa/ca.pem")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET /_niwa/ca.pem: %d %v", resp.StatusCode, err)
	}
	f := filepath.Join(t.TempDir(), "niwa-ca.pem")
	if err := os.WriteFile(f, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}
