package s3_test

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// aclClients are the bucket owner's client and another account's, on an
// instance that knows both keys.
func aclClients(t *testing.T) (owner, other *s3.Client) {
	t.Helper()
	n := niwatest.Start(t, niwatest.WithAccessKey("AKIAOTHERACCOUNT0003", "othersecret", "333333333333"))
	path := func(o *s3.Options) { o.UsePathStyle = true }
	return s3.NewFromConfig(n.AWSConfig(), path), s3.NewFromConfig(n.AWSConfigWith("AKIAOTHERACCOUNT0003", "othersecret", ""), path)
}

// legacyBucket creates a bucket with ACLs enabled and no public access
// block, the documented way to get S3's pre-2023 behaviour.
func legacyBucket(t *testing.T, c *s3.Client, name string) {
	t.Helper()
	ctx := context.Background()
	if _, err := c.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name), ObjectOwnership: types.ObjectOwnershipObjectWriter,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(niwatest.Region)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeletePublicAccessBlock(ctx, &s3.DeletePublicAccessBlockInput{Bucket: aws.String(name)}); err != nil {
		t.Fatal(err)
	}
}

// TestSDKACLGrantsToOtherAccounts: on a bucket with ACLs, grants to
// another account's canonical id, to AuthenticatedUsers and to AllUsers
// let that account's signed requests through; the public access block's
// IgnorePublicAcls and BlockPublicAcls apply.
func TestSDKACLGrantsToOtherAccounts(t *testing.T) {
	owner, other := aclClients(t)
	ctx := context.Background()
	legacyBucket(t, owner, "acl-shared")
	// The other account's canonical id, as it sees it on its own bucket.
	sdkBucket(t, other, "acl-theirs")
	theirACL, err := other.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("acl-theirs")})
	if err != nil {
		t.Fatal(err)
	}
	theirID := aws.ToString(theirACL.Owner.ID)
	b := aws.String("acl-shared")
	for key, acl := range map[string]types.ObjectCannedACL{"private": "", "authenticated": types.ObjectCannedACLAuthenticatedRead, "public": types.ObjectCannedACLPublicRead, "granted": ""} {
		in := &s3.PutObjectInput{Bucket: b, Key: aws.String(key), Body: strings.NewReader(key), ACL: acl}
		if key == "granted" {
			in.GrantRead = aws.String(`id="` + theirID + `"`)
		}
		if _, err := owner.PutObject(ctx, in); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	get := func(key string) (string, int) {
		out, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(key)})
		if err == nil {
			body, _ := io.ReadAll(out.Body)
			out.Body.Close()
			if string(body) != key {
				t.Fatalf("%s: body %q", key, body)
			}
		}
		return sdkErr(err)
	}
	for _, c := range []struct {
		key    string
		status int
	}{{"private", 403}, {"authenticated", 200}, {"public", 200}, {"granted", 200}} {
		if _, status := get(c.key); status != c.status {
			t.Errorf("other account GET %s: %d, want %d", c.key, status, c.status)
		}
	}
	// Bucket grants: WRITE lets the other account put, READ list.
	if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("theirs"), Body: strings.NewReader("x")}); err == nil {
		t.Fatal("other account wrote without a grant")
	}
	if _, err := owner.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, GrantWrite: aws.String(`id="` + theirID + `"`),
		GrantRead: aws.String(`uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("theirs"), Body: strings.NewReader("x")}); err != nil {
		t.Fatalf("other account PUT with a WRITE grant: %v", err)
	}
	if _, err := other.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: b}); err != nil {
		t.Fatalf("other account LIST with an AuthenticatedUsers READ grant: %v", err)
	}
	// The group grantee carries its URI.
	acl, err := owner.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	var sawGroup bool
	for _, g := range acl.Grants {
		if g.Grantee.Type == types.TypeGroup && aws.ToString(g.Grantee.URI) == "http://acs.amazonaws.com/groups/global/AuthenticatedUsers" {
			sawGroup = true
		}
	}
	if !sawGroup {
		t.Fatalf("GetBucketAcl lacks the group grantee: %+v", acl.Grants)
	}
	// IgnorePublicAcls: public grants ignored, an account's grant kept.
	if _, err := owner.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{Bucket: b, PublicAccessBlockConfiguration: &types.PublicAccessBlockConfiguration{
		IgnorePublicAcls: aws.Bool(true), BlockPublicAcls: aws.Bool(true)}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		key    string
		status int
	}{{"authenticated", 403}, {"public", 403}, {"granted", 200}} {
		if _, status := get(c.key); status != c.status {
			t.Errorf("IgnorePublicAcls: other account GET %s: %d, want %d", c.key, status, c.status)
		}
	}
	// BlockPublicAcls: a public ACL on a write is refused.
	_, err = owner.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: aws.String("private"), ACL: types.ObjectCannedACLPublicRead})
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 {
		t.Fatalf("BlockPublicAcls PutObjectAcl: %q %d", code, status)
	}
	_, err = owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("new"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead})
	if code, status := sdkErr(err); code != "AccessDenied" || status != 403 {
		t.Fatalf("BlockPublicAcls PutObject: %q %d", code, status)
	}
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("new"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPrivate}); err != nil {
		t.Fatalf("private ACL under BlockPublicAcls: %v", err)
	}
	// E-mail grantees ended in 2025: 405.
	_, err = owner.PutObjectAcl(ctx, &s3.PutObjectAclInput{Bucket: b, Key: aws.String("private"), GrantRead: aws.String(`emailAddress="someone@example.com"`)})
	if code, status := sdkErr(err); code != "MethodNotAllowed" || status != 405 {
		t.Fatalf("e-mail grantee: %q %d", code, status)
	}
}

// TestSDKACLNotOverDeny: an explicit Deny in the bucket policy wins over
// an ACL grant, for anonymous and cross-account callers alike.
func TestSDKACLNotOverDeny(t *testing.T) {
	owner, other := aclClients(t)
	ctx := context.Background()
	legacyBucket(t, owner, "acl-deny")
	b := aws.String("acl-deny")
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("k"), Body: strings.NewReader("x"), ACL: types.ObjectCannedACLPublicRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k")}); err != nil {
		t.Fatalf("public-read for another account's signed GET: %v", err)
	}
	policy := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:GetObject","Resource":"arn:aws:s3:::acl-deny/*","Condition":{"StringNotEquals":{"aws:PrincipalAccount":"000000000000"}}}]}`
	if _, err := owner.PutBucketPolicy(ctx, &s3.PutBucketPolicyInput{Bucket: b, Policy: aws.String(policy)}); err != nil {
		t.Fatal(err)
	}
	_, err := other.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String("k")})
	if _, status := sdkErr(err); status != 403 {
		t.Fatalf("Deny with a public-read ACL: %d", status)
	}
}

