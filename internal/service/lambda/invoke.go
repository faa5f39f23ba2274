package lambda

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/events"
	rt "github.com/niwa-cloud/niwa/internal/lambda"
	"github.com/niwa-cloud/niwa/internal/proc"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Payload limits.
const (
	maxSyncPayload  = 6 * 1024 * 1024
	maxAsyncPayload = 256 * 1024
)

// target is a resolved invocation target.
type target struct {
	sc      storage.Scope
	fn      function
	v       version
	qual    string
	invoked string // the ARN the caller used
}

// resolve finds the version an invocation runs, following an alias and
// its weighted routing.
func (l *Lambda) resolve(sc storage.Scope, name, qual string) (target, error) {
	t := target{sc: sc, qual: qual, invoked: functionARN(sc, name)}
	if qual != "" {
		t.invoked += ":" + qual
	}
	err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		t.fn, t.v, err = l.getFunction(tx, sc, name, qual)
		if err != nil || qual == "" || qual == latest {
			return err
		}
		if _, err := strconv.Atoi(qual); err == nil {
			return nil
		}
		a, _, err := aliases.Get(tx, sc, name, qual)
		if err != nil || a.RoutingConfig == nil {
			return err
		}
		// Weighted routing: each additional version gets its weight of
		// the traffic, the alias's version the rest.
		r := l.rand()
		keys := make([]string, 0, len(a.RoutingConfig.AdditionalVersionWeights))
		for k := range a.RoutingConfig.AdditionalVersionWeights {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			w := a.RoutingConfig.AdditionalVersionWeights[k]
			if r < w {
				v, ok, err := versions.Get(tx, sc, name, versionKey(k))
				if err != nil {
					return err
				}
				if ok {
					t.v = v
				}
				return nil
			}
			r -= w
		}
		return nil
	})
	return t, err
}

// Invoke runs a function synchronously (RequestResponse), queues it
// (Event) or only checks that it could (DryRun).
func (l *Lambda) Invoke(ctx *request.Context, in *lambdaapi.InvocationRequest) (*lambdaapi.InvocationResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	typ := "RequestResponse"
	if in.InvocationType != nil {
		typ = *in.InvocationType
	}
	if len(in.Payload) > 0 && !json.Valid(in.Payload) {
		return nil, lambdaapi.ErrInvalidRequestContentException.New("Could not parse request body into json: Could not parse payload into json: Unexpected character: was expecting a JSON value").With("Type", "User")
	}
	t, err := l.resolve(sc, name, qual)
	if err != nil {
		return nil, err
	}
	if in.ClientContext != nil {
		if _, err := base64.StdEncoding.DecodeString(*in.ClientContext); err != nil || len(*in.ClientContext) > 3583 {
			return nil, errInvalidParam("Client context must be a valid Base64-encoded JSON object.")
		}
	}
	switch typ {
	case "DryRun":
		return &lambdaapi.InvocationResponse{StatusCode: ptr.To(int32(204)), Payload: []byte{}}, nil
	case "Event":
		if len(in.Payload) > maxAsyncPayload {
			return nil, lambdaapi.ErrRequestTooLargeException.New("Request must be smaller than %d bytes for the InvokeAsync operation", maxAsyncPayload).With("Type", "User")
		}
		l.async.enqueue(asyncJob{sc: sc, name: name, qual: qual, payload: in.Payload, requestID: ctx.RequestID, enqueued: ctx.Now()})
		return &lambdaapi.InvocationResponse{StatusCode: ptr.To(int32(202)), Payload: []byte{}}, nil
	}
	if len(in.Payload) > maxSyncPayload {
		return nil, lambdaapi.ErrRequestTooLargeException.New("Request must be smaller than %d bytes for the Invoke operation", maxSyncPayload).With("Type", "User")
	}
	cc := ""
	if in.ClientContext != nil {
		raw, _ := base64.StdEncoding.DecodeString(*in.ClientContext)
		cc = string(raw)
	}
	if err := l.checkEnvKey(ctx, t); err != nil {
		return nil, err
	}
	res, err := l.run(ctx, t, ctx.RequestID, in.Payload, cc)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.InvocationResponse{
		StatusCode:      ptr.To(int32(200)),
		Payload:         res.Payload,
		ExecutedVersion: t.v.Config.Version,
	}
	if res.Payload == nil {
		out.Payload = []byte{}
	}
	if res.FunctionError != "" {
		out.FunctionError = ptr.To(res.FunctionError)
	}
	if ptr.Deref(in.LogType) == "Tail" {
		out.LogResult = ptr.To(base64.StdEncoding.EncodeToString(rt.Tail(res.Log)))
	}
	return out, nil
}

