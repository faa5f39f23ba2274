package s3_test

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/niwa-cloud/niwa/niwatest"
)

// TestSDKReplication: the configuration is validated as S3 does, and a
// new version is copied to a bucket of another region: PENDING on the
// source until the copy is made on niwa's clock, then COMPLETED; REPLICA
// on the copy, with the same version id and body.
func TestSDKReplication(t *testing.T) {
	clk := niwatest.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	n := niwatest.Start(t, niwatest.WithClock(clk))
	c := lockClient(n.AWSConfig())
	eu := n.AWSConfig()
	eu.Region = "eu-west-1"
	ce := lockClient(eu)
	ctx := context.Background()
	sdkBucket(t, c, "repl-src")
	if _, err := ce.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("repl-dst"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	src, dst := aws.String("repl-src"), aws.String("repl-dst")
	cfg := &types.ReplicationConfiguration{Role: aws.String("arn:aws:iam::" + niwatest.Account + ":role/replication"),
		Rules: []types.ReplicationRule{{ID: aws.String("all"), Status: types.ReplicationRuleStatusEnabled, Priority: aws.Int32(1),
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String("docs/")},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::repl-dst")}}}}
	put := func() error {
		_, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: src, ReplicationConfiguration: cfg})
		return err
	}
	version := func(cl *s3.Client, b *string) {
		if _, err := cl.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	if code, status := sdkErr(put()); code != "InvalidRequest" || status != 400 {
		t.Fatalf("unversioned source: %q %d", code, status)
	}
	version(c, src)
	if code, _ := sdkErr(put()); code != "InvalidRequest" {
		t.Fatalf("unversioned destination: %q", code)
	}
	version(ce, dst)
	_, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: src})
	if code, status := sdkErr(err); code != "ReplicationConfigurationNotFoundError" || status != 404 {
		t.Fatalf("no configuration yet: %q %d", code, status)
	}
	if err := put(); err != nil {
		t.Fatal(err)
	}
	got, err := c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: src})
	if err != nil || aws.ToString(got.ReplicationConfiguration.Rules[0].ID) != "all" {
		t.Fatalf("GetBucketReplication: %+v %v", got, err)
	}

	w, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: src, Key: aws.String("docs/a.txt"), Body: strings.NewReader("replicate me"),
		Metadata: map[string]string{"team": "x"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: src, Key: aws.String("tmp/b.txt"), Body: strings.NewReader("stay")}); err != nil {
		t.Fatal(err)
	}
	h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: src, Key: aws.String("docs/a.txt")})
	if err != nil || h.ReplicationStatus != types.ReplicationStatusPending {
		t.Fatalf("source before the copy: %q %v", h.ReplicationStatus, err)
	}
	clk.Advance(2 * time.Second)
	deadline := time.Now().Add(30 * time.Second)
	for {
		h, err = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: src, Key: aws.String("docs/a.txt")})
		if err == nil && h.ReplicationStatus == types.ReplicationStatusCompleted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("source never COMPLETED: %q %v", h.ReplicationStatus, err)
		}
		time.Sleep(20 * time.Millisecond) // the copy runs on the timer's goroutine
	}
	g, err := ce.GetObject(ctx, &s3.GetObjectInput{Bucket: dst, Key: aws.String("docs/a.txt")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if string(body) != "replicate me" || g.ReplicationStatus != types.ReplicationStatusReplica || aws.ToString(g.VersionId) != aws.ToString(w.VersionId) ||
		g.Metadata["team"] != "x" {
		t.Fatalf("replica: %q %q version %q (source %q) %v", body, g.ReplicationStatus, aws.ToString(g.VersionId), aws.ToString(w.VersionId), g.Metadata)
	}
	if _, err := ce.HeadObject(ctx, &s3.HeadObjectInput{Bucket: dst, Key: aws.String("tmp/b.txt")}); err == nil {
		t.Fatal("an object outside the rule's prefix was replicated")
	}
	h, _ = c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: src, Key: aws.String("tmp/b.txt")})
	if h.ReplicationStatus != "" {
		t.Fatalf("status of an object outside the rule: %q", h.ReplicationStatus)
	}
	if _, err := c.DeleteBucketReplication(ctx, &s3.DeleteBucketReplicationInput{Bucket: src}); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetBucketReplication(ctx, &s3.GetBucketReplicationInput{Bucket: src})
	if code, _ := sdkErr(err); code != "ReplicationConfigurationNotFoundError" {
		t.Fatalf("after delete: %q", code)
	}
}

