package apigateway

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Stage settings beyond variables: method settings (logging, metrics,
// caching), access logs, the cache cluster and canary releases; and what
// the data plane does with them after each call (stage logs and
// metrics).

// LogWriter appends events to a CloudWatch Logs stream, creating the
// group and stream when absent (as API Gateway does with the account's
// CloudWatch role). The server wires CloudWatch Logs behind it.
type LogWriter interface {
	AppendLogEvents(account, region, group, stream string, events []LogEvent) error
}

// LogEvent is one log line.
type LogEvent struct {
	Time    time.Time
	Message string
}

// cacheSizes are the cache cluster sizes API Gateway offers (GB).
var cacheSizes = map[string]bool{"0.5": true, "1.6": true, "6.1": true, "13.5": true, "28.4": true, "58.2": true, "118": true, "237": true}

var logLevels = map[string]bool{"OFF": true, "ERROR": true, "INFO": true}

var cacheStrategies = map[string]bool{"FAIL_WITH_403": true, "SUCCEED_WITH_RESPONSE_HEADER": true, "SUCCEED_WITHOUT_RESPONSE_HEADER": true}

func badRequest(format string, args ...any) error {
	return apigatewayapi.ErrBadRequestException.New(format, args...)
}

func parseBool(v *string) (bool, error) {
	b, err := strconv.ParseBool(ptr.Deref(v))
	if err != nil {
		return false, badRequest("Invalid boolean value: %s", ptr.Deref(v))
	}
	return b, nil
}

// unescapePointer decodes a JSON pointer segment (~1 is "/", ~0 "~").
func unescapePointer(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
}

// methodSettingPath splits /<resource path>/<VERB>/<group>/<setting>
// (the resource path escaped, "*" for all) into the method settings key
// ("items/GET", "*/*") and the setting ("caching/enabled").
func methodSettingPath(path string) (key, setting string, ok bool) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	if len(parts) != 4 {
		return "", "", false
	}
	res := unescapePointer(parts[0])
	res = strings.TrimPrefix(res, "/")
	return res + "/" + parts[1], parts[2] + "/" + parts[3], true
}

// patchStage applies one stage patch operation beyond variables,
// description, deployment and client certificate; handled false when the
// path is none of them.
func (s *APIGateway) patchStage(ctx *request.Context, a *restAPI, st *apigatewayapi.Stage, op, path string, value *string) (bool, error) {
	switch {
	case path == "/cacheClusterEnabled":
		on, err := parseBool(value)
		if err != nil {
			return true, err
		}
		st.CacheClusterEnabled = &on
		if on && st.CacheClusterSize == nil {
			st.CacheClusterSize = ptr.To("0.5")
		}
		st.CacheClusterStatus = ptr.To(cacheStatus(on))
		if !on {
			s.cache.flush(a.API.Id, st.StageName)
		}
	case path == "/cacheClusterSize":
		if !cacheSizes[ptr.Deref(value)] {
			return true, badRequest("Invalid cache cluster size specified: %s", ptr.Deref(value))
		}
		st.CacheClusterSize = value
	case path == "/tracingEnabled":
		on, err := parseBool(value)
		if err != nil {
			return true, err
		}
		st.TracingEnabled = &on
	case path == "/accessLogSettings" && op == "remove":
		st.AccessLogSettings = nil
	case path == "/accessLogSettings/destinationArn" || path == "/accessLogSettings/format":
		if err := s.needCloudWatchRole(ctx); err != nil {
			return true, err
		}
		if st.AccessLogSettings == nil {
			st.AccessLogSettings = &apigatewayapi.AccessLogSettings{}
		}
		if path == "/accessLogSettings/format" {
			if f := ptr.Deref(value); !strings.Contains(f, "$context.requestId") && !strings.Contains(f, "$context.extendedRequestId") {
				return true, badRequest("Access Log format must contain at least one of $context.requestId or $context.extendedRequestId")
			}
			st.AccessLogSettings.Format = value
			break
		}
		if _, _, ok := logGroupARN(ptr.Deref(value)); !ok {
			if strings.HasPrefix(ptr.Deref(value), "arn:aws:firehose:") {
				return true, badRequest("Access log destination %s: niwa has no Kinesis Data Firehose; use a CloudWatch Logs log group", ptr.Deref(value))
			}
			return true, badRequest("Invalid ARN specified in the request. ARN must be of the form arn:aws:logs:<region>:<account>:log-group:<name>")
		}
		st.AccessLogSettings.DestinationArn = value
	case path == "/canarySettings" && op == "remove":
		st.CanarySettings = nil
	case strings.HasPrefix(path, "/canarySettings/"):
		return true, patchCanary(a, st, op, strings.TrimPrefix(path, "/canarySettings/"), value)
	default:
		key, setting, ok := methodSettingPath(path)
		if !ok {
			return false, nil
		}
		return true, s.patchMethodSetting(ctx, st, op, key, setting, value)
	}
	return true, nil
}

