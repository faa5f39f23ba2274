package rest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/textproto"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/jsonbody"
)

// The HTTP bindings shared by rest-json and rest-xml (smithy's httpLabel,
// httpQuery, httpQueryParams, httpHeader, httpPrefixHeaders,
// httpResponseCode, httpPayload; botocore serialize.py BaseRestSerializer).

// hasPrefixASCIIFold reports whether strings.ToLower(s) has the prefix
// lower (lower case ASCII) without lowering s: header names are ASCII
// tokens (net/http rejects others).
func hasPrefixASCIIFold(s, lower string) bool {
	if len(s) < len(lower) {
		return false
	}
	for i := 0; i < len(lower); i++ {
		c := s[i]
		if c >= 0x80 {
			return strings.HasPrefix(strings.ToLower(s), lower)
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// decodeLocations reads the members bound to the uri, query string,
// headers and host of r into in.
func decodeLocations(info *serviceInfo, sh *model.Shape, labels map[string]string, query url.Values, h http.Header, tmpl model.URITemplate) (map[string]any, error) {
	in := map[string]any{}
	var claimed map[string]bool // query keys bound to a member
	for _, m := range sh.Members {
		switch m.Location {
		case model.LocationURI:
			s, ok := labels[wireName(m)]
			if !ok {
				continue
			}
			v, err := parseScalar(m, s, model.ISO8601, false)
			if err != nil {
				return nil, fmt.Errorf("uri label %s: %w", wireName(m), err)
			}
			in[m.Name] = v
		case model.LocationQueryString:
			if m.Shape.Type == model.Map {
				continue // after the named parameters
			}
			name := wireName(m)
			if claimed == nil {
				claimed = map[string]bool{}
			}
			claimed[name] = true
			vs, ok := query[name]
			if !ok {
				continue
			}
			if m.Shape.Type == model.List {
				l := make([]any, 0, len(vs))
				for _, s := range vs {
					v, err := parseScalar(m.Shape.Member, s, model.ISO8601, false)
					if err != nil {
						return nil, fmt.Errorf("query parameter %s: %w", name, err)
					}
					l = append(l, v)
				}
				in[m.Name] = l
				continue
			}
			v, err := parseScalar(m, vs[0], model.ISO8601, false)
			if err != nil {
				return nil, fmt.Errorf("query parameter %s: %w", name, err)
			}
			in[m.Name] = v
		case model.LocationHeader:
			name := wireName(m)
			vs := info.headerValues(h, m)
			if len(vs) == 0 {
				continue
			}
			if m.Shape.Type == model.List {
				var l []any
				for _, part := range splitHeaderList(strings.Join(vs, ","), m.Shape.Member) {
					v, err := parseScalar(m.Shape.Member, part, model.RFC822, true)
					if err != nil {
						return nil, fmt.Errorf("header %s: %w", name, err)
					}
					l = append(l, v)
				}
				in[m.Name] = l
				continue
			}
			v, err := parseScalar(m, strings.TrimSpace(vs[0]), model.RFC822, true)
			if err != nil {
				return nil, fmt.Errorf("header %s: %w", name, err)
			}
			in[m.Name] = v
		case model.LocationHeaders:
			prefix := strings.ToLower(headerPrefix(m))
			mv := map[string]any{}
			for k, vs := range h {
				if len(vs) == 0 || !hasPrefixASCIIFold(k, prefix) {
					continue
				}
				lk := strings.ToLower(k)
				v, err := parseScalar(m.Shape.Value, strings.TrimSpace(vs[0]), model.RFC822, true)
				if err != nil {
					return nil, fmt.Errorf("header %s: %w", k, err)
				}
				mv[lk[len(prefix):]] = v
			}
			if len(mv) > 0 {
				in[m.Name] = mv
			}
		}
	}
	// A map bound to the query string takes every parameter no other
	// member or template literal claims.
	for _, m := range sh.Members {
		if m.Location != model.LocationQueryString || m.Shape.Type != model.Map {
			continue
		}
		mv := map[string]any{}
		for k, vs := range query {
			if claimed[k] || isTemplateLiteral(tmpl, k) {
				continue
			}
			if m.Shape.Value.Shape.Type == model.List {
				l := make([]any, 0, len(vs))
				for _, s := range vs {
					v, err := parseScalar(m.Shape.Value.Shape.Member, s, model.ISO8601, false)
					if err != nil {
						return nil, fmt.Errorf("query parameter %s: %w", k, err)
					}
					l = append(l, v)
				}
				mv[k] = l
				continue
			}
			v, err := parseScalar(m.Shape.Value, vs[0], model.ISO8601, false)
			if err != nil {
				return nil, fmt.Errorf("query parameter %s: %w", k, err)
			}
			mv[k] = v
		}
		if len(mv) > 0 {
			in[m.Name] = mv
		}
	}
	return in, nil
}

func isTemplateLiteral(t model.URITemplate, k string) bool {
	for _, l := range t.Query {
		if l.Key == k {
			return true
		}
	}
	return false
}

// parseScalar converts the text of a label, query parameter or header into
// the dynamic value of ref. inHeader selects the header encodings of
// blobs and jsonvalue strings (base64).
func parseScalar(ref *model.Ref, s string, defFormat string, inHeader bool) (any, error) {
	sh := ref.Shape
	if ref.JSONValue {
		text := []byte(s)
		if inHeader {
			b, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return nil, fmt.Errorf("jsonvalue is not base64: %v", err)
			}
			text = b
		}
		var v any
		if err := json.Unmarshal(text, &v); err != nil {
			return nil, fmt.Errorf("jsonvalue is not JSON: %v", err)
		}
		return v, nil
	}
	switch sh.Type {
	case model.String, model.Character:
		return s, nil
	case model.Integer, model.Long:
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", s)
		}
		if sh.Type == model.Integer && (n > math.MaxInt32 || n < math.MinInt32) {
			return nil, fmt.Errorf("integer %d out of range", n)
		}
		return n, nil
	case model.Float, model.Double:
		switch s {
		case "NaN":
			return math.NaN(), nil
		case "Infinity":
			return math.Inf(1), nil
		case "-Infinity":
			return math.Inf(-1), nil
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("%q is not a number", s)
		}
		return f, nil
	case model.Boolean:
		switch strings.ToLower(strings.TrimSpace(s)) {
		case "true":
			return true, nil
		case "false":
			return false, nil
		}
		return nil, fmt.Errorf("%q is not a boolean", s)
	case model.Timestamp:
		t, err := jsonbody.ParseTimestamp(s)
		if err != nil {
			return nil, fmt.Errorf("%q is not a timestamp", s)
		}
		return t, nil
	case model.Blob:
		if inHeader {
			b, err := jsonbody.DecodeBase64(s)
			if err != nil {
				return nil, fmt.Errorf("blob is not base64: %v", err)
			}
			return b, nil
		}
		return []byte(s), nil
	}
	return nil, fmt.Errorf("shape %s (%s) cannot be bound to a header, label or query parameter", sh.Name, sh.Type)
}

// splitHeaderList splits a comma-separated header list. Double-quoted items
// may contain commas; http-date timestamps contain one comma each, so they
// are split every second comma (smithy httpHeader list rules).
func splitHeaderList(s string, member *model.Ref) []string {
	var out []string
	if member.Shape.Type == model.Timestamp && member.TimestampFormatOr(model.RFC822) == model.RFC822 {
		parts := strings.Split(s, ",")
		for i := 0; i < len(parts); i += 2 {
			p := parts[i]
			if i+1 < len(parts) {
				p += "," + parts[i+1]
			}
			out = append(out, strings.TrimSpace(p))
		}
		return out
	}
	var cur strings.Builder
	inQuote, wasQuoted := false, false
	flush := func() {
		v := cur.String()
		if !wasQuoted {
			v = strings.TrimSpace(v)
		}
		out = append(out, v)
		cur.Reset()
		wasQuoted = false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case inQuote && c == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
		case c == '"':
			if !inQuote {
				cur.Reset() // drop whitespace before the quote
			}
			inQuote = !inQuote
			wasQuoted = true
		case c == ',' && !inQuote:
			flush()
		case wasQuoted && !inQuote:
			// whitespace after a closing quote
		default:
			cur.WriteByte(c)
		}
	}
	flush()
	return out
}

