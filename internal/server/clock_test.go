package server_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/niwa-cloud/niwa/niwatest"
)

// niwaClock calls method on a /_niwa/clock endpoint and decodes the time.
func niwaClock(t *testing.T, n *niwatest.Niwa, method, path string) (int, time.Time) {
	t.Helper()
	req, _ := http.NewRequest(method, n.Endpoint+path, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Now string }
	json.NewDecoder(resp.Body).Decode(&body)
	now, _ := time.Parse(time.RFC3339Nano, body.Now)
	return resp.StatusCode, now
}

// TestClockAdvanceEndpoint: niwa's default clock (the one the binary
// runs) moves forward by POST /_niwa/clock/advance: temporary credentials
// expire with it, while clients signing with their wall clock are not
// refused as skewed.
func TestClockAdvanceEndpoint(t *testing.T) {
	n := niwatest.Start(t)
	ctx := context.Background()
	wall := time.Now()
	_, before := niwaClock(t, n, "GET", "/_niwa/clock")
	if d := before.Sub(wall); d < -time.Minute || d > time.Minute {
		t.Fatalf("GET /_niwa/clock = %v, wall clock %v", before, wall)
	}
	out, err := sts.NewFromConfig(n.AWSConfig()).GetSessionToken(ctx, &sts.GetSessionTokenInput{DurationSeconds: aws.Int32(900)})
	if err != nil {
		t.Fatal(err)
	}
	session := sts.NewFromConfig(n.AWSConfigWith(*out.Credentials.AccessKeyId, *out.Credentials.SecretAccessKey, *out.Credentials.SessionToken))
	if _, err := session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("fresh session: %v", err)
	}

	status, after := niwaClock(t, n, "POST", "/_niwa/clock/advance?by=1h")
	if status != 200 || after.Sub(before) < time.Hour {
		t.Fatalf("advance: %d now %v, want >= %v", status, after, before.Add(time.Hour))
	}
	if _, now := niwaClock(t, n, "GET", "/_niwa/clock"); now.Before(after) {
		t.Fatalf("GET after advance = %v, before %v", now, after)
	}
	_, err = session.GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	apiErr(t, err, "ExpiredToken", 403)
	// The root key, signing with the wall clock an hour behind niwa's,
	// still works.
	if _, err := sts.NewFromConfig(n.AWSConfig()).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{}); err != nil {
		t.Fatalf("root after advance: %v", err)
	}
	if status, _ := niwaClock(t, n, "POST", "/_niwa/clock/advance?by=-1h"); status != 400 {
		t.Errorf("negative advance: %d, want 400", status)
	}
}
