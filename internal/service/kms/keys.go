package kms

import (
	"strings"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// defaultPolicy is the key policy KMS writes when CreateKey names none:
// it gives the account (through IAM policies) full access to the key.
// The layout is AWS's, byte for byte, since tools diff it.
func defaultPolicy(account string) string {
	return `{
  "Version" : "2012-10-17",
  "Id" : "key-default-1",
  "Statement" : [ {
    "Sid" : "Enable IAM User Permissions",
    "Effect" : "Allow",
    "Principal" : {
      "AWS" : "arn:aws:iam::` + account + `:root"
    },
    "Action" : "kms:*",
    "Resource" : "*"
  } ]
}`
}

func checkPolicy(doc string) error {
	if _, err := iam.Parse(doc); err != nil {
		return kmsapi.ErrMalformedPolicyDocumentException.New("The new key policy will not allow you to update the key policy in the future.")
	}
	return nil
}

func (k *key) metadata() *kmsapi.KeyMetadata {
	si := specs[k.Spec]
	m := &kmsapi.KeyMetadata{
		AWSAccountId:          ptr.To(k.Account),
		KeyId:                 ptr.To(k.ID),
		Arn:                   ptr.To(k.arn()),
		CreationDate:          ptr.To(k.Created),
		Enabled:               ptr.To(k.State == stateEnabled),
		Description:           ptr.To(k.Description),
		KeyUsage:              ptr.To(k.Usage),
		KeyState:              ptr.To(k.State),
		Origin:                ptr.To(k.Origin),
		KeyManager:            ptr.To(k.Manager),
		CustomerMasterKeySpec: ptr.To(k.Spec),
		KeySpec:               ptr.To(k.Spec),
		MultiRegion:           ptr.To(k.MultiRegion),
	}
	if k.State == statePendingDeletion {
		m.DeletionDate = k.DeletionDate
		m.PendingDeletionWindowInDays = ptr.To(k.Window)
	}
	if k.Origin == "EXTERNAL" && k.ExpirationModel != "" {
		m.ExpirationModel = ptr.To(k.ExpirationModel)
		m.ValidTo = k.ValidTo
	}
	switch k.Usage {
	case "ENCRYPT_DECRYPT":
		m.EncryptionAlgorithms = append([]string{}, si.encryption...)
	case "SIGN_VERIFY":
		m.SigningAlgorithms = append([]string{}, si.signing...)
	case "GENERATE_VERIFY_MAC":
		m.MacAlgorithms = []string{si.mac}
	case "KEY_AGREEMENT":
		m.KeyAgreementAlgorithms = []string{"ECDH"}
	}
	if k.MultiRegion {
		m.MultiRegionConfiguration = k.multiRegionConfig()
	}
	return m
}

// CreateKey makes a key with fresh material.
func (s *KMS) CreateKey(ctx *request.Context, in *kmsapi.CreateKeyInput) (*kmsapi.CreateKeyOutput, error) {
	spec := "SYMMETRIC_DEFAULT"
	if in.KeySpec != nil && in.CustomerMasterKeySpec != nil {
		return nil, validation("You cannot specify KeySpec and CustomerMasterKeySpec in the same request. CustomerMasterKeySpec is deprecated.")
	}
	if in.KeySpec != nil {
		spec = *in.KeySpec
	} else if in.CustomerMasterKeySpec != nil {
		spec = *in.CustomerMasterKeySpec
	}
	si, ok := specs[spec]
	if !ok {
		return nil, kmsapi.ErrUnsupportedOperationException.New("KeySpec %s is not supported in this region.", spec)
	}
	usage := "ENCRYPT_DECRYPT"
	if in.KeyUsage != nil {
		usage = *in.KeyUsage
	}
	allowed := false
	for _, u := range si.usages {
		allowed = allowed || u == usage
	}
	if !allowed {
		return nil, validation("KeyUsage %s is not compatible with KeySpec %s", usage, spec)
	}
	origin := "AWS_KMS"
	if in.Origin != nil {
		origin = *in.Origin
	}
	if origin != "AWS_KMS" && origin != "EXTERNAL" {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Origin %s is not supported by niwa: custom key stores are not implemented.", origin)
	}
	if in.CustomKeyStoreId != nil || in.XksKeyId != nil {
		return nil, kmsapi.ErrUnsupportedOperationException.New("Custom key stores are not supported by niwa.")
	}
	policy := defaultPolicy(ctx.Account)
	if in.Policy != nil {
		if err := checkPolicy(*in.Policy); err != nil {
			return nil, err
		}
		policy = *in.Policy
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	k := key{
		ID: newKeyID(in.MultiRegion != nil && *in.MultiRegion), Account: ctx.Account, Region: ctx.Region,
		Usage: usage, Spec: spec, Origin: origin, Manager: "CUSTOMER", State: stateEnabled,
		Created: now, Policy: policy, Tags: tags,
		MultiRegion: in.MultiRegion != nil && *in.MultiRegion,
	}
	if origin == "EXTERNAL" {
		// Imported later (GetParametersForImport, ImportKeyMaterial).
		k.State = statePendingImport
	} else {
		var m material
		gen := func() error {
			var err error
			m, err = newMaterial(spec, now)
			return err
		}
		if si.rsaBits > 0 {
			err = s.rsaBound(ctx, gen)
		} else {
			err = gen()
		}
		if err != nil {
			return nil, err
		}
		k.Materials = []material{m}
		if spec == "SYMMETRIC_DEFAULT" {
			k.Seed = randomBytes(32)
		}
	}
	if in.Description != nil {
		k.Description = *in.Description
	}
	if err := s.store.Update(func(tx storage.Tx) error { return keys.Put(tx, k.scope(), k, k.ID) }); err != nil {
		return nil, err
	}
	return &kmsapi.CreateKeyOutput{KeyMetadata: k.metadata()}, nil
}

// DescribeKey describes a key. A predefined AWS alias (alias/aws/s3, ...)
// that has no key yet gets its AWS managed key, as on AWS.
func (s *KMS) DescribeKey(ctx *request.Context, in *kmsapi.DescribeKeyInput) (*kmsapi.DescribeKeyOutput, error) {
	if in.KeyId != nil {
		if svc, ok := managedAliasService(*in.KeyId); ok {
			if _, err := s.ManagedKey(ctx, ctx.Account, ctx.Region, svc); err != nil {
				return nil, err
			}
		}
	}
	k, err := s.read(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	return &kmsapi.DescribeKeyOutput{KeyMetadata: k.metadata()}, nil
}

// ListKeys lists the keys of the account and region, by key id.
func (s *KMS) ListKeys(ctx *request.Context, in *kmsapi.ListKeysInput) (*kmsapi.ListKeysOutput, error) {
	limit := 100
	if in.Limit != nil {
		limit = int(*in.Limit)
	}
	sc := scopeOf(ctx)
	opts := storage.ListOptions{}
	if in.Marker != nil {
		if !validKeyID(*in.Marker) {
			return nil, kmsapi.ErrInvalidMarkerException.New("Could not deserialize marker '%s'", *in.Marker)
		}
		opts.After = []string{*in.Marker}
	}
	now := ctx.Now()
	out := &kmsapi.ListKeysOutput{Keys: []kmsapi.KeyListEntry{}, Truncated: ptr.To(false)}
	err := s.store.View(func(tx storage.Tx) error {
		return keys.List(tx, sc, nil, opts, func(_ []string, k key) bool {
			if deleted, _ := due(&k, now); deleted {
				return true
			}
			if len(out.Keys) == limit {
				out.Truncated = ptr.To(true)
				out.NextMarker = out.Keys[limit-1].KeyId
				return false
			}
			out.Keys = append(out.Keys, kmsapi.KeyListEntry{KeyId: ptr.To(k.ID), KeyArn: ptr.To(k.arn())})
			return true
		})
	})
	return out, err
}

// EnableKey sets a disabled key to Enabled.
func (s *KMS) EnableKey(ctx *request.Context, in *kmsapi.EnableKeyInput) (*kmsapi.EnableKeyOutput, error) {
	return &kmsapi.EnableKeyOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "EnableKey"); err != nil {
			return err
		}
		if k.State == statePendingImport {
			return errState(k)
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		k.State = stateEnabled
		return nil
	})
}

// DisableKey sets a key to Disabled: it refuses cryptographic operations.
func (s *KMS) DisableKey(ctx *request.Context, in *kmsapi.DisableKeyInput) (*kmsapi.DisableKeyOutput, error) {
	return &kmsapi.DisableKeyOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "DisableKey"); err != nil {
			return err
		}
		if k.State == statePendingImport {
			return errState(k)
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		k.State = stateDisabled
		return nil
	})
}

