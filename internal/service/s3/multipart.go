package s3

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// minPartSize is the smallest part but the last (5 MiB).
const minPartSize = 5 << 20

func partKey(n int32) string { return fmt.Sprintf("%05d", n) }

// getUpload reads an upload in progress for key.
func getUpload(tx storage.Tx, bucket, key, id string) (uploadRecord, error) {
	if _, err := getBucket(tx, bucket); err != nil {
		return uploadRecord{}, err
	}
	u, ok, err := uploads.Get(tx, globalScope(), bucket, id)
	if err != nil {
		return u, err
	}
	if !ok || u.Key != key {
		return u, noSuchUpload(id)
	}
	return u, nil
}

// dropUpload deletes an upload and its parts' records and blobs.
func (s *S3) dropUpload(tx storage.Tx, bucket, id string) error {
	var blobs []blobPart
	var keys []string
	err := parts.List(tx, globalScope(), []string{bucket, id}, storage.ListOptions{}, func(k []string, p partRecord) bool {
		keys = append(keys, k[2])
		blobs = append(blobs, blobPart{Blob: p.Blob, Size: p.Size})
		return true
	})
	if err != nil {
		return err
	}
	for _, k := range keys {
		if err := parts.Delete(tx, globalScope(), bucket, id, k); err != nil {
			return err
		}
	}
	s.deleteBlobs(blobs) // blobs stay readable by open readers
	return uploads.Delete(tx, globalScope(), bucket, id)
}

func (s *S3) CreateMultipartUpload(ctx *request.Context, in *s3api.CreateMultipartUploadInput) (*s3api.CreateMultipartUploadOutput, error) {
	name, key := ptr.Deref(in.Bucket), ptr.Deref(in.Key)
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	tmpl := objectRecord{Key: key, Owner: objectOwner(ctx, b, in.ACL)}
	err = applyHeaders(ctx, b, &tmpl, objectHeaders{
		ContentType: in.ContentType, CacheControl: in.CacheControl, Disposition: in.ContentDisposition,
		Encoding: in.ContentEncoding, Language: in.ContentLanguage, Expires: in.Expires, Metadata: in.Metadata,
		StorageClass: in.StorageClass, Redirect: in.WebsiteRedirectLocation, SSE: in.ServerSideEncryption,
		KMSKeyID: in.SSEKMSKeyId, BucketKey: in.BucketKeyEnabled, SSECAlg: in.SSECustomerAlgorithm,
		SSECKey: in.SSECustomerKey, SSECKeyMD5: in.SSECustomerKeyMD5, Tagging: in.Tagging,
	})
	if err != nil {
		return nil, err
	}
	if err := applyObjectLock(ctx, b, &tmpl, objectLockHeaders{Mode: in.ObjectLockMode, Until: in.ObjectLockRetainUntilDate, LegalHold: in.ObjectLockLegalHoldStatus}); err != nil {
		return nil, err
	}
	// The upload's data key is made now; every part is sealed with it.
	if _, err := s.sealNew(ctx, b, &tmpl, in.SSEKMSEncryptionContext); err != nil {
		return nil, err
	}
	if tmpl.ACL, err = writeACL(b, tmpl.Owner, in.ACL, grantHeaders{FullControl: in.GrantFullControl, Read: in.GrantRead, ReadACP: in.GrantReadACP, WriteACP: in.GrantWriteACP}); err != nil {
		return nil, err
	}
	u := uploadRecord{UploadID: base64.RawURLEncoding.EncodeToString([]byte(awsid.Hex(48))), Key: key,
		Initiated: ctx.Now().UTC().Truncate(time.Second), Owner: tmpl.Owner, Template: tmpl, Algorithm: ptr.Deref(in.ChecksumAlgorithm),
		Seq: s.nextSeq(ctx.Now())}
	err = s.store.Update(func(tx storage.Tx) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		return uploads.Put(tx, globalScope(), u, name, u.UploadID)
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.CreateMultipartUploadOutput{Bucket: ptr.To(name), Key: ptr.To(key), UploadId: ptr.To(u.UploadID)}
	var calg, cmd5 *string
	setSSE(tmpl, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &calg, &cmd5)
	if in.SSEKMSEncryptionContext != nil {
		out.SSEKMSEncryptionContext = sealContext(tmpl)
	}
	if u.Algorithm != "" {
		out.ChecksumAlgorithm = ptr.To(u.Algorithm)
	}
	return out, nil
}

func checkPartNumber(n *int32) error {
	if n == nil || *n < 1 || *n > 10000 {
		v := ""
		if n != nil {
			v = strconv.Itoa(int(*n))
		}
		return errInvalidArgument.New("Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber").With("ArgumentValue", v)
	}
	return nil
}

// putPart stores a part record, replacing (and freeing) an earlier upload
// of the same part number.
func (s *S3) putPart(bucket, key, id string, p partRecord) error {
	var old *partRecord
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := getUpload(tx, bucket, key, id); err != nil {
			return err
		}
		prev, ok, err := parts.Get(tx, globalScope(), bucket, id, partKey(p.Number))
		if err != nil {
			return err
		}
		if ok {
			old = &prev
		}
		return parts.Put(tx, globalScope(), p, bucket, id, partKey(p.Number))
	})
	if err == nil && old != nil {
		_ = s.blobs.Delete(old.Blob)
	}
	return err
}