func cacheStatus(on bool) string {
	if on {
		// Provisioned at once: niwa's cache is memory, nothing to wait for.
		return "AVAILABLE"
	}
	return "NOT_AVAILABLE"
}

// needCloudWatchRole refuses logging settings while the account has no
// CloudWatch role, as API Gateway does.
func (s *APIGateway) needCloudWatchRole(ctx *request.Context) error {
	var acct account
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		acct, _, err = accounts.Get(tx, scope(ctx), "account")
		return err
	})
	if err != nil {
		return err
	}
	if ptr.Deref(acct.CloudwatchRoleArn) == "" {
		return badRequest("CloudWatch Logs role ARN must be set in account settings to enable logging")
	}
	return nil
}

// logGroupARN reads arn:aws:logs:<region>:<account>:log-group:<name>[:*].
func logGroupARN(arn string) (scope storage.Scope, group string, ok bool) {
	parts := strings.SplitN(arn, ":", 7)
	if len(parts) != 7 || parts[0] != "arn" || parts[2] != "logs" || parts[5] != "log-group" || parts[3] == "" || parts[4] == "" {
		return storage.Scope{}, "", false
	}
	group = strings.TrimSuffix(parts[6], ":*")
	if group == "" || strings.Contains(group, ":") {
		return storage.Scope{}, "", false
	}
	return storage.Scope{Account: parts[4], Region: parts[3]}, group, true
}

func (s *APIGateway) patchMethodSetting(ctx *request.Context, st *apigatewayapi.Stage, op, key, setting string, value *string) error {
	if op == "remove" {
		delete(st.MethodSettings, key)
		return nil
	}
	if st.MethodSettings == nil {
		st.MethodSettings = map[string]apigatewayapi.MethodSetting{}
	}
	ms, ok := st.MethodSettings[key]
	if !ok {
		ms = defaultMethodSetting()
		// Unset until set: GET methods stay cached by default (reported
		// as false, as AWS reports it).
		ms.CachingEnabled = nil
	}
	var err error
	b := func(dst **bool) {
		var v bool
		if v, err = parseBool(value); err == nil {
			*dst = &v
		}
	}
	switch setting {
	case "metrics/enabled":
		b(&ms.MetricsEnabled)
	case "logging/loglevel":
		lvl := strings.ToUpper(ptr.Deref(value))
		if !logLevels[lvl] {
			return badRequest("Invalid logging level specified: %s. Valid values are OFF, ERROR, INFO", ptr.Deref(value))
		}
		if lvl != "OFF" {
			if err := s.needCloudWatchRole(ctx); err != nil {
				return err
			}
		}
		ms.LoggingLevel = &lvl
	case "logging/dataTrace":
		b(&ms.DataTraceEnabled)
	case "throttling/burstLimit":
		n, perr := strconv.Atoi(ptr.Deref(value))
		if perr != nil || n < 0 {
			return badRequest("Invalid burst limit: %s", ptr.Deref(value))
		}
		ms.ThrottlingBurstLimit = ptr.To(int32(n))
	case "throttling/rateLimit":
		f, perr := strconv.ParseFloat(ptr.Deref(value), 64)
		if perr != nil || f < 0 {
			return badRequest("Invalid rate limit: %s", ptr.Deref(value))
		}
		ms.ThrottlingRateLimit = &f
	case "caching/enabled":
		b(&ms.CachingEnabled)
	case "caching/ttlInSeconds":
		n, perr := strconv.Atoi(ptr.Deref(value))
		if perr != nil || n < 0 || n > 3600 {
			return badRequest("Cache TTL must be between 0 and 3600 seconds")
		}
		ms.CacheTtlInSeconds = ptr.To(int32(n))
	case "caching/dataEncrypted":
		b(&ms.CacheDataEncrypted)
	case "caching/requireAuthorizationForCacheControl":
		b(&ms.RequireAuthorizationForCacheControl)
	case "caching/unauthorizedCacheControlHeaderStrategy":
		if !cacheStrategies[ptr.Deref(value)] {
			return badRequest("Invalid unauthorized cache control header strategy: %s", ptr.Deref(value))
		}
		ms.UnauthorizedCacheControlHeaderStrategy = value
	default:
		return badRequest("Invalid method setting path: %s", setting)
	}
	if err != nil {
		return err
	}
	st.MethodSettings[key] = ms
	return nil
}

