// Package audit turns the API calls niwa serves into CloudTrail records
// and publishes the mutating ones on the internal bus as the EventBridge
// events AWS delivers for them (detail-type "AWS API Call via
// CloudTrail"), so a rule such as {"source":["aws.iam"],"detail":
// {"eventName":["CreateRole"]}} fires as it does on AWS.
//
// The gateway knows everything a record holds (caller, operation, decoded
// input, output, error); internal/server hands each answered call to the
// hook Publisher returns, as a Call. Services take no part, and audit does
// not import the gateway (docs/architecture.md, "Layers").
package audit

import (
	"crypto/tls"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Call is an answered API call: what the gateway's OnCall hook reports
// (gateway.Call), of which a record needs this much.
type Call struct {
	// Context is the handler's context: caller, account, region, request
	// id, source IP, and the HTTP request (user agent).
	Context *request.Context
	// Service is niwa's name of the service ("iam", "s3").
	Service   string
	Model     *model.Service
	Operation *model.Operation
	// Params is the decoded input keyed by the model's member names (nil
	// when it was malformed or invalid); Output the typed output, nil on
	// failure, and Dynamic what makes its dynamic form (keyed by member
	// names), called only for a record that renders it.
	Params map[string]any
	// LazyParams, when set, makes Params on first use (the gateway made
	// none for a call it was told nobody records, see Wants).
	LazyParams func() map[string]any
	Output     any
	Dynamic    func(any) map[string]any
	// Err is the AWS error answered; nil on success.
	Err *awserr.Error
	// Rules are the service's declared audit rules (read-only and data
	// event operations).
	Rules kit.Audit
}

// DetailType is the detail-type of the EventBridge events CloudTrail
// delivers for API calls.
const DetailType = "AWS API Call via CloudTrail"

// Record is a CloudTrail event record (eventVersion 1.08), as the detail
// of an "AWS API Call via CloudTrail" event carries it.
type Record struct {
	EventVersion       string       `json:"eventVersion"`
	UserIdentity       UserIdentity `json:"userIdentity"`
	EventTime          string       `json:"eventTime"`
	EventSource        string       `json:"eventSource"`
	EventName          string       `json:"eventName"`
	AWSRegion          string       `json:"awsRegion"`
	SourceIPAddress    string       `json:"sourceIPAddress"`
	UserAgent          string       `json:"userAgent"`
	ErrorCode          string       `json:"errorCode,omitempty"`
	ErrorMessage       string       `json:"errorMessage,omitempty"`
	RequestParameters  any          `json:"requestParameters"`
	ResponseElements   any          `json:"responseElements"`
	RequestID          string       `json:"requestID"`
	EventID            string       `json:"eventID"`
	ReadOnly           bool         `json:"readOnly"`
	EventType          string       `json:"eventType"`
	ManagementEvent    bool         `json:"managementEvent"`
	RecipientAccountID string       `json:"recipientAccountId"`
	EventCategory      string       `json:"eventCategory"`
	TLSDetails         *TLSDetails  `json:"tlsDetails,omitempty"`

	// at is the instant EventTime prints (zero: parse EventTime); tls
	// holds TLSDetails' value and fields what Fields returns, so a
	// record is one allocation.
	at     time.Time
	tls    TLSDetails
	fields events.RecordFields
}

// TLSDetails is the record's tlsDetails element: the Host header the
// client sent and, for a call over HTTPS, the TLS version and cipher
// suite (a plain-HTTP call to niwa has none, so those are left out).
type TLSDetails struct {
	TLSVersion               string `json:"tlsVersion,omitempty"`
	CipherSuite              string `json:"cipherSuite,omitempty"`
	ClientProvidedHostHeader string `json:"clientProvidedHostHeader,omitempty"`
}

// UserIdentity is the record's userIdentity element.
type UserIdentity struct {
	Type           string          `json:"type"`
	PrincipalID    string          `json:"principalId"`
	ARN            string          `json:"arn,omitempty"`
	AccountID      string          `json:"accountId"`
	AccessKeyID    string          `json:"accessKeyId,omitempty"`
	UserName       string          `json:"userName,omitempty"`
	InvokedBy      string          `json:"invokedBy,omitempty"`
	SessionContext *SessionContext `json:"sessionContext,omitempty"`
}

// SessionContext describes the role session of temporary credentials.
type SessionContext struct {
	SessionIssuer       SessionIssuer     `json:"sessionIssuer"`
	WebIDFederationData struct{}          `json:"webIdFederationData"`
	Attributes          map[string]string `json:"attributes"`
}

// SessionIssuer is the role (or user) the session was issued from.
type SessionIssuer struct {
	Type        string `json:"type"`
	PrincipalID string `json:"principalId"`
	ARN         string `json:"arn"`
	AccountID   string `json:"accountId"`
	UserName    string `json:"userName"`
}

// secretMembers are members CloudTrail never shows although the model
// does not mark them sensitive everywhere.
var secretMembers = map[string]bool{
	"SecretAccessKey": true, "Password": true, "OldPassword": true, "NewPassword": true,
	"PrivateKey": true, "SecretString": true, "SecretBinary": true,
}

// Build returns the CloudTrail record of c. newID makes the eventID (a
// UUID; tests pass a fixed one).
func Build(c Call, newID func() string) *Record {
	return new(builder).build(c, newID)
}

// builder builds records, keeping what calls share instead of making it
// for each: the current second's eventTime, the services' eventSources
// and the members' CloudTrail names. Each cache is bounded: one time, an
// entry per service and per member name of the models (never a name
// from a request: map keys are not renamed).
type builder struct {
	stamp   atomic.Pointer[timeStamp]
	sources sync.Map // endpoint label → eventSource
	names   sync.Map // member name → lowerCamelCase
}

type timeStamp struct {
	at time.Time
	s  string
}

// eventTime is at.Format(time.RFC3339), at being a UTC second.
func (b *builder) eventTime(at time.Time) string {
	if st := b.stamp.Load(); st != nil && st.at.Equal(at) {
		return st.s
	}
	st := &timeStamp{at: at, s: at.Format(time.RFC3339)}
	b.stamp.Store(st)
	return st.s
}

// eventSource is EventSource(md, rules).
func (b *builder) eventSource(md model.Metadata, rules kit.Audit) string {
	p := sourceLabel(md, rules)
	if s, ok := b.sources.Load(p); ok {
		return s.(string)
	}
	s := p + ".amazonaws.com"
	b.sources.Store(p, s)
	return s
}

func (b *builder) build(c Call, newID func() string) *Record {
	ctx, md := c.Context, c.Model.Metadata
	region := recordRegion(c)
	ro := c.Rules.IsReadOnly(c.Operation.Name)
	at := ctx.Now().UTC().Truncate(time.Second)
	rec := &Record{
		EventVersion:       "1.08",
		UserIdentity:       Identity(ctx.Caller),
		EventTime:          b.eventTime(at),
		EventSource:        b.eventSource(md, c.Rules),
		EventName:          c.Operation.Name,
		AWSRegion:          region,
		SourceIPAddress:    ctx.SourceIP,
		RequestID:          ctx.RequestID,
		EventID:            newID(),
		ReadOnly:           ro,
		EventType:          "AwsApiCall",
		ManagementEvent:    !c.Rules.DataEvents[c.Operation.Name],
		RecipientAccountID: ctx.Account,
		EventCategory:      "Management",
		at:                 at,
	}
	if !rec.ManagementEvent {
		rec.EventCategory = "Data"
	}
	if ctx.HTTP != nil {
		rec.UserAgent = ctx.HTTP.UserAgent()
		if tlsDetails(&rec.tls, ctx.HTTP) {
			rec.TLSDetails = &rec.tls
		}
	}
	params := c.Params
	if params == nil && c.LazyParams != nil {
		params = c.LazyParams()
	}
	if len(params) > 0 && c.Operation.Input != nil {
		if p, ok := b.render(c.Operation.Input, params, c.Rules).(map[string]any); ok && len(p) > 0 {
			rec.RequestParameters = p
		}
	}
	if c.Err != nil {
		rec.ErrorCode, rec.ErrorMessage = c.Err.Code.Code, c.Err.Message
	} else if !ro && c.Output != nil && c.Dynamic != nil && c.Operation.Output != nil {
		if res := c.Dynamic(c.Output); len(res) > 0 {
			if p, ok := b.render(c.Operation.Output, res, c.Rules).(map[string]any); ok && len(p) > 0 {
				rec.ResponseElements = p
			}
		}
	}
	return rec
}

// tlsDetails sets d to what CloudTrail records about the connection (AWS
// names TLS versions "TLSv1.2"/"TLSv1.3" and cipher suites by their IANA
// names), reporting false when there is nothing to record.
func tlsDetails(d *TLSDetails, r *http.Request) bool {
	*d = TLSDetails{ClientProvidedHostHeader: r.Host}
	if st := r.TLS; st != nil {
		d.TLSVersion = strings.Replace(tls.VersionName(st.Version), "TLS 1.", "TLSv1.", 1)
		d.CipherSuite = tls.CipherSuiteName(st.CipherSuite)
	}
	return *d != (TLSDetails{})
}

// recordRegion is the region a call is recorded and delivered in: global
// services record in us-east-1, whichever region the client named.
func recordRegion(c Call) string {
	if c.Rules.Global {
		return "us-east-1"
	}
	return c.Context.Region
}

// wanted says whether c's record goes to EventBridge's rules and to
// CloudTrail.
func wanted(bus *events.Bus, c Call) (toRules, toTrail bool) {
	if !recordable(c) {
		return false, false
	}
	region := recordRegion(c)
	return wantsRules(bus, c, region), wantsTrail(bus, c, region)
}

// recordable reports whether c has what a record needs.
func recordable(c Call) bool {
	return c.Context != nil && c.Operation != nil && c.Model != nil && c.Service != ""
}

// wantsRules: EventBridge may see the mutating calls of an account and
// region where a rule or archive could (its answer may read its store).
func wantsRules(bus *events.Bus, c Call, region string) bool {
	return !c.Rules.IsReadOnly(c.Operation.Name) && bus.Wants(c.Context.Account, region)
}

// wantsTrail: CloudTrail keeps every management event, and data events
// where a trail may select them (a map lookup).
func wantsTrail(bus *events.Bus, c Call, region string) bool {
	return bus.WantsRecords(c.Context.Account, region, c.Rules.DataEvents[c.Operation.Name])
}

// Wants is Publisher's question, asked before the call is answered:
// would a record of c be built? The gateway makes a call's parameters
// from its typed input, before the handler runs, only then. The cheap
// question is asked first.
func Wants(bus *events.Bus) func(Call) bool {
	return func(c Call) bool {
		if !recordable(c) {
			return false
		}
		region := recordRegion(c)
		return wantsTrail(bus, c, region) || wantsRules(bus, c, region)
	}
}

// Event wraps rec in the EventBridge envelope CloudTrail delivers it in.
func (rec *Record) Event() events.Event {
	e := rec.envelope()
	e.Source = "aws." + strings.TrimSuffix(rec.EventSource, ".amazonaws.com")
	e.Detail, _ = rec.JSON()
	return e
}

// envelope is Event without its source and detail, what a record sink
// handed the record itself (events.Record.Detail) reads.
func (rec *Record) envelope() events.Event {
	return events.Event{
		ID:         rec.EventID,
		DetailType: DetailType,
		Account:    rec.RecipientAccountID,
		Region:     rec.AWSRegion,
		Time:       rec.time(),
		Resources:  []string{},
	}
}

// AppendDetail implements events.RecordDetail: rec's JSON appended to
// dst, or dst as it is when rec cannot be encoded (a NaN, as Event's
// detail is then empty).
func (rec *Record) AppendDetail(dst []byte) []byte {
	b, err := rec.appendJSON(dst)
	if err != nil {
		return dst
	}
	return b
}

// time is the instant of EventTime.
func (rec *Record) time() time.Time {
	if !rec.at.IsZero() {
		return rec.at
	}
	t, _ := time.Parse(time.RFC3339, rec.EventTime)
	return t
}

// Fields are the fields of rec a record sink indexes: what it would
// otherwise parse back from the record's JSON.
func (rec *Record) Fields() *events.RecordFields {
	u := &rec.UserIdentity
	params, _ := rec.RequestParameters.(map[string]any)
	rec.fields = events.RecordFields{Time: rec.time(), Name: rec.EventName, Source: rec.EventSource,
		ReadOnly: rec.ReadOnly, Management: rec.ManagementEvent, EventType: rec.EventType, ErrorCode: rec.ErrorCode,
		UserType: u.Type, UserARN: u.ARN, AccessKeyID: u.AccessKeyID, UserName: u.UserName, InvokedBy: u.InvokedBy,
		RequestParameters: params}
	return &rec.fields
}

// EventSource is the record's eventSource: "<service>.amazonaws.com",
// the service being what its rules declare (kit.Audit.EventSource) or
// else the last label of the endpoint prefix ("streams.dynamodb" records
// as dynamodb).
func EventSource(md model.Metadata, rules kit.Audit) string {
	return sourceLabel(md, rules) + ".amazonaws.com"
}

// sourceLabel is the service part of EventSource.
func sourceLabel(md model.Metadata, rules kit.Audit) string {
	p := rules.EventSource
	if p == "" {
		p = md.EndpointPrefix
		if i := strings.LastIndexByte(p, '.'); i >= 0 {
			p = p[i+1:]
		}
	}
	return p
}

// Identity is the userIdentity of a caller.
func Identity(c request.Caller) UserIdentity {
	if c.Anonymous {
		// What CloudTrail records for unsigned (public) S3 requests.
		return UserIdentity{Type: "AWSAccount", AccountID: "ANONYMOUS_PRINCIPAL"}
	}
	id := UserIdentity{PrincipalID: c.UserID, ARN: c.ARN, AccountID: c.Account, AccessKeyID: c.AccessKeyID}
	resource := arnResource(c.ARN)
	switch {
	case c.ARN != "" && !strings.HasPrefix(c.ARN, "arn:") && strings.HasSuffix(c.ARN, ".amazonaws.com"):
		return UserIdentity{Type: "AWSService", InvokedBy: c.ARN}
	case resource == "root":
		id.Type = "Root"
		if id.PrincipalID == "" {
			id.PrincipalID = c.Account
		}
	case strings.HasPrefix(resource, "user/"):
		id.Type = "IAMUser"
		id.UserName = resource[strings.LastIndexByte(resource, '/')+1:]
	case strings.HasPrefix(resource, "assumed-role/"):
		id.Type = "AssumedRole"
		role, _, _ := strings.Cut(strings.TrimPrefix(resource, "assumed-role/"), "/")
		roleID, _, _ := strings.Cut(c.UserID, ":")
		// The role's path is not in the session ARN; CloudTrail shows
		// it, niwa shows the role at the root path.
		id.SessionContext = &SessionContext{
			SessionIssuer: SessionIssuer{Type: "Role", PrincipalID: roleID,
				ARN: "arn:aws:iam::" + c.Account + ":role/" + role, AccountID: c.Account, UserName: role},
			Attributes: map[string]string{"mfaAuthenticated": "false"},
		}
	case strings.HasPrefix(resource, "federated-user/"):
		id.Type = "FederatedUser"
	default:
		id.Type = "Unknown"
	}
	return id
}

// arnResource is the resource part of an ARN, what follows its fifth
// colon ("" when it has fewer or is no ARN).
func arnResource(arn string) string {
	if !strings.HasPrefix(arn, "arn:") {
		return ""
	}
	rest := arn
	for range 5 {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return ""
		}
		rest = rest[i+1:]
	}
	return rest
}