func (s *S3) UploadPart(ctx *request.Context, in *s3api.UploadPartInput) (*s3api.UploadPartOutput, error) {
	name, key, id := ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.UploadId)
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	var u uploadRecord
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		u, err = getUpload(tx, name, key, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	if err := checkPartSSEC(u.Template, in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5); err != nil {
		return nil, err
	}
	if err := s.checkPartIntegrity(ctx, name, u.Template, in.ContentMD5); err != nil {
		return nil, err
	}
	// An SSE-KMS upload's parts need its data key: the uploader must be
	// allowed kms:Decrypt, as on AWS.
	blobs, err := s.blobsOf(ctx, u.Template)
	if err != nil {
		return nil, err
	}
	st, err := s.writeBodyTo(blobs, in.Body, ctx.HTTP.Header, in.ContentMD5, ptr.Deref(in.ChecksumAlgorithm), maxObjectSize)
	if err != nil {
		return nil, err
	}
	p := partRecord{Number: *in.PartNumber, ETag: quoteETag(st.md5[:]), MD5: hex.EncodeToString(st.md5[:]), Size: st.part.Size,
		Blob: st.part.Blob, LastModified: ctx.Now().UTC().Truncate(time.Second), Checksums: st.checksums}
	if err := s.putPart(name, key, id, p); err != nil {
		_ = s.blobs.Delete(st.part.Blob)
		return nil, err
	}
	out := &s3api.UploadPartOutput{ETag: ptr.To(p.ETag)}
	var calg, cmd5 *string
	setSSE(u.Template, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &calg, &cmd5)
	out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumSHA1, out.ChecksumSHA256, out.ChecksumCRC64NVME = checksumPtrs(p.Checksums)
	return out, nil
}

