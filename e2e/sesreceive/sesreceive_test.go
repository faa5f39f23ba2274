package sesreceive

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

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

// TestReceiveBoto3SMTP: boto3 verifies mail.example.org by its TXT
// record in niwa's Route 53, makes a bucket whose policy lets SES write,
// a topic with a queue subscribed, and a function SES may invoke; the
// active rule set's first rule asks the function (RequestResponse),
// which stops the set for mail whose subject is "stop"; the second rule
// writes the raw message to S3 and notifies the topic (Base64). smtplib
// then delivers without AUTH over STARTTLS (verified against niwa's
// root CA) and, authenticated, over implicit TLS; a rule requiring TLS
// refuses mail in the clear.
func TestReceiveBoto3SMTP(t *testing.T) {
	t.Parallel()
	port, sport := framework.FreePort(t), framework.FreePort(t)
	n := framework.StartBinary(t, "--smtp-port", strconv.Itoa(port), "--smtps-port", strconv.Itoa(sport))
	role := framework.LambdaRole(t, n, "ses-filter-role")
	cafile := rootCA(t, n)
	out := n.Python(t, `
import base64, boto3, hashlib, hmac, io, json, os, smtplib, ssl, time, zipfile
acct = boto3.client('sts').get_caller_identity()['Account']
region = os.environ['AWS_DEFAULT_REGION']
ses, r53, s3 = boto3.client('ses'), boto3.client('route53'), boto3.client('s3')
sns, sqs, lam = boto3.client('sns'), boto3.client('sqs'), boto3.client('lambda')
token = ses.verify_domain_identity(Domain='mail.example.org')['VerificationToken']
zone = r53.create_hosted_zone(Name='example.org', CallerReference='sesreceive')['HostedZone']['Id']
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={'Changes': [{'Action': 'CREATE', 'ResourceRecordSet': {
    'Name': '_amazonses.mail.example.org', 'Type': 'TXT', 'TTL': 300, 'ResourceRecords': [{'Value': '"%s"' % token}]}}]})
s3.create_bucket(Bucket='inbound-mail', **({} if region == 'us-east-1' else {'CreateBucketConfiguration': {'LocationConstraint': region}}))
ses.create_receipt_rule_set(RuleSetName='inbound')
# Without a bucket policy for SES, the rule is refused.
try:
    ses.create_receipt_rule(RuleSetName='inbound', Rule={'Name': 'store', 'Enabled': True,
        'Actions': [{'S3Action': {'BucketName': 'inbound-mail'}}]})
    print('rule without bucket policy accepted')
except ses.exceptions.InvalidS3ConfigurationException as e:
    print('refused', e.response['Error']['Code'], e.response['Error']['Message'])
s3.put_bucket_policy(Bucket='inbound-mail', Policy=json.dumps({'Version': '2012-10-17', 'Statement': [{
    'Effect': 'Allow', 'Principal': {'Service': 'ses.amazonaws.com'}, 'Action': 's3:PutObject',
    'Resource': 'arn:aws:s3:::inbound-mail/*', 'Condition': {'StringEquals': {'aws:SourceAccount': acct}}}]}))
topic = sns.create_topic(Name='inbound')['TopicArn']
q = sqs.create_queue(QueueName='inbound')['QueueUrl']
qarn = sqs.get_queue_attributes(QueueUrl=q, AttributeNames=['QueueArn'])['Attributes']['QueueArn']
sqs.set_queue_attributes(QueueUrl=q, Attributes={'Policy': json.dumps({'Version': '2012-10-17', 'Statement': [{
    'Effect': 'Allow', 'Principal': {'Service': 'sns.amazonaws.com'}, 'Action': 'sqs:SendMessage', 'Resource': qarn}]})})
sns.subscribe(TopicArn=topic, Protocol='sqs', Endpoint=qarn, Attributes={'RawMessageDelivery': 'true'})
buf = io.BytesIO()
with zipfile.ZipFile(buf, 'w') as z:
    z.writestr('app.py', "def handler(event, context):\n"
        "    subject = event['Records'][0]['ses']['mail']['commonHeaders']['subject']\n"
        "    return {'disposition': 'STOP_RULE_SET' if subject == 'stop' else 'CONTINUE'}\n")
fn = lam.create_function(FunctionName='filter', Runtime='python3.12', Handler='app.handler', Role=os.environ['ROLE'],
    Code={'ZipFile': buf.getvalue()}, Timeout=30)['FunctionArn']
lam.get_waiter('function_active_v2').wait(FunctionName='filter')
lam.add_permission(FunctionName='filter', StatementId='ses', Action='lambda:InvokeFunction', Principal='ses.amazonaws.com', SourceAccount=acct)
ses.create_receipt_rule(RuleSetName='inbound', Rule={'Name': 'filter', 'Enabled': True, 'Recipients': ['mail.example.org'],
    'Actions': [{'LambdaAction': {'FunctionArn': fn, 'InvocationType': 'RequestResponse'}}]})
ses.create_receipt_rule(RuleSetName='inbound', After='filter', Rule={'Name': 'store', 'Enabled': True, 'TlsPolicy': 'Require',
    'ScanEnabled': True, 'Recipients': ['mail.example.org'], 'Actions': [
    {'S3Action': {'BucketName': 'inbound-mail', 'ObjectKeyPrefix': 'in/'}},
    {'SNSAction': {'TopicArn': topic, 'Encoding': 'Base64'}}]})
ses.set_active_receipt_rule_set(RuleSetName='inbound')
ctx = ssl.create_default_context(cafile=os.environ['CAFILE'])
def msg(subject):
    return 'From: friend@elsewhere.test\r\nTo: info@mail.example.org\r\nSubject: %s\r\n\r\nbody of %s\r\n' % (subject, subject)
with smtplib.SMTP('127.0.0.1', int(os.environ['PORT']), timeout=60) as s:
    try:
        s.sendmail('friend@elsewhere.test', ['info@mail.example.org'], msg('clear'))
        print('clear accepted')
    except smtplib.SMTPRecipientsRefused as e:
        print('clear refused', e.recipients['info@mail.example.org'][0])
with smtplib.SMTP('127.0.0.1', int(os.environ['PORT']), timeout=60) as s:
    s.starttls(context=ctx)
    s.sendmail('friend@elsewhere.test', ['info@mail.example.org'], msg('hello'))
    s.sendmail('friend@elsewhere.test', ['info@mail.example.org'], msg('stop'))
    try:
        s.sendmail('friend@elsewhere.test', ['someone@elsewhere.test'], msg('relay'))
        print('relay accepted')
    except smtplib.SMTPRecipientsRefused as e:
        print('relay refused', e.recipients['someone@elsewhere.test'][0])
# Mail niwa sends to the domain is received too (here over SMTPS).
def sign(k, m): return hmac.new(k, m.encode(), hashlib.sha256).digest()
sig = sign(('AWS4' + os.environ['AWS_SECRET_ACCESS_KEY']).encode(), '11111111')
for m in [region, 'ses', 'aws4_request', 'SendRawEmail']:
    sig = sign(sig, m)
with smtplib.SMTP_SSL('127.0.0.1', int(os.environ['SPORT']), context=ctx, timeout=60) as s:
    s.login(os.environ['AWS_ACCESS_KEY_ID'], base64.b64encode(bytes([4]) + sig).decode())
    s.sendmail('noreply@mail.example.org', ['info@mail.example.org'],
        'From: noreply@mail.example.org\r\nTo: info@mail.example.org\r\nSubject: internal\r\n\r\nbody of internal\r\n')
objs = s3.list_objects_v2(Bucket='inbound-mail', Prefix='in/').get('Contents', [])
bodies = sorted(s3.get_object(Bucket='inbound-mail', Key=o['Key'])['Body'].read().decode() for o in objs)
for b in bodies:
    print('object', [l for l in b.split('\r\n') if l.startswith('Subject:')][0], 'X-SES-Spam-Verdict: PASS' in b)
subjects = []
deadline = time.time() + 60
while len(subjects) < 2 and time.time() < deadline:
    for m in sqs.receive_message(QueueUrl=q, MaxNumberOfMessages=10, WaitTimeSeconds=1).get('Messages', []):
        n = json.loads(m['Body'])
        content = base64.b64decode(n['content']).decode()
        subjects.append('%s %s %s' % (n['notificationType'], n['mail']['commonHeaders']['subject'], 'body of' in content))
print('notified', sorted(subjects))
`, "ROLE="+role, "CAFILE="+cafile, "PORT="+strconv.Itoa(port), "SPORT="+strconv.Itoa(sport))
	for _, want := range []string{
		"refused InvalidS3Configuration Could not write to bucket: inbound-mail",
		"clear refused 530",
		"relay refused 530",
		"object Subject: hello True",
		"object Subject: internal True",
		"notified ['Received hello True', 'Received internal True']",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("want %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Subject: stop") || strings.Count(out, "object ") != 2 {
		t.Fatalf("the function's STOP_RULE_SET did not stop the set:\n%s", out)
	}
}

// TestReceiptRuleCLI: with both CLI versions, a WorkMail action is
// refused with niwa's reason and a bounce rule puts SES's bounce to the
// sender in the outbox when niwa sends to the domain.
func TestReceiptRuleCLI(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	for _, cli := range framework.CLIs {
		t.Run(cli.Name, func(t *testing.T) {
			set := "set-" + cli.Name
			n.MustCLI(t, cli, "ses", "create-receipt-rule-set", "--rule-set-name", set)
			_, errOut, err := n.RunCLI(t, cli, nil, "ses", "create-receipt-rule", "--rule-set-name", set, "--rule",
				`{"Name":"wm","Enabled":true,"Actions":[{"WorkmailAction":{"OrganizationArn":"arn:aws:workmail:us-east-1:000000000000:organization/m-1"}}]}`)
			if err == nil || !strings.Contains(errOut, "InvalidParameterValue") || !strings.Contains(errOut, "Amazon WorkMail") {
				t.Fatalf("WorkMail action: %v\n%s", err, errOut)
			}
		})
	}
	cli := framework.CLIs[0]
	out := n.MustCLI(t, cli, "ses", "verify-domain-identity", "--domain", "bounce.example.com")
	var tok struct{ VerificationToken string }
	framework.MustJSON(t, out, &tok)
	var zone struct{ HostedZone struct{ Id string } }
	framework.MustJSON(t, n.MustCLI(t, cli, "route53", "create-hosted-zone", "--name", "example.com", "--caller-reference", "cli"), &zone)
	n.MustCLI(t, cli, "route53", "change-resource-record-sets", "--hosted-zone-id", zone.HostedZone.Id, "--change-batch",
		`{"Changes":[{"Action":"CREATE","ResourceRecordSet":{"Name":"_amazonses.bounce.example.com","Type":"TXT","TTL":300,"ResourceRecords":[{"Value":"\"`+tok.VerificationToken+`\""}]}}]}`)
	n.MustCLI(t, cli, "ses", "create-receipt-rule", "--rule-set-name", "set-v1", "--rule",
		`{"Name":"bounce","Enabled":true,"Recipients":["gone@bounce.example.com"],"Actions":[{"BounceAction":{"Sender":"postmaster@bounce.example.com","SmtpReplyCode":"550","StatusCode":"5.1.1","Message":"Mailbox does not exist"}}]}`)
	n.MustCLI(t, cli, "ses", "set-active-receipt-rule-set", "--rule-set-name", "set-v1")
	n.MustCLI(t, cli, "ses", "send-email", "--from", "me@bounce.example.com", "--destination", "ToAddresses=gone@bounce.example.com",
		"--message", "Subject={Data=hi},Body={Text={Data=x}}")
	resp, err := http.Get(n.Endpoint + "/_niwa/ses/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var box struct {
		Messages []struct {
			Source, Via string
			Destination struct{ ToAddresses []string }
			Body        struct {
				Text string `json:"text_part"`
			}
		} `json:"messages"`
	}
	framework.MustJSON(t, mustRead(t, resp.Body), &box)
	for _, m := range box.Messages {
		if m.Via == "Bounce" && m.Source == "postmaster@bounce.example.com" && len(m.Destination.ToAddresses) == 1 &&
			m.Destination.ToAddresses[0] == "me@bounce.example.com" && strings.Contains(m.Body.Text, "<gone@bounce.example.com>: 550 5.1.1 Mailbox does not exist") {
			return
		}
	}
	t.Fatalf("no bounce in the outbox: %+v", box.Messages)
}

func mustRead(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