// InvokeAsync is the deprecated asynchronous invoke.
func (l *Lambda) InvokeAsync(ctx *request.Context, in *lambdaapi.InvokeAsyncRequest) (*lambdaapi.InvokeAsyncResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	if _, err := l.resolve(sc, name, qual); err != nil {
		return nil, err
	}
	var body []byte
	if in.InvokeArgs != nil {
		buf := make([]byte, 0, 1024)
		tmp := make([]byte, 32*1024)
		for {
			n, err := in.InvokeArgs.Read(tmp)
			buf = append(buf, tmp[:n]...)
			if len(buf) > maxAsyncPayload {
				return nil, lambdaapi.ErrRequestTooLargeException.New("Request must be smaller than %d bytes for the InvokeAsync operation", maxAsyncPayload).With("Type", "User")
			}
			if err != nil {
				break
			}
		}
		body = buf
	}
	l.async.enqueue(asyncJob{sc: sc, name: name, qual: qual, payload: body, requestID: ctx.RequestID, enqueued: ctx.Now()})
	return &lambdaapi.InvokeAsyncResponse{Status: ptr.To(int32(202))}, nil
}

// run executes one invocation of a resolved target.
func (l *Lambda) run(ctx context.Context, t target, requestID string, payload []byte, clientContext string) (res *rt.Result, err error) {
	return l.runRequest(ctx, t, rt.Request{ID: requestID, Payload: payload, ClientContext: clientContext})
}

// runRequest executes one invocation of a resolved target (req's
// InvokedARN is set here; a nil Payload is "{}").
func (l *Lambda) runRequest(ctx context.Context, t target, req rt.Request) (res *rt.Result, err error) {
	defer func() { l.publishMetrics(t, res, err) }()
	cfg := t.v.Config
	runtime := ptr.Deref(cfg.Runtime)
	if !runnable[runtime] {
		return nil, lambdaapi.ErrInvalidRuntimeException.New("The runtime parameter of %s is not supported by niwa's local process executor (python3.x, nodejs and provided.* run).", runtime).With("Type", "User")
	}
	if t.fn.Reserved != nil && *t.fn.Reserved == 0 {
		return nil, throttled()
	}
	spec, err := l.spec(t)
	if err != nil {
		return nil, err
	}
	if len(req.Payload) == 0 {
		req.Payload = []byte("{}")
	}
	req.InvokedARN = t.invoked
	res, err = l.exec.Invoke(ctx, spec, req)
	if errors.Is(err, rt.ErrThrottled) {
		return nil, throttled()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, lambdaapi.ErrServiceException.New("The invocation was cancelled: %v", ctx.Err())
		}
		return nil, lambdaapi.ErrServiceException.New("niwa could not start the function's runtime: %v", err)
	}
	return res, nil
}

