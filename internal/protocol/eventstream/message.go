// Package eventstream is AWS's binary event stream framing
// (application/vnd.amazon.eventstream), which answers the operations whose
// output carries an event stream member (Lambda InvokeWithResponseStream,
// CloudWatch Logs StartLiveTail, S3 SelectObjectContent):
//
//	total length   uint32, big-endian, the whole message
//	headers length uint32
//	prelude CRC    CRC32 (IEEE) of the 8 bytes above
//	headers        name length (1 byte), name, value type (1 byte), value
//	payload        total - headers - 16 bytes
//	message CRC    CRC32 of everything before it
//
// It is written once here for every codec: Message and Decoder are the
// framing, Serve turns a handler's event stream (model.EventStream) into
// messages, encoding structure payloads in the codec's own body format.
package eventstream

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"time"
)

// ContentType is the media type of an event stream response.
const ContentType = "application/vnd.amazon.eventstream"

// Limits of the format, as AWS's SDK decoders enforce them: a message
// over them is refused before its bytes are read.
const (
	preludeLen = 12
	crcLen     = 4
	// minMessageLength is a message with no headers and no payload.
	minMessageLength = preludeLen + crcLen
	// MaxPayloadLength bounds one message's payload (16 MiB).
	MaxPayloadLength = 16 << 20
	// MaxHeadersLength bounds one message's encoded headers (128 KiB).
	MaxHeadersLength = 128 << 10
	// MaxMessageLength bounds a whole message.
	MaxMessageLength = minMessageLength + MaxHeadersLength + MaxPayloadLength
	maxHeaderName    = 255
	maxHeaderValue   = 1<<15 - 1
)

// Header value types (the byte after the header name).
const (
	typeBoolTrue  byte = 0
	typeBoolFalse byte = 1
	typeByte      byte = 2
	typeShort     byte = 3
	typeInt       byte = 4
	typeLong      byte = 5
	typeBytes     byte = 6
	typeString    byte = 7
	typeTimestamp byte = 8
	typeUUID      byte = 9
)

// UUID is a header value of the uuid type.
type UUID [16]byte

// Header is one message header. Value is a bool, int8, int16, int32,
// int64, []byte, string, time.Time (millisecond precision) or UUID.
type Header struct {
	Name  string
	Value any
}

// Message is one event stream message.
type Message struct {
	Headers []Header
	Payload []byte
}

// Header returns the value of the header called name, nil when absent.
func (m *Message) Header(name string) any {
	for _, h := range m.Headers {
		if h.Name == name {
			return h.Value
		}
	}
	return nil
}

// String returns a string header's value, "" when absent or not a string.
func (m *Message) String(name string) string {
	s, _ := m.Header(name).(string)
	return s
}

// Append appends m's encoding to b.
func (m *Message) Append(b []byte) ([]byte, error) {
	start := len(b)
	b = append(b, make([]byte, preludeLen)...)
	var err error
	for _, h := range m.Headers {
		if b, err = appendHeader(b, h); err != nil {
			return b[:start], err
		}
	}
	headersLen := len(b) - start - preludeLen
	if headersLen > MaxHeadersLength {
		return b[:start], fmt.Errorf("eventstream: headers of %d bytes exceed %d", headersLen, MaxHeadersLength)
	}
	if len(m.Payload) > MaxPayloadLength {
		return b[:start], fmt.Errorf("eventstream: payload of %d bytes exceeds %d", len(m.Payload), MaxPayloadLength)
	}
	b = append(b, m.Payload...)
	total := len(b) - start + crcLen
	binary.BigEndian.PutUint32(b[start:], uint32(total))
	binary.BigEndian.PutUint32(b[start+4:], uint32(headersLen))
	binary.BigEndian.PutUint32(b[start+8:], crc32.ChecksumIEEE(b[start:start+8]))
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b[start:])), nil
}

func appendHeader(b []byte, h Header) ([]byte, error) {
	if h.Name == "" || len(h.Name) > maxHeaderName {
		return b, fmt.Errorf("eventstream: header name %q must be 1 to %d bytes", h.Name, maxHeaderName)
	}
	b = append(b, byte(len(h.Name)))
	b = append(b, h.Name...)
	switch v := h.Value.(type) {
	case bool:
		if v {
			return append(b, typeBoolTrue), nil
		}
		return append(b, typeBoolFalse), nil
	case int8:
		return append(b, typeByte, byte(v)), nil
	case int16:
		return binary.BigEndian.AppendUint16(append(b, typeShort), uint16(v)), nil
	case int32:
		return binary.BigEndian.AppendUint32(append(b, typeInt), uint32(v)), nil
	case int64:
		return binary.BigEndian.AppendUint64(append(b, typeLong), uint64(v)), nil
	case []byte:
		if len(v) > maxHeaderValue {
			return b, fmt.Errorf("eventstream: header %s value exceeds %d bytes", h.Name, maxHeaderValue)
		}
		b = binary.BigEndian.AppendUint16(append(b, typeBytes), uint16(len(v)))
		return append(b, v...), nil
	case string:
		if len(v) > maxHeaderValue {
			return b, fmt.Errorf("eventstream: header %s value exceeds %d bytes", h.Name, maxHeaderValue)
		}
		b = binary.BigEndian.AppendUint16(append(b, typeString), uint16(len(v)))
		return append(b, v...), nil
	case time.Time:
		return binary.BigEndian.AppendUint64(append(b, typeTimestamp), uint64(v.UnixMilli())), nil
	case UUID:
		return append(append(b, typeUUID), v[:]...), nil
	}
	return b, fmt.Errorf("eventstream: header %s has unsupported value type %T", h.Name, h.Value)
}

