// Package model is the in-memory form of an AWS API model (the api-2.json
// format that AWS publishes and the aws-sdk-go module ships). It is the one
// description every protocol codec reads: shapes, members with their
// serialization traits, operations with their HTTP bindings.
//
// The same loader reads the per-service models that `go generate` embeds in
// internal/api/<service> and the inline models of AWS's protocol test
// vectors, so the codecs are tested against exactly the structures they
// serve.
//
// # Dynamic values
//
// Codecs decode requests into, and encode responses from, dynamic values:
//
//	structure  map[string]any keyed by member name; absent members are absent
//	list       []any
//	map        map[string]any
//	string     string (also enums and "character")
//	integer    int64  (integer and long)
//	float      float64 (float and double)
//	boolean    bool
//	timestamp  time.Time (UTC)
//	blob       []byte; a streaming payload blob is an io.Reader
//	document   any, as encoding/json decodes it
//	event stream  an EventStream (output members only)
//
// internal/api converts between these and the generated typed shapes.
package model

import (
	"context"
	"fmt"
	"sort"
	"strings"
)

// Type is a shape's type.
type Type string

// Shape types.
const (
	Structure Type = "structure"
	List      Type = "list"
	Map       Type = "map"
	String    Type = "string"
	Character Type = "character"
	Integer   Type = "integer"
	Long      Type = "long"
	Float     Type = "float"
	Double    Type = "double"
	Boolean   Type = "boolean"
	Timestamp Type = "timestamp"
	Blob      Type = "blob"
	Document  Type = "document"
)

// Member locations.
const (
	LocationBody        = ""
	LocationURI         = "uri"
	LocationQueryString = "querystring"
	LocationHeader      = "header"
	LocationHeaders     = "headers" // a map of headers sharing a prefix
	LocationStatusCode  = "statusCode"
)

// Timestamp formats.
const (
	ISO8601       = "iso8601"
	RFC822        = "rfc822"
	UnixTimestamp = "unixTimestamp"
)

// Service is one API model.
type Service struct {
	Metadata   Metadata
	Operations map[string]*Operation
	Shapes     map[string]*Shape
}