// formatScalar writes a header or query value.
func formatScalar(ref *model.Ref, v any, defFormat string, inHeader bool) (string, error) {
	sh := ref.Shape
	if ref.JSONValue {
		b, err := json.Marshal(v)
		if err != nil {
			return "", err
		}
		if inHeader {
			return base64.StdEncoding.EncodeToString(b), nil
		}
		return string(b), nil
	}
	switch sh.Type {
	case model.String, model.Character:
		if s, ok := v.(string); ok {
			return s, nil
		}
	case model.Integer, model.Long:
		if n, ok := jsonbody.Int64(v); ok {
			return strconv.FormatInt(n, 10), nil
		}
	case model.Float, model.Double:
		if f, ok := jsonbody.Float64(v); ok {
			switch {
			case math.IsNaN(f):
				return "NaN", nil
			case math.IsInf(f, 1):
				return "Infinity", nil
			case math.IsInf(f, -1):
				return "-Infinity", nil
			}
			return string(jsonbody.AppendFloat(nil, f)), nil
		}
	case model.Boolean:
		if b, ok := v.(bool); ok {
			return strconv.FormatBool(b), nil
		}
	case model.Timestamp:
		if t, ok := v.(time.Time); ok {
			return jsonbody.FormatTimestamp(t, ref.TimestampFormatOr(defFormat)), nil
		}
	case model.Blob:
		switch b := v.(type) {
		case []byte:
			if inHeader {
				return base64.StdEncoding.EncodeToString(b), nil
			}
			return string(b), nil
		case string:
			if inHeader {
				return base64.StdEncoding.EncodeToString([]byte(b)), nil
			}
			return b, nil
		}
	}
	return "", fmt.Errorf("member of shape %s (%s) cannot hold %T", sh.Name, sh.Type, v)
}

