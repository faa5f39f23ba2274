package kms

import (
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// Rotation applies to symmetric encryption keys only. New material is
// appended; ciphertexts carry the material index, so everything made
// before a rotation still decrypts. Automatic rotations happen when the
// clock passes NextRotation (see due), checked on every access.

const maxOnDemandRotations = 10

func rotatable(ctx *request.Context, k *key, op string) error {
	if !specs[k.Spec].symmetric() || k.Usage != "ENCRYPT_DECRYPT" {
		return kmsapi.ErrUnsupportedOperationException.New("%s key spec is %s which is not valid for %s.", k.arn(), k.Spec, op)
	}
	if err := notReplica(k, op); err != nil {
		return err
	}
	if k.Origin == "EXTERNAL" {
		return kmsapi.ErrUnsupportedOperationException.New("%s origin is EXTERNAL which is not valid for %s.", k.arn(), op)
	}
	return customerManaged(ctx, k, op)
}

// EnableKeyRotation turns on automatic rotation every
// RotationPeriodInDays (default 365).
func (s *KMS) EnableKeyRotation(ctx *request.Context, in *kmsapi.EnableKeyRotationInput) (*kmsapi.EnableKeyRotationOutput, error) {
	period := int32(365)
	if in.RotationPeriodInDays != nil {
		period = *in.RotationPeriodInDays
	}
	return &kmsapi.EnableKeyRotationOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := usable(k); err != nil {
			return err
		}
		if err := rotatable(ctx, k, "EnableKeyRotation"); err != nil {
			return err
		}
		next := ctx.Now().Add(days(period))
		k.RotationEnabled, k.RotationPeriod, k.NextRotation = true, period, &next
		return nil
	})
}

// DisableKeyRotation turns automatic rotation off.
func (s *KMS) DisableKeyRotation(ctx *request.Context, in *kmsapi.DisableKeyRotationInput) (*kmsapi.DisableKeyRotationOutput, error) {
	return &kmsapi.DisableKeyRotationOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if err := usable(k); err != nil {
			return err
		}
		if err := rotatable(ctx, k, "DisableKeyRotation"); err != nil {
			return err
		}
		k.RotationEnabled, k.NextRotation = false, nil
		return nil
	})
}

// GetKeyRotationStatus reports automatic rotation.
func (s *KMS) GetKeyRotationStatus(ctx *request.Context, in *kmsapi.GetKeyRotationStatusInput) (*kmsapi.GetKeyRotationStatusOutput, error) {
	k, err := s.readKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if !specs[k.Spec].symmetric() || k.Usage != "ENCRYPT_DECRYPT" {
		return nil, kmsapi.ErrUnsupportedOperationException.New("%s key spec is %s which is not valid for GetKeyRotationStatus.", k.arn(), k.Spec)
	}
	out := &kmsapi.GetKeyRotationStatusOutput{KeyId: ptr.To(k.arn()), KeyRotationEnabled: ptr.To(k.RotationEnabled && k.State != statePendingDeletion)}
	if *out.KeyRotationEnabled {
		out.RotationPeriodInDays = ptr.To(k.RotationPeriod)
		out.NextRotationDate = k.NextRotation
	}
	return out, nil
}

// RotateKeyOnDemand rotates now, whether or not automatic rotation is on.
func (s *KMS) RotateKeyOnDemand(ctx *request.Context, in *kmsapi.RotateKeyOnDemandInput) (*kmsapi.RotateKeyOnDemandOutput, error) {
	var arn string
	err := s.update(ctx, in.KeyId, func(k *key) error {
		if err := usable(k); err != nil {
			return err
		}
		if err := rotatable(ctx, k, "RotateKeyOnDemand"); err != nil {
			return err
		}
		n := 0
		for _, r := range k.Rotations {
			if r.Type == "ON_DEMAND" {
				n++
			}
		}
		if n >= maxOnDemandRotations {
			return kmsapi.ErrLimitExceededException.New("The on-demand rotations limit has been reached for the given key.")
		}
		arn = k.arn()
		return k.rotate(ctx.Now(), "ON_DEMAND")
	})
	if err != nil {
		return nil, err
	}
	return &kmsapi.RotateKeyOnDemandOutput{KeyId: &arn}, nil
}

// ListKeyRotations lists completed rotations, oldest first.
func (s *KMS) ListKeyRotations(ctx *request.Context, in *kmsapi.ListKeyRotationsInput) (*kmsapi.ListKeyRotationsOutput, error) {
	k, err := s.readKey(ctx, in.KeyId)
	if err != nil {
		return nil, err
	}
	if !specs[k.Spec].symmetric() || k.Usage != "ENCRYPT_DECRYPT" {
		return nil, kmsapi.ErrUnsupportedOperationException.New("%s key spec is %s which is not valid for ListKeyRotations.", k.arn(), k.Spec)
	}
	all := make([]kmsapi.RotationsListEntry, 0, len(k.Rotations))
	for _, r := range k.Rotations {
		r := r
		all = append(all, kmsapi.RotationsListEntry{KeyId: ptr.To(k.ID), RotationDate: &r.Date, RotationType: ptr.To(r.Type)})
	}
	page, next, err := paginate(all, in.Limit, in.Marker, 100)
	if err != nil {
		return nil, err
	}
	return &kmsapi.ListKeyRotationsOutput{Rotations: page, NextMarker: next, Truncated: ptr.To(next != nil)}, nil
}
