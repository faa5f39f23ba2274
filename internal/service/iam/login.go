package iam

import (
	"crypto/rand"
	"crypto/sha256"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Login profiles (console passwords). niwa has no console, but tools create
// and delete login profiles, and DeleteUser must refuse while one exists.
// The password is kept only as a salted hash.

func hashPassword(password string) (salt, hash []byte) {
	salt = make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		panic("iam: crypto/rand failed: " + err.Error())
	}
	h := sha256.Sum256(append(append([]byte(nil), salt...), password...))
	return salt, h[:]
}

func noSuchLoginProfile(user string) error {
	return iamapi.ErrNoSuchEntityException.New("Login Profile for User %s cannot be found.", user)
}

func loginOut(u *userRecord) *iamapi.LoginProfile {
	return &iamapi.LoginProfile{
		UserName:              ptr.To(u.Name),
		CreateDate:            ptr.To(u.Login.CreateDate),
		PasswordResetRequired: ptr.To(u.Login.PasswordResetRequired),
	}
}

func (s *IAM) CreateLoginProfile(ctx *request.Context, in *iamapi.CreateLoginProfileInput) (*iamapi.CreateLoginProfileOutput, error) {
	password, err := required("password", in.Password)
	if err != nil {
		return nil, err
	}
	var out *iamapi.LoginProfile
	err = s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		if u.Login != nil {
			return iamapi.ErrEntityAlreadyExistsException.New("Login Profile for user %s already exists.", u.Name)
		}
		settings, err := getSettings(tx, sc)
		if err != nil {
			return err
		}
		if err := checkPassword(settings.PasswordPolicy, password, u); err != nil {
			return err
		}
		u.Login = &loginProfile{
			CreateDate:            now(ctx),
			PasswordResetRequired: in.PasswordResetRequired != nil && *in.PasswordResetRequired,
		}
		setPassword(ctx, u.Login, password)
		out = loginOut(u)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateLoginProfileOutput{LoginProfile: out}, nil
}

func (s *IAM) GetLoginProfile(ctx *request.Context, in *iamapi.GetLoginProfileInput) (*iamapi.GetLoginProfileOutput, error) {
	u, err := s.viewUser(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if u.Login == nil {
		return nil, noSuchLoginProfile(u.Name)
	}
	return &iamapi.GetLoginProfileOutput{LoginProfile: loginOut(&u)}, nil
}

func (s *IAM) UpdateLoginProfile(ctx *request.Context, in *iamapi.UpdateLoginProfileInput) (*iamapi.UpdateLoginProfileOutput, error) {
	return empty[iamapi.UpdateLoginProfileOutput](s.updateUser(ctx, in.UserName, func(tx storage.Tx, sc storage.Scope, u *userRecord) error {
		if u.Login == nil {
			return noSuchLoginProfile(u.Name)
		}
		if in.Password != nil {
			settings, err := getSettings(tx, sc)
			if err != nil {
				return err
			}
			if err := checkPassword(settings.PasswordPolicy, *in.Password, u); err != nil {
				return err
			}
			setPassword(ctx, u.Login, *in.Password)
		}
		if in.PasswordResetRequired != nil {
			u.Login.PasswordResetRequired = *in.PasswordResetRequired
		}
		return nil
	}))
}

func (s *IAM) DeleteLoginProfile(ctx *request.Context, in *iamapi.DeleteLoginProfileInput) (*iamapi.DeleteLoginProfileOutput, error) {
	return empty[iamapi.DeleteLoginProfileOutput](s.updateUser(ctx, in.UserName, func(_ storage.Tx, _ storage.Scope, u *userRecord) error {
		if u.Login == nil {
			return noSuchLoginProfile(u.Name)
		}
		u.Login = nil
		return nil
	}))
}
