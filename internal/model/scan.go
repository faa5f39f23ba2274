package model

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// parsed is a model as the scanner reads it, before build lays it out:
// shapes and operations in the order read, structure members in model
// order. Its strings may point into the input; build interns every one
// it keeps into the arena's slabs, so nothing of the input outlives Load.
type parsed struct {
	meta            Metadata
	queryCompatible bool
	shapes          []namedShape
	ops             []namedOp
	size            int // of the document, to size the string slabs
}

type namedShape struct {
	name string
	rawShape
}

type namedOp struct {
	name string
	rawOperation
}

// maxDepth bounds the nesting of the values the scanner skips, as
// encoding/json does, so a hostile document cannot exhaust the stack.
const maxDepth = 10000

// scanner reads api-2.json in one pass: no reflection, the traits Load
// reads decoded in place, everything else (documentation above all,
// most of a full model's bytes) skipped without being unescaped or
// copied. A string without escapes is a view of the input.
type scanner struct {
	data []byte
	pos  int

	refs       []rawRef // member, key, value, input and output refs
	memberPool []namedRef
	strs       []string // scratch: one string array while it is read
	strPool    []string
	floats     []float64
	ns         []XMLNamespace
	errs       []ErrorTrait
}

// scanChunk is the least number of elements the scanner's pools grow
// by: its parsed form is dropped when Load returns.
const scanChunk = 128

// chunkMin is chunk with a pool refilled by at least least elements.
func chunkMin[T any](pool *[]T, n, least int) []T {
	if cap(*pool)-len(*pool) < n {
		*pool = make([]T, 0, max(n, least))
	}
	return chunk(pool, n)
}

// errUnknown is a field function's answer for a key it does not read.
var errUnknown = errors.New("unknown key")

// The keys each object of the model has that the scanner reads, for
// matching a key spelled in another case.
const (
	modelKeys     = "metadata,operations,shapes"
	metadataKeys  = "apiVersion,endpointPrefix,globalEndpoint,jsonVersion,protocol,serviceAbbreviation,serviceFullName,serviceId,signatureVersion,signingName,targetPrefix,uid,xmlNamespace,checksumFormat,protocols,awsQueryCompatible"
	refKeys       = "shape,location,locationName,queryName,timestampFormat,resultWrapper,payload,flattened,xmlAttribute,jsonvalue,idempotencyToken,hostLabel,streaming,eventpayload,deprecated,box,xmlNamespace"
	xmlnsKeys     = "prefix,uri"
	shapeKeys     = "type,members,required,enum,payload,locationName,location,timestampFormat,pattern,resultWrapper,member,key,value,xmlNamespace,min,max,flattened,streaming,sensitive,union,eventstream,event,deprecated,exception,fault,document,error"
	errorKeys     = "code,httpStatusCode,senderFault"
	operationKeys = "name,http,input,output,errors,endpoint,httpChecksumRequired,httpChecksum,authtype,deprecated,idempotent"
	httpKeys      = "method,requestUri,responseCode"
	endpointKeys  = "hostPrefix"
	checksumKeys  = "requestChecksumRequired,requestAlgorithmMember,requestValidationModeMember,responseAlgorithms"
)

// foldKey finds the key of keys that key equals but for case.
func foldKey(key, keys string) (string, bool) {
	for keys != "" {
		k, rest, _ := strings.Cut(keys, ",")
		if strings.EqualFold(k, key) {
			return k, true
		}
		keys = rest
	}
	return "", false
}

var errSyntax = errors.New("invalid JSON")

func (s *scanner) fail(what string) error {
	if s.pos >= len(s.data) {
		return fmt.Errorf("%w: unexpected end of input reading %s", errSyntax, what)
	}
	return fmt.Errorf("%w: unexpected %q at offset %d reading %s", errSyntax, s.data[s.pos], s.pos, what)
}

func (s *scanner) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	s.ws()
	if s.pos < len(s.data) {
		return s.data[s.pos]
	}
	return 0
}

// null consumes a null literal if one is next.
func (s *scanner) null() bool {
	if s.peek() == 'n' && len(s.data)-s.pos >= 4 && string(s.data[s.pos:s.pos+4]) == "null" {
		s.pos += 4
		return true
	}
	return false
}

