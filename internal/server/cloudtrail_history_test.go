package server_test

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
	"github.com/niwa-cloud/niwa/niwatest"
)

// lookupEvents calls CloudTrail's LookupEvents in us-east-1 (where IAM's
// records are) and returns its response body.
func lookupEvents(t *testing.T, n *niwatest.Niwa, at time.Time, body string) string {
	t.Helper()
	n.Region = "us-east-1"
	r := signed(t, n, at, rootCreds, "cloudtrail", "POST", "/", map[string]string{
		"X-Amz-Target": "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents", "Content-Type": "application/x-amz-json-1.1"}, body)
	if r.status != 200 {
		t.Fatalf("LookupEvents: %d %s", r.status, r.body)
	}
	return r.body
}

// lookedUp splits a LookupEvents response into its events' JSON.
func lookedUp(t *testing.T, body string) []string {
	t.Helper()
	var out struct{ Events []json.RawMessage }
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		t.Fatal(err)
	}
	var evs []string
	for _, e := range out.Events {
		evs = append(evs, string(e))
	}
	return evs
}

// TestDataDirFromJSONCloudTrailRecords: a --data-dir whose event history
// niwa stored as JSON, before its records had a binary form
// (testdata/datadir-json-cloudtrail: the cloudtrail store of niwa at
// commit e085b11 after CreateUser failing validation on a tag value with
// <, & in it, CreateUser, GetUser failing, GetCallerIdentity, CreateBucket
// and LookupEvents; testdata/cloudtrail-json-lookup.golden is what that
// niwa answered to LookupEvents on it a minute later) answers LookupEvents
// byte for byte as it did; records written after the upgrade are binary,
// the old ones stay JSON and keep being read, across another restart.
func TestDataDirFromJSONCloudTrailRecords(t *testing.T) {
	dir := t.TempDir()
	copyDir(t, "testdata/datadir-json-cloudtrail", dir)
	golden, err := os.ReadFile("testdata/cloudtrail-json-lookup.golden")
	if err != nil {
		t.Fatal(err)
	}
	clk := niwatest.NewFakeClock(time.Date(2026, 12, 1, 0, 1, 0, 0, time.UTC))
	start := func(t *testing.T) *niwatest.Niwa {
		return niwatest.Start(t, niwatest.WithDataDir(dir), niwatest.WithClock(clk))
	}
	var afterUpgrade string

	t.Run("upgrade", func(t *testing.T) {
		n := start(t)
		if got := lookupEvents(t, n, clk.Now(), `{}`); got != string(golden) {
			t.Fatalf("LookupEvents on the old history:\n%s\nwant\n%s", got, golden)
		}
		n.Region = "us-east-1"
		if r := query(t, n, clk.Now(), rootCreds, "iam", "Action=CreateUser&Version=2010-05-08&UserName=carol"); r.status != 200 {
			t.Fatalf("CreateUser: %d %s", r.status, r.body)
		}
		afterUpgrade = lookupEvents(t, n, clk.Now(), `{}`)
		got, old := lookedUp(t, afterUpgrade), lookedUp(t, string(golden))
		// The new calls (LookupEvents, CreateUser) come first.
		if len(got) != len(old)+2 || !strings.Contains(got[0], `"EventName":"CreateUser"`) || !strings.Contains(got[0], `\"userName\":\"carol\"`) ||
			!strings.Contains(got[1], `"EventName":"LookupEvents"`) {
			t.Fatalf("after a new call, LookupEvents = %s", afterUpgrade)
		}
		for i := range old {
			if got[i+2] != old[i] {
				t.Errorf("old event %d is now\n%s\nwant\n%s", i, got[i+2], old[i])
			}
		}
	})

	t.Run("stored forms", func(t *testing.T) {
		b, err := storage.Open(storage.Options{DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		st, err := b.Store("cloudtrail")
		if err != nil {
			t.Fatal(err)
		}
		forms := map[bool]int{}
		err = st.View(func(tx storage.Tx) error {
			return tx.Scan(nil, storage.ScanOptions{}, func(k, v []byte) bool {
				if parts, err := storage.SplitKey(k); err == nil && len(parts) > 2 && parts[2] == "records" {
					forms[storage.IsBinaryRecord(v)]++
				}
				return true
			})
		})
		if err != nil {
			t.Fatal(err)
		}
		// The two LookupEvents and the CreateUser after the upgrade.
		if forms[false] != 6 || forms[true] != 3 {
			t.Fatalf("records stored as JSON: %d, binary: %d; want 6 and 3", forms[false], forms[true])
		}
	})

	t.Run("restart", func(t *testing.T) {
		n := start(t)
		// What was there, after the record of the last LookupEvents.
		got, want := lookedUp(t, lookupEvents(t, n, clk.Now(), `{}`)), lookedUp(t, afterUpgrade)
		if len(got) != len(want)+1 || !strings.Contains(got[0], `"EventName":"LookupEvents"`) || strings.Join(got[1:], "\n") != strings.Join(want, "\n") {
			t.Fatalf("LookupEvents after a restart:\n%s\nwant the last LookupEvents, then\n%s", strings.Join(got, "\n"), afterUpgrade)
		}
	})
}

// TestLookupEventsRecordBytes pins the record LookupEvents returns for a
// call, byte for byte but for what differs per run (ids, the port): the
// record the audit hook built is what CloudTrail keeps and returns.
func TestLookupEventsRecordBytes(t *testing.T) {
	clk := niwatest.NewFakeClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	n := niwatest.Start(t, niwatest.WithClock(clk))
	n.Region = "us-east-1"
	if r := signed(t, n, clk.Now(), rootCreds, "s3", "PUT", "/pinned", nil, ""); r.status != 200 {
		t.Fatalf("CreateBucket: %d %s", r.status, r.body)
	}
	clk.Advance(time.Second)
	if r := query(t, n, clk.Now(), rootCreds, "sts", "Action=GetCallerIdentity&Version=2011-06-15"); r.status != 200 {
		t.Fatalf("GetCallerIdentity: %d %s", r.status, r.body)
	}
	var out struct {
		Events []struct{ EventId, CloudTrailEvent string }
	}
	if err := json.Unmarshal([]byte(lookupEvents(t, n, clk.Now(), `{}`)), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Events) != 2 {
		t.Fatalf("%d events, want 2", len(out.Events))
	}
	ids := regexp.MustCompile(`"(requestID|eventID)":"[0-9a-f-]{36}"`)
	port := regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
	want := []string{
		`{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000","accessKeyId":"test"},"eventTime":"2026-12-01T00:00:01Z","eventSource":"sts.amazonaws.com","eventName":"GetCallerIdentity","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"Go-http-client/1.1","requestParameters":null,"responseElements":null,"requestID":"ID","eventID":"ID","readOnly":true,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"000000000000","eventCategory":"Management","tlsDetails":{"clientProvidedHostHeader":"HOST"}}`,
		`{"eventVersion":"1.08","userIdentity":{"type":"Root","principalId":"000000000000","arn":"arn:aws:iam::000000000000:root","accountId":"000000000000","accessKeyId":"test"},"eventTime":"2026-12-01T00:00:00Z","eventSource":"s3.amazonaws.com","eventName":"CreateBucket","awsRegion":"us-east-1","sourceIPAddress":"127.0.0.1","userAgent":"Go-http-client/1.1","requestParameters":{"bucketName":"pinned"},"responseElements":{"bucketArn":"arn:aws:s3:::pinned","location":"/pinned"},"requestID":"ID","eventID":"ID","readOnly":false,"eventType":"AwsApiCall","managementEvent":true,"recipientAccountId":"000000000000","eventCategory":"Management","tlsDetails":{"clientProvidedHostHeader":"HOST"}}`,
	}
	for i, e := range out.Events {
		if !strings.Contains(e.CloudTrailEvent, `"eventID":"`+e.EventId+`"`) {
			t.Errorf("event %s: record %s", e.EventId, e.CloudTrailEvent)
		}
		got := port.ReplaceAllString(ids.ReplaceAllString(e.CloudTrailEvent, `"$1":"ID"`), "HOST")
		if got != want[i] {
			t.Errorf("record %d:\n%s\nwant\n%s", i, got, want[i])
		}
	}
}
