package secretsmanager

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"errors"
	"strings"
	"time"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Encryption: each version's value is sealed with AES-256-GCM under its
// own data key from KMS, with the encryption context AWS uses
// (SecretARN, SecretVersionId) and the same two as GCM additional data.

func encryptionContext(arn, vid string) map[string]string {
	return map[string]string{"SecretARN": arn, "SecretVersionId": vid}
}

// asOwner is ctx acting in the secret's account and region (a
// cross-account caller's key lookups happen where the secret lives);
// the caller stays who it is.
func asOwner(ctx *request.Context, sec *secret) *request.Context {
	c := *ctx
	c.Account, c.Region = sec.Account, sec.Region
	return &c
}

// seal encrypts plain for version vid of sec under the secret's key.
func (s *SecretsManager) seal(ctx *request.Context, sec *secret, keyID, vid string, plain []byte, binary bool) (value, string, error) {
	if s.opt.Keys == nil {
		return value{}, "", awserr.InternalFailure.New("Secrets Manager has no KMS to encrypt with.")
	}
	arn := sec.arn()
	dk, err := s.opt.Keys.GenerateDataKey(asOwner(ctx, sec), keyID, encryptionContext(arn, vid))
	if err != nil {
		return value{}, "", kmsError(err, true)
	}
	blob, keyARN := dk.Ciphertext, dk.KeyARN
	block, err := aes.NewCipher(dk.Plaintext)
	if err != nil {
		return value{}, "", err
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil {
		return value{}, "", err
	}
	nonce := make([]byte, gcm.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return value{}, "", err
	}
	sealed := gcm.Seal(nonce, nonce, plain, []byte(arn+"\x00"+vid))
	return value{DataKey: blob, Sealed: sealed, Binary: binary}, keyARN, nil
}

// open decrypts a version's value.
func (s *SecretsManager) open(ctx *request.Context, sec *secret, vid string, v value) ([]byte, error) {
	if s.opt.Keys == nil {
		return nil, awserr.InternalFailure.New("Secrets Manager has no KMS to decrypt with.")
	}
	arn := sec.arn()
	dk, _, err := s.opt.Keys.Decrypt(asOwner(ctx, sec), v.DataKey, encryptionContext(arn, vid))
	if err != nil {
		return nil, kmsError(err, false)
	}
	block, err := aes.NewCipher(dk)
	if err != nil {
		return nil, errDecrypt()
	}
	gcm, err := cipher.NewGCM(block)
	if err != nil || len(v.Sealed) < gcm.NonceSize() {
		return nil, errDecrypt()
	}
	n := gcm.NonceSize()
	plain, err := gcm.Open(nil, v.Sealed[:n], v.Sealed[n:], []byte(arn+"\x00"+vid))
	if err != nil {
		return nil, errDecrypt()
	}
	return plain, nil
}

func errDecrypt() error {
	return smapi.ErrDecryptionFailure.New("Secrets Manager can't decrypt the protected secret text using the provided KMS key.")
}

// kmsError is what Secrets Manager answers when KMS refuses: the
// caller's missing KMS permission passes through as AccessDenied, the
// rest (disabled or missing key, wrong context) as Encryption/Decryption
// failures.
func kmsError(err error, encrypt bool) error {
	var ae *awserr.Error
	if !errors.As(err, &ae) {
		return err
	}
	if kms.Code(err) == kms.AccessDenied {
		return awserr.AccessDeniedException.New("Access to KMS is not allowed")
	}
	if encrypt {
		return smapi.ErrEncryptionFailure.New("Secrets Manager can't encrypt the protected secret text using the provided KMS key. Check that the KMS key is available, enabled, and not in an invalid state. (%s)", ae.Message)
	}
	return smapi.ErrDecryptionFailure.New("Secrets Manager can't decrypt the protected secret text using the provided KMS key. (%s)", ae.Message)
}

// plainOf is a request's value as bytes.
func plainOf(str *string, bin []byte) ([]byte, bool) {
	if str != nil {
		return []byte(*str), false
	}
	return bin, true
}

// addVersion stores a new version with its value and attaches stages
// (AWSCURRENT moves AWSPREVIOUS along).
func (s *SecretsManager) addVersion(ctx *request.Context, tx storage.Tx, sec *secret, vid string, str *string, bin []byte, stages []string) error {
	if len(stages) > maxStagesPerVer {
		return smapi.ErrLimitExceededException.New("The request failed because it would exceed one of the Secrets Manager quotas: a version has at most %d staging labels.", maxStagesPerVer)
	}
	plain, binary := plainOf(str, bin)
	v, keyARN, err := s.seal(ctx, sec, sec.KmsKeyID, vid, plain, binary)
	if err != nil {
		return err
	}
	if err := values.Put(tx, sec.scope(), v, sec.Name, vid); err != nil {
		return err
	}
	sec.Versions = append(sec.Versions, version{ID: vid, Created: ctx.Now(), KeyARN: keyARN})
	i := len(sec.Versions) - 1
	for _, st := range stages {
		if st == stageCurrent {
			sec.makeCurrent(i)
		} else {
			sec.moveStage(i, st)
		}
	}
	sec.Changed = ctx.Now()
	return sec.prune(tx)
}

// sameValue reports whether version i holds exactly this value (a
// retried request with the same ClientRequestToken).
func (s *SecretsManager) sameValue(ctx *request.Context, tx storage.Tx, sec *secret, i int, str *string, bin []byte) (bool, error) {
	v, ok, err := values.Get(tx, sec.scope(), sec.Name, sec.Versions[i].ID)
	if err != nil || !ok {
		return false, err
	}
	plain, err := s.open(ctx, sec, sec.Versions[i].ID, v)
	if err != nil {
		return false, err
	}
	want, binary := plainOf(str, bin)
	return binary == v.Binary && bytes.Equal(plain, want), nil
}

// pickVersion finds the version GetSecretValue asks for.
func pickVersion(sec *secret, vid, stage *string) (int, error) {
	switch {
	case vid != nil:
		i := sec.versionIndex(*vid)
		if i < 0 {
			return -1, smapi.ErrResourceNotFoundException.New("Secrets Manager can't find the specified secret value for VersionId: %s", *vid)
		}
		if stage != nil && !hasStage(sec.Versions[i], *stage) {
			return -1, invalidRequest("You provided a VersionStage that is not associated to the provided VersionId.")
		}
		return i, nil
	default:
		st := stageCurrent
		if stage != nil {
			st = *stage
		}
		i := sec.stageIndex(st)
		if i < 0 {
			return -1, smapi.ErrResourceNotFoundException.New("Secrets Manager can't find the specified secret value for staging label: %s", st)
		}
		return i, nil
	}
}

// getValue reads and decrypts one version and records the access date.
func (s *SecretsManager) getValue(ctx *request.Context, id string, vid, stage *string) (*smapi.SecretValueEntry, error) {
	var sec secret
	var val value
	var idx int
	err := s.opt.Store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		sec, ok, err = s.find(tx, ctx, id, false)
		if err != nil {
			return err
		}
		if !ok {
			return errNotFound()
		}
		if sec.Deleted != nil {
			return errDeleted()
		}
		if idx, err = pickVersion(&sec, vid, stage); err != nil {
			return err
		}
		val, ok, err = values.Get(tx, sec.scope(), sec.Name, sec.Versions[idx].ID)
		if err != nil {
			return err
		}
		if !ok {
			return smapi.ErrResourceNotFoundException.New("Secrets Manager can't find the specified secret value for VersionId: %s", sec.Versions[idx].ID)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	v := sec.Versions[idx]
	plain, err := s.open(ctx, &sec, v.ID, val)
	if err != nil {
		return nil, err
	}
	today := day(ctx.Now())
	if sec.Accessed == nil || !sec.Accessed.Equal(today) || v.Accessed == nil || !v.Accessed.Equal(today) {
		if err := s.touch(&sec, v.ID, today); err != nil {
			return nil, err
		}
	}
	created := v.Created
	out := &smapi.SecretValueEntry{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name), VersionId: ptr.To(v.ID),
		VersionStages: append([]string{}, v.Stages...), CreatedDate: &created}
	if val.Binary {
		out.SecretBinary = plain
	} else {
		out.SecretString = ptr.To(string(plain))
	}
	return out, nil
}

// touch records the day a secret and a version were last read.
func (s *SecretsManager) touch(sec *secret, vid string, t time.Time) error {
	return s.opt.Store.Update(func(tx storage.Tx) error {
		cur, ok, err := secrets.Get(tx, sec.scope(), sec.Name)
		if err != nil || !ok {
			return err
		}
		cur.Accessed = &t
		if i := cur.versionIndex(vid); i >= 0 {
			cur.Versions[i].Accessed = &t
		}
		return secrets.Put(tx, sec.scope(), cur, cur.Name)
	})
}

// GetSecretValue returns a version's value: by VersionId, by
// VersionStage, or AWSCURRENT.
func (s *SecretsManager) GetSecretValue(ctx *request.Context, in *smapi.GetSecretValueInput) (*smapi.GetSecretValueOutput, error) {
	e, err := s.getValue(ctx, deref(in.SecretId), in.VersionId, in.VersionStage)
	if err != nil {
		return nil, err
	}
	return &smapi.GetSecretValueOutput{ARN: e.ARN, Name: e.Name, VersionId: e.VersionId, SecretBinary: e.SecretBinary,
		SecretString: e.SecretString, VersionStages: e.VersionStages, CreatedDate: e.CreatedDate}, nil
}

// BatchGetSecretValue returns the AWSCURRENT values of up to 20 named
// secrets, or of the secrets matching filters (paged); per-secret
// failures are listed in Errors.
func (s *SecretsManager) BatchGetSecretValue(ctx *request.Context, in *smapi.BatchGetSecretValueInput) (*smapi.BatchGetSecretValueOutput, error) {
	if (len(in.SecretIdList) > 0) == (len(in.Filters) > 0) {
		return nil, invalidParam("Either SecretIdList or Filters must be specified, but not both.")
	}
	out := &smapi.BatchGetSecretValueOutput{SecretValues: []smapi.SecretValueEntry{}, Errors: []smapi.APIErrorType{}}
	ids := in.SecretIdList
	if len(ids) > 0 {
		if in.MaxResults != nil || in.NextToken != nil {
			return nil, invalidParam("MaxResults and NextToken can only be used with Filters.")
		}
	} else {
		list, err := s.ListSecrets(ctx, &smapi.ListSecretsInput{Filters: in.Filters, MaxResults: in.MaxResults, NextToken: in.NextToken, SortOrder: ptr.To("asc")})
		if err != nil {
			return nil, err
		}
		out.NextToken = list.NextToken
		for _, e := range list.SecretList {
			ids = append(ids, *e.ARN)
		}
	}
	for _, id := range ids {
		e, err := s.getValue(ctx, id, nil, nil)
		if err != nil {
			var ae *awserr.Error
			if !errors.As(err, &ae) {
				return nil, err
			}
			out.Errors = append(out.Errors, smapi.APIErrorType{SecretId: ptr.To(id), ErrorCode: ptr.To(ae.Code.Code), Message: ptr.To(ae.Message)})
			continue
		}
		out.SecretValues = append(out.SecretValues, *e)
	}
	return out, nil
}

// PutSecretValue adds a version (AWSCURRENT unless VersionStages say
// otherwise).
func (s *SecretsManager) PutSecretValue(ctx *request.Context, in *smapi.PutSecretValueInput) (*smapi.PutSecretValueOutput, error) {
	if err := checkValue(in.SecretString, in.SecretBinary, true); err != nil {
		return nil, err
	}
	if err := checkToken(in.ClientRequestToken); err != nil {
		return nil, err
	}
	stages := in.VersionStages
	if len(stages) == 0 {
		stages = []string{stageCurrent}
	}
	token := deref(in.ClientRequestToken)
	if token == "" {
		token = awsid.UUID()
	}
	var stagesOut []string
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		if i := sec.versionIndex(token); i >= 0 {
			same, err := s.sameValue(ctx, tx, sec, i, in.SecretString, in.SecretBinary)
			if err != nil {
				return err
			}
			if !same {
				return smapi.ErrResourceExistsException.New("You can't modify an existing version, you can only create new versions.")
			}
			stagesOut = append([]string{}, sec.Versions[i].Stages...)
			return nil
		}
		if err := s.addVersion(ctx, tx, sec, token, in.SecretString, in.SecretBinary, stages); err != nil {
			return err
		}
		stagesOut = append([]string{}, sec.Versions[len(sec.Versions)-1].Stages...)
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	return &smapi.PutSecretValueOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name), VersionId: &token, VersionStages: stagesOut}, nil
}

