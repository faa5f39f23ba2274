package s3

import (
	"crypto/md5"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// currentObject finds an object: the current version, or the version
// named (versionID "null" is the version written while versioning was off
// or suspended).
func currentObject(tx storage.Tx, bucket, key, versionID string) (objectRecord, error) {
	if versionID == "" {
		o, ok, err := objects.Get(tx, globalScope(), bucket, key)
		if err != nil {
			return o, err
		}
		if !ok {
			return o, noSuchKey(key)
		}
		return o, nil
	}
	var found objectRecord
	ok := false
	err := versions.List(tx, globalScope(), []string{bucket, key}, storage.ListOptions{}, func(_ []string, v objectRecord) bool {
		if v.VersionID == versionID {
			found, ok = v, true
			return false
		}
		return true
	})
	if err != nil {
		return found, err
	}
	if !ok {
		if versionID == "null" {
			if o, has, err := objects.Get(tx, globalScope(), bucket, key); err == nil && has && (o.VersionID == "" || o.VersionID == "null") {
				return o, nil
			}
		}
		if !validVersionID(versionID) {
			return found, errInvalidArgument.New("Invalid version id specified").With("ArgumentName", "versionId").With("ArgumentValue", versionID)
		}
		return found, errNoSuchVersion.New("The specified version does not exist.").With("Key", key).With("VersionId", versionID)
	}
	return found, nil
}

func validVersionID(v string) bool { return v == "null" || len(v) == 32 }

// putObjectRecord rewrites a stored version in place (ACL and tagging
// changes), in the version history and, when it is current, in the
// object table.
func putObjectRecord(tx storage.Tx, bucket string, o objectRecord) error {
	if o.VersionID != "" {
		if _, ok := tx.Get(versions.Key(globalScope(), bucket, o.Key, seqKey(o.Seq))); ok {
			if err := versions.Put(tx, globalScope(), o, bucket, o.Key, seqKey(o.Seq)); err != nil {
				return err
			}
		}
	}
	cur, ok, err := objects.Get(tx, globalScope(), bucket, o.Key)
	if err != nil {
		return err
	}
	if ok && cur.VersionID == o.VersionID && cur.Seq == o.Seq {
		return objects.Put(tx, globalScope(), o, bucket, o.Key)
	}
	return nil
}

// commitObject makes o the current version of its key under the bucket's
// versioning state and returns the blobs no record points at any more.
func commitObject(tx storage.Tx, b bucketRecord, o *objectRecord) ([]blobPart, error) {
	var garbage []blobPart
	applyDefaultRetention(b, o)
	old, hadOld, err := objects.Get(tx, globalScope(), b.Name, o.Key)
	if err != nil {
		return nil, err
	}
	switch b.Versioning {
	case "":
		o.VersionID = ""
		if hadOld {
			garbage = append(garbage, old.Parts...)
		}
	case "Enabled":
		o.VersionID = newVersionID()
	case "Suspended":
		o.VersionID = "null"
	}
	markReplication(b, o)
	if b.Versioning != "" {
		// A "null" version is replaced by the next "null" version.
		if o.VersionID == "null" {
			// Collected apart from garbage: a variable the callback
			// captures lives on the heap, for every call.
			var drop []string
			var dropped []blobPart
			err := versions.List(tx, globalScope(), []string{b.Name, o.Key}, storage.ListOptions{}, func(k []string, v objectRecord) bool {
				if v.VersionID == "null" {
					drop = append(drop, k[2])
					dropped = append(dropped, v.Parts...)
				}
				return true
			})
			if err != nil {
				return nil, err
			}
			garbage = append(garbage, dropped...)
			for _, k := range drop {
				if err := versions.Delete(tx, globalScope(), b.Name, o.Key, k); err != nil {
					return nil, err
				}
			}
		}
		// The pre-versioning current object joins the history as "null".
		if hadOld && old.VersionID == "" {
			old.VersionID = "null"
			if o.VersionID == "null" {
				garbage = append(garbage, old.Parts...)
			} else if err := versions.Put(tx, globalScope(), old, b.Name, old.Key, seqKey(old.Seq)); err != nil {
				return nil, err
			}
		}
		if err := versions.Put(tx, globalScope(), *o, b.Name, o.Key, seqKey(o.Seq)); err != nil {
			return nil, err
		}
	}
	if o.DeleteMarker {
		return garbage, objects.Delete(tx, globalScope(), b.Name, o.Key)
	}
	return garbage, objects.Put(tx, globalScope(), *o, b.Name, o.Key)
}

// objectTemplate collects the headers an object keeps from a PUT, POST,
// copy with REPLACE, or CreateMultipartUpload.
type objectHeaders struct {
	ContentType, CacheControl, Disposition, Encoding, Language *string
	Expires                                                    *time.Time
	Metadata                                                   map[string]string
	StorageClass, Redirect                                     *string
	SSE, KMSKeyID                                              *string
	BucketKey                                                  *bool
	SSECAlg, SSECKey, SSECKeyMD5                               *string
	Tagging                                                    *string
}

// maxMetadataSize is S3's limit on user-defined metadata: "the sum of the
// number of bytes in the UTF-8 encoding of each key and value" may not
// exceed 2 KB.
const maxMetadataSize = 2048

// checkMetadata applies S3's user-defined metadata size limit.
func checkMetadata(md map[string]string) error {
	size := 0
	for k, v := range md {
		size += len(k) + len(v)
	}
	if size > maxMetadataSize {
		return errMetadataTooLarge.New("Your metadata headers exceed the maximum allowed metadata size.").
			With("Size", size).With("MaxSizeAllowed", maxMetadataSize)
	}
	return nil
}

// checkSSECKey checks a customer-provided key the way S3 does before it
// uses it: present, base64 of 256 bits, and matching its MD5 when one
// was sent. It returns the key's MD5 (base64) to record.
func checkSSECKey(key, keyMD5 *string, write bool) (string, error) {
	if key == nil {
		return "", errInvalidArgument.New("Requests specifying Server Side Encryption with Customer provided keys must provide an appropriate secret key.")
	}
	raw, err := base64.StdEncoding.DecodeString(*key)
	if err != nil || len(raw) != 32 {
		return "", errInvalidArgument.New("The secret key was invalid for the specified algorithm.")
	}
	if keyMD5 == nil && write {
		// Writes must prove the key arrived intact.
		return "", errInvalidArgument.New("Requests specifying Server Side Encryption with Customer provided keys must provide the client calculated MD5 of the secret key.")
	}
	sum := md5.Sum(raw)
	got := base64.StdEncoding.EncodeToString(sum[:])
	if keyMD5 != nil && *keyMD5 != got {
		return "", errInvalidArgument.New("The calculated MD5 hash of the key did not match the hash that was provided.")
	}
	return got, nil
}

// applyHeaders fills o from h, with the bucket's defaults.
func applyHeaders(ctx *request.Context, b bucketRecord, o *objectRecord, h objectHeaders) error {
	o.ContentType = ptr.Deref(h.ContentType)
	if o.ContentType == "" {
		o.ContentType = "binary/octet-stream"
	}
	o.CacheControl, o.Disposition, o.Encoding, o.Language = ptr.Deref(h.CacheControl), ptr.Deref(h.Disposition), storedEncoding(ptr.Deref(h.Encoding)), ptr.Deref(h.Language)
	o.Expires = h.Expires
	if err := checkMetadata(h.Metadata); err != nil {
		return err
	}
	// S3 keeps user metadata names in lower case, whatever case the
	// client sent (HTTP header names are case-insensitive).
	o.Metadata = nil
	for k, v := range h.Metadata {
		if o.Metadata == nil {
			o.Metadata = map[string]string{}
		}
		o.Metadata[strings.ToLower(k)] = decodeMetaValue(v) // metadata.go
	}
	o.Redirect = ptr.Deref(h.Redirect)
	if sc := ptr.Deref(h.StorageClass); sc != "" {
		switch sc {
		case "STANDARD", "REDUCED_REDUNDANCY", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER", "DEEP_ARCHIVE", "GLACIER_IR", "OUTPOSTS", "SNOW", "EXPRESS_ONEZONE":
		default:
			return errInvalidStorageClass.New("The storage class you specified is not valid").With("StorageClassRequested", sc)
		}
		if sc != "STANDARD" {
			o.StorageClass = sc
		}
	}
	if h.SSECAlg == nil && (h.SSECKey != nil || h.SSECKeyMD5 != nil) {
		return errSSECNoAlgorithm()
	}
	if h.SSECAlg != nil {
		if *h.SSECAlg != "AES256" {
			return errInvalidEncryptionAlg.New("The encryption request you specified is not valid. Supported value: AES256.")
		}
		keyMD5, err := checkSSECKey(h.SSECKey, h.SSECKeyMD5, true)
		if err != nil {
			return err
		}
		o.SSECAlg, o.SSECKeyMD5 = *h.SSECAlg, keyMD5
		if h.SSE != nil {
			return errInvalidArgument.New("Server Side Encryption with Customer provided key is incompatible with the encryption method specified")
		}
	} else if err := applySSE(ctx, b, o, h.SSE, h.KMSKeyID, h.BucketKey); err != nil {
		return err
	}
	if h.Tagging != nil {
		tags, err := parseTagging(*h.Tagging)
		if err != nil {
			return err
		}
		o.Tags = tags
	}
	return nil
}

// applySSE sets an object's server-side encryption from the request or
// the bucket default. An SSE-KMS key is kept as given (key id, ARN or
// alias, "" for the AWS managed key) for sealNew to resolve.
func applySSE(ctx *request.Context, b bucketRecord, o *objectRecord, sse, keyID *string, bucketKey *bool) error {
	alg := ptr.Deref(sse)
	kid := ptr.Deref(keyID)
	bk := ptr.Deref(bucketKey)
	if alg == "" {
		if kid != "" {
			return errInvalidArgument.New("x-amz-server-side-encryption header is absent but x-amz-server-side-encryption-aws-kms-key-id is present").
				With("ArgumentName", "x-amz-server-side-encryption")
		}
		rule := defaultEncryption(b).Rules[0]
		if rule.ApplyServerSideEncryptionByDefault != nil {
			alg = ptr.Deref(rule.ApplyServerSideEncryptionByDefault.SSEAlgorithm)
			kid = ptr.Deref(rule.ApplyServerSideEncryptionByDefault.KMSMasterKeyID)
		}
		if bucketKey == nil {
			bk = ptr.Deref(rule.BucketKeyEnabled)
		}
	}
	switch alg {
	case "AES256":
		if kid != "" && sse != nil {
			return errInvalidArgument.New("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms")
		}
		kid = ""
	case "aws:kms", "aws:kms:dsse":
	default:
		return errInvalidArgument.New("The encryption method specified is not supported").With("ArgumentName", "x-amz-server-side-encryption").With("ArgumentValue", alg)
	}
	o.SSE, o.KMSKeyID, o.BucketKey = alg, kid, bk && alg != "AES256"
	return nil
}

// parseTagging reads the x-amz-tagging header (URL query encoded).
func parseTagging(v string) ([]s3api.Tag, error) {
	if v == "" {
		return nil, nil // no tags (authorization asks this of every PutObject)
	}
	bad := func() error {
		return errInvalidArgument.New("The header 'x-amz-tagging' shall be encoded as UTF-8 then URLEncoded URL query parameters without tag name duplicates.")
	}
	// The tags keep the header's order (GetObjectTagging answers them so),
	// which url.ParseQuery's map would lose.
	var tags []s3api.Tag
	seen := map[string]bool{}
	for _, pair := range strings.Split(v, "&") {
		if pair == "" {
			continue
		}
		rk, rv, _ := strings.Cut(pair, "=")
		k, err := url.QueryUnescape(rk)
		if err != nil {
			return nil, bad()
		}
		val, err := url.QueryUnescape(rv)
		if err != nil {
			return nil, bad()
		}
		if seen[k] {
			return nil, errInvalidTag.New("Cannot provide multiple Tags with the same key")
		}
		seen[k] = true
		tags = append(tags, s3api.Tag{Key: ptr.To(k), Value: ptr.To(val)})
	}
	if err := checkTags(tags, 10); err != nil {
		return nil, err
	}
	return tags, nil
}

func checkKey(key string) error {
	if len(key) > 1024 {
		return errKeyTooLong.New("Your key is too long").With("Size", len(key)).With("MaxSizeAllowed", 1024)
	}
	if key == "" {
		return errInvalidArgument.New("Key cannot be empty")
	}
	return nil
}

func quoteETag(md5sum []byte) string {
	var a [2 + 2*md5.Size]byte // an MD5's quoted hex on the stack: one allocation, the string
	buf := append(a[:0], '"')
	buf = hex.AppendEncode(buf, md5sum)
	return string(append(buf, '"'))
}

func (s *S3) PutObject(ctx *request.Context, in *s3api.PutObjectInput) (*s3api.PutObjectOutput, error) {
	name, key := ptr.Deref(in.Bucket), ptr.Deref(in.Key)
	b, err := s.bucket(name)
	if err != nil {
		return nil, err
	}
	if err := checkKey(key); err != nil {
		return nil, err
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	o := objectRecord{Key: key, LastModified: now, Owner: objectOwner(ctx, b, in.ACL)}
	err = applyHeaders(ctx, b, &o, objectHeaders{
		ContentType: in.ContentType, CacheControl: in.CacheControl, Disposition: in.ContentDisposition,
		Encoding: in.ContentEncoding, Language: in.ContentLanguage, Expires: in.Expires, Metadata: in.Metadata,
		StorageClass: in.StorageClass, Redirect: in.WebsiteRedirectLocation, SSE: in.ServerSideEncryption,
		KMSKeyID: in.SSEKMSKeyId, BucketKey: in.BucketKeyEnabled, SSECAlg: in.SSECustomerAlgorithm,
		SSECKey: in.SSECustomerKey, SSECKeyMD5: in.SSECustomerKeyMD5, Tagging: in.Tagging,
	})
	if err != nil {
		return nil, err
	}
	lock := objectLockHeaders{Mode: in.ObjectLockMode, Until: in.ObjectLockRetainUntilDate, LegalHold: in.ObjectLockLegalHoldStatus}
	if err := applyObjectLock(ctx, b, &o, lock); err != nil {
		return nil, err
	}
	if lockNeedsIntegrity(b, lock) && !hasIntegrity(ctx, in.ContentMD5) {
		return nil, errLockIntegrity()
	}
	blobs, err := s.sealNew(ctx, b, &o, in.SSEKMSEncryptionContext)
	if err != nil {
		return nil, err
	}
	if o.ACL, err = writeACL(b, o.Owner, in.ACL, grantHeaders{FullControl: in.GrantFullControl, Read: in.GrantRead, ReadACP: in.GrantReadACP, WriteACP: in.GrantWriteACP}); err != nil {
		return nil, err
	}
	cond := writeCond{ifMatch: in.IfMatch, ifNoneMatch: in.IfNoneMatch}
	if cond.active() {
		if err := cond.validate(); err != nil {
			return nil, err
		}
		// A condition that fails already is refused before the upload
		// (412); one that fails only at commit lost a race (409).
		cond.since = s.nextSeq(ctx.Now())
		if err := s.checkWrite(name, key, writeCond{ifMatch: cond.ifMatch, ifNoneMatch: cond.ifNoneMatch}); err != nil {
			return nil, err
		}
	}
	st, err := s.writeBodyTo(blobs, in.Body, ctx.HTTP.Header, in.ContentMD5, ptr.Deref(in.ChecksumAlgorithm), maxObjectSize)
	if err != nil {
		return nil, err
	}
	o.Parts = []blobPart{st.part}
	o.Size = st.part.Size
	o.ETag = quoteETag(st.md5[:])
	o.Checksums = st.checksums
	if err := s.commitIf(ctx, name, &o, cond); err != nil {
		s.deleteBlobs(o.Parts)
		return nil, err
	}
	s.notify(ctx, b, "ObjectCreated:Put", o)
	out := &s3api.PutObjectOutput{ETag: &o.ETag} // o is not changed after this
	setSSE(o, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	if in.SSEKMSEncryptionContext != nil {
		out.SSEKMSEncryptionContext = sealContext(o)
	}
	out.VersionId = writtenVersion(o.VersionID)
	out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumSHA1, out.ChecksumSHA256, out.ChecksumCRC64NVME = checksumPtrs(o.Checksums)
	out.Expiration = nonEmpty(objectExpiration(b, o)) // b read above: one bucket decode less
	return out, nil
}

// commit stores o as the current version of its key in bucket.
func (s *S3) commit(ctx *request.Context, bucket string, o *objectRecord) error {
	return s.commitIf(ctx, bucket, o, writeCond{})
}

// checkWrite evaluates a write condition against the key's current
// version outside a write (the early check before an upload).
func (s *S3) checkWrite(bucket, key string, cond writeCond) error {
	return s.store.View(func(tx storage.Tx) error {
		cur, ok, err := objects.Get(tx, globalScope(), bucket, key)
		if err != nil {
			return err
		}
		return cond.check(key, cur, ok)
	})
}

// commitIf is commit under a write condition, evaluated in the same
// transaction as the write.
func (s *S3) commitIf(ctx *request.Context, bucket string, o *objectRecord, cond writeCond) error {
	o.Seq = s.nextSeq(ctx.Now())
	var garbage []blobPart
	err := s.store.Update(func(tx storage.Tx) error {
		b, ok, err := s.records.Get(tx, globalScope(), bucket) // commitObject only reads b
		if err != nil {
			return err
		}
		if !ok {
			return noSuchBucket(bucket)
		}
		if cond.active() {
			cur, ok, err := objects.Get(tx, globalScope(), bucket, o.Key)
			if err != nil {
				return err
			}
			if err := cond.check(o.Key, cur, ok); err != nil {
				return err
			}
		}
		garbage, err = commitObject(tx, b, o)
		return err
	})
	if err == nil {
		s.deleteBlobs(garbage)
	}
	return err
}

func setSSE(o objectRecord, sse **string, kid **string, bk **bool, calg, cmd5 **string) {
	if o.SSE != "" {
		*sse = ptr.To(o.SSE)
	}
	if o.KMSKeyID != "" {
		*kid = ptr.To(o.KMSKeyID)
	}
	if o.BucketKey {
		*bk = ptr.To(true)
	}
	if o.SSECAlg != "" {
		*calg, *cmd5 = ptr.To(o.SSECAlg), ptr.To(o.SSECKeyMD5)
	}
}

func checksumPtrs(m map[string]string) (crc32, crc32c, sha1, sha256, crc64nvme *string) {
	get := func(k string) *string {
		if v, ok := m[k]; ok {
			return ptr.To(v)
		}
		return nil
	}
	return get("CRC32"), get("CRC32C"), get("SHA1"), get("SHA256"), get("CRC64NVME")
}

// conditions are the RFC 7232 preconditions of GET, HEAD and copy.
type conditions struct {
	ifMatch, ifNoneMatch               *string
	ifModifiedSince, ifUnmodifiedSince *time.Time
}

func etagMatches(list, etag string) bool {
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == "*" || strings.Trim(e, `"`) == strings.Trim(etag, `"`) {
			return true
		}
	}
	return false
}

// check evaluates the preconditions in S3's order: If-Match, then
// If-Unmodified-Since (when If-Match is absent) fail with 412;
// If-None-Match, then If-Modified-Since (when If-None-Match is absent)
// with 304 (copy: 412 for every failure).
func (c conditions) check(o objectRecord, copy bool) error {
	pre := func(cond string) error {
		if copy {
			return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").With("Condition", "x-amz-copy-source-"+cond)
		}
		return errPreconditionFailed.New("At least one of the pre-conditions you specified did not hold").With("Condition", cond)
	}
	notMod := func(cond string) error {
		if copy {
			return pre(cond)
		}
		e := errNotModified.New("Not Modified")
		e.Header = http.Header{"Etag": {o.ETag}, "Last-Modified": {o.LastModified.Format(http.TimeFormat)}}
		return e
	}
	if c.ifMatch != nil && !etagMatches(*c.ifMatch, o.ETag) {
		return pre("If-Match")
	}
	if c.ifMatch == nil && c.ifUnmodifiedSince != nil && o.LastModified.After(*c.ifUnmodifiedSince) {
		return pre("If-Unmodified-Since")
	}
	if c.ifNoneMatch != nil && etagMatches(*c.ifNoneMatch, o.ETag) {
		return notMod("If-None-Match")
	}
	if c.ifNoneMatch == nil && c.ifModifiedSince != nil && !o.LastModified.After(*c.ifModifiedSince) {
		return notMod("If-Modified-Since")
	}
	return nil
}

// parseRange reads a single "bytes=" range; ok is false when the header
// is absent or not a single byte range (S3 then serves the whole object).
func parseRange(h string, size int64) (start, end int64, ok bool, err error) {
	spec, found := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	if !found || strings.Contains(spec, ",") {
		return 0, 0, false, nil
	}
	a, b, found := strings.Cut(spec, "-")
	if !found {
		return 0, 0, false, nil
	}
	unsat := func() error {
		return errInvalidRange.New("The requested range is not satisfiable").With("ActualObjectSize", strconv.FormatInt(size, 10)).With("RangeRequested", h)
	}
	switch {
	case a == "" && b == "":
		return 0, 0, false, nil
	case a == "":
		n, perr := strconv.ParseInt(b, 10, 64)
		if perr != nil {
			return 0, 0, false, nil
		}
		if n == 0 || size == 0 {
			return 0, 0, false, unsat()
		}
		if n > size {
			n = size
		}
		return size - n, size - 1, true, nil
	default:
		s, perr := strconv.ParseInt(a, 10, 64)
		if perr != nil {
			return 0, 0, false, nil
		}
		e := size - 1
		if b != "" {
			if e2, perr := strconv.ParseInt(b, 10, 64); perr != nil || e2 < s {
				return 0, 0, false, nil
			} else if e2 < e {
				e = e2
			}
		}
		if s >= size {
			return 0, 0, false, unsat()
		}
		return s, e, true, nil
	}
}

// readable finds the object a GET or HEAD reads, answering delete markers
// as S3 does.
func (s *S3) readable(bucket, key, versionID string) (objectRecord, error) {
	return s.readObject(bucket, key, versionID, false)
}

// readObject is readable; shared reads the current version through the
// object decode cache (S3.objs), for callers that only read the record:
// its slices, maps and pointers are then shared with the cache and must
// not be modified.
func (s *S3) readObject(bucket, key, versionID string, shared bool) (objectRecord, error) {
	var o objectRecord
	if _, ok, err := s.lookupBucket(bucket); err != nil || !ok {
		if err == nil {
			err = noSuchBucket(bucket)
		}
		return o, err
	}
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		if shared && versionID == "" {
			var ok bool
			if o, ok, err = s.objs.Get(tx, globalScope(), bucket, key); err == nil && !ok {
				err = noSuchKey(key)
			}
		} else {
			o, err = currentObject(tx, bucket, key, versionID)
		}
		if err != nil && versionID == "" {
			// A key whose current version is a delete marker answers 404
			// naming the marker, as S3 does.
			var top *objectRecord
			if lerr := versions.List(tx, globalScope(), []string{bucket, key}, storage.ListOptions{Limit: 1}, func(_ []string, v objectRecord) bool {
				top = &v
				return false
			}); lerr != nil {
				return lerr
			}
			if top != nil && top.DeleteMarker {
				if e, ok := err.(*awserr.Error); ok {
					e.Header = http.Header{"X-Amz-Delete-Marker": {"true"}, "X-Amz-Version-Id": {top.VersionID}}
				}
			}
		}
		return err
	})
	if err != nil {
		return o, err
	}
	if o.DeleteMarker {
		e := errMethodNotAllowed.New("The specified method is not allowed against this resource.").With("Method", "GET").With("ResourceType", "DeleteMarker")
		e.Header = http.Header{"X-Amz-Delete-Marker": {"true"}, "X-Amz-Version-Id": {o.VersionID}}
		return o, e
	}
	return o, nil
}