// publishMetrics publishes the AWS/Lambda metrics of one invocation —
// Invocations, Errors, Duration, or Throttles — per function and for the
// account, as Lambda does, through the bus (CloudWatch stores them).
func (l *Lambda) publishMetrics(t target, res *rt.Result, err error) {
	if l.opt.Bus == nil {
		return
	}
	now := l.opt.Clock.Now()
	name := ptr.Deref(t.v.Config.FunctionName)
	var ms []events.Metric
	add := func(metric string, v float64, unit string) {
		for _, dims := range []map[string]string{{"FunctionName": name}, nil} {
			ms = append(ms, events.Metric{Namespace: "AWS/Lambda", Name: metric, Dimensions: dims, Value: v, Unit: unit, Time: now})
		}
	}
	switch {
	case lambdaapi.ErrTooManyRequestsException.Is(err):
		add("Throttles", 1, "Count")
	case res != nil:
		add("Invocations", 1, "Count")
		add("Errors", b2f(res.FunctionError != ""), "Count")
		add("Duration", float64(res.Duration)/float64(time.Millisecond), "Milliseconds")
	default:
		return
	}
	l.opt.Bus.PublishMetrics(t.sc.Account, t.sc.Region, ms...)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

func throttled() error {
	return lambdaapi.ErrTooManyRequestsException.New("Rate Exceeded.").With("Type", "User").With("Reason", "ReservedFunctionConcurrentInvocationLimitExceeded")
}

// spec describes the execution environment of a target.
func (l *Lambda) spec(t target) (*rt.Spec, error) {
	cfg := t.v.Config
	name := ptr.Deref(cfg.FunctionName)
	dir, err := l.codeDir("code", t.v.Code, ptr.Deref(cfg.CodeSha256))
	if err != nil {
		return nil, lambdaapi.ErrServiceException.New("niwa could not unpack the function's code: %v", err)
	}
	opt, err := l.optDir(t.sc, cfg.Layers)
	if err != nil {
		return nil, err
	}
	conc := 0
	if t.fn.Reserved != nil {
		conc = int(*t.fn.Reserved)
	}
	logGroup := "/aws/lambda/" + name
	if cfg.LoggingConfig != nil && cfg.LoggingConfig.LogGroup != nil {
		logGroup = *cfg.LoggingConfig.LogGroup
	}
	ver := ptr.Deref(cfg.Version)
	spec := &rt.Spec{
		Key:         rt.SpecKey(group(t.sc, name), ver, ptr.Deref(cfg.RevisionId)),
		Group:       group(t.sc, name),
		FunctionARN: t.invoked,
		Version:     ver,
		Runtime:     ptr.Deref(cfg.Runtime),
		Handler:     ptr.Deref(cfg.Handler),
		CodeDir:     dir,
		OptDir:      opt,
		MemoryMB:    int(*cfg.MemorySize),
		Timeout:     time.Duration(*cfg.Timeout) * time.Second,
		Concurrency: conc,
		LogGroup:    logGroup,
	}
	if v := cfg.VpcConfig; v != nil && len(v.SubnetIds) > 0 {
		spec.Net = proc.Net{Account: t.sc.Account, Region: t.sc.Region, VPC: ptr.Deref(v.VpcId)}
	}
	spec.Environ = func(stream string) ([]string, error) { return l.environ(t, spec, stream) }
	return spec, nil
}

// environ is the process environment AWS gives a function, plus
// AWS_ENDPOINT_URL pointing at niwa so SDKs inside call niwa.
func (l *Lambda) environ(t target, spec *rt.Spec, stream string) ([]string, error) {
	cfg := t.v.Config
	name := ptr.Deref(cfg.FunctionName)
	home := filepath.Join(l.opt.WorkDir, "home")
	_ = os.MkdirAll(home, 0o755)
	// The executor adds the layer paths (/opt/bin and the rest), which
	// depend on whether the layers are mounted at /opt.
	path := os.Getenv("PATH")
	env := map[string]string{}
	if cfg.Environment != nil {
		for k, v := range cfg.Environment.Variables {
			env[k] = v
		}
	}
	set := map[string]string{
		"AWS_LAMBDA_FUNCTION_NAME":        name,
		"AWS_LAMBDA_FUNCTION_VERSION":     spec.Version,
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": strconv.Itoa(spec.MemoryMB),
		"AWS_LAMBDA_INITIALIZATION_TYPE":  "on-demand",
		"AWS_LAMBDA_LOG_GROUP_NAME":       spec.LogGroup,
		"AWS_LAMBDA_LOG_STREAM_NAME":      stream,
		"AWS_EXECUTION_ENV":               "AWS_Lambda_" + spec.Runtime,
		"_HANDLER":                        spec.Handler,
		"AWS_REGION":                      t.sc.Region,
		"AWS_DEFAULT_REGION":              t.sc.Region,
		"LAMBDA_TASK_ROOT":                spec.CodeDir,
		"LAMBDA_RUNTIME_DIR":              l.exec.RuntimeDir(),
		"TZ":                              ":UTC",
		"LANG":                            "en_US.UTF-8",
		"PATH":                            path,
		"HOME":                            home,
		"PYTHONUNBUFFERED":                "1",
	}
	if ep := l.opt.Endpoint(); ep != "" {
		set["AWS_ENDPOINT_URL"] = ep
	}
	if (l.opt.Credentials != nil || l.opt.PlacedCredentials != nil) && cfg.Role != nil {
		var c Credentials
		var err error
		if l.opt.PlacedCredentials != nil {
			at := Placement{Region: t.sc.Region}
			if v := cfg.VpcConfig; v != nil && len(v.SubnetIds) > 0 {
				at.VpcID, at.SubnetIDs = ptr.Deref(v.VpcId), v.SubnetIds
			}
			c, err = l.opt.PlacedCredentials(l.opt.Clock.Now(), t.sc.Account, *cfg.Role, name, 12*time.Hour, at)
		} else {
			c, err = l.opt.Credentials(l.opt.Clock.Now(), t.sc.Account, *cfg.Role, name, 12*time.Hour)
		}
		if err != nil {
			return nil, fmt.Errorf("assuming the execution role %s: %w", *cfg.Role, err)
		}
		set["AWS_ACCESS_KEY_ID"] = c.AccessKeyID
		set["AWS_SECRET_ACCESS_KEY"] = c.SecretAccessKey
		set["AWS_SESSION_TOKEN"] = c.SessionToken
	}
	if l.opt.Egress != nil {
		at := EgressPosition{Account: t.sc.Account, Region: t.sc.Region}
		if v := cfg.VpcConfig; v != nil && len(v.SubnetIds) > 0 {
			// Each environment gets its address in one of the function's
			// subnets, picked from its log stream (one per environment).
			h := fnv.New32a()
			_, _ = h.Write([]byte(stream))
			at.VpcID = ptr.Deref(v.VpcId)
			at.SubnetID = v.SubnetIds[int(h.Sum32()%uint32(len(v.SubnetIds)))]
			at.SecurityGroupIDs = v.SecurityGroupIds
		}
		vars, err := l.opt.Egress(context.Background(), at)
		if err != nil {
			return nil, fmt.Errorf("egress for the function's network position: %w", err)
		}
		for _, kv := range vars {
			if k, v, ok := strings.Cut(kv, "="); ok {
				set[k] = v
			}
		}
	}
	for k, v := range set {
		env[k] = v
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out, nil
}

// Bus delivery: other services (EventBridge, S3, SNS) invoke functions
// asynchronously through the event bus, subject to the function's
// resource policy.

// Deliver implements events.Handler for the "lambda" namespace.
func (l *Lambda) Deliver(ctx context.Context, m events.Message) error {
	sc, name, qual, err := parseARN(m.TargetARN)
	if err != nil {
		return err
	}
	t, err := l.resolve(sc, name, qual)
	if err != nil {
		return err
	}
	if m.SourceService != "" {
		ok, err := l.allows(sc, name, qual, m.SourceService, m.SourceARN, m.SourceAccount)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("lambda: %s is not allowed to invoke %s (no matching resource policy statement): %w", m.SourceService, m.TargetARN, errAccessDenied)
		}
	}
	_ = t
	if m.Validate {
		return nil
	}
	l.async.enqueue(asyncJob{sc: sc, name: name, qual: qual, payload: []byte(m.Body), requestID: awsid.UUID(), enqueued: l.opt.Clock.Now()})
	return nil
}

// errAccessDenied marks deliveries a resource policy refused.
var errAccessDenied = lambdaapi.ErrResourceNotFoundException.New("access denied")

// parseARN splits a function ARN into scope, name and qualifier.
func parseARN(arn string) (storage.Scope, string, string, error) {
	parts := strings.Split(arn, ":")
	if len(parts) < 7 || parts[0] != "arn" || parts[2] != "lambda" || parts[5] != "function" {
		return storage.Scope{}, "", "", errInvalidParam("%s is not a Lambda function ARN", arn)
	}
	qual := ""
	if len(parts) > 7 {
		qual = parts[7]
	}
	return storage.Scope{Account: parts[4], Region: parts[3]}, parts[6], qual, nil
}
