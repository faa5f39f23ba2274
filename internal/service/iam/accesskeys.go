package iam

import (
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Access keys: AKIA + 16 characters, a 40-character secret, at most two per
// user. A key record lives once, in keyScope under its id, because the
// signature layer resolves a key from its id alone; user-key records list a
// user's keys. The account root's keys belong to the user named "".

const (
	keyStatusActive   = "Active"
	keyStatusInactive = "Inactive"
)

func newAccessKeyID() string { return "AKIA" + awsid.String(idAlphabet, 16) }

func newSecret() string {
	return awsid.Base64(30) // 40 characters
}

func userKeyIDs(tx storage.Tx, sc storage.Scope, user string) ([]string, error) {
	var ids []string
	err := userKeys.List(tx, sc, []string{lower(user)}, storage.ListOptions{}, func(key []string, _ struct{}) bool {
		ids = append(ids, key[1])
		return true
	})
	return ids, err
}

// moveAccessKeys re-homes a renamed user's keys.
func moveAccessKeys(tx storage.Tx, sc storage.Scope, oldName, newName string) error {
	ids, err := userKeyIDs(tx, sc, oldName)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := userKeys.Delete(tx, sc, lower(oldName), id); err != nil {
			return err
		}
		if err := userKeys.Put(tx, sc, struct{}{}, lower(newName), id); err != nil {
			return err
		}
		k, ok, err := accessKeys.Get(tx, keyScope, id)
		if err != nil {
			return err
		}
		if ok {
			k.UserName = newName
			if err := accessKeys.Put(tx, keyScope, k, id); err != nil {
				return err
			}
		}
	}
	return nil
}

// keyOwner returns the stored name of the user a key operation is about,
// which must exist; "" (from callerUserName) is the account root.
func keyOwner(tx storage.Tx, sc storage.Scope, name string) (string, error) {
	if name == "" {
		return "", nil
	}
	u, err := getUser(tx, sc, name)
	if err != nil {
		return "", err
	}
	return u.Name, nil
}

func (s *IAM) CreateAccessKey(ctx *request.Context, in *iamapi.CreateAccessKeyInput) (*iamapi.CreateAccessKeyOutput, error) {
	name, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var k accessKeyRecord
	err = s.store.Update(func(tx storage.Tx) error {
		user, err := keyOwner(tx, sc, name)
		if err != nil {
			return err
		}
		ids, err := userKeyIDs(tx, sc, user)
		if err != nil {
			return err
		}
		if len(ids) >= maxAccessKeysPerUser {
			return limitExceeded("Cannot exceed quota for AccessKeysPerUser: %d", maxAccessKeysPerUser)
		}
		k = accessKeyRecord{Secret: newSecret(), Status: keyStatusActive, Account: ctx.Account, UserName: user, CreateDate: now(ctx)}
		for {
			k.ID = newAccessKeyID()
			_, taken, err := accessKeys.Get(tx, keyScope, k.ID)
			if err != nil {
				return err
			}
			if !taken {
				break
			}
		}
		if err := accessKeys.Put(tx, keyScope, k, k.ID); err != nil {
			return err
		}
		return userKeys.Put(tx, sc, struct{}{}, lower(user), k.ID)
	})
	if err != nil {
		return nil, err
	}
	out := &iamapi.AccessKey{AccessKeyId: ptr.To(k.ID), Status: ptr.To(k.Status), SecretAccessKey: ptr.To(k.Secret), CreateDate: ptr.To(k.CreateDate)}
	if k.UserName != "" {
		out.UserName = ptr.To(k.UserName)
	}
	return &iamapi.CreateAccessKeyOutput{AccessKey: out}, nil
}

