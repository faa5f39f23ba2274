package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/clock"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/apigateway"
	"github.com/niwa-cloud/niwa/internal/service/elbv2"
	"github.com/niwa-cloud/niwa/internal/service/lambda"
	"github.com/niwa-cloud/niwa/internal/service/logs"
)

// wireAPIGateway wires API Gateway with Lambda behind its AWS and
// AWS_PROXY integrations (and the function policy check), and niwa's own
// gateway behind its AWS service integrations.
func wireAPIGateway(d *deps) (*wiring, error) {
	kd, err := d.kitDeps("apigateway")
	if err != nil {
		return nil, err
	}
	seams := d.apigatewaySeamsOf()
	// Access and execution logs go through the Logs service, which
	// keeps all its state in its store (as Lambda's output does).
	logStore, err := d.store("logs")
	if err != nil {
		return nil, err
	}
	opt := apigateway.Options{Store: kd.Store, Clock: kd.Clock, Log: kd.Log, Bus: kd.Bus,
		Logs:          apigatewayLogs{logs.New(logStore, d.clock, d.bus)},
		Firewall:      stageFirewall{d},
		LoadBalancers: vpcLinkTargets{seams},
		Services:      &integrationServices{d: d, seams: seams},
		Signatures:    invokeSignatures{d: d, seams: seams, auth: d.callerAuthOf()}}
	if d.lambda != nil {
		opt.Functions = integrationFunctions{d.lambda, d}
		opt.Permissions = functionPermissions{d.lambda}
	}
	return &wiring{Declaration: apigateway.New(opt).Declare()}, nil
}

// apigatewaySeams is what API Gateway's data plane needs from the
// server once it is built (the gateway itself, to serve AWS service
// integrations): filled in by New.
type apigatewaySeams struct {
	mu       sync.RWMutex
	gateway  http.Handler
	verifier *auth.Verifier
	// elbv2 is the load balancers' data plane, for VPC links (set by
	// wireELBv2, which comes later).
	elbv2 *elbv2.ELBv2
}

// vpcLinkTargets finds VPC links' network load balancers in ELBv2.
type vpcLinkTargets struct{ seams *apigatewaySeams }

func (v vpcLinkTargets) NetworkListener(account, region, lbARN string, port int32) (string, bool, bool) {
	v.seams.mu.RLock()
	lbs := v.seams.elbv2
	v.seams.mu.RUnlock()
	if lbs == nil {
		return "", false, false
	}
	return lbs.NetworkListener(account, region, lbARN, port)
}

func (d *deps) apigatewaySeamsOf() *apigatewaySeams {
	if d.apigateway == nil {
		d.apigateway = &apigatewaySeams{}
	}
	return d.apigateway
}

func (s *apigatewaySeams) set(h http.Handler, v *auth.Verifier) {
	s.mu.Lock()
	s.gateway, s.verifier = h, v
	s.mu.Unlock()
}

func (s *apigatewaySeams) handler() http.Handler {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.gateway
}

func (s *apigatewaySeams) signatures() *auth.Verifier {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.verifier
}

// invokeSignatures verifies AWS_IAM methods' signatures with niwa's
// verifier and evaluates execute-api:Invoke with the authorizer's engine
// and the caller's stored policies.
type invokeSignatures struct {
	d     *deps
	seams *apigatewaySeams
	auth  *callerAuth
}

func (s invokeSignatures) Authorize(r *http.Request, apiAccount, methodARN string, policy *iam.Policy, keys iam.Context) (apigateway.Invoker, error) {
	v := s.seams.signatures()
	if v == nil || s.auth == nil || s.auth.auth == nil {
		return apigateway.Invoker{}, fmt.Errorf("apigateway: no signature verifier wired")
	}
	res, err := v.Verify(r, auth.DialectRestJSON)
	if err != nil {
		return apigateway.Invoker{}, err
	}
	if res.Anonymous {
		return apigateway.Invoker{}, auth.MissingAuthentication(auth.DialectRestJSON)
	}
	if res.Body != nil {
		r.Body = res.Body
	}
	caller := callerOf(res.Credential, false)
	inv := apigateway.Invoker{ARN: caller.ARN, Account: caller.Account, UserID: caller.UserID, AccessKey: caller.AccessKeyID}
	region := res.Region
	if region == "" {
		region = s.d.cfg.Region
	}
	rc := &request.Context{Context: r.Context(), RequestID: awsid.UUID(), Service: "execute-api", Operation: "Invoke",
		Account: caller.Account, Region: region, Caller: caller, Clock: s.d.clock, Log: s.d.log, HTTP: r}
	if ip, ok := keys["aws:SourceIp"]; ok && len(ip) > 0 {
		rc.SourceIP = ip[0]
	}
	dec, err := s.auth.auth.decide(rc, "execute-api:Invoke", methodARN, policy, apiAccount, keys)
	if err != nil {
		return apigateway.Invoker{}, err
	}
	inv.Decision = dec.Reason
	if dec.Allowed() {
		// Whether a Cache-Control: max-age=0 from this caller may
		// invalidate the stage cache's entry.
		inv2, err := s.auth.auth.decide(rc, "execute-api:InvalidateCache", methodARN, policy, apiAccount, keys)
		if err != nil {
			return apigateway.Invoker{}, err
		}
		inv.CanInvalidate = inv2.Allowed()
	}
	return inv, nil
}