// render converts a decoded value of ref's shape to CloudTrail's form:
// structure members in lowerCamelCase, map keys untouched, timestamps
// as CloudTrail prints them, and streaming bodies, blobs and secrets
// left out. It returns nil for what is left out.
func (b *builder) render(ref *model.Ref, v any, rules kit.Audit) any {
	if v == nil || ref == nil || ref.Shape == nil || ref.IsStreaming() || ref.Shape.Sensitive {
		return nil
	}
	if _, ok := v.(io.Reader); ok {
		return nil
	}
	switch val := v.(type) {
	case []byte:
		return nil
	case time.Time:
		return val.UTC().Format("Jan 2, 2006, 3:04:05 PM")
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]any, len(m))
		for _, mem := range sh.Members {
			mv, ok := m[mem.Name]
			if !ok || secretMembers[mem.Name] {
				continue
			}
			if r := b.render(mem, mv, rules); r != nil {
				out[b.memberName(rules, mem.Name)] = r
			}
		}
		return out
	case model.List:
		l, ok := v.([]any)
		if !ok {
			return nil
		}
		out := make([]any, 0, len(l))
		for _, e := range l {
			if r := b.render(sh.Member, e, rules); r != nil {
				out = append(out, r)
			}
		}
		return out
	case model.Map:
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		out := make(map[string]any, len(m))
		for k, e := range m {
			if r := b.render(sh.Value, e, rules); r != nil {
				out[k] = r
			}
		}
		return out
	}
	return v
}

