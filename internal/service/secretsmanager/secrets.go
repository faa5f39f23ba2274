package secretsmanager

import (
	"encoding/base64"
	"encoding/json"
	"sort"
	"strings"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// CreateSecret creates a secret, with a first version (AWSCURRENT) when
// a value is given.
func (s *SecretsManager) CreateSecret(ctx *request.Context, in *smapi.CreateSecretInput) (*smapi.CreateSecretOutput, error) {
	name := deref(in.Name)
	if !validName(name) {
		return nil, errInvalidName()
	}
	if err := checkValue(in.SecretString, in.SecretBinary, false); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	tags, err := mergeTags(nil, in.Tags)
	if err != nil {
		return nil, err
	}
	if err := s.checkReplicaRegions(ctx, in.AddReplicaRegions); err != nil {
		return nil, err
	}
	sc := scopeOf(ctx)
	now := ctx.Now()
	token := deref(in.ClientRequestToken)
	if token == "" {
		token = awsid.UUID()
	}
	var sec secret
	err = s.opt.Store.Update(func(tx storage.Tx) error {
		old, ok, err := s.find(tx, ctx, name, true)
		if err != nil {
			return err
		}
		if ok {
			if old.Deleted != nil {
				return invalidRequest("You can't create this secret because a secret with this name is already scheduled for deletion.")
			}
			// A retry of the same request (same token, same value) is
			// answered as the first one was.
			if i := old.versionIndex(token); i >= 0 && in.ClientRequestToken != nil {
				if same, err := s.sameValue(ctx, tx, &old, i, in.SecretString, in.SecretBinary); err != nil || same {
					sec = old
					return err
				}
			}
			return smapi.ErrResourceExistsException.New("The operation failed because the secret %s already exists.", name)
		}
		sec = secret{
			Name: name, Suffix: newSuffix(), Account: sc.Account, Region: sc.Region,
			Description: in.Description, KmsKeyID: deref(in.KmsKeyId),
			Created: now, Changed: now, Tags: tags,
		}
		if in.SecretString != nil || in.SecretBinary != nil {
			if err := s.addVersion(ctx, tx, &sec, token, in.SecretString, in.SecretBinary, []string{stageCurrent}); err != nil {
				return err
			}
		}
		for _, r := range in.AddReplicaRegions {
			sec.Replicas = append(sec.Replicas, replica{Region: deref(r.Region), KmsKeyID: deref(r.KmsKeyId)})
		}
		if err := s.syncReplicas(ctx, tx, &sec, ptr.Deref(in.ForceOverwriteReplicaSecret)); err != nil {
			return err
		}
		return save(tx, sec)
	})
	if err != nil {
		return nil, err
	}
	out := &smapi.CreateSecretOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name), ReplicationStatus: sec.replicationStatus()}
	if len(sec.Versions) > 0 {
		out.VersionId = ptr.To(token)
	}
	return out, nil
}

// checkValue enforces one of SecretString and SecretBinary (required
// says whether one must be given).
func checkValue(str *string, bin []byte, required bool) error {
	if str != nil && bin != nil {
		return invalidParam("You can't specify both a binary secret value and a string secret value in the same secret.")
	}
	if required && str == nil && bin == nil {
		return invalidRequest("You must provide either SecretString or SecretBinary.")
	}
	return nil
}

// checkToken enforces ClientRequestToken's length (32 to 64 characters).
func checkToken(t *string) error {
	if t != nil && (len(*t) < 32 || len(*t) > 64) {
		return invalidParam("ClientRequestToken must be 32-64 characters long.")
	}
	return nil
}

// DescribeSecret returns a secret's metadata (never its value).
func (s *SecretsManager) DescribeSecret(ctx *request.Context, in *smapi.DescribeSecretInput) (*smapi.DescribeSecretOutput, error) {
	sec, err := s.read(ctx, in.SecretId)
	if err != nil {
		return nil, err
	}
	e := sec.listEntry()
	return &smapi.DescribeSecretOutput{
		ARN: e.ARN, Name: e.Name, Description: e.Description, KmsKeyId: e.KmsKeyId,
		RotationEnabled: e.RotationEnabled, RotationLambdaARN: e.RotationLambdaARN, RotationRules: e.RotationRules,
		LastRotatedDate: e.LastRotatedDate, LastChangedDate: e.LastChangedDate, LastAccessedDate: e.LastAccessedDate,
		DeletedDate: e.DeletedDate, NextRotationDate: e.NextRotationDate, Tags: e.Tags,
		VersionIdsToStages: e.SecretVersionsToStages, OwningService: e.OwningService, CreatedDate: e.CreatedDate,
		PrimaryRegion: e.PrimaryRegion, ReplicationStatus: sec.replicationStatus(),
	}, nil
}