// object reads an object, calling field for each key with the scanner
// before the value, which field must consume. null is no object and no
// error, as encoding/json leaves the target untouched.
//
// A key field does not know answers errUnknown: object then matches it
// to one of keys (comma-separated) case-insensitively, as encoding/json
// does (a protocol test vector spells a member's "LocationName"), and
// skips its value if none matches.
func (s *scanner) object(what, keys string, field func(key string) error) error {
	if s.null() {
		return nil
	}
	if s.peek() != '{' {
		return s.fail(what)
	}
	s.pos++
	if s.peek() == '}' {
		s.pos++
		return nil
	}
	for {
		if s.peek() != '"' {
			return s.fail(what)
		}
		key, err := s.rawString()
		if err != nil {
			return err
		}
		if s.peek() != ':' {
			return s.fail(what)
		}
		s.pos++
		if err := field(key); err != nil {
			if err != errUnknown {
				return err
			}
			if k, ok := foldKey(key, keys); ok {
				err = field(k)
			}
			if err == errUnknown {
				err = s.skip(1)
			}
			if err != nil {
				return err
			}
		}
		switch s.peek() {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return nil
		default:
			return s.fail(what)
		}
	}
}

// array reads an array, calling elem before each element, which elem
// must consume; null reads as no array (nil slices stay nil).
func (s *scanner) array(what string, elem func() error) (present bool, err error) {
	if s.null() {
		return false, nil
	}
	if s.peek() != '[' {
		return false, s.fail(what)
	}
	s.pos++
	if s.peek() == ']' {
		s.pos++
		return true, nil
	}
	for {
		if err := elem(); err != nil {
			return true, err
		}
		switch s.peek() {
		case ',':
			s.pos++
		case ']':
			s.pos++
			return true, nil
		default:
			return true, s.fail(what)
		}
	}
}

// str reads a string value into *dst; null leaves it.
func (s *scanner) str(dst *string, what string) error {
	if s.null() {
		return nil
	}
	if s.peek() != '"' {
		return s.fail(what)
	}
	v, err := s.rawString()
	*dst = v
	return err
}

// rawString reads the string at pos (its opening quote). Without
// escapes or non-ASCII bytes it is a view of the input; otherwise it is
// decoded as encoding/json does (invalid UTF-8 and lone surrogates
// become U+FFFD).
func (s *scanner) rawString() (string, error) {
	start := s.pos + 1
	for i := start; i < len(s.data); i++ {
		switch c := s.data[i]; {
		case c == '"':
			s.pos = i + 1
			if i == start {
				return "", nil
			}
			return unsafe.String(&s.data[start], i-start), nil
		case c == '\\' || c >= utf8.RuneSelf:
			return s.slowString(start)
		case c < ' ':
			s.pos = i
			return "", s.fail("a string")
		}
	}
	s.pos = len(s.data)
	return "", s.fail("a string")
}

