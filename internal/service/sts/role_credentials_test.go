package sts

import (
	"testing"
	"time"
)

func TestIssueRoleCredentials(t *testing.T) {
	f := newFixture(t)
	c, err := f.IssueRoleCredentials(t0, account, "arn:aws:iam::"+account+":role/ci/long", "my-function", 12*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if c.ARN != "arn:aws:sts::"+account+":assumed-role/long/my-function" || c.UserID != "AROALONG:my-function" ||
		!c.Expiration.Equal(t0.Add(12*time.Hour)) || len(c.AccessKeyID) != 20 {
		t.Fatalf("credential: %+v", c)
	}
	got, ok, err := f.LookupTemporary(c.AccessKeyID)
	if err != nil || !ok || got.SecretAccessKey != c.SecretAccessKey {
		t.Fatalf("the issued key must sign requests: %v %v", ok, err)
	}
	if _, err := f.IssueRoleCredentials(t0, account, "arn:aws:iam::"+account+":user/bob", "s", time.Hour); err == nil {
		t.Fatal("a user ARN is not a role")
	}
}
