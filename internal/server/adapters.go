package server

import (
	"github.com/niwa-cloud/niwa/internal/auth"
	"github.com/niwa-cloud/niwa/internal/service/iam"
	"github.com/niwa-cloud/niwa/internal/service/sts"
)

// iamRoles lets STS find roles in IAM without importing it.
type iamRoles struct{ iam *iam.IAM }

var _ sts.Roles = iamRoles{}

func (r iamRoles) RoleByARN(arn string) (sts.Role, bool, error) {
	role, ok, err := r.iam.RoleByARN(arn)
	if err != nil || !ok {
		return sts.Role{}, ok, err
	}
	return sts.Role{
		Name: role.Name, ID: role.ID, ARN: role.ARN, Account: role.Account,
		MaxSessionDuration: role.MaxSessionDuration, TrustPolicy: role.TrustPolicy,
	}, true, nil
}

// iamProviders lets STS find IAM's identity providers.
type iamProviders struct{ iam *iam.IAM }

var _ sts.Providers = iamProviders{}

func (p iamProviders) SAMLProviderByARN(arn string) (sts.SAMLProvider, bool, error) {
	sp, ok, err := p.iam.SAMLProviderByARN(arn)
	if err != nil || !ok {
		return sts.SAMLProvider{}, ok, err
	}
	return sts.SAMLProvider{ARN: sp.ARN, Name: sp.Name, Account: sp.Account, EntityID: sp.EntityID, Certificates: sp.Certificates}, true, nil
}

// iamCredentials lets the signature layer authenticate IAM users' access
// keys. An inactive key is as good as unknown, as on AWS.
type iamCredentials struct{ iam *iam.IAM }

var _ iamKeys = iamCredentials{}

func (c iamCredentials) Generation() uint64 { return c.iam.Generation() }

func (c iamCredentials) LookupCredential(id string) (auth.Credential, bool, error) {
	k, ok, err := c.iam.LookupAccessKey(id)
	if err != nil || !ok || k.Status != "Active" {
		return auth.Credential{}, false, err
	}
	return auth.Credential{
		AccessKeyID: k.AccessKeyID, SecretAccessKey: k.SecretAccessKey,
		Account: k.Account, ARN: k.UserARN, UserID: k.UserID,
	}, true, nil
}

// keyAccounts tells STS's GetAccessKeyInfo which account owns a long-term
// key: a static root key, or an IAM user's key (active or not — the key
// still belongs to its account).
type keyAccounts struct {
	static auth.StaticCredentials
	iam    *iam.IAM
}

var _ sts.AccessKeys = keyAccounts{}

func (k keyAccounts) AccessKeyAccount(id string) (string, bool, error) {
	if c, ok := k.static[id]; ok {
		return c.Account, true, nil
	}
	key, ok, err := k.iam.LookupAccessKey(id)
	if err != nil || !ok {
		return "", false, err
	}
	return key.Account, true, nil
}

var _ sts.OIDCProviders = iamProviders{}

func (p iamProviders) OIDCProviderByARN(arn string) (sts.OIDCProvider, bool, error) {
	op, ok, err := p.iam.OIDCProviderByARN(arn)
	if err != nil || !ok {
		return sts.OIDCProvider{}, ok, err
	}
	return sts.OIDCProvider{ARN: op.ARN, Account: op.Account, URL: op.URL, ClientIDs: op.ClientIDs}, true, nil
}
