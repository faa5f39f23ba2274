package kms

import (
	"strconv"
	"strings"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are KMS's CloudFormation resource types.
func (s *KMS) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the key id; Fn::GetAtt Arn, KeyId.
		"AWS::KMS::Key": {Read: s.cfnReadKey, Create: s.cfnCreateKey, Update: s.cfnUpdateKey, Delete: s.cfnDeleteKey,
			Replace: []string{"KeySpec", "KeyUsage", "MultiRegion", "Origin"}, Tags: true},
		// Ref is the alias name.
		"AWS::KMS::Alias": {Create: s.cfnCreateAlias, Update: s.cfnUpdateAlias, Delete: s.cfnDeleteAlias,
			Replace: []string{"AliasName"}},
		// Ref is the key id; Fn::GetAtt Arn, KeyId. Made in the stack's
		// region from the multi-Region primary PrimaryKeyArn names.
		"AWS::KMS::ReplicaKey": {Create: s.cfnCreateReplicaKey, Update: s.cfnUpdateKey, Delete: s.cfnDeleteKey,
			Replace: []string{"PrimaryKeyArn"}, Tags: true},
	}
}

// cfnCreateReplicaKey replicates the primary into the stack's region:
// ReplicateKey called in the primary's region, as AWS's handler does.
func (s *KMS) cfnCreateReplicaKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	primary := r.Str("PrimaryKeyArn")
	parts := strings.Split(primary, ":")
	if len(parts) < 6 || parts[0] != "arn" || parts[2] != "kms" || !strings.HasPrefix(parts[5], "key/") {
		return kit.ResourceResult{}, kmsapi.ErrNotFoundException.New("Invalid arn %s", primary)
	}
	at := *ctx
	at.Region = parts[3]
	region := ctx.Region
	in := &kmsapi.ReplicateKeyInput{KeyId: &primary, ReplicaRegion: &region}
	if p := kit.PropJSON(r.Properties, "KeyPolicy"); p != "" {
		in.Policy = &p
	}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, kmsapi.Tag{TagKey: &key, TagValue: &val})
	}
	out, err := s.ReplicateKey(&at, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.ReplicaKeyMetadata.KeyId
	if err := s.cfnKeySettings(ctx, id, r.Properties, nil); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Arn": *out.ReplicaKeyMetadata.Arn, "KeyId": id}}, nil
}

func (s *KMS) cfnCreateKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &kmsapi.CreateKeyInput{}
	if p := kit.PropJSON(r.Properties, "KeyPolicy"); p != "" {
		in.Policy = &p
	}
	for _, f := range []struct {
		name string
		out  **string
	}{{"Description", &in.Description}, {"KeyUsage", &in.KeyUsage}, {"KeySpec", &in.KeySpec}, {"Origin", &in.Origin}} {
		if v := r.Str(f.name); v != "" {
			*f.out = &v
		}
	}
	if kit.Has(r.Properties, "MultiRegion") {
		v := kit.PropBool(r.Properties, "MultiRegion")
		in.MultiRegion = &v
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, kmsapi.Tag{TagKey: &key, TagValue: &val})
	}
	out, err := s.CreateKey(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	id := *out.KeyMetadata.KeyId
	if err := s.cfnKeySettings(ctx, id, r.Properties, nil); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: map[string]any{"Arn": *out.KeyMetadata.Arn, "KeyId": id}}, nil
}

func (s *KMS) cfnKeySettings(ctx *request.Context, id string, props, old map[string]any) error {
	if kit.PropBool(props, "EnableKeyRotation") && !kit.PropBool(old, "EnableKeyRotation") {
		if _, err := s.EnableKeyRotation(ctx, &kmsapi.EnableKeyRotationInput{KeyId: &id}); err != nil {
			return err
		}
	}
	if kit.Has(props, "Enabled") && !kit.PropBool(props, "Enabled") {
		if _, err := s.DisableKey(ctx, &kmsapi.DisableKeyInput{KeyId: &id}); err != nil {
			return err
		}
	} else if old != nil && kit.Has(old, "Enabled") && !kit.PropBool(old, "Enabled") {
		if _, err := s.EnableKey(ctx, &kmsapi.EnableKeyInput{KeyId: &id}); err != nil {
			return err
		}
	}
	return nil
}

func (s *KMS) cfnUpdateKey(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := r.PhysicalID
	if p, o := kit.PropJSON(r.Properties, "KeyPolicy"), kit.PropJSON(r.OldProperties, "KeyPolicy"); p != o && p != "" {
		name := "default"
		if _, err := s.PutKeyPolicy(ctx, &kmsapi.PutKeyPolicyInput{KeyId: &id, PolicyName: &name, Policy: &p}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if d := r.Str("Description"); d != kit.PropStr(r.OldProperties, "Description") {
		if _, err := s.UpdateKeyDescription(ctx, &kmsapi.UpdateKeyDescriptionInput{KeyId: &id, Description: &d}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	if err := s.cfnKeySettings(ctx, id, r.Properties, r.OldProperties); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: id, Attributes: r.Attributes}, nil
}

// cfnDeleteKey schedules the key's deletion, PendingWindowInDays (7 to
// 30, default 30) ahead, as CloudFormation does.
func (s *KMS) cfnDeleteKey(ctx *request.Context, r kit.ResourceRequest) error {
	days := int32(30)
	if n, err := strconv.Atoi(r.Str("PendingWindowInDays")); err == nil {
		days = int32(n)
	}
	_, err := s.ScheduleKeyDeletion(ctx, &kmsapi.ScheduleKeyDeletionInput{KeyId: &r.PhysicalID, PendingWindowInDays: &days})
	if kmsapi.ErrNotFoundException.Is(err) || kmsapi.ErrKMSInvalidStateException.Is(err) {
		return nil
	}
	return err
}

func (s *KMS) cfnCreateAlias(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name, target := r.Str("AliasName"), r.Str("TargetKeyId")
	if _, err := s.CreateAlias(ctx, &kmsapi.CreateAliasInput{AliasName: &name, TargetKeyId: &target}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: name}, nil
}

func (s *KMS) cfnUpdateAlias(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	target := r.Str("TargetKeyId")
	if _, err := s.UpdateAlias(ctx, &kmsapi.UpdateAliasInput{AliasName: &r.PhysicalID, TargetKeyId: &target}); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID}, nil
}

func (s *KMS) cfnDeleteAlias(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteAlias(ctx, &kmsapi.DeleteAliasInput{AliasName: &r.PhysicalID})
	if kmsapi.ErrNotFoundException.Is(err) {
		return nil
	}
	return err
}