// listEntry is the secret as ListSecrets shows it.
func (sec *secret) listEntry() smapi.SecretListEntry {
	created, changed := sec.Created, sec.Changed
	e := smapi.SecretListEntry{
		ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name), Description: sec.Description,
		LastChangedDate: &changed, CreatedDate: &created, LastAccessedDate: sec.Accessed,
		DeletedDate: sec.Deleted, SecretVersionsToStages: map[string][]string{},
	}
	if sec.KmsKeyID != "" {
		e.KmsKeyId = ptr.To(sec.KmsKeyID)
	}
	if sec.Rotation.LambdaARN != "" || sec.Rotation.Enabled {
		e.RotationEnabled = ptr.To(sec.Rotation.Enabled)
	}
	if sec.Rotation.LambdaARN != "" {
		e.RotationLambdaARN = ptr.To(sec.Rotation.LambdaARN)
	}
	e.RotationRules = sec.Rotation.rulesShape()
	e.LastRotatedDate = sec.Rotation.LastRotated
	if sec.Rotation.Enabled {
		e.NextRotationDate = sec.Rotation.Next
	}
	e.Tags = make([]smapi.Tag, 0, len(sec.Tags))
	for _, t := range sec.Tags {
		e.Tags = append(e.Tags, smapi.Tag{Key: ptr.To(t.Key), Value: ptr.To(t.Value)})
	}
	for _, v := range sec.Versions {
		if len(v.Stages) > 0 {
			e.SecretVersionsToStages[v.ID] = append([]string{}, v.Stages...)
		}
	}
	if sec.Owner != "" {
		e.OwningService = ptr.To(sec.Owner)
	}
	if sec.Primary != "" {
		e.PrimaryRegion = ptr.To(sec.Primary)
	} else if len(sec.Replicas) > 0 {
		e.PrimaryRegion = ptr.To(sec.Region)
	}
	return e
}

// UpdateSecret changes the description or key, and with a value makes
// a new AWSCURRENT version.
func (s *SecretsManager) UpdateSecret(ctx *request.Context, in *smapi.UpdateSecretInput) (*smapi.UpdateSecretOutput, error) {
	if err := checkValue(in.SecretString, in.SecretBinary, false); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	token := deref(in.ClientRequestToken)
	if token == "" {
		token = awsid.UUID()
	}
	newVersion := false
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		if in.Description != nil {
			sec.Description = in.Description
		}
		if in.KmsKeyId != nil {
			// New versions use the new key; existing ones keep theirs
			// (AWS re-encrypts AWSCURRENT and AWSPREVIOUS: the
			// stored data key still opens them).
			sec.KmsKeyID = *in.KmsKeyId
		}
		if in.SecretString != nil || in.SecretBinary != nil {
			if i := sec.versionIndex(token); i >= 0 {
				same, err := s.sameValue(ctx, tx, sec, i, in.SecretString, in.SecretBinary)
				if err != nil {
					return err
				}
				if !same {
					return smapi.ErrResourceExistsException.New("You can't modify an existing version, you can only create new versions.")
				}
				newVersion = true
				return nil
			}
			if err := s.addVersion(ctx, tx, sec, token, in.SecretString, in.SecretBinary, []string{stageCurrent}); err != nil {
				return err
			}
			newVersion = true
		}
		sec.Changed = ctx.Now()
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	out := &smapi.UpdateSecretOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}
	if newVersion {
		out.VersionId = &token
	}
	return out, nil
}

