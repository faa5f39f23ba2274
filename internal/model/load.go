package model

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// The raw JSON forms mirror api-2.json; only serialization and validation
// traits are read, documentation is ignored.

type rawRef struct {
	Shape            string        `json:"shape"`
	Location         string        `json:"location,omitempty"`
	LocationName     string        `json:"locationName,omitempty"`
	QueryName        string        `json:"queryName,omitempty"`
	Flattened        bool          `json:"flattened,omitempty"`
	XMLAttribute     bool          `json:"xmlAttribute,omitempty"`
	XMLNamespace     *XMLNamespace `json:"xmlNamespace,omitempty"`
	TimestampFormat  string        `json:"timestampFormat,omitempty"`
	JSONValue        bool          `json:"jsonvalue,omitempty"`
	IdempotencyToken bool          `json:"idempotencyToken,omitempty"`
	HostLabel        bool          `json:"hostLabel,omitempty"`
	Streaming        bool          `json:"streaming,omitempty"`
	EventPayload     bool          `json:"eventpayload,omitempty"`
	Deprecated       bool          `json:"deprecated,omitempty"`
	ResultWrapper    string        `json:"resultWrapper,omitempty"`
	Box              bool          `json:"box,omitempty"`
	// Payload on an operation's input/output ref (only the protocol test
	// vectors put it there rather than on the shape).
	Payload string `json:"payload,omitempty"`
}

type rawShape struct {
	// Members has no omitempty: Trim always wrote "members" ({} for a
	// shape without), and the embedded models are what it wrote.
	Type            Type          `json:"type"`
	Members         orderedRefs   `json:"members"`
	Required        []string      `json:"required,omitempty"`
	Payload         string        `json:"payload,omitempty"`
	Member          *rawRef       `json:"member,omitempty"`
	Key             *rawRef       `json:"key,omitempty"`
	Value           *rawRef       `json:"value,omitempty"`
	Flattened       bool          `json:"flattened,omitempty"`
	LocationName    string        `json:"locationName,omitempty"`
	Location        string        `json:"location,omitempty"`
	XMLNamespace    *XMLNamespace `json:"xmlNamespace,omitempty"`
	TimestampFormat string        `json:"timestampFormat,omitempty"`
	Streaming       bool          `json:"streaming,omitempty"`
	Sensitive       bool          `json:"sensitive,omitempty"`
	Union           bool          `json:"union,omitempty"`
	EventStream     bool          `json:"eventstream,omitempty"`
	Event           bool          `json:"event,omitempty"`
	Deprecated      bool          `json:"deprecated,omitempty"`
	Enum            []string      `json:"enum,omitempty"`
	Min             *float64      `json:"min,omitempty"`
	Max             *float64      `json:"max,omitempty"`
	Pattern         string        `json:"pattern,omitempty"`
	Exception       bool          `json:"exception,omitempty"`
	Fault           bool          `json:"fault,omitempty"`
	Error           *ErrorTrait   `json:"error,omitempty"`
	ResultWrapper   string        `json:"resultWrapper,omitempty"`
	Document        bool          `json:"document,omitempty"`
}

type rawOperation struct {
	Name string `json:"name"`
	HTTP struct {
		Method       string `json:"method,omitempty"`
		RequestURI   string `json:"requestUri,omitempty"`
		ResponseCode int    `json:"responseCode,omitempty"`
	} `json:"http"`
	Input    *rawRef  `json:"input,omitempty"`
	Output   *rawRef  `json:"output,omitempty"`
	Errors   []rawRef `json:"errors,omitempty"`
	Endpoint *struct {
		HostPrefix string `json:"hostPrefix"`
	} `json:"endpoint,omitempty"`
	HTTPChecksumRequired bool          `json:"httpChecksumRequired,omitempty"`
	HTTPChecksum         *httpChecksum `json:"httpChecksum,omitempty"`
	AuthType             string        `json:"authtype,omitempty"`
	Deprecated           bool          `json:"deprecated,omitempty"`
	Idempotent           bool          `json:"idempotent,omitempty"`
}