// ScheduleKeyDeletion sets the key to PendingDeletion; it is deleted
// when the clock passes DeletionDate (checked on every access, so the
// deletion happens on time whatever the clock does, and survives
// restarts).
func (s *KMS) ScheduleKeyDeletion(ctx *request.Context, in *kmsapi.ScheduleKeyDeletionInput) (*kmsapi.ScheduleKeyDeletionOutput, error) {
	window := int32(30)
	if in.PendingWindowInDays != nil {
		window = *in.PendingWindowInDays
	}
	if window < 7 {
		return nil, validation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value greater than or equal to 7", window)
	}
	if window > 30 {
		return nil, validation("1 validation error detected: Value '%d' at 'pendingWindowInDays' failed to satisfy constraint: Member must have value less than or equal to 30", window)
	}
	var out *kmsapi.ScheduleKeyDeletionOutput
	err := s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "ScheduleKeyDeletion"); err != nil {
			return err
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		if k.MultiRegion && k.Primary == "" && len(k.Replicas) > 0 {
			return kmsapi.ErrKMSInvalidStateException.New("%s is a multi-Region primary key with replica keys in %s: delete the replicas first.", k.arn(), strings.Join(k.Replicas, ", "))
		}
		when := ctx.Now().Add(days(window))
		k.State, k.DeletionDate, k.Window = statePendingDeletion, &when, window
		out = &kmsapi.ScheduleKeyDeletionOutput{KeyId: ptr.To(k.arn()), DeletionDate: &when, KeyState: ptr.To(k.State), PendingWindowInDays: ptr.To(window)}
		return nil
	})
	return out, err
}

