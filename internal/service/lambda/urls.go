package lambda

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// urlConfig is a function URL, keyed (name, qualifier).
type urlConfig struct {
	Config lambdaapi.FunctionUrlConfig `json:"config"`
	ID     string                      `json:"id"`
}

// urlTarget finds the function of a URL id (global index).
type urlTarget struct {
	Account, Region, Name, Qualifier string
}

var (
	urls   = storage.NewTable[urlConfig]("url")
	urlIDs = storage.NewTable[urlTarget]("url-id")
)

type urlsT struct{}

func (urlsT) deleteAll(tx storage.Tx, sc storage.Scope, name string) error {
	var ids []string
	if err := urls.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, u urlConfig) bool {
		ids = append(ids, u.ID)
		return true
	}); err != nil {
		return err
	}
	for _, id := range ids {
		if err := urlIDs.Delete(tx, storage.Scope{}, id); err != nil {
			return err
		}
	}
	return deleteUnder(tx, sc, urls.Name(), name)
}

const urlAlphabet = "abcdefghijklmnopqrstuvwxyz0123456789"

func newURLID() string {
	return awsid.String(urlAlphabet, 32)
}

// urlFor is the address niwa serves a function URL on.
func (l *Lambda) urlFor(id, region string) string {
	port := ""
	if u, err := url.Parse(l.opt.Endpoint()); err == nil && u.Port() != "" {
		port = ":" + u.Port()
	}
	return "http://" + id + ".lambda-url." + region + "." + l.opt.URLHostSuffix + port + "/"
}

// CreateFunctionUrlConfig gives a function (or alias) a URL.
func (l *Lambda) CreateFunctionUrlConfig(ctx *request.Context, in *lambdaapi.CreateFunctionUrlConfigRequest) (*lambdaapi.CreateFunctionUrlConfigResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if _, err := strconv.Atoi(qual); err == nil || qual == latest {
		return nil, errInvalidParam("Function URLs can only be created for an alias or the unqualified function.")
	}
	id := newURLID()
	now := lastModified(ctx.Now())
	arn := functionARN(sc, name)
	if qual != "" {
		arn += ":" + qual
	}
	u := urlConfig{ID: id, Config: lambdaapi.FunctionUrlConfig{
		FunctionUrl: ptr.To(l.urlFor(id, sc.Region)), FunctionArn: ptr.To(arn), AuthType: in.AuthType, Cors: in.Cors,
		CreationTime: ptr.To(now), LastModifiedTime: ptr.To(now), InvokeMode: ptr.To("BUFFERED"),
	}}
	if in.InvokeMode != nil {
		u.Config.InvokeMode = in.InvokeMode
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		if _, ok, err := urls.Get(tx, sc, name, qual); err != nil {
			return err
		} else if ok {
			return errConflict("Failed to create function url config for [functionArn = %s]. Error message:  FunctionUrlConfig exists for this Lambda function", arn)
		}
		if err := urlIDs.Put(tx, storage.Scope{}, urlTarget{sc.Account, sc.Region, name, qual}, id); err != nil {
			return err
		}
		return urls.Put(tx, sc, u, name, qual)
	})
	if err != nil {
		return nil, err
	}
	c := u.Config
	return &lambdaapi.CreateFunctionUrlConfigResponse{FunctionUrl: c.FunctionUrl, FunctionArn: c.FunctionArn, AuthType: c.AuthType, Cors: c.Cors, CreationTime: c.CreationTime, InvokeMode: c.InvokeMode}, nil
}

func (l *Lambda) getURL(ctx *request.Context, fnName string, qualifier *string) (urlConfig, string, string, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, fnName, qualifier)
	if err != nil {
		return urlConfig{}, "", "", err
	}
	var u urlConfig
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		var ok bool
		u, ok, err = urls.Get(tx, sc, name, qual)
		if err == nil && !ok {
			err = errNotFound("The resource you requested does not exist.")
		}
		return err
	})
	return u, name, qual, err
}