// OperationNames returns the operation names sorted.
func (s *Service) OperationNames() []string {
	names := make([]string, 0, len(s.Operations))
	for n := range s.Operations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Metadata is the model's metadata block.
type Metadata struct {
	APIVersion          string   `json:"apiVersion,omitempty"`
	EndpointPrefix      string   `json:"endpointPrefix,omitempty"`
	GlobalEndpoint      string   `json:"globalEndpoint,omitempty"`
	JSONVersion         string   `json:"jsonVersion,omitempty"`
	Protocol            string   `json:"protocol,omitempty"`
	Protocols           []string `json:"protocols,omitempty"`
	ServiceAbbreviation string   `json:"serviceAbbreviation,omitempty"`
	ServiceFullName     string   `json:"serviceFullName,omitempty"`
	ServiceID           string   `json:"serviceId,omitempty"`
	SignatureVersion    string   `json:"signatureVersion,omitempty"`
	SigningName         string   `json:"signingName,omitempty"`
	TargetPrefix        string   `json:"targetPrefix,omitempty"`
	UID                 string   `json:"uid,omitempty"`
	XMLNamespace        string   `json:"xmlNamespace,omitempty"`
	ChecksumFormat      string   `json:"checksumFormat,omitempty"`
	// AWSQueryCompatible marks a JSON service that replaced a query
	// protocol: errors carry the legacy code in x-amzn-query-error.
	AWSQueryCompatible bool `json:"-"`
}

// SigningNameOrPrefix is the SigV4 credential-scope service name.
func (m Metadata) SigningNameOrPrefix() string {
	if m.SigningName != "" {
		return m.SigningName
	}
	return m.EndpointPrefix
}

// Operation is one API operation.
type Operation struct {
	Name string
	// Service is the operation's owning service: the model the operation
	// was loaded from. It is never nil for a loaded model, so a codec
	// handed only the operation can still reach the service's metadata
	// and shapes.
	Service *Service
	HTTP    HTTP
	Input   *Ref // nil when the operation takes no input
	Output  *Ref // nil when the operation returns nothing
	Errors  []*Ref
	// HostPrefix is the endpoint host prefix template ("{AccountId}.").
	HostPrefix string
	// ChecksumRequired says the request must carry Content-MD5 or a
	// flexible checksum (httpChecksumRequired / requestChecksumRequired).
	ChecksumRequired bool
	// ChecksumAlgorithmMember names the input member that selects the
	// request checksum algorithm; ChecksumModeMember the one that asks for
	// response checksums.
	ChecksumAlgorithmMember string
	ChecksumModeMember      string
	ResponseChecksums       []string
	AuthType                string
	Deprecated              bool
	Idempotent              bool

	uri URITemplate
}

// HTTP is an operation's HTTP binding.
type HTTP struct {
	Method       string
	RequestURI   string
	ResponseCode int
}

// URI returns the parsed request URI template.
func (o *Operation) URI() URITemplate { return o.uri }

// Ref is a reference to a shape together with the traits the reference
// adds: a structure member, a list element, a map key or value, or an
// operation's input or output.
type Ref struct {
	// Name is the member name (empty for list elements, map keys/values
	// and operation input/output).
	Name  string
	Shape *Shape

	Location         string
	LocationName     string
	QueryName        string
	Flattened        bool
	XMLAttribute     bool
	XMLNamespace     *XMLNamespace
	TimestampFormat  string
	JSONValue        bool
	IdempotencyToken bool
	HostLabel        bool
	Streaming        bool
	EventPayload     bool
	Deprecated       bool
	// ResultWrapper is the query protocol's result element (output refs).
	ResultWrapper string
}

// XMLNamespace is an xmlNamespace trait.
type XMLNamespace struct {
	Prefix string `json:"prefix,omitempty"`
	URI    string `json:"uri,omitempty"`
}

// Shape is a named type of the model.
type Shape struct {
	Name string
	Type Type

	// Structure.
	Members  []*Ref
	Required []string
	// Payload names the member that is the whole HTTP body (rest
	// protocols).
	Payload string

	// List element; map key and value.
	Member *Ref
	Key    *Ref
	Value  *Ref

	Flattened       bool
	LocationName    string
	XMLNamespace    *XMLNamespace
	TimestampFormat string
	Streaming       bool
	Sensitive       bool
	Union           bool
	EventStream     bool
	Event           bool
	Deprecated      bool

	// Validation traits.
	Enum    []string
	Min     *float64
	Max     *float64
	Pattern string

	// Exceptions.
	Exception bool
	Fault     bool
	Error     *ErrorTrait

	// Shape-level location traits appear in old models and some protocol
	// test vectors; member refs inherit them.
	Location      string
	ResultWrapper string

	// members finds a member by name in a structure of more than
	// linearMembers members that Load built; loaded says Load built the
	// shape (a smaller one is scanned; a shape built by hand has neither).
	members map[string]*Ref
	loaded  bool
	// requiredIndex holds the index in Members of each Required name (-1
	// for a name that is no member); unchecked says no value of the shape
	// can break a constraint (see Unconstrained). Load sets both.
	requiredIndex []int
	unchecked     bool
}

// ErrorTrait is an exception shape's error block.
type ErrorTrait struct {
	Code           string `json:"code,omitempty"`
	HTTPStatusCode int    `json:"httpStatusCode,omitempty"`
	SenderFault    bool   `json:"senderFault,omitempty"`
}

// MemberByName returns the member called name.
func (s *Shape) MemberByName(name string) (*Ref, bool) {
	if s.members != nil || !s.loaded {
		r, ok := s.members[name]
		return r, ok
	}
	for _, m := range s.Members {
		if m.Name == name {
			return m, true
		}
	}
	return nil, false
}

// RequiredIndex returns, for each of Required in turn, the index of
// that member in Members, or -1 when no member has the name.
func (s *Shape) RequiredIndex() []int {
	if len(s.requiredIndex) == len(s.Required) {
		return s.requiredIndex
	}
	return requiredIndex(s) // a shape built by hand, not by Load
}

func requiredIndex(s *Shape) []int {
	idx := make([]int, len(s.Required))
	fillRequiredIndex(s, idx)
	return idx
}

func fillRequiredIndex(s *Shape, idx []int) {
	for i, name := range s.Required {
		idx[i] = -1
		for k, m := range s.Members {
			if m.Name == name {
				idx[i] = k
				break
			}
		}
	}
}

// Unconstrained reports that no value of the shape can break a
// constraint Validate checks: it has none (no required member, length,
// range, enum or pattern) and neither do the shapes of its members,
// elements, keys and values, however deep. A validator need not walk
// such a value. Shapes not built by Load are never Unconstrained.
func (s *Shape) Unconstrained() bool { return s.unchecked }

// ownConstraint reports whether s itself has a constraint Validate
// checks.
func (s *Shape) ownConstraint() bool {
	switch s.Type {
	case Structure:
		return len(s.Required) > 0
	case String:
		return s.Min != nil || s.Max != nil || len(s.Enum) > 0 || s.Pattern != ""
	case List, Map, Blob, Integer, Long:
		return s.Min != nil || s.Max != nil
	}
	return false
}

// markUnconstrained sets unchecked on the shapes no constraint is
// reachable from: every shape starts unchecked unless it has a
// constraint of its own, and a shape referring to a checked one becomes
// checked, until nothing changes (as many passes as the longest chain of
// references: ~0.5 ms for EC2's model, whose Load takes ~45 ms).
func markUnconstrained(shapes map[string]*Shape) {
	all := make([]*Shape, 0, len(shapes))
	for _, s := range shapes {
		s.unchecked = !s.ownConstraint()
		if s.unchecked {
			all = append(all, s)
		}
	}
	for changed := true; changed; {
		changed = false
		n := 0
		for _, s := range all {
			if s.reachesChecked() {
				s.unchecked = false
				changed = true
				continue
			}
			all[n] = s
			n++
		}
		all = all[:n]
	}
}

// reachesChecked reports whether a shape s refers to is checked.
func (s *Shape) reachesChecked() bool {
	for _, r := range [...]*Ref{s.Member, s.Key, s.Value} {
		if r != nil && !r.Shape.unchecked {
			return true
		}
	}
	for _, r := range s.Members {
		if !r.Shape.unchecked {
			return true
		}
	}
	return false
}

// IsRequired reports whether member name is required.
func (s *Shape) IsRequired(name string) bool {
	for _, r := range s.Required {
		if r == name {
			return true
		}
	}
	return false
}

// PayloadMember returns the structure's payload member, if any.
func (s *Shape) PayloadMember() *Ref {
	if s == nil || s.Payload == "" {
		return nil
	}
	r, _ := s.MemberByName(s.Payload)
	return r
}

// ErrorCode is the wire code of an exception shape: the error trait's code
// or, failing that, the shape name.
func (s *Shape) ErrorCode() string {
	if s.Error != nil && s.Error.Code != "" {
		return s.Error.Code
	}
	return s.Name
}

// XMLName is the element (or query key) name of this reference: its
// locationName, the shape's locationName, or the member name.
func (r *Ref) XMLName() string {
	if r.LocationName != "" {
		return r.LocationName
	}
	if r.Shape != nil && r.Shape.LocationName != "" {
		return r.Shape.LocationName
	}
	return r.Name
}

// IsFlattened reports whether a list or map reference is flattened.
func (r *Ref) IsFlattened() bool { return r.Flattened || (r.Shape != nil && r.Shape.Flattened) }

// Namespace returns the reference's xmlNamespace, falling back to the
// shape's.
func (r *Ref) Namespace() *XMLNamespace {
	if r.XMLNamespace != nil {
		return r.XMLNamespace
	}
	if r.Shape != nil {
		return r.Shape.XMLNamespace
	}
	return nil
}

// TimestampFormatOr returns the explicit timestamp format of the reference
// or shape, or def when neither sets one.
func (r *Ref) TimestampFormatOr(def string) string {
	if r.TimestampFormat != "" {
		return r.TimestampFormat
	}
	if r.Shape != nil && r.Shape.TimestampFormat != "" {
		return r.Shape.TimestampFormat
	}
	return def
}

// IsStreaming reports whether the reference is a streaming blob.
func (r *Ref) IsStreaming() bool { return r.Streaming || (r.Shape != nil && r.Shape.Streaming) }

// URITemplate is a parsed requestUri: path segments with {labels} and the
// literal query parameters after '?'.
type URITemplate struct {
	Raw      string
	Segments []URISegment
	// Query holds literal query parameters ("?uploads", "?list-type=2"):
	// a request matches only when each key is present (with the value,
	// when one is given).
	Query []QueryLiteral
	// TrailingSlash is true when the path ends in '/'.
	TrailingSlash bool
}

// URISegment is one '/'-separated part of a URI path: a literal, a label
// ({Bucket}), a greedy label ({Key+}), or a literal with embedded labels.
type URISegment struct {
	Literal string // set for a pure literal
	Label   string // set for a label; Greedy for {Name+}
	Greedy  bool
	// Prefix and Suffix surround a label inside one segment
	// ("{Name}.json" has Suffix ".json").
	Prefix, Suffix string
}

// QueryLiteral is a fixed query parameter from a requestUri.
type QueryLiteral struct {
	Key, Value string
	HasValue   bool
}

// ParseURITemplate parses an AWS requestUri.
func ParseURITemplate(raw string) (URITemplate, error) {
	t := URITemplate{Raw: raw}
	path, query, _ := strings.Cut(raw, "?")
	if query != "" {
		for _, kv := range strings.Split(query, "&") {
			if kv == "" {
				continue
			}
			k, v, has := strings.Cut(kv, "=")
			t.Query = append(t.Query, QueryLiteral{Key: k, Value: v, HasValue: has})
		}
	}
	path = strings.TrimPrefix(path, "/")
	if path == "" {
		return t, nil
	}
	t.TrailingSlash = strings.HasSuffix(path, "/")
	path = strings.TrimSuffix(path, "/")
	for _, seg := range strings.Split(path, "/") {
		open := strings.IndexByte(seg, '{')
		if open < 0 {
			t.Segments = append(t.Segments, URISegment{Literal: seg})
			continue
		}
		end := strings.IndexByte(seg, '}')
		if end < open {
			return t, fmt.Errorf("uri %q: unbalanced label in %q", raw, seg)
		}
		label := seg[open+1 : end]
		s := URISegment{Prefix: seg[:open], Suffix: seg[end+1:]}
		if strings.HasSuffix(label, "+") {
			s.Greedy = true
			label = strings.TrimSuffix(label, "+")
		}
		s.Label = label
		t.Segments = append(t.Segments, s)
	}
	return t, nil
}

// EventStream is the dynamic value of an output's event stream member
// (a union shape with the eventstream trait). The codec calls it after
// writing the response's headers (and, for RPC protocols, its
// initial-response message), with the request's context. It calls send
// once per event: a union value with exactly one member set
// (map[string]any{"PayloadChunk": map[string]any{...}}), an exception
// member being sent as an exception message. send fails once the client
// has gone, and the function should then return. Returning an error ends
// the stream with it: an error whose code names an exception member of
// the union is sent as that exception, any other as an error message.
type EventStream func(ctx context.Context, send func(event map[string]any) error) error

// EventStreamMember returns sh's event stream member, if it has one.
func (s *Shape) EventStreamMember() *Ref {
	for _, m := range s.Members {
		if m.Shape != nil && m.Shape.EventStream {
			return m
		}
	}
	return nil
}
