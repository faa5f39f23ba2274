package sns

import (
	"sort"
	"strings"
	"time"

	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Mobile push. niwa stores platform applications and endpoints as SNS
// does, but cannot reach APNs, FCM or the other push services: what SNS
// would push to an endpoint is recorded instead and served at
// GET /_niwa/sns/push[?endpointArn=arn].

type platformApp struct {
	Platform string            `json:"platform"`
	Name     string            `json:"name"`
	Attrs    map[string]string `json:"attrs"`
}

type platformEndpoint struct {
	ID    string            `json:"id"`
	Attrs map[string]string `json:"attrs"`
}

// push is a recorded mobile push delivery.
type push struct {
	Time              string               `json:"timestamp"`
	EndpointArn       string               `json:"endpointArn"`
	TopicArn          string               `json:"topicArn,omitempty"`
	MessageID         string               `json:"messageId"`
	Subject           string               `json:"subject,omitempty"`
	Message           string               `json:"message"`
	MessageAttributes map[string]attrValue `json:"messageAttributes,omitempty"`
}

var (
	apps      = storage.NewTable[platformApp]("app")
	endpoints = storage.NewTable[platformEndpoint]("endpoint")
	pushes    = storage.NewTable[push]("push")
)

// platforms are the push services SNS supports.
var platforms = map[string]bool{
	"ADM": true, "APNS": true, "APNS_SANDBOX": true, "APNS_VOIP": true, "APNS_VOIP_SANDBOX": true,
	"MACOS": true, "MACOS_SANDBOX": true, "GCM": true, "BAIDU": true, "WNS": true, "MPNS": true,
}

// appAttrs are the platform application attributes SNS accepts.
var appAttrs = map[string]bool{
	"PlatformCredential": true, "PlatformPrincipal": true, "EventEndpointCreated": true,
	"EventEndpointDeleted": true, "EventEndpointUpdated": true, "EventDeliveryFailure": true,
	"SuccessFeedbackRoleArn": true, "FailureFeedbackRoleArn": true, "SuccessFeedbackSampleRate": true,
	"ApplePlatformTeamID": true, "ApplePlatformBundleID": true, "AuthenticationMethod": true, "Enabled": true,
}

// endpointAttrs are the endpoint attributes SNS accepts.
var endpointAttrs = map[string]bool{"CustomUserData": true, "Enabled": true, "Token": true}

type appRef struct {
	scope          storage.Scope
	platform, name string
}

func (r appRef) arn() string {
	return "arn:aws:sns:" + r.scope.Region + ":" + r.scope.Account + ":app/" + r.platform + "/" + r.name
}

func endpointARN(r appRef, id string) string {
	return "arn:aws:sns:" + r.scope.Region + ":" + r.scope.Account + ":endpoint/" + r.platform + "/" + r.name + "/" + id
}

func parseAppARN(arn string) (appRef, bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "sns" || p[3] == "" || p[4] == "" {
		return appRef{}, false
	}
	res := strings.Split(p[5], "/")
	if len(res) != 3 || res[0] != "app" || res[1] == "" || res[2] == "" {
		return appRef{}, false
	}
	return appRef{scope: storage.Scope{Account: p[4], Region: p[3]}, platform: res[1], name: res[2]}, true
}

func parseEndpointARN(arn string) (appRef, string, bool) {
	p := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "sns" || p[3] == "" || p[4] == "" {
		return appRef{}, "", false
	}
	res := strings.Split(p[5], "/")
	if len(res) != 4 || res[0] != "endpoint" || res[1] == "" || res[2] == "" || res[3] == "" {
		return appRef{}, "", false
	}
	return appRef{scope: storage.Scope{Account: p[4], Region: p[3]}, platform: res[1], name: res[2]}, res[3], true
}

func validAppName(n string) bool {
	if n == "" || len(n) > 256 {
		return false
	}
	for _, c := range n {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

func checkAppAttrs(attrs map[string]string) error {
	for k, v := range attrs {
		if !appAttrs[k] {
			return errInvalidParam.New("Invalid parameter: Attributes Reason: Invalid attribute name: %s", k)
		}
		if k == "Enabled" && v != "true" && v != "false" {
			return errInvalidParam.New("Invalid parameter: Attributes Reason: Enabled must be true or false")
		}
	}
	return nil
}

func appMissing() error { return errNotFound.New("PlatformApplication does not exist") }

func endpointMissing() error { return errNotFound.New("Endpoint does not exist") }

// CreatePlatformApplication stores a platform application. The
// credentials are kept but, as on SNS, never returned.
func (s *SNS) CreatePlatformApplication(ctx *request.Context, in *snsapi.CreatePlatformApplicationInput) (*snsapi.CreatePlatformApplicationResponse, error) {
	name, platform := ptr.Deref(in.Name), ptr.Deref(in.Platform)
	if !validAppName(name) {
		return nil, errInvalidParam.New("Invalid parameter: Invalid platform application name, must be between 1 and 256 characters long and contain only alphanumeric characters, hyphens, underscores and periods")
	}
	if !platforms[platform] {
		return nil, errInvalidParam.New("Invalid parameter: Platform Reason: %s is not supported", platform)
	}
	if err := checkAppAttrs(in.Attributes); err != nil {
		return nil, err
	}
	_, cred := in.Attributes["PlatformCredential"]
	_, princ := in.Attributes["PlatformPrincipal"]
	switch {
	case cred && !princ && platform != "GCM":
		return nil, errInvalidParam.New("Invalid parameter: Attributes Reason: PlatformCredential attribute provided without PlatformPrincipal")
	case princ && !cred:
		return nil, errInvalidParam.New("Invalid parameter: Attributes Reason: PlatformPrincipal attribute provided without PlatformCredential")
	}
	ref := appRef{scope: storage.Scope{Account: ctx.Account, Region: ctx.Region}, platform: platform, name: name}
	err := s.store.Update(func(tx storage.Tx) error {
		a := platformApp{Platform: platform, Name: name, Attrs: map[string]string{"Enabled": "true"}}
		for k, v := range in.Attributes {
			a.Attrs[k] = v
		}
		return apps.Put(tx, ref.scope, a, platform, name)
	})
	if err != nil {
		return nil, err
	}
	arn := ref.arn()
	return &snsapi.CreatePlatformApplicationResponse{PlatformApplicationArn: &arn}, nil
}

// publicAppAttrs leaves out the credentials, which SNS never returns.
func publicAppAttrs(a platformApp) map[string]string {
	out := map[string]string{}
	for k, v := range a.Attrs {
		if k != "PlatformCredential" && k != "PlatformPrincipal" {
			out[k] = v
		}
	}
	return out
}

func (s *SNS) appArg(arn *string) (appRef, error) {
	ref, ok := parseAppARN(ptr.Deref(arn))
	if !ok {
		return ref, errInvalidParam.New("Invalid parameter: PlatformApplicationArn Reason: Wrong format for resource: %s", ptr.Deref(arn))
	}
	return ref, nil
}

// GetPlatformApplicationAttributes returns an application's attributes.
func (s *SNS) GetPlatformApplicationAttributes(ctx *request.Context, in *snsapi.GetPlatformApplicationAttributesInput) (*snsapi.GetPlatformApplicationAttributesResponse, error) {
	ref, err := s.appArg(in.PlatformApplicationArn)
	if err != nil {
		return nil, err
	}
	var a platformApp
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		a, found, err = apps.Get(tx, ref.scope, ref.platform, ref.name)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, appMissing()
	}
	return &snsapi.GetPlatformApplicationAttributesResponse{Attributes: publicAppAttrs(a)}, nil
}

// SetPlatformApplicationAttributes updates an application's attributes.
func (s *SNS) SetPlatformApplicationAttributes(ctx *request.Context, in *snsapi.SetPlatformApplicationAttributesInput) (*snsapi.SetPlatformApplicationAttributesOutput, error) {
	ref, err := s.appArg(in.PlatformApplicationArn)
	if err != nil {
		return nil, err
	}
	if err := checkAppAttrs(in.Attributes); err != nil {
		return nil, err
	}
	return &snsapi.SetPlatformApplicationAttributesOutput{}, s.store.Update(func(tx storage.Tx) error {
		a, found, err := apps.Get(tx, ref.scope, ref.platform, ref.name)
		if err != nil {
			return err
		}
		if !found {
			return appMissing()
		}
		for k, v := range in.Attributes {
			a.Attrs[k] = v
		}
		return apps.Put(tx, ref.scope, a, ref.platform, ref.name)
	})
}

// DeletePlatformApplication deletes an application and its endpoints; a
// missing one is not an error, as on SNS.
func (s *SNS) DeletePlatformApplication(ctx *request.Context, in *snsapi.DeletePlatformApplicationInput) (*snsapi.DeletePlatformApplicationOutput, error) {
	ref, err := s.appArg(in.PlatformApplicationArn)
	if err != nil {
		return nil, err
	}
	return &snsapi.DeletePlatformApplicationOutput{}, s.store.Update(func(tx storage.Tx) error {
		if err := apps.Delete(tx, ref.scope, ref.platform, ref.name); err != nil {
			return err
		}
		var ids []string
		if err := endpoints.List(tx, ref.scope, []string{ref.platform, ref.name}, storage.ListOptions{}, func(_ []string, e platformEndpoint) bool {
			ids = append(ids, e.ID)
			return true
		}); err != nil {
			return err
		}
		for _, id := range ids {
			if err := endpoints.Delete(tx, ref.scope, ref.platform, ref.name, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// listPage is one page of 100 of a table listing, the token being the
// key of the last record returned.
const listPageSize = 100

func pageToken(key []string) *string {
	tok := strings.Join(key, "/")
	return &tok
}

func afterToken(tok *string, parts int) ([]string, error) {
	if tok == nil || *tok == "" {
		return nil, nil
	}
	after := strings.Split(*tok, "/")
	if len(after) != parts {
		return nil, errInvalidParam.New("Invalid parameter: NextToken")
	}
	return after, nil
}

// ListPlatformApplications lists applications, 100 per page.
func (s *SNS) ListPlatformApplications(ctx *request.Context, in *snsapi.ListPlatformApplicationsInput) (*snsapi.ListPlatformApplicationsResponse, error) {
	sc := storage.Scope{Account: ctx.Account, Region: ctx.Region}
	after, err := afterToken(in.NextToken, 2)
	if err != nil {
		return nil, err
	}
	out := &snsapi.ListPlatformApplicationsResponse{PlatformApplications: []snsapi.PlatformApplication{}}
	var last []string
	err = s.store.View(func(tx storage.Tx) error {
		return apps.List(tx, sc, nil, storage.ListOptions{After: after, Limit: listPageSize + 1}, func(key []string, a platformApp) bool {
			if len(out.PlatformApplications) == listPageSize {
				out.NextToken = pageToken(last)
				return false
			}
			last = key
			arn := appRef{scope: sc, platform: a.Platform, name: a.Name}.arn()
			out.PlatformApplications = append(out.PlatformApplications, snsapi.PlatformApplication{PlatformApplicationArn: &arn, Attributes: publicAppAttrs(a)})
			return true
		})
	})
	return out, err
}

func checkEndpointAttrs(attrs map[string]string) error {
	for k, v := range attrs {
		if !endpointAttrs[k] {
			return errInvalidParam.New("Invalid parameter: Attributes Reason: Invalid attribute name: %s", k)
		}
		switch k {
		case "Enabled":
			if v != "true" && v != "false" {
				return errInvalidParam.New("Invalid parameter: Attributes Reason: Enabled must be true or false")
			}
		case "CustomUserData":
			if len(v) > 2048 {
				return errInvalidParam.New("Invalid parameter: Attributes Reason: CustomUserData must be at most 2048 bytes long in UTF-8 encoding")
			}
		case "Token":
			if v == "" {
				return errInvalidParam.New("Invalid parameter: Attributes Reason: Token cannot be empty")
			}
		}
	}
	return nil
}

// CreatePlatformEndpoint registers a device token with an application.
// The same token with the same attributes returns the same endpoint.
func (s *SNS) CreatePlatformEndpoint(ctx *request.Context, in *snsapi.CreatePlatformEndpointInput) (*snsapi.CreateEndpointResponse, error) {
	ref, err := s.appArg(in.PlatformApplicationArn)
	if err != nil {
		return nil, err
	}
	token := ptr.Deref(in.Token)
	if token == "" {
		return nil, errInvalidParam.New("Invalid parameter: Token Reason: cannot be empty")
	}
	if err := checkEndpointAttrs(in.Attributes); err != nil {
		return nil, err
	}
	want := map[string]string{"Enabled": "true", "Token": token}
	if in.CustomUserData != nil {
		want["CustomUserData"] = *in.CustomUserData
	}
	for k, v := range in.Attributes {
		want[k] = v
	}
	if len(want["CustomUserData"]) > 2048 {
		return nil, errInvalidParam.New("Invalid parameter: CustomUserData Reason: must be at most 2048 bytes long in UTF-8 encoding")
	}
	var arn string
	err = s.store.Update(func(tx storage.Tx) error {
		if _, found, err := apps.Get(tx, ref.scope, ref.platform, ref.name); err != nil {
			return err
		} else if !found {
			return appMissing()
		}
		var existing *platformEndpoint
		if err := endpoints.List(tx, ref.scope, []string{ref.platform, ref.name}, storage.ListOptions{}, func(_ []string, e platformEndpoint) bool {
			if e.Attrs["Token"] == token {
				existing = &e
				return false
			}
			return true
		}); err != nil {
			return err
		}
		if existing != nil {
			arn = endpointARN(ref, existing.ID)
			if !sameAttrs(existing.Attrs, want) {
				return errInvalidParam.New("Invalid parameter: Token Reason: Endpoint %s already exists with the same Token, but different attributes.", arn)
			}
			return nil
		}
		e := platformEndpoint{ID: awsid.UUID(), Attrs: want}
		arn = endpointARN(ref, e.ID)
		return endpoints.Put(tx, ref.scope, e, ref.platform, ref.name, e.ID)
	})
	if err != nil {
		return nil, err
	}
	return &snsapi.CreateEndpointResponse{EndpointArn: &arn}, nil
}

func sameAttrs(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func (s *SNS) endpointArg(arn *string) (appRef, string, error) {
	ref, id, ok := parseEndpointARN(ptr.Deref(arn))
	if !ok {
		return ref, id, errInvalidParam.New("Invalid parameter: EndpointArn Reason: Wrong format for resource: %s", ptr.Deref(arn))
	}
	return ref, id, nil
}

// GetEndpointAttributes returns an endpoint's attributes.
func (s *SNS) GetEndpointAttributes(ctx *request.Context, in *snsapi.GetEndpointAttributesInput) (*snsapi.GetEndpointAttributesResponse, error) {
	ref, id, err := s.endpointArg(in.EndpointArn)
	if err != nil {
		return nil, err
	}
	var e platformEndpoint
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		e, found, err = endpoints.Get(tx, ref.scope, ref.platform, ref.name, id)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, endpointMissing()
	}
	return &snsapi.GetEndpointAttributesResponse{Attributes: e.Attrs}, nil
}

// SetEndpointAttributes updates an endpoint's attributes.
func (s *SNS) SetEndpointAttributes(ctx *request.Context, in *snsapi.SetEndpointAttributesInput) (*snsapi.SetEndpointAttributesOutput, error) {
	ref, id, err := s.endpointArg(in.EndpointArn)
	if err != nil {
		return nil, err
	}
	if err := checkEndpointAttrs(in.Attributes); err != nil {
		return nil, err
	}
	return &snsapi.SetEndpointAttributesOutput{}, s.store.Update(func(tx storage.Tx) error {
		e, found, err := endpoints.Get(tx, ref.scope, ref.platform, ref.name, id)
		if err != nil {
			return err
		}
		if !found {
			return endpointMissing()
		}
		for k, v := range in.Attributes {
			e.Attrs[k] = v
		}
		return endpoints.Put(tx, ref.scope, e, ref.platform, ref.name, id)
	})
}

// DeleteEndpoint deletes an endpoint; a missing one is not an error.
func (s *SNS) DeleteEndpoint(ctx *request.Context, in *snsapi.DeleteEndpointInput) (*snsapi.DeleteEndpointOutput, error) {
	ref, id, err := s.endpointArg(in.EndpointArn)
	if err != nil {
		return nil, err
	}
	return &snsapi.DeleteEndpointOutput{}, s.store.Update(func(tx storage.Tx) error {
		return endpoints.Delete(tx, ref.scope, ref.platform, ref.name, id)
	})
}

// ListEndpointsByPlatformApplication lists an application's endpoints,
// 100 per page.
func (s *SNS) ListEndpointsByPlatformApplication(ctx *request.Context, in *snsapi.ListEndpointsByPlatformApplicationInput) (*snsapi.ListEndpointsByPlatformApplicationResponse, error) {
	ref, err := s.appArg(in.PlatformApplicationArn)
	if err != nil {
		return nil, err
	}
	var after []string
	if in.NextToken != nil && *in.NextToken != "" {
		after = []string{ref.platform, ref.name, *in.NextToken}
	}
	out := &snsapi.ListEndpointsByPlatformApplicationResponse{Endpoints: []snsapi.Endpoint{}}
	err = s.store.View(func(tx storage.Tx) error {
		if _, found, err := apps.Get(tx, ref.scope, ref.platform, ref.name); err != nil {
			return err
		} else if !found {
			return appMissing()
		}
		var last string
		return endpoints.List(tx, ref.scope, []string{ref.platform, ref.name}, storage.ListOptions{After: after, Limit: listPageSize + 1}, func(_ []string, e platformEndpoint) bool {
			if len(out.Endpoints) == listPageSize {
				tok := last
				out.NextToken = &tok
				return false
			}
			last = e.ID
			arn := endpointARN(ref, e.ID)
			out.Endpoints = append(out.Endpoints, snsapi.Endpoint{EndpointArn: &arn, Attributes: e.Attrs})
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// publishToEndpoint publishes directly to a mobile endpoint: the message
// (the platform's entry of a MessageStructure=json message) is recorded.
func (s *SNS) publishToEndpoint(ctx *request.Context, arn string, in *snsapi.PublishInput) (*snsapi.PublishResponse, error) {
	ref, id, ok := parseEndpointARN(arn)
	if !ok {
		return nil, errInvalidParam.New("Invalid parameter: TargetArn Reason: Wrong format for resource: %s", arn)
	}
	p := &publication{message: ptr.Deref(in.Message), subject: ptr.Deref(in.Subject), hasSubject: in.Subject != nil, structure: ptr.Deref(in.MessageStructure),
		attrs: in.MessageAttributes, toEndpoint: true}
	if err := checkMessage(p); err != nil {
		return nil, err
	}
	if in.MessageGroupId != nil || in.MessageDeduplicationId != nil {
		return nil, errInvalidParam.New("Invalid parameter: MessageGroupId Reason: The request includes MessageGroupId parameter that is not valid for this topic type")
	}
	var e platformEndpoint
	var app platformApp
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		if e, found, err = endpoints.Get(tx, ref.scope, ref.platform, ref.name, id); err != nil || !found {
			return err
		}
		app, _, err = apps.Get(tx, ref.scope, ref.platform, ref.name)
		return err
	}); err != nil {
		return nil, err
	}
	if !found {
		return nil, errInvalidParam.New("Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified")
	}
	if app.Attrs["Enabled"] == "false" {
		return nil, snsapi.ErrPlatformApplicationDisabledException.New("Platform application is disabled")
	}
	if e.Attrs["Enabled"] != "true" {
		return nil, snsapi.ErrEndpointDisabledException.New("Endpoint is disabled")
	}
	p.id = awsid.UUID()
	if err := s.recordPush(ref.scope, ctx.Now(), arn, "", p, ""); err != nil {
		return nil, err
	}
	return &snsapi.PublishResponse{MessageId: &p.id}, nil
}

// recordPush records what SNS would push to a mobile endpoint. A topic
// delivery to an endpoint that is missing or disabled records nothing,
// as SNS drops it. msg, when set, is the message already chosen for the
// subscription.
func (s *SNS) recordPush(sc storage.Scope, now time.Time, endpointArn, topicArn string, p *publication, msg string) error {
	ref, id, ok := parseEndpointARN(endpointArn)
	if !ok {
		return nil
	}
	if p.structure == "json" {
		msg = messageFor(p, ref.platform)
	} else if msg == "" {
		msg = p.message
	}
	rec := push{Time: timestamp(now), EndpointArn: endpointArn, TopicArn: topicArn, MessageID: p.id, Subject: p.subject, Message: msg}
	if len(p.attrs) > 0 {
		rec.MessageAttributes = map[string]attrValue{}
		keys := make([]string, 0, len(p.attrs))
		for k := range p.attrs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := p.attrs[k]
			rec.MessageAttributes[k] = attrValue{Type: ptr.Deref(v.DataType), Value: ptr.Deref(v.StringValue)}
		}
	}
	if err := s.store.Update(func(tx storage.Tx) error {
		e, found, err := endpoints.Get(tx, ref.scope, ref.platform, ref.name, id)
		if err != nil || !found || e.Attrs["Enabled"] != "true" {
			return err
		}
		return pushes.Put(tx, sc, rec, s.recordKey(now), p.id, id)
	}); err != nil {
		return err
	}
	return nil
}