// reservedHeader reports headers never set from a response member: the
// codec and net/http own the framing of the message.
func reservedHeader(name string) bool {
	return name == "Transfer-Encoding" || name == "Connection"
}

// encodeHeaders sets the headers bound to out's members and returns the
// status code bound to a statusCode member (0 when none).
//
// The scalar headers are set together (protocol.SetHeaders: one slice for
// all their values instead of one each), in member order with the map
// members: pending ones are set before a map member's.
func encodeHeaders(h http.Header, info *serviceInfo, sh *model.Shape, out *output) (int, error) {
	status := 0
	var pendBuf [24]string
	pending := pendBuf[:0]
	flush := func() {
		if len(pending) > 0 {
			protocol.SetHeaders(h, pending...)
			pending = pending[:0]
		}
	}
	defer flush()
	for k, m := range sh.Members {
		if m.Location != model.LocationStatusCode && m.Location != model.LocationHeader && m.Location != model.LocationHeaders {
			continue
		}
		if m.Location == model.LocationHeader && m.Shape.Type == model.String && !m.JSONValue {
			// A string header read in place from a typed output.
			if s, ok := out.str(k); ok {
				name := info.headerKey(m)
				if reservedHeader(name) {
					continue
				}
				if s == "" {
					flush()
					h.Set(name, s)
					continue
				}
				pending = append(pending, name, s)
				continue
			}
		}
		if m.Location == model.LocationHeader && !m.JSONValue {
			// A number, boolean or time read in place (its dynamic
			// value would be boxed): formatScalar's text of it.
			if s, ok, absent := out.scalarText(k, m); absent {
				continue
			} else if ok {
				if name := info.headerKey(m); !reservedHeader(name) {
					pending = append(pending, name, s)
				}
				continue
			}
		}
		v, ok := out.get(k, m)
		if !ok {
			continue
		}
		switch m.Location {
		case model.LocationStatusCode:
			n, ok := jsonbody.Int64(v)
			if !ok || n < 100 || n > 999 {
				return 0, fmt.Errorf("rest: status code member %s: %v", m.Name, v)
			}
			status = int(n)
		case model.LocationHeader:
			name := info.headerKey(m)
			if reservedHeader(name) {
				continue
			}
			if m.Shape.Type == model.List {
				items, ok := v.([]any)
				if !ok {
					if ss, isStrings := v.([]string); isStrings {
						for _, s := range ss {
							items = append(items, s)
						}
						ok = true
					}
				}
				if !ok {
					return 0, fmt.Errorf("rest: header list %s: %T", m.Name, v)
				}
				parts := make([]string, 0, len(items))
				for _, it := range items {
					s, err := formatScalar(m.Shape.Member, it, model.RFC822, true)
					if err != nil {
						return 0, fmt.Errorf("rest: header %s: %w", name, err)
					}
					if m.Shape.Member.Shape.Type == model.String && strings.ContainsAny(s, `,"`) {
						s = strconv.Quote(s)
					}
					parts = append(parts, s)
				}
				if len(parts) > 0 {
					h.Set(name, strings.Join(parts, ", "))
				}
				continue
			}
			s, err := formatScalar(m, v, model.RFC822, true)
			if err != nil {
				return 0, fmt.Errorf("rest: header %s: %w", name, err)
			}
			if s == "" {
				// SetHeaders leaves a header alone for an empty value;
				// Set sends it empty.
				flush()
				h.Set(name, s)
				continue
			}
			pending = append(pending, name, s)
		case model.LocationHeaders:
			flush()
			prefix := headerPrefix(m)
			keys, vals, err := mapEntries(v)
			if err != nil {
				return 0, fmt.Errorf("rest: headers %s: %w", m.Name, err)
			}
			for i, k := range keys {
				s, err := formatScalar(m.Shape.Value, vals[i], model.RFC822, true)
				if err != nil {
					return 0, fmt.Errorf("rest: header %s%s: %w", prefix, k, err)
				}
				name := textproto.CanonicalMIMEHeaderKey(prefix + k)
				if reservedHeader(name) || (prefix == "" && name == "Content-Length") {
					continue
				}
				if prefix == "" {
					h.Set(name, s)
					continue
				}
				// Prefixed map headers go out in lower case, as S3 sends
				// x-amz-meta-*: botocore keeps the case of the name after
				// the prefix, so a canonicalized "X-Amz-Meta-Color"
				// would reach boto3 as metadata key "Color", not "color".
				h.Del(name)
				h[strings.ToLower(prefix+k)] = []string{s}
			}
		}
	}
	return status, nil
}

