package sns

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// wantErr fails unless err is the AWS error code with message msg ("" for
// no error).
func wantErr(t *testing.T, err error, code, msg string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	ae := awserr.As(err)
	if ae == nil || ae.Code.Code != code || (msg != "" && ae.Message != msg) {
		t.Fatalf("err = %v, want %s: %s", err, code, msg)
	}
}

func mkTopic(t *testing.T, s *SNS, ctx *request.Context, name string, attrs map[string]string) string {
	t.Helper()
	out, err := s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To(name), Attributes: attrs})
	if err != nil {
		t.Fatal(err)
	}
	return *out.TopicArn
}

// TestFilterPolicyValidation holds SNS's refusals of filter policies
// (https://docs.aws.amazon.com/sns/latest/dg/sns-subscription-filter-policies.html),
// worded as Subscribe and SetSubscriptionAttributes word them.
func TestFilterPolicyValidation(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	cases := []struct{ name, policy, scope, msg string }{
		{"unknown operator", `{"a":[{"foo":"x"}]}`, "", "Unrecognized match type foo"},
		{"two operators", `{"a":[{"prefix":"x","suffix":"y"}]}`, "", "Only one key allowed in match expression"},
		{"prefix not a string", `{"a":[{"prefix":1}]}`, "", "prefix match pattern must be a string"},
		{"suffix not a string", `{"a":[{"suffix":true}]}`, "", "suffix match pattern must be a string"},
		{"equals-ignore-case not a string", `{"a":[{"equals-ignore-case":[]}]}`, "", "equals-ignore-case match pattern must be a string"},
		{"exists not a boolean", `{"a":[{"exists":"yes"}]}`, "", "exists match pattern must be either true or false."},
		{"empty array", `{"a":[]}`, "", "Empty arrays are not allowed"},
		{"scalar", `{"a":"x"}`, "", `"a" must be an object or an array`},
		{"nested array value", `{"a":[["x"]]}`, "", "Match value must be String, number, true, false, or null"},
		{"numeric unknown operator", `{"a":[{"numeric":["!=",1]}]}`, "", "Unrecognized numeric range operator: !="},
		{"numeric value not a number", `{"a":[{"numeric":["<","1"]}]}`, "", "Value of < must be numeric"},
		{"numeric equals not a number", `{"a":[{"numeric":["="]}]}`, "", "Value of equals must be numeric"},
		{"numeric range from <", `{"a":[{"numeric":["<",1,">",0]}]}`, "", "Too many elements in numeric expression"},
		{"numeric bad upper operator", `{"a":[{"numeric":[">",1,">",5]}]}`, "", "Bad numeric range operator: >"},
		{"numeric bottom above top", `{"a":[{"numeric":[">",5,"<",1]}]}`, "", "Bottom must be less than top"},
		{"numeric empty", `{"a":[{"numeric":[]}]}`, "", "Invalid member in numeric match: ]"},
		{"anything-but unsupported", `{"a":[{"anything-but":{"numeric":[">",1]}}]}`, "", "Unsupported anything-but pattern: numeric"},
		{"cidr without slash", `{"a":[{"cidr":"10.0.0.1"}]}`, "", "Malformed CIDR, one '/' required"},
		{"cidr mask not a number", `{"a":[{"cidr":"10.0.0.0/x"}]}`, "", "Malformed CIDR, mask bits must be an integer"},
		{"cidr bad address", `{"a":[{"cidr":"10.0.300.0/24"}]}`, "", "Nonstandard IP address: 10.0.300.0"},
		{"cidr not a string", `{"a":[{"cidr":10}]}`, "", "prefix match pattern must be a string"},
		{"not JSON", `{"a":`, "", "failed to parse JSON."},
		{"nested with attribute scope", `{"a":{"b":["x"]}}`, "", ""},
		{"valid operators", `{"a":[{"cidr":"10.0.0.0/24"},{"anything-but":{"suffix":"x"}},{"numeric":[">",0,"<=",5]},"s",1,true,null]}`, "", "ok"},
		{"nested with body scope", `{"a":{"b":["x"]}}`, "MessageBody", "ok"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			attrs := map[string]string{"FilterPolicy": c.policy}
			if c.scope != "" {
				attrs["FilterPolicyScope"] = c.scope
			}
			ep := "arn:aws:sqs:us-east-1:123456789012:q" + string(rune('a'+i))
			_, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: &ep, Attributes: attrs})
			if c.msg == "ok" {
				wantErr(t, err, "", "")
				return
			}
			subMsg, setMsg := "Invalid parameter: Attributes Reason: FilterPolicy: "+c.msg, "Invalid parameter: FilterPolicy: "+c.msg
			if c.msg == "" {
				subMsg = "Invalid parameter: Attributes Reason: Filter policy scope MessageAttributes does not support nested filter policy"
				setMsg = "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy"
			}
			wantErr(t, err, "InvalidParameter", subMsg)
			// The same policy set later on a subscription.
			out, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: &ep})
			if err != nil {
				t.Fatal(err)
			}
			_, err = s.SetSubscriptionAttributes(ctx, &snsapi.SetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn, AttributeName: ptr.To("FilterPolicy"), AttributeValue: &c.policy})
			wantErr(t, err, "InvalidParameter", setMsg)
		})
	}
}

// TestFilterPolicyScopeChange: switching a body-scoped nested policy to
// attribute scope is refused and leaves the subscription as it was.
func TestFilterPolicyScopeChange(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	out, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:q"),
		Attributes: map[string]string{"FilterPolicyScope": "MessageBody", "FilterPolicy": `{"a":{"b":["x"]}}`}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SetSubscriptionAttributes(ctx, &snsapi.SetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn, AttributeName: ptr.To("FilterPolicyScope"), AttributeValue: ptr.To("MessageAttributes")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Filter policy scope MessageAttributes does not support nested filter policy")
	got, err := s.GetSubscriptionAttributes(ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: out.SubscriptionArn})
	if err != nil {
		t.Fatal(err)
	}
	if got.Attributes["FilterPolicyScope"] != "MessageBody" {
		t.Fatalf("scope changed: %v", got.Attributes)
	}
}