// conditionalRead is what GetObject and HeadObject check before answering,
// in S3's order: the version exists and may be read, the SSE-C key
// matches, then the conditional headers. The record is read through the
// object decode cache: its callers (GET, HEAD, GetObjectAttributes,
// SelectObjectContent) only read it.
func (s *S3) conditionalRead(bucket, key, versionID string, sseAlg, sseKey, sseKeyMD5 *string, c conditions) (objectRecord, error) {
	o, err := s.readObject(bucket, key, versionID, true)
	if err != nil {
		return o, err
	}
	if err := checkSSEC(o, sseAlg, sseKey, sseKeyMD5); err != nil {
		return o, err
	}
	return o, c.check(o, false)
}

// errSSECNoAlgorithm answers an SSE-C key (or key MD5) sent without
// x-amz-server-side-encryption-customer-algorithm.
func errSSECNoAlgorithm() error {
	return errInvalidArgument.New("Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.").
		With("ArgumentName", "x-amz-server-side-encryption")
}

// checkReadHeaders refuses what S3 refuses on a GET or HEAD: an
// x-amz-server-side-encryption header (SSE-S3 and SSE-KMS objects are
// decrypted without one).
func checkReadHeaders(ctx *request.Context) error {
	if ctx != nil && ctx.HTTP != nil && ctx.HTTP.Header.Get("X-Amz-Server-Side-Encryption") != "" {
		return errInvalidArgument.New("x-amz-server-side-encryption header is not supported for this operation.").
			With("ArgumentName", "x-amz-server-side-encryption").With("ArgumentValue", ctx.HTTP.Header.Get("X-Amz-Server-Side-Encryption"))
	}
	return nil
}