// UpdateSecretVersionStage moves or removes a staging label. Moving
// AWSCURRENT moves AWSPREVIOUS to the version that had it.
func (s *SecretsManager) UpdateSecretVersionStage(ctx *request.Context, in *smapi.UpdateSecretVersionStageInput) (*smapi.UpdateSecretVersionStageOutput, error) {
	stage := deref(in.VersionStage)
	sec, err := s.update(ctx, in.SecretId, false, func(tx storage.Tx, sec *secret) error {
		if sec.Primary != "" {
			return errReplica()
		}
		owner := sec.stageIndex(stage)
		target, remove := -1, -1
		if in.MoveToVersionId != nil {
			if target = sec.versionIndex(*in.MoveToVersionId); target < 0 {
				return invalidParam("Not a valid version: %s", *in.MoveToVersionId)
			}
		}
		if in.RemoveFromVersionId != nil {
			if remove = sec.versionIndex(*in.RemoveFromVersionId); remove < 0 {
				return invalidParam("Not a valid version: %s", *in.RemoveFromVersionId)
			}
			if remove != owner {
				return invalidParam("The staging label %s is not attached to version %s.", stage, *in.RemoveFromVersionId)
			}
		}
		if target < 0 && remove < 0 {
			return invalidParam("You must specify MoveToVersionId or RemoveFromVersionId.")
		}
		if target >= 0 && owner >= 0 && owner != target && in.RemoveFromVersionId == nil {
			return invalidParam("The parameter RemoveFromVersionId can't be empty. Staging label %s is currently attached to version %s, so you must explicitly reference that version in RemoveFromVersionId.", stage, sec.Versions[owner].ID)
		}
		switch {
		case target >= 0 && stage == stageCurrent:
			sec.makeCurrent(target)
		case target >= 0:
			if !hasStage(sec.Versions[target], stage) && len(sec.Versions[target].Stages) >= maxStagesPerVer {
				return smapi.ErrLimitExceededException.New("The request failed because it would exceed one of the Secrets Manager quotas: a version has at most %d staging labels.", maxStagesPerVer)
			}
			sec.moveStage(target, stage)
		default:
			if stage == stageCurrent {
				return invalidParam("You can't remove the staging label AWSCURRENT from a version; move it to another version instead.")
			}
			removeStage(&sec.Versions[remove], stage)
		}
		sec.Changed = ctx.Now()
		if err := sec.prune(tx); err != nil {
			return err
		}
		return s.syncReplicas(ctx, tx, sec, false)
	})
	if err != nil {
		return nil, err
	}
	return &smapi.UpdateSecretVersionStageOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name)}, nil
}