// TestFilterPolicyMatching holds SNS's documented matching semantics.
func TestFilterPolicyMatching(t *testing.T) {
	s := func(v string) *string { return &v }
	attrs := map[string]snsapi.MessageAttributeValue{
		"ip":     {DataType: s("String"), StringValue: s("10.0.0.42")},
		"ip6":    {DataType: s("String"), StringValue: s("2001:db8::1")},
		"kind":   {DataType: s("String"), StringValue: s("order-created")},
		"price":  {DataType: s("Number"), StringValue: s("1.000001")},
		"big":    {DataType: s("Number"), StringValue: s("2e9")},
		"prices": {DataType: s("Number.Array"), StringValue: s("[100, 50]")},
		"only":   {DataType: s("Number.Array"), StringValue: s("[100]")},
		"bin":    {DataType: s("Binary"), BinaryValue: []byte("x")},
		"custom": {DataType: s("String.label"), StringValue: s("hello")},
	}
	body := `{"items":[{"sku":"a","qty":1},{"sku":"b","qty":5}],"meta":{"src":"web","tags":["x","y"]},"n":null}`
	for _, c := range []struct {
		policy string
		body   bool
		want   bool
	}{
		{`{"ip":[{"cidr":"10.0.0.0/24"}]}`, false, true},
		{`{"ip":[{"cidr":"10.0.1.0/24"}]}`, false, false},
		{`{"ip6":[{"cidr":"2001:db8::/32"}]}`, false, true},
		{`{"kind":[{"cidr":"10.0.0.0/8"}]}`, false, false},
		{`{"kind":[{"anything-but":{"prefix":"order-"}}]}`, false, false},
		{`{"kind":[{"anything-but":{"prefix":"refund-"}}]}`, false, true},
		{`{"kind":[{"anything-but":{"suffix":"-created"}}]}`, false, false},
		{`{"kind":[{"anything-but":{"suffix":"-deleted"}}]}`, false, true},
		{`{"kind":[{"anything-but":{"equals-ignore-case":"ORDER-CREATED"}}]}`, false, false},
		{`{"kind":[{"anything-but":["x","order-created"]}]}`, false, false},
		{`{"missing":[{"anything-but":"x"}]}`, false, false},
		// Five decimal digits of precision: 1.000001 is 1.
		{`{"price":[{"numeric":["=",1]}]}`, false, true},
		{`{"price":[1]}`, false, true},
		{`{"price":[{"numeric":[">",1]}]}`, false, false},
		// Numbers outside -1e9..1e9 do not match numerically.
		{`{"big":[{"numeric":[">",0]}]}`, false, false},
		// Number.Array attributes match element by element.
		{`{"prices":[50]}`, false, true},
		{`{"prices":[{"anything-but":[100,500]}]}`, false, true},
		{`{"only":[{"anything-but":[100,500]}]}`, false, false},
		{`{"prices":[{"numeric":[">",60,"<",99]}]}`, false, false},
		// Binary attributes are never compared.
		{`{"bin":["x"]}`, false, false},
		// Custom String types are strings.
		{`{"custom":["hello"]}`, false, true},
		// Nested keys reach into arrays of objects.
		{`{"items":{"sku":["b"],"qty":[{"numeric":[">",4]}]}}`, true, true},
		{`{"items":{"sku":["c"]}}`, true, false},
		{`{"meta":{"tags":["y"],"src":[{"prefix":"w"}]}}`, true, true},
		{`{"meta":{"$or":[{"src":["app"]},{"tags":["x"]}]}}`, true, true},
		{`{"n":[null]}`, true, true},
		{`{"meta":{"src":[{"exists":false}]}}`, true, false},
		{`{"meta":{"dst":[{"exists":false}]}}`, true, true},
		// exists looks at leaves only.
		{`{"meta":[{"exists":true}]}`, true, false},
		{`{"meta":[{"exists":false}]}`, true, true},
		// exists wants a non-null, non-empty value.
		{`{"n":[{"exists":true}]}`, true, false},
		{`{"n":[{"exists":false}]}`, true, true},
	} {
		f, err := parseFilterPolicy(c.policy)
		if err != nil {
			t.Fatalf("%s: %v", c.policy, err)
		}
		if got := f.matches(c.body, &publication{message: body, attrs: attrs}); got != c.want {
			t.Errorf("%s: got %v, want %v", c.policy, got, c.want)
		}
	}
}

// TestUnvalidatedPolicyMatches: a policy stored before policies were
// validated (so holding anything) never matches rather than panicking.
func TestUnvalidatedPolicyMatches(t *testing.T) {
	v, dt := "1", "Number"
	p := &publication{message: `{"a":1}`, attrs: map[string]snsapi.MessageAttributeValue{"a": {DataType: &dt, StringValue: &v}}}
	for _, f := range []filterPolicy{
		{"a": []any{map[string]any{"numeric": []any{"<", "x"}}}},
		{"a": []any{map[string]any{"numeric": []any{"<", json.Number("1e999")}}}},
		{"a": []any{map[string]any{"cidr": 7}}},
		{"a": []any{map[string]any{"anything-but": map[string]any{"prefix": 1}}}},
	} {
		if f.matches(false, p) || f.matches(true, p) {
			t.Errorf("%v matched", f)
		}
	}
}

// TestExistsFalseNeedsAttributes: "exists": false matches only a message
// with at least one attribute (SNS's key matching page).
func TestExistsFalseNeedsAttributes(t *testing.T) {
	f, err := parseFilterPolicy(`{"store":[{"exists":false}]}`)
	if err != nil {
		t.Fatal(err)
	}
	if f.matches(false, &publication{message: "m"}) {
		t.Fatal("matched a message without attributes")
	}
	v := "x"
	if !f.matches(false, &publication{message: "m", attrs: map[string]snsapi.MessageAttributeValue{"other": {DataType: &v, StringValue: &v}}}) {
		t.Fatal("did not match a message with another attribute")
	}
}

// TestPublishValidation holds Publish's refusals.
func TestPublishValidation(t *testing.T) {
	s, ctx := newSNS(t)
	std := mkTopic(t, s, ctx, "t", nil)
	fifo := mkTopic(t, s, ctx, "f.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	str := func(v string) snsapi.MessageAttributeValue {
		return snsapi.MessageAttributeValue{DataType: ptr.To("String"), StringValue: &v}
	}
	cases := []struct {
		name string
		in   snsapi.PublishInput
		code string
		msg  string
	}{
		{"ok", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), Subject: ptr.To("Hello, world!")}, "", ""},
		{"empty subject", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), Subject: ptr.To("")}, "InvalidParameter", "Invalid parameter: Subject"},
		{"100-character subject", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), Subject: ptr.To(strings.Repeat("s", 100))}, "InvalidParameter", "Invalid parameter: Subject"},
		{"99-character subject", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), Subject: ptr.To(strings.Repeat("s", 99))}, "", ""},
		{"subject with a line break", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), Subject: ptr.To("a\nb")}, "InvalidParameter", "Invalid parameter: Subject"},
		{"non-ASCII subject", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), Subject: ptr.To("café")}, "InvalidParameter", "Invalid parameter: Subject"},
		{"message too long", snsapi.PublishInput{TopicArn: &std, Message: ptr.To(strings.Repeat("x", 262145))}, "InvalidParameter", "Invalid parameter: Message too long"},
		{"message and attributes too long", snsapi.PublishInput{TopicArn: &std, Message: ptr.To(strings.Repeat("x", 262140)),
			MessageAttributes: map[string]snsapi.MessageAttributeValue{"abc": str("def")}}, "InvalidParameter", "Invalid parameter: Message too long"},
		{"fifo without group", snsapi.PublishInput{TopicArn: &fifo, Message: ptr.To("m")}, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics"},
		{"group id with a space", snsapi.PublishInput{TopicArn: &fifo, Message: ptr.To("m"), MessageGroupId: ptr.To("a b")}, "InvalidParameter",
			"Invalid parameter: MessageGroupId Reason: MessageGroupId can only include alphanumeric and punctuation characters. 1 to 128 in length."},
		{"129-character deduplication id", snsapi.PublishInput{TopicArn: &fifo, Message: ptr.To("m"), MessageGroupId: ptr.To("g"), MessageDeduplicationId: ptr.To(strings.Repeat("d", 129))}, "InvalidParameter",
			"Invalid parameter: MessageDeduplicationId Reason: MessageDeduplicationId can only include alphanumeric and punctuation characters. 1 to 128 in length."},
		{"fifo ok", snsapi.PublishInput{TopicArn: &fifo, Message: ptr.To("m"), MessageGroupId: ptr.To("g-1.x"), MessageDeduplicationId: ptr.To(strings.Repeat("d", 128))}, "", ""},
		{"attribute name with a space", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"a b": str("x")}},
			"ParameterValueInvalid", "Invalid non-alphanumeric character '#x20' was found in the message attribute name. Can only include alphanumeric characters, hyphens, underscores, or dots."},
		{"attribute name starting with a dot", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{".a": str("x")}},
			"ParameterValueInvalid", "Invalid message attribute name starting with character '.' was found."},
		{"attribute name with two dots", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"a..b": str("x")}},
			"ParameterValueInvalid", "Message attribute name can not have successive '.' character."},
		{"reserved attribute name", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"AWS.x": str("x")}},
			"ParameterValueInvalid", ""},
		{"SNS's own SMS attribute", snsapi.PublishInput{PhoneNumber: ptr.To("+15550100"), Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"AWS.SNS.SMS.SMSType": str("Transactional")}},
			"", ""},
		{"unknown type", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"a": {DataType: ptr.To("Text"), StringValue: ptr.To("x")}}},
			"ParameterValueInvalid", "The message attribute 'a' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String."},
		{"number that is not", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"a": {DataType: ptr.To("Number"), StringValue: ptr.To("ten")}}},
			"ParameterValueInvalid", "Could not cast message attribute 'a' value to number."},
		{"empty string value", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"a": str("")}},
			"ParameterValueInvalid", "The message attribute 'a' must contain non-empty message attribute value for message attribute type 'String'."},
		{"string array that is not", snsapi.PublishInput{TopicArn: &std, Message: ptr.To("m"), MessageAttributes: map[string]snsapi.MessageAttributeValue{"a": {DataType: ptr.To("String.Array"), StringValue: ptr.To("x")}}},
			"InvalidParameter", ""},
		{"bad phone number", snsapi.PublishInput{PhoneNumber: ptr.To("555-0100"), Message: ptr.To("m")}, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: 555-0100 is not valid to publish to"},
		{"phone number", snsapi.PublishInput{PhoneNumber: ptr.To("+15550100"), Message: ptr.To("m")}, "", ""},
		{"topic and phone", snsapi.PublishInput{TopicArn: &std, PhoneNumber: ptr.To("+15550100"), Message: ptr.To("m")}, "InvalidParameter", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Publish(ctx, &c.in)
			wantErr(t, err, c.code, c.msg)
		})
	}
}