// DeleteSecret schedules the deletion after a recovery window (7 to 30
// days, default 30) or deletes at once with ForceDeleteWithoutRecovery.
func (s *SecretsManager) DeleteSecret(ctx *request.Context, in *smapi.DeleteSecretInput) (*smapi.DeleteSecretOutput, error) {
	force := ptr.Deref(in.ForceDeleteWithoutRecovery)
	if force && in.RecoveryWindowInDays != nil {
		return nil, invalidParam("You can't use ForceDeleteWithoutRecovery in conjunction with RecoveryWindowInDays.")
	}
	window := int64(30)
	if in.RecoveryWindowInDays != nil {
		window = *in.RecoveryWindowInDays
		if window < 7 || window > 30 {
			return nil, invalidParam("The RecoveryWindowInDays value must be between 7 and 30 days (inclusive).")
		}
	}
	now := ctx.Now()
	var deletion time.Time
	sec, err := s.update(ctx, in.SecretId, true, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		if len(sec.Replicas) > 0 {
			regions := make([]string, len(sec.Replicas))
			for i, r := range sec.Replicas {
				regions[i] = r.Region
			}
			return invalidRequest("You can't delete secret %s that still has replica regions [%s]", sec.Name, strings.Join(regions, ", "))
		}
		if force {
			deletion = now
			return errPurged
		}
		if sec.Deleted != nil {
			return errDeleted()
		}
		deletion = now.Add(time.Duration(window) * 24 * time.Hour)
		sec.Deleted, sec.Purge = &now, &deletion
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &smapi.DeleteSecretOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name), DeletionDate: &deletion}, nil
}

// RestoreSecret cancels a scheduled deletion.
func (s *SecretsManager) RestoreSecret(ctx *request.Context, in *smapi.RestoreSecretInput) (*smapi.RestoreSecretOutput, error) {
	sec, err := s.update(ctx, in.SecretId, true, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		sec.Deleted, sec.Purge = nil, nil
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &smapi.RestoreSecretOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}, nil
}

