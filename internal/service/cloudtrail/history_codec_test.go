package cloudtrail

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"testing"
	"time"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/events"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/internal/storage/recordtest"
)

// TestHistRecordBinary: every field of a stored record survives the
// binary form, the record's JSON is kept byte for byte (whitespace and
// escapes as they were), and a record stored as JSON by an earlier niwa
// reads back the same.
func TestHistRecordBinary(t *testing.T) {
	recordtest.RoundTrip[histRecord](t)

	var h histRecord
	recordtest.Fill(&h)
	h.Raw = json.RawMessage(`{"eventName":"CreateUser", "x":"\u003c&\u2028"}`)
	bin, err := storage.EncodeRecord(&h)
	if err != nil {
		t.Fatal(err)
	}
	var got histRecord
	if err := storage.DecodeRecord(bin, &got); err != nil || string(got.Raw) != string(h.Raw) {
		t.Fatalf("raw read back as %s (%v), want %s", got.Raw, err, h.Raw)
	}
	h.Raw = json.RawMessage(`{"eventName":"CreateUser","x":"\u003c\u0026\u2028"}`) // as json.Marshal stored it
	js, err := json.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if len(bin) >= len(js) {
		t.Errorf("binary %d bytes, JSON %d", len(bin), len(js))
	}
	var fromJSON histRecord
	if err := storage.DecodeRecord(js, &fromJSON); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(fromJSON, h) {
		t.Errorf("JSON record read as\n%+v\nwant\n%+v", fromJSON, h)
	}
}

// FuzzDecodeHistRecord: damaged stored bytes are an error, never a
// panic; what decodes survives a second round trip.
func FuzzDecodeHistRecord(f *testing.F) {
	var h histRecord
	recordtest.Fill(&h)
	h.Raw = json.RawMessage(`{}`)
	bin, _ := storage.EncodeRecord(&h)
	js, _ := json.Marshal(h)
	f.Add(bin)
	f.Add(js)
	f.Fuzz(func(t *testing.T, data []byte) {
		var h histRecord
		if storage.DecodeRecord(data, &h) != nil {
			return
		}
		again, _ := storage.EncodeRecord(&h)
		var h2 histRecord
		if err := storage.DecodeRecord(again, &h2); err != nil {
			t.Fatalf("re-encoded record does not decode: %v", err)
		}
		// Compared as stored bytes: a JSON record's empty list ("r":[])
		// and the binary form's absent one are the same record.
		third, _ := storage.EncodeRecord(&h2)
		if !bytes.Equal(again, third) {
			t.Fatalf("second round trip differs:\n%+v\n%+v", h, h2)
		}
	})
}