// defaultMethodSetting is what API Gateway reports for a method setting
// nothing has changed yet.
func defaultMethodSetting() apigatewayapi.MethodSetting {
	return apigatewayapi.MethodSetting{MetricsEnabled: ptr.To(false), LoggingLevel: ptr.To("OFF"), DataTraceEnabled: ptr.To(false),
		ThrottlingBurstLimit: ptr.To(int32(5000)), ThrottlingRateLimit: ptr.To(10000.0), CachingEnabled: ptr.To(false),
		CacheTtlInSeconds: ptr.To(int32(300)), CacheDataEncrypted: ptr.To(false), RequireAuthorizationForCacheControl: ptr.To(true),
		UnauthorizedCacheControlHeaderStrategy: ptr.To("SUCCEED_WITH_RESPONSE_HEADER")}
}

// methodSetting is the settings that apply to a method: its own, else
// the stage-wide "*/*", else the defaults; set tells whether any was.
func methodSetting(st apigatewayapi.Stage, resourcePath, verb string) (apigatewayapi.MethodSetting, bool) {
	if ms, ok := st.MethodSettings[strings.TrimPrefix(resourcePath, "/")+"/"+verb]; ok {
		return ms, true
	}
	if ms, ok := st.MethodSettings["*/*"]; ok {
		return ms, true
	}
	d := defaultMethodSetting()
	d.CachingEnabled = nil // GET methods cached by default
	return d, false
}

// patchCanary changes a stage's canary settings.
func patchCanary(a *restAPI, st *apigatewayapi.Stage, op, field string, value *string) error {
	if st.CanarySettings == nil {
		st.CanarySettings = &apigatewayapi.CanarySettings{PercentTraffic: ptr.To(0.0), UseStageCache: ptr.To(false)}
	}
	cs := st.CanarySettings
	if name, ok := strings.CutPrefix(field, "stageVariableOverrides/"); ok && name != "" {
		if op == "remove" {
			delete(cs.StageVariableOverrides, name)
			return nil
		}
		if cs.StageVariableOverrides == nil {
			cs.StageVariableOverrides = map[string]string{}
		}
		cs.StageVariableOverrides[name] = ptr.Deref(value)
		return nil
	}
	switch field {
	case "percentTraffic":
		f, err := strconv.ParseFloat(ptr.Deref(value), 64)
		if err != nil || f < 0 || f > 100 {
			return badRequest("Canary traffic percentage must be between 0.0 and 100.0")
		}
		cs.PercentTraffic = &f
	case "deploymentId":
		if _, ok := a.Deployments[ptr.Deref(value)]; !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid Deployment identifier specified")
		}
		cs.DeploymentId = value
	case "useStageCache":
		on, err := parseBool(value)
		if err != nil {
			return err
		}
		cs.UseStageCache = &on
	default:
		return badRequest("Invalid patch path /canarySettings/%s", field)
	}
	return nil
}