// ErrTooLarge is a message whose prelude declares more than the limits.
var ErrTooLarge = errors.New("eventstream: message exceeds the format's limits")

// ErrChecksum is a message whose prelude or message CRC does not match.
var ErrChecksum = errors.New("eventstream: checksum mismatch")

// Decoder reads messages from a stream.
type Decoder struct {
	r   io.Reader
	buf []byte
}

// NewDecoder returns a decoder reading r.
func NewDecoder(r io.Reader) *Decoder { return &Decoder{r: r} }

// Decode reads the next message. It returns io.EOF at a clean end of the
// stream (between messages) and io.ErrUnexpectedEOF inside one. The
// declared lengths are checked against the limits before the message is
// read, so a hostile prelude cannot make it allocate.
func (d *Decoder) Decode() (*Message, error) {
	var prelude [preludeLen]byte
	if _, err := io.ReadFull(d.r, prelude[:]); err != nil {
		return nil, err
	}
	total, err := checkPrelude(prelude[:])
	if err != nil {
		return nil, err
	}
	if cap(d.buf) < total {
		d.buf = make([]byte, total)
	}
	b := d.buf[:total]
	copy(b, prelude[:])
	if _, err := io.ReadFull(d.r, b[preludeLen:]); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	m, _, err := Parse(b)
	return m, err
}

// checkPrelude validates a message prelude and returns the total length.
func checkPrelude(p []byte) (int, error) {
	total := binary.BigEndian.Uint32(p)
	headers := binary.BigEndian.Uint32(p[4:])
	if crc32.ChecksumIEEE(p[:8]) != binary.BigEndian.Uint32(p[8:]) {
		return 0, fmt.Errorf("%w: prelude", ErrChecksum)
	}
	if total > MaxMessageLength || headers > MaxHeadersLength {
		return 0, ErrTooLarge
	}
	if total < minMessageLength || uint64(headers)+minMessageLength > uint64(total) {
		return 0, fmt.Errorf("eventstream: message length %d cannot hold %d bytes of headers", total, headers)
	}
	return int(total), nil
}

// Parse decodes the message at the start of b and returns it with the
// number of bytes it took. The message's Payload and []byte header values
// are copies, not views of b.
func Parse(b []byte) (*Message, int, error) {
	if len(b) < preludeLen {
		return nil, 0, io.ErrUnexpectedEOF
	}
	total, err := checkPrelude(b)
	if err != nil {
		return nil, 0, err
	}
	if len(b) < total {
		return nil, 0, io.ErrUnexpectedEOF
	}
	b = b[:total]
	if crc32.ChecksumIEEE(b[:total-crcLen]) != binary.BigEndian.Uint32(b[total-crcLen:]) {
		return nil, 0, fmt.Errorf("%w: message", ErrChecksum)
	}
	headersLen := int(binary.BigEndian.Uint32(b[4:]))
	m := &Message{}
	hb := b[preludeLen : preludeLen+headersLen]
	for len(hb) > 0 {
		var h Header
		if h, hb, err = parseHeader(hb); err != nil {
			return nil, 0, err
		}
		m.Headers = append(m.Headers, h)
	}
	if p := b[preludeLen+headersLen : total-crcLen]; len(p) > 0 {
		m.Payload = append([]byte(nil), p...)
	}
	return m, total, nil
}

var errHeader = errors.New("eventstream: malformed header")

func parseHeader(b []byte) (Header, []byte, error) {
	n := int(b[0])
	if n == 0 || len(b) < 1+n+1 {
		return Header{}, nil, errHeader
	}
	h := Header{Name: string(b[1 : 1+n])}
	typ := b[1+n]
	b = b[2+n:]
	need := func(k int) bool { return len(b) >= k }
	switch typ {
	case typeBoolTrue:
		h.Value = true
	case typeBoolFalse:
		h.Value = false
	case typeByte:
		if !need(1) {
			return h, nil, errHeader
		}
		h.Value, b = int8(b[0]), b[1:]
	case typeShort:
		if !need(2) {
			return h, nil, errHeader
		}
		h.Value, b = int16(binary.BigEndian.Uint16(b)), b[2:]
	case typeInt:
		if !need(4) {
			return h, nil, errHeader
		}
		h.Value, b = int32(binary.BigEndian.Uint32(b)), b[4:]
	case typeLong:
		if !need(8) {
			return h, nil, errHeader
		}
		h.Value, b = int64(binary.BigEndian.Uint64(b)), b[8:]
	case typeTimestamp:
		if !need(8) {
			return h, nil, errHeader
		}
		h.Value, b = time.UnixMilli(int64(binary.BigEndian.Uint64(b))).UTC(), b[8:]
	case typeBytes, typeString:
		if !need(2) {
			return h, nil, errHeader
		}
		k := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		if k > maxHeaderValue || !need(k) {
			return h, nil, errHeader
		}
		if typ == typeString {
			h.Value = string(b[:k])
		} else {
			h.Value = append([]byte(nil), b[:k]...)
		}
		b = b[k:]
	case typeUUID:
		if !need(16) {
			return h, nil, errHeader
		}
		var u UUID
		copy(u[:], b)
		h.Value, b = u, b[16:]
	default:
		return h, nil, fmt.Errorf("eventstream: header %s has unknown value type %d", h.Name, typ)
	}
	return h, b, nil
}

// appendPrelude appends a prelude with a valid CRC over the 8 length
// bytes p (tests build hostile preludes with it).
func (*Message) appendPrelude(p []byte) []byte {
	b := append([]byte(nil), p[:8]...)
	return binary.BigEndian.AppendUint32(b, crc32.ChecksumIEEE(b))
}