// GetFunctionUrlConfig returns a function URL.
func (l *Lambda) GetFunctionUrlConfig(ctx *request.Context, in *lambdaapi.GetFunctionUrlConfigRequest) (*lambdaapi.GetFunctionUrlConfigResponse, error) {
	u, _, _, err := l.getURL(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	c := u.Config
	return &lambdaapi.GetFunctionUrlConfigResponse{FunctionUrl: c.FunctionUrl, FunctionArn: c.FunctionArn, AuthType: c.AuthType, Cors: c.Cors, CreationTime: c.CreationTime, LastModifiedTime: c.LastModifiedTime, InvokeMode: c.InvokeMode}, nil
}

// UpdateFunctionUrlConfig changes a function URL's settings.
func (l *Lambda) UpdateFunctionUrlConfig(ctx *request.Context, in *lambdaapi.UpdateFunctionUrlConfigRequest) (*lambdaapi.UpdateFunctionUrlConfigResponse, error) {
	u, name, qual, err := l.getURL(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if in.AuthType != nil {
		u.Config.AuthType = in.AuthType
	}
	if in.Cors != nil {
		u.Config.Cors = in.Cors
	}
	if in.InvokeMode != nil {
		u.Config.InvokeMode = in.InvokeMode
	}
	u.Config.LastModifiedTime = ptr.To(lastModified(ctx.Now()))
	if err := l.opt.Store.Update(func(tx storage.Tx) error { return urls.Put(tx, scope(ctx), u, name, qual) }); err != nil {
		return nil, err
	}
	c := u.Config
	return &lambdaapi.UpdateFunctionUrlConfigResponse{FunctionUrl: c.FunctionUrl, FunctionArn: c.FunctionArn, AuthType: c.AuthType, Cors: c.Cors, CreationTime: c.CreationTime, LastModifiedTime: c.LastModifiedTime, InvokeMode: c.InvokeMode}, nil
}

// DeleteFunctionUrlConfig removes a function URL.
func (l *Lambda) DeleteFunctionUrlConfig(ctx *request.Context, in *lambdaapi.DeleteFunctionUrlConfigRequest) (*lambdaapi.DeleteFunctionUrlConfigOutput, error) {
	u, name, qual, err := l.getURL(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if err := urlIDs.Delete(tx, storage.Scope{}, u.ID); err != nil {
			return err
		}
		return urls.Delete(tx, scope(ctx), name, qual)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteFunctionUrlConfigOutput{}, nil
}

// ListFunctionUrlConfigs lists a function's URLs.
func (l *Lambda) ListFunctionUrlConfigs(ctx *request.Context, in *lambdaapi.ListFunctionUrlConfigsRequest) (*lambdaapi.ListFunctionUrlConfigsResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.ListFunctionUrlConfigsResponse{FunctionUrlConfigs: []lambdaapi.FunctionUrlConfig{}}
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		return urls.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, u urlConfig) bool {
			out.FunctionUrlConfigs = append(out.FunctionUrlConfigs, u.Config)
			return true
		})
	})
	return out, err
}

// MatchURL reports whether r is for a function URL host.
func (l *Lambda) MatchURL(r *http.Request) bool {
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Contains(host, ".lambda-url.")
}

