package cloudtrail

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// The event history keeps every management call's record JSON (what
// LookupEvents returns verbatim), and those records were most of niwa's
// live heap after a busy run. They are alike: the same keys in the same
// order, the same account, user agent and host. rawCodec stores a record
// as copies from a fixed dictionary of such text (and from earlier in the
// record) and literals: an LZ77 without entropy coding, so that encoding
// is one pass of hash lookups (about a microsecond) where deflate with a
// preset dictionary cost ~20 µs a record.
//
// The format is the decoded length (a uvarint), then a sequence of
// operations, each a uvarint n:
//   - n&1 == 0: a literal of n>>1 bytes, which follow;
//   - n&1 == 1: a copy of n>>1 bytes from dist bytes back (a uvarint
//     that follows) in the dictionary followed by the output so far;
//     copies may overlap what they write.
//
// rawDictV1 is part of the stored format (field 15 of a record): it must
// never change. A better dictionary is a new constant and a new field.
const rawDictV1 = `"errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::000000000000:user/ is not authorized to perform: on resource: because no identity-based policy allows the action","requestParameters":{"bucketName":"","Host":"","key":""},"responseElements":{"x-amz-server-side-encryption":"AES256"},"additionalEventData":{"SignatureVersion":"SigV4","bytesTransferredIn":0,"bytesTransferredOut":0},"resources":[{"type":"AWS::S3::Object","ARN":"arn:aws:s3:::"},{"accountId":"000000000000","type":"AWS::S3::Bucket","ARN":"arn:aws:s3:::"}],"sharedEventID":"","vpcEndpointId":"","eventCategory":"Data",` +
	`{"eventVersion":"1.08","userIdentity":{"type":"AssumedRole","principalId":"AROA:","arn":"arn:aws:sts::000000000000:assumed-role/","accountId":"000000000000","accessKeyId":"ASIA","sessionContext":{"sessionIssuer":{"type":"Role","principalId":"AROA","arn":"arn:aws:iam::000000000000:role/","accountId":"000000000000","userName":""},"webIdFederationData":{},"attributes":{"creationDate":"2026-01-01T00:00:00Z","mfaAuthenticated":"false"}},"invokedBy":".amazonaws.com"},` +
	`{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDA","arn":"arn:aws:iam::000000000000:user/","accountId":"000000000000","accessKeyId":"AKIA","userName":""},"eventTime":"2026-01-01T00:00:00Z","eventSource":"iam.amazonaws.com","eventName":"","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"aws-cli/2 md/awscrt#0 ua/2.1 os/linux#6 md/arch#x86_64 lang/python#3 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/distrib#debian.12 md/prompt#off md/command#","requestParameters":null,"responseElements":null,"requestID":"","eventID":"","readOnly":false,"eventType":"AwsApiCall","managementEvent":false,"recipientAccountId":"000000000000","eventCategory":"Management","tlsDetails":{"tlsVersion":"TLSv1.3","cipherSuite":"TLS_AES_128_GCM_SHA256","clientProvidedHostHeader":"localhost:4566"}}` +
	`{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000","accessKeyId":"test"},"eventTime":"2026-01-01T00:00:00Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"aws-sdk-go-v2/1.39.6 ua/2.1 os/linux lang/go#1.25.3 md/GOOS#linux md/GOARCH#amd64 api/sts#1.38.6 m/E","requestParameters":null,"responseElements":null,"requestID":"","eventID":"","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"000000000000","eventCategory":"Management","tlsDetails":{"clientProvidedHostHeader":"127.0.0.1:4566"}}`

const (
	rawHashBits = 13
	rawMinMatch = 4
	// rawMaxOut bounds what a stored record may decode to, so that a
	// damaged record cannot make a read allocate without limit.
	rawMaxOut = 64 << 20
)

// rawCodec holds the dictionary's hash table, built once per CloudTrail
// (read-only after).
type rawCodec struct {
	dict []byte
	// tab maps the hash of 4 bytes to 1 + their last position in dict.
	tab [1 << rawHashBits]uint16
}

func newRawCodec() *rawCodec {
	c := &rawCodec{dict: []byte(rawDictV1)}
	for i := 0; i+rawMinMatch <= len(c.dict); i++ {
		c.tab[rawHash(c.dict[i:])] = uint16(i + 1)
	}
	return c
}

