package cloudtrail

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// TestRawCodecRoundTrip: whatever the record JSON, decoding gives back
// the bytes encoded — records like the dictionary's and unlike it,
// repeats inside a record (overlapping copies), bytes that are not JSON.
func TestRawCodecRoundTrip(t *testing.T) {
	c := newRawCodec()
	rng := rand.New(rand.NewPCG(1, 2))
	random := make([]byte, 3000)
	for i := range random {
		random[i] = byte(rng.IntN(256))
	}
	cases := map[string]string{
		"empty":             "",
		"short":             "{}",
		"bench record":      benchDetail,
		"dictionary":        rawDictV1,
		"dictionary twice":  rawDictV1 + rawDictV1,
		"run":               strings.Repeat("a", 1000),
		"period 3":          strings.Repeat("abc", 400) + "ab",
		"random":            string(random),
		"not UTF-8":         "\xff\xfe" + benchDetail[:100] + "\x00\x01",
		"record with error": strings.Replace(benchDetail, `"requestParameters"`, `"errorCode":"AccessDenied","errorMessage":"User: arn:aws:iam::123456789012:user/bob is not authorized","requestParameters"`, 1),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			enc := c.encode(nil, []byte(in))
			out, err := c.decode(enc)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out, []byte(in)) {
				t.Fatalf("round trip changed the record:\n%q\nwant\n%q", out, in)
			}
		})
	}
	// And a prefix appended to: encode appends to dst.
	enc := c.encode([]byte("xy"), []byte(benchDetail))
	if out, err := c.decode(enc[2:]); err != nil || string(out) != benchDetail || string(enc[:2]) != "xy" {
		t.Fatalf("encode into a non-empty dst: %q, %v", out, err)
	}
}

// TestRawCodecSize: a record like the bench's GetCallerIdentity is kept
// in a fraction of its JSON (the point of the codec).
func TestRawCodecSize(t *testing.T) {
	c := newRawCodec()
	rec := strings.NewReplacer("7840fe66-74c1-4c57-8db6-7ee3116f5caf", "0d1c6a1e-9a0b-4f1e-8c55-3f1f4e0c2b7a",
		"b517e83c-12b1-4d83-b5bd-31cf52a4c8f7", "5b8e2f0a-61d7-4c1a-9e3b-a2c4d6e8f013", "00:00:03Z", "17:42:51Z",
		"127.0.0.1:34339", "127.0.0.1:41877").Replace(benchDetail)
	enc := c.encode(nil, []byte(rec))
	if len(enc) > len(rec)/3 {
		t.Fatalf("%d bytes coded to %d; want at most a third", len(rec), len(enc))
	}
}

// TestRawCodecCorrupt: a damaged stored record is an error, never a
// panic or an unbounded allocation.
func TestRawCodecCorrupt(t *testing.T) {
	c := newRawCodec()
	good := c.encode(nil, []byte(benchDetail))
	for name, in := range map[string][]byte{
		"truncated varint":           {0x80},
		"literal past the end":       {20, 'a'},
		"copy before the dictionary": append([]byte{9}, 0xff, 0xff, 0x03),
		"copy of distance 0":         {9, 0},
		"copy without a distance":    {9},
		"huge size":                  {0xff, 0xff, 0xff, 0xff, 0x7f, 1},
	} {
		t.Run(name, func(t *testing.T) {
			if out, err := c.decode(in); err == nil {
				t.Fatalf("decoded to %q, want an error", out)
			}
		})
	}
	// Every truncation of a good record decodes or errs, never panics.
	for i := range good {
		_, _ = c.decode(good[:i])
	}
}

func BenchmarkRawCodec(b *testing.B) {
	c := newRawCodec()
	src := []byte(benchDetail)
	enc := c.encode(nil, src)
	b.Run("encode", func(b *testing.B) {
		b.ReportAllocs()
		var dst []byte
		for b.Loop() {
			dst = c.encode(dst[:0], src)
		}
		b.ReportMetric(float64(len(dst)), "bytes")
	})
	b.Run("decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = c.decode(enc)
		}
	})
}

// legacyHist is a record as niwa stored it before the coded JSON: the
// JSON verbatim in field 14.
type legacyHist struct{ id, raw string }

func (l *legacyHist) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(2, l.id)
	e.Bytes(14, []byte(l.raw))
	return e.B
}

func (l *legacyHist) DecodeRecord(d *storage.Dec) error {
	for d.Next() {
		d.Skip()
	}
	return d.Err()
}

// TestHistRecordCodedJSON: records are stored with their JSON coded
// (field 15, not the verbatim field 14), a third of the size; records an
// earlier niwa stored verbatim still read back.
func TestHistRecordCodedJSON(t *testing.T) {
	h := histRecord{EventID: "7840fe66-74c1-4c57-8db6-7ee3116f5caf", Raw: json.RawMessage(benchDetail)}
	bin, err := storage.EncodeRecord(&h)
	if err != nil {
		t.Fatal(err)
	}
	if len(bin) > len(benchDetail)/2 {
		t.Errorf("stored record %d bytes for %d bytes of JSON", len(bin), len(benchDetail))
	}
	var got histRecord
	if err := storage.DecodeRecord(bin, &got); err != nil || string(got.Raw) != benchDetail {
		t.Fatalf("read back %s (%v)", got.Raw, err)
	}
	old, err := storage.EncodeRecord(&legacyHist{id: h.EventID, raw: benchDetail})
	if err != nil {
		t.Fatal(err)
	}
	var fromOld histRecord
	if err := storage.DecodeRecord(old, &fromOld); err != nil || string(fromOld.Raw) != benchDetail || fromOld.EventID != h.EventID {
		t.Fatalf("verbatim record read back as %+v (%v)", fromOld, err)
	}
}