// TestFieldsMatchParse: a record handed over with its fields is kept as
// the same histRecord as the record read back from its JSON alone, for
// every kind of caller and the resources LookupEvents and data event
// selectors see.
func TestFieldsMatchParse(t *testing.T) {
	at := time.Date(2026, 12, 1, 0, 0, 7, 0, time.UTC)
	tests := []struct {
		name   string
		fields events.RecordFields
		region string
	}{
		{"root", events.RecordFields{Name: "GetCallerIdentity", Source: "sts.amazonaws.com", ReadOnly: true, Management: true,
			UserType: "Root", UserARN: "arn:aws:iam::123456789012:root", AccessKeyID: "AKIAROOT"}, "us-east-1"},
		{"iam user, global, error", events.RecordFields{Name: "CreateUser", Source: "iam.amazonaws.com", Management: true,
			ErrorCode: "EntityAlreadyExists", UserType: "IAMUser", UserARN: "arn:aws:iam::123456789012:user/dev/alice", UserName: "alice",
			RequestParameters: map[string]any{"userName": "bob", "path": "/a<b>&c/"}}, "us-east-1"},
		{"assumed role", events.RecordFields{Name: "CreateQueue", Source: "sqs.amazonaws.com", Management: true,
			UserType: "AssumedRole", UserARN: "arn:aws:sts::123456789012:assumed-role/Deployer/build-42", AccessKeyID: "ASIA",
			RequestParameters: map[string]any{"queueName": "q", "attributes": map[string]any{"DelaySeconds": "5"}}}, "ap-northeast-1"},
		{"service", events.RecordFields{Name: "Decrypt", Source: "kms.amazonaws.com", ReadOnly: true, Management: true,
			UserType: "AWSService", InvokedBy: "lambda.amazonaws.com", RequestParameters: map[string]any{"keyId": "alias/k"}}, "eu-west-1"},
		{"s3 data event", events.RecordFields{Name: "PutObject", Source: "s3.amazonaws.com",
			UserType: "IAMUser", UserARN: "arn:aws:iam::123456789012:user/alice", UserName: "alice",
			RequestParameters: map[string]any{"bucketName": "b", "key": "dir/\xff\xfe<k>", "contentLength": int64(3)}}, "ap-northeast-1"},
		{"lambda data event", events.RecordFields{Name: "Invoke", Source: "lambda.amazonaws.com",
			UserType: "Root", UserARN: "arn:aws:iam::123456789012:root", RequestParameters: map[string]any{"functionName": "fn"}}, "ap-northeast-1"},
		{"dynamodb data event", events.RecordFields{Name: "PutItem", Source: "dynamodb.amazonaws.com", EventType: "AwsApiCall",
			UserType: "Root", UserARN: "arn:aws:iam::123456789012:root", RequestParameters: map[string]any{"tableName": "t"}}, "ap-northeast-1"},
		{"no identity", events.RecordFields{Name: "GetObject", Source: "s3.amazonaws.com", ReadOnly: true,
			UserType: "AWSAccount", RequestParameters: map[string]any{"bucketName": "pub", "key": "k"}}, "us-west-2"},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := tc.fields
			f.Time = at
			if f.EventType == "" {
				f.EventType = "AwsApiCall"
			}
			id := fmt.Sprintf("00000000-0000-4000-8000-%012d", i)
			cat := "Management"
			if !f.Management {
				cat = "Data"
			}
			ident := map[string]any{"type": f.UserType, "principalId": "P", "accountId": "123456789012"}
			for k, v := range map[string]string{"arn": f.UserARN, "accessKeyId": f.AccessKeyID, "userName": f.UserName, "invokedBy": f.InvokedBy} {
				if v != "" {
					ident[k] = v
				}
			}
			rec := map[string]any{"eventVersion": "1.08", "userIdentity": ident, "eventTime": at.Format(time.RFC3339),
				"eventSource": f.Source, "eventName": f.Name, "awsRegion": tc.region, "requestParameters": f.RequestParameters,
				"responseElements": nil, "eventID": id, "readOnly": f.ReadOnly, "eventType": f.EventType,
				"managementEvent": f.Management, "recipientAccountId": "123456789012", "eventCategory": cat}
			if f.ErrorCode != "" {
				rec["errorCode"] = f.ErrorCode
			}
			detail, err := json.Marshal(rec)
			if err != nil {
				t.Fatal(err)
			}
			e := events.Event{ID: id, Account: "123456789012", Region: tc.region, Detail: detail}
			want, err := parse(detail)
			if err != nil {
				t.Fatal(err)
			}
			got := fromFields(&f, &e, e.Detail)
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("from fields:\n%+v\nfrom JSON:\n%+v", got, want)
			}
			if string(got.Raw) != string(want.Raw) {
				t.Fatalf("raw from fields %s\nfrom JSON %s", got.Raw, want.Raw)
			}
		})
	}
}

func TestSeqFormat(t *testing.T) {
	for _, v := range []struct{ ns, n uint64 }{{0, 0}, {1796083200000000000, 0}, {1796083200000000000, 0xfffffffe},
		{1796083200000000000, 0x1ffffffff}, {1<<63 + 5, 17}} {
		want := fmt.Sprintf("%016x%08x", v.ns, v.n)
		if got := formatSeq(v.ns, v.n); got != want {
			t.Errorf("formatSeq(%d, %d) = %q, want %q", v.ns, v.n, got, want)
		}
		if ns, n := parseSeq(want); len(want) == 24 && (ns != v.ns || n != v.n) {
			t.Errorf("parseSeq(%q) = %d, %d", want, ns, n)
		}
	}
	// Sequences keep growing within one clock reading and after it.
	c := &CloudTrail{}
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a, b := c.nextSeq(now), c.nextSeq(now)
	if !(a < b) || b != fmt.Sprintf("%016x%08x", now.UnixNano(), 1) {
		t.Errorf("sequences %q, %q", a, b)
	}
	if d := c.nextSeq(now.Add(-time.Hour)); !(b < d) {
		t.Errorf("sequence %q after %q under an earlier clock", d, b)
	}
}

