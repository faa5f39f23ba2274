package audit

import (
	"crypto/tls"
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

const acct = "123456789012"

var (
	root = request.Caller{AccessKeyID: "AKIAROOT", Account: acct, ARN: "arn:aws:iam::" + acct + ":root", UserID: acct}
	user = request.Caller{AccessKeyID: "AKIAALICE", Account: acct, ARN: "arn:aws:iam::" + acct + ":user/dev/Alice", UserID: "AIDAALICE"}
	role = request.Caller{AccessKeyID: "ASIASESS", SessionToken: "tok", Account: acct,
		ARN: "arn:aws:sts::" + acct + ":assumed-role/Deployer/build-42", UserID: "AROADEPLOYER:build-42"}
	anon = request.Caller{Anonymous: true}
)

// testRules are audit rules as the services declare them (the
// services' own tests check their tables): IAM records in us-east-1, S3
// object calls are data events and its Bucket is "bucketName".
var testRules = map[string]kit.Audit{
	"iam": {Global: true},
	"s3":  {DataEvents: kit.Set("PutObject", "GetObject"), MemberNames: map[string]string{"Bucket": "bucketName"}},
}

// call builds the Call of svc's operation op.
func call(t *testing.T, svc api.Spec, op string, caller request.Caller, params, result map[string]any, err *awserr.Error) Call {
	t.Helper()
	m, merr := svc.Model()
	if merr != nil {
		t.Fatal(merr)
	}
	o, ok := m.Operations[op]
	if !ok {
		t.Fatalf("no operation %s", op)
	}
	r := httptest.NewRequest("POST", "/", nil)
	r.Header.Set("User-Agent", "aws-cli/2.9.19 Python/3.9")
	ctx := &request.Context{Context: r.Context(), RequestID: "req-1", Service: svc.Name, Operation: op,
		Account: acct, Region: "ap-northeast-1", Caller: caller, Clock: clock.NewFake(t0), HTTP: r, SourceIP: "192.0.2.7"}
	return Call{Context: ctx, Service: svc.Name, Model: m, Operation: o, Params: params, Output: result,
		Dynamic: func(out any) map[string]any { return out.(map[string]any) }, Err: err, Rules: testRules[svc.Name]}
}

func fixedID() string { return "11111111-2222-4333-8444-555555555555" }

// detail round-trips rec through JSON, as an EventBridge rule sees it.
func detail(t *testing.T, rec *Record) map[string]any {
	t.Helper()
	b, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestBuildIdentities(t *testing.T) {
	iam := iamapi.Spec()
	tests := []struct {
		name   string
		caller request.Caller
		want   string // userIdentity as JSON
	}{
		{"root", root, `{"type":"Root","principalId":"123456789012","arn":"arn:aws:iam::123456789012:root","accountId":"123456789012","accessKeyId":"AKIAROOT"}`},
		{"iam user", user, `{"type":"IAMUser","principalId":"AIDAALICE","arn":"arn:aws:iam::123456789012:user/dev/Alice","accountId":"123456789012","accessKeyId":"AKIAALICE","userName":"Alice"}`},
		{"assumed role", role, `{"type":"AssumedRole","principalId":"AROADEPLOYER:build-42","arn":"arn:aws:sts::123456789012:assumed-role/Deployer/build-42","accountId":"123456789012","accessKeyId":"ASIASESS",` +
			`"sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROADEPLOYER","arn":"arn:aws:iam::123456789012:role/Deployer","accountId":"123456789012","userName":"Deployer"},"webIdFederationData":{},"attributes":{"mfaAuthenticated":"false"}}}`},
		{"anonymous", anon, `{"type":"AWSAccount","principalId":"","accountId":"ANONYMOUS_PRINCIPAL"}`},
		{"service", request.Caller{ARN: "events.amazonaws.com"}, `{"type":"AWSService","principalId":"","accountId":"","invokedBy":"events.amazonaws.com"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := Build(call(t, iam, "CreateRole", tc.caller, map[string]any{"RoleName": "r1"}, nil, nil), fixedID)
			got, _ := json.Marshal(rec.UserIdentity)
			if string(got) != tc.want {
				t.Fatalf("userIdentity\n got %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestBuildWriteCall(t *testing.T) {
	iam := iamapi.Spec()
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	c := call(t, iam, "CreateRole", root,
		map[string]any{"RoleName": "r1", "AssumeRolePolicyDocument": "{}", "Tags": []any{map[string]any{"Key": "k", "Value": "v"}}},
		map[string]any{"Role": map[string]any{"RoleName": "r1", "RoleId": "AROA1", "Arn": "arn:aws:iam::123456789012:role/r1", "CreateDate": created, "Path": "/"}},
		nil)
	d := detail(t, Build(c, fixedID))
	want := map[string]any{
		"eventVersion": "1.08", "eventTime": "2026-03-01T12:00:00Z", "eventSource": "iam.amazonaws.com",
		"eventName": "CreateRole", "awsRegion": "us-east-1", "sourceIPAddress": "192.0.2.7",
		"userAgent": "aws-cli/2.9.19 Python/3.9", "requestID": "req-1", "eventID": fixedID(),
		"readOnly": false, "eventType": "AwsApiCall", "managementEvent": true,
		"recipientAccountId": acct, "eventCategory": "Management",
	}
	for k, v := range want {
		if d[k] != v {
			t.Errorf("%s = %v, want %v", k, d[k], v)
		}
	}
	if _, ok := d["errorCode"]; ok {
		t.Errorf("errorCode present on success")
	}
	params, _ := json.Marshal(d["requestParameters"])
	if string(params) != `{"assumeRolePolicyDocument":"{}","roleName":"r1","tags":[{"key":"k","value":"v"}]}` {
		t.Errorf("requestParameters = %s", params)
	}
	resp, _ := json.Marshal(d["responseElements"])
	if string(resp) != `{"role":{"arn":"arn:aws:iam::123456789012:role/r1","createDate":"Mar 1, 2026, 12:00:00 PM","path":"/","roleId":"AROA1","roleName":"r1"}}` {
		t.Errorf("responseElements = %s", resp)
	}

	ev := Build(c, fixedID).Event()
	if ev.Source != "aws.iam" || ev.DetailType != DetailType || ev.Account != acct || ev.Region != "us-east-1" || !ev.Time.Equal(t0) {
		t.Errorf("event envelope = %+v", ev)
	}
}

func TestBuildOmitsSecrets(t *testing.T) {
	iam := iamapi.Spec()
	c := call(t, iam, "CreateAccessKey", user, map[string]any{"UserName": "Alice"},
		map[string]any{"AccessKey": map[string]any{"UserName": "Alice", "AccessKeyId": "AKIA1", "SecretAccessKey": "s3cr3t", "Status": "Active"}}, nil)
	resp, _ := json.Marshal(Build(c, fixedID).ResponseElements)
	if string(resp) != `{"accessKey":{"accessKeyId":"AKIA1","status":"Active","userName":"Alice"}}` {
		t.Errorf("responseElements = %s", resp)
	}
	c = call(t, iam, "CreateLoginProfile", root, map[string]any{"UserName": "Alice", "Password": "hunter2"}, nil, nil)
	params, _ := json.Marshal(Build(c, fixedID).RequestParameters)
	if string(params) != `{"userName":"Alice"}` {
		t.Errorf("requestParameters = %s", params)
	}
}

func TestBuildReadAndErrorCalls(t *testing.T) {
	iam := iamapi.Spec()
	// A read: responseElements null.
	c := call(t, iam, "GetRole", user, map[string]any{"RoleName": "r1"}, map[string]any{"Role": map[string]any{"RoleName": "r1"}}, nil)
	d := detail(t, Build(c, fixedID))
	if d["readOnly"] != true || d["responseElements"] != nil {
		t.Errorf("read call: readOnly %v responseElements %v", d["readOnly"], d["responseElements"])
	}
	// A failed write: error fields, responseElements null.
	err := iamapi.ErrNoSuchEntityException.New("The role with name r1 cannot be found.")
	c = call(t, iam, "DeleteRole", user, map[string]any{"RoleName": "r1"}, nil, err)
	d = detail(t, Build(c, fixedID))
	if d["errorCode"] != "NoSuchEntity" || d["errorMessage"] != "The role with name r1 cannot be found." ||
		d["responseElements"] != nil || d["readOnly"] != false {
		t.Errorf("error call: %v", d)
	}
	// An S3 object write by an anonymous caller: a data event, the body
	// left out, the bucket named as CloudTrail names it.
	s3 := s3api.Spec()
	c = call(t, s3, "PutObject", anon, map[string]any{"Bucket": "b", "Key": "k", "Body": []byte("x")}, map[string]any{}, nil)
	d = detail(t, Build(c, fixedID))
	params, _ := json.Marshal(d["requestParameters"])
	if string(params) != `{"bucketName":"b","key":"k"}` || d["managementEvent"] != false || d["eventCategory"] != "Data" ||
		d["awsRegion"] != "ap-northeast-1" || d["eventSource"] != "s3.amazonaws.com" {
		t.Errorf("s3 call: %v", d)
	}
}

func TestMemberName(t *testing.T) {
	for in, want := range map[string]string{"RoleName": "roleName", "VPCId": "vpcId", "ACL": "acl", "Key": "key", "SSEKMSKeyId": "ssekmsKeyId"} {
		if got := memberName(kit.Audit{}, in); got != want {
			t.Errorf("memberName(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestPublisher(t *testing.T) {
	iam := iamapi.Spec()
	bus := events.New()
	hook := Publisher(bus)
	// Nobody listens: nothing to do (and nothing to fail).
	hook(call(t, iam, "CreateRole", root, map[string]any{"RoleName": "r1"}, nil, nil))

	var got []events.Event
	cancel := bus.Subscribe(func(e events.Event) { got = append(got, e) })
	defer cancel()
	hook(call(t, iam, "GetRole", root, map[string]any{"RoleName": "r1"}, nil, nil))
	hook(call(t, iam, "CreateRole", root, map[string]any{"RoleName": "r1"}, nil, nil))
	if len(got) != 1 || got[0].Source != "aws.iam" || got[0].DetailType != DetailType {
		t.Fatalf("published %+v, want one CreateRole event", got)
	}
	var d map[string]any
	if err := json.Unmarshal(got[0].Detail, &d); err != nil || d["eventName"] != "CreateRole" {
		t.Fatalf("detail %s (%v)", got[0].Detail, err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`).MatchString(got[0].ID) {
		t.Fatalf("event id %q is not a UUID", got[0].ID)
	}
}

// sink is a record sink that keeps what it is handed, for one account.
type sink struct {
	account string
	noData  bool
	got     []events.Event
	fields  []*events.RecordFields
}

func (s *sink) WantsRecords(account, _ string, data bool) bool {
	return account == s.account && !(data && s.noData)
}
func (s *sink) Record(r events.Record) {
	e := r.Event
	e.Detail = r.AppendDetail(nil)
	s.got = append(s.got, e)
	s.fields = append(s.fields, r.Fields)
}

// TestPublisherDetailEitherWay: a record the sink builds itself (no
// EventBridge rule wants the call, so the hook hands the record to encode
// later) has the bytes of the one the hook encodes for EventBridge, for
// a mutating call, a read-only one, a failure and a data event.
func TestPublisherDetailEitherWay(t *testing.T) {
	iam, s3 := iamapi.Spec(), s3api.Spec()
	calls := []Call{
		call(t, iam, "CreateUser", user, map[string]any{"UserName": "bob", "Path": "/a<b>&c/"}, map[string]any{}, nil),
		call(t, iam, "GetRole", role, map[string]any{"RoleName": "r1"}, nil, nil),
		call(t, iam, "GetUser", root, map[string]any{"UserName": "nobody"}, nil, iamapi.ErrNoSuchEntityException.New("The user with name nobody cannot be found.")),
		call(t, s3, "PutObject", anon, map[string]any{"Bucket": "b", "Key": "dir/k"}, map[string]any{}, nil),
	}
	details := func(subscribed bool) []string {
		bus := events.New()
		if subscribed {
			defer bus.Subscribe(func(events.Event) {})()
		}
		trail := &sink{account: acct}
		bus.HandleRecords(trail)
		hook := Publisher(bus)
		for _, c := range calls {
			hook(c)
		}
		var out []string
		for _, e := range trail.got {
			if len(e.Detail) == 0 || e.ID == "" {
				t.Fatalf("record %+v has no detail or id", e)
			}
			out = append(out, strings.Replace(string(e.Detail), e.ID, "ID", 1))
		}
		return out
	}
	deferred, eager := details(false), details(true)
	if len(deferred) != len(calls) || len(eager) != len(calls) {
		t.Fatalf("%d and %d records for %d calls", len(deferred), len(eager), len(calls))
	}
	for i := range calls {
		if deferred[i] != eager[i] {
			t.Errorf("built by the sink:\n%s\nencoded by the hook:\n%s", deferred[i], eager[i])
		}
	}
}

func TestPublisherRecordSink(t *testing.T) {
	iam, s3 := iamapi.Spec(), s3api.Spec()
	bus := events.New()
	hook := Publisher(bus)
	trail := &sink{account: acct}
	bus.HandleRecords(trail)
	var rules []events.Event
	cancel := bus.Subscribe(func(e events.Event) { rules = append(rules, e) })
	defer cancel()

	hook(call(t, iam, "GetRole", root, map[string]any{"RoleName": "r1"}, nil, nil))
	hook(call(t, s3, "PutObject", root, map[string]any{"Bucket": "b", "Key": "k"}, map[string]any{}, nil))
	hook(call(t, iam, "CreateRole", root, map[string]any{"RoleName": "r1"}, nil, nil))

	// The sink sees every call, read-only ones and data events included;
	// EventBridge still sees only the mutating ones.
	var names []string
	for _, e := range trail.got {
		var d map[string]any
		if err := json.Unmarshal(e.Detail, &d); err != nil {
			t.Fatal(err)
		}
		names = append(names, d["eventName"].(string))
	}
	if want := []string{"GetRole", "PutObject", "CreateRole"}; !equal(names, want) {
		t.Fatalf("sink got %v, want %v", names, want)
	}
	if len(rules) != 2 {
		t.Fatalf("subscribers got %d events, want 2 (PutObject and CreateRole)", len(rules))
	}

	// Another account: the sink does not want it, nothing is built for it.
	other := call(t, iam, "GetRole", root, map[string]any{"RoleName": "r1"}, nil, nil)
	other.Context.Account = "999999999999"
	hook(other)
	if len(trail.got) != 3 {
		t.Fatalf("sink got a record it did not want")
	}
	// No trail selects data events: PutObject costs no record.
	trail.noData = true
	hook(call(t, s3, "PutObject", root, map[string]any{"Bucket": "b", "Key": "k"}, map[string]any{}, nil))
	if len(trail.got) != 3 {
		t.Fatalf("sink got a data event it did not want")
	}
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBuildTLSDetails(t *testing.T) {
	c := call(t, iamapi.Spec(), "GetRole", root, map[string]any{"RoleName": "r1"}, nil, nil)
	c.Context.HTTP.Host = "iam.amazonaws.com"
	d := detail(t, Build(c, fixedID))
	got, _ := json.Marshal(d["tlsDetails"])
	if string(got) != `{"clientProvidedHostHeader":"iam.amazonaws.com"}` {
		t.Fatalf("plain HTTP tlsDetails = %s", got)
	}
	c.Context.HTTP.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	got, _ = json.Marshal(Build(c, fixedID).TLSDetails)
	if string(got) != `{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"iam.amazonaws.com"}` {
		t.Fatalf("HTTPS tlsDetails = %s", got)
	}
}

// nopSink wants every record and keeps none.
type nopSink struct{ n int }

func (s *nopSink) WantsRecords(string, string, bool) bool { return true }
func (s *nopSink) Record(events.Record)                   { s.n++ }

// BenchmarkPublisherReadOnly is the hook's cost for a read-only
// management call (GetCallerIdentity's shape: the event history keeps it,
// EventBridge does not see it).
func BenchmarkPublisherReadOnly(b *testing.B) {
	bus := events.New()
	bus.HandleRecords(&nopSink{})
	hook := Publisher(bus)
	c := call(&testing.T{}, iamapi.Spec(), "GetRole", user, map[string]any{"RoleName": "r1"}, nil, nil)
	c.Context.HTTP.Host = "localhost:4566"
	b.ReportAllocs()
	for b.Loop() {
		hook(c)
	}
}

// TestPublisherHandsFieldsOfItsRecord: the fields handed to the record
// sink along with a record are what its JSON says, for every kind of
// caller, failures and data events, and the JSON is as a JSON store
// keeps it (compact, escaped: json.Marshal of it changes nothing), so the
// sink keeps it as it is.
func TestPublisherHandsFieldsOfItsRecord(t *testing.T) {
	iam, s3 := iamapi.Spec(), s3api.Spec()
	service := request.Caller{Account: acct, ARN: "lambda.amazonaws.com"}
	calls := []Call{
		call(t, iam, "GetRole", root, map[string]any{"RoleName": "r1"}, nil, nil),
		call(t, iam, "CreateUser", user, map[string]any{"UserName": "bob", "Path": "/a<b>&c/"}, map[string]any{}, nil),
		call(t, iam, "GetUser", role, map[string]any{"UserName": "nobody"}, nil, iamapi.ErrNoSuchEntityException.New("The user with name nobody cannot be found.")),
		call(t, s3, "PutObject", anon, map[string]any{"Bucket": "b", "Key": "dir/k"}, map[string]any{}, nil),
		call(t, s3, "ListBuckets", service, map[string]any{}, nil, nil),
	}
	bus := events.New()
	trail := &sink{account: acct}
	bus.HandleRecords(trail)
	hook := Publisher(bus)
	for _, c := range calls {
		hook(c)
	}
	if len(trail.got) != len(calls) {
		t.Fatalf("sink got %d records, want %d", len(trail.got), len(calls))
	}
	for i, e := range trail.got {
		var w struct {
			EventTime       time.Time `json:"eventTime"`
			EventID         string    `json:"eventID"`
			EventName       string    `json:"eventName"`
			EventSource     string    `json:"eventSource"`
			ReadOnly        bool      `json:"readOnly"`
			ManagementEvent bool      `json:"managementEvent"`
			EventType       string    `json:"eventType"`
			ErrorCode       string    `json:"errorCode"`
			UserIdentity    struct {
				Type, ARN, AccessKeyID, UserName, InvokedBy string
			} `json:"userIdentity"`
			RequestParameters map[string]any `json:"requestParameters"`
		}
		if err := json.Unmarshal(e.Detail, &w); err != nil {
			t.Fatal(err)
		}
		u := w.UserIdentity
		want := events.RecordFields{Time: w.EventTime, Name: w.EventName, Source: w.EventSource, ReadOnly: w.ReadOnly,
			Management: w.ManagementEvent, EventType: w.EventType, ErrorCode: w.ErrorCode, UserType: u.Type, UserARN: u.ARN,
			AccessKeyID: u.AccessKeyID, UserName: u.UserName, InvokedBy: u.InvokedBy, RequestParameters: w.RequestParameters}
		got := trail.fields[i]
		if got == nil || !reflect.DeepEqual(*got, want) {
			t.Errorf("%s: fields %+v, the record says %+v", w.EventName, got, want)
		}
		if e.ID != w.EventID || !got.Time.Equal(e.Time) {
			t.Errorf("%s: envelope id %s time %v, record %s %v", w.EventName, e.ID, e.Time, w.EventID, w.EventTime)
		}
		if kept, _ := json.Marshal(json.RawMessage(e.Detail)); string(kept) != string(e.Detail) {
			t.Errorf("%s: record %s is kept as %s", w.EventName, e.Detail, kept)
		}
	}
}

// TestWantsAgreesWithPublisher: Wants, asked before a call is answered,
// says yes exactly for the calls Publisher builds a record of; and a
// record built from LazyParams is the record built from Params.
func TestWantsAgreesWithPublisher(t *testing.T) {
	iam, s3 := iamapi.Spec(), s3api.Spec()
	for _, tc := range []struct {
		name             string
		trail, subscribe bool
		noData           bool
	}{
		{"nobody", false, false, false},
		{"rules only", false, true, false},
		{"trail", true, false, false},
		{"trail without data events", true, false, true},
		{"trail without data events and rules", true, true, true},
	} {
		bus := events.New()
		built := 0
		var trail *sink
		if tc.trail {
			trail = &sink{account: acct, noData: tc.noData}
			bus.HandleRecords(trail)
		}
		if tc.subscribe {
			cancel := bus.Subscribe(func(events.Event) { built++ })
			defer cancel()
		}
		hook, wants := Publisher(bus), Wants(bus)
		for _, c := range []Call{
			call(t, iam, "GetRole", root, map[string]any{"RoleName": "r1"}, nil, nil),
			call(t, iam, "CreateRole", root, map[string]any{"RoleName": "r1"}, nil, nil),
			call(t, s3, "PutObject", root, map[string]any{"Bucket": "b", "Key": "k"}, map[string]any{}, nil),
			call(t, s3, "GetObject", root, map[string]any{"Bucket": "b", "Key": "k"}, map[string]any{}, nil),
		} {
			before := built
			if trail != nil {
				before += len(trail.got)
			}
			w := wants(c)
			hook(c)
			after := built
			if trail != nil {
				after += len(trail.got)
			}
			if w != (after > before) {
				t.Errorf("%s: %s: Wants %v, Publisher built %d", tc.name, c.Operation.Name, w, after-before)
			}
		}
	}

	c := call(t, iam, "CreateRole", root, map[string]any{"RoleName": "r1", "Path": "/dev/"}, nil, nil)
	want, err := Build(c, fixedID).JSON()
	if err != nil {
		t.Fatal(err)
	}
	params := c.Params
	c.Params, c.LazyParams = nil, func() map[string]any { return params }
	got, err := Build(c, fixedID).JSON()
	if err != nil || string(got) != string(want) {
		t.Fatalf("record from LazyParams %s (%v), want %s", got, err, want)
	}
}

// TestBuilderCachesAsBuild: a builder reused across calls (the hook's)
// builds the records a fresh one does, as the clock moves within a
// second and past it, for several services and members.
func TestBuilderCachesAsBuild(t *testing.T) {
	iam, s3 := iamapi.Spec(), s3api.Spec()
	clk := clock.NewFake(t0)
	var b builder
	for i := range 12 {
		for _, c := range []Call{
			call(t, iam, "CreateUser", user, map[string]any{"UserName": "bob", "Path": "/p/"}, map[string]any{}, nil),
			call(t, s3, "PutObject", root, map[string]any{"Bucket": "b", "Key": "k", "ContentMD5": "x"}, map[string]any{}, nil),
		} {
			c.Context.Clock = clk
			got, err := b.build(c, fixedID).JSON()
			if err != nil {
				t.Fatal(err)
			}
			want, _ := Build(c, fixedID).JSON()
			if string(got) != string(want) {
				t.Fatalf("call %d: cached builder\n%s\nfresh\n%s", i, got, want)
			}
			if d := detail(t, Build(c, fixedID)); d["eventTime"] != clk.Now().UTC().Truncate(time.Second).Format(time.RFC3339) {
				t.Fatalf("call %d: eventTime %v at %v", i, d["eventTime"], clk.Now())
			}
		}
		clk.Advance(400 * time.Millisecond)
	}
}
