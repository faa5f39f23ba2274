package apigateway

import (
	"bytes"
	"net/http"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// recorder is an in-memory http.ResponseWriter for TestInvokeMethod.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	if r.body.Len()+len(b) > maxPayload {
		return 0, errTooLong
	}
	return r.body.Write(b)
}
func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}

type tooLong struct{}

func (tooLong) Error() string { return "response over API Gateway's 10 MB limit" }

var errTooLong error = tooLong{}

// TestInvokeMethod runs a method as the console's Test button does: on
// the API as it is now (no deployment), without authorization or API
// key checks, in stage "test-invoke-stage" with the given variables.
func (s *APIGateway) TestInvokeMethod(ctx *request.Context, in *apigatewayapi.TestInvokeMethodRequest) (*apigatewayapi.TestInvokeMethodResponse, error) {
	a, err := s.view(ctx, ptr.Deref(in.RestApiId))
	if err != nil {
		return nil, err
	}
	res, ok := a.Resources[ptr.Deref(in.ResourceId)]
	if !ok {
		return nil, errNoResource()
	}
	verb := ptr.Deref(in.HttpMethod)
	m, ok := res.ResourceMethods[verb]
	if !ok {
		return nil, errNoMethod()
	}
	target := ptr.Deref(in.PathWithQueryString)
	if target == "" {
		target = ptr.Deref(res.Path)
	}
	if !strings.HasPrefix(target, "/") {
		target = "/" + target
	}
	method := verb
	if method == "ANY" {
		method = http.MethodGet
	}
	r, err := http.NewRequestWithContext(ctx, method, "http://test-invoke"+target, strings.NewReader(ptr.Deref(in.Body)))
	if err != nil {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid pathWithQueryString: %s", target)
	}
	for k, vs := range in.MultiValueHeaders {
		for _, v := range vs {
			r.Header.Add(k, v)
		}
	}
	for k, v := range in.Headers {
		r.Header.Set(k, v)
	}
	r.RemoteAddr = "127.0.0.1:0"
	c := &call{r: r, reqID: awsid.UUID(), now: ctx.Now().UTC(), loc: location{ctx.Account, ctx.Region}, api: a,
		apiID: ptr.Deref(in.RestApiId), stage: apigatewayapi.Stage{StageName: ptr.To("test-invoke-stage"), Variables: in.StageVariables},
		resource: res, method: m, path: r.URL.Path, body: []byte(ptr.Deref(in.Body))}
	if matched, params, ok := match(a.Resources, r.URL.Path); ok && ptr.Deref(matched.Id) == ptr.Deref(res.Id) {
		c.pathParams = params
	}
	w := &recorder{header: http.Header{}}
	start := time.Now()
	if e, ok := s.integrate(w, c); !ok {
		s.writeGatewayError(w, c, e)
	}
	out := &apigatewayapi.TestInvokeMethodResponse{Status: ptr.To(int32(w.status)), Body: ptr.To(w.body.String()),
		Headers: map[string]string{}, MultiValueHeaders: map[string][]string(w.header),
		Latency: ptr.To(time.Since(start).Milliseconds()), Log: ptr.To("")}
	for k, v := range w.header {
		out.Headers[k] = v[len(v)-1]
	}
	return out, nil
}