// canaryCounter splits a stage's traffic by counting: of every request
// n (from 0), the canary takes those where floor((n+1)p/100) exceeds
// floor(n·p/100) — exactly p percent over any run of 100/p requests, so
// tests can predict the split that AWS makes at random.
func (s *APIGateway) toCanary(key string, percent float64) bool {
	if percent <= 0 {
		return false
	}
	if percent >= 100 {
		return true
	}
	s.cmu.Lock()
	n := s.canaryCount[key]
	s.canaryCount[key] = n + 1
	s.cmu.Unlock()
	return int64(float64(n+1)*percent/100) > int64(float64(n)*percent/100)
}

// captureWriter records the status and size of the response for the
// stage's logs and metrics, and its bytes when the response is cached.
type captureWriter struct {
	http.ResponseWriter
	status int
	size   int
	keep   *recorder
}

func (w *captureWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *captureWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.size += len(b)
	if w.keep != nil {
		if _, err := w.keep.Write(b); err != nil {
			w.keep = nil // over the limit: not cached
		}
	}
	return w.ResponseWriter.Write(b)
}

// finish writes the call's access log line, execution log and metrics.
func (s *APIGateway) finish(c *call, w *captureWriter, latency time.Duration) {
	for _, line := range c.execLog {
		s.log.Warn("apigateway: "+line, "api", c.apiID, "stage", ptr.Deref(c.stage.StageName), "requestId", c.reqID)
	}
	if c.stage.StageName == nil || c.loc.Account == "" {
		return // no stage: nothing is logged on AWS either
	}
	status := w.status
	if status == 0 {
		status = http.StatusOK
	}
	name := ptr.Deref(c.stage.StageName)
	if s.logs != nil {
		s.writeExecutionLog(c, status)
		if al := c.stage.AccessLogSettings; al != nil && ptr.Deref(al.DestinationArn) != "" && ptr.Deref(al.Format) != "" {
			if sc, group, ok := logGroupARN(*al.DestinationArn); ok {
				line := accessLogLine(*al.Format, c.accessLogVars(status, w.size, latency))
				sum := sha256.Sum256([]byte(c.apiID + "/" + name))
				if err := s.logs.AppendLogEvents(sc.Account, sc.Region, group, hex.EncodeToString(sum[:16]),
					[]LogEvent{{Time: c.now, Message: line}}); err != nil {
					s.log.Warn("apigateway: writing the access log failed", "group", group, "error", err)
				}
			}
		}
	}
	if s.bus == nil {
		return
	}
	bit := func(ok bool) float64 {
		if ok {
			return 1
		}
		return 0
	}
	dims := map[string]string{"ApiName": ptr.Deref(c.api.API.Name), "Stage": name}
	point := func(d map[string]string) []events.Metric {
		ms := []events.Metric{
			{Namespace: "AWS/ApiGateway", Name: "Count", Dimensions: d, Value: 1, Unit: "Count", Time: c.now},
			{Namespace: "AWS/ApiGateway", Name: "4XXError", Dimensions: d, Value: bit(status/100 == 4), Unit: "Count", Time: c.now},
			{Namespace: "AWS/ApiGateway", Name: "5XXError", Dimensions: d, Value: bit(status/100 == 5), Unit: "Count", Time: c.now},
			{Namespace: "AWS/ApiGateway", Name: "Latency", Dimensions: d, Value: float64(latency.Milliseconds()), Unit: "Milliseconds", Time: c.now},
		}
		if c.integrated {
			ms = append(ms, events.Metric{Namespace: "AWS/ApiGateway", Name: "IntegrationLatency", Dimensions: d,
				Value: float64(c.integrationLatency.Milliseconds()), Unit: "Milliseconds", Time: c.now})
		}
		if c.cacheUsed {
			ms = append(ms,
				events.Metric{Namespace: "AWS/ApiGateway", Name: "CacheHitCount", Dimensions: d, Value: bit(c.cacheHit), Unit: "Count", Time: c.now},
				events.Metric{Namespace: "AWS/ApiGateway", Name: "CacheMissCount", Dimensions: d, Value: bit(!c.cacheHit), Unit: "Count", Time: c.now})
		}
		return ms
	}
	ms := point(dims)
	if set, _ := c.settings(); ptr.Deref(set.MetricsEnabled) && c.resource.Path != nil {
		// Detailed metrics: per method and resource too.
		ms = append(ms, point(map[string]string{"ApiName": dims["ApiName"], "Stage": name,
			"Method": c.r.Method, "Resource": ptr.Deref(c.resource.Path)})...)
	}
	s.bus.PublishMetrics(c.loc.Account, c.loc.Region, ms...)
}