// ServeURL invokes a function through its URL with the version 2.0 event
// of API Gateway HTTP APIs, and turns the result into the HTTP response
// as AWS does. AWS_IAM URLs require a SigV4-signed request; the signature
// itself is not verified here.
func (l *Lambda) ServeURL(w http.ResponseWriter, r *http.Request) {
	host := r.Host
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	id, _, _ := strings.Cut(host, ".")
	var tg urlTarget
	var u urlConfig
	var ok bool
	if err := l.opt.Store.View(func(tx storage.Tx) error {
		var err error
		if tg, ok, err = urlIDs.Get(tx, storage.Scope{}, id); err != nil || !ok {
			return err
		}
		u, ok, err = urls.Get(tx, storage.Scope{Account: tg.Account, Region: tg.Region}, tg.Name, tg.Qualifier)
		return err
	}); err != nil {
		l.opt.Log.Error("lambda: reading a function URL failed", "url", id, "err", err)
		urlError(w, http.StatusInternalServerError, "Internal Server Error")
		return
	}
	if !ok {
		urlError(w, http.StatusForbidden, "Forbidden")
		return
	}
	if ptr.Deref(u.Config.AuthType) == "AWS_IAM" && !strings.HasPrefix(r.Header.Get("Authorization"), "AWS4-HMAC-SHA256") && r.URL.Query().Get("X-Amz-Signature") == "" {
		urlError(w, http.StatusForbidden, "Forbidden")
		return
	}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxSyncPayload+1))
	if len(body) > maxSyncPayload {
		urlError(w, http.StatusRequestEntityTooLarge, "Request must be smaller than 6291456 bytes for the InvokeFunction operation")
		return
	}
	sc := storage.Scope{Account: tg.Account, Region: tg.Region}
	t, err := l.resolve(sc, tg.Name, tg.Qualifier)
	if err != nil {
		urlError(w, http.StatusNotFound, "Not Found")
		return
	}
	reqID := awsid.UUID()
	headers := map[string]string{}
	for k, v := range r.Header {
		headers[strings.ToLower(k)] = strings.Join(v, ",")
	}
	qs := map[string]string{}
	for k, v := range r.URL.Query() {
		qs[k] = strings.Join(v, ",")
	}
	now := l.opt.Clock.Now()
	isText := json.Valid(body) || strings.HasPrefix(r.Header.Get("Content-Type"), "text/") || len(body) == 0
	ev := map[string]any{
		"version": "2.0", "routeKey": "$default", "rawPath": r.URL.Path, "rawQueryString": r.URL.RawQuery,
		"headers": headers, "isBase64Encoded": !isText,
		"requestContext": map[string]any{
			"accountId": "anonymous", "apiId": id, "domainName": r.Host, "domainPrefix": id,
			"http":      map[string]any{"method": r.Method, "path": r.URL.Path, "protocol": r.Proto, "sourceIp": r.RemoteAddr, "userAgent": r.UserAgent()},
			"requestId": reqID, "routeKey": "$default", "stage": "$default",
			"time": now.UTC().Format("02/Jan/2006:15:04:05 -0700"), "timeEpoch": now.UnixMilli(),
		},
	}
	if len(qs) > 0 {
		ev["queryStringParameters"] = qs
	}
	if len(body) > 0 {
		if isText {
			ev["body"] = string(body)
		} else {
			ev["body"] = base64.StdEncoding.EncodeToString(body)
		}
	}
	if c := r.Header.Values("Cookie"); len(c) > 0 {
		ev["cookies"] = strings.Split(strings.Join(c, "; "), "; ")
	}
	payload, _ := json.Marshal(ev)
	res, err := l.run(r.Context(), t, reqID, payload, "")
	if err != nil || res.FunctionError != "" {
		urlError(w, http.StatusBadGateway, "Internal Server Error")
		return
	}
	w.Header().Set("X-Amzn-Requestid", reqID)
	var shaped struct {
		StatusCode      *int              `json:"statusCode"`
		Headers         map[string]string `json:"headers"`
		Body            *string           `json:"body"`
		IsBase64Encoded bool              `json:"isBase64Encoded"`
		Cookies         []string          `json:"cookies"`
	}
	if json.Unmarshal(res.Payload, &shaped) != nil || shaped.StatusCode == nil {
		// Anything but an object with statusCode is the body itself.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		w.Write(res.Payload)
		return
	}
	for k, v := range shaped.Headers {
		w.Header().Set(k, v)
	}
	for _, c := range shaped.Cookies {
		w.Header().Add("Set-Cookie", c)
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(*shaped.StatusCode)
	if shaped.Body != nil {
		if shaped.IsBase64Encoded {
			b, _ := base64.StdEncoding.DecodeString(*shaped.Body)
			w.Write(b)
		} else {
			io.WriteString(w, *shaped.Body)
		}
	}
}

func urlError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"Message": msg})
	w.Write(b)
}

// Provisioned concurrency: recorded and reported READY at once (an
// environment starts on first use either way).

var provisioned = storage.NewTable[lambdaapi.ProvisionedConcurrencyConfigListItem]("provisioned")

type provisionedT struct{}

func (provisionedT) deleteAll(tx storage.Tx, sc storage.Scope, name string) error {
	return deleteUnder(tx, sc, provisioned.Name(), name)
}

// PutProvisionedConcurrencyConfig records provisioned concurrency.
func (l *Lambda) PutProvisionedConcurrencyConfig(ctx *request.Context, in *lambdaapi.PutProvisionedConcurrencyConfigRequest) (*lambdaapi.PutProvisionedConcurrencyConfigResponse, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if qual == "" || qual == latest {
		return nil, errInvalidParam("Provisioned Concurrency Configs cannot be applied to unpublished function versions.")
	}
	n := in.ProvisionedConcurrentExecutions
	item := lambdaapi.ProvisionedConcurrencyConfigListItem{
		FunctionArn: ptr.To(functionARN(sc, name) + ":" + qual), RequestedProvisionedConcurrentExecutions: n,
		AvailableProvisionedConcurrentExecutions: n, AllocatedProvisionedConcurrentExecutions: n,
		Status: ptr.To("READY"), LastModified: ptr.To(lastModified(ctx.Now())),
	}
	err = l.opt.Store.Update(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		return provisioned.Put(tx, sc, item, name, qual)
	})
	if err != nil {
		return nil, err
	}
	return &lambdaapi.PutProvisionedConcurrencyConfigResponse{
		RequestedProvisionedConcurrentExecutions: n, AvailableProvisionedConcurrentExecutions: ptr.To(int32(0)),
		AllocatedProvisionedConcurrentExecutions: ptr.To(int32(0)), Status: ptr.To("IN_PROGRESS"), LastModified: item.LastModified,
	}, nil
}