// TestSubscribeValidation: SNS refuses a FIFO queue on a standard topic
// and SMS endpoints that are not E.164 numbers.
func TestSubscribeValidation(t *testing.T) {
	s, ctx := newSNS(t)
	std := mkTopic(t, s, ctx, "t", nil)
	fifo := mkTopic(t, s, ctx, "f.fifo", map[string]string{"FifoTopic": "true"})
	cases := []struct{ name, topic, proto, endpoint, code, msg string }{
		{"fifo queue on standard topic", std, "sqs", "arn:aws:sqs:us-east-1:123456789012:q.fifo", "InvalidParameter",
			"Invalid parameter: Invalid parameter: Endpoint Reason: FIFO SQS Queues can not be subscribed to standard SNS topics"},
		{"fifo queue on fifo topic", fifo, "sqs", "arn:aws:sqs:us-east-1:123456789012:q.fifo", "", ""},
		{"standard queue on fifo topic", fifo, "sqs", "arn:aws:sqs:us-east-1:123456789012:q", "", ""},
		{"lambda on fifo topic", fifo, "lambda", "arn:aws:lambda:us-east-1:123456789012:function:f", "InvalidParameter", "Invalid parameter: Invalid protocol type: lambda"},
		{"sms not E.164", std, "sms", "5550100", "InvalidParameter", "Invalid SMS endpoint: 5550100"},
		{"sms", std, "sms", "+15550100", "", ""},
		{"application not an endpoint", std, "application", "arn:aws:sns:us-east-1:123456789012:app/GCM/x", "InvalidParameter", "Invalid parameter: ApplicationEndpoint ARN"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &c.topic, Protocol: &c.proto, Endpoint: &c.endpoint})
			wantErr(t, err, c.code, c.msg)
		})
	}
}

