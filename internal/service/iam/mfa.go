package iam

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"slices"
	"time"

	"rsc.io/qr"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Virtual MFA devices. A device is a TOTP secret (RFC 6238: HMAC-SHA1,
// 30-second steps, 6 digits, as authenticator apps use); the codes are
// checked against niwa's clock, so tests move time with the injected
// clock instead of waiting. EnableMFADevice and ResyncMFADevice want two
// consecutive codes; STS (AssumeRole, GetSessionToken) checks one through
// VerifyMFACode.

type mfaRecord struct {
	Name       string     `json:"name"`
	Path       string     `json:"path"`
	Seed       []byte     `json:"seed"`
	CreateDate time.Time  `json:"created"`
	Tags       []tag      `json:"tags,omitempty"`
	Enabled    bool       `json:"enabled,omitempty"`
	User       string     `json:"user,omitempty"` // "" with Enabled: the root user
	EnableDate *time.Time `json:"enableDate,omitempty"`
	// LastStep is the last time step a code was accepted for: a code is
	// good once, as AWS refuses a replayed one.
	LastStep int64 `json:"lastStep,omitempty"`
}

const (
	totpStep = 30 * time.Second
	// totpWindow is how many steps either side of now a code may come
	// from: clocks drift, and AWS accepts codes a little old or early.
	totpWindow = 2
)

// totp is the RFC 6238 code of seed for time step n.
func totp(seed []byte, n int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(n))
	m := hmac.New(sha1.New, seed)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0xf
	v := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	return fmt.Sprintf("%06d", v%1000000)
}

func timeStep(t time.Time) int64 { return t.Unix() / int64(totpStep/time.Second) }

// matchCodes finds the step of code1 (followed by code2 in the next step,
// when code2 is not "") within the window around at; -1 when none.
func matchCodes(seed []byte, code1, code2 string, at time.Time, after int64) int64 {
	now := timeStep(at)
	for n := now - totpWindow; n <= now+totpWindow; n++ {
		if n <= after || totp(seed, n) != code1 {
			continue
		}
		if code2 == "" {
			return n
		}
		if totp(seed, n+1) == code2 {
			return n + 1
		}
	}
	return -1
}

func mfaSerial(account string, m *mfaRecord) string { return arnOf(account, "mfa", m.Path, m.Name) }

func noSuchMFA(serial string) error {
	return iamapi.ErrNoSuchEntityException.New("VirtualMFADevice with serial number %s doesn't exist.", serial)
}

func invalidCode() error {
	return iamapi.ErrInvalidAuthenticationCodeException.New("Authentication code for device is not valid.")
}

// mfaKey returns the table key of a serial number in this account.
func mfaKey(account, serial string) (string, bool) {
	a, ok := parseIAMARN(serial)
	if !ok || a.Kind != "mfa" || a.Account != account {
		return "", false
	}
	return lower(a.Name), true
}

func getMFA(tx storage.Tx, sc storage.Scope, account, serial string) (mfaRecord, error) {
	key, ok := mfaKey(account, serial)
	if !ok {
		return mfaRecord{}, noSuchMFA(serial)
	}
	m, found, err := mfaDevices.Get(tx, sc, key)
	if err != nil {
		return m, err
	}
	if !found {
		return m, noSuchMFA(serial)
	}
	return m, nil
}

func (s *IAM) CreateVirtualMFADevice(ctx *request.Context, in *iamapi.CreateVirtualMFADeviceInput) (*iamapi.CreateVirtualMFADeviceOutput, error) {
	name, err := required("virtualMFADeviceName", in.VirtualMFADeviceName)
	if err != nil {
		return nil, err
	}
	path, err := checkPath("path", in.Path)
	if err != nil {
		return nil, err
	}
	tags, err := readTags(in.Tags)
	if err != nil {
		return nil, err
	}
	seed := make([]byte, 20)
	if _, err := rand.Read(seed); err != nil {
		return nil, err
	}
	m := mfaRecord{Name: name, Path: path, Seed: seed, CreateDate: now(ctx), Tags: tags}
	sc := scope(ctx)
	err = s.store.Update(func(tx storage.Tx) error {
		if _, found, err := mfaDevices.Get(tx, sc, lower(name)); err != nil || found {
			if found {
				return iamapi.ErrEntityAlreadyExistsException.New("MFADevice entity at the same path and name already exists.")
			}
			return err
		}
		return mfaDevices.Put(tx, sc, m, lower(name))
	})
	if err != nil {
		return nil, err
	}
	serial := mfaSerial(ctx.Account, &m)
	secret := base32.StdEncoding.EncodeToString(seed)
	png, err := mfaQRCode(ctx.Account, name, secret)
	if err != nil {
		return nil, err
	}
	return &iamapi.CreateVirtualMFADeviceOutput{VirtualMFADevice: &iamapi.VirtualMFADevice{
		SerialNumber: ptr.To(serial), Base32StringSeed: []byte(secret), QRCodePNG: png, Tags: tagsOut(tags),
	}}, nil
}

