package server_test

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestCloudWatchWireProtocols: each protocol CloudWatch's clients send —
// query (aws CLI v1, aws-sdk-go-v2's query client), JSON 1.0 (botocore
// 1.43) and smithy-rpc-v2-cbor (CBOR-first clients) — reaches the
// handlers: a datum put in one protocol is read back in another, and a
// refusal is the same InvalidParameterValue in each protocol's shape.
func TestCloudWatchWireProtocols(t *testing.T) {
	n := niwatest.Start(t)
	now := time.Now().UTC().Truncate(time.Minute)

	// query: put 2 at now-2m.
	q := url.Values{"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {"Wire"},
		"MetricData.member.1.MetricName": {"m"}, "MetricData.member.1.Value": {"2"},
		"MetricData.member.1.Timestamp": {now.Add(-2 * time.Minute).Format(time.RFC3339)}}
	if r := query(t, n, time.Now(), rootCreds, "monitoring", q.Encode()); r.status != 200 {
		t.Fatalf("query put: %d %s", r.status, r.body)
	}
	// JSON: put 3 at now-2m.
	jsonHdr := map[string]string{"X-Amz-Target": "GraniteServiceVersion20100801.PutMetricData", "Content-Type": "application/x-amz-json-1.0"}
	body := `{"Namespace":"Wire","MetricData":[{"MetricName":"m","Value":3,"Timestamp":` + strconv.FormatInt(now.Add(-2*time.Minute).Unix(), 10) + `}]}`
	if r := signed(t, n, time.Now(), rootCreds, "monitoring", "POST", "/", jsonHdr, body); r.status != 200 {
		t.Fatalf("json put: %d %s", r.status, r.body)
	}
	// CBOR: put 5 at now-2m, then read the sum back in CBOR.
	cborPost := func(op string, in map[string]any) (rawResponse, map[string]any) {
		t.Helper()
		b, err := cbor.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		r := signed(t, n, time.Now(), rootCreds, "monitoring", "POST", "/service/GraniteServiceVersion20100801/operation/"+op,
			map[string]string{"Smithy-Protocol": "rpc-v2-cbor", "Content-Type": "application/cbor", "Accept": "application/cbor"}, string(b))
		var out map[string]any
		dm, _ := cbor.DecOptions{DefaultMapType: reflect.TypeOf(map[string]any{})}.DecMode()
		if len(r.body) > 0 {
			if err := dm.Unmarshal([]byte(r.body), &out); err != nil {
				t.Fatalf("%s: %v %x", op, err, r.body)
			}
		}
		return r, out
	}
	ts := func(t time.Time) cbor.Tag { return cbor.Tag{Number: 1, Content: float64(t.Unix())} }
	if r, out := cborPost("PutMetricData", map[string]any{"Namespace": "Wire", "MetricData": []any{map[string]any{"MetricName": "m", "Value": 5.0, "Timestamp": ts(now.Add(-2 * time.Minute))}}}); r.status != 200 {
		t.Fatalf("cbor put: %d %v", r.status, out)
	}
	r, out := cborPost("GetMetricStatistics", map[string]any{"Namespace": "Wire", "MetricName": "m", "StartTime": ts(now.Add(-10 * time.Minute)),
		"EndTime": ts(now), "Period": 600, "Statistics": []any{"Sum", "SampleCount"}})
	dps, _ := out["Datapoints"].([]any)
	if r.status != 200 || len(dps) != 1 || dps[0].(map[string]any)["Sum"] != 10.0 || dps[0].(map[string]any)["SampleCount"] != 3.0 {
		t.Fatalf("cbor GetMetricStatistics: %d %v", r.status, out)
	}
	// The same over JSON and query.
	jsonHdr["X-Amz-Target"] = "GraniteServiceVersion20100801.GetMetricStatistics"
	jr := signed(t, n, time.Now(), rootCreds, "monitoring", "POST", "/", jsonHdr, `{"Namespace":"Wire","MetricName":"m","StartTime":`+
		strconv.FormatInt(now.Add(-10*time.Minute).Unix(), 10)+`,"EndTime":`+strconv.FormatInt(now.Unix(), 10)+`,"Period":600,"Statistics":["Maximum"]}`)
	var jout struct{ Datapoints []struct{ Maximum float64 } }
	if err := json.Unmarshal([]byte(jr.body), &jout); err != nil || jr.status != 200 || len(jout.Datapoints) != 1 || jout.Datapoints[0].Maximum != 5 {
		t.Fatalf("json GetMetricStatistics: %d %s", jr.status, jr.body)
	}
	q = url.Values{"Action": {"GetMetricStatistics"}, "Version": {"2010-08-01"}, "Namespace": {"Wire"}, "MetricName": {"m"},
		"StartTime": {now.Add(-10 * time.Minute).Format(time.RFC3339)}, "EndTime": {now.Format(time.RFC3339)}, "Period": {"600"}, "Statistics.member.1": {"Minimum"}}
	if qr := query(t, n, time.Now(), rootCreds, "monitoring", q.Encode()); qr.status != 200 || !strings.Contains(qr.body, "<Minimum>2.0</Minimum>") && !strings.Contains(qr.body, "<Minimum>2</Minimum>") {
		t.Fatalf("query GetMetricStatistics: %d %s", qr.status, qr.body)
	}

	// A refusal in each protocol.
	q = url.Values{"Action": {"PutMetricData"}, "Version": {"2010-08-01"}, "Namespace": {"AWS/EC2"}, "MetricData.member.1.MetricName": {"m"}, "MetricData.member.1.Value": {"1"}}
	if qr := query(t, n, time.Now(), rootCreds, "monitoring", q.Encode()); qr.status != 400 || !strings.Contains(qr.body, "<Code>InvalidParameterValue</Code>") ||
		!strings.Contains(qr.body, "The value AWS/EC2 for parameter Namespace is invalid.") {
		t.Fatalf("query refusal: %d %s", qr.status, qr.body)
	}
	jsonHdr["X-Amz-Target"] = "GraniteServiceVersion20100801.PutMetricData"
	jr = signed(t, n, time.Now(), rootCreds, "monitoring", "POST", "/", jsonHdr, `{"Namespace":"AWS/EC2","MetricData":[{"MetricName":"m","Value":1}]}`)
	if jr.status != 400 || !strings.Contains(jr.body, "InvalidParameterValueException") || jr.header.Get("X-Amzn-Query-Error") != "InvalidParameterValue;Sender" {
		t.Fatalf("json refusal: %d %v %s", jr.status, jr.header, jr.body)
	}
	r, out = cborPost("PutMetricData", map[string]any{"Namespace": "AWS/EC2", "MetricData": []any{map[string]any{"MetricName": "m", "Value": 1.0}}})
	if r.status != 400 || !strings.HasSuffix(out["__type"].(string), "InvalidParameterValueException") || r.header.Get("X-Amzn-Query-Error") != "InvalidParameterValue;Sender" {
		t.Fatalf("cbor refusal: %d %v %v", r.status, r.header, out)
	}
}