// TestPlatformApplications: applications and endpoints are stored and
// listed; publishing to an endpoint (directly or through a topic) is
// recorded; a disabled endpoint refuses.
func TestPlatformApplications(t *testing.T) {
	s, ctx := newSNS(t)
	_, err := s.CreatePlatformApplication(ctx, &snsapi.CreatePlatformApplicationInput{Name: ptr.To("app"), Platform: ptr.To("NOPE"), Attributes: map[string]string{}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Platform Reason: NOPE is not supported")
	_, err = s.CreatePlatformApplication(ctx, &snsapi.CreatePlatformApplicationInput{Name: ptr.To("app"), Platform: ptr.To("APNS"), Attributes: map[string]string{"PlatformPrincipal": "p"}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")
	app, err := s.CreatePlatformApplication(ctx, &snsapi.CreatePlatformApplicationInput{Name: ptr.To("app"), Platform: ptr.To("GCM"), Attributes: map[string]string{"PlatformCredential": "secret"}})
	if err != nil {
		t.Fatal(err)
	}
	if *app.PlatformApplicationArn != "arn:aws:sns:us-east-1:123456789012:app/GCM/app" {
		t.Fatalf("arn %s", *app.PlatformApplicationArn)
	}
	attrs, err := s.GetPlatformApplicationAttributes(ctx, &snsapi.GetPlatformApplicationAttributesInput{PlatformApplicationArn: app.PlatformApplicationArn})
	if err != nil {
		t.Fatal(err)
	}
	if _, leaked := attrs.Attributes["PlatformCredential"]; leaked || attrs.Attributes["Enabled"] != "true" {
		t.Fatalf("attributes %v", attrs.Attributes)
	}
	ep, err := s.CreatePlatformEndpoint(ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: app.PlatformApplicationArn, Token: ptr.To("tok"), CustomUserData: ptr.To("u")})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(*ep.EndpointArn, "arn:aws:sns:us-east-1:123456789012:endpoint/GCM/app/") {
		t.Fatalf("endpoint %s", *ep.EndpointArn)
	}
	again, err := s.CreatePlatformEndpoint(ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: app.PlatformApplicationArn, Token: ptr.To("tok"), CustomUserData: ptr.To("u")})
	if err != nil || *again.EndpointArn != *ep.EndpointArn {
		t.Fatalf("same token: %v %v", again, err)
	}
	_, err = s.CreatePlatformEndpoint(ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: app.PlatformApplicationArn, Token: ptr.To("tok"), CustomUserData: ptr.To("other")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Token Reason: Endpoint "+*ep.EndpointArn+" already exists with the same Token, but different attributes.")
	list, err := s.ListEndpointsByPlatformApplication(ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: app.PlatformApplicationArn})
	if err != nil || len(list.Endpoints) != 1 || list.Endpoints[0].Attributes["Token"] != "tok" {
		t.Fatalf("list %+v %v", list, err)
	}
	apps, err := s.ListPlatformApplications(ctx, &snsapi.ListPlatformApplicationsInput{})
	if err != nil || len(apps.PlatformApplications) != 1 {
		t.Fatalf("apps %+v %v", apps, err)
	}

	// Direct publish is recorded with the platform's message.
	msg := `{"default":"d","GCM":"{\"notification\":{\"title\":\"hi\"}}"}`
	if _, err := s.Publish(ctx, &snsapi.PublishInput{TargetArn: ep.EndpointArn, Message: &msg, MessageStructure: ptr.To("json")}); err != nil {
		t.Fatal(err)
	}
	// Through a topic.
	topic := mkTopic(t, s, ctx, "t", nil)
	if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &topic, Protocol: ptr.To("application"), Endpoint: ep.EndpointArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &topic, Message: ptr.To("plain")}); err != nil {
		t.Fatal(err)
	}
	got := mustRecorded(t, s, pushes, func(push) bool { return true })
	if len(got) != 2 || got[0].Message != `{"notification":{"title":"hi"}}` || got[1].Message != "plain" || got[1].TopicArn != topic || got[0].EndpointArn != *ep.EndpointArn {
		b, _ := json.Marshal(got)
		t.Fatalf("pushes %s", b)
	}

	if _, err := s.SetPlatformApplicationAttributes(ctx, &snsapi.SetPlatformApplicationAttributesInput{PlatformApplicationArn: app.PlatformApplicationArn, Attributes: map[string]string{"Enabled": "false"}}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Publish(ctx, &snsapi.PublishInput{TargetArn: ep.EndpointArn, Message: ptr.To("m")})
	wantErr(t, err, "PlatformApplicationDisabled", "Platform application is disabled")
	if _, err := s.SetPlatformApplicationAttributes(ctx, &snsapi.SetPlatformApplicationAttributesInput{PlatformApplicationArn: app.PlatformApplicationArn, Attributes: map[string]string{"Enabled": "true"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetEndpointAttributes(ctx, &snsapi.SetEndpointAttributesInput{EndpointArn: ep.EndpointArn, Attributes: map[string]string{"Enabled": "false"}}); err != nil {
		t.Fatal(err)
	}
	_, err = s.Publish(ctx, &snsapi.PublishInput{TargetArn: ep.EndpointArn, Message: ptr.To("m")})
	wantErr(t, err, "EndpointDisabled", "Endpoint is disabled")
	_, err = s.SetEndpointAttributes(ctx, &snsapi.SetEndpointAttributesInput{EndpointArn: ep.EndpointArn, Attributes: map[string]string{"Color": "red"}})
	wantErr(t, err, "InvalidParameter", "")

	if _, err := s.DeletePlatformApplication(ctx, &snsapi.DeletePlatformApplicationInput{PlatformApplicationArn: app.PlatformApplicationArn}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetEndpointAttributes(ctx, &snsapi.GetEndpointAttributesInput{EndpointArn: ep.EndpointArn})
	wantErr(t, err, "NotFound", "Endpoint does not exist")
	_, err = s.GetPlatformApplicationAttributes(ctx, &snsapi.GetPlatformApplicationAttributesInput{PlatformApplicationArn: app.PlatformApplicationArn})
	wantErr(t, err, "NotFound", "PlatformApplication does not exist")
	_, err = s.Publish(ctx, &snsapi.PublishInput{TargetArn: ep.EndpointArn, Message: ptr.To("m")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
}

// TestSMS: SMS attributes, sandbox numbers verified with the recorded
// one-time password, opt-outs, recorded texts.
func TestSMS(t *testing.T) {
	s, ctx := newSNS(t)
	_, err := s.SetSMSAttributes(ctx, &snsapi.SetSMSAttributesInput{Attributes: map[string]string{"DefaultSMSType": "Loud"}})
	wantErr(t, err, "InvalidParameter", "")
	if _, err := s.SetSMSAttributes(ctx, &snsapi.SetSMSAttributesInput{Attributes: map[string]string{"DefaultSMSType": "Transactional", "DefaultSenderID": "niwa1"}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSMSAttributes(ctx, &snsapi.GetSMSAttributesInput{Attributes: []string{"DefaultSMSType"}})
	if err != nil || len(got.Attributes) != 1 || got.Attributes["DefaultSMSType"] != "Transactional" {
		t.Fatalf("%v %v", got, err)
	}

	_, err = s.CreateSMSSandboxPhoneNumber(ctx, &snsapi.CreateSMSSandboxPhoneNumberInput{PhoneNumber: ptr.To("12")})
	wantErr(t, err, "InvalidParameter", "")
	if _, err := s.CreateSMSSandboxPhoneNumber(ctx, &snsapi.CreateSMSSandboxPhoneNumberInput{PhoneNumber: ptr.To("+15550100")}); err != nil {
		t.Fatal(err)
	}
	_, err = s.VerifySMSSandboxPhoneNumber(ctx, &snsapi.VerifySMSSandboxPhoneNumberInput{PhoneNumber: ptr.To("+15550100"), OneTimePassword: ptr.To("nope")})
	wantErr(t, err, "VerificationException", "")
	texts := mustRecorded(t, s, smsMessages, func(m smsMessage) bool { return m.PhoneNumber == "+15550100" })
	if len(texts) != 1 {
		t.Fatalf("texts %v", texts)
	}
	otp := texts[0].Message[len(texts[0].Message)-6:]
	if _, err := s.VerifySMSSandboxPhoneNumber(ctx, &snsapi.VerifySMSSandboxPhoneNumberInput{PhoneNumber: ptr.To("+15550100"), OneTimePassword: &otp}); err != nil {
		t.Fatal(err)
	}
	list, err := s.ListSMSSandboxPhoneNumbers(ctx, &snsapi.ListSMSSandboxPhoneNumbersInput{})
	if err != nil || len(list.PhoneNumbers) != 1 || *list.PhoneNumbers[0].Status != "Verified" {
		t.Fatalf("%+v %v", list, err)
	}
	_, err = s.DeleteSMSSandboxPhoneNumber(ctx, &snsapi.DeleteSMSSandboxPhoneNumberInput{PhoneNumber: ptr.To("+15550199")})
	wantErr(t, err, "ResourceNotFound", "")
	_, err = s.ListOriginationNumbers(ctx, &snsapi.ListOriginationNumbersRequest{MaxResults: func() *int32 { n := int32(31); return &n }()})
	wantErr(t, err, "ValidationException", "")

	// Opt-outs.
	_, err = s.CheckIfPhoneNumberIsOptedOut(ctx, &snsapi.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: ptr.To("x")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: PhoneNumber Reason: input incorrectly formatted")
	if err := s.OptOut(scopeOf(ctx), "+15550100"); err != nil {
		t.Fatal(err)
	}
	opted, err := s.CheckIfPhoneNumberIsOptedOut(ctx, &snsapi.CheckIfPhoneNumberIsOptedOutInput{PhoneNumber: ptr.To("+15550100")})
	if err != nil || !*opted.IsOptedOut {
		t.Fatalf("%v %v", opted, err)
	}
	_, err = s.Publish(ctx, &snsapi.PublishInput{PhoneNumber: ptr.To("+15550100"), Message: ptr.To("hi")})
	wantErr(t, err, "OptedOut", "")
	lo, _ := s.ListPhoneNumbersOptedOut(ctx, &snsapi.ListPhoneNumbersOptedOutInput{})
	if len(lo.PhoneNumbers) != 1 {
		t.Fatalf("%v", lo.PhoneNumbers)
	}
	if _, err := s.OptInPhoneNumber(ctx, &snsapi.OptInPhoneNumberInput{PhoneNumber: ptr.To("+15550100")}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, &snsapi.PublishInput{PhoneNumber: ptr.To("+15550100"), Message: ptr.To("hi")}); err != nil {
		t.Fatal(err)
	}
	if got := mustRecorded(t, s, smsMessages, func(m smsMessage) bool { return m.Message == "hi" }); len(got) != 1 || got[0].SMSType != "Transactional" || got[0].SenderID != "niwa1" {
		t.Fatalf("texts %+v", got)
	}
	v := "Promotional"
	if _, err := s.Publish(ctx, &snsapi.PublishInput{PhoneNumber: ptr.To("+15550100"), Message: ptr.To("sale"),
		MessageAttributes: map[string]snsapi.MessageAttributeValue{"AWS.SNS.SMS.SMSType": {DataType: ptr.To("String"), StringValue: &v}}}); err != nil {
		t.Fatal(err)
	}
	if got := mustRecorded(t, s, smsMessages, func(m smsMessage) bool { return m.Message == "sale" }); len(got) != 1 || got[0].SMSType != "Promotional" {
		t.Fatalf("texts %+v", got)
	}
}

// TestPermissions: AddPermission writes the statement SNS writes;
// RemovePermission removes it.
func TestPermissions(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	_, err := s.AddPermission(ctx, &snsapi.AddPermissionInput{TopicArn: &arn, Label: ptr.To("l"), AWSAccountId: []string{"111122223333"}, ActionName: []string{"ReceiveMessage"}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Policy statement action out of service scope!")
	_, err = s.AddPermission(ctx, &snsapi.AddPermissionInput{TopicArn: &arn, Label: ptr.To("l"), AWSAccountId: []string{"111122223333", "444455556666"}, ActionName: []string{"Publish"}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.AddPermission(ctx, &snsapi.AddPermissionInput{TopicArn: &arn, Label: ptr.To("l"), AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})
	wantErr(t, err, "InvalidParameter", "")
	missing := arn + "x"
	_, err = s.AddPermission(ctx, &snsapi.AddPermissionInput{TopicArn: &missing, Label: ptr.To("l"), AWSAccountId: []string{"111122223333"}, ActionName: []string{"Publish"}})
	wantErr(t, err, "NotFound", "Topic does not exist")
	policy := func() map[string]any {
		a, err := s.GetTopicAttributes(ctx, &snsapi.GetTopicAttributesInput{TopicArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		var p map[string]any
		json.Unmarshal([]byte(a.Attributes["Policy"]), &p)
		return p
	}
	stmts := policy()["Statement"].([]any)
	if len(stmts) != 2 {
		t.Fatalf("%v", stmts)
	}
	st := stmts[1].(map[string]any)
	b, _ := json.Marshal(st)
	want := `{"Action":"SNS:Publish","Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:root","arn:aws:iam::444455556666:root"]},"Resource":"` + arn + `","Sid":"l"}`
	if string(b) != want {
		t.Fatalf("statement %s\nwant %s", b, want)
	}
	if _, err := s.RemovePermission(ctx, &snsapi.RemovePermissionInput{TopicArn: &arn, Label: ptr.To("l")}); err != nil {
		t.Fatal(err)
	}
	if n := len(policy()["Statement"].([]any)); n != 1 {
		t.Fatalf("%d statements left", n)
	}
}

// TestDataProtectionPolicy: stored and returned; malformed ones refused.
func TestDataProtectionPolicy(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	good := `{"Name":"p","Description":"d","Version":"2021-06-01","Statement":[{"DataDirection":"Inbound","Principal":["*"],"DataIdentifier":["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],"Operation":{"Deny":{}}}]}`
	for _, bad := range []string{`{`, `{"Name":"p","Version":"2021-06-01","Statement":[]}`, `{"Name":"p","Version":"2012-10-17","Statement":[{}]}`,
		`{"Name":"p","Version":"2021-06-01","Statement":[{"DataDirection":"Sideways","Principal":["*"],"DataIdentifier":["x"],"Operation":{"Deny":{}}}]}`} {
		_, err := s.PutDataProtectionPolicy(ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &arn, DataProtectionPolicy: &bad})
		wantErr(t, err, "InvalidParameter", "")
	}
	if _, err := s.PutDataProtectionPolicy(ctx, &snsapi.PutDataProtectionPolicyInput{ResourceArn: &arn, DataProtectionPolicy: &good}); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetDataProtectionPolicy(ctx, &snsapi.GetDataProtectionPolicyInput{ResourceArn: &arn})
	if err != nil || *got.DataProtectionPolicy != good {
		t.Fatalf("%v %v", got, err)
	}
	missing := arn + "x"
	_, err = s.GetDataProtectionPolicy(ctx, &snsapi.GetDataProtectionPolicyInput{ResourceArn: &missing})
	wantErr(t, err, "NotFound", "Topic does not exist")
}

func scopeOf(ctx *request.Context) storage.Scope {
	return storage.Scope{Account: ctx.Account, Region: ctx.Region}
}

// FuzzFilterPolicy: any policy text parses or is refused without a
// panic, and a parsed one evaluates against any message.
func FuzzFilterPolicy(f *testing.F) {
	for _, seed := range []string{`{"a":["x"]}`, `{"a":[{"numeric":[">",0,"<",1e300]}]}`, `{"a":[{"cidr":"::/0"}]}`,
		`{"$or":[{"a":{"b":[null]}},{"c":[{"anything-but":{"prefix":""}}]}]}`, `{"a":[{"exists":true}]}`, `[]`, `null`} {
		f.Add(seed, `{"a":{"b":[1,{"c":"10.0.0.1"}]},"c":"x"}`)
	}
	f.Fuzz(func(t *testing.T, policy, body string) {
		p, err := parseFilterPolicy(policy)
		if err != nil {
			_ = filterPolicyMessage(err, true)
			return
		}
		_ = checkFilterScope(p, "MessageAttributes")
		v := body
		attrs := map[string]snsapi.MessageAttributeValue{"a": {DataType: ptr.To("String.Array"), StringValue: &v}, "c": {DataType: ptr.To("Number"), StringValue: &v}}
		p.matches(true, &publication{message: body, attrs: attrs})
		p.matches(false, &publication{message: body, attrs: attrs})
	})
}

// TestOtherRefusals: PublishBatch's whole-request refusals (SNS's
// messages, the size counting attributes), ConfirmSubscription with an
// unknown token, CreateTopic again with other tags.
func TestOtherRefusals(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	entry := func(id, msg string, attrs map[string]snsapi.MessageAttributeValue) snsapi.PublishBatchRequestEntry {
		return snsapi.PublishBatchRequestEntry{Id: &id, Message: &msg, MessageAttributes: attrs}
	}
	var eleven []snsapi.PublishBatchRequestEntry
	for i := 0; i < 11; i++ {
		eleven = append(eleven, entry(string(rune('a'+i)), "m", nil))
	}
	big := map[string]snsapi.MessageAttributeValue{"a": {DataType: ptr.To("String"), StringValue: ptr.To(strings.Repeat("v", 1000))}}
	cases := []struct {
		name      string
		entries   []snsapi.PublishBatchRequestEntry
		code, msg string
	}{
		{"too many", eleven, "TooManyEntriesInBatchRequest", "The batch request contains more entries than permissible."},
		{"same id", []snsapi.PublishBatchRequestEntry{entry("a", "m", nil), entry("a", "m", nil)}, "BatchEntryIdsNotDistinct", "Two or more batch entries in the request have the same Id."},
		{"attributes count", []snsapi.PublishBatchRequestEntry{entry("a", strings.Repeat("x", 262144-500), big)}, "BatchRequestTooLong", "The length of all the messages put together is more than the limit."},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.PublishBatch(ctx, &snsapi.PublishBatchInput{TopicArn: &arn, PublishBatchRequestEntries: c.entries})
			wantErr(t, err, c.code, c.msg)
		})
	}
	_, err := s.ConfirmSubscription(ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &arn, Token: ptr.To("nope")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Token")
	if _, err := s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To("tagged"), Tags: []snsapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To("tagged"), Tags: []snsapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}}}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To("tagged"), Tags: []snsapi.Tag{{Key: ptr.To("k"), Value: ptr.To("w")}}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Tags Reason: Topic already exists with different tags")
}

// captureBus records the bus deliveries SNS makes.
type captureBus struct{ got []events.Message }

func (b *captureBus) Deliver(_ context.Context, m events.Message) error {
	b.got = append(b.got, m)
	return nil
}

// TestRawDeliveryAttributeLimit: a raw delivery to SQS carries at most
// ten attributes; SNS discards one with more (documented), while the
// enveloped delivery carries them all.
func TestRawDeliveryAttributeLimit(t *testing.T) {
	s, ctx := newSNS(t)
	bus := &captureBus{}
	s.bus = bus
	arn := mkTopic(t, s, ctx, "t", nil)
	for _, q := range []string{"raw", "env"} {
		attrs := map[string]string{}
		if q == "raw" {
			attrs["RawMessageDelivery"] = "true"
		}
		if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:" + q), Attributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(n int) {
		attrs := map[string]snsapi.MessageAttributeValue{}
		for i := 0; i < n; i++ {
			attrs["a"+string(rune('a'+i))] = snsapi.MessageAttributeValue{DataType: ptr.To("String"), StringValue: ptr.To("v")}
		}
		if _, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &arn, Message: ptr.To("m"), MessageAttributes: attrs}); err != nil {
			t.Fatal(err)
		}
	}
	count := func() map[string]int {
		c := map[string]int{}
		for _, m := range bus.got {
			c[m.TargetARN[strings.LastIndexByte(m.TargetARN, ':')+1:]]++
		}
		bus.got = nil
		return c
	}
	publish(10)
	if c := count(); c["raw"] != 1 || c["env"] != 1 {
		t.Fatalf("10 attributes: %v", c)
	}
	publish(11)
	if c := count(); c["raw"] != 0 || c["env"] != 1 {
		t.Fatalf("11 attributes: %v", c)
	}
}

// TestRegionalTopicArn: a regional endpoint refuses another region's
// topic ARN.
func TestRegionalTopicArn(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	other := strings.Replace(arn, "us-east-1", "eu-west-1", 1)
	_, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &other, Message: ptr.To("m")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: TopicArn")
	_, err = s.GetTopicAttributes(ctx, &snsapi.GetTopicAttributesInput{TopicArn: &other})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: TopicArn")
}

// TestListPages: the list operations answer pages of 100 with a
// NextToken that resumes after the last item.
func TestListPages(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	app, err := s.CreatePlatformApplication(ctx, &snsapi.CreatePlatformApplicationInput{Name: ptr.To("a"), Platform: ptr.To("GCM"), Attributes: map[string]string{}})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 130; i++ {
		id := string(rune('A'+i/26)) + string(rune('a'+i%26))
		if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:" + id)}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreatePlatformEndpoint(ctx, &snsapi.CreatePlatformEndpointInput{PlatformApplicationArn: app.PlatformApplicationArn, Token: &id}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreatePlatformApplication(ctx, &snsapi.CreatePlatformApplicationInput{Name: &id, Platform: ptr.To("APNS"), Attributes: map[string]string{}}); err != nil {
			t.Fatal(err)
		}
	}
	type page struct {
		n    int
		next *string
	}
	lists := map[string]func(tok *string) page{
		"ListSubscriptions": func(tok *string) page {
			o, err := s.ListSubscriptions(ctx, &snsapi.ListSubscriptionsInput{NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			return page{len(o.Subscriptions), o.NextToken}
		},
		"ListSubscriptionsByTopic": func(tok *string) page {
			o, err := s.ListSubscriptionsByTopic(ctx, &snsapi.ListSubscriptionsByTopicInput{TopicArn: &arn, NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			return page{len(o.Subscriptions), o.NextToken}
		},
		"ListEndpointsByPlatformApplication": func(tok *string) page {
			o, err := s.ListEndpointsByPlatformApplication(ctx, &snsapi.ListEndpointsByPlatformApplicationInput{PlatformApplicationArn: app.PlatformApplicationArn, NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			return page{len(o.Endpoints), o.NextToken}
		},
		"ListPlatformApplications": func(tok *string) page {
			o, err := s.ListPlatformApplications(ctx, &snsapi.ListPlatformApplicationsInput{NextToken: tok})
			if err != nil {
				t.Fatal(err)
			}
			return page{len(o.PlatformApplications), o.NextToken}
		},
	}
	want := map[string]int{"ListSubscriptions": 130, "ListSubscriptionsByTopic": 130, "ListEndpointsByPlatformApplication": 130, "ListPlatformApplications": 131}
	for name, list := range lists {
		first := list(nil)
		if first.n != 100 || first.next == nil {
			t.Fatalf("%s: first page %d, token %v", name, first.n, first.next)
		}
		second := list(first.next)
		if first.n+second.n != want[name] || second.next != nil {
			t.Fatalf("%s: second page %d, token %v", name, second.n, second.next)
		}
	}
}

// TestSubscriptionAttributeRefusals: SetSubscriptionAttributes names the
// attribute alone, Subscribe within "Attributes Reason:"; RedrivePolicy is
// checked; a malformed topic ARN says how many elements it has.
func TestSubscriptionAttributeRefusals(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	fifo := mkTopic(t, s, ctx, "f.fifo", map[string]string{"FifoTopic": "true"})
	sub, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:q")})
	if err != nil {
		t.Fatal(err)
	}
	fsub, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &fifo, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:q.fifo")})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct{ sub, name, value, msg string }{
		{*sub.SubscriptionArn, "FilterPolicyScope", "Body", "Invalid parameter: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes"},
		{*sub.SubscriptionArn, "RawMessageDelivery", "yes", "Invalid parameter: RawMessageDelivery: Invalid value [yes]. Must be true or false."},
		{*sub.SubscriptionArn, "Colour", "blue", "Invalid parameter: AttributeName"},
		{*sub.SubscriptionArn, "RedrivePolicy", "{", "Invalid parameter: RedrivePolicy: failed to parse JSON."},
		{*sub.SubscriptionArn, "RedrivePolicy", `{"deadLetterTargetArn":"dlq"}`, "Invalid parameter: RedrivePolicy: deadLetterTargetArn is an invalid arn"},
		{*sub.SubscriptionArn, "RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq"}`, ""},
		{*fsub.SubscriptionArn, "RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq"}`,
			"Invalid parameter: RedrivePolicy: must use a FIFO queue as DLQ for a FIFO Subscription to a FIFO Topic."},
		{*fsub.SubscriptionArn, "RedrivePolicy", `{"deadLetterTargetArn":"arn:aws:sqs:us-east-1:123456789012:dlq.fifo"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name+" "+c.value, func(t *testing.T) {
			_, err := s.SetSubscriptionAttributes(ctx, &snsapi.SetSubscriptionAttributesInput{SubscriptionArn: &c.sub, AttributeName: &c.name, AttributeValue: &c.value})
			code := "InvalidParameter"
			if c.msg == "" {
				code = ""
			}
			wantErr(t, err, code, c.msg)
		})
	}
	_, err = s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:q2"),
		Attributes: map[string]string{"FilterPolicyScope": "Body"}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Attributes Reason: FilterPolicyScope: Invalid value [Body]. Please use either MessageBody or MessageAttributes")
	_, err = s.GetTopicAttributes(ctx, &snsapi.GetTopicAttributesInput{TopicArn: ptr.To("not-an-arn")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: TopicArn Reason: An ARN must have at least 6 elements, not 1")
}

// TestBatchWholeRequestRefusals: an invalid PublishBatch entry fails the
// request, as SNS answers; TagResource refuses a key given twice.
func TestBatchWholeRequestRefusals(t *testing.T) {
	s, ctx := newSNS(t)
	fifo := mkTopic(t, s, ctx, "f.fifo", map[string]string{"FifoTopic": "true", "ContentBasedDeduplication": "true"})
	_, err := s.PublishBatch(ctx, &snsapi.PublishBatchInput{TopicArn: &fifo, PublishBatchRequestEntries: []snsapi.PublishBatchRequestEntry{
		{Id: ptr.To("a"), Message: ptr.To("m"), MessageGroupId: ptr.To("g")}, {Id: ptr.To("b"), Message: ptr.To("m")}}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: The MessageGroupId parameter is required for FIFO topics")
	_, err = s.TagResource(ctx, &snsapi.TagResourceInput{ResourceArn: &fifo, Tags: []snsapi.Tag{{Key: ptr.To("k"), Value: ptr.To("1")}, {Key: ptr.To("k"), Value: ptr.To("2")}}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: Duplicated keys are not allowed.")
}

// TestSubscriptionFields: GetSubscriptionAttributes names who subscribed;
// a malformed subscription ARN says how many elements it has.
func TestSubscriptionFields(t *testing.T) {
	s, ctx := newSNS(t)
	ctx.Caller.ARN = "arn:aws:iam::123456789012:user/alice"
	arn := mkTopic(t, s, ctx, "t", nil)
	sub, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:q")})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSubscriptionAttributes(ctx, &snsapi.GetSubscriptionAttributesInput{SubscriptionArn: sub.SubscriptionArn})
	if err != nil || got.Attributes["SubscriptionPrincipal"] != "arn:aws:iam::123456789012:user/alice" {
		t.Fatalf("%v %v", got, err)
	}
	_, err = s.Unsubscribe(ctx, &snsapi.UnsubscribeInput{SubscriptionArn: ptr.To("arn:aws:sns")})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: SubscriptionArn Reason: An ARN must have at least 6 elements, not 3")
}

// FuzzPublishInput: any message, subject, attribute and data protection
// policy is accepted or refused with an AWS error, never a panic.
func FuzzPublishInput(f *testing.F) {
	f.Add("m", "subject", "name", "String.Array", `["a",1]`, `{"Name":"p","Version":"2021-06-01","Statement":[]}`)
	f.Add("{\"default\":\"x\"}", "", "a..b", "Number", "1e400", `[]`)
	f.Fuzz(func(t *testing.T, msg, subject, name, dt, value, dpp string) {
		p := &publication{message: msg, subject: subject, hasSubject: subject != "", structure: "json",
			attrs: map[string]snsapi.MessageAttributeValue{name: {DataType: &dt, StringValue: &value, BinaryValue: []byte(value)}}}
		for _, err := range []error{checkMessage(p), checkDataProtectionPolicy(dpp),
			checkSubAttr(subAttr{protocol: "sqs", endpoint: "q.fifo", fifoTopic: true}, "RedrivePolicy", value)} {
			if err != nil && awserr.As(err) == nil {
				t.Fatalf("not an AWS error: %v", err)
			}
		}
	})
}

// TestTopicAttributeValues: enumerated topic attributes take only their
// values, and FIFO-only ones are refused on standard topics.
func TestTopicAttributeValues(t *testing.T) {
	s, ctx := newSNS(t)
	std := mkTopic(t, s, ctx, "t", nil)
	fifo := mkTopic(t, s, ctx, "f.fifo", map[string]string{"FifoTopic": "true"})
	cases := []struct{ topic, name, value, msg string }{
		{std, "TracingConfig", "On", "Invalid parameter: TracingConfig"},
		{std, "TracingConfig", "Active", ""},
		{fifo, "FifoThroughputScope", "Queue", "Invalid parameter: FifoThroughputScope"},
		{fifo, "FifoThroughputScope", "MessageGroup", ""},
		{std, "FifoThroughputScope", "Topic", "Invalid parameter: FifoThroughputScope Reason: FifoThroughputScope can only be set for FIFO topics"},
		{fifo, "ArchivePolicy", "{", "Invalid parameter: ArchivePolicy"},
		{fifo, "ArchivePolicy", `{"MessageRetentionPeriod":"30"}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name+"="+c.value, func(t *testing.T) {
			_, err := s.SetTopicAttributes(ctx, &snsapi.SetTopicAttributesInput{TopicArn: &c.topic, AttributeName: &c.name, AttributeValue: &c.value})
			code := "InvalidParameter"
			if c.msg == "" {
				code = ""
			}
			wantErr(t, err, code, c.msg)
		})
	}
	_, err := s.CreateTopic(ctx, &snsapi.CreateTopicInput{Name: ptr.To("t2"), Attributes: map[string]string{"ContentBasedDeduplication": "true"}})
	wantErr(t, err, "InvalidParameter", "Invalid parameter: ContentBasedDeduplication Reason: Content-based deduplication can only be set for FIFO topics")
}

// TestFilterPolicyQuota: a topic takes at most 200 filter policies
// (SNS's default quota); subscriptions without one are still accepted.
func TestFilterPolicyQuota(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	policy := map[string]string{"FilterPolicy": `{"a":["b"]}`}
	sub := func(i int, attrs map[string]string) (*snsapi.SubscribeOutput, error) {
		ep := "arn:aws:sqs:us-east-1:123456789012:q" + strings.Repeat("x", i%7) + string(rune('A'+i/26%26)) + string(rune('a'+i%26))
		return s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: &ep, Attributes: attrs})
	}
	for i := 0; i < 200; i++ {
		if _, err := sub(i, policy); err != nil {
			t.Fatal(i, err)
		}
	}
	_, err := sub(500, policy)
	wantErr(t, err, "FilterPolicyLimitExceeded", "")
	plain, err := sub(501, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.SetSubscriptionAttributes(ctx, &snsapi.SetSubscriptionAttributesInput{SubscriptionArn: plain.SubscriptionArn, AttributeName: ptr.To("FilterPolicy"), AttributeValue: ptr.To(`{"a":["c"]}`)})
	wantErr(t, err, "FilterPolicyLimitExceeded", "")
}

// TestEmailConfirmation: as on SNS, an email subscription is pending
// until confirmed; the confirmation email (recorded) carries the
// SubscribeURL, and only then are notifications mailed.
func TestEmailConfirmation(t *testing.T) {
	s, ctx := newSNS(t)
	arn := mkTopic(t, s, ctx, "t", nil)
	out, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("email"), Endpoint: ptr.To("a@example.com")})
	if err != nil || *out.SubscriptionArn != "pending confirmation" {
		t.Fatalf("%v %v", out, err)
	}
	mails := func() []email { return mustRecorded(t, s, emails, func(email) bool { return true }) }
	m := mails()
	if len(m) != 1 || m[0].Subject != "AWS Notification - Subscription Confirmation" || !strings.Contains(m[0].Body, m[0].SubscribeURL) {
		t.Fatalf("%+v", m)
	}
	if _, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &arn, Message: ptr.To("early")}); err != nil {
		t.Fatal(err)
	}
	if n := len(mails()); n != 1 {
		t.Fatalf("a pending subscription was mailed: %d emails", n)
	}
	token := m[0].SubscribeURL[strings.LastIndex(m[0].SubscribeURL, "Token=")+len("Token="):]
	if _, err := s.ConfirmSubscription(ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &arn, Token: &token}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &arn, Message: ptr.To("late")}); err != nil {
		t.Fatal(err)
	}
	if m := mails(); len(m) != 2 || m[1].Body != "late" {
		t.Fatalf("%+v", m)
	}
}

// TestFIFODeduplication: a FIFO topic accepts a publication whose
// deduplication id it saw in the last five minutes, answers with the
// first one's ids and delivers nothing; after the interval it is new.
// With FifoThroughputScope MessageGroup, ids are per message group.
func TestFIFODeduplication(t *testing.T) {
	s, ctx := newSNS(t)
	bus := &captureBus{}
	s.bus = bus
	fc := ctx.Clock.(*clock.Fake)
	for _, c := range []struct {
		name, scope                 string
		sameGroupDup, otherGroupDup bool
	}{
		{"topic scope", "Topic", true, true},
		{"message group scope", "MessageGroup", true, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			arn := mkTopic(t, s, ctx, strings.ReplaceAll(c.name, " ", "-")+".fifo", map[string]string{"FifoTopic": "true", "FifoThroughputScope": c.scope})
			if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("sqs"), Endpoint: ptr.To("arn:aws:sqs:us-east-1:123456789012:" + c.scope + ".fifo")}); err != nil {
				t.Fatal(err)
			}
			bus.got = nil
			pub := func(group string) *snsapi.PublishOutput {
				out, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &arn, Message: ptr.To("m"), MessageGroupId: &group, MessageDeduplicationId: ptr.To("d")})
				if err != nil {
					t.Fatal(err)
				}
				return out
			}
			first := pub("g")
			again := pub("g")
			if (*again.MessageId == *first.MessageId) != c.sameGroupDup || (*again.SequenceNumber == *first.SequenceNumber) != c.sameGroupDup {
				t.Fatalf("same group: %v %v", first, again)
			}
			other := pub("h")
			if (*other.MessageId == *first.MessageId) != c.otherGroupDup {
				t.Fatalf("other group: %v %v", first, other)
			}
			want := 1
			if !c.otherGroupDup {
				want = 2
			}
			if len(bus.got) != want {
				t.Fatalf("%d deliveries, want %d", len(bus.got), want)
			}
			fc.Advance(dedupInterval + time.Second)
			later := pub("g")
			if *later.MessageId == *first.MessageId || len(bus.got) != want+1 {
				t.Fatalf("after the interval: %v, %d deliveries", later, len(bus.got))
			}
			// Expired entries are pruned: only the latest is kept.
			ref, _ := parseTopicARN(arn)
			n := 0
			s.store.View(func(tx storage.Tx) error {
				return dedups.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func([]string, dedupEntry) bool { n++; return true })
			})
			if n != 1 {
				t.Fatalf("%d deduplication entries kept", n)
			}
		})
	}
}

