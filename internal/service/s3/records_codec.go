package s3

import (
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// objectRecord is stored in storage's binary record form (a write of an
// object record was a large share of a small PUT's encoding time and its
// JSON half of its bytes); records stored as JSON before are read as they
// are. Field numbers are forever: a removed field's number is never
// reused, a new field takes the next one.
var _ storage.BinaryRecord = (*objectRecord)(nil)

// AppendRecord implements storage.BinaryRecord.
func (r *objectRecord) AppendRecord(dst []byte) []byte {
	e := storage.Enc{B: dst}
	e.String(1, r.Key)
	e.String(2, r.VersionID)
	e.Int(3, r.Seq)
	e.Bool(4, r.DeleteMarker)
	e.Time(5, r.LastModified)
	e.Int(6, r.Size)
	e.String(7, r.ETag)
	for _, p := range r.Parts {
		e.Message(8, func(e *storage.Enc) {
			e.String(1, p.Blob)
			e.Int(2, p.Size)
			e.StringMap(3, p.Checksums)
		})
	}
	e.Int(9, int64(r.PartsCount))
	e.String(10, r.Owner)
	e.String(11, r.ContentType)
	e.String(12, r.CacheControl)
	e.String(13, r.Disposition)
	e.String(14, r.Encoding)
	e.String(15, r.Language)
	e.TimePtr(16, r.Expires)
	e.StringMap(17, r.Metadata)
	e.String(18, r.StorageClass)
	e.String(19, r.Redirect)
	e.String(20, r.SSE)
	e.String(21, r.KMSKeyID)
	e.Bool(22, r.BucketKey)
	e.String(23, r.SSECAlg)
	e.String(24, r.SSECKeyMD5)
	if r.Seal != nil {
		e.Message(25, func(e *storage.Enc) {
			e.Bytes(1, r.Seal.DataKey)
			e.StringMap(2, r.Seal.Context)
		})
	}
	e.StringMap(26, r.Checksums)
	for _, t := range r.Tags {
		e.Message(27, func(e *storage.Enc) {
			e.StringPtr(1, t.Key)
			e.StringPtr(2, t.Value)
		})
	}
	if r.ACL != nil {
		_ = e.JSON(28, r.ACL) // plain strings and pointers: cannot fail
	}
	e.String(29, r.LockMode)
	e.TimePtr(30, r.LockUntil)
	e.String(31, r.LegalHold)
	e.TimePtr(32, r.RestoreReady)
	e.TimePtr(33, r.RestoreExpiry)
	e.String(34, r.ReplicationStatus)
	e.String(35, r.UploadID)
	e.String(36, r.UploadParts)
	return e.B
}

// DecodeRecord implements storage.BinaryRecord.
func (r *objectRecord) DecodeRecord(d *storage.Dec) error {
	*r = objectRecord{}
	for d.Next() {
		switch d.Tag() {
		case 1:
			r.Key = d.String()
		case 2:
			r.VersionID = d.String()
		case 3:
			r.Seq = d.Int()
		case 4:
			r.DeleteMarker = d.Bool()
		case 5:
			r.LastModified = d.Time()
		case 6:
			r.Size = d.Int()
		case 7:
			r.ETag = d.String()
		case 8:
			var p blobPart
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						p.Blob = d.String()
					case 2:
						p.Size = d.Int()
					case 3:
						p.Checksums = d.StringMap()
					default:
						d.Skip()
					}
				}
			})
			r.Parts = append(r.Parts, p)
		case 9:
			r.PartsCount = int(d.Int())
		case 10:
			r.Owner = d.String()
		case 11:
			r.ContentType = d.String()
		case 12:
			r.CacheControl = d.String()
		case 13:
			r.Disposition = d.String()
		case 14:
			r.Encoding = d.String()
		case 15:
			r.Language = d.String()
		case 16:
			r.Expires = d.TimePtr()
		case 17:
			r.Metadata = d.StringMap()
		case 18:
			r.StorageClass = d.String()
		case 19:
			r.Redirect = d.String()
		case 20:
			r.SSE = d.String()
		case 21:
			r.KMSKeyID = d.String()
		case 22:
			r.BucketKey = d.Bool()
		case 23:
			r.SSECAlg = d.String()
		case 24:
			r.SSECKeyMD5 = d.String()
		case 25:
			r.Seal = &kmsSeal{}
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						r.Seal.DataKey = d.Bytes()
					case 2:
						r.Seal.Context = d.StringMap()
					default:
						d.Skip()
					}
				}
			})
		case 26:
			r.Checksums = d.StringMap()
		case 27:
			var t s3api.Tag
			d.Message(func(d *storage.Dec) {
				for d.Next() {
					switch d.Tag() {
					case 1:
						t.Key = d.StringPtr()
					case 2:
						t.Value = d.StringPtr()
					default:
						d.Skip()
					}
				}
			})
			r.Tags = append(r.Tags, t)
		case 28:
			r.ACL = &s3api.AccessControlPolicy{}
			d.JSON(r.ACL)
		case 29:
			r.LockMode = d.String()
		case 30:
			r.LockUntil = d.TimePtr()
		case 31:
			r.LegalHold = d.String()
		case 32:
			r.RestoreReady = d.TimePtr()
		case 33:
			r.RestoreExpiry = d.TimePtr()
		case 34:
			r.ReplicationStatus = d.String()
		case 35:
			r.UploadID = d.String()
		case 36:
			r.UploadParts = d.String()
		default:
			d.Skip()
		}
	}
	return d.Err()
}
