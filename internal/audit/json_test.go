package audit

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/request"
)

// sameAsMarshal fails unless rec.JSON() is json.Marshal(rec), byte for
// byte, error for error: CloudTrail's LookupEvents hands these bytes out
// as CloudTrailEvent, and they were json.Marshal's before.
func sameAsMarshal(t *testing.T, what string, rec *Record) {
	t.Helper()
	want, werr := json.Marshal(rec)
	got, gerr := rec.JSON()
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%s: error %v, json.Marshal's %v", what, gerr, werr)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s\nwant %s", what, got, want)
	}
}

// TestRecordJSONIsMarshal: the records Build makes — every kind of
// caller, errors, TLS, session context, rendered parameters and results
// — encode as json.Marshal encodes them.
func TestRecordJSONIsMarshal(t *testing.T) {
	iam, s3 := iamapi.Spec(), s3api.Spec()
	for _, caller := range []request.Caller{root, user, role, anon, {ARN: "events.amazonaws.com"}, {ARN: "arn:aws:sts::1:federated-user/f"}, {}} {
		c := call(t, iam, "CreateRole", caller,
			map[string]any{"RoleName": "r<1>&", "Path": "/a/", "AssumeRolePolicyDocument": `{"Version":"2012-10-17"}`,
				"Tags": []any{map[string]any{"Key": "k\u2028", "Value": "v\x01\b\f\n\r\t\"\\"}}, "MaxSessionDuration": int64(3600)},
			map[string]any{"Role": map[string]any{"RoleName": "r1", "Arn": "arn:aws:iam::1:role/r1", "CreateDate": t0, "RoleId": "AROA\xff"}}, nil)
		sameAsMarshal(t, "CreateRole by "+caller.ARN, Build(c, fixedID))
		c = call(t, iam, "GetRole", caller, map[string]any{"RoleName": "nope"}, nil,
			iamapi.ErrNoSuchEntityException.New("The role with name <nope> cannot be found."))
		sameAsMarshal(t, "GetRole error", Build(c, fixedID))
	}
	c := call(t, s3, "PutObject", user, map[string]any{"Bucket": "b", "Key": "k", "Body": strings.NewReader("x"), "ContentLength": int64(1)}, map[string]any{"ETag": `"e"`}, nil)
	c.Context.HTTP.TLS = &tls.ConnectionState{Version: tls.VersionTLS13, CipherSuite: tls.TLS_AES_128_GCM_SHA256}
	c.Context.HTTP.Host = "b.s3.localhost"
	sameAsMarshal(t, "PutObject over TLS", Build(c, fixedID))
	c.Context.HTTP = nil
	sameAsMarshal(t, "no HTTP request", Build(c, fixedID))
	sameAsMarshal(t, "empty TLS details", &Record{TLSDetails: &TLSDetails{}})
	sameAsMarshal(t, "zero record", &Record{})
	sameAsMarshal(t, "nil attributes", &Record{UserIdentity: UserIdentity{SessionContext: &SessionContext{}}})
}

// TestRecordJSONValues: every value a decoded tree (or a document member)
// can hold encodes as json.Marshal encodes it, including the types the
// appender hands to json.Marshal and the NaN json.Marshal refuses.
func TestRecordJSONValues(t *testing.T) {
	type doc struct {
		A string `json:"a"`
	}
	for i, v := range []any{
		nil, "", "plain", "<script>&amp;</script>", "\u2029\x7f\x00\x1f", "caf\xc3", "日本語",
		true, false, int64(-9007199254740993), 42, int32(-7), int8(3), uint64(math.MaxUint64),
		0.0, math.Copysign(0, -1), 1.5, 1e20, 1e21, 1e-6, 1e-7, 123456789.125, -2.5e-300, math.MaxFloat64, float32(0.1),
		math.NaN(), math.Inf(1), math.Inf(-1),
		map[string]any{}, map[string]any(nil), []any{}, []any(nil), map[string]string(nil), map[string]string{"b": "<", "a": "&"},
		map[string]any{"z": 1.0, "a": []any{"x", nil, map[string]any{"é": true, "e": false}}, "M": int64(2), "<k>": "v"},
		[]any{math.NaN()}, map[string]any{"k": math.Inf(1)},
		json.Number("12.50"), json.RawMessage(`{"b": 1}`), []byte("bytes"), []string{"a", "<b>"}, time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC),
		doc{A: "<x>"}, &doc{A: "y"}, map[string]int{"b": 2, "a": 1},
	} {
		sameAsMarshal(t, fmt.Sprintf("value %d (%T %v)", i, v, v), &Record{RequestParameters: v, ResponseElements: v})
	}
	big := map[string]any{}
	for i := range 40 { // more keys than the appender sorts on the stack
		big[fmt.Sprintf("k%02d", 39-i)] = i
	}
	sameAsMarshal(t, "40 keys", &Record{RequestParameters: big})
}

// TestRecordJSONRandom holds the appender to json.Marshal over random
// trees of random strings (any byte, runes of every width).
func TestRecordJSONRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		var sb strings.Builder
		for range r.IntN(12) {
			switch r.IntN(4) {
			case 0:
				sb.WriteByte(byte(r.IntN(256)))
			case 1:
				sb.WriteByte(byte(r.IntN(0x80)))
			default:
				sb.WriteRune(rune(r.IntN(0x110000)))
			}
		}
		return sb.String()
	}
	var tree func(depth int) any
	tree = func(depth int) any {
		switch n := r.IntN(9); {
		case n < 2 && depth < 4:
			m := map[string]any{}
			for range r.IntN(20) {
				m[str()] = tree(depth + 1)
			}
			return m
		case n < 3 && depth < 4:
			l := []any{}
			for range r.IntN(5) {
				l = append(l, tree(depth+1))
			}
			return l
		case n < 5:
			return str()
		case n < 6:
			return r.Int64() - r.Int64()
		case n < 7:
			return math.Float64frombits(r.Uint64())
		case n < 8:
			return r.IntN(2) == 0
		}
		return nil
	}
	for i := range 2000 {
		rec := &Record{EventName: str(), SourceIPAddress: str(), UserAgent: str(), ErrorMessage: str(),
			UserIdentity:      UserIdentity{Type: str(), ARN: str(), UserName: str()},
			RequestParameters: tree(0), ResponseElements: tree(0)}
		if i%3 == 0 {
			rec.UserIdentity.SessionContext = &SessionContext{SessionIssuer: SessionIssuer{UserName: str()},
				Attributes: map[string]string{str(): str(), "mfaAuthenticated": "false"}}
			rec.TLSDetails = &TLSDetails{ClientProvidedHostHeader: str()}
		}
		sameAsMarshal(t, fmt.Sprintf("random record %d", i), rec)
	}
}

// BenchmarkRecordJSON: a management call's record (GetRole by an assumed
// role, its parameters) encoded by the appender and by json.Marshal.
func BenchmarkRecordJSON(b *testing.B) {
	c := call(&testing.T{}, iamapi.Spec(), "CreateRole", role,
		map[string]any{"RoleName": "r1", "Path": "/a/", "AssumeRolePolicyDocument": `{"Version":"2012-10-17"}`, "MaxSessionDuration": int64(3600)}, nil, nil)
	rec := Build(c, fixedID)
	b.Run("append", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			rec.JSON()
		}
	})
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			json.Marshal(rec)
		}
	})
}
