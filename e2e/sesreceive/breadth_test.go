package sesreceive

import (
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// TestSESv2BreadthBoto3: with boto3, the suppression list keeps an
// address that a send then skips (accepted, marked in the outbox);
// contact lists keep contacts and filter them by topic; SendBulkEmail
// renders each entry; a paused configuration set refuses sends; a custom
// verification template mails its content with the link, which verifies
// the address and redirects to the success URL; receipt rules are
// reordered and a receipt filter kept.
func TestSESv2BreadthBoto3(t *testing.T) {
	t.Parallel()
	n := framework.StartBinary(t)
	out := n.Python(t, `
import boto3, json, re, urllib.request, urllib.error, os
ses, v2, r53 = boto3.client('ses'), boto3.client('sesv2'), boto3.client('route53')
token = ses.verify_domain_identity(Domain='corp.example')['VerificationToken']
zone = r53.create_hosted_zone(Name='corp.example', CallerReference='breadth')['HostedZone']['Id']
r53.change_resource_record_sets(HostedZoneId=zone, ChangeBatch={'Changes': [{'Action': 'CREATE', 'ResourceRecordSet': {
    'Name': '_amazonses.corp.example', 'Type': 'TXT', 'TTL': 300, 'ResourceRecords': [{'Value': '"%s"' % token}]}}]})
v2.put_suppressed_destination(EmailAddress='gone@corp.example', Reason='BOUNCE')
print('suppressed', [d['EmailAddress'] for d in v2.list_suppressed_destinations(Reasons=['BOUNCE'])['SuppressedDestinationSummaries']])
mid = v2.send_email(FromEmailAddress='app@corp.example', Destination={'ToAddresses': ['gone@corp.example']},
    Content={'Simple': {'Subject': {'Data': 's'}, 'Body': {'Text': {'Data': 'b'}}}})['MessageId']
box = json.load(urllib.request.urlopen(os.environ['AWS_ENDPOINT_URL'] + '/_niwa/ses/messages?id=' + mid))['messages']
print('accepted, suppressed', box[0].get('Suppressed'))
v2.create_contact_list(ContactListName='news', Topics=[{'TopicName': 'weekly', 'DisplayName': 'Weekly', 'DefaultSubscriptionStatus': 'OPT_OUT'}])
v2.create_contact(ContactListName='news', EmailAddress='a@corp.example', TopicPreferences=[{'TopicName': 'weekly', 'SubscriptionStatus': 'OPT_IN'}])
v2.create_contact(ContactListName='news', EmailAddress='b@corp.example')
opted = v2.list_contacts(ContactListName='news', Filter={'FilteredStatus': 'OPT_IN', 'TopicFilter': {'TopicName': 'weekly', 'UseDefaultIfPreferenceUnavailable': True}})['Contacts']
print('opted in', [c['EmailAddress'] for c in opted])
try:
    v2.create_contact_list(ContactListName='second')
except v2.exceptions.LimitExceededException:
    print('one list per account')
v2.create_email_template(TemplateName='hi', TemplateContent={'Subject': 'Hi {{name}}', 'Text': 'Hello {{name}}'})
res = v2.send_bulk_email(FromEmailAddress='app@corp.example', DefaultContent={'Template': {'TemplateName': 'hi', 'TemplateData': '{"name":"you"}'}},
    BulkEmailEntries=[{'Destination': {'ToAddresses': ['x@corp.example']}, 'ReplacementEmailContent': {'ReplacementTemplate': {'ReplacementTemplateData': '{"name":"Ann"}'}}}])
r = res['BulkEmailEntryResults'][0]
box = json.load(urllib.request.urlopen(os.environ['AWS_ENDPOINT_URL'] + '/_niwa/ses/messages?id=' + r['MessageId']))['messages']
print('bulk', r['Status'], box[0]['Subject'])
v2.create_configuration_set(ConfigurationSetName='paused')
v2.put_configuration_set_sending_options(ConfigurationSetName='paused', SendingEnabled=False)
try:
    ses.send_email(Source='app@corp.example', Destination={'ToAddresses': ['x@corp.example']}, ConfigurationSetName='paused',
        Message={'Subject': {'Data': 's'}, 'Body': {'Text': {'Data': 'b'}}})
except ses.exceptions.ConfigurationSetSendingPausedException as e:
    print('paused', e.response['Error']['Code'])
ses.create_custom_verification_email_template(TemplateName='welcome', FromEmailAddress='app@corp.example', TemplateSubject='Confirm',
    TemplateContent='<p>Welcome aboard</p>', SuccessRedirectionURL='https://corp.example/ok', FailureRedirectionURL='https://corp.example/no')
mid = ses.send_custom_verification_email(EmailAddress='newbie@elsewhere.test', TemplateName='welcome')['MessageId']
box = json.load(urllib.request.urlopen(os.environ['AWS_ENDPOINT_URL'] + '/_niwa/ses/messages?id=' + mid))['messages']
link = re.search(r'href="([^"]+)"', box[0]['Body']['html_part']).group(1)
class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a): return None
try:
    urllib.request.build_opener(NoRedirect).open(link.replace('&amp;', '&'))
except urllib.error.HTTPError as e:
    print('link', e.code, e.headers['Location'])
print('status', ses.get_identity_verification_attributes(Identities=['newbie@elsewhere.test'])['VerificationAttributes']['newbie@elsewhere.test']['VerificationStatus'])
ses.create_receipt_rule_set(RuleSetName='rs')
for name, after in [('a', None), ('b', 'a'), ('c', 'b')]:
    kw = {'After': after} if after else {}
    ses.create_receipt_rule(RuleSetName='rs', Rule={'Name': name}, **kw)
ses.reorder_receipt_rule_set(RuleSetName='rs', RuleNames=['c', 'a', 'b'])
ses.set_receipt_rule_position(RuleSetName='rs', RuleName='b')
print('rules', [r['Name'] for r in ses.describe_receipt_rule_set(RuleSetName='rs')['Rules']])
ses.create_receipt_filter(Filter={'Name': 'office', 'IpFilter': {'Policy': 'Block', 'Cidr': '10.0.0.0/8'}})
print('filters', [f['Name'] for f in ses.list_receipt_filters()['Filters']])
try:
    v2.get_deliverability_dashboard_options()
except Exception as e:
    print('dashboard', e.response['Error']['Code'])
`, "AWS_ENDPOINT_URL="+n.Endpoint)
	for _, want := range []string{
		"suppressed ['gone@corp.example']",
		"accepted, suppressed ['gone@corp.example']",
		"opted in ['a@corp.example']",
		"one list per account",
		"bulk SUCCESS Hi Ann",
		"paused ConfigurationSetSendingPausedException",
		"link 302 https://corp.example/ok",
		"status Success",
		"rules ['b', 'c', 'a']",
		"filters ['office']",
		"dashboard NotImplemented",
	} {
		if !strings.Contains(out, want) {
			t.Fatalf("want %q in:\n%s", want, out)
		}
	}
}