// CancelKeyDeletion takes a key out of PendingDeletion; it is Disabled
// afterwards, as on AWS.
func (s *KMS) CancelKeyDeletion(ctx *request.Context, in *kmsapi.CancelKeyDeletionInput) (*kmsapi.CancelKeyDeletionOutput, error) {
	var arn string
	err := s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "CancelKeyDeletion"); err != nil {
			return err
		}
		if k.State != statePendingDeletion {
			return kmsapi.ErrKMSInvalidStateException.New("%s is not pending deletion.", k.arn())
		}
		k.State, k.DeletionDate, k.Window = stateDisabled, nil, 0
		if !k.hasMaterial() {
			k.State = statePendingImport
		}
		arn = k.arn()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.CancelKeyDeletionOutput{KeyId: &arn}, nil
}

// UpdateKeyDescription replaces the description.
func (s *KMS) UpdateKeyDescription(ctx *request.Context, in *kmsapi.UpdateKeyDescriptionInput) (*kmsapi.UpdateKeyDescriptionOutput, error) {
	return &kmsapi.UpdateKeyDescriptionOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "UpdateKeyDescription"); err != nil {
			return err
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		k.Description = *in.Description
		return nil
	})
}

// Tags.

const maxTags = 50

func mergeTags(cur []tag, add []kmsapi.Tag) ([]tag, error) {
	for _, t := range add {
		if t.TagKey == nil || t.TagValue == nil {
			return nil, validation("Tag keys and values are required")
		}
		if strings.HasPrefix(*t.TagKey, "aws:") {
			return nil, kmsapi.ErrTagException.New("Tags beginning with aws: are reserved")
		}
		set := false
		for i := range cur {
			if cur[i].Key == *t.TagKey {
				cur[i].Value, set = *t.TagValue, true
			}
		}
		if !set {
			cur = append(cur, tag{Key: *t.TagKey, Value: *t.TagValue})
		}
	}
	if len(cur) > maxTags {
		return nil, kmsapi.ErrLimitExceededException.New("The request was rejected because the limit of %d tags per KMS key was exceeded.", maxTags)
	}
	return cur, nil
}

// TagResource adds or replaces tags.
func (s *KMS) TagResource(ctx *request.Context, in *kmsapi.TagResourceInput) (*kmsapi.TagResourceOutput, error) {
	return &kmsapi.TagResourceOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "TagResource"); err != nil {
			return err
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		t, err := mergeTags(k.Tags, in.Tags)
		k.Tags = t
		return err
	})
}