// writeExecutionLog writes the call's execution log to
// API-Gateway-Execution-Logs_<api>/<stage> when the method's logging
// level asks for it (INFO: every line; ERROR: failures only).
func (s *APIGateway) writeExecutionLog(c *call, status int) {
	set, _ := c.settings()
	lvl := ptr.Deref(set.LoggingLevel)
	if lvl != "INFO" && (lvl != "ERROR" || len(c.execLog) == 0) {
		return
	}
	lines := []string{}
	if lvl == "INFO" {
		lines = append(lines, "Extended Request Id: "+c.reqID, "Starting execution for request: "+c.reqID,
			"HTTP Method: "+c.r.Method+", Resource Path: "+c.path)
	}
	lines = append(lines, c.execLog...)
	if lvl == "INFO" {
		lines = append(lines, "Method completed with status: "+strconv.Itoa(status))
	}
	evs := make([]LogEvent, len(lines))
	for i, l := range lines {
		evs[i] = LogEvent{Time: c.now, Message: "(" + c.reqID + ") " + l}
	}
	group := "API-Gateway-Execution-Logs_" + c.apiID + "/" + ptr.Deref(c.stage.StageName)
	sum := sha256.Sum256([]byte(c.reqID))
	if err := s.logs.AppendLogEvents(c.loc.Account, c.loc.Region, group, hex.EncodeToString(sum[:16]), evs); err != nil {
		s.log.Warn("apigateway: writing the execution log failed", "group", group, "error", err)
	}
}

// settings is the method settings of the call's method.
func (c *call) settings() (apigatewayapi.MethodSetting, bool) {
	path := ptr.Deref(c.resource.Path)
	if _, own := c.resource.ResourceMethods[c.r.Method]; !own {
		if _, anyVerb := c.resource.ResourceMethods["ANY"]; anyVerb {
			if ms, ok := c.stage.MethodSettings[strings.TrimPrefix(path, "/")+"/ANY"]; ok {
				return ms, true
			}
		}
	}
	return methodSetting(c.stage, path, c.r.Method)
}

var contextVarRE = lazyre.New(`\$context\.[A-Za-z0-9_.]+`)

// accessLogLine substitutes $context variables in an access log format;
// a variable without a value is "-", as API Gateway writes it.
func accessLogLine(format string, vars map[string]string) string {
	return contextVarRE.ReplaceAllStringFunc(format, func(m string) string {
		name := strings.TrimPrefix(m, "$context.")
		for {
			if v, ok := vars[name]; ok {
				if v == "" {
					return "-"
				}
				return v
			}
			// "$context.status." at a sentence's end: drop the dot.
			i := strings.LastIndexByte(name, '.')
			if i < 0 {
				return "-"
			}
			suffix := name[i:]
			name = name[:i]
			if v, ok := vars[name]; ok {
				if v == "" {
					v = "-"
				}
				return v + suffix
			}
		}
	})
}

