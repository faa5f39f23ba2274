package kms

import (
	"slices"

	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Multi-Region keys: a primary (id mrk-...) and replicas with the same id
// and key material in other regions of the account, so a ciphertext made
// in one region decrypts in another. Each key of the set is its own record
// (state, policy, tags, aliases and grants are per key, as on AWS); the
// shared properties — key material, rotation — are managed on the primary
// and copied to the replicas (syncReplicas). Rotated material comes from
// the shared Seed, so lazy rotations agree in every region.

// regionsOf is every region of k's set, primary first.
func (k *key) regionsOf() []string {
	primary := k.Region
	if k.Primary != "" {
		primary = k.Primary
	}
	return append([]string{primary}, k.Replicas...)
}

func (k *key) multiRegionConfig() *kmsapi.MultiRegionConfiguration {
	sc := k.scope()
	c := &kmsapi.MultiRegionConfiguration{MultiRegionKeyType: ptr.To("PRIMARY"), ReplicaKeys: []kmsapi.MultiRegionKey{}}
	primary := k.Region
	if k.Primary != "" {
		c.MultiRegionKeyType, primary = ptr.To("REPLICA"), k.Primary
	}
	c.PrimaryKey = &kmsapi.MultiRegionKey{Arn: ptr.To(keyARN(storage.Scope{Account: sc.Account, Region: primary}, k.ID)), Region: ptr.To(primary)}
	for _, r := range k.Replicas {
		c.ReplicaKeys = append(c.ReplicaKeys, kmsapi.MultiRegionKey{Arn: ptr.To(keyARN(storage.Scope{Account: sc.Account, Region: r}, k.ID)), Region: ptr.To(r)})
	}
	return c
}

// syncReplicas copies the shared properties of primary k to its replicas
// and the set's membership to every key of it.
func syncReplicas(tx storage.Tx, k *key) error {
	if !k.MultiRegion {
		return nil
	}
	for _, region := range k.regionsOf() {
		if region == k.Region {
			continue
		}
		sc := storage.Scope{Account: k.Account, Region: region}
		o, found, err := keys.Get(tx, sc, k.ID)
		if err != nil {
			return err
		}
		if !found {
			continue
		}
		o.Replicas, o.Primary = k.Replicas, k.regionsOf()[0]
		if o.Region == o.Primary {
			o.Primary = ""
		}
		if k.Primary == "" && k.Origin != "EXTERNAL" {
			// k is the primary: its shared properties win. (Imported
			// material is imported into each key of the set, as on AWS.)
			o.Materials, o.Seed, o.Rotations = k.Materials, k.Seed, k.Rotations
			o.RotationEnabled, o.RotationPeriod, o.NextRotation = k.RotationEnabled, k.RotationPeriod, k.NextRotation
			o.Fingerprint, o.ValidTo, o.ExpirationModel = k.Fingerprint, k.ValidTo, k.ExpirationModel
		}
		if err := keys.Put(tx, sc, o, o.ID); err != nil {
			return err
		}
	}
	return nil
}

// notReplica refuses on a replica what only the primary of a multi-Region
// key may do.
func notReplica(k *key, op string) error {
	if k.Primary != "" {
		return kmsapi.ErrUnsupportedOperationException.New("%s is a multi-Region replica key: %s is only valid for the primary key.", k.arn(), op)
	}
	return nil
}

// ReplicateKey makes a replica of a multi-Region primary key in another
// region.
func (s *KMS) ReplicateKey(ctx *request.Context, in *kmsapi.ReplicateKeyInput) (*kmsapi.ReplicateKeyOutput, error) {
	region := *in.ReplicaRegion
	if in.Policy != nil {
		if err := checkPolicy(*in.Policy); err != nil {
			return nil, err
		}
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	var replica key
	err = s.update(ctx, in.KeyId, func(k *key) error {
		if !k.MultiRegion {
			return kmsapi.ErrUnsupportedOperationException.New("%s is not a multi-Region key.", k.arn())
		}
		if err := notReplica(k, "ReplicateKey"); err != nil {
			return err
		}
		if err := notPendingDeletion(k); err != nil {
			return err
		}
		if region == k.Region || slices.Contains(k.Replicas, region) {
			return kmsapi.ErrAlreadyExistsException.New("%s already has a replica key in %s.", k.arn(), region)
		}
		now := ctx.Now()
		replica = *k
		replica.Region, replica.Primary, replica.Created = region, k.Region, now
		replica.State = stateEnabled
		if k.Origin == "EXTERNAL" {
			// The same material must be imported into the replica too.
			replica.Materials, replica.ValidTo, replica.ExpirationModel = nil, nil, ""
			replica.State = statePendingImport
		}
		replica.DeletionDate, replica.Window = nil, 0
		replica.Policy, replica.Tags = defaultPolicy(ctx.Account), tags
		if in.Policy != nil {
			replica.Policy = *in.Policy
		}
		if in.Description != nil {
			replica.Description = *in.Description
		}
		k.Replicas = append(append([]string{}, k.Replicas...), region)
		replica.Replicas = k.Replicas
		return nil
	}, func(tx storage.Tx, k *key) error {
		if err := keys.Put(tx, replica.scope(), replica, replica.ID); err != nil {
			return err
		}
		return syncReplicas(tx, k)
	})
	if err != nil {
		return nil, err
	}
	out := &kmsapi.ReplicateKeyOutput{ReplicaKeyMetadata: replica.metadata(), ReplicaPolicy: ptr.To(replica.Policy), ReplicaTags: []kmsapi.Tag{}}
	for _, t := range replica.Tags {
		out.ReplicaTags = append(out.ReplicaTags, kmsapi.Tag{TagKey: ptr.To(t.Key), TagValue: ptr.To(t.Value)})
	}
	return out, nil
}

// UpdatePrimaryRegion makes the replica in PrimaryRegion the primary; the
// old primary becomes a replica.
func (s *KMS) UpdatePrimaryRegion(ctx *request.Context, in *kmsapi.UpdatePrimaryRegionInput) (*kmsapi.UpdatePrimaryRegionOutput, error) {
	region := *in.PrimaryRegion
	return &kmsapi.UpdatePrimaryRegionOutput{}, s.update(ctx, in.KeyId, func(k *key) error {
		if !k.MultiRegion {
			return kmsapi.ErrUnsupportedOperationException.New("%s is not a multi-Region key.", k.arn())
		}
		if err := notReplica(k, "UpdatePrimaryRegion"); err != nil {
			return err
		}
		if region == k.Region {
			return nil
		}
		if !slices.Contains(k.Replicas, region) {
			return kmsapi.ErrNotFoundException.New("%s has no replica key in %s.", k.arn(), region)
		}
		replicas := []string{k.Region}
		for _, r := range k.Replicas {
			if r != region {
				replicas = append(replicas, r)
			}
		}
		k.Replicas, k.Primary = replicas, region
		return nil
	}, func(tx storage.Tx, k *key) error {
		// k (now a replica) tells every key of the set, the new primary
		// included, who is primary.
		return syncReplicas(tx, k)
	})
}