// memberName is memberName(rules, name), the lowerCamelCase names cached.
func (b *builder) memberName(rules kit.Audit, name string) string {
	if n, ok := rules.MemberNames[name]; ok {
		return n
	}
	if n, ok := b.names.Load(name); ok {
		return n.(string)
	}
	n := memberName(rules, name)
	b.names.Store(name, n)
	return n
}

// memberName is a member's name as CloudTrail shows it: lowerCamelCase
// ("RoleName" → "roleName", "VPCId" → "vpcId") unless the service
// declares another name (S3's Bucket is "bucketName").
func memberName(rules kit.Audit, name string) string {
	if n, ok := rules.MemberNames[name]; ok {
		return n
	}
	r := []rune(name)
	n := 0
	for n < len(r) && unicode.IsUpper(r[n]) {
		n++
	}
	if n > 1 && n < len(r) && unicode.IsLower(r[n]) {
		n-- // keep the capital that starts the next word
	}
	if n == 0 {
		n = 1
	}
	for i := 0; i < n && i < len(r); i++ {
		r[i] = unicode.ToLower(r[i])
	}
	return string(r)
}

// NewEventID returns a random UUID (version 4), unique but no secret
// (awsid.UniqueUUID: every management call makes one).
func NewEventID() string {
	return awsid.UniqueUUID()
}