// checkSSEC holds an SSE-C object to the key it was written with.
func checkSSEC(o objectRecord, alg, key, keyMD5 *string) error {
	if alg == nil && (key != nil || keyMD5 != nil) {
		return errSSECNoAlgorithm()
	}
	if alg != nil {
		// The key itself is checked first, as on a write: a key that is
		// not 256 bits of base64 (or does not match its MD5) is refused
		// whatever the object is.
		sum, err := checkSSECKey(key, keyMD5, false)
		if err != nil {
			return err
		}
		keyMD5 = &sum
	}
	if o.SSECAlg == "" {
		if alg != nil {
			return errInvalidRequest.New("The encryption parameters are not applicable to this object.")
		}
		return nil
	}
	if alg == nil {
		return errInvalidRequest.New("The object was stored using a form of Server Side Encryption. The correct parameters must be provided to retrieve the object.")
	}
	if keyMD5 != nil && *keyMD5 != o.SSECKeyMD5 {
		return errAccessDenied.New("Requests specifying Server Side Encryption with Customer provided keys must provide the correct secret key.")
	}
	return nil
}

func (s *S3) GetObject(ctx *request.Context, in *s3api.GetObjectInput) (*s3api.GetObjectOutput, error) {
	if err := checkReadHeaders(ctx); err != nil {
		return nil, err
	}
	o, err := s.conditionalRead(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5,
		conditions{in.IfMatch, in.IfNoneMatch, in.IfModifiedSince, in.IfUnmodifiedSince})
	if err != nil {
		return nil, err
	}
	if err := s.checkObjectOwner(ctx, ptr.Deref(in.Bucket), o, "READ"); err != nil {
		return nil, err
	}
	if err := checkReadable(o, ctx.Now()); err != nil {
		return nil, err
	}
	out := &s3api.GetObjectOutput{Restore: restoreHeader(o, ctx.Now())}
	out.Expiration = s.expirationHeader(ptr.Deref(in.Bucket), o)
	fillHeaders(o, &headFields{
		AcceptRanges: &out.AcceptRanges, LastModified: &out.LastModified, ContentLength: &out.ContentLength, ETag: &out.ETag,
		VersionId: &out.VersionId, CacheControl: &out.CacheControl, ContentDisposition: &out.ContentDisposition,
		ContentEncoding: &out.ContentEncoding, ContentLanguage: &out.ContentLanguage, ContentType: &out.ContentType,
		Expires: &out.Expires, Redirect: &out.WebsiteRedirectLocation, Metadata: &out.Metadata, StorageClass: &out.StorageClass,
		PartsCount: &out.PartsCount,
	})
	setSSE(o, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	lockHeaders(o, &out.ObjectLockMode, &out.ObjectLockRetainUntilDate, &out.ObjectLockLegalHoldStatus)
	out.ReplicationStatus = nonEmpty(o.ReplicationStatus)
	if len(o.Tags) > 0 {
		out.TagCount = ptr.To(int32(len(o.Tags)))
	}
	start, n := int64(0), o.Size
	if in.PartNumber != nil {
		st, en, err := partRange(o, *in.PartNumber)
		if err != nil {
			return nil, err
		}
		start, n = st, en-st+1
		out.ContentRange = ptr.To(fmt.Sprintf("bytes %d-%d/%d", st, en, o.Size))
		if n == 0 {
			out.ContentRange = nil
		}
	} else if in.Range != nil {
		st, en, ok, err := parseRange(*in.Range, o.Size)
		if err != nil {
			return nil, err
		}
		if ok {
			start, n = st, en-st+1
			out.ContentRange = ptr.To(fmt.Sprintf("bytes %d-%d/%d", st, en, o.Size))
		}
	}
	if out.ContentRange == nil && strings.EqualFold(ptr.Deref(in.ChecksumMode), "ENABLED") {
		out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumSHA1, out.ChecksumSHA256, out.ChecksumCRC64NVME = checksumPtrs(o.Checksums)
		out.ChecksumType = checksumType(o)
	}
	*out.ContentLength = n // fillHeaders' value, this request's own
	// response-* query parameters override the stored headers.
	if in.ResponseContentType != nil {
		out.ContentType = in.ResponseContentType
	}
	if in.ResponseCacheControl != nil {
		out.CacheControl = in.ResponseCacheControl
	}
	if in.ResponseContentDisposition != nil {
		out.ContentDisposition = in.ResponseContentDisposition
	}
	if in.ResponseContentEncoding != nil {
		out.ContentEncoding = in.ResponseContentEncoding
	}
	if in.ResponseContentLanguage != nil {
		out.ContentLanguage = in.ResponseContentLanguage
	}
	if in.ResponseExpires != nil {
		out.Expires = in.ResponseExpires
	}
	blobs, err := s.blobsOf(ctx, o)
	if err != nil {
		return nil, err
	}
	out.Body = newPartsReader(blobs, o.Parts, start, n)
	return out, nil
}

// partRange is the byte range of part n of an object (the whole object is
// part 1 of a simple upload).
func partRange(o objectRecord, n int32) (int64, int64, error) {
	if n < 1 || n > 10000 {
		return 0, 0, errInvalidArgument.New("Part number must be an integer between 1 and 10000, inclusive").With("ArgumentName", "partNumber").With("ArgumentValue", n)
	}
	if o.PartsCount == 0 {
		if n != 1 {
			return 0, 0, errInvalidPartNumber.New("The requested partnumber is not satisfiable").With("PartNumberRequested", n).With("ActualPartCount", 1)
		}
		return 0, o.Size - 1, nil
	}
	if int(n) > len(o.Parts) {
		return 0, 0, errInvalidPartNumber.New("The requested partnumber is not satisfiable").With("PartNumberRequested", n).With("ActualPartCount", len(o.Parts))
	}
	var off int64
	for i := 0; i < int(n)-1; i++ {
		off += o.Parts[i].Size
	}
	return off, off + o.Parts[n-1].Size - 1, nil
}

// headFields points at the output members GET and HEAD share.
type headFields struct {
	AcceptRanges                                                       **string
	LastModified                                                       **time.Time
	ContentLength                                                      **int64
	ETag, VersionId, CacheControl, ContentDisposition, ContentEncoding **string
	ContentLanguage, ContentType, Redirect, StorageClass               **string
	Expires                                                            **time.Time
	Metadata                                                           *map[string]string
	PartsCount                                                         **int32
}

// headValues holds the values fillHeaders points the output at: one
// allocation for the request where each pointer was one.
type headValues struct {
	acceptRanges, etag, versionID, cacheControl, disposition string
	encoding, language, contentType, redirect, storageClass  string
	lastModified                                             time.Time
	size                                                     int64
	partsCount                                               int32
}

func fillHeaders(o objectRecord, f *headFields) {
	v := &headValues{acceptRanges: "bytes", etag: o.ETag, versionID: o.VersionID, cacheControl: o.CacheControl,
		disposition: o.Disposition, encoding: o.Encoding, language: o.Language, contentType: o.ContentType,
		redirect: o.Redirect, storageClass: o.StorageClass, lastModified: o.LastModified, size: o.Size}
	str := func(dst **string, v *string) {
		if *v != "" {
			*dst = v
		}
	}
	*f.AcceptRanges = &v.acceptRanges
	*f.LastModified = &v.lastModified
	*f.ContentLength = &v.size
	*f.ETag = &v.etag
	str(f.VersionId, &v.versionID)
	str(f.CacheControl, &v.cacheControl)
	str(f.ContentDisposition, &v.disposition)
	str(f.ContentEncoding, &v.encoding)
	str(f.ContentLanguage, &v.language)
	str(f.ContentType, &v.contentType)
	str(f.Redirect, &v.redirect)
	str(f.StorageClass, &v.storageClass)
	*f.Expires = o.Expires
	*f.Metadata = encodeMetadata(o.Metadata) // RFC 2047 for non-ASCII, as S3 answers
	if o.PartsCount > 0 {
		v.partsCount = int32(o.PartsCount)
		*f.PartsCount = &v.partsCount
	}
}

func (s *S3) HeadObject(ctx *request.Context, in *s3api.HeadObjectInput) (*s3api.HeadObjectOutput, error) {
	if err := checkReadHeaders(ctx); err != nil {
		return nil, err
	}
	o, err := s.conditionalRead(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), in.SSECustomerAlgorithm, in.SSECustomerKey, in.SSECustomerKeyMD5,
		conditions{in.IfMatch, in.IfNoneMatch, in.IfModifiedSince, in.IfUnmodifiedSince})
	if err != nil {
		return nil, err
	}
	if err := s.checkObjectOwner(ctx, ptr.Deref(in.Bucket), o, "READ"); err != nil {
		return nil, err
	}
	out := &s3api.HeadObjectOutput{Restore: restoreHeader(o, ctx.Now())}
	out.Expiration = s.expirationHeader(ptr.Deref(in.Bucket), o)
	fillHeaders(o, &headFields{
		AcceptRanges: &out.AcceptRanges, LastModified: &out.LastModified, ContentLength: &out.ContentLength, ETag: &out.ETag,
		VersionId: &out.VersionId, CacheControl: &out.CacheControl, ContentDisposition: &out.ContentDisposition,
		ContentEncoding: &out.ContentEncoding, ContentLanguage: &out.ContentLanguage, ContentType: &out.ContentType,
		Expires: &out.Expires, Redirect: &out.WebsiteRedirectLocation, Metadata: &out.Metadata, StorageClass: &out.StorageClass,
		PartsCount: &out.PartsCount,
	})
	setSSE(o, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	lockHeaders(o, &out.ObjectLockMode, &out.ObjectLockRetainUntilDate, &out.ObjectLockLegalHoldStatus)
	out.ReplicationStatus = nonEmpty(o.ReplicationStatus)
	if len(o.Tags) > 0 {
		out.TagCount = ptr.To(int32(len(o.Tags)))
	}
	// HEAD describes the GET it stands for: a part or a range answers 206
	// with its Content-Range and length.
	if in.PartNumber != nil {
		st, en, err := partRange(o, *in.PartNumber)
		if err != nil {
			return nil, err
		}
		out.ContentLength = ptr.To(en - st + 1)
		if en >= st {
			out.ContentRange = ptr.To(fmt.Sprintf("bytes %d-%d/%d", st, en, o.Size))
		}
	} else if in.Range != nil {
		st, en, ok, err := parseRange(*in.Range, o.Size)
		if err != nil {
			return nil, err
		}
		if ok {
			out.ContentLength = ptr.To(en - st + 1)
			out.ContentRange = ptr.To(fmt.Sprintf("bytes %d-%d/%d", st, en, o.Size))
		}
	}
	if out.ContentRange == nil && strings.EqualFold(ptr.Deref(in.ChecksumMode), "ENABLED") {
		out.ChecksumCRC32, out.ChecksumCRC32C, out.ChecksumSHA1, out.ChecksumSHA256, out.ChecksumCRC64NVME = checksumPtrs(o.Checksums)
		out.ChecksumType = checksumType(o)
	}
	return out, nil
}

// deleteOne deletes a key (or one version of it) under the bucket's
// versioning rules and reports what happened.
func (s *S3) deleteOne(ctx *request.Context, bucket, key, versionID string, lock deleteLock) (marker bool, version string, err error) {
	return s.deleteAs(ctx, bucket, key, versionID, false, writeCond{}, lock)
}

// deleteAs is deleteOne; lifecycle deletions notify LifecycleExpiration
// events instead of ObjectRemoved ones, as S3 does.
func (s *S3) deleteAs(ctx *request.Context, bucket, key, versionID string, lifecycle bool, cond writeCond, lock deleteLock) (marker bool, version string, err error) {
	var garbage []blobPart
	seq := s.nextSeq(ctx.Now())
	var b bucketRecord
	err = s.store.Update(func(tx storage.Tx) error {
		var err error
		b, err = getBucket(tx, bucket)
		if err != nil {
			return err
		}
		if cond.active() {
			// Conditional deletes evaluate the current version only.
			cur, ok, err := objects.Get(tx, globalScope(), bucket, key)
			if err != nil {
				return err
			}
			if err := cond.check(key, cur, ok); err != nil {
				return err
			}
		}
		if versionID != "" {
			return s.deleteVersion(tx, bucket, key, versionID, &garbage, &marker, lock, ctx.Now())
		}
		cur, ok, err := objects.Get(tx, globalScope(), bucket, key)
		if err != nil {
			return err
		}
		if b.Versioning == "" {
			if ok {
				garbage = cur.Parts
				return objects.Delete(tx, globalScope(), bucket, key)
			}
			return nil
		}
		dm := objectRecord{Key: key, DeleteMarker: true, LastModified: ctx.Now().UTC().Truncate(time.Second), Owner: b.Account, Seq: seq}
		g, err := commitObject(tx, b, &dm)
		garbage = append(garbage, g...)
		marker, version = true, dm.VersionID
		return err
	})
	if err == nil {
		s.deleteBlobs(garbage)
		ev := "ObjectRemoved:Delete"
		if marker && versionID == "" {
			ev = "ObjectRemoved:DeleteMarkerCreated"
		}
		if lifecycle {
			ev = "LifecycleExpiration" + strings.TrimPrefix(ev, "ObjectRemoved")
		}
		if marker && versionID == "" && !lifecycle {
			s.scheduleMarkerReplication(b, key, version)
		}
		s.notify(ctx, b, ev, objectRecord{Key: key, VersionID: version})
	}
	return marker, version, err
}

// deleteVersion removes one version for good; when it was current, the
// next newest version becomes current (or the key disappears when that is
// a delete marker or there is none).
func (s *S3) deleteVersion(tx storage.Tx, bucket, key, versionID string, garbage *[]blobPart, marker *bool, lock deleteLock, now time.Time) error {
	var hit []string
	var victim objectRecord
	var newest *objectRecord
	err := versions.List(tx, globalScope(), []string{bucket, key}, storage.ListOptions{}, func(k []string, v objectRecord) bool {
		if v.VersionID == versionID && hit == nil {
			hit, victim = k, v
			return true
		}
		if newest == nil {
			vv := v
			newest = &vv
		}
		return true
	})
	if err != nil {
		return err
	}
	cur, hasCur, err := objects.Get(tx, globalScope(), bucket, key)
	if err != nil {
		return err
	}
	if hit == nil {
		if versionID == "null" && hasCur && cur.VersionID == "" {
			if lock.protects(cur, now) {
				return errLocked()
			}
			*garbage = cur.Parts
			return objects.Delete(tx, globalScope(), bucket, key)
		}
		if !validVersionID(versionID) {
			return errInvalidArgument.New("Invalid version id specified").With("ArgumentName", "versionId").With("ArgumentValue", versionID)
		}
		return nil // deleting a missing version succeeds
	}
	if lock.protects(victim, now) {
		return errLocked()
	}
	*marker = victim.DeleteMarker
	*garbage = victim.Parts
	if err := versions.Delete(tx, globalScope(), bucket, key, hit[2]); err != nil {
		return err
	}
	// Recompute the current version from the newest survivor.
	var top *objectRecord
	err = versions.List(tx, globalScope(), []string{bucket, key}, storage.ListOptions{Limit: 1}, func(_ []string, v objectRecord) bool {
		top = &v
		return false
	})
	if err != nil {
		return err
	}
	if top == nil || top.DeleteMarker {
		return objects.Delete(tx, globalScope(), bucket, key)
	}
	return objects.Put(tx, globalScope(), *top, bucket, key)
}

func (s *S3) DeleteObject(ctx *request.Context, in *s3api.DeleteObjectInput) (*s3api.DeleteObjectOutput, error) {
	if in.BypassGovernanceRetention != nil {
		b, err := s.bucket(ptr.Deref(in.Bucket))
		if err != nil {
			return nil, err
		}
		if err := checkBypassHeader(b, in.BypassGovernanceRetention); err != nil {
			return nil, err
		}
	}
	marker, version, err := s.deleteAs(ctx, ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), false, writeCond{ifMatch: in.IfMatch},
		deleteLock{bypass: ptr.Deref(in.BypassGovernanceRetention)})
	if err != nil {
		return nil, err
	}
	out := &s3api.DeleteObjectOutput{}
	if marker {
		out.DeleteMarker = ptr.To(true)
	}
	if in.VersionId != nil {
		out.VersionId = in.VersionId
	} else if version != "" {
		out.VersionId = ptr.To(version)
	}
	return out, nil
}

