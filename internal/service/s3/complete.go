package s3

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// listedChecksums are the checksums a CompleteMultipartUpload part (or
// the request's headers) names, by algorithm.
func listedChecksums(crc32, crc32c, crc64, sha1, sha256 *string) map[string]string {
	out := map[string]string{}
	for alg, v := range map[string]*string{"CRC32": crc32, "CRC32C": crc32c, "CRC64NVME": crc64, "SHA1": sha1, "SHA256": sha256} {
		if ptr.Deref(v) != "" {
			out[alg] = *v
		}
	}
	return out
}

// checkPartChecksum holds a listed part to the checksums of an upload
// created with a checksum algorithm, as S3 does: a part listed with
// another algorithm's checksum or a checksum that is not the part's is
// InvalidPart; a part of a composite upload listed without its checksum
// is InvalidRequest. Uploads without an algorithm check nothing here.
func checkPartChecksum(u uploadRecord, cp s3api.CompletedPart, p partRecord) error {
	alg := strings.ToUpper(u.Algorithm)
	if alg == "" {
		return nil
	}
	given := listedChecksums(cp.ChecksumCRC32, cp.ChecksumCRC32C, cp.ChecksumCRC64NVME, cp.ChecksumSHA1, cp.ChecksumSHA256)
	invalid := errInvalidPart.New("One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.").
		With("UploadId", u.UploadID).With("PartNumber", strconv.Itoa(int(p.Number))).With("ETag", strings.Trim(ptr.Deref(cp.ETag), `"`))
	for a := range given {
		if a != alg {
			return invalid
		}
	}
	v, ok := given[alg]
	if !ok {
		if alg == string(checksum.CRC64NVME) {
			return nil // a full-object checksum: the parts' are not listed
		}
		return errInvalidRequest.New("The upload was created using a %s checksum. The complete request must include the checksum for each part. It was missing for part %d in the request.", strings.ToLower(alg), p.Number)
	}
	if stored, ok := p.Checksums[alg]; ok && stored != v {
		return invalid
	}
	return nil
}

// checkObjectChecksum holds the checksum headers of a
// CompleteMultipartUpload request to the object's checksum: another
// algorithm than the upload's is InvalidRequest, another value
// BadDigest. A composite checksum may be given with or without its
// "-<parts>" suffix.
func checkObjectChecksum(u uploadRecord, in *s3api.CompleteMultipartUploadInput, o objectRecord) error {
	alg := strings.ToUpper(u.Algorithm)
	given := listedChecksums(in.ChecksumCRC32, in.ChecksumCRC32C, in.ChecksumCRC64NVME, in.ChecksumSHA1, in.ChecksumSHA256)
	if alg == "" || len(given) == 0 {
		return nil
	}
	for a, v := range given {
		if a != alg {
			return errInvalidRequest.New("Checksum Type mismatch occurred, expected checksum Type: %s, actual checksum Type: %s", strings.ToLower(alg), strings.ToLower(a))
		}
		sum, ok := o.Checksums[alg]
		if !ok {
			continue // parts uploaded without checksums: nothing to compare
		}
		base, _, _ := strings.Cut(sum, "-")
		if v != sum && v != base {
			return errBadDigest.New("The %s you specified did not match the calculated checksum.", alg)
		}
	}
	return nil
}

// partsDigest identifies the list of parts a CompleteMultipartUpload
// named, so that the same request repeated can be answered again.
func partsDigest(parts []s3api.CompletedPart) string {
	h := sha256.New()
	for _, cp := range parts {
		h.Write([]byte(strconv.Itoa(int(ptr.Deref(cp.PartNumber))) + ":" + strings.Trim(ptr.Deref(cp.ETag), `"`) + "\n"))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// completedAgain is the object a repeated CompleteMultipartUpload of an
// upload that completed already made: S3 answers the request again, as
// before, while the key's current version is that upload's object and
// the request lists the same parts (a client retrying a Complete whose
// answer it lost). Otherwise ok is false and the upload does not exist.
func (s *S3) completedAgain(bucket, key, id string, parts []s3api.CompletedPart) (o objectRecord, ok bool, err error) {
	err = s.store.View(func(tx storage.Tx) error {
		cur, found, err := objects.Get(tx, globalScope(), bucket, key)
		if err != nil || !found {
			return err
		}
		ok = !cur.DeleteMarker && cur.UploadID == id && cur.UploadParts == partsDigest(parts)
		o = cur
		return nil
	})
	return o, ok, err
}