// integrationServices serves AWS service integrations: it assumes the
// integration's role as apigateway.amazonaws.com (the role's trust
// policy must allow it, as on AWS), signs the request with the session's
// credentials and serves it through niwa's gateway, so authentication,
// IAM (as the role) and the service's protocol are those of any call.
type integrationServices struct {
	d     *deps
	seams *apigatewaySeams

	once  sync.Once
	specs map[string]model.Metadata
}

// metadata is the model metadata of the service an integration URI
// names (by endpoint prefix or signing name).
func (s *integrationServices) metadata(service string) (model.Metadata, bool) {
	s.once.Do(func() {
		s.specs = map[string]model.Metadata{}
		for _, c := range catalog() {
			md := c.spec.Metadata
			if _, ok := s.specs[md.EndpointPrefix]; !ok {
				s.specs[md.EndpointPrefix] = md
			}
		}
	})
	md, ok := s.specs[service]
	return md, ok
}

func configErr(format string, args ...any) error {
	return fmt.Errorf("%w: %s", apigateway.ErrConfiguration, fmt.Sprintf(format, args...))
}

func (s *integrationServices) Call(ctx context.Context, in apigateway.ServiceRequest) (apigateway.ServiceResponse, error) {
	h := s.seams.handler()
	if h == nil || s.d.iam == nil || s.d.sts == nil {
		return apigateway.ServiceResponse{}, configErr("AWS service integrations need IAM and STS")
	}
	md, ok := s.metadata(in.Service)
	if !ok {
		return apigateway.ServiceResponse{}, configErr("AWS service %s is not served by niwa", in.Service)
	}
	creds, err := s.assume(in.Role)
	if err != nil {
		return apigateway.ServiceResponse{}, err
	}
	target := &url.URL{Scheme: "http", Host: "localhost", Path: in.Path}
	if in.Path == "" {
		target.Path = "/"
	}
	q := url.Values{}
	for k, v := range in.Query {
		q[k] = v
	}
	header := http.Header{}
	for k, v := range in.Header {
		header[k] = v
	}
	if in.Action != "" {
		switch md.Protocol {
		case "json":
			header.Set("X-Amz-Target", md.TargetPrefix+"."+in.Action)
			if header.Get("Content-Type") == "" {
				header.Set("Content-Type", "application/x-amz-json-"+md.JSONVersion)
			}
		case "query", "ec2":
			q.Set("Action", in.Action)
			if q.Get("Version") == "" {
				q.Set("Version", md.APIVersion)
			}
		default:
			return apigateway.ServiceResponse{}, configErr("%s has no action API (use a path integration)", in.Service)
		}
	}
	target.RawQuery = q.Encode()
	r, err := http.NewRequestWithContext(ctx, in.Method, target.String(), bytes.NewReader(in.Body))
	if err != nil {
		return apigateway.ServiceResponse{}, configErr("invalid integration request: %v", err)
	}
	r.Header = header
	r.RemoteAddr = "127.0.0.1:0"
	sum := sha256.Sum256(in.Body)
	payload := hex.EncodeToString(sum[:])
	if md.EndpointPrefix == "s3" {
		r.Header.Set("X-Amz-Content-Sha256", payload)
	}
	now := time.Now()
	if _, ok := s.d.clock.(*clock.Offset); !ok {
		now = s.d.clock.Now()
	}
	region := in.Region
	if region == "" {
		region = s.d.cfg.Region
	}
	signer := v4.NewSigner(func(o *v4.SignerOptions) {
		// S3 signs its path escaped once, the other services twice.
		o.DisableURIPathEscaping = md.EndpointPrefix == "s3"
	})
	if err := signer.SignHTTP(ctx, creds, r, payload, md.SigningNameOrPrefix(), region, now); err != nil {
		return apigateway.ServiceResponse{}, err
	}
	rec := &cappedRecorder{header: http.Header{}}
	h.ServeHTTP(rec, r)
	if rec.over {
		return apigateway.ServiceResponse{}, configErr("the %s response is over API Gateway's 10 MB payload limit", in.Service)
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	return apigateway.ServiceResponse{Status: rec.status, Header: rec.header, Body: rec.body.Bytes()}, nil
}

// maxIntegrationResponse is API Gateway's 10 MB payload limit.
const maxIntegrationResponse = 10 << 20

// cappedRecorder keeps a service's answer in memory up to the payload
// limit (a large S3 object is not buffered whole).
type cappedRecorder struct {
	header http.Header
	status int
	body   bytes.Buffer
	over   bool
}

func (c *cappedRecorder) Header() http.Header { return c.header }

func (c *cappedRecorder) WriteHeader(code int) {
	if c.status == 0 {
		c.status = code
	}
}

func (c *cappedRecorder) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.body.Len()+len(b) > maxIntegrationResponse {
		c.over = true
		return 0, io.ErrShortWrite
	}
	return c.body.Write(b)
}

