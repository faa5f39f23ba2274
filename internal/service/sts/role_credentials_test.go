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

// TestIssuePlacedRoleCredentials: credentials issued to code in a VPC
// remember where it runs (aws:SourceVpc / aws:SourceVpce); others do not.
func TestIssuePlacedRoleCredentials(t *testing.T) {
	f := newFixture(t)
	at := &NetworkPosition{Region: "us-east-1", VpcID: "vpc-1", SubnetIDs: []string{"subnet-1"}}
	c, err := f.IssuePlacedRoleCredentials(t0, account, "arn:aws:iam::"+account+":role/app", "fn", time.Hour, at)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := f.LookupTemporary(c.AccessKeyID)
	if err != nil || !ok || got.Network == nil || got.Network.VpcID != "vpc-1" || got.Network.SubnetIDs[0] != "subnet-1" {
		t.Fatalf("placed credential: %+v %v", got, err)
	}
	c, err = f.IssueRoleCredentials(t0, account, "arn:aws:iam::"+account+":role/app", "fn", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := f.LookupTemporary(c.AccessKeyID); got.Network != nil {
		t.Fatalf("unplaced credential has a network position: %+v", got.Network)
	}
}