// mfaQRCode is the otpauth:// URI authenticator apps scan, as a PNG QR
// code, labelled the way AWS labels it (Amazon Web Services:name@account).
func mfaQRCode(account, name, secret string) ([]byte, error) {
	uri := "otpauth://totp/" + url.PathEscape("Amazon Web Services:"+name+"@"+account) + "?secret=" + secret + "&issuer=" + url.QueryEscape("Amazon Web Services")
	code, err := qr.Encode(uri, qr.M)
	if err != nil {
		return nil, err
	}
	return code.PNG(), nil
}

func (s *IAM) EnableMFADevice(ctx *request.Context, in *iamapi.EnableMFADeviceInput) (*iamapi.EnableMFADeviceOutput, error) {
	serial, err := required("serialNumber", in.SerialNumber)
	if err != nil {
		return nil, err
	}
	c1, err := required("authenticationCode1", in.AuthenticationCode1)
	if err != nil {
		return nil, err
	}
	c2, err := required("authenticationCode2", in.AuthenticationCode2)
	if err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.EnableMFADeviceOutput](s.store.Update(func(tx storage.Tx) error {
		var u userRecord
		if user != "" {
			if u, err = getUser(tx, sc, user); err != nil {
				return err
			}
		}
		m, err := getMFA(tx, sc, ctx.Account, serial)
		if err != nil {
			return err
		}
		if m.Enabled {
			return iamapi.ErrEntityAlreadyExistsException.New("MFA Device is already in use.")
		}
		step := matchCodes(m.Seed, c1, c2, ctx.Now(), m.LastStep)
		if step < 0 {
			return invalidCode()
		}
		m.Enabled, m.User, m.LastStep, m.EnableDate = true, u.Name, step, ptr.To(now(ctx))
		if user == "" {
			a, err := getSettings(tx, sc)
			if err != nil {
				return err
			}
			if a.RootMFA != "" {
				return iamapi.ErrEntityAlreadyExistsException.New("MFA Device is already in use.")
			}
			a.RootMFA = m.Name
			if err := accountSettings.Put(tx, sc, a, settingsKey); err != nil {
				return err
			}
		} else {
			if len(u.MFA) >= 8 {
				return limitExceeded("Cannot exceed quota for MFADevicesPerUser: 8")
			}
			u.MFA = append(u.MFA, m.Name)
			if err := users.Put(tx, sc, u, lower(u.Name)); err != nil {
				return err
			}
		}
		return mfaDevices.Put(tx, sc, m, lower(m.Name))
	}))
}

// ResyncMFADevice accepts two consecutive codes again, moving the device's
// last used step.
func (s *IAM) ResyncMFADevice(ctx *request.Context, in *iamapi.ResyncMFADeviceInput) (*iamapi.ResyncMFADeviceOutput, error) {
	serial, err := required("serialNumber", in.SerialNumber)
	if err != nil {
		return nil, err
	}
	user, err := required("userName", in.UserName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.ResyncMFADeviceOutput](s.store.Update(func(tx storage.Tx) error {
		u, err := getUser(tx, sc, user)
		if err != nil {
			return err
		}
		m, err := getMFA(tx, sc, ctx.Account, serial)
		if err != nil {
			return err
		}
		if !m.Enabled || lower(m.User) != lower(u.Name) {
			return iamapi.ErrNoSuchEntityException.New("MFA Device with serial number %s not found for user %s.", serial, u.Name)
		}
		step := matchCodes(m.Seed, ptr.Deref(in.AuthenticationCode1), ptr.Deref(in.AuthenticationCode2), ctx.Now(), 0)
		if step < 0 {
			return invalidCode()
		}
		m.LastStep = step
		return mfaDevices.Put(tx, sc, m, lower(m.Name))
	}))
}