func (s *S3) UploadPartCopy(ctx *request.Context, in *s3api.UploadPartCopyInput) (*s3api.UploadPartCopyOutput, error) {
	name, key, id := ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.UploadId)
	if err := checkPartNumber(in.PartNumber); err != nil {
		return nil, err
	}
	srcBucket, srcKey, srcVersion, err := parseCopySource(ptr.Deref(in.CopySource))
	if err != nil {
		return nil, err
	}
	var u uploadRecord
	err = s.store.View(func(tx storage.Tx) error {
		var err error
		u, err = getUpload(tx, name, key, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	src, err := s.readable(srcBucket, srcKey, srcVersion)
	if err != nil {
		return nil, err
	}
	if err := s.checkObjectOwner(ctx, srcBucket, src, "READ"); err != nil {
		return nil, err
	}
	if err := (conditions{in.CopySourceIfMatch, in.CopySourceIfNoneMatch, in.CopySourceIfModifiedSince, in.CopySourceIfUnmodifiedSince}).check(src, true); err != nil {
		return nil, err
	}
	if err := checkReadable(src, ctx.Now()); err != nil {
		return nil, err
	}
	start, n := int64(0), src.Size
	if in.CopySourceRange != nil {
		if start, n, err = parseCopySourceRange(*in.CopySourceRange, src.Size); err != nil {
			return nil, err
		}
	}
	srcBlobs, err := s.blobsOf(ctx, src)
	if err != nil {
		return nil, err
	}
	dstBlobs, err := s.blobsOf(ctx, u.Template)
	if err != nil {
		return nil, err
	}
	part, err := s.copyBody(dstBlobs, srcBlobs, src.Parts, start, n)
	if err != nil {
		return nil, err
	}
	etag, err := s.md5ETag(dstBlobs, part)
	if err != nil {
		_ = s.blobs.Delete(part.Blob)
		return nil, err
	}
	p := partRecord{Number: *in.PartNumber, ETag: etag, MD5: strings.Trim(etag, `"`), Size: part.Size, Blob: part.Blob,
		LastModified: ctx.Now().UTC().Truncate(time.Second)}
	if err := s.putPart(name, key, id, p); err != nil {
		_ = s.blobs.Delete(part.Blob)
		return nil, err
	}
	out := &s3api.UploadPartCopyOutput{CopyPartResult: &s3api.CopyPartResult{ETag: ptr.To(p.ETag), LastModified: ptr.To(p.LastModified)}}
	if src.VersionID != "" {
		out.CopySourceVersionId = ptr.To(src.VersionID)
	}
	var calg, cmd5 *string
	setSSE(u.Template, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &calg, &cmd5)
	return out, nil
}

func (s *S3) CompleteMultipartUpload(ctx *request.Context, in *s3api.CompleteMultipartUploadInput) (*s3api.CompleteMultipartUploadOutput, error) {
	name, key, id := ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.UploadId)
	if in.MultipartUpload == nil || len(in.MultipartUpload.Parts) == 0 {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	cond := writeCond{ifMatch: in.IfMatch, ifNoneMatch: in.IfNoneMatch}
	if err := cond.validate(); err != nil {
		return nil, err
	}
	// A full-object checksum of an SSE-KMS upload reads its parts with
	// the upload's data key, decrypted before the transaction.
	partBlobs, err := s.uploadBlobs(ctx, name, key, id)
	if err != nil {
		return nil, err
	}
	var o objectRecord
	var b bucketRecord
	var garbage []blobPart
	seq := s.nextSeq(ctx.Now())
	err = s.store.Update(func(tx storage.Tx) error {
		var err error
		if b, err = getBucket(tx, name); err != nil {
			return err
		}
		u, err := getUpload(tx, name, key, id)
		if err != nil {
			return err
		}
		if cond.active() {
			// A write to the key since the upload was created is the
			// conflicting operation S3 answers 409 for.
			cond.since = u.Seq
			cur, ok, err := objects.Get(tx, globalScope(), name, key)
			if err != nil {
				return err
			}
			if err := cond.check(key, cur, ok); err != nil {
				return err
			}
		}
		stored := map[int32]partRecord{}
		if err := parts.List(tx, globalScope(), []string{name, id}, storage.ListOptions{}, func(_ []string, p partRecord) bool {
			stored[p.Number] = p
			return true
		}); err != nil {
			return err
		}
		o = u.Template
		o.LastModified = ctx.Now().UTC().Truncate(time.Second)
		o.Seq = seq
		m := md5.New()
		used := map[int32]bool{}
		last := int32(0)
		for _, cp := range in.MultipartUpload.Parts {
			n := ptr.Deref(cp.PartNumber)
			if n <= last {
				return errInvalidPartOrder.New("The list of parts was not in ascending order. Parts must be ordered by part number.").With("UploadId", id)
			}
			last = n
		}
		for i, cp := range in.MultipartUpload.Parts {
			n := ptr.Deref(cp.PartNumber)
			p, ok := stored[n]
			if !ok || strings.Trim(ptr.Deref(cp.ETag), `"`) != strings.Trim(p.ETag, `"`) {
				return errInvalidPart.New("One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not have matched the part's entity tag.").
					With("UploadId", id).With("PartNumber", strconv.Itoa(int(n))).With("ETag", ptr.Deref(cp.ETag))
			}
			if err := checkPartChecksum(u, cp, p); err != nil {
				return err
			}
			if i < len(in.MultipartUpload.Parts)-1 && p.Size < minPartSize {
				return errEntityTooSmall.New("Your proposed upload is smaller than the minimum allowed size").
					With("UploadId", id).With("PartNumber", strconv.Itoa(int(n))).With("ProposedSize", p.Size).With("MinSizeAllowed", minPartSize).With("ETag", p.ETag)
			}
			raw, _ := hex.DecodeString(p.MD5)
			m.Write(raw)
			o.Parts = append(o.Parts, blobPart{Blob: p.Blob, Size: p.Size, Checksums: partChecksums(u.Algorithm, p)})
			o.Size += p.Size
			used[n] = true
		}
		o.PartsCount = len(o.Parts)
		o.ETag = fmt.Sprintf(`"%s-%d"`, hex.EncodeToString(m.Sum(nil)), len(o.Parts))
		if u.Algorithm != "" {
			// Composite checksum of the part checksums, as S3 does.
			if a := strings.ToUpper(u.Algorithm); a == string(checksum.CRC64NVME) {
				// CRC64NVME only has full-object checksums on S3.
				if sum, err := s.fullChecksum(partBlobs, o.Parts, o.Size, checksum.CRC64NVME); err == nil {
					o.Checksums = map[string]string{a: sum}
				}
			} else if a != "" {
				if sum, ok := compositeChecksum(a, in.MultipartUpload.Parts, stored); ok {
					o.Checksums = map[string]string{a: sum}
				}
			}
		}
		if err := checkObjectChecksum(u, in, o); err != nil {
			return err
		}
		o.UploadID, o.UploadParts = id, partsDigest(in.MultipartUpload.Parts)
		// Parts uploaded but not listed are freed.
		for n, p := range stored {
			if !used[n] {
				garbage = append(garbage, blobPart{Blob: p.Blob, Size: p.Size})
			}
			if err := parts.Delete(tx, globalScope(), name, id, partKey(n)); err != nil {
				return err
			}
		}
		if err := uploads.Delete(tx, globalScope(), name, id); err != nil {
			return err
		}
		g, err := commitObject(tx, b, &o)
		garbage = append(garbage, g...)
		return err
	})
	again := false
	if e := (*awserr.Error)(nil); errors.As(err, &e) && e.Code == s3api.ErrNoSuchUpload {
		// The same request repeated after it completed the upload.
		var done objectRecord
		var cerr error
		if done, again, cerr = s.completedAgain(name, key, id, in.MultipartUpload.Parts); cerr != nil {
			return nil, cerr
		} else if again {
			o, err = done, nil
		}
	}
	if err != nil {
		return nil, err
	}
	s.deleteBlobs(garbage)
	if !again {
		s.notify(ctx, b, "ObjectCreated:CompleteMultipartUpload", o)
	}
	out := &s3api.CompleteMultipartUploadOutput{Location: ptr.To(fmt.Sprintf("http://%s.s3.%s/%s", name, s.opts.HostSuffix, key)),
		Bucket: ptr.To(name), Key: ptr.To(key), ETag: ptr.To(o.ETag)}
	var calg, cmd5 *string
	setSSE(o, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &calg, &cmd5)
	out.VersionId = writtenVersion(o.VersionID)
	out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumSHA1, out.ChecksumSHA256, out.ChecksumCRC64NVME = checksumPtrs(o.Checksums)
	if len(o.Checksums) > 0 {
		// CRC64NVME is a full-object checksum; the others are checksums of
		// the parts' checksums.
		out.ChecksumType = ptr.To("COMPOSITE")
		if _, ok := o.Checksums[string(checksum.CRC64NVME)]; ok {
			out.ChecksumType = ptr.To("FULL_OBJECT")
		}
	}
	out.Expiration = s.expirationHeader(name, o)
	return out, nil
}

// compositeChecksum is S3's checksum of checksums ("<base64>-<n>").
func compositeChecksum(alg string, listed []s3api.CompletedPart, stored map[int32]partRecord) (string, bool) {
	a, ok := parseAlg(alg)
	if !ok {
		return "", false
	}
	h := newHash(a)
	for _, cp := range listed {
		v, ok := stored[ptr.Deref(cp.PartNumber)].Checksums[alg]
		if !ok {
			return "", false
		}
		raw, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			return "", false
		}
		h.Write(raw)
	}
	return base64.StdEncoding.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(len(listed)), true
}

func (s *S3) AbortMultipartUpload(ctx *request.Context, in *s3api.AbortMultipartUploadInput) (*s3api.AbortMultipartUploadOutput, error) {
	name, key, id := ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.UploadId)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := getUpload(tx, name, key, id); err != nil {
			return err
		}
		return s.dropUpload(tx, name, id)
	})
	if err != nil {
		return nil, err
	}
	return &s3api.AbortMultipartUploadOutput{}, nil
}

