package iam

import "github.com/niwa-cloud/niwa/internal/storage"

// A role record is stored in storage's binary form as a user record is
// (users_codec.go): the scalars tagged, the lists and the last use JSON
// inside the record when set; records stored as JSON are still read.
// Tags 1 and 2 are the name and the path (entityHead).
func (r *roleRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(1, r.Name)
	e.String(2, r.Path)
	e.String(3, r.ID)
	e.Time(4, r.CreateDate)
	e.String(5, r.TrustPolicy)
	e.String(6, r.Description)
	e.Int(7, int64(r.MaxSessionDuration))
	appendJSON(&e, 8, r.LastUsed != nil, r.LastUsed)
	e.String(9, r.Boundary)
	appendJSON(&e, 10, len(r.Tags) > 0, r.Tags)
	appendJSON(&e, 11, len(r.Attached) > 0, r.Attached)
	appendJSON(&e, 12, len(r.Inline) > 0, r.Inline)
	if len(r.InstanceProfiles) > 0 {
		e.Strings(13, r.InstanceProfiles)
	}
	return e.B
}

func (r *roleRecord) DecodeRecord(d *storage.Dec) error {
	*r = roleRecord{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			r.Name = d.String()
		case 2:
			r.Path = d.String()
		case 3:
			r.ID = d.String()
		case 4:
			r.CreateDate = d.Time()
		case 5:
			r.TrustPolicy = d.String()
		case 6:
			r.Description = d.String()
		case 7:
			r.MaxSessionDuration = int32(d.Int())
		case 8:
			d.JSON(&r.LastUsed)
		case 9:
			r.Boundary = d.String()
		case 10:
			d.JSON(&r.Tags)
		case 11:
			d.JSON(&r.Attached)
		case 12:
			d.JSON(&r.Inline)
		case 13:
			r.InstanceProfiles = d.Strings()
		default:
			d.Skip()
		}
	}
	return d.Err()
}
