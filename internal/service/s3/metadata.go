package s3

import (
	"mime"
	"strings"
	"unicode/utf8"
)

// User metadata values travel in HTTP headers. S3 "examines the provided
// unicode string for non-US-ASCII characters. Values of such headers are
// character decoded as per RFC 2047 before storing and encoded as per RFC
// 2047 to make them mail-safe before returning" (S3 User Guide, "Working
// with object metadata"): a value sent as an encoded-word is stored
// decoded, and a stored value with bytes outside printable ASCII comes
// back as one UTF-8 Q encoded-word ("=?UTF-8?Q?=C3=A9t=C3=A9?="), as S3
// answers.

// decodeMetaValue decodes RFC 2047 encoded-words in a metadata value; a
// value that is not valid encoded-word text is kept as sent.
func decodeMetaValue(v string) string {
	if !strings.Contains(v, "=?") {
		return storableMetaValue(v)
	}
	d, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		d = v
	}
	return storableMetaValue(d)
}

// storableMetaValue keeps bytes that are not UTF-8 (a raw byte such as
// 0xFF in a header) as their answer's encoded-word: records are stored as
// JSON, which would replace them with U+FFFD.
func storableMetaValue(v string) string {
	if utf8.ValidString(v) {
		return v
	}
	return encodeMetaValue(v)
}

// encodeMetaValue is the value as S3 returns it: as stored when it is
// printable ASCII, else a Q encoded-word of its bytes.
func encodeMetaValue(v string) string {
	plain := true
	for i := 0; i < len(v); i++ {
		if v[i] < 0x20 || v[i] > 0x7e {
			plain = false
			break
		}
	}
	if plain {
		return v
	}
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	b.WriteString("=?UTF-8?Q?")
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == ' ':
			b.WriteByte('_')
		case c > 0x20 && c < 0x7f && c != '=' && c != '?' && c != '_':
			b.WriteByte(c)
		default:
			b.WriteByte('=')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&0xf])
		}
	}
	b.WriteString("?=")
	return b.String()
}

// encodeMetadata is a stored metadata map as responses carry it.
func encodeMetadata(md map[string]string) map[string]string {
	if md == nil {
		return nil
	}
	out := make(map[string]string, len(md))
	for k, v := range md {
		out[k] = encodeMetaValue(v)
	}
	return out
}