func (s *S3) ListParts(ctx *request.Context, in *s3api.ListPartsInput) (*s3api.ListPartsOutput, error) {
	name, key, id := ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.UploadId)
	max := 1000
	if in.MaxParts != nil && *in.MaxParts >= 0 && *in.MaxParts < 1000 {
		max = int(*in.MaxParts)
	}
	marker := ptr.Deref(in.PartNumberMarker)
	var u uploadRecord
	var ps []partRecord
	truncated := false
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if u, err = getUpload(tx, name, key, id); err != nil {
			return err
		}
		return parts.List(tx, globalScope(), []string{name, id}, storage.ListOptions{}, func(_ []string, p partRecord) bool {
			if p.Number <= marker {
				return true
			}
			if len(ps) == max {
				truncated = true
				return false
			}
			ps = append(ps, p)
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.ListPartsOutput{Bucket: ptr.To(name), Key: ptr.To(key), UploadId: ptr.To(id), PartNumberMarker: ptr.To(marker),
		MaxParts: ptr.To(int32(max)), IsTruncated: ptr.To(truncated), Initiator: &s3api.Initiator{ID: ptr.To(canonicalID(u.Owner)), DisplayName: ptr.To(displayName)},
		Owner: owner(u.Owner), StorageClass: ptr.To(storageClass(u.Template))}
	if u.Algorithm != "" {
		out.ChecksumAlgorithm = ptr.To(u.Algorithm)
	}
	for _, p := range ps {
		part := s3api.Part{PartNumber: ptr.To(p.Number), LastModified: ptr.To(p.LastModified), ETag: ptr.To(p.ETag), Size: ptr.To(p.Size)}
		part.ChecksumCRC32, part.ChecksumCRC32C, part.ChecksumSHA1, part.ChecksumSHA256, part.ChecksumCRC64NVME = checksumPtrs(p.Checksums)
		out.Parts = append(out.Parts, part)
	}
	if len(ps) > 0 {
		out.NextPartNumberMarker = ptr.To(ps[len(ps)-1].Number)
	}
	return out, nil
}

func (s *S3) ListMultipartUploads(ctx *request.Context, in *s3api.ListMultipartUploadsInput) (*s3api.ListMultipartUploadsOutput, error) {
	name, prefix, delim := ptr.Deref(in.Bucket), ptr.Deref(in.Prefix), ptr.Deref(in.Delimiter)
	urlEnc, err := encodingType(in.EncodingType)
	if err != nil {
		return nil, err
	}
	max := 1000
	if in.MaxUploads != nil && *in.MaxUploads >= 0 && *in.MaxUploads < 1000 {
		max = int(*in.MaxUploads)
	}
	var all []uploadRecord
	err = s.store.View(func(tx storage.Tx) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		return uploads.List(tx, globalScope(), []string{name}, storage.ListOptions{}, func(_ []string, u uploadRecord) bool {
			if strings.HasPrefix(u.Key, prefix) {
				all = append(all, u)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].Key != all[j].Key {
			return all[i].Key < all[j].Key
		}
		return all[i].Initiated.Before(all[j].Initiated)
	})
	km, um := ptr.Deref(in.KeyMarker), ptr.Deref(in.UploadIdMarker)
	out := &s3api.ListMultipartUploadsOutput{Bucket: ptr.To(name), Prefix: encodeKey(prefix, urlEnc), MaxUploads: ptr.To(int32(max)),
		KeyMarker: encodeKey(km, urlEnc), UploadIdMarker: ptr.To(um), EncodingType: in.EncodingType}
	if delim != "" {
		out.Delimiter = encodeKey(delim, urlEnc)
	}
	skipping := um != ""
	count := 0
	seen := map[string]bool{}
	truncated := false
	var last uploadRecord
	for _, u := range all {
		if km != "" {
			if u.Key < km || (u.Key == km && !skipping) {
				continue
			}
			if u.Key == km && skipping {
				if u.UploadID == um {
					skipping = false
				}
				continue
			}
		}
		if delim != "" {
			if i := strings.Index(u.Key[len(prefix):], delim); i >= 0 {
				cp := u.Key[:len(prefix)+i+len(delim)]
				if !seen[cp] {
					seen[cp] = true
					out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: encodeKey(cp, urlEnc)})
				}
				continue
			}
		}
		if count == max {
			truncated = true
			break
		}
		out.Uploads = append(out.Uploads, s3api.MultipartUpload{UploadId: ptr.To(u.UploadID), Key: encodeKey(u.Key, urlEnc), Initiated: ptr.To(u.Initiated),
			StorageClass: ptr.To(storageClass(u.Template)), Owner: owner(u.Owner), Initiator: &s3api.Initiator{ID: ptr.To(canonicalID(u.Owner)), DisplayName: ptr.To(displayName)}})
		last = u
		count++
	}
	out.IsTruncated = ptr.To(truncated)
	if truncated {
		out.NextKeyMarker = encodeKey(last.Key, urlEnc)
		out.NextUploadIdMarker = ptr.To(last.UploadID)
	}
	return out, nil
}