// TestSDKReplicationSSEKMS: SSE-KMS objects are replicated only by rules
// selecting them (SourceSelectionCriteria.SseKmsEncryptedObjects), which
// must name ReplicaKmsKeyID; the replica is encrypted under that key in
// the destination's region and reads back the source's bytes.
func TestSDKReplicationSSEKMS(t *testing.T) {
	clk := niwatest.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	n := niwatest.Start(t, niwatest.WithClock(clk))
	c := lockClient(n.AWSConfig())
	eu := n.AWSConfig()
	eu.Region = "eu-west-1"
	ce := lockClient(eu)
	ctx := context.Background()
	srcKey, err := kms.NewFromConfig(n.AWSConfig()).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	dstKey, err := kms.NewFromConfig(eu).CreateKey(ctx, &kms.CreateKeyInput{})
	if err != nil {
		t.Fatal(err)
	}
	sdkBucket(t, c, "kms-src")
	if _, err := ce.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String("kms-dst"),
		CreateBucketConfiguration: &types.CreateBucketConfiguration{LocationConstraint: types.BucketLocationConstraintEuWest1}}); err != nil {
		t.Fatal(err)
	}
	src, dst := aws.String("kms-src"), aws.String("kms-dst")
	for _, p := range []struct {
		cl *s3.Client
		b  *string
	}{{c, src}, {ce, dst}} {
		if _, err := p.cl.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{Bucket: p.b, VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled}}); err != nil {
			t.Fatal(err)
		}
	}
	rule := func(prefix string, selects bool, replicaKey *string) types.ReplicationRule {
		r := types.ReplicationRule{ID: aws.String(prefix), Status: types.ReplicationRuleStatusEnabled, Priority: aws.Int32(int32(len(prefix))),
			Filter:                  &types.ReplicationRuleFilter{Prefix: aws.String(prefix)},
			DeleteMarkerReplication: &types.DeleteMarkerReplication{Status: types.DeleteMarkerReplicationStatusDisabled},
			Destination:             &types.Destination{Bucket: aws.String("arn:aws:s3:::kms-dst")}}
		if selects {
			r.SourceSelectionCriteria = &types.SourceSelectionCriteria{SseKmsEncryptedObjects: &types.SseKmsEncryptedObjects{Status: types.SseKmsEncryptedObjectsStatusEnabled}}
		}
		if replicaKey != nil {
			r.Destination.EncryptionConfiguration = &types.EncryptionConfiguration{ReplicaKmsKeyID: replicaKey}
		}
		return r
	}
	put := func(rules ...types.ReplicationRule) error {
		_, err := c.PutBucketReplication(ctx, &s3.PutBucketReplicationInput{Bucket: src, ReplicationConfiguration: &types.ReplicationConfiguration{
			Role: aws.String("arn:aws:iam::" + niwatest.Account + ":role/replication"), Rules: rules}})
		return err
	}
	for name, r := range map[string]types.ReplicationRule{
		"selected without a replica key": rule("k/", true, nil),
		"replica key without selection":  rule("k/", false, dstKey.KeyMetadata.Arn),
	} {
		if code, status := sdkErr(put(r)); code != "InvalidRequest" || status != 400 {
			t.Errorf("%s: %q %d", name, code, status)
		}
	}
	if err := put(rule("kms/", true, dstKey.KeyMetadata.Arn), rule("plain/", false, nil)); err != nil {
		t.Fatal(err)
	}
	write := func(key string) {
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: src, Key: aws.String(key), Body: strings.NewReader("secret " + key),
			ServerSideEncryption: types.ServerSideEncryptionAwsKms, SSEKMSKeyId: srcKey.KeyMetadata.Arn}); err != nil {
			t.Fatal(err)
		}
	}
	write("kms/a")
	write("plain/b")
	status := func(key string) types.ReplicationStatus {
		h, err := c.HeadObject(ctx, &s3.HeadObjectInput{Bucket: src, Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		return h.ReplicationStatus
	}
	if st := status("plain/b"); st != "" {
		t.Fatalf("an SSE-KMS object a rule does not select: %q", st)
	}
	clk.Advance(2 * time.Second)
	for deadline := time.Now().Add(30 * time.Second); status("kms/a") != types.ReplicationStatusCompleted; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("source never COMPLETED: %q", status("kms/a"))
		}
	}
	g, err := ce.GetObject(ctx, &s3.GetObjectInput{Bucket: dst, Key: aws.String("kms/a")})
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(g.Body)
	g.Body.Close()
	if string(body) != "secret kms/a" || g.ServerSideEncryption != types.ServerSideEncryptionAwsKms ||
		aws.ToString(g.SSEKMSKeyId) != aws.ToString(dstKey.KeyMetadata.Arn) || g.ReplicationStatus != types.ReplicationStatusReplica {
		t.Fatalf("replica: %q %q key %q %q", body, g.ServerSideEncryption, aws.ToString(g.SSEKMSKeyId), g.ReplicationStatus)
	}
	if _, err := ce.HeadObject(ctx, &s3.HeadObjectInput{Bucket: dst, Key: aws.String("plain/b")}); err == nil {
		t.Fatal("an SSE-KMS object no rule selects was replicated")
	}
}