// assume issues credentials for a session of role as
// apigateway.amazonaws.com, refusing a role that does not exist or does
// not trust API Gateway ("API Gateway does not have permission to assume
// the provided role").
func (s *integrationServices) assume(role string) (aws.Credentials, error) {
	noAssume := configErr("API Gateway does not have permission to assume the provided role %s", role)
	parts := strings.Split(role, ":")
	if len(parts) != 6 || parts[2] != "iam" || !strings.HasPrefix(parts[5], "role/") {
		return aws.Credentials{}, noAssume
	}
	r, found, err := s.d.iam.svc.RoleByARN(role)
	if err != nil {
		return aws.Credentials{}, err
	}
	if !found {
		return aws.Credentials{}, noAssume
	}
	p, err := iam.Parse(r.TrustPolicy)
	if err != nil {
		return aws.Credentials{}, noAssume
	}
	if ok, _ := iam.ResourceAllows(p, iam.Request{Principal: iam.Principal{Service: "apigateway.amazonaws.com"}, Action: "sts:AssumeRole", Resource: role}); !ok {
		return aws.Credentials{}, noAssume
	}
	c, err := s.d.sts.svc.IssueRoleCredentials(s.d.clock.Now(), parts[4], role, "APIGatewaySession", 15*time.Minute)
	if err != nil {
		return aws.Credentials{}, err
	}
	return aws.Credentials{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey, SessionToken: c.SessionToken}, nil
}

// apigatewayLogs adapts CloudWatch Logs to API Gateway's LogWriter.
type apigatewayLogs struct{ logs *logs.Logs }

func (l apigatewayLogs) AppendLogEvents(account, region, group, stream string, evs []apigateway.LogEvent) error {
	out := make([]logs.LogEvent, len(evs))
	for i, e := range evs {
		out[i] = logs.LogEvent{Time: e.Time, Message: e.Message}
	}
	return l.logs.AppendLogEvents(account, region, group, stream, out)
}

// stageFirewall is WAF for API Gateway stages, read when a request
// comes (WAF is wired after API Gateway).
type stageFirewall struct{ d *deps }

func (f stageFirewall) InspectWithDefault(w http.ResponseWriter, r *http.Request, account, region, arn string, client netip.Addr) (bool, bool) {
	if f.d.waf == nil {
		return false, false
	}
	return f.d.waf.InspectWithDefault(w, r, account, region, arn, client)
}

func (f stageFirewall) WebACLOf(account, region, arn string) string {
	if f.d.waf == nil {
		return ""
	}
	return f.d.waf.WebACLOf(account, region, arn)
}

// functionPermissions is the function policy check: Lambda's own answer
// to whether apigateway.amazonaws.com may invoke the function for a
// source ARN (a validating delivery, which checks without invoking).
type functionPermissions struct{ lambda *lambda.Lambda }

func (p functionPermissions) AllowsInvoke(ctx context.Context, fn, sourceARN, sourceAccount string) (bool, error) {
	err := p.lambda.Deliver(ctx, events.Message{TargetARN: fn, SourceService: "apigateway.amazonaws.com",
		SourceARN: sourceARN, SourceAccount: sourceAccount, Validate: true})
	return err == nil, nil
}

// integrationFunctions runs integration functions synchronously
// (RequestResponse) as apigateway.amazonaws.com in the function's
// account.
type integrationFunctions struct {
	lambda *lambda.Lambda
	d      *deps
}

func (f integrationFunctions) Invoke(ctx context.Context, fn string, payload []byte) ([]byte, string, error) {
	return f.invokeAs(ctx, fn, payload, "apigateway.amazonaws.com")
}

// invokeAs invokes fn synchronously as the service principal caller, in
// the function's account.
func (f integrationFunctions) invokeAs(ctx context.Context, fn string, payload []byte, caller string) ([]byte, string, error) {
	p := strings.Split(fn, ":")
	if len(p) < 7 || p[0] != "arn" || p[2] != "lambda" || p[5] != "function" {
		return nil, "", fmt.Errorf("%s is not a Lambda function ARN", fn)
	}
	rc := &request.Context{Context: ctx, RequestID: awsid.UUID(), Service: "lambda", Operation: "Invoke",
		Account: p[4], Region: p[3], Clock: f.d.clock, Log: f.d.log,
		Caller: request.Caller{Account: p[4], ARN: caller}}
	out, err := f.lambda.Invoke(rc, &lambdaapi.InvocationRequest{FunctionName: &fn, Payload: payload})
	if err != nil {
		return nil, "", err
	}
	return out.Payload, ptr.Deref(out.FunctionError), nil
}
