package secretsmanager

import (
	"slices"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Replication: a replica is a read-only copy of the primary in another of
// niwa's regions, with the same name, ARN suffix, versions, staging
// labels, tags and policy, its values encrypted under a key of its own
// region. niwa replicates synchronously inside the primary's write, so
// replicas are always InSync (or Failed when a secret of that name
// already lives in the region and ForceOverwriteReplicaSecret is off).

const (
	statusInSync = "InSync"
	statusFailed = "Failed"
)

// checkReplicaRegions validates AddReplicaRegions.
func (s *SecretsManager) checkReplicaRegions(ctx *request.Context, rs []smapi.ReplicaRegionType) error {
	seen := map[string]bool{}
	for _, r := range rs {
		region := deref(r.Region)
		if region == ctx.Region || seen[region] || (len(s.opt.Regions) > 0 && !slices.Contains(s.opt.Regions, region)) {
			return invalidParam("Invalid replica region: %s", region)
		}
		seen[region] = true
	}
	return nil
}

func (sec *secret) replicationStatus() []smapi.ReplicationStatusType {
	if len(sec.Replicas) == 0 {
		return nil
	}
	out := make([]smapi.ReplicationStatusType, 0, len(sec.Replicas))
	for _, r := range sec.Replicas {
		e := smapi.ReplicationStatusType{Region: ptr.To(r.Region), Status: ptr.To(r.Status)}
		if r.KmsKeyID != "" {
			e.KmsKeyId = ptr.To(r.KmsKeyID)
		} else {
			e.KmsKeyId = ptr.To("alias/aws/secretsmanager")
		}
		if r.Message != "" {
			e.StatusMessage = ptr.To(r.Message)
		}
		out = append(out, e)
	}
	return out
}

// syncReplicas writes the primary's state to each replica region:
// metadata copied, values of new versions decrypted from the primary and
// sealed under the replica's key, values of dropped versions removed.
func (s *SecretsManager) syncReplicas(ctx *request.Context, tx storage.Tx, sec *secret, force bool) error {
	for i := range sec.Replicas {
		r := &sec.Replicas[i]
		if r.Status == statusFailed && !force {
			continue
		}
		rsc := storage.Scope{Account: sec.Account, Region: r.Region}
		old, exists, err := secrets.Get(tx, rsc, sec.Name)
		if err != nil {
			return err
		}
		ours := exists && old.Primary == sec.Region && old.Suffix == sec.Suffix
		if exists && !ours {
			if !force {
				r.Status, r.Message = statusFailed, "Replication failed: Secret name "+sec.Name+" already exists in region "+r.Region+"."
				continue
			}
			if err := purge(tx, old); err != nil {
				return err
			}
			old, ours = secret{}, false
		}
		rep := *sec
		rep.Region, rep.Primary, rep.Replicas, rep.KmsKeyID = r.Region, sec.Region, nil, r.KmsKeyID
		rep.Rotation.Next = nil
		rep.Versions = append([]version(nil), sec.Versions...)
		have := map[string]version{}
		if ours {
			for _, v := range old.Versions {
				have[v.ID] = v
			}
		}
		for j, v := range rep.Versions {
			if hv, ok := have[v.ID]; ok {
				rep.Versions[j].KeyARN = hv.KeyARN
				delete(have, v.ID)
				continue
			}
			val, ok, err := values.Get(tx, sec.scope(), sec.Name, v.ID)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			plain, err := s.open(ctx, sec, v.ID, val)
			if err != nil {
				return err
			}
			rval, keyARN, err := s.seal(ctx, &rep, rep.KmsKeyID, v.ID, plain, val.Binary)
			if err != nil {
				return err
			}
			if err := values.Put(tx, rsc, rval, sec.Name, v.ID); err != nil {
				return err
			}
			rep.Versions[j].KeyARN = keyARN
		}
		for id := range have {
			if err := values.Delete(tx, rsc, sec.Name, id); err != nil {
				return err
			}
		}
		if err := save(tx, rep); err != nil {
			return err
		}
		r.Status, r.Message = statusInSync, ""
	}
	return nil
}

// ReplicateSecretToRegions adds replica regions.
func (s *SecretsManager) ReplicateSecretToRegions(ctx *request.Context, in *smapi.ReplicateSecretToRegionsInput) (*smapi.ReplicateSecretToRegionsOutput, error) {
	if err := s.checkReplicaRegions(ctx, in.AddReplicaRegions); err != nil {
		return nil, err
	}
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		if sec.Region != ctx.Region {
			return invalidParam("Invalid replica region: %s", ctx.Region)
		}
		for _, r := range in.AddReplicaRegions {
			region := deref(r.Region)
			found := false
			for i := range sec.Replicas {
				if sec.Replicas[i].Region == region {
					found = true
					if r.KmsKeyId != nil {
						sec.Replicas[i].KmsKeyID = *r.KmsKeyId
					}
				}
			}
			if !found {
				sec.Replicas = append(sec.Replicas, replica{Region: region, KmsKeyID: deref(r.KmsKeyId)})
			}
		}
		return s.syncReplicas(ctx, tx, sec, ptr.Deref(in.ForceOverwriteReplicaSecret))
	})
	if err != nil {
		return nil, err
	}
	return &smapi.ReplicateSecretToRegionsOutput{ARN: ptr.To(sec.arn()), ReplicationStatus: sec.replicationStatus()}, nil
}

// RemoveRegionsFromReplication deletes replicas.
func (s *SecretsManager) RemoveRegionsFromReplication(ctx *request.Context, in *smapi.RemoveRegionsFromReplicationInput) (*smapi.RemoveRegionsFromReplicationOutput, error) {
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		for _, region := range in.RemoveReplicaRegions {
			i := slices.IndexFunc(sec.Replicas, func(r replica) bool { return r.Region == region })
			if i < 0 {
				return invalidParam("Invalid replica region: %s", region)
			}
			r := sec.Replicas[i]
			if r.Status != statusFailed {
				rep, ok, err := secrets.Get(tx, storage.Scope{Account: sec.Account, Region: region}, sec.Name)
				if err != nil {
					return err
				}
				if ok && rep.Primary == sec.Region && rep.Suffix == sec.Suffix {
					if err := purge(tx, rep); err != nil {
						return err
					}
				}
			}
			sec.Replicas = slices.Delete(sec.Replicas, i, i+1)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	st := sec.replicationStatus()
	if st == nil {
		st = []smapi.ReplicationStatusType{}
	}
	return &smapi.RemoveRegionsFromReplicationOutput{ARN: ptr.To(sec.arn()), ReplicationStatus: st}, nil
}

// StopReplicationToReplica, called in the replica's region, makes the
// replica a standalone secret.
func (s *SecretsManager) StopReplicationToReplica(ctx *request.Context, in *smapi.StopReplicationToReplicaInput) (*smapi.StopReplicationToReplicaOutput, error) {
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary == "" {
			return invalidRequest("StopReplicationToReplica can only be called on a replica secret, in the replica's Region.")
		}
		psc := storage.Scope{Account: sec.Account, Region: sec.Primary}
		prim, ok, err := secrets.Get(tx, psc, sec.Name)
		if err != nil {
			return err
		}
		if ok && prim.Suffix == sec.Suffix {
			prim.Replicas = slices.DeleteFunc(prim.Replicas, func(r replica) bool { return r.Region == sec.Region })
			if err := save(tx, prim); err != nil {
				return err
			}
		}
		sec.Primary = ""
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &smapi.StopReplicationToReplicaOutput{ARN: ptr.To(sec.arn())}, nil
}
