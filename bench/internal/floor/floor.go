// Package floor is the trivial HTTP server every bench figure is compared
// with: Go's net/http answering each request with a fixed body and nothing
// else. The bench binary serves it for the CPU floor (-floor-serve), and
// bench/floorserver serves it from a binary of its own for the start-up
// floor (a binary's size and package initializers are part of what a
// start costs, and the bench binary links the AWS SDK).
package floor

import (
	"io"
	"net/http"
	"strconv"
	"strings"
)

// Body is the trivial server's whole answer: 30 bytes of JSON.
var Body = []byte(`{"ok":true,"server":"floor-1"}`)

// STSBody is a fixed GetCallerIdentity answer, for the bench's request
// sent by the SDK.
var STSBody = []byte(`<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult>` +
	`<Arn>arn:aws:iam::000000000000:root</Arn><UserId>000000000000</UserId><Account>000000000000</Account></GetCallerIdentityResult>` +
	`<ResponseMetadata><RequestId>01234567-89ab-cdef-0123-456789abcdef</RequestId></ResponseMetadata></GetCallerIdentityResponse>`)

// Handler answers every request with Body (it is also the load balancer
// workloads' target), but a form-encoded POST (the query protocol's, the
// SDK's STS request) with STSBody.
func Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		body, ctype := Body, "application/json"
		if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
			body, ctype = STSBody, "text/xml"
		}
		w.Header().Set("Content-Type", ctype)
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		_, _ = w.Write(body)
	})
}