// Publisher returns a gateway OnCall hook that publishes every mutating
// call (see kit.Audit.IsReadOnly) on bus as an "AWS API Call via CloudTrail" event
// with source "aws.<service>", and hands every call's record (read-only
// ones and data events included) to the bus's record sink (CloudTrail's
// event history and trails). A call nobody wants (bus.Wants: EventBridge
// only wants them where a rule or archive could see them;
// bus.WantsRecords: CloudTrail) costs no record: building and encoding one
// was a large share of a cheap call's CPU.
func Publisher(bus *events.Bus) func(Call) {
	b := new(builder)
	return func(c Call) {
		toRules, toTrail := wanted(bus, c)
		if !toRules && !toTrail {
			return
		}
		rec := b.build(c, NewEventID)
		if toRules {
			e := rec.Event()
			bus.Publish(e)
			if toTrail {
				bus.PublishRecord(events.Record{Event: e, Fields: rec.Fields()})
			}
			return
		}
		// The record's fields go along with it, so the sink does not
		// parse back what it needs, and the record itself: the sink
		// encodes it when it stores it, in its batches (no JSON is
		// built on the call's path, and none copied out of a buffer).
		bus.PublishRecord(events.Record{Event: rec.envelope(), Fields: rec.Fields(), Detail: rec})
	}
}