func (s *scanner) slowString(start int) (string, error) {
	out := make([]byte, 0, 32)
	i := start
	for i < len(s.data) {
		c := s.data[i]
		switch {
		case c == '"':
			s.pos = i + 1
			return string(out), nil
		case c < ' ':
			s.pos = i
			return "", s.fail("a string")
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRune(s.data[i:])
			out = utf8.AppendRune(out, r) // RuneError for invalid bytes
			i += size
			continue
		case c != '\\':
			out = append(out, c)
			i++
			continue
		}
		i++
		if i >= len(s.data) {
			break
		}
		switch e := s.data[i]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(s.data[i+1:])
			if !ok {
				s.pos = i
				return "", s.fail("a \\u escape")
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(-1), false
				if i+2 < len(s.data) && s.data[i+1] == '\\' && s.data[i+2] == 'u' {
					r2, ok = hex4(s.data[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			out = utf8.AppendRune(out, r)
		default:
			s.pos = i
			return "", s.fail("an escape")
		}
		i++
	}
	s.pos = len(s.data)
	return "", s.fail("a string")
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// boolean reads true or false into *dst; null leaves it.
func (s *scanner) boolean(dst *bool, what string) error {
	if s.null() {
		return nil
	}
	rest := s.data[s.pos:]
	switch {
	case len(rest) >= 4 && string(rest[:4]) == "true":
		*dst = true
		s.pos += 4
	case len(rest) >= 5 && string(rest[:5]) == "false":
		*dst = false
		s.pos += 5
	default:
		return s.fail(what)
	}
	return nil
}

// number returns the JSON number literal at pos.
func (s *scanner) number(what string) (string, error) {
	s.ws()
	start, i := s.pos, s.pos
	d := s.data
	digits := func() bool {
		n := i
		for i < len(d) && '0' <= d[i] && d[i] <= '9' {
			i++
		}
		return i > n
	}
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case !digits():
		return "", s.fail(what)
	}
	if i < len(d) && d[i] == '.' {
		i++
		if !digits() {
			s.pos = i
			return "", s.fail(what)
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if !digits() {
			s.pos = i
			return "", s.fail(what)
		}
	}
	s.pos = i
	return unsafe.String(&d[start], i-start), nil
}

// integer reads a number that must be an int into *dst; null leaves it.
func (s *scanner) integer(dst *int, what string) error {
	if s.null() {
		return nil
	}
	lit, err := s.number(what)
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(lit, 10, strconv.IntSize)
	if err != nil {
		return fmt.Errorf("%s: %q is not an int", what, lit)
	}
	*dst = int(n)
	return nil
}

// float reads a number into a new *float64 at *dst; null leaves it.
func (s *scanner) float(dst **float64, what string) error {
	if s.null() {
		return nil
	}
	lit, err := s.number(what)
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil {
		return fmt.Errorf("%s: %q is not a float64", what, lit)
	}
	p := &chunkMin(&s.floats, 1, scanChunk)[0]
	*p = f
	*dst = p
	return nil
}

// strings reads an array of strings; null reads as nil, [] as empty.
func (s *scanner) strings(dst *[]string, what string) error {
	start := len(s.strs)
	present, err := s.array(what, func() error {
		var v string
		if err := s.str(&v, what); err != nil {
			return err
		}
		s.strs = append(s.strs, v)
		return nil
	})
	if err != nil || !present {
		return err
	}
	// Copy this run out of the scratch run into the pool.
	n := len(s.strs) - start
	out := []string{}
	if n > 0 {
		out = chunkMin(&s.strPool, n, scanChunk)
		copy(out, s.strs[start:])
	}
	s.strs = s.strs[:start]
	*dst = out
	return nil
}

// skip consumes one value of any kind, checking its syntax.
func (s *scanner) skip(depth int) error {
	if depth > maxDepth {
		return fmt.Errorf("%w: nested too deeply", errSyntax)
	}
	switch c := s.peek(); {
	case c == '"':
		// Skip without decoding: documentation strings are most of a
		// full model and nothing reads them.
		for i := s.pos + 1; i < len(s.data); i++ {
			switch c := s.data[i]; {
			case c == '"':
				s.pos = i + 1
				return nil
			case c == '\\':
				// Checked, not decoded.
				i++
				if i >= len(s.data) {
					break
				}
				switch s.data[i] {
				case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				case 'u':
					if _, ok := hex4(s.data[i+1:]); !ok {
						s.pos = i
						return s.fail("a \\u escape")
					}
					i += 4
				default:
					s.pos = i
					return s.fail("an escape")
				}
			case c < ' ':
				s.pos = i
				return s.fail("a string")
			}
		}
		s.pos = len(s.data)
		return s.fail("a string")
	case c == '{':
		return s.object("an object", "", func(string) error { return s.skip(depth + 1) })
	case c == '[':
		_, err := s.array("an array", func() error { return s.skip(depth + 1) })
		return err
	case c == 't' || c == 'f':
		var b bool
		return s.boolean(&b, "a value")
	case c == 'n':
		if s.null() {
			return nil
		}
		return s.fail("a value")
	default:
		_, err := s.number("a value")
		return err
	}
}

// scan reads a whole model.
func scan(data []byte) (*parsed, error) {
	// Size the parsed form from a count of its keys (cheap next to the
	// scan; only an estimate, as a string could hold the same bytes,
	// escaped differently): growing these arrays of large elements was
	// a fifth of the time.
	refs := bytes.Count(data, []byte(`"shape":`))
	s := &scanner{data: data, memberPool: make([]namedRef, 0, refs)}
	p := &parsed{
		size:   len(data),
		shapes: make([]namedShape, 0, bytes.Count(data, []byte(`"type":`))),
		ops:    make([]namedOp, 0, bytes.Count(data, []byte(`"http":`))),
	}
	err := s.object("the model", modelKeys, func(key string) error {
		switch key {
		case "metadata":
			return s.metadata(p)
		case "operations":
			return s.object("operations", "", func(name string) error {
				p.ops = append(p.ops, namedOp{name: name})
				return s.operation(&p.ops[len(p.ops)-1].rawOperation)
			})
		case "shapes":
			return s.object("shapes", "", func(name string) error {
				p.shapes = append(p.shapes, namedShape{name: name})
				return s.shape(&p.shapes[len(p.shapes)-1].rawShape)
			})
		}
		return errUnknown
	})
	if err != nil {
		return nil, err
	}
	if s.ws(); s.pos != len(s.data) {
		return nil, s.fail("the end of the model")
	}
	return p, nil
}

func (s *scanner) metadata(p *parsed) error {
	m := &p.meta
	return s.object("metadata", metadataKeys, func(key string) error {
		var dst *string
		switch key {
		case "apiVersion":
			dst = &m.APIVersion
		case "endpointPrefix":
			dst = &m.EndpointPrefix
		case "globalEndpoint":
			dst = &m.GlobalEndpoint
		case "jsonVersion":
			dst = &m.JSONVersion
		case "protocol":
			dst = &m.Protocol
		case "serviceAbbreviation":
			dst = &m.ServiceAbbreviation
		case "serviceFullName":
			dst = &m.ServiceFullName
		case "serviceId":
			dst = &m.ServiceID
		case "signatureVersion":
			dst = &m.SignatureVersion
		case "signingName":
			dst = &m.SigningName
		case "targetPrefix":
			dst = &m.TargetPrefix
		case "uid":
			dst = &m.UID
		case "xmlNamespace":
			dst = &m.XMLNamespace
		case "checksumFormat":
			dst = &m.ChecksumFormat
		case "protocols":
			return s.strings(&m.Protocols, "metadata.protocols")
		case "awsQueryCompatible":
			// Any value but null marks the service (its content, {}, is
			// not read).
			p.queryCompatible = s.peek() != 'n'
			return s.skip(1)
		default:
			return errUnknown
		}
		return s.str(dst, key)
	})
}

// ref reads a shape reference.
func (s *scanner) ref(r *rawRef) error {
	return s.object("a shape reference", refKeys, func(key string) error {
		switch key {
		case "shape":
			return s.str(&r.Shape, "shape")
		case "location":
			return s.str(&r.Location, key)
		case "locationName":
			return s.str(&r.LocationName, key)
		case "queryName":
			return s.str(&r.QueryName, key)
		case "timestampFormat":
			return s.str(&r.TimestampFormat, key)
		case "resultWrapper":
			return s.str(&r.ResultWrapper, key)
		case "payload":
			return s.str(&r.Payload, key)
		case "flattened":
			return s.boolean(&r.Flattened, key)
		case "xmlAttribute":
			return s.boolean(&r.XMLAttribute, key)
		case "jsonvalue":
			return s.boolean(&r.JSONValue, key)
		case "idempotencyToken":
			return s.boolean(&r.IdempotencyToken, key)
		case "hostLabel":
			return s.boolean(&r.HostLabel, key)
		case "streaming":
			return s.boolean(&r.Streaming, key)
		case "eventpayload":
			return s.boolean(&r.EventPayload, key)
		case "deprecated":
			return s.boolean(&r.Deprecated, key)
		case "box":
			return s.boolean(&r.Box, key)
		case "xmlNamespace":
			return s.xmlns(&r.XMLNamespace)
		}
		return errUnknown
	})
}

// refPtr reads a reference into a new *rawRef at *dst; null leaves it.
func (s *scanner) refPtr(dst **rawRef) error {
	if s.null() {
		return nil
	}
	r := &chunkMin(&s.refs, 1, scanChunk)[0]
	*dst = r
	return s.ref(r)
}

func (s *scanner) xmlns(dst **XMLNamespace) error {
	if s.null() {
		return nil
	}
	x := &chunkMin(&s.ns, 1, scanChunk)[0]
	*dst = x
	return s.object("xmlNamespace", xmlnsKeys, func(key string) error {
		switch key {
		case "prefix":
			return s.str(&x.Prefix, "xmlNamespace.prefix")
		case "uri":
			return s.str(&x.URI, "xmlNamespace.uri")
		}
		return errUnknown
	})
}

func (s *scanner) shape(sh *rawShape) error {
	return s.object("a shape", shapeKeys, func(key string) error {
		switch key {
		case "type":
			return s.str((*string)(&sh.Type), key)
		case "members":
			return s.members(&sh.Members)
		case "required":
			return s.strings(&sh.Required, key)
		case "enum":
			return s.strings(&sh.Enum, key)
		case "payload":
			return s.str(&sh.Payload, key)
		case "locationName":
			return s.str(&sh.LocationName, key)
		case "location":
			return s.str(&sh.Location, key)
		case "timestampFormat":
			return s.str(&sh.TimestampFormat, key)
		case "pattern":
			return s.str(&sh.Pattern, key)
		case "resultWrapper":
			return s.str(&sh.ResultWrapper, key)
		case "member":
			return s.refPtr(&sh.Member)
		case "key":
			return s.refPtr(&sh.Key)
		case "value":
			return s.refPtr(&sh.Value)
		case "xmlNamespace":
			return s.xmlns(&sh.XMLNamespace)
		case "min":
			return s.float(&sh.Min, key)
		case "max":
			return s.float(&sh.Max, key)
		case "flattened":
			return s.boolean(&sh.Flattened, key)
		case "streaming":
			return s.boolean(&sh.Streaming, key)
		case "sensitive":
			return s.boolean(&sh.Sensitive, key)
		case "union":
			return s.boolean(&sh.Union, key)
		case "eventstream":
			return s.boolean(&sh.EventStream, key)
		case "event":
			return s.boolean(&sh.Event, key)
		case "deprecated":
			return s.boolean(&sh.Deprecated, key)
		case "exception":
			return s.boolean(&sh.Exception, key)
		case "fault":
			return s.boolean(&sh.Fault, key)
		case "document":
			return s.boolean(&sh.Document, key)
		case "error":
			if s.null() {
				return nil
			}
			e := &chunkMin(&s.errs, 1, scanChunk)[0]
			sh.Error = e
			return s.object("error", errorKeys, func(key string) error {
				switch key {
				case "code":
					return s.str(&e.Code, "error.code")
				case "httpStatusCode":
					return s.integer(&e.HTTPStatusCode, "error.httpStatusCode")
				case "senderFault":
					return s.boolean(&e.SenderFault, "error.senderFault")
				}
				return errUnknown
			})
		}
		return errUnknown
	})
}

// members reads a structure's members in model order, in place at the
// end of memberPool (sized for every ref of the model; should it fill,
// the run read so far moves to a new array, earlier runs keep theirs).
func (s *scanner) members(dst *orderedRefs) error {
	*dst = nil
	if s.null() {
		return nil
	}
	start := len(s.memberPool)
	err := s.object("members", "", func(name string) error {
		if len(s.memberPool) == cap(s.memberPool) {
			run := len(s.memberPool) - start
			grown := make([]namedRef, run, max(2*run, scanChunk))
			copy(grown, s.memberPool[start:])
			s.memberPool, start = grown, 0
		}
		s.memberPool = append(s.memberPool, namedRef{name: name})
		return s.ref(&s.memberPool[len(s.memberPool)-1].rawRef)
	})
	if err != nil {
		return err
	}
	if end := len(s.memberPool); end > start {
		*dst = s.memberPool[start:end:end]
	}
	return nil
}

func (s *scanner) operation(op *rawOperation) error {
	return s.object("an operation", operationKeys, func(key string) error {
		switch key {
		case "name":
			return s.str(&op.Name, key)
		case "http":
			return s.object("http", httpKeys, func(key string) error {
				switch key {
				case "method":
					return s.str(&op.HTTP.Method, "http.method")
				case "requestUri":
					return s.str(&op.HTTP.RequestURI, "http.requestUri")
				case "responseCode":
					return s.integer(&op.HTTP.ResponseCode, "http.responseCode")
				}
				return errUnknown
			})
		case "input":
			return s.refPtr(&op.Input)
		case "output":
			return s.refPtr(&op.Output)
		case "errors":
			var errs []rawRef
			_, err := s.array("errors", func() error {
				errs = append(errs, rawRef{})
				return s.ref(&errs[len(errs)-1])
			})
			op.Errors = errs
			return err
		case "endpoint":
			if s.null() {
				return nil
			}
			op.Endpoint = &struct {
				HostPrefix string `json:"hostPrefix"`
			}{}
			return s.object("endpoint", endpointKeys, func(key string) error {
				if key == "hostPrefix" {
					return s.str(&op.Endpoint.HostPrefix, "endpoint.hostPrefix")
				}
				return errUnknown
			})
		case "httpChecksumRequired":
			return s.boolean(&op.HTTPChecksumRequired, key)
		case "httpChecksum":
			if s.null() {
				return nil
			}
			c := &httpChecksum{}
			op.HTTPChecksum = c
			return s.object("httpChecksum", checksumKeys, func(key string) error {
				switch key {
				case "requestChecksumRequired":
					return s.boolean(&c.RequestChecksumRequired, key)
				case "requestAlgorithmMember":
					return s.str(&c.RequestAlgorithmMember, key)
				case "requestValidationModeMember":
					return s.str(&c.RequestValidationModeMember, key)
				case "responseAlgorithms":
					return s.strings(&c.ResponseAlgorithms, key)
				}
				return errUnknown
			})
		case "authtype":
			return s.str(&op.AuthType, key)
		case "deprecated":
			return s.boolean(&op.Deprecated, key)
		case "idempotent":
			return s.boolean(&op.Idempotent, key)
		}
		return errUnknown
	})
}