// TestSDKObjectOwnership: under ObjectWriter the account that uploads an
// object owns it (GetObjectAcl and ListObjects' Owner show it); the
// bucket owner may read it only through a grant of the object's ACL
// (bucket-owner-read / -full-control) yet may delete it. Under
// BucketOwnerPreferred the bucket owner owns what is uploaded with
// bucket-owner-full-control, the writer the rest.
func TestSDKObjectOwnership(t *testing.T) {
	owner, other := aclClients(t)
	ctx := context.Background()
	sdkBucket(t, other, "own-theirs")
	theirACL, err := other.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("own-theirs")})
	if err != nil {
		t.Fatal(err)
	}
	sdkBucket(t, owner, "own-mine")
	myACL, err := owner.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("own-mine")})
	if err != nil {
		t.Fatal(err)
	}
	theirID, myID := aws.ToString(theirACL.Owner.ID), aws.ToString(myACL.Owner.ID)
	legacyBucket(t, owner, "own-writer")
	if _, err := owner.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("own-preferred"), ObjectOwnership: types.ObjectOwnershipBucketOwnerPreferred,
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraint(niwatest.Region)}}); err != nil {
		t.Fatal(err)
	}
	for _, b := range []string{"own-writer", "own-preferred"} {
		if _, err := owner.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: aws.String(b), GrantWrite: aws.String(`id="` + theirID + `"`),
			GrantFullControl: aws.String(`id="` + myID + `"`)}); err != nil {
			t.Fatal(err)
		}
	}
	put := func(bucket, key string, acl types.ObjectCannedACL) {
		t.Helper()
		if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: strings.NewReader(key), ACL: acl}); err != nil {
			t.Fatalf("other account PUT %s/%s: %v", bucket, key, err)
		}
	}
	objOwner := func(c *s3.Client, bucket, key string) string {
		t.Helper()
		acl, err := c.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		if err != nil {
			t.Fatalf("GetObjectAcl %s/%s: %v", bucket, key, err)
		}
		return aws.ToString(acl.Owner.ID)
	}
	read := func(c *s3.Client, bucket, key string) int {
		_, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
		_, status := sdkErr(err)
		return status
	}
	put("own-writer", "private", "")
	put("own-writer", "shared", types.ObjectCannedACLBucketOwnerFullControl)
	put("own-writer", "readable", types.ObjectCannedACLBucketOwnerRead)
	if id := objOwner(other, "own-writer", "private"); id != theirID {
		t.Fatalf("ObjectWriter: owner %q, want the writer %q", id, theirID)
	}
	if status := read(other, "own-writer", "private"); status != 200 {
		t.Fatalf("the writer reading its object: %d", status)
	}
	if status := read(owner, "own-writer", "private"); status != 403 {
		t.Fatalf("the bucket owner reading an object it does not own: %d", status)
	}
	if _, err := owner.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: aws.String("own-writer"), Key: aws.String("private")}); err == nil {
		t.Fatal("the bucket owner read the ACL of an object it does not own")
	}
	for _, key := range []string{"shared", "readable"} {
		if status := read(owner, "own-writer", key); status != 200 {
			t.Fatalf("the bucket owner reading %s: %d", key, status)
		}
	}
	if id := objOwner(owner, "own-writer", "shared"); id != theirID {
		t.Fatalf("bucket-owner-full-control under ObjectWriter: owner %q", id)
	}
	list, err := owner.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String("own-writer"), FetchOwner: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		if aws.ToString(o.Owner.ID) != theirID {
			t.Fatalf("ListObjectsV2 Owner of %s: %q", aws.ToString(o.Key), aws.ToString(o.Owner.ID))
		}
	}
	_, err = owner.CopyObject(ctx, &s3.CopyObjectInput{Bucket: aws.String("own-writer"), Key: aws.String("copied"), CopySource: aws.String("own-writer/private")})
	if _, status := sdkErr(err); status != 403 {
		t.Fatalf("the bucket owner copying an object it does not own: %d", status)
	}
	if _, err := owner.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String("own-writer"), Key: aws.String("private")}); err != nil {
		t.Fatalf("the bucket owner deleting a foreign object: %v", err)
	}

	put("own-preferred", "given", types.ObjectCannedACLBucketOwnerFullControl)
	put("own-preferred", "kept", "")
	if id := objOwner(owner, "own-preferred", "given"); id != myID {
		t.Fatalf("BucketOwnerPreferred with bucket-owner-full-control: owner %q, want the bucket owner %q", id, myID)
	}
	if id := objOwner(other, "own-preferred", "kept"); id != theirID {
		t.Fatalf("BucketOwnerPreferred without it: owner %q, want the writer", id)
	}
	if status := read(owner, "own-preferred", "given"); status != 200 {
		t.Fatalf("the bucket owner reading its object: %d", status)
	}
}

