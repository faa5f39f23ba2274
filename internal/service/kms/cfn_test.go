package kms

import (
	"testing"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCloudFormationReplicaKey: AWS::KMS::ReplicaKey in a second region
// replicates a multi-Region primary made by AWS::KMS::Key (same key id,
// the replica's ARN in the stack's region, ciphertext of the primary
// decrypting there), its description and Enabled updated in place, and
// deletion scheduled; a single-Region primary is refused as
// ReplicateKey refuses it.
func TestCloudFormationReplicaKey(t *testing.T) {
	f := newFixture(t)
	home := f.ctx()
	p := f.cfnResources()
	policy := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
		"Principal": map[string]any{"AWS": "arn:aws:iam::" + account + ":root"}, "Action": "kms:*", "Resource": "*"}}}
	pk, err := p["AWS::KMS::Key"].Create(home, kit.ResourceRequest{LogicalID: "K", Properties: map[string]any{"MultiRegion": true, "KeyPolicy": policy}})
	if err != nil {
		t.Fatal(err)
	}
	ct, err := f.Encrypt(home, &kmsapi.EncryptInput{KeyId: ptr.To(pk.PhysicalID), Plaintext: []byte("hi")})
	if err != nil {
		t.Fatal(err)
	}
	other := *home
	other.Region = "us-west-2"
	r := kit.ResourceRequest{LogicalID: "R", Properties: map[string]any{"PrimaryKeyArn": pk.Attributes["Arn"], "KeyPolicy": policy,
		"Description": "one"}}
	res, err := p["AWS::KMS::ReplicaKey"].Create(&other, r)
	if err != nil {
		t.Fatal(err)
	}
	if res.PhysicalID != pk.PhysicalID || res.Attributes["Arn"] != "arn:aws:kms:us-west-2:"+account+":key/"+pk.PhysicalID {
		t.Fatalf("replica %+v", res)
	}
	d, err := f.DescribeKey(&other, &kmsapi.DescribeKeyInput{KeyId: ptr.To(res.PhysicalID)})
	if err != nil || ptr.Deref(d.KeyMetadata.MultiRegionConfiguration.MultiRegionKeyType) != "REPLICA" || ptr.Deref(d.KeyMetadata.Description) != "one" {
		t.Fatalf("described %+v %v", d, err)
	}
	if pt, err := f.Decrypt(&other, &kmsapi.DecryptInput{CiphertextBlob: ct.CiphertextBlob}); err != nil || string(pt.Plaintext) != "hi" {
		t.Fatalf("decrypt in the replica's region %v %v", pt, err)
	}
	r.PhysicalID, r.OldProperties = res.PhysicalID, r.Properties
	r.Properties = map[string]any{"PrimaryKeyArn": pk.Attributes["Arn"], "KeyPolicy": policy, "Description": "two", "Enabled": false}
	if _, err := p["AWS::KMS::ReplicaKey"].Update(&other, r); err != nil {
		t.Fatal(err)
	}
	d, _ = f.DescribeKey(&other, &kmsapi.DescribeKeyInput{KeyId: ptr.To(res.PhysicalID)})
	if ptr.Deref(d.KeyMetadata.Description) != "two" || ptr.Deref(d.KeyMetadata.KeyState) != "Disabled" {
		t.Fatalf("after update %+v", d.KeyMetadata)
	}
	r.Properties["PendingWindowInDays"] = 7
	for i := 0; i < 2; i++ {
		if err := p["AWS::KMS::ReplicaKey"].Delete(&other, r); err != nil {
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	d, _ = f.DescribeKey(&other, &kmsapi.DescribeKeyInput{KeyId: ptr.To(res.PhysicalID)})
	if ptr.Deref(d.KeyMetadata.KeyState) != "PendingDeletion" {
		t.Fatalf("after delete %+v", d.KeyMetadata)
	}

	single, err := p["AWS::KMS::Key"].Create(home, kit.ResourceRequest{LogicalID: "S", Properties: map[string]any{"KeyPolicy": policy}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p["AWS::KMS::ReplicaKey"].Create(&other, kit.ResourceRequest{LogicalID: "X", Properties: map[string]any{
		"PrimaryKeyArn": single.Attributes["Arn"], "KeyPolicy": policy}}); !kmsapi.ErrUnsupportedOperationException.Is(err) {
		t.Fatalf("replica of a single-Region key: %v", err)
	}
}