// FuzzRawCodec: any bytes round-trip through encode and decode, and
// decoding any bytes errs or returns, never panics.
func FuzzRawCodec(f *testing.F) {
	c := newRawCodec()
	f.Add([]byte(benchDetail))
	f.Add(c.encode(nil, []byte(benchDetail)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = c.decode(data)
		out, err := c.decode(c.encode(nil, data))
		if err != nil || !bytes.Equal(out, data) {
			t.Fatalf("round trip of %q: %q, %v", data, out, err)
		}
	})
}

// TestRawCodecOtherClients reports (-v) how records unlike the bench's
// code: another client, an IAM user, an error.
func TestRawCodecOtherClients(t *testing.T) {
	c := newRawCodec()
	rec := `{"eventVersion":"1.08","userIdentity":{"type":"IAMUser","principalId":"AIDAQ3EGRZ7VXKP4WJ2MA","arn":"arn:aws:iam::123456789012:user/alice","accountId":"123456789012","accessKeyId":"AKIAQ3EGRZ7V2HDN5XPA","userName":"alice"},"eventTime":"2026-12-06T21:30:12Z","eventSource":"s3.amazonaws.com","eventName":"CreateBucket","awsRegion":"eu-west-1","sourceIPAddress":"172.17.0.1","userAgent":"Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#6.1.0 md/arch#x86_64 lang/python#3.11.2 md/pyimpl#CPython cfg/retry-mode#legacy Botocore/1.35.36","errorCode":"BucketAlreadyOwnedByYou","errorMessage":"Your previous request to create the named bucket succeeded and you already own it.","requestParameters":{"bucketName":"my-data","Host":"my-data.s3.eu-west-1.localhost.localstack.cloud:4566"},"responseElements":null,"requestID":"5b8e2f0a-61d7-4c1a-9e3b-a2c4d6e8f013","eventID":"0d1c6a1e-9a0b-4f1e-8c55-3f1f4e0c2b7a","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"123456789012","eventCategory":"Management","tlsDetails":{"clientProvidedHostHeader":"my-data.s3.eu-west-1.localhost.localstack.cloud:4566"}}`
	enc := c.encode(nil, []byte(rec))
	if out, err := c.decode(enc); err != nil || string(out) != rec {
		t.Fatalf("round trip: %v", err)
	}
	if len(enc) > len(rec)*2/3 {
		t.Fatalf("%d bytes coded to %d; want at most two thirds", len(rec), len(enc))
	}
	t.Logf("%d bytes coded to %d", len(rec), len(enc))
}

// encodeUnfiltered is rawCodec.encode as it was before candidates were
// filtered by their first bytes: every candidate measured.
func (c *rawCodec) encodeUnfiltered(dst, src []byte) []byte {
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
		h := rawHash(src[i:])
		best, dist := 0, 0
		if p := int(c.tab[h]); p > 0 {
			p--
			best, dist = matchLen(c.dict[p:], src[i:]), len(c.dict)-p+i
		}
		oh := h & (1<<9 - 1)
		if p := int(own[oh]); p > 0 && p-1 < i && len(src) < 1<<16 {
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

// TestRawCodecEncodeUnchanged: the stored bytes are what the encoder
// made before it filtered its candidates, for records like the bench's,
// the dictionary's, random bytes and every prefix of a record.
func TestRawCodecEncodeUnchanged(t *testing.T) {
	c := newRawCodec()
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := []string{"", "{}", benchDetail, rawDictV1, rawDictV1 + rawDictV1, strings.Repeat("abc", 400)}
	for range 50 {
		b := []byte(benchDetail)
		for range 20 {
			b[rng.IntN(len(b))] = byte(rng.IntN(256))
		}
		inputs = append(inputs, string(b))
	}
	for i := range len(benchDetail) {
		inputs = append(inputs, benchDetail[:i])
	}
	for _, in := range inputs {
		if got, want := c.encode(nil, []byte(in)), c.encodeUnfiltered(nil, []byte(in)); !bytes.Equal(got, want) {
			t.Fatalf("%q: coded %x, before %x", in, got, want)
		}
	}
}

// BenchmarkRawCodecFiltered is the encoder against the one it replaced,
// on the bench's record, run back to back.
func BenchmarkRawCodecFiltered(b *testing.B) {
	c := newRawCodec()
	src := []byte(benchDetail)
	var dst []byte
	b.Run("filtered", func(b *testing.B) {
		for b.Loop() {
			dst = c.encode(dst[:0], src)
		}
	})
	b.Run("unfiltered", func(b *testing.B) {
		for b.Loop() {
			dst = c.encodeUnfiltered(dst[:0], src)
		}
	})
}
