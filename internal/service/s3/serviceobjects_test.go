package s3

import (
	"fmt"
	"testing"

	objstore "github.com/niwa-cloud/niwa/internal/objects"
)

// TestServicePolicyAllows: the bucket policy decides what a service
// principal may write (with the aws:SourceAccount / aws:SourceArn and
// x-amz-acl conditions of the policy AWS documents for Logs exports), and
// what a caller of another account may read or write; the owner's own
// principals need no grant but are bound by an explicit Deny.
func TestServicePolicyAllows(t *testing.T) {
	logsPolicy := func(principal, account string) string {
		return fmt.Sprintf(`{"Version":"2012-10-17","Statement":[
{"Effect":"Allow","Principal":{"Service":%q},"Action":"s3:GetBucketAcl","Resource":"arn:aws:s3:::b",
 "Condition":{"StringEquals":{"aws:SourceAccount":[%q]},"ArnLike":{"aws:SourceArn":["arn:aws:logs:us-east-1:%[2]s:log-group:*"]}}},
{"Effect":"Allow","Principal":{"Service":%[1]q},"Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*",
 "Condition":{"StringEquals":{"s3:x-amz-acl":"bucket-owner-full-control","aws:SourceAccount":[%[2]q]}}}]}`, principal, account)
	}
	logs := objstore.Principal{Service: "logs.amazonaws.com", Region: "us-east-1", SourceAccount: "000000000000",
		SourceARN: "arn:aws:logs:us-east-1:000000000000:log-group:/app:*"}
	own := objstore.Principal{CallerARN: "arn:aws:iam::000000000000:root", CallerAccount: "000000000000"}
	other := objstore.Principal{CallerARN: "arn:aws:iam::111122223333:root", CallerAccount: "111122223333"}
	crossGrant := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":["s3:PutObject","s3:ListBucket"],"Resource":["arn:aws:s3:::b","arn:aws:s3:::b/*"]}]}`
	denyOwn := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:PutObject","Resource":"arn:aws:s3:::b/*"}]}`
	for _, tc := range []struct {
		name, policy, action, resource string
		p                              objstore.Principal
		want                           bool
	}{
		{"service, no policy", "", "s3:GetBucketAcl", "arn:aws:s3:::b", logs, false},
		{"service, regional principal", logsPolicy("logs.us-east-1.amazonaws.com", "000000000000"), "s3:GetBucketAcl", "arn:aws:s3:::b", logs, true},
		{"service, global principal", logsPolicy("logs.amazonaws.com", "000000000000"), "s3:PutObject", "arn:aws:s3:::b/x", logs, true},
		{"service, other region's principal", logsPolicy("logs.eu-west-1.amazonaws.com", "000000000000"), "s3:GetBucketAcl", "arn:aws:s3:::b", logs, false},
		{"service, other source account", logsPolicy("logs.us-east-1.amazonaws.com", "111122223333"), "s3:PutObject", "arn:aws:s3:::b/x", logs, false},
		{"service, action not granted", logsPolicy("logs.us-east-1.amazonaws.com", "000000000000"), "s3:GetObject", "arn:aws:s3:::b/x", logs, false},
		{"owner's caller, no policy", "", "s3:PutObject", "arn:aws:s3:::b/x", own, true},
		{"owner's caller, explicit deny", denyOwn, "s3:PutObject", "arn:aws:s3:::b/x", own, false},
		{"owner's caller, deny of another action", denyOwn, "s3:GetObject", "arn:aws:s3:::b/x", own, true},
		{"other account, no policy", "", "s3:PutObject", "arn:aws:s3:::b/x", other, false},
		{"other account, granted", crossGrant, "s3:PutObject", "arn:aws:s3:::b/x", other, true},
		{"other account, not granted", crossGrant, "s3:GetObject", "arn:aws:s3:::b/x", other, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bucketRecord{Name: "b", Account: "000000000000", Region: "us-east-1", Policy: tc.policy}
			if got := servicePolicyAllows(b, tc.action, tc.resource, tc.p); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