type httpChecksum struct {
	RequestChecksumRequired     bool     `json:"requestChecksumRequired,omitempty"`
	RequestAlgorithmMember      string   `json:"requestAlgorithmMember,omitempty"`
	RequestValidationModeMember string   `json:"requestValidationModeMember,omitempty"`
	ResponseAlgorithms          []string `json:"responseAlgorithms,omitempty"`
}

type rawMetadata struct {
	Metadata
	RawAWSQueryCompatible json.RawMessage `json:"awsQueryCompatible,omitempty"`
}

type rawService struct {
	Metadata   rawMetadata              `json:"metadata"`
	Operations map[string]*rawOperation `json:"operations"`
	Shapes     map[string]*rawShape     `json:"shapes"`
}

// orderedRefs keeps structure members in model order: XML and query
// encodings emit members in that order.
type orderedRefs []namedRef

type namedRef struct {
	name string
	rawRef
}

func (o *orderedRefs) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	if _, err := dec.Token(); err != nil { // '{'
		return err
	}
	*o = (*o)[:0]
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		name, _ := tok.(string)
		var r rawRef
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("member %s: %w", name, err)
		}
		*o = append(*o, namedRef{name, r})
	}
	_, err := dec.Token() // '}'
	return err
}

func (o orderedRefs) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteByte('{')
	for i := range o {
		if i > 0 {
			buf.WriteByte(',')
		}
		k, _ := json.Marshal(o[i].name)
		v, err := json.Marshal(&o[i].rawRef)
		if err != nil {
			return nil, err
		}
		buf.Write(k)
		buf.WriteByte(':')
		buf.Write(v)
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// Load reads a model in the api-2.json format.
//
// It reads the document in one pass with a small scanner (scan.go) that
// decodes only the traits it keeps and skips the rest, documentation
// included, unread: encoding/json's reflection and a second decoding of
// every structure's members made it ~10x slower, and every service's
// first request pays its model's load (EC2's embedded model is 0.9 MB).
func Load(data []byte) (*Service, error) {
	p, err := scan(data)
	if err != nil {
		return nil, fmt.Errorf("model: %w", err)
	}
	return build(p)
}

// Trim re-encodes an api-2.json model with only the traits Load reads, so
// the generator can embed it compactly.
func Trim(data []byte) ([]byte, error) {
	var raw rawService
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, err
	}
	type trimmedMetadata struct {
		Metadata
		AWSQueryCompatible *struct{} `json:"awsQueryCompatible,omitempty"`
	}
	meta := trimmedMetadata{Metadata: raw.Metadata.Metadata}
	if queryCompatible(raw.Metadata.RawAWSQueryCompatible) {
		meta.AWSQueryCompatible = &struct{}{}
	}
	return json.Marshal(struct {
		Metadata   trimmedMetadata          `json:"metadata"`
		Operations map[string]*rawOperation `json:"operations"`
		Shapes     map[string]*rawShape     `json:"shapes"`
	}{meta, raw.Operations, raw.Shapes})
}

func queryCompatible(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) > 0 && !bytes.Equal(raw, []byte("null"))
}

// lastOf drops all but the last of the elements of xs that share a name:
// a key repeated in a JSON object, whose last value encoding/json keeps.
func lastOf[T any](xs []T, name func(*T) string) []T {
	last := make(map[string]int, len(xs))
	for i := range xs {
		last[name(&xs[i])] = i
	}
	if len(last) == len(xs) {
		return xs
	}
	out := make([]T, 0, len(last))
	for i := range xs {
		if last[name(&xs[i])] == i {
			out = append(out, xs[i])
		}
	}
	return out
}