func (s *IAM) DeactivateMFADevice(ctx *request.Context, in *iamapi.DeactivateMFADeviceInput) (*iamapi.DeactivateMFADeviceOutput, error) {
	serial, err := required("serialNumber", in.SerialNumber)
	if err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeactivateMFADeviceOutput](s.store.Update(func(tx storage.Tx) error {
		m, err := getMFA(tx, sc, ctx.Account, serial)
		if err != nil {
			return err
		}
		if !m.Enabled || lower(m.User) != lower(user) {
			return iamapi.ErrNoSuchEntityException.New("MFA Device with serial number %s not found for user %s.", serial, user)
		}
		if user == "" {
			a, err := getSettings(tx, sc)
			if err != nil {
				return err
			}
			a.RootMFA = ""
			if err := accountSettings.Put(tx, sc, a, settingsKey); err != nil {
				return err
			}
		} else {
			u, err := getUser(tx, sc, user)
			if err != nil {
				return err
			}
			u.MFA = slices.DeleteFunc(u.MFA, func(n string) bool { return lower(n) == lower(m.Name) })
			if err := users.Put(tx, sc, u, lower(u.Name)); err != nil {
				return err
			}
		}
		m.Enabled, m.User, m.EnableDate = false, "", nil
		return mfaDevices.Put(tx, sc, m, lower(m.Name))
	}))
}

func (s *IAM) DeleteVirtualMFADevice(ctx *request.Context, in *iamapi.DeleteVirtualMFADeviceInput) (*iamapi.DeleteVirtualMFADeviceOutput, error) {
	serial, err := required("serialNumber", in.SerialNumber)
	if err != nil {
		return nil, err
	}
	sc := scope(ctx)
	return empty[iamapi.DeleteVirtualMFADeviceOutput](s.store.Update(func(tx storage.Tx) error {
		m, err := getMFA(tx, sc, ctx.Account, serial)
		if err != nil {
			return err
		}
		if m.Enabled {
			return deleteConflict("MFA VirtualDevice in use. Must deactivate first.")
		}
		return mfaDevices.Delete(tx, sc, lower(m.Name))
	}))
}

func (s *IAM) allMFA(ctx *request.Context) ([]mfaRecord, error) {
	var out []mfaRecord
	err := s.store.View(func(tx storage.Tx) error {
		return mfaDevices.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, m mfaRecord) bool {
			out = append(out, m)
			return true
		})
	})
	return out, err
}