func (l *Lambda) getProvisioned(ctx *request.Context, fnName string, qualifier *string) (lambdaapi.ProvisionedConcurrencyConfigListItem, string, string, error) {
	sc := scope(ctx)
	name, qual, err := parseName(ctx, fnName, qualifier)
	if err != nil {
		return lambdaapi.ProvisionedConcurrencyConfigListItem{}, "", "", err
	}
	var it lambdaapi.ProvisionedConcurrencyConfigListItem
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, qual); err != nil {
			return err
		}
		var ok bool
		it, ok, err = provisioned.Get(tx, sc, name, qual)
		if err == nil && !ok {
			err = lambdaapi.ErrProvisionedConcurrencyConfigNotFoundException.New("No Provisioned Concurrency Config found for this function").With("Type", "User")
		}
		return err
	})
	return it, name, qual, err
}

// GetProvisionedConcurrencyConfig returns provisioned concurrency.
func (l *Lambda) GetProvisionedConcurrencyConfig(ctx *request.Context, in *lambdaapi.GetProvisionedConcurrencyConfigRequest) (*lambdaapi.GetProvisionedConcurrencyConfigResponse, error) {
	it, _, _, err := l.getProvisioned(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	return &lambdaapi.GetProvisionedConcurrencyConfigResponse{
		RequestedProvisionedConcurrentExecutions: it.RequestedProvisionedConcurrentExecutions,
		AvailableProvisionedConcurrentExecutions: it.AvailableProvisionedConcurrentExecutions,
		AllocatedProvisionedConcurrentExecutions: it.AllocatedProvisionedConcurrentExecutions,
		Status:                                   it.Status, LastModified: it.LastModified,
	}, nil
}

// DeleteProvisionedConcurrencyConfig removes provisioned concurrency.
func (l *Lambda) DeleteProvisionedConcurrencyConfig(ctx *request.Context, in *lambdaapi.DeleteProvisionedConcurrencyConfigRequest) (*lambdaapi.DeleteProvisionedConcurrencyConfigOutput, error) {
	_, name, qual, err := l.getProvisioned(ctx, ptr.Deref(in.FunctionName), in.Qualifier)
	if err != nil {
		return nil, err
	}
	if err := l.opt.Store.Update(func(tx storage.Tx) error { return provisioned.Delete(tx, scope(ctx), name, qual) }); err != nil {
		return nil, err
	}
	return &lambdaapi.DeleteProvisionedConcurrencyConfigOutput{}, nil
}

// ListProvisionedConcurrencyConfigs lists a function's provisioned concurrency.
func (l *Lambda) ListProvisionedConcurrencyConfigs(ctx *request.Context, in *lambdaapi.ListProvisionedConcurrencyConfigsRequest) (*lambdaapi.ListProvisionedConcurrencyConfigsResponse, error) {
	sc := scope(ctx)
	name, _, err := parseName(ctx, ptr.Deref(in.FunctionName), nil)
	if err != nil {
		return nil, err
	}
	out := &lambdaapi.ListProvisionedConcurrencyConfigsResponse{ProvisionedConcurrencyConfigs: []lambdaapi.ProvisionedConcurrencyConfigListItem{}}
	err = l.opt.Store.View(func(tx storage.Tx) error {
		if _, _, err := l.getFunction(tx, sc, name, ""); err != nil {
			return err
		}
		return provisioned.List(tx, sc, []string{name}, storage.ListOptions{}, func(_ []string, it lambdaapi.ProvisionedConcurrencyConfigListItem) bool {
			out.ProvisionedConcurrencyConfigs = append(out.ProvisionedConcurrencyConfigs, it)
			return true
		})
	})
	return out, err
}
