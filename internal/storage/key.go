package storage

import "fmt"

// Tuple keys. Each part is written with its 0x00 bytes escaped as 0x00 0xFF
// and is terminated by 0x00 0x01 (the FoundationDB tuple layer's idea). The
// terminator sorts below every escaped or plain byte, so:
//
//   - comparing encoded keys as bytes compares the part lists element by
//     element ("a" < "a\x00" < "ab", and ["a"] < ["a", ""] < ["a\x00"]);
//   - no encoded part is a byte prefix of another, so Prefix(parts...)
//     selects exactly the keys whose leading parts equal parts, never a
//     key whose next part merely starts with the same bytes ("role" does
//     not match "roles").
const (
	tupleEsc  = 0x00
	tupleNul  = 0xFF // 0x00 0xFF is an escaped 0x00 inside a part
	tupleTerm = 0x01 // 0x00 0x01 ends a part
)

// Key encodes parts as an order-preserving tuple key. Service keys start
// with account and region; use [Scope.Key] rather than calling this directly.
func Key(parts ...string) []byte {
	return AppendKey(nil, parts...)
}

// Prefix returns the byte prefix shared by every key whose leading parts are
// exactly parts, including Key(parts...) itself. It encodes the same bytes
// as Key; the separate name says which is meant at the call site.
func Prefix(parts ...string) []byte {
	return AppendKey(nil, parts...)
}

// AppendKey appends the encoding of parts to dst, for hot paths that reuse a
// buffer.
func AppendKey(dst []byte, parts ...string) []byte {
	n := len(dst)
	for _, p := range parts {
		n += len(p) + 2
	}
	if cap(dst) < n {
		grown := make([]byte, len(dst), n)
		copy(grown, dst)
		dst = grown
	}
	for _, p := range parts {
		dst = appendEscaped(dst, p)
		dst = append(dst, tupleEsc, tupleTerm)
	}
	return dst
}

// PartPrefix narrows prefix (from [Prefix] or [Scope.Prefix]) to the keys
// whose next part begins with partial. It is what string-prefix listings
// need, such as S3 ListObjects with Prefix=photos/ over keys
// (…, bucket, objectKey): PartPrefix(scope.Prefix("object", bucket),
// "photos/"). The result is a new slice; prefix is not modified.
func PartPrefix(prefix []byte, partial string) []byte {
	out := make([]byte, len(prefix), len(prefix)+len(partial)+4)
	copy(out, prefix)
	return appendEscaped(out, partial)
}

func appendEscaped(dst []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c == tupleEsc {
			dst = append(dst, tupleEsc, tupleNul)
		} else {
			dst = append(dst, c)
		}
	}
	return dst
}

// SplitKey decodes a key made by [Key]. It rejects anything Key could not
// have produced, so Key(SplitKey(k)) == k whenever err is nil.
func SplitKey(key []byte) ([]string, error) {
	var parts []string
	var cur []byte
	open := false // bytes of an unterminated part have been read
	for i := 0; i < len(key); i++ {
		c := key[i]
		if c != tupleEsc {
			cur = append(cur, c)
			open = true
			continue
		}
		if i+1 >= len(key) {
			return nil, fmt.Errorf("%w: dangling 0x00 at offset %d", ErrMalformedKey, i)
		}
		i++
		switch key[i] {
		case tupleNul:
			cur = append(cur, 0)
			open = true
		case tupleTerm:
			parts = append(parts, string(cur))
			cur = cur[:0]
			open = false
		default:
			return nil, fmt.Errorf("%w: 0x00 0x%02x at offset %d", ErrMalformedKey, key[i], i-1)
		}
	}
	if open {
		return nil, fmt.Errorf("%w: unterminated last part", ErrMalformedKey)
	}
	return parts, nil
}

// KeyPart returns part i of a key made by [Key] and how many parts the key
// has, checking the whole key as [SplitKey] does but without its
// allocations: the part is a sub-slice of key unless it holds an escaped
// 0x00 (then a copy). part is nil when the key has no part i.
func KeyPart(key []byte, i int) (part []byte, n int, err error) {
	start, esc := 0, false
	for j := 0; j < len(key); j++ {
		if key[j] != tupleEsc {
			continue
		}
		if j+1 >= len(key) {
			return nil, 0, fmt.Errorf("%w: dangling 0x00 at offset %d", ErrMalformedKey, j)
		}
		switch key[j+1] {
		case tupleNul:
			esc = true
		case tupleTerm:
			if n == i {
				part = key[start:j:j]
				if esc {
					part = unescapePart(part)
				}
			}
			n++
			start, esc = j+2, false
		default:
			return nil, 0, fmt.Errorf("%w: 0x00 0x%02x at offset %d", ErrMalformedKey, key[j+1], j)
		}
		j++
	}
	if start != len(key) {
		return nil, 0, fmt.Errorf("%w: unterminated last part", ErrMalformedKey)
	}
	return part, n, nil
}

func unescapePart(p []byte) []byte {
	out := make([]byte, 0, len(p))
	for j := 0; j < len(p); j++ {
		out = append(out, p[j])
		if p[j] == tupleEsc {
			j++ // the 0xFF of an escaped 0x00
		}
	}
	return out
}

// Scope is the account and region every service key starts with. Carrying
// both in one value keeps a handler from forgetting either: the only way to
// build a key from a Scope puts them first.
type Scope struct {
	Account string
	Region  string
}

// Global is the scope for resources that are global per account (IAM
// users, roles and policies; Route53; CloudFront; the S3 bucket
// namespace). By convention their region is "", which sorts before every
// real region, so Prefix(account) still covers them.
func Global(account string) Scope { return Scope{Account: account} }

// Key is Key(account, region, parts...).
func (s Scope) Key(parts ...string) []byte {
	n := len(s.Account) + len(s.Region) + 4
	for _, p := range parts {
		n += len(p) + 2
	}
	return AppendKey(AppendKey(make([]byte, 0, n), s.Account, s.Region), parts...)
}

// Prefix is Prefix(account, region, parts...).
func (s Scope) Prefix(parts ...string) []byte {
	return s.Key(parts...)
}