// FuzzPlatformARNs: application and endpoint ARNs parse or are refused
// without a panic, and a parsed one is rebuilt to an ARN that parses to
// the same application (and endpoint).
func FuzzPlatformARNs(f *testing.F) {
	f.Add("arn:aws:sns:us-east-1:123456789012:app/GCM/a")
	f.Add("arn:aws:sns:us-east-1:123456789012:endpoint/GCM/a/0b1c")
	f.Add("arn:aws:sns:r:a:endpoint/x//y")
	f.Fuzz(func(t *testing.T, arn string) {
		if ref, ok := parseAppARN(arn); ok {
			if again, ok := parseAppARN(ref.arn()); !ok || again != ref {
				t.Fatalf("%q → %q", arn, ref.arn())
			}
		}
		if ref, id, ok := parseEndpointARN(arn); ok {
			again, id2, ok := parseEndpointARN(endpointARN(ref, id))
			if !ok || again != ref || id2 != id {
				t.Fatalf("%q → %q", arn, endpointARN(ref, id))
			}
		}
	})
}

// TestUnsubscribeConfirmation: unsubscribing an HTTP endpoint sends it a
// signed UnsubscribeConfirmation whose SubscribeURL token restores the
// subscription, as SNS does.
func TestUnsubscribeConfirmation(t *testing.T) {
	s, ctx := newSNS(t)
	got := make(chan map[string]string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m map[string]string
		json.NewDecoder(r.Body).Decode(&m)
		got <- m
	}))
	defer srv.Close()
	arn := mkTopic(t, s, ctx, "t", nil)
	if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("http"), Endpoint: &srv.URL}); err != nil {
		t.Fatal(err)
	}
	s.pending.Wait()
	conf := <-got
	out, err := s.ConfirmSubscription(ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &arn, Token: ptr.To(conf["Token"])})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Unsubscribe(ctx, &snsapi.UnsubscribeInput{SubscriptionArn: out.SubscriptionArn}); err != nil {
		t.Fatal(err)
	}
	s.pending.Wait()
	bye := <-got
	if bye["Type"] != "UnsubscribeConfirmation" || bye["Token"] == "" || !strings.Contains(bye["SubscribeURL"], bye["Token"]) || bye["Signature"] == "" {
		t.Fatalf("%v", bye)
	}
	list := func() int {
		l, err := s.ListSubscriptionsByTopic(ctx, &snsapi.ListSubscriptionsByTopicInput{TopicArn: &arn})
		if err != nil {
			t.Fatal(err)
		}
		return len(l.Subscriptions)
	}
	if n := list(); n != 0 {
		t.Fatalf("%d subscriptions after Unsubscribe", n)
	}
	back, err := s.ConfirmSubscription(ctx, &snsapi.ConfirmSubscriptionInput{TopicArn: &arn, Token: ptr.To(bye["Token"])})
	if err != nil || *back.SubscriptionArn != *out.SubscriptionArn || list() != 1 {
		t.Fatalf("restore: %v %v", back, err)
	}
}