func (s *IAM) ListAccessKeys(ctx *request.Context, in *iamapi.ListAccessKeysInput) (*iamapi.ListAccessKeysOutput, error) {
	name, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	var keys []accessKeyRecord
	err = s.store.View(func(tx storage.Tx) error {
		user, err := keyOwner(tx, sc, name)
		if err != nil {
			return err
		}
		ids, err := userKeyIDs(tx, sc, user)
		if err != nil {
			return err
		}
		for _, id := range ids {
			k, ok, err := accessKeys.Get(tx, keyScope, id)
			if err != nil {
				return err
			}
			if ok {
				keys = append(keys, k)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	start, end, res := p.sliceWindow(len(keys), func(i int) string { return keys[i].ID })
	out := &iamapi.ListAccessKeysOutput{AccessKeyMetadata: []iamapi.AccessKeyMetadata{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, k := range keys[start:end] {
		m := iamapi.AccessKeyMetadata{AccessKeyId: ptr.To(k.ID), Status: ptr.To(k.Status), CreateDate: ptr.To(k.CreateDate)}
		if k.UserName != "" {
			m.UserName = ptr.To(k.UserName)
		}
		out.AccessKeyMetadata = append(out.AccessKeyMetadata, m)
	}
	return out, nil
}

// ownedKey returns the key with this id if it belongs to the user in the
// caller's account, and NoSuchEntity otherwise: a key of someone else is
// not the caller's to see.
func ownedKey(ctx *request.Context, tx storage.Tx, sc storage.Scope, userIn *string, id string) (accessKeyRecord, error) {
	name, err := callerUserName(ctx, userIn)
	if err != nil {
		return accessKeyRecord{}, err
	}
	user, err := keyOwner(tx, sc, name)
	if err != nil {
		return accessKeyRecord{}, err
	}
	k, ok, err := accessKeys.Get(tx, keyScope, id)
	if err != nil {
		return k, err
	}
	if !ok || k.Account != ctx.Account || lower(k.UserName) != lower(user) {
		return k, noSuchAccessKey(id)
	}
	return k, nil
}

func (s *IAM) UpdateAccessKey(ctx *request.Context, in *iamapi.UpdateAccessKeyInput) (*iamapi.UpdateAccessKeyOutput, error) {
	id, err := required("accessKeyId", in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	status, err := required("status", in.Status)
	if err != nil {
		return nil, err
	}
	if status != keyStatusActive && status != keyStatusInactive {
		return nil, validation("Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", status)
	}
	sc := scope(ctx)
	return empty[iamapi.UpdateAccessKeyOutput](s.store.Update(func(tx storage.Tx) error {
		k, err := ownedKey(ctx, tx, sc, in.UserName, id)
		if err != nil {
			return err
		}
		k.Status = status
		return accessKeys.Put(tx, keyScope, k, k.ID)
	}))
}

func (s *IAM) DeleteAccessKey(ctx *request.Context, in *iamapi.DeleteAccessKeyInput) (*iamapi.DeleteAccessKeyOutput, error) {
	id, err := required("accessKeyId", in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeleteAccessKeyOutput](s.store.Update(func(tx storage.Tx) error {
		k, err := ownedKey(ctx, tx, sc, in.UserName, id)
		if err != nil {
			return err
		}
		if err := userKeys.Delete(tx, sc, lower(k.UserName), k.ID); err != nil {
			return err
		}
		return accessKeys.Delete(tx, keyScope, k.ID)
	}))
}

// GetAccessKeyLastUsed answers for any key of the caller's account. A key
// never used reports ServiceName and Region "N/A" and no date, as IAM does.
func (s *IAM) GetAccessKeyLastUsed(ctx *request.Context, in *iamapi.GetAccessKeyLastUsedInput) (*iamapi.GetAccessKeyLastUsedOutput, error) {
	id, err := required("accessKeyId", in.AccessKeyId)
	if err != nil {
		return nil, err
	}
	var k accessKeyRecord
	var ok bool
	err = s.store.View(func(tx storage.Tx) error {
		k, ok, err = accessKeys.Get(tx, keyScope, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok || k.Account != ctx.Account {
		return nil, awserr.AccessDenied.New("The specified access key %s does not exist or does not belong to your account.", id)
	}
	used := &iamapi.AccessKeyLastUsed{ServiceName: ptr.To("N/A"), Region: ptr.To("N/A")}
	if k.LastUsed != nil {
		used = &iamapi.AccessKeyLastUsed{LastUsedDate: ptr.To(k.LastUsed.Date), ServiceName: ptr.To(k.LastUsed.Service), Region: ptr.To(k.LastUsed.Region)}
	}
	user := k.UserName
	if user == "" {
		user = "root"
	}
	return &iamapi.GetAccessKeyLastUsedOutput{UserName: ptr.To(user), AccessKeyLastUsed: used}, nil
}
