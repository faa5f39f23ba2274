package iam

import "github.com/niwa-cloud/niwa/internal/storage"

// A user record is stored in storage's binary form (storage.BinaryRecord;
// records stored as JSON before it are still read): CreateUser encoded
// it with encoding/json's reflection on every call. The scalar fields
// have tags of their own; the lists and the login profile, empty for
// most users, are JSON inside the record when set (Enc.JSON), written as
// JSON's omitempty would (absent when empty) so that a record reads back
// as it did from JSON.
//
// Tags 1 and 2 are the name and the path in every entity record with a
// binary form: entityHead (authorization's read of an entity's ARN)
// reads only them.
func (u *userRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(1, u.Name)
	e.String(2, u.Path)
	e.String(3, u.ID)
	e.Time(4, u.CreateDate)
	e.TimePtr(5, u.PasswordLastUsed)
	e.String(6, u.Boundary)
	appendJSON(&e, 7, len(u.Tags) > 0, u.Tags)
	if len(u.Groups) > 0 {
		e.Strings(8, u.Groups)
	}
	appendJSON(&e, 9, len(u.Attached) > 0, u.Attached)
	appendJSON(&e, 10, len(u.Inline) > 0, u.Inline)
	appendJSON(&e, 11, u.Login != nil, u.Login)
	if len(u.MFA) > 0 {
		e.Strings(12, u.MFA)
	}
	appendJSON(&e, 13, len(u.SSHKeys) > 0, u.SSHKeys)
	appendJSON(&e, 14, len(u.SigningCerts) > 0, u.SigningCerts)
	appendJSON(&e, 15, len(u.ServiceCreds) > 0, u.ServiceCreds)
	return e.B
}

// appendJSON writes v as a JSON field when set. The values are plain
// data (strings, times, byte slices), which encoding/json cannot fail
// on.
func appendJSON(e *storage.Enc, tag int, set bool, v any) {
	if set {
		if err := e.JSON(tag, v); err != nil {
			panic("iam: encoding a user record: " + err.Error())
		}
	}
}

func (u *userRecord) DecodeRecord(d *storage.Dec) error {
	*u = userRecord{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			u.Name = d.String()
		case 2:
			u.Path = d.String()
		case 3:
			u.ID = d.String()
		case 4:
			u.CreateDate = d.Time()
		case 5:
			u.PasswordLastUsed = d.TimePtr()
		case 6:
			u.Boundary = d.String()
		case 7:
			d.JSON(&u.Tags)
		case 8:
			u.Groups = d.Strings()
		case 9:
			d.JSON(&u.Attached)
		case 10:
			d.JSON(&u.Inline)
		case 11:
			d.JSON(&u.Login)
		case 12:
			u.MFA = d.Strings()
		case 13:
			d.JSON(&u.SSHKeys)
		case 14:
			d.JSON(&u.SigningCerts)
		case 15:
			d.JSON(&u.ServiceCreds)
		default:
			d.Skip()
		}
	}
	return d.Err()
}

// entityHead reads the name and path of an entity record in either
// form. It is never stored: AppendRecord is there for the interface.
func (h *entityHead) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(1, h.Name)
	e.String(2, h.Path)
	return e.B
}

func (h *entityHead) DecodeRecord(d *storage.Dec) error {
	*h = entityHead{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			h.Name = d.String()
		case 2:
			h.Path = d.String()
		default:
			d.Skip()
		}
	}
	return d.Err()
}