// parseCopySourceRange reads UploadPartCopy's x-amz-copy-source-range:
// exactly "bytes=first-last" (zero-based, inclusive, first <= last), and
// unlike a GET range it must lie within the source (S3 answers a range
// past the end with InvalidArgument, not by clamping).
func parseCopySourceRange(v string, size int64) (start, n int64, err error) {
	malformed := errInvalidArgument.New("The x-amz-copy-source-range value must be of the form bytes=first-last where first and last are the zero-based offsets of the first and last bytes to copy").
		With("ArgumentName", "x-amz-copy-source-range").With("ArgumentValue", v)
	spec, ok := strings.CutPrefix(v, "bytes=")
	if !ok {
		return 0, 0, malformed
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok || !allDigits(a) || !allDigits(b) {
		return 0, 0, malformed
	}
	first, err1 := strconv.ParseInt(a, 10, 64)
	last, err2 := strconv.ParseInt(b, 10, 64)
	if err1 != nil || err2 != nil || first > last {
		return 0, 0, malformed
	}
	if last >= size {
		return 0, 0, errInvalidArgument.New("Range specified is not valid for source object of size: %d", size).
			With("ArgumentName", "x-amz-copy-source-range").With("ArgumentValue", v)
	}
	return first, last - first + 1, nil
}

func allDigits(s string) bool {
	if s == "" || len(s) > 19 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// checkPartSSEC holds every part of an SSE-C upload to the key the upload
// was created with.
func checkPartSSEC(tmpl objectRecord, alg, key, keyMD5 *string) error {
	if alg == nil && (key != nil || keyMD5 != nil) {
		return errSSECNoAlgorithm()
	}
	if tmpl.SSECAlg == "" {
		return nil
	}
	if alg == nil {
		return errInvalidRequest.New("The multipart upload initiate requested encryption. Subsequent part requests must include the appropriate encryption parameters.")
	}
	sum, err := checkSSECKey(key, keyMD5, true)
	if err != nil {
		return err
	}
	if *alg != tmpl.SSECAlg || sum != tmpl.SSECKeyMD5 {
		return errInvalidRequest.New("The provided encryption parameters did not match the ones used originally.")
	}
	return nil
}