// TestRecordedRoutes: GET lists recorded texts by number, DELETE forgets
// them with the same filter.
func TestRecordedRoutes(t *testing.T) {
	s, ctx := newSNS(t)
	for _, n := range []string{"+15550100", "+15550101"} {
		if _, err := s.Publish(ctx, &snsapi.PublishInput{PhoneNumber: ptr.To(n), Message: ptr.To("hi " + n)}); err != nil {
			t.Fatal(err)
		}
	}
	h := s.HTTP()
	call := func(method, target string) (int, []smsMessage) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
		var out struct{ Messages []smsMessage }
		json.Unmarshal(rec.Body.Bytes(), &out)
		return rec.Code, out.Messages
	}
	if code, m := call("GET", "/_niwa/sns/sms?phoneNumber=%2B15550100"); code != 200 || len(m) != 1 || m[0].Message != "hi +15550100" {
		t.Fatalf("%d %+v", code, m)
	}
	if code, _ := call("DELETE", "/_niwa/sns/sms?phoneNumber=%2B15550100"); code != http.StatusNoContent {
		t.Fatal(code)
	}
	if _, m := call("GET", "/_niwa/sns/sms"); len(m) != 1 || m[0].PhoneNumber != "+15550101" {
		t.Fatalf("%+v", m)
	}
	if code, _ := call("PUT", "/_niwa/sns/sms"); code != http.StatusMethodNotAllowed {
		t.Fatal(code)
	}
}