// UntagResource removes tags; keys that are not set are ignored.
func (s *KMS) UntagResource(ctx *request.Context, in *kmsapi.UntagResourceInput) (*kmsapi.UntagResourceOutput, error) {
	return &kmsapi.UntagResourceOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "UntagResource"); err != nil {
			return err
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		drop := map[string]bool{}
		for _, t := range in.TagKeys {
			drop[t] = true
		}
		kept := k.Tags[:0]
		for _, t := range k.Tags {
			if !drop[t.Key] {
				kept = append(kept, t)
			}
		}
		k.Tags = kept
		return nil
	})
}

// ListResourceTags lists tags in the order they were set.
func (s *KMS) ListResourceTags(ctx *request.Context, in *kmsapi.ListResourceTagsInput) (*kmsapi.ListResourceTagsOutput, error) {
	k, err := s.readKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	all := make([]kmsapi.Tag, 0, len(k.Tags))
	for _, t := range k.Tags {
		all = append(all, kmsapi.Tag{TagKey: ptr.To(t.Key), TagValue: ptr.To(t.Value)})
	}
	page, next, err := paginate(all, in.Limit, in.Marker, 50)
	if err != nil {
		return nil, err
	}
	return &kmsapi.ListResourceTagsOutput{Tags: page, NextMarker: next, Truncated: ptr.To(next != nil)}, nil
}

// paginate pages a list computed whole (tags, policies): the marker is
// the index of the next item.
func paginate[T any](all []T, limit *int32, marker *string, def int) ([]T, *string, error) {
	n := def
	if limit != nil {
		n = int(*limit)
	}
	start := 0
	if marker != nil {
		i, ok := parseIndexMarker(*marker)
		if !ok || i > len(all) {
			return nil, nil, kmsapi.ErrInvalidMarkerException.New("Could not deserialize marker '%s'", *marker)
		}
		start = i
	}
	end := start + n
	if end >= len(all) {
		return all[start:], nil, nil
	}
	m := formatIndexMarker(end)
	return all[start:end], &m, nil
}

func parseIndexMarker(s string) (int, bool) {
	if !strings.HasPrefix(s, "i") || len(s) < 2 || len(s) > 8 {
		return 0, false
	}
	n := 0
	for _, c := range s[1:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func formatIndexMarker(i int) string {
	b := []byte{'i'}
	if i == 0 {
		return "i0"
	}
	var d []byte
	for ; i > 0; i /= 10 {
		d = append([]byte{byte('0' + i%10)}, d...)
	}
	return string(append(b, d...))
}

// Key policies. A key has exactly one, named "default".

func checkPolicyName(name *string) error {
	if name != nil && *name != "default" {
		return kmsapi.ErrNotFoundException.New("No such policy exists")
	}
	return nil
}

// GetKeyPolicy returns the key policy.
func (s *KMS) GetKeyPolicy(ctx *request.Context, in *kmsapi.GetKeyPolicyInput) (*kmsapi.GetKeyPolicyOutput, error) {
	k, err := s.readKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	return &kmsapi.GetKeyPolicyOutput{Policy: ptr.To(k.Policy), PolicyName: ptr.To("default")}, nil
}

// PutKeyPolicy replaces the key policy.
func (s *KMS) PutKeyPolicy(ctx *request.Context, in *kmsapi.PutKeyPolicyInput) (*kmsapi.PutKeyPolicyOutput, error) {
	if err := checkPolicyName(in.PolicyName); err != nil {
		return nil, err
	}
	if err := checkPolicy(*in.Policy); err != nil {
		return nil, err
	}
	return &kmsapi.PutKeyPolicyOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := customerManaged(ctx, k, "PutKeyPolicy"); err != nil {
			return err
		}
		k.Policy = *in.Policy
		return nil
	})
}

// ListKeyPolicies names the key's policies: always "default".
func (s *KMS) ListKeyPolicies(ctx *request.Context, in *kmsapi.ListKeyPoliciesInput) (*kmsapi.ListKeyPoliciesOutput, error) {
	if _, err := s.readKey(ctx, in.KeyId); err != nil {
		return nil, err
	}
	page, next, err := paginate([]string{"default"}, in.Limit, in.Marker, 100)
	if err != nil {
		return nil, err
	}
	return &kmsapi.ListKeyPoliciesOutput{PolicyNames: page, NextMarker: next, Truncated: ptr.To(next != nil)}, nil
}
