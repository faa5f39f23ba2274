package iam

import (
	"crypto/sha256"
	"crypto/subtle"
	"strings"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// The account password policy (Update/Get/DeleteAccountPasswordPolicy) and
// its enforcement: CreateLoginProfile, UpdateLoginProfile and
// ChangePassword refuse a password the policy (or, without one, AWS's
// default policy) does not allow.

// accountRecord is the account's own settings.
type accountRecord struct {
	PasswordPolicy *passwordPolicy `json:"passwordPolicy,omitempty"`
	Alias          string          `json:"alias,omitempty"`
	// RootMFA names the virtual MFA device enabled for the root user.
	RootMFA string            `json:"rootMfa,omitempty"`
	Report  *credentialReport `json:"report,omitempty"`
	// TokenVersion is the global STS endpoint's token version (0: the
	// default, 1).
	TokenVersion int32 `json:"tokenVersion,omitempty"`
}

type passwordPolicy struct {
	MinLength      int32 `json:"minLength"`
	Symbols        bool  `json:"symbols"`
	Numbers        bool  `json:"numbers"`
	Upper          bool  `json:"upper"`
	Lower          bool  `json:"lower"`
	AllowChange    bool  `json:"allowChange"`
	MaxAge         int32 `json:"maxAge"`
	ReusePrevented int32 `json:"reuse"`
	HardExpiry     bool  `json:"hardExpiry"`
}

const settingsKey = "settings"

// passwordSymbols are the characters AWS counts as symbols.
const passwordSymbols = "!@#$%^&*()_+-=[]{}|'"

func getSettings(tx storage.Tx, sc storage.Scope) (accountRecord, error) {
	a, _, err := accountSettings.Get(tx, sc, settingsKey)
	return a, err
}

func (s *IAM) updateSettings(ctx *request.Context, fn func(tx storage.Tx, sc storage.Scope, a *accountRecord) error) error {
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		a, err := getSettings(tx, sc)
		if err != nil {
			return err
		}
		if err := fn(tx, sc, &a); err != nil {
			return err
		}
		return accountSettings.Put(tx, sc, a, settingsKey)
	})
}

// UsersMayChangePassword reports whether the account's password policy
// lets IAM users change their own passwords (AllowUsersToChangePassword):
// then ChangePassword and GetAccountPasswordPolicy need no permission.
func (s *IAM) UsersMayChangePassword(account string) (bool, error) {
	var ok bool
	err := s.store.View(func(tx storage.Tx) error {
		a, err := getSettings(tx, storage.Global(account))
		ok = a.PasswordPolicy != nil && a.PasswordPolicy.AllowChange
		return err
	})
	return ok, err
}

func noPasswordPolicy(account string) error {
	return iamapi.ErrNoSuchEntityException.New("The Password Policy with domain name %s cannot be found.", account)
}

func intIn(member string, v *int32, lo, hi, def int32) (int32, error) {
	if v == nil {
		return def, nil
	}
	switch {
	case *v < lo:
		return 0, validation("Value '%d' at '%s' failed to satisfy constraint: Member must have value greater than or equal to %d", *v, member, lo)
	case *v > hi:
		return 0, validation("Value '%d' at '%s' failed to satisfy constraint: Member must have value less than or equal to %d", *v, member, hi)
	}
	return *v, nil
}

// UpdateAccountPasswordPolicy replaces the policy: a member left out takes
// its default (IAM does not merge with the previous policy).
func (s *IAM) UpdateAccountPasswordPolicy(ctx *request.Context, in *iamapi.UpdateAccountPasswordPolicyInput) (*iamapi.UpdateAccountPasswordPolicyOutput, error) {
	minLen, err := intIn("minimumPasswordLength", in.MinimumPasswordLength, 6, 128, 6)
	if err != nil {
		return nil, err
	}
	maxAge, err := intIn("maxPasswordAge", in.MaxPasswordAge, 1, 1095, 0)
	if err != nil {
		return nil, err
	}
	reuse, err := intIn("passwordReusePrevention", in.PasswordReusePrevention, 1, 24, 0)
	if err != nil {
		return nil, err
	}
	p := &passwordPolicy{
		MinLength: minLen, Symbols: ptr.Deref(in.RequireSymbols), Numbers: ptr.Deref(in.RequireNumbers),
		Upper: ptr.Deref(in.RequireUppercaseCharacters), Lower: ptr.Deref(in.RequireLowercaseCharacters),
		AllowChange: ptr.Deref(in.AllowUsersToChangePassword), MaxAge: maxAge, ReusePrevented: reuse,
		HardExpiry: ptr.Deref(in.HardExpiry),
	}
	return empty[iamapi.UpdateAccountPasswordPolicyOutput](s.updateSettings(ctx, func(_ storage.Tx, _ storage.Scope, a *accountRecord) error {
		a.PasswordPolicy = p
		return nil
	}))
}

