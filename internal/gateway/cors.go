package gateway

import (
	"net/http"

	"github.com/niwa-cloud/niwa/internal/httpheader"
)

// CORS as AWS's API endpoints answer browsers (the JavaScript SDK in a web
// page): any origin, the methods and headers asked for, and the response
// headers SDKs read exposed. S3 buckets with their own CORS configuration
// override this in the S3 service.

const corsExposed = "x-amzn-RequestId, x-amzn-ErrorType, x-amzn-ErrorMessage, x-amz-request-id, x-amz-id-2, " +
	"x-amz-version-id, x-amz-delete-marker, x-amz-server-side-encryption, ETag, Date, Content-Length, " +
	"x-amz-crc32, x-amzn-query-error"

func (g *Gateway) preflight(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	origin := httpheader.Get(r.Header, "Origin")
	if origin == "" {
		origin = "*"
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Methods", "GET, PUT, POST, DELETE, HEAD, PATCH, OPTIONS")
	if req := httpheader.Get(r.Header, "Access-Control-Request-Headers"); req != "" {
		h.Set("Access-Control-Allow-Headers", req)
	}
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Set("Access-Control-Max-Age", "3000")
	h.Add("Vary", "Origin")
	if origin != "*" {
		h.Set("Access-Control-Allow-Credentials", "true")
	}
	w.WriteHeader(http.StatusOK)
}

// cors adds response headers to a browser's actual (non-preflight) request.
func (g *Gateway) cors(w http.ResponseWriter, r *http.Request) {
	origin := httpheader.Get(r.Header, "Origin")
	if origin == "" || g.isInternal(r) {
		return
	}
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	h.Set("Access-Control-Expose-Headers", corsExposed)
	h.Add("Vary", "Origin")
}

// serviceCORS lets svc answer the CORS part of r from its own
// configuration (Service.CORS).
func (g *Gateway) serviceCORS(w http.ResponseWriter, r *http.Request, svc *Service, hostBucket string, preflight bool) bool {
	return svc != nil && svc.CORS != nil && svc.CORS(w, r, hostBucket, preflight)
}