// accessLogVars are the $context variables of access logs.
func (c *call) accessLogVars(status, size int, latency time.Duration) map[string]string {
	out := map[string]string{}
	var walk func(prefix string, m map[string]any)
	walk = func(prefix string, m map[string]any) {
		for k, v := range m {
			switch v := v.(type) {
			case map[string]any:
				walk(prefix+k+".", v)
			case string:
				out[prefix+k] = v
			case int64:
				out[prefix+k] = strconv.FormatInt(v, 10)
			}
		}
	}
	walk("", c.contextVars())
	out["status"] = strconv.Itoa(status)
	out["responseLength"] = strconv.Itoa(size)
	out["responseLatency"] = strconv.FormatInt(latency.Milliseconds(), 10)
	out["requestTimeEpoch"] = strconv.FormatInt(c.now.UnixMilli(), 10)
	if c.integrated {
		out["integrationLatency"] = strconv.FormatInt(c.integrationLatency.Milliseconds(), 10)
		out["integration.latency"] = out["integrationLatency"]
	}
	if c.integrationStatus != 0 {
		out["integrationStatus"] = strconv.Itoa(c.integrationStatus)
		out["integration.status"] = out["integrationStatus"]
	}
	if c.errorMessage != "" {
		out["error.message"] = c.errorMessage
		out["error.responseType"] = c.errorType
	}
	return out
}

// setCacheCluster sets a new stage's cache cluster.
func setCacheCluster(st *apigatewayapi.Stage, enabled *bool, size *string) error {
	on := ptr.Deref(enabled)
	st.CacheClusterEnabled = &on
	if size != nil {
		if !cacheSizes[*size] {
			return badRequest("Invalid cache cluster size specified: %s", *size)
		}
		st.CacheClusterSize = size
	} else if on {
		st.CacheClusterSize = ptr.To("0.5")
	}
	st.CacheClusterStatus = ptr.To(cacheStatus(on))
	return nil
}

// describeStage fills in what a stage reports but does not store: the
// web ACL WAF associates with it.
func (s *APIGateway) describeStage(ctx *request.Context, api string, st *apigatewayapi.Stage) {
	if len(st.MethodSettings) > 0 {
		ms := make(map[string]apigatewayapi.MethodSetting, len(st.MethodSettings))
		for k, v := range st.MethodSettings {
			if v.CachingEnabled == nil {
				v.CachingEnabled = ptr.To(false)
			}
			ms[k] = v
		}
		st.MethodSettings = ms
	}
	if s.firewall == nil {
		return
	}
	if arn := s.firewall.WebACLOf(ctx.Account, ctx.Region, stageARN(ctx.Region, api, ptr.Deref(st.StageName))); arn != "" {
		st.WebAclArn = &arn
	}
}

// methodThrottle applies the stage's throttling method settings (when
// set: AWS's defaults are the account's 10,000 a second, burst 5,000,
// which niwa does not enforce); a rate and burst of 0 refuse every call.
func (s *APIGateway) methodThrottle(c *call) bool {
	set, explicit := c.settings()
	if !explicit || set.ThrottlingRateLimit == nil || set.ThrottlingBurstLimit == nil {
		return true
	}
	rate, burst := *set.ThrottlingRateLimit, float64(*set.ThrottlingBurstLimit)
	if rate == 10000 && burst == 5000 {
		return true
	}
	if rate <= 0 && burst <= 0 {
		return false
	}
	if burst < 1 {
		burst = max(rate, 1)
	}
	key := "stage:" + stageKey(c.apiID, ptr.Deref(c.stage.StageName)) + "/" + ptr.Deref(c.resource.Path) + "/" + c.r.Method
	return s.takeToken(key, rate, burst, c.now)
}

// forgetStageBuckets drops a stage's method throttle buckets so changed
// settings apply from the next request.
func (s *APIGateway) forgetStageBuckets(api, stage string) {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	prefix := "stage:" + stageKey(api, stage) + "/"
	for k := range s.buckets {
		if strings.HasPrefix(k, prefix) {
			delete(s.buckets, k)
		}
	}
}