// ListSecretVersionIds lists versions with staging labels, and with
// IncludeDeprecated those without.
func (s *SecretsManager) ListSecretVersionIds(ctx *request.Context, in *smapi.ListSecretVersionIdsInput) (*smapi.ListSecretVersionIdsOutput, error) {
	sec, err := s.read(ctx, in.SecretId)
	if err != nil {
		return nil, err
	}
	if sec.Deleted != nil {
		return nil, errDeleted()
	}
	var all []smapi.SecretVersionsListEntry
	// Newest first, as AWS lists them.
	for i := len(sec.Versions) - 1; i >= 0; i-- {
		v := sec.Versions[i]
		if len(v.Stages) == 0 && !ptr.Deref(in.IncludeDeprecated) {
			continue
		}
		created := v.Created
		e := smapi.SecretVersionsListEntry{VersionId: ptr.To(v.ID), VersionStages: append([]string{}, v.Stages...),
			CreatedDate: &created, LastAccessedDate: v.Accessed}
		if v.KeyARN != "" {
			e.KmsKeyIds = []string{keyIDOf(v.KeyARN)}
		}
		all = append(all, e)
	}
	page, next, err := paginate(all, in.MaxResults, in.NextToken, defaultListResult)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []smapi.SecretVersionsListEntry{}
	}
	return &smapi.ListSecretVersionIdsOutput{ARN: ptr.To(sec.arn()), Name: ptr.To(sec.Name), Versions: page, NextToken: next}, nil
}

// keyIDOf is the key id of a key ARN (ListSecretVersionIds shows ids).
func keyIDOf(arn string) string {
	if i := strings.LastIndex(arn, "key/"); i >= 0 {
		return arn[i+4:]
	}
	return arn
}