// ListSecrets lists the region's secrets, filtered and sorted.
func (s *SecretsManager) ListSecrets(ctx *request.Context, in *smapi.ListSecretsInput) (*smapi.ListSecretsOutput, error) {
	match, err := compileFilters(in.Filters)
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	var all []secret
	err = s.opt.Store.View(func(tx storage.Tx) error {
		return secrets.List(tx, scopeOf(ctx), nil, storage.ListOptions{}, func(_ []string, sec secret) bool {
			if sec.Purge != nil && !now.Before(*sec.Purge) {
				return true
			}
			if sec.Deleted != nil && !ptr.Deref(in.IncludePlannedDeletion) {
				return true
			}
			if match(&sec) {
				all = append(all, sec)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sortSecrets(all, deref(in.SortBy), deref(in.SortOrder))
	page, next, err := paginate(all, in.MaxResults, in.NextToken, defaultListResult)
	if err != nil {
		return nil, err
	}
	out := &smapi.ListSecretsOutput{SecretList: make([]smapi.SecretListEntry, 0, len(page)), NextToken: next}
	for i := range page {
		out.SecretList = append(out.SecretList, page[i].listEntry())
	}
	return out, nil
}

// sortSecrets orders a listing: by SortBy (default created-date) in
// SortOrder (default desc, newest first, as AWS lists).
func sortSecrets(all []secret, by, order string) {
	less := func(a, b *secret) bool {
		switch by {
		case "name":
			return a.Name < b.Name
		case "last-changed-date":
			return a.Changed.Before(b.Changed)
		case "last-accessed-date":
			return ptr.Deref(a.Accessed).Before(ptr.Deref(b.Accessed))
		}
		if a.Created.Equal(b.Created) {
			return a.Name < b.Name
		}
		return a.Created.Before(b.Created)
	}
	desc := order != "asc"
	sort.SliceStable(all, func(i, j int) bool {
		if desc {
			return less(&all[j], &all[i])
		}
		return less(&all[i], &all[j])
	})
}

// compileFilters turns ListSecrets/BatchGetSecretValue filters into a
// predicate. Values match by prefix, case-sensitively; a value starting
// with "!" negates (AWS's filter rules); "all" matches name, description,
// tag keys and tag values.
func compileFilters(fs []smapi.Filter) (func(*secret) bool, error) {
	type filter struct {
		key  string
		vals []string
	}
	var list []filter
	for _, f := range fs {
		k := deref(f.Key)
		switch k {
		case "description", "name", "tag-key", "tag-value", "primary-region", "owning-service", "all":
		default:
			return nil, invalidParam("Invalid filter key: %s", k)
		}
		if len(f.Values) == 0 {
			return nil, invalidParam("Filter %s has no values.", k)
		}
		list = append(list, filter{k, f.Values})
	}
	return func(sec *secret) bool {
		for _, f := range list {
			if !filterMatches(sec, f.key, f.vals) {
				return false
			}
		}
		return true
	}, nil
}

func filterMatches(sec *secret, key string, vals []string) bool {
	var fields []string
	switch key {
	case "name":
		fields = []string{sec.Name}
	case "description":
		fields = []string{deref(sec.Description)}
	case "tag-key":
		for _, t := range sec.Tags {
			fields = append(fields, t.Key)
		}
	case "tag-value":
		for _, t := range sec.Tags {
			fields = append(fields, t.Value)
		}
	case "primary-region":
		if sec.Primary != "" {
			fields = []string{sec.Primary}
		} else if len(sec.Replicas) > 0 {
			fields = []string{sec.Region}
		}
	case "owning-service":
		fields = []string{sec.Owner}
	case "all":
		fields = []string{sec.Name, deref(sec.Description)}
		for _, t := range sec.Tags {
			fields = append(fields, t.Key, t.Value)
		}
	}
	// Values of one filter are ORed; a negated value excludes.
	matched := false
	for _, v := range vals {
		neg := strings.HasPrefix(v, "!")
		v = strings.TrimPrefix(v, "!")
		hit := false
		for _, f := range fields {
			if strings.HasPrefix(f, v) || (key == "all" && strings.HasPrefix(strings.ToLower(f), strings.ToLower(v))) {
				hit = true
				break
			}
		}
		if neg && hit {
			return false
		}
		if hit || neg {
			matched = true
		}
	}
	return matched
}

// paginate pages a listing with an opaque token holding the offset.
func paginate[T any](all []T, max *int32, token *string, def int) ([]T, *string, error) {
	n := def
	if max != nil {
		n = int(*max)
	}
	start := 0
	if token != nil {
		b, err := base64.RawURLEncoding.DecodeString(*token)
		var off int
		if err == nil {
			err = json.Unmarshal(b, &off)
		}
		if err != nil || off < 0 || off > len(all) {
			return nil, nil, smapi.ErrInvalidNextTokenException.New("The NextToken value is invalid.")
		}
		start = off
	}
	end := start + n
	if end >= len(all) {
		return all[start:], nil, nil
	}
	b, _ := json.Marshal(end)
	next := base64.RawURLEncoding.EncodeToString(b)
	return all[start:end], &next, nil
}

// Tags.

// TagResource adds or replaces tags.
func (s *SecretsManager) TagResource(ctx *request.Context, in *smapi.TagResourceInput) (*smapi.TagResourceOutput, error) {
	_, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		tags, err := mergeTags(sec.Tags, in.Tags)
		if err != nil {
			return err
		}
		sec.Tags = tags
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	return &smapi.TagResourceOutput{}, nil
}

// UntagResource removes tags by key.
func (s *SecretsManager) UntagResource(ctx *request.Context, in *smapi.UntagResourceInput) (*smapi.UntagResourceOutput, error) {
	_, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		drop := map[string]bool{}
		for _, k := range in.TagKeys {
			drop[k] = true
		}
		kept := sec.Tags[:0]
		for _, t := range sec.Tags {
			if !drop[t.Key] {
				kept = append(kept, t)
			}
		}
		sec.Tags = kept
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	return &smapi.UntagResourceOutput{}, nil
}

// mergeTags sets add over have, keeping first-set order.
func mergeTags(have []tag, add []smapi.Tag) ([]tag, error) {
	out := append([]tag{}, have...)
	for _, t := range add {
		k, v := deref(t.Key), deref(t.Value)
		if k == "" {
			return nil, invalidParam("Tag keys can't be empty.")
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return nil, invalidParam("Tag keys can't start with the reserved prefix aws:.")
		}
		found := false
		for i := range out {
			if out[i].Key == k {
				out[i].Value, found = v, true
			}
		}
		if !found {
			out = append(out, tag{k, v})
		}
	}
	if len(out) > maxTags {
		return nil, smapi.ErrLimitExceededException.New("The request failed because it would exceed one of the Secrets Manager quotas: a secret has at most %d tags.", maxTags)
	}
	return out, nil
}

// Resource policies.

// PutResourcePolicy attaches a resource policy, refused when
// BlockPublicPolicy is set (it is not by default) and the policy allows
// everyone.
func (s *SecretsManager) PutResourcePolicy(ctx *request.Context, in *smapi.PutResourcePolicyInput) (*smapi.PutResourcePolicyOutput, error) {
	doc := deref(in.ResourcePolicy)
	p, err := parsePolicy(doc)
	if err != nil {
		return nil, err
	}
	if ptr.Deref(in.BlockPublicPolicy) && policyIsPublic(p) {
		return nil, smapi.ErrPublicPolicyException.New("The BlockPublicPolicy parameter is set to true, and the resource policy did not prevent broad access to the secret.")
	}
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		sec.Policy = doc
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	return &smapi.PutResourcePolicyOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}, nil
}

// GetResourcePolicy returns the policy (absent when none).
func (s *SecretsManager) GetResourcePolicy(ctx *request.Context, in *smapi.GetResourcePolicyInput) (*smapi.GetResourcePolicyOutput, error) {
	sec, err := s.read(ctx, in.SecretId)
	if err != nil {
		return nil, err
	}
	if sec.Deleted != nil {
		return nil, errDeleted()
	}
	out := &smapi.GetResourcePolicyOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}
	if sec.Policy != "" {
		out.ResourcePolicy = ptr.To(sec.Policy)
	}
	return out, nil
}

// DeleteResourcePolicy removes the policy.
func (s *SecretsManager) DeleteResourcePolicy(ctx *request.Context, in *smapi.DeleteResourcePolicyInput) (*smapi.DeleteResourcePolicyOutput, error) {
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		sec.Policy = ""
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	return &smapi.DeleteResourcePolicyOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}, nil
}

// ValidateResourcePolicy checks a policy's grammar and whether it
// grants public access (AWS's two checks: syntax and the public-access
// check that BlockPublicPolicy applies).
func (s *SecretsManager) ValidateResourcePolicy(ctx *request.Context, in *smapi.ValidateResourcePolicyInput) (*smapi.ValidateResourcePolicyOutput, error) {
	if in.SecretId != nil {
		if _, err := s.read(ctx, in.SecretId); err != nil {
			return nil, err
		}
	}
	out := &smapi.ValidateResourcePolicyOutput{PolicyValidationPassed: ptr.To(true), ValidationErrors: []smapi.ValidationErrorsEntry{}}
	p, err := parsePolicy(deref(in.ResourcePolicy))
	if err != nil {
		return nil, err
	}
	if policyIsPublic(p) {
		out.PolicyValidationPassed = ptr.To(false)
		out.ValidationErrors = append(out.ValidationErrors, smapi.ValidationErrorsEntry{
			CheckName:    ptr.To("BLOCK_PUBLIC_POLICY"),
			ErrorMessage: ptr.To("The resource policy grants broad access to the secret."),
		})
	}
	return out, nil
}

func parsePolicy(doc string) (*iam.Policy, error) {
	if len(doc) > maxPolicyBytes {
		return nil, smapi.ErrMalformedPolicyDocumentException.New("The resource policy is larger than %d characters.", maxPolicyBytes)
	}
	p, err := iam.Parse(doc)
	if err != nil {
		return nil, smapi.ErrMalformedPolicyDocumentException.New("This resource policy contains a syntax error: %s", err.Error())
	}
	for _, st := range p.Statements {
		if st.Principal == nil {
			return nil, smapi.ErrMalformedPolicyDocumentException.New("This resource policy contains an unsupported principal.")
		}
	}
	return p, nil
}

// policyIsPublic reports an Allow to everyone without a condition that
// narrows it.
func policyIsPublic(p *iam.Policy) bool {
	for _, st := range p.Statements {
		if st.Effect != iam.Allow || len(st.Conditions) > 0 || st.Principal == nil {
			continue
		}
		if st.NotPrincipal || st.Principal.Any {
			return true
		}
		for _, v := range st.Principal.ByType["AWS"] {
			if v == "*" {
				return true
			}
		}
	}
	return false
}