func (s *IAM) GetAccountPasswordPolicy(ctx *request.Context, _ *iamapi.GetAccountPasswordPolicyInput) (*iamapi.GetAccountPasswordPolicyOutput, error) {
	var a accountRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		a, err = getSettings(tx, scope(ctx))
		return err
	})
	if err != nil {
		return nil, err
	}
	p := a.PasswordPolicy
	if p == nil {
		return nil, noPasswordPolicy(ctx.Account)
	}
	out := &iamapi.PasswordPolicy{
		MinimumPasswordLength: ptr.To(p.MinLength), RequireSymbols: ptr.To(p.Symbols), RequireNumbers: ptr.To(p.Numbers),
		RequireUppercaseCharacters: ptr.To(p.Upper), RequireLowercaseCharacters: ptr.To(p.Lower),
		AllowUsersToChangePassword: ptr.To(p.AllowChange), ExpirePasswords: ptr.To(p.MaxAge > 0),
	}
	if p.MaxAge > 0 {
		out.MaxPasswordAge = ptr.To(p.MaxAge)
		out.HardExpiry = ptr.To(p.HardExpiry)
	}
	if p.ReusePrevented > 0 {
		out.PasswordReusePrevention = ptr.To(p.ReusePrevented)
	}
	return &iamapi.GetAccountPasswordPolicyOutput{PasswordPolicy: out}, nil
}

func (s *IAM) DeleteAccountPasswordPolicy(ctx *request.Context, _ *iamapi.DeleteAccountPasswordPolicyInput) (*iamapi.DeleteAccountPasswordPolicyOutput, error) {
	return empty[iamapi.DeleteAccountPasswordPolicyOutput](s.updateSettings(ctx, func(_ storage.Tx, _ storage.Scope, a *accountRecord) error {
		if a.PasswordPolicy == nil {
			return noPasswordPolicy(ctx.Account)
		}
		a.PasswordPolicy = nil
		return nil
	}))
}

func passwordViolation() error {
	return iamapi.ErrPasswordPolicyViolationException.New("Password does not conform to the account password policy.")
}

// checkPassword applies the account's policy to a new password for user
// u. Without a custom policy AWS's default applies: at least 8
// characters, of at least three of the four kinds (upper, lower, digit,
// symbol).
func checkPassword(p *passwordPolicy, password string, u *userRecord) error {
	var upper, lowerc, digit, symbol bool
	for _, c := range password {
		switch {
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lowerc = true
		case c >= '0' && c <= '9':
			digit = true
		case strings.ContainsRune(passwordSymbols, c):
			symbol = true
		}
	}
	n := int32(len([]rune(password)))
	if p == nil {
		kinds := 0
		for _, k := range []bool{upper, lowerc, digit, symbol} {
			if k {
				kinds++
			}
		}
		if n < 8 || kinds < 3 {
			return passwordViolation()
		}
		return nil
	}
	if n < p.MinLength || p.Symbols && !symbol || p.Numbers && !digit || p.Upper && !upper || p.Lower && !lowerc {
		return passwordViolation()
	}
	if p.ReusePrevented > 0 && u.Login != nil {
		prev := append([]passwordHash{{Salt: u.Login.Salt, Hash: u.Login.Hash}}, u.Login.History...)
		for i, h := range prev {
			if int32(i) >= p.ReusePrevented {
				break
			}
			if passwordMatches(h, password) {
				return passwordViolation()
			}
		}
	}
	return nil
}

func passwordMatches(h passwordHash, password string) bool {
	sum := sha256.Sum256(append(append([]byte(nil), h.Salt...), password...))
	return subtle.ConstantTimeCompare(sum[:], h.Hash) == 1
}

// setPassword records a new password, keeping the previous one in the
// history the reuse rule reads.
func setPassword(ctx *request.Context, l *loginProfile, password string) {
	if len(l.Hash) > 0 {
		l.History = append([]passwordHash{{Salt: l.Salt, Hash: l.Hash}}, l.History...)
		if len(l.History) > 24 {
			l.History = l.History[:24]
		}
	}
	l.Salt, l.Hash = hashPassword(password)
	l.ChangedDate = now(ctx)
}

// ChangePassword changes the calling IAM user's own console password.
func (s *IAM) ChangePassword(ctx *request.Context, in *iamapi.ChangePasswordInput) (*iamapi.ChangePasswordOutput, error) {
	oldPw, err := required("oldPassword", in.OldPassword)
	if err != nil {
		return nil, err
	}
	newPw, err := required("newPassword", in.NewPassword)
	if err != nil {
		return nil, err
	}
	a, ok := parseIAMARN(ctx.Caller.ARN)
	if !ok || a.Kind != "user" {
		return nil, iamapi.ErrInvalidUserTypeException.New("Only IAM Users can change their own password.")
	}
	return empty[iamapi.ChangePasswordOutput](s.updateUser(ctx, &a.Name, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		if u.Login == nil {
			return noSuchLoginProfile(u.Name)
		}
		if !passwordMatches(passwordHash{Salt: u.Login.Salt, Hash: u.Login.Hash}, oldPw) {
			return awserr.AccessDenied.New("The old password is incorrect.")
		}
		settings, err := getSettings(tx, sc)
		if err != nil {
			return err
		}
		if err := checkPassword(settings.PasswordPolicy, newPw, u); err != nil {
			return err
		}
		setPassword(ctx, u.Login, newPw)
		u.Login.PasswordResetRequired = false
		return nil
	}))
}
