package s3

import (
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// objectAttributeNames are the values x-amz-object-attributes takes.
var objectAttributeNames = map[string]bool{"ETag": true, "Checksum": true, "ObjectParts": true, "StorageClass": true, "ObjectSize": true}

// parseObjectAttributes reads x-amz-object-attributes (a comma-separated
// list, possibly over several headers) as S3 does: at least one name, and
// only names S3 knows.
func parseObjectAttributes(vals []string) (map[string]bool, error) {
	want := map[string]bool{}
	for _, v := range vals {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if a == "" {
				continue
			}
			if !objectAttributeNames[a] {
				return nil, errInvalidArgument.New("Invalid attribute name specified.").With("ArgumentName", "x-amz-object-attributes").With("ArgumentValue", a)
			}
			want[a] = true
		}
	}
	if len(want) == 0 {
		return nil, errInvalidRequest.New("The x-amz-object-attributes header specifying the attributes to be retrieved is either missing or empty")
	}
	return want, nil
}

// GetObjectAttributes answers what x-amz-object-attributes asks for. The
// ETag is unquoted, as S3 answers it here alone. ObjectParts is present
// for multipart objects only, and lists the parts (with their checksums,
// paged by MaxParts and PartNumberMarker) only when the upload was made
// with a checksum algorithm, as on S3.
func (s *S3) GetObjectAttributes(ctx *request.Context, in *s3api.GetObjectAttributesInput) (*s3api.GetObjectAttributesOutput, error) {
	want, err := parseObjectAttributes(in.ObjectAttributes)
	if err != nil {
		return nil, err
	}
	o, err := s.conditionalRead(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5, conditions{})
	if err != nil {
		return nil, err
	}
	if err := s.checkObjectOwner(ctx, ptr.Deref(in.Bucket), o, "READ"); err != nil {
		return nil, err
	}
	out := &s3api.GetObjectAttributesOutput{LastModified: ptr.To(o.LastModified)}
	if o.VersionID != "" {
		out.VersionId = ptr.To(o.VersionID)
	}
	if want["ETag"] {
		out.ETag = ptr.To(strings.Trim(o.ETag, `"`))
	}
	if want["StorageClass"] {
		sc := o.StorageClass
		if sc == "" {
			sc = "STANDARD"
		}
		out.StorageClass = ptr.To(sc)
	}
	if want["ObjectSize"] {
		out.ObjectSize = ptr.To(o.Size)
	}
	if want["Checksum"] && len(o.Checksums) > 0 {
		c := &s3api.Checksum{}
		c.ChecksumCRC32, c.ChecksumCRC32C, c.ChecksumSHA1, c.ChecksumSHA256, c.ChecksumCRC64NVME = checksumPtrs(o.Checksums)
		out.Checksum = c
	}
	if want["ObjectParts"] && o.PartsCount > 0 {
		out.ObjectParts = objectParts(o, in.MaxParts, in.PartNumberMarker)
	}
	return out, nil
}

func objectParts(o objectRecord, maxParts, marker *int32) *s3api.GetObjectAttributesParts {
	op := &s3api.GetObjectAttributesParts{TotalPartsCount: ptr.To(int32(o.PartsCount))}
	listed := false
	for _, p := range o.Parts {
		listed = listed || len(p.Checksums) > 0
	}
	if !listed {
		return op
	}
	limit := int32(1000)
	if maxParts != nil && *maxParts >= 0 && *maxParts < limit {
		limit = *maxParts
	}
	after := ptr.Deref(marker)
	op.MaxParts, op.PartNumberMarker, op.IsTruncated = ptr.To(limit), ptr.To(after), ptr.To(false)
	op.Parts = []s3api.ObjectPart{}
	for i, p := range o.Parts {
		n := int32(i + 1)
		if n <= after {
			continue
		}
		if int32(len(op.Parts)) == limit {
			op.IsTruncated = ptr.To(true)
			break
		}
		part := s3api.ObjectPart{PartNumber: ptr.To(n), Size: ptr.To(p.Size)}
		part.ChecksumCRC32, part.ChecksumCRC32C, part.ChecksumSHA1, part.ChecksumSHA256, part.ChecksumCRC64NVME = checksumPtrs(p.Checksums)
		op.Parts = append(op.Parts, part)
		op.NextPartNumberMarker = ptr.To(n)
	}
	return op
}

// partChecksums is what a completed object keeps of a part's checksums:
// those of an upload created with a checksum algorithm (composite
// checksums; S3 lists parts only for those).
func partChecksums(algorithm string, p partRecord) map[string]string {
	if algorithm == "" || strings.EqualFold(algorithm, "CRC64NVME") {
		return nil
	}
	return p.Checksums
}
