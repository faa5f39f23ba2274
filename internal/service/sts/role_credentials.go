package sts

import (
	"fmt"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/storage"
)

// IssueRoleCredentials issues credentials for a role session on behalf of
// an AWS service (Lambda's execution role, an instance profile), the way
// the service's own sts:AssumeRole does on AWS: no caller, no trust-policy
// check here (the service was configured with the role), and no
// MaxSessionDuration cap. The credentials sign requests like any other
// temporary key.
func (s *STS) IssueRoleCredentials(now time.Time, account, roleARN, sessionName string, d time.Duration) (TempCredential, error) {
	return s.IssuePlacedRoleCredentials(now, account, roleARN, sessionName, d, nil)
}

// IssuePlacedRoleCredentials is IssueRoleCredentials for code that runs
// at a network position (a Lambda function in a VPC); at may be nil.
func (s *STS) IssuePlacedRoleCredentials(now time.Time, account, roleARN, sessionName string, d time.Duration, at *NetworkPosition) (TempCredential, error) {
	name, id := roleNameFromARN(roleARN), ""
	if s.roles != nil {
		role, ok, err := s.roles.RoleByARN(roleARN)
		if err != nil {
			return TempCredential{}, err
		}
		if ok {
			name, id, account = role.Name, role.ID, role.Account
		}
	}
	if name == "" {
		return TempCredential{}, fmt.Errorf("sts: %s is not a role ARN", roleARN)
	}
	if id == "" {
		id = "AROA" + randomUpper(17)
	}
	c := TempCredential{
		AccessKeyID:     "ASIA" + randomUpper(16),
		SecretAccessKey: randomSecret(),
		SessionToken:    randomToken(),
		Expiration:      now.Add(d).UTC().Truncate(time.Second),
		Account:         account,
		ARN:             fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, name, sessionName),
		UserID:          id + ":" + sessionName,
		RoleARN:         roleARN,
		SessionName:     sessionName,
		Network:         at,
	}
	err := s.store.Update(func(tx storage.Tx) error {
		return temporaryCredentials.Put(tx, globalScope, c, c.AccessKeyID)
	})
	return c, err
}

// roleNameFromARN is the last path segment of a role ARN
// ("arn:aws:iam::1:role/path/name" → "name").
func roleNameFromARN(arn string) string {
	_, res, ok := strings.Cut(arn, ":role/")
	if !ok {
		return ""
	}
	if i := strings.LastIndexByte(res, '/'); i >= 0 {
		res = res[i+1:]
	}
	return res
}