func rawHash(b []byte) uint32 {
	return (binary.LittleEndian.Uint32(b) * 2654435761) >> (32 - rawHashBits)
}

// matchLen is how many bytes a and b have in common at their start.
func matchLen(a, b []byte) int {
	n := 0
	for len(a) >= 8 && len(b) >= 8 {
		if x := binary.LittleEndian.Uint64(a) ^ binary.LittleEndian.Uint64(b); x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		a, b, n = a[8:], b[8:], n+8
	}
	for len(a) > 0 && len(b) > 0 && a[0] == b[0] {
		a, b, n = a[1:], b[1:], n+1
	}
	return n
}

// encode appends src, coded, to dst.
func (c *rawCodec) encode(dst, src []byte) []byte {
	// own maps a hash to 1 + a position in src, for copies from earlier
	// in the record (the account id, repeated ARNs).
	var own [1 << 9]uint16
	dst = binary.AppendUvarint(dst, uint64(len(src)))
	lit := 0
	flushLit := func(end int) {
		if end > lit {
			dst = binary.AppendUvarint(dst, uint64(end-lit)<<1)
			dst = append(dst, src[lit:end]...)
		}
	}
	for i := 0; i+rawMinMatch <= len(src); {
		// A candidate is measured only when its first rawMinMatch bytes
		// are src's (a hash collision, most candidates in a literal run,
		// is told by one comparison): a shorter match is no match, so
		// the output is the same.
		h := rawHash(src[i:])
		head := binary.LittleEndian.Uint32(src[i:])
		best, dist := 0, 0
		if p := int(c.tab[h]); p > 0 && binary.LittleEndian.Uint32(c.dict[p-1:]) == head {
			p--
			best, dist = matchLen(c.dict[p:], src[i:]), len(c.dict)-p+i
		}
		oh := h & (1<<9 - 1)
		if p := int(own[oh]); p > 0 && p-1 < i && len(src) < 1<<16 && binary.LittleEndian.Uint32(src[p-1:]) == head {
			p--
			if n := matchLen(src[p:], src[i:]); n > best {
				best, dist = n, i-p
			}
		}
		if len(src) < 1<<16 {
			own[oh] = uint16(i + 1)
		}
		if best < rawMinMatch {
			i++
			continue
		}
		flushLit(i)
		dst = binary.AppendUvarint(dst, uint64(best)<<1|1)
		dst = binary.AppendUvarint(dst, uint64(dist))
		i += best
		lit = i
	}
	flushLit(len(src))
	return dst
}

var errRawCorrupt = errors.New("cloudtrail: stored record JSON is corrupt")

// decode returns the record src codes.
func (c *rawCodec) decode(src []byte) ([]byte, error) {
	total, k := binary.Uvarint(src)
	if k <= 0 || total > rawMaxOut {
		return nil, errRawCorrupt
	}
	src = src[k:]
	out := make([]byte, 0, total)
	for len(src) > 0 {
		n, k := binary.Uvarint(src)
		if k <= 0 {
			return nil, errRawCorrupt
		}
		src = src[k:]
		size := n >> 1
		if size > total || uint64(len(out))+size > total {
			return nil, errRawCorrupt
		}
		if n&1 == 0 {
			if uint64(len(src)) < size {
				return nil, errRawCorrupt
			}
			out = append(out, src[:size]...)
			src = src[size:]
			continue
		}
		d, k := binary.Uvarint(src)
		if k <= 0 || d == 0 || d > uint64(len(c.dict)+len(out)) {
			return nil, errRawCorrupt
		}
		src = src[k:]
		// from is the copy's start in dict followed by out.
		from := len(c.dict) + len(out) - int(d)
		for m := int(size); m > 0; {
			if from < len(c.dict) {
				n := min(m, len(c.dict)-from)
				out = append(out, c.dict[from:from+n]...)
				from, m = from+n, m-n
				continue
			}
			o := from - len(c.dict)
			n := min(m, len(out)-o) // an overlapping copy repeats what it just wrote
			out = append(out, out[o:o+n]...)
			from, m = from+n, m-n
		}
	}
	if uint64(len(out)) != total {
		return nil, errRawCorrupt
	}
	return out, nil
}