// ListMFADevices lists the devices enabled for a user (the caller when
// UserName is omitted).
func (s *IAM) ListMFADevices(ctx *request.Context, in *iamapi.ListMFADevicesInput) (*iamapi.ListMFADevicesOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	user, err := callerUserName(ctx, in.UserName)
	if err != nil {
		return nil, err
	}
	if user != "" {
		if _, err := s.viewUser(ctx, &user); err != nil {
			return nil, err
		}
	}
	all, err := s.allMFA(ctx)
	if err != nil {
		return nil, err
	}
	var mine []mfaRecord
	for _, m := range all {
		if m.Enabled && lower(m.User) == lower(user) {
			mine = append(mine, m)
		}
	}
	start, end, res := p.sliceWindow(len(mine), func(i int) string { return lower(mine[i].Name) })
	out := &iamapi.ListMFADevicesOutput{MFADevices: []iamapi.MFADevice{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, m := range mine[start:end] {
		d := iamapi.MFADevice{SerialNumber: ptr.To(mfaSerial(ctx.Account, &m)), EnableDate: m.EnableDate}
		if m.User != "" {
			d.UserName = ptr.To(m.User)
		}
		out.MFADevices = append(out.MFADevices, d)
	}
	return out, nil
}

func (s *IAM) ListVirtualMFADevices(ctx *request.Context, in *iamapi.ListVirtualMFADevicesInput) (*iamapi.ListVirtualMFADevicesOutput, error) {
	p, err := newPage(in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	status := ptr.Deref(in.AssignmentStatus)
	all, err := s.allMFA(ctx)
	if err != nil {
		return nil, err
	}
	var list []mfaRecord
	for _, m := range all {
		if status == "Assigned" && !m.Enabled || status == "Unassigned" && m.Enabled {
			continue
		}
		list = append(list, m)
	}
	start, end, res := p.sliceWindow(len(list), func(i int) string { return lower(list[i].Name) })
	out := &iamapi.ListVirtualMFADevicesOutput{VirtualMFADevices: []iamapi.VirtualMFADevice{}, IsTruncated: res.IsTruncated, Marker: res.Marker}
	for _, m := range list[start:end] {
		d, err := s.virtualOut(ctx, &m)
		if err != nil {
			return nil, err
		}
		out.VirtualMFADevices = append(out.VirtualMFADevices, d)
	}
	return out, nil
}

func (s *IAM) virtualOut(ctx *request.Context, m *mfaRecord) (iamapi.VirtualMFADevice, error) {
	d := iamapi.VirtualMFADevice{SerialNumber: ptr.To(mfaSerial(ctx.Account, m)), EnableDate: m.EnableDate, Tags: tagsOut(m.Tags)}
	if m.Enabled {
		if m.User == "" {
			d.User = &iamapi.User{Arn: ptr.To(rootARN(ctx.Account)), UserId: ptr.To(ctx.Account), Path: ptr.To("/"), UserName: ptr.To(""), CreateDate: ptr.To(m.CreateDate)}
		} else {
			u, err := s.viewUser(ctx, &m.User)
			if err != nil {
				return d, err
			}
			o := userOut(ctx.Account, &u, false)
			d.User = &o
		}
	}
	return d, nil
}

func (s *IAM) GetMFADevice(ctx *request.Context, in *iamapi.GetMFADeviceInput) (*iamapi.GetMFADeviceOutput, error) {
	serial, err := required("serialNumber", in.SerialNumber)
	if err != nil {
		return nil, err
	}
	var m mfaRecord
	err = s.store.View(func(tx storage.Tx) error {
		m, err = getMFA(tx, scope(ctx), ctx.Account, serial)
		return err
	})
	if err != nil {
		return nil, err
	}
	if in.UserName != nil && (!m.Enabled || lower(m.User) != lower(*in.UserName)) {
		return nil, iamapi.ErrNoSuchEntityException.New("MFA Device with serial number %s not found for user %s.", serial, *in.UserName)
	}
	out := &iamapi.GetMFADeviceOutput{SerialNumber: ptr.To(serial), EnableDate: m.EnableDate}
	if m.Enabled && m.User != "" {
		out.UserName = ptr.To(m.User)
	}
	return out, nil
}

func (s *IAM) updateMFA(ctx *request.Context, serial *string, fn func(m *mfaRecord) error) error {
	sn, err := required("serialNumber", serial)
	if err != nil {
		return err
	}
	sc := scope(ctx)
	return s.store.Update(func(tx storage.Tx) error {
		m, err := getMFA(tx, sc, ctx.Account, sn)
		if err != nil {
			return err
		}
		if err := fn(&m); err != nil {
			return err
		}
		return mfaDevices.Put(tx, sc, m, lower(m.Name))
	})
}

func (s *IAM) TagMFADevice(ctx *request.Context, in *iamapi.TagMFADeviceInput) (*iamapi.TagMFADeviceOutput, error) {
	return empty[iamapi.TagMFADeviceOutput](s.updateMFA(ctx, in.SerialNumber, func(m *mfaRecord) error {
		t, err := mergeTags(m.Tags, in.Tags)
		m.Tags = t
		return err
	}))
}

func (s *IAM) UntagMFADevice(ctx *request.Context, in *iamapi.UntagMFADeviceInput) (*iamapi.UntagMFADeviceOutput, error) {
	return empty[iamapi.UntagMFADeviceOutput](s.updateMFA(ctx, in.SerialNumber, func(m *mfaRecord) error {
		m.Tags = removeTags(m.Tags, in.TagKeys)
		return nil
	}))
}

func (s *IAM) ListMFADeviceTags(ctx *request.Context, in *iamapi.ListMFADeviceTagsInput) (*iamapi.ListMFADeviceTagsOutput, error) {
	var tags []tag
	err := s.store.View(func(tx storage.Tx) error {
		m, err := getMFA(tx, scope(ctx), ctx.Account, ptr.Deref(in.SerialNumber))
		tags = m.Tags
		return err
	})
	if err != nil {
		return nil, err
	}
	list, res, err := pageTags(tags, in.Marker, in.MaxItems)
	if err != nil {
		return nil, err
	}
	return &iamapi.ListMFADeviceTagsOutput{Tags: list, IsTruncated: res.IsTruncated, Marker: res.Marker}, nil
}

// VerifyMFACode checks a one-time code of an enabled MFA device for STS:
// user is the IAM user the device is enabled for ("" for the root). A
// code is accepted once.
func (s *IAM) VerifyMFACode(account, serial, code string, at time.Time) (user string, ok bool, err error) {
	sc := storage.Global(account)
	err = s.store.Update(func(tx storage.Tx) error {
		m, err := getMFA(tx, sc, account, serial)
		if err != nil || !m.Enabled {
			return nil
		}
		step := matchCodes(m.Seed, code, "", at, m.LastStep)
		if step < 0 {
			return nil
		}
		m.LastStep = step
		user, ok = m.User, true
		return mfaDevices.Put(tx, sc, m, lower(m.Name))
	})
	return user, ok, err
}