func (s *S3) DeleteObjects(ctx *request.Context, in *s3api.DeleteObjectsInput) (*s3api.DeleteObjectsOutput, error) {
	if in.Delete == nil || len(in.Delete.Objects) == 0 || len(in.Delete.Objects) > 1000 {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	// An <Object> without its <Key> does not validate against S3's
	// schema: the whole request is refused before anything is deleted.
	for _, id := range in.Delete.Objects {
		if id.Key == nil {
			return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
		}
	}
	b, err := s.bucket(ptr.Deref(in.Bucket))
	if err != nil {
		return nil, err
	}
	if err := checkBypassHeader(b, in.BypassGovernanceRetention); err != nil {
		return nil, err
	}
	lock := deleteLock{bypass: ptr.Deref(in.BypassGovernanceRetention)}
	quiet := ptr.Deref(in.Delete.Quiet)
	out := &s3api.DeleteObjectsOutput{}
	denied := map[string]bool{}
	for _, arn := range ctx.DeniedItems {
		denied[arn] = true
	}
	for _, id := range in.Delete.Objects {
		if denied["arn:aws:s3:::"+ptr.Deref(in.Bucket)+"/"+ptr.Deref(id.Key)] {
			// The authorizer refused s3:DeleteObject on this key: S3
			// answers it in the list and deletes the others.
			out.Errors = append(out.Errors, s3api.Error{Key: id.Key, VersionId: id.VersionId, Code: ptr.To("AccessDenied"), Message: ptr.To("Access Denied")})
			continue
		}
		marker, version, err := s.deleteOne(ctx, ptr.Deref(in.Bucket), ptr.Deref(id.Key), ptr.Deref(id.VersionId), lock)
		if err != nil {
			ae := awserr.As(err)
			out.Errors = append(out.Errors, s3api.Error{Key: id.Key, VersionId: id.VersionId, Code: ptr.To(ae.Code.Code), Message: ptr.To(ae.Message)})
			continue
		}
		if quiet {
			continue
		}
		d := s3api.DeletedObject{Key: id.Key, VersionId: id.VersionId}
		if marker {
			d.DeleteMarker = ptr.To(true)
			if id.VersionId == nil {
				d.DeleteMarkerVersionId = ptr.To(version)
			} else {
				d.DeleteMarkerVersionId = id.VersionId
			}
		}
		out.Deleted = append(out.Deleted, d)
	}
	return out, nil
}

// parseCopySource reads x-amz-copy-source: "[/]bucket/key[?versionId=v]",
// URL-encoded.
func parseCopySource(v string) (bucket, key, version string, err error) {
	src, q, _ := strings.Cut(v, "?")
	src, uerr := url.PathUnescape(strings.TrimPrefix(src, "/"))
	bucket, key, ok := strings.Cut(src, "/")
	if uerr != nil || !ok || bucket == "" || key == "" {
		return "", "", "", errInvalidArgument.New("Invalid copy source object key").With("ArgumentName", "x-amz-copy-source").With("ArgumentValue", v)
	}
	if q != "" {
		vals, _ := url.ParseQuery(q)
		version = vals.Get("versionId")
	}
	return bucket, key, version, nil
}

// copyBody duplicates an object's blobs (read from src) into one new
// blob (written to dst).
func (s *S3) copyBody(dst, src storage.BlobStore, parts []blobPart, start, n int64) (blobPart, error) {
	w, err := dst.Create()
	if err != nil {
		return blobPart{}, err
	}
	defer w.Abort()
	r := newPartsReader(src, parts, start, n)
	defer func() { _ = r.Close() }()
	if _, err := copyBuffer(w, r); err != nil {
		return blobPart{}, err
	}
	ref, err := w.Commit()
	if err != nil {
		return blobPart{}, err
	}
	return blobPart{Blob: ref.ID, Size: ref.Size}, nil
}

func (s *S3) CopyObject(ctx *request.Context, in *s3api.CopyObjectInput) (*s3api.CopyObjectOutput, error) {
	dstBucket, dstKey := ptr.Deref(in.Bucket), ptr.Deref(in.Key)
	srcBucket, srcKey, srcVersion, err := parseCopySource(ptr.Deref(in.CopySource))
	if err != nil {
		return nil, err
	}
	if err := checkKey(dstKey); err != nil {
		return nil, err
	}
	db, err := s.bucket(dstBucket)
	if err != nil {
		return nil, err
	}
	// Conditional writes apply to the destination, as on PutObject.
	cond := writeCond{ifMatch: in.IfMatch, ifNoneMatch: in.IfNoneMatch}
	if cond.active() {
		if err := cond.validate(); err != nil {
			return nil, err
		}
		cond.since = s.nextSeq(ctx.Now())
		if err := s.checkWrite(dstBucket, dstKey, writeCond{ifMatch: cond.ifMatch, ifNoneMatch: cond.ifNoneMatch}); err != nil {
			return nil, err
		}
	}
	src, err := s.readable(srcBucket, srcKey, srcVersion)
	if err != nil {
		if ae := awserr.As(err); ae.Code.Code == "MethodNotAllowed" {
			return nil, errInvalidRequest.New("The source of a copy request may not specifically refer to a delete marker by version id.")
		}
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
	if src.Size > maxObjectSize {
		return nil, errInvalidRequest.New("The specified copy source is larger than the maximum allowable size for a copy source: 5368709120")
	}
	directive := ptr.Deref(in.MetadataDirective)
	if directive != "" && directive != "COPY" && directive != "REPLACE" {
		return nil, errInvalidArgument.New("Unknown metadata directive.").With("ArgumentName", "x-amz-metadata-directive").With("ArgumentValue", directive)
	}
	same := srcBucket == dstBucket && srcKey == dstKey && srcVersion == ""
	if same && directive != "REPLACE" && in.ServerSideEncryption == nil && in.SSEKMSKeyId == nil && in.StorageClass == nil &&
		in.WebsiteRedirectLocation == nil && in.SSECustomerAlgorithm == nil {
		return nil, errInvalidRequest.New("This copy request is illegal because it is trying to copy an object to itself without changing the object's metadata, storage class, website redirect location or encryption attributes.")
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	o := objectRecord{Key: dstKey, LastModified: now, Owner: objectOwner(ctx, db, in.ACL)}
	h := objectHeaders{StorageClass: in.StorageClass, Redirect: in.WebsiteRedirectLocation, SSE: in.ServerSideEncryption,
		KMSKeyID: in.SSEKMSKeyId, BucketKey: in.BucketKeyEnabled, SSECAlg: in.SSECustomerAlgorithm, SSECKey: in.SSECustomerKey, SSECKeyMD5: in.SSECustomerKeyMD5}
	if directive == "REPLACE" {
		h.ContentType, h.CacheControl, h.Disposition, h.Encoding, h.Language = in.ContentType, in.CacheControl, in.ContentDisposition, in.ContentEncoding, in.ContentLanguage
		h.Expires, h.Metadata = in.Expires, in.Metadata
	} else {
		h.ContentType, h.CacheControl, h.Disposition, h.Encoding, h.Language = nonEmpty(src.ContentType), nonEmpty(src.CacheControl), nonEmpty(src.Disposition), nonEmpty(src.Encoding), nonEmpty(src.Language)
		h.Expires, h.Metadata = src.Expires, src.Metadata
	}
	if ptr.Deref(in.TaggingDirective) == "REPLACE" {
		h.Tagging = in.Tagging
		if h.Tagging == nil {
			h.Tagging = ptr.To("")
		}
	}
	if err := applyHeaders(ctx, db, &o, h); err != nil {
		return nil, err
	}
	// A copy keeps none of its source's lock: its own headers, or the
	// bucket's default retention, apply.
	if err := applyObjectLock(ctx, db, &o, objectLockHeaders{Mode: in.ObjectLockMode, Until: in.ObjectLockRetainUntilDate, LegalHold: in.ObjectLockLegalHoldStatus}); err != nil {
		return nil, err
	}
	srcBlobs, err := s.blobsOf(ctx, src)
	if err != nil {
		return nil, err
	}
	dstBlobs, err := s.sealNew(ctx, db, &o, in.SSEKMSEncryptionContext)
	if err != nil {
		return nil, err
	}
	if ptr.Deref(in.TaggingDirective) != "REPLACE" {
		o.Tags = src.Tags
	}
	if o.ACL, err = writeACL(db, o.Owner, in.ACL, grantHeaders{FullControl: in.GrantFullControl, Read: in.GrantRead, ReadACP: in.GrantReadACP, WriteACP: in.GrantWriteACP}); err != nil {
		return nil, err
	}
	part, err := s.copyBody(dstBlobs, srcBlobs, src.Parts, 0, src.Size)
	if err != nil {
		return nil, err
	}
	o.Parts, o.Size, o.ETag, o.PartsCount = []blobPart{part}, src.Size, src.ETag, 0
	if src.PartsCount > 0 {
		// A multipart source copied in one request gets a simple ETag.
		o.ETag, err = s.md5ETag(dstBlobs, part)
		if err != nil {
			s.deleteBlobs(o.Parts)
			return nil, err
		}
	}
	o.Checksums = src.Checksums
	if alg := ptr.Deref(in.ChecksumAlgorithm); alg != "" {
		if sums, err := s.checksumOf(dstBlobs, part, alg); err == nil {
			o.Checksums = sums
		}
	}
	if err := s.commitIf(ctx, dstBucket, &o, cond); err != nil {
		s.deleteBlobs(o.Parts)
		return nil, err
	}
	s.notify(ctx, db, "ObjectCreated:Copy", o)
	out := &s3api.CopyObjectOutput{CopyObjectResult: &s3api.CopyObjectResult{ETag: ptr.To(o.ETag), LastModified: ptr.To(o.LastModified)}}
	out.CopyObjectResult.ChecksumCRC32, out.CopyObjectResult.ChecksumCRC32C, out.CopyObjectResult.ChecksumSHA1, out.CopyObjectResult.ChecksumSHA256, out.CopyObjectResult.ChecksumCRC64NVME = checksumPtrs(o.Checksums)
	setSSE(o, &out.ServerSideEncryption, &out.SSEKMSKeyId, &out.BucketKeyEnabled, &out.SSECustomerAlgorithm, &out.SSECustomerKeyMD5)
	if in.SSEKMSEncryptionContext != nil {
		out.SSEKMSEncryptionContext = sealContext(o)
	}
	out.VersionId = writtenVersion(o.VersionID)
	if src.VersionID != "" {
		out.CopySourceVersionId = ptr.To(src.VersionID)
	}
	out.Expiration = s.expirationHeader(ptr.Deref(in.Bucket), o)
	return out, nil
}

func nonEmpty(s string) *string {
	if s == "" {
		return nil
	}
	return newString(s)
}

// newString is &s made only when called: a function returning the
// address of its parameter moves the parameter to the heap on entry, on
// the paths that return nil too.
func newString(s string) *string {
	p := new(string)
	*p = s
	return p
}

func (s *S3) GetObjectTagging(ctx *request.Context, in *s3api.GetObjectTaggingInput) (*s3api.GetObjectTaggingOutput, error) {
	o, err := s.readable(ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId))
	if err != nil {
		return nil, err
	}
	out := &s3api.GetObjectTaggingOutput{TagSet: o.Tags}
	if out.TagSet == nil {
		out.TagSet = []s3api.Tag{}
	}
	if o.VersionID != "" {
		out.VersionId = ptr.To(o.VersionID)
	}
	return out, nil
}

func (s *S3) setObjectTags(ctx *request.Context, bucket, key, versionID string, tags []s3api.Tag) (string, error) {
	var b bucketRecord
	var o objectRecord
	err := s.store.Update(func(tx storage.Tx) error {
		var err error
		if b, err = getBucket(tx, bucket); err != nil {
			return err
		}
		if o, err = currentObject(tx, bucket, key, versionID); err != nil {
			return err
		}
		if o.DeleteMarker {
			return errMethodNotAllowed.New("The specified method is not allowed against this resource.")
		}
		o.Tags = tags
		return putObjectRecord(tx, bucket, o)
	})
	if err != nil {
		return "", err
	}
	ev := "ObjectTagging:Put"
	if tags == nil {
		ev = "ObjectTagging:Delete"
	}
	s.notify(ctx, b, ev, o)
	return o.VersionID, nil
}

func (s *S3) PutObjectTagging(ctx *request.Context, in *s3api.PutObjectTaggingInput) (*s3api.PutObjectTaggingOutput, error) {
	if in.Tagging == nil {
		return nil, errMalformedXML.New("The XML you provided was not well-formed or did not validate against our published schema")
	}
	if err := checkTags(in.Tagging.TagSet, 10); err != nil {
		return nil, err
	}
	if in.Tagging.TagSet == nil {
		in.Tagging.TagSet = []s3api.Tag{} // an empty set is a put, not a delete
	}
	ver, err := s.setObjectTags(ctx, ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), in.Tagging.TagSet)
	if err != nil {
		return nil, err
	}
	out := &s3api.PutObjectTaggingOutput{}
	if ver != "" {
		out.VersionId = ptr.To(ver)
	}
	return out, nil
}

func (s *S3) DeleteObjectTagging(ctx *request.Context, in *s3api.DeleteObjectTaggingInput) (*s3api.DeleteObjectTaggingOutput, error) {
	ver, err := s.setObjectTags(ctx, ptr.Deref(in.Bucket), ptr.Deref(in.Key), ptr.Deref(in.VersionId), nil)
	if err != nil {
		return nil, err
	}
	out := &s3api.DeleteObjectTaggingOutput{}
	if ver != "" {
		out.VersionId = ptr.To(ver)
	}
	return out, nil
}

// storedEncoding is the Content-Encoding an object keeps: aws-chunked
// describes the request's framing, not the object, so S3 drops it and
// keeps the other codings (none left: no Content-Encoding).
func storedEncoding(v string) string {
	if !strings.Contains(strings.ToLower(v), "aws-chunked") {
		return v
	}
	var keep []string
	for _, c := range strings.Split(v, ",") {
		if c = strings.TrimSpace(c); c != "" && !strings.EqualFold(c, "aws-chunked") {
			keep = append(keep, c)
		}
	}
	return strings.Join(keep, ",")
}

// writtenVersion is the x-amz-version-id a write answers with: the new
// version's id, and none for a "null" version (versioning suspended), as
// S3 answers; reads of that version do name it "null".
func writtenVersion(v string) *string {
	if v == "" || v == "null" {
		return nil
	}
	return newString(v)
}

// checksumType is x-amz-checksum-type for o's checksum: COMPOSITE for a
// multipart object's checksum of its parts' checksums, FULL_OBJECT for a
// checksum of the whole object (a single PUT, or CRC64NVME); nil without
// a checksum.
func checksumType(o objectRecord) *string {
	if len(o.Checksums) == 0 {
		return nil
	}
	if _, full := o.Checksums[string(checksum.CRC64NVME)]; o.PartsCount > 0 && !full {
		return ptr.To("COMPOSITE")
	}
	return ptr.To("FULL_OBJECT")
}
