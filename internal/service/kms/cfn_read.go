package kms

import (
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnReadKey reads a key back for drift: its description, state, usage,
// spec, policy, rotation and tags. A key pending deletion is gone, as
// CloudFormation's Delete left it.
func (s *KMS) cfnReadKey(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	id := r.PhysicalID
	d, err := s.DescribeKey(ctx, &kmsapi.DescribeKeyInput{KeyId: &id})
	if kmsapi.ErrNotFoundException.Is(err) || (err == nil && ptr.Deref(d.KeyMetadata.KeyState) == "PendingDeletion") {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	live := kit.ShapeProps(d.KeyMetadata, "Description", "Enabled", "KeyUsage", "KeySpec", "MultiRegion", "Origin")
	name := "default"
	if p, err := s.GetKeyPolicy(ctx, &kmsapi.GetKeyPolicyInput{KeyId: &id, PolicyName: &name}); err == nil {
		live["KeyPolicy"] = ptr.Deref(p.Policy)
	}
	if rot, err := s.GetKeyRotationStatus(ctx, &kmsapi.GetKeyRotationStatusInput{KeyId: &id}); err == nil {
		live["EnableKeyRotation"] = ptr.Deref(rot.KeyRotationEnabled)
	}
	tags := map[string]string{}
	in := &kmsapi.ListResourceTagsInput{KeyId: &id}
	for {
		out, err := s.ListResourceTags(ctx, in)
		if err != nil {
			return nil, err
		}
		for _, t := range out.Tags {
			tags[ptr.Deref(t.TagKey)] = ptr.Deref(t.TagValue)
		}
		if !ptr.Deref(out.Truncated) || out.NextMarker == nil {
			break
		}
		in.Marker = out.NextMarker
	}
	live["Tags"] = kit.TagList(tags)
	return live, nil
}