// benchDetail is a GetCallerIdentity record as the audit hook builds it
// for the bench's SDK client.
const benchDetail = `{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000","accessKeyId":"test"},"eventTime":"2026-12-01T00:00:03Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"aws-sdk-go-v2/1.39.6 ua/2.1 os/linux lang/go#1.25.3 md/GOOS#linux md/GOARCH#amd64 api/sts#1.38.6","requestParameters":null,"responseElements":null,"requestID":"b517e83c-12b1-4d83-b5bd-31cf52a4c8f7","eventID":"7840fe66-74c1-4c57-8db6-7ee3116f5caf","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"000000000000","eventCategory":"Management","tlsDetails":{"clientProvidedHostHeader":"127.0.0.1:34339"}}`

func benchRecord() events.Record {
	return events.Record{
		Event: events.Event{ID: "7840fe66-74c1-4c57-8db6-7ee3116f5caf", Account: "000000000000", Region: "us-east-1", Detail: []byte(benchDetail)},
		Fields: &events.RecordFields{Time: time.Date(2026, 12, 1, 0, 0, 3, 0, time.UTC), Name: "GetCallerIdentity", Source: "sts.amazonaws.com",
			ReadOnly: true, Management: true, EventType: "AwsApiCall", UserType: "Root", UserARN: "arn:aws:iam::000000000000:root", AccessKeyID: "test"},
	}
}

// BenchmarkRecordFlush is the event history's cost per management call:
// the record queued, then stored in the flusher's batches.
func BenchmarkRecordFlush(b *testing.B) {
	h := servicetest.New(b, "cloudtrail")
	c := New(h.Store(), h.Clock, events.New(), Options{})
	defer c.Close()
	r := benchRecord()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Record(r)
		if i++; i%256 == 0 {
			_ = c.flush()
		}
	}
}

// BenchmarkHistoryHeap reports the heap a stored record of the event
// history holds (bytes/record), which Options.MaxHistory multiplies per region.
func BenchmarkHistoryHeap(b *testing.B) {
	const n = 20000
	for b.Loop() {
		h := servicetest.New(b, "cloudtrail")
		c := New(h.Store(), h.Clock, events.New(), Options{})
		r := benchRecord()
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		for i := range n {
			c.Record(r)
			if i%256 == 0 {
				_ = c.flush()
			}
		}
		_ = c.flush()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc))/n, "bytes/record")
		_ = c.Close()
	}
}

// TestRecordsStoredInBatches: records are stored flushDelay after the
// first of a batch, or once a batch is full, without waiting for a
// reader; a reader sees them at once.
func TestRecordsStoredInBatches(t *testing.T) {
	f := newFixture(t)
	stored := func() int {
		n := 0
		if err := f.c.store.View(func(tx storage.Tx) error {
			return history.List(tx, storage.Scope{Account: "123456789012", Region: "us-east-1"}, nil, storage.ListOptions{},
				func([]string, histRecord) bool { n++; return true })
		}); err != nil {
			t.Fatal(err)
		}
		return n
	}
	// waitStored waits for the flusher's goroutine (not for the clock).
	waitStored := func(want int) {
		t.Helper()
		for deadline := time.Now().Add(5 * time.Second); stored() != want; {
			if time.Now().After(deadline) {
				t.Fatalf("%d records stored, want %d", stored(), want)
			}
			time.Sleep(time.Millisecond)
		}
	}
	for range 3 {
		f.record("us-east-1", "iam.amazonaws.com", "CreateUser", false, true, map[string]any{"userName": "u"})
	}
	if n := stored(); n != 0 {
		t.Fatalf("%d records stored before the batch's delay", n)
	}
	f.clk.Advance(flushDelay)
	waitStored(3)
	for range flushBatch {
		f.record("us-east-1", "iam.amazonaws.com", "GetUser", true, true, map[string]any{"userName": "u"})
	}
	waitStored(3 + flushBatch)
	f.record("us-east-1", "iam.amazonaws.com", "DeleteUser", false, true, map[string]any{"userName": "u"})
	out, err := f.c.LookupEvents(f.ctx("us-east-1"), &cloudtrailapi.LookupEventsInput{MaxResults: ptr.To(int32(1))})
	if err != nil || len(out.Events) != 1 || ptr.Deref(out.Events[0].EventName) != "DeleteUser" {
		t.Fatalf("LookupEvents = %+v, %v; want the DeleteUser just recorded", out, err)
	}
}
