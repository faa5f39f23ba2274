// Package executeapi parses the invoke URLs API Gateway's REST and HTTP
// APIs share (the execute-api host and LocalStack's path form), so both
// services claim exactly the same requests.
//
//	http://<apiId>.execute-api.localhost:4566/<path>
//	http://localhost:4566/restapis/<apiId>/<stage>/_user_request_/<path>
package executeapi

import (
	"net"
	"net/http"
	"strings"

	"github.com/niwa-cloud/niwa/internal/lazyre"
)

// HostSuffix ends the execute-api host niwa hands out for an API (its
// invoke URL's host, <apiId>.execute-api.localhost), which niwa's DNS
// answers.
const HostSuffix = ".execute-api.localhost"

// HostRE matches an execute-api host name; its group is the API id.
var HostRE = lazyre.New(`^([a-z0-9]{10})\.execute-api\.`)

const userRequest = "/_user_request_"

// Host is the API id an execute-api Host header names.
func Host(r *http.Request) (string, bool) {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if m := HostRE.FindStringSubmatch(strings.ToLower(host)); m != nil {
		return m[1], true
	}
	return "", false
}

// Path splits the LocalStack-style path into API id (possibly empty),
// stage (as escaped in the path) and the path that follows ("/..."),
// still escaped.
func Path(r *http.Request) (api, stage, path string, ok bool) {
	rest, found := strings.CutPrefix(r.URL.EscapedPath(), "/restapis/")
	if !found {
		return "", "", "", false
	}
	head, tail, found := strings.Cut(rest, userRequest)
	if !found || tail != "" && tail[0] != '/' {
		return "", "", "", false
	}
	api, stage, found = strings.Cut(head, "/")
	if !found || strings.Contains(stage, "/") {
		return "", "", "", false
	}
	if tail == "" {
		tail = "/"
	}
	return api, stage, tail, true
}