func build(raw *parsed) (*Service, error) {
	// Operations are few: look for a repeated key every time. Shapes
	// are many: the shape map below finds a repeated one.
	raw.ops = lastOf(raw.ops, func(o *namedOp) string { return o.name })

	// A loaded model lives as long as niwa and every collection marks it,
	// so build lays it out in few objects: the shapes, refs and operations
	// each in one array, members lists and required indexes sliced from
	// shared arrays, strings interned into pointer-free slabs. EC2's model
	// alone is ~40 000 objects laid out one by one.
	b := newArena(raw)
	svc := &Service{
		Metadata:   b.metadata(&raw.meta),
		Operations: make(map[string]*Operation, len(raw.ops)),
		Shapes:     make(map[string]*Shape, len(raw.shapes)),
	}
	svc.Metadata.AWSQueryCompatible = raw.queryCompatible
	shapes := make([]Shape, len(raw.shapes))
	for i := range raw.shapes {
		name, rs := raw.shapes[i].name, &raw.shapes[i].rawShape
		if _, dup := svc.Shapes[name]; dup {
			raw.shapes = lastOf(raw.shapes, func(s *namedShape) string { return s.name })
			return build(raw)
		}
		typ := rs.Type
		if rs.Document {
			typ = Document
		}
		name = b.str(name)
		shapes[i] = Shape{
			Name: name, Type: Type(b.str(string(typ))), Required: b.strs(rs.Required), Payload: b.str(rs.Payload),
			Flattened: rs.Flattened, LocationName: b.str(rs.LocationName), Location: b.str(rs.Location),
			XMLNamespace: b.xmlns(rs.XMLNamespace), TimestampFormat: b.str(rs.TimestampFormat),
			Streaming: rs.Streaming, Sensitive: rs.Sensitive, Union: rs.Union,
			EventStream: rs.EventStream, Event: rs.Event, Deprecated: rs.Deprecated,
			Enum: b.strs(rs.Enum), Min: b.float(rs.Min), Max: b.float(rs.Max), Pattern: b.str(rs.Pattern),
			Exception: rs.Exception, Fault: rs.Fault, Error: b.errTrait(rs.Error),
			ResultWrapper: b.str(rs.ResultWrapper),
		}
		svc.Shapes[name] = &shapes[i]
	}
	// ref builds the Ref r of owner's part (a member's name, "member",
	// "input"...); the name of a member. The error names them, joined
	// only when there is one.
	ref := func(owner, part, name string, r *rawRef) (*Ref, error) {
		if r == nil {
			return nil, nil
		}
		sh, ok := svc.Shapes[r.Shape]
		if !ok {
			return nil, fmt.Errorf("model: %s.%s refers to unknown shape %q", owner, part, r.Shape)
		}
		out := b.ref()
		*out = Ref{
			Name: b.str(name), Shape: sh, Location: b.str(r.Location), LocationName: b.str(r.LocationName),
			QueryName: b.str(r.QueryName), Flattened: r.Flattened, XMLAttribute: r.XMLAttribute,
			XMLNamespace: b.xmlns(r.XMLNamespace), TimestampFormat: b.str(r.TimestampFormat),
			JSONValue: r.JSONValue, IdempotencyToken: r.IdempotencyToken,
			HostLabel: r.HostLabel, Streaming: r.Streaming, EventPayload: r.EventPayload,
			Deprecated: r.Deprecated, ResultWrapper: b.str(r.ResultWrapper),
		}
		if out.Location == "" {
			out.Location = sh.Location
		}
		return out, nil
	}
	var err error
	for i := range raw.shapes {
		name, rs := raw.shapes[i].name, &raw.shapes[i].rawShape
		sh := &shapes[i]
		if sh.Member, err = ref(name, "member", "", rs.Member); err != nil {
			return nil, err
		}
		if sh.Key, err = ref(name, "key", "", rs.Key); err != nil {
			return nil, err
		}
		if sh.Value, err = ref(name, "value", "", rs.Value); err != nil {
			return nil, err
		}
		if n := len(rs.Members); n > 0 {
			sh.Members = b.refList(n)
			if n > linearMembers {
				sh.members = make(map[string]*Ref, n)
			}
		}
		for k := range rs.Members {
			mn := rs.Members[k].name
			m, err := ref(name, mn, mn, &rs.Members[k].rawRef)
			if err != nil {
				return nil, err
			}
			sh.Members[k] = m
			if sh.members != nil {
				sh.members[m.Name] = m
			}
		}
		switch {
		case sh.Type == List && sh.Member == nil:
			return nil, fmt.Errorf("model: list %s has no member", name)
		case sh.Type == Map && (sh.Key == nil || sh.Value == nil):
			return nil, fmt.Errorf("model: map %s lacks key or value", name)
		}
		if len(sh.Required) > 0 {
			sh.requiredIndex = b.ints(len(sh.Required))
			fillRequiredIndex(sh, sh.requiredIndex)
		}
		sh.loaded = true
	}
	markUnconstrained(svc.Shapes)
	ops := make([]Operation, len(raw.ops))
	for i := range raw.ops {
		name, ro := raw.ops[i].name, &raw.ops[i].rawOperation
		op := &ops[i]
		*op = Operation{
			Name:       b.str(name),
			Service:    svc,
			HTTP:       HTTP{Method: b.str(ro.HTTP.Method), RequestURI: b.str(ro.HTTP.RequestURI), ResponseCode: ro.HTTP.ResponseCode},
			AuthType:   b.str(ro.AuthType),
			Deprecated: ro.Deprecated,
			Idempotent: ro.Idempotent,
		}
		if ro.Name != "" {
			op.Name = b.str(ro.Name)
		}
		if op.HTTP.Method == "" {
			op.HTTP.Method = "POST"
		}
		if op.HTTP.RequestURI == "" {
			op.HTTP.RequestURI = "/"
		}
		if op.uri, err = ParseURITemplate(op.HTTP.RequestURI); err != nil {
			return nil, err
		}
		if op.Input, err = ref(name, "input", "", ro.Input); err != nil {
			return nil, err
		}
		if op.Output, err = ref(name, "output", "", ro.Output); err != nil {
			return nil, err
		}
		for _, c := range []struct {
			ref *Ref
			raw *rawRef
		}{{op.Input, ro.Input}, {op.Output, ro.Output}} {
			if c.ref != nil && c.raw.Payload != "" && c.ref.Shape.Payload == "" {
				c.ref.Shape.Payload = b.str(c.raw.Payload)
			}
		}
		if op.Output != nil && op.Output.ResultWrapper == "" {
			op.Output.ResultWrapper = op.Output.Shape.ResultWrapper
		}
		if len(ro.Errors) > 0 {
			op.Errors = b.refList(len(ro.Errors))
		}
		for k := range ro.Errors {
			e, err := ref(name, "errors", "", &ro.Errors[k])
			if err != nil {
				return nil, err
			}
			op.Errors[k] = e
		}
		if ro.Endpoint != nil {
			op.HostPrefix = b.str(ro.Endpoint.HostPrefix)
		}
		op.ChecksumRequired = ro.HTTPChecksumRequired
		if c := ro.HTTPChecksum; c != nil {
			op.ChecksumRequired = op.ChecksumRequired || c.RequestChecksumRequired
			op.ChecksumAlgorithmMember = b.str(c.RequestAlgorithmMember)
			op.ChecksumModeMember = b.str(c.RequestValidationModeMember)
			op.ResponseChecksums = b.strs(c.ResponseAlgorithms)
		}
		svc.Operations[op.Name] = op
	}
	return svc, nil
}

// ProtocolOf returns the protocol family the service is served with:
// "query", "ec2", "json", "rest-json" or "rest-xml".
func (s *Service) ProtocolOf() string {
	return strings.TrimSpace(s.Metadata.Protocol)
}