func mapEntries(v any) ([]string, []any, error) {
	switch m := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = m[k]
		}
		return keys, vals, nil
	case map[string]string:
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		vals := make([]any, len(keys))
		for i, k := range keys {
			vals[i] = m[k]
		}
		return keys, vals, nil
	}
	return nil, nil, fmt.Errorf("not a map: %T", v)
}

// hostLabels reads members bound by the operation's endpoint hostPrefix
// ("{AccountId}.") from the request host. Only members still absent are
// set: the json and rest protocols also send host-label members in the
// body or path.
func hostLabels(op *model.Operation, host string, in map[string]any) {
	forHostLabels(op, host, func(_ int, m *model.Ref, value string) {
		if _, set := in[m.Name]; !set {
			in[m.Name] = value
		}
	})
}

// forHostLabels calls fn with each host-label member (its index among
// the input's members) the host gives a value, in the template's order.
func forHostLabels(op *model.Operation, host string, fn func(k int, m *model.Ref, value string)) {
	tmpl := op.HostPrefix
	if tmpl == "" || !strings.Contains(tmpl, "{") || op.Input == nil {
		return
	}
	if h, _, ok := strings.Cut(host, ":"); ok {
		host = h
	}
	for tmpl != "" {
		open := strings.IndexByte(tmpl, '{')
		if open < 0 {
			return
		}
		if !strings.HasPrefix(host, tmpl[:open]) {
			return
		}
		host = host[open:]
		end := strings.IndexByte(tmpl, '}')
		if end < open {
			return
		}
		label := tmpl[open+1 : end]
		tmpl = tmpl[end+1:]
		next := tmpl
		if i := strings.IndexByte(next, '{'); i >= 0 {
			next = next[:i]
		}
		var value string
		if next == "" {
			value, host = host, ""
		} else {
			i := strings.Index(host, next)
			if i <= 0 {
				return
			}
			value, host = host[:i], host[i:]
		}
		if m, ok := op.Input.Shape.MemberByName(label); ok && m.HostLabel {
			fn(index(op.Input.Shape, m), m, value)
		}
	}
}

// payloadReader returns a raw (blob or string) payload value as a reader
// and its length (-1 when unknown).
func payloadReader(v any) (io.Reader, int64, error) {
	switch b := v.(type) {
	case []byte:
		return bytes.NewReader(b), int64(len(b)), nil
	case string:
		return strings.NewReader(b), int64(len(b)), nil
	case io.Reader:
		if l, ok := b.(interface{ Len() int }); ok {
			return b, int64(l.Len()), nil
		}
		return b, -1, nil
	}
	return nil, 0, fmt.Errorf("rest: payload cannot hold %T", v)
}