// TestHTTPRetries: an HTTP delivery that fails (5xx) is retried after the
// delivery policy's delays on niwa's clock — by default 3 retries 20 s
// apart; a subscription's policy overrides the topic's; a 4xx ends it.
func TestHTTPRetries(t *testing.T) {
	for _, c := range []struct {
		name               string
		subPolicy          string
		failures, wantHits int
		status             int
		delay              time.Duration
	}{
		{"default policy, success on the third try", "", 2, 3, 500, 20 * time.Second},
		{"default policy exhausted", "", 10, 4, 503, 20 * time.Second},
		{"subscription policy", `{"healthyRetryPolicy":{"numRetries":1,"minDelayTarget":5,"maxDelayTarget":5}}`, 10, 2, 500, 5 * time.Second},
		{"client error is final", "", 10, 1, 404, 20 * time.Second},
	} {
		t.Run(c.name, func(t *testing.T) {
			s, ctx := newSNS(t)
			fc := ctx.Clock.(*clock.Fake)
			var mu sync.Mutex
			hits := 0
			contentType := ""
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("x-amz-sns-message-type") != "Notification" {
					return
				}
				mu.Lock()
				defer mu.Unlock()
				hits++
				contentType = r.Header.Get("Content-Type")
				if hits <= c.failures {
					w.WriteHeader(c.status)
				}
			}))
			defer srv.Close()
			count := func() int { mu.Lock(); defer mu.Unlock(); return hits }
			arn := mkTopic(t, s, ctx, "t", map[string]string{"DeliveryPolicy": `{"http":{"defaultRequestPolicy":{"headerContentType":"application/json"}}}`})
			attrs := map[string]string{}
			if c.subPolicy != "" {
				attrs["DeliveryPolicy"] = c.subPolicy
			}
			if _, err := s.Subscribe(ctx, &snsapi.SubscribeInput{TopicArn: &arn, Protocol: ptr.To("http"), Endpoint: &srv.URL, Attributes: attrs}); err != nil {
				t.Fatal(err)
			}
			s.pending.Wait()
			s.store.Update(func(tx storage.Tx) error { // confirm directly
				ref, _ := parseTopicARN(arn)
				return subs.List(tx, ref.scope, []string{ref.name}, storage.ListOptions{}, func(_ []string, x subscription) bool {
					x.Confirmed = true
					subs.Put(tx, ref.scope, x, ref.name, x.ID)
					return true
				})
			})
			if _, err := s.Publish(ctx, &snsapi.PublishInput{TopicArn: &arn, Message: ptr.To("m")}); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(30 * time.Second)
			for count() < c.wantHits && time.Now().Before(deadline) {
				if fc.Waiters() > 0 {
					before := count()
					fc.Advance(c.delay - time.Millisecond)
					time.Sleep(20 * time.Millisecond)
					if count() != before {
						t.Fatal("retried before the delay")
					}
					fc.Advance(time.Millisecond)
				}
				time.Sleep(5 * time.Millisecond)
			}
			// Once the policy is done, nothing is left waiting.
			idle := make(chan struct{})
			go func() { s.pending.Wait(); close(idle) }()
			select {
			case <-idle:
			case <-time.After(30 * time.Second):
				t.Fatal("a retry is still scheduled")
			}
			if n := count(); n != c.wantHits {
				t.Fatalf("%d attempts, want %d", n, c.wantHits)
			}
			if contentType != "application/json" {
				t.Fatalf("content type %q", contentType)
			}
		})
	}
}

// mustRecorded is recorded, failing the test on a storage error.
func mustRecorded[T any](t *testing.T, s *SNS, table storage.Table[T], keep func(T) bool) []T {
	t.Helper()
	out, err := recorded(s, table, keep)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