// TestSDKACLGrantsToIAMUsers: an ACL grant to an account serves that
// account's IAM users whose identity policy allows the action — another
// account's users reading a granted object, the bucket owner's users
// reading an object another account wrote with bucket-owner-read — and
// never a user whose policy does not (the ACL stands in for the resource
// side only).
func TestSDKACLGrantsToIAMUsers(t *testing.T) {
	n := niwatest.Start(t, niwatest.WithAccessKey("AKIAOTHERACCOUNT0004", "othersecret", "444444444444"))
	ctx := context.Background()
	path := func(o *s3.Options) { o.UsePathStyle = true }
	ownerCfg, otherCfg := n.AWSConfig(), n.AWSConfigWith("AKIAOTHERACCOUNT0004", "othersecret", "")
	owner, other := s3.NewFromConfig(ownerCfg, path), s3.NewFromConfig(otherCfg, path)
	user := func(cfg aws.Config, name string, allowGet bool) *s3.Client {
		t.Helper()
		ic := iam.NewFromConfig(cfg)
		if _, err := ic.CreateUser(ctx, &iam.CreateUserInput{UserName: aws.String(name)}); err != nil {
			t.Fatal(err)
		}
		if allowGet {
			if _, err := ic.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String("get"),
				PolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`)}); err != nil {
				t.Fatal(err)
			}
		}
		k, err := ic.CreateAccessKey(ctx, &iam.CreateAccessKeyInput{UserName: aws.String(name)})
		if err != nil {
			t.Fatal(err)
		}
		return s3.NewFromConfig(n.AWSConfigWith(aws.ToString(k.AccessKey.AccessKeyId), aws.ToString(k.AccessKey.SecretAccessKey), ""), path)
	}
	sdkBucket(t, other, "iam-theirs")
	theirACL, err := other.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: aws.String("iam-theirs")})
	if err != nil {
		t.Fatal(err)
	}
	theirID := aws.ToString(theirACL.Owner.ID)
	legacyBucket(t, owner, "iam-shared")
	b := aws.String("iam-shared")
	myACL, err := owner.GetBucketAcl(ctx, &s3.GetBucketAclInput{Bucket: b})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := owner.PutBucketAcl(ctx, &s3.PutBucketAclInput{Bucket: b, GrantWrite: aws.String(`id="` + theirID + `"`),
		GrantFullControl: aws.String(`id="` + aws.ToString(myACL.Owner.ID) + `"`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("granted"), Body: strings.NewReader("g"),
		GrantRead: aws.String(`id="` + theirID + `"`)}); err != nil {
		t.Fatal(err)
	}
	if _, err := owner.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("private"), Body: strings.NewReader("p")}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("from-them"), Body: strings.NewReader("t"),
		ACL: types.ObjectCannedACLBucketOwnerRead}); err != nil {
		t.Fatal(err)
	}
	if _, err := other.PutObject(ctx, &s3.PutObjectInput{Bucket: b, Key: aws.String("theirs-only"), Body: strings.NewReader("t")}); err != nil {
		t.Fatal(err)
	}
	theirReader, theirNobody := user(otherCfg, "reader", true), user(otherCfg, "nobody", false)
	myReader := user(ownerCfg, "reader", true)
	for _, c := range []struct {
		who    string
		client *s3.Client
		key    string
		status int
	}{
		{"their reader, granted", theirReader, "granted", 200},
		{"their reader, not granted", theirReader, "private", 403},
		{"their user without a policy, granted", theirNobody, "granted", 403},
		{"my reader, bucket-owner-read", myReader, "from-them", 200},
		{"my reader, their object without a grant", myReader, "theirs-only", 403},
		{"my reader, my object", myReader, "private", 200},
	} {
		_, err := c.client.GetObject(ctx, &s3.GetObjectInput{Bucket: b, Key: aws.String(c.key)})
		if _, status := sdkErr(err); status != c.status {
			t.Errorf("%s: %d, want %d (%v)", c.who, status, c.status, err)
		}
	}
}
