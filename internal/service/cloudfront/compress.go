package cloudfront

import (
	"compress/gzip"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"github.com/andybalholm/brotli"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// CloudFront compresses objects between 1,000 and 10,000,000 bytes
// ("Serving compressed files": smaller ones are not worth it, larger ones
// are served as they are).
const (
	compressMin = 1000
	compressMax = 10_000_000
)

// compressible are the content types CloudFront compresses (its list in
// "File types that CloudFront compresses"), without parameters.
var compressible = []string{
	"application/dash+xml", "application/eot", "application/font", "application/font-sfnt", "application/javascript",
	"application/json", "application/opentype", "application/otf", "application/pdf", "application/pkcs7-mime",
	"application/protobuf", "application/rss+xml", "application/truetype", "application/ttf",
	"application/vnd.apple.mpegurl", "application/vnd.mapbox-vector-tile", "application/vnd.ms-fontobject",
	"application/wasm", "application/xhtml+xml", "application/xml", "application/x-font-opentype",
	"application/x-font-truetype", "application/x-font-ttf", "application/x-httpd-cgi", "application/x-javascript",
	"application/x-mpegurl", "application/x-opentype", "application/x-otf", "application/x-perl",
	"application/x-ttf", "font/eot", "font/opentype", "font/otf", "font/ttf", "image/svg+xml", "text/css",
	"text/csv", "text/html", "text/javascript", "text/js", "text/plain", "text/richtext", "text/tab-separated-values",
	"text/xml", "text/x-component", "text/x-java-source", "text/x-script", "vnd.apple.mpegurl",
}

// encodingFor picks how the edge compresses a response: Brotli when the
// viewer accepts it, else gzip, "" for none — only when the behaviour has
// Compress, the origin did not encode it, and its type and size (when
// known, size < 0 otherwise) qualify.
func encodingFor(r *http.Request, b cfapi.CacheBehavior, h http.Header, size int64) string {
	if !ptr.Deref(b.Compress) || h.Get("Content-Encoding") != "" || size < compressMin || size > compressMax {
		return ""
	}
	ct, _, err := mime.ParseMediaType(h.Get("Content-Type"))
	if err != nil || !slices.Contains(compressible, strings.ToLower(ct)) {
		return ""
	}
	var gz, br bool
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if v, err := strconv.ParseFloat(q, 64); err == nil && v == 0 {
				continue
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "gzip":
			gz = true
		case "br":
			br = true
		}
	}
	switch {
	case br:
		return "br"
	case gz:
		return "gzip"
	}
	return ""
}

// contentLength is a response's declared length, -1 when none.
func contentLength(h http.Header) int64 {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// writeBody answers the viewer with status and body (headers already
// set), compressed when encodingFor says so; HEAD gets the headers only.
func writeBody(w http.ResponseWriter, r *http.Request, b cfapi.CacheBehavior, status int, body io.Reader, size int64) {
	h := w.Header()
	enc := encodingFor(r, b, h, size)
	if enc == "" {
		w.WriteHeader(status)
		if r.Method != http.MethodHead {
			_, _ = io.Copy(w, body)
		}
		return
	}
	h.Del("Content-Length")
	h.Set("Content-Encoding", enc)
	h.Add("Vary", "Accept-Encoding")
	if et := h.Get("ETag"); et != "" && !strings.HasPrefix(et, "W/") {
		// The representation changed: a strong validator would lie.
		h.Set("ETag", "W/"+et)
	}
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	var zw io.WriteCloser
	if enc == "br" {
		zw = brotli.NewWriterLevel(w, brotli.DefaultCompression)
	} else {
		zw = gzip.NewWriter(w)
	}
	_, _ = io.Copy(zw, body)
	_ = zw.Close()
}

// countryAllowed applies the distribution's geo restriction to the
// viewer's country (from Options.Country, niwa's configured client
// locations): a blacklist refuses its countries, a whitelist all others.
// A viewer whose country is unknown is served, as CloudFront serves
// viewers it cannot locate.
func (s *CloudFront) countryAllowed(c cfapi.DistributionConfig, ip net.IP) bool {
	if c.Restrictions == nil || c.Restrictions.GeoRestriction == nil || s.opt.Country == nil {
		return true
	}
	g := c.Restrictions.GeoRestriction
	kind := ptr.Deref(g.RestrictionType)
	if kind != "whitelist" && kind != "blacklist" {
		return true
	}
	a, ok := netip.AddrFromSlice(ip)
	if !ok {
		return true
	}
	country := s.opt.Country(a.Unmap())
	if country == "" {
		return true
	}
	listed := slices.ContainsFunc(g.Items, func(c string) bool { return strings.EqualFold(c, country) })
	return listed == (kind == "whitelist")
}
