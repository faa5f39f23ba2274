package s3

import (
	"encoding/base64"
	"net/url"
	"sort"
	"strings"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// listing is one page of a key listing.
type listing struct {
	contents  []objectRecord
	prefixes  []string
	truncated bool
	// next is the last key or common prefix returned: where the next page
	// starts (exclusive).
	next string
}

// listKeys walks the current objects of a bucket in key order after
// marker, rolling keys up to common prefixes at delimiter, until maxKeys
// entries (contents plus prefixes) are collected.
func listKeys(tx storage.Tx, bucket, prefix, delimiter, marker string, maxKeys int) (listing, error) {
	var l listing
	if maxKeys <= 0 {
		return l, nil
	}
	opts := storage.ListOptions{Partial: prefix}
	if marker != "" && marker >= prefix {
		opts.After = []string{bucket, marker}
	}
	lastPrefix := ""
	count := 0
	err := objects.List(tx, globalScope(), []string{bucket}, opts, func(k []string, o objectRecord) bool {
		key := k[1]
		if marker != "" && key <= marker {
			return true
		}
		if delimiter != "" {
			if i := strings.Index(key[len(prefix):], delimiter); i >= 0 {
				cp := key[:len(prefix)+i+len(delimiter)]
				if cp == lastPrefix || (marker != "" && strings.HasPrefix(marker, cp)) {
					return true
				}
				if count == maxKeys {
					l.truncated = true
					return false
				}
				lastPrefix = cp
				l.prefixes = append(l.prefixes, cp)
				l.next = cp
				count++
				return true
			}
		}
		if count == maxKeys {
			l.truncated = true
			return false
		}
		l.contents = append(l.contents, o)
		l.next = key
		count++
		return true
	})
	return l, err
}

// encodeKey applies encoding-type=url to a key or prefix in a listing.
func encodeKey(v string, urlEnc bool) *string {
	if !urlEnc {
		return ptr.To(v)
	}
	return ptr.To(strings.ReplaceAll(url.QueryEscape(v), "%2F", "/"))
}

func encodingType(v *string) (bool, error) {
	if v == nil {
		return false, nil
	}
	if *v != "url" {
		return false, errInvalidArgument.New("Invalid Encoding Method specified in Request").With("ArgumentName", "encoding-type").With("ArgumentValue", *v)
	}
	return true, nil
}

func maxKeysOf(v *int32) (int, error) {
	if v == nil {
		return 1000, nil
	}
	if *v < 0 {
		return 0, errInvalidArgument.New("maxKeys should be non-negative").With("ArgumentName", "maxKeys").With("ArgumentValue", *v)
	}
	if *v > 1000 {
		return 1000, nil
	}
	return int(*v), nil
}

func toObject(o objectRecord, urlEnc, withOwner bool) s3api.Object {
	obj := s3api.Object{Key: encodeKey(o.Key, urlEnc), LastModified: ptr.To(o.LastModified), ETag: ptr.To(o.ETag), Size: ptr.To(o.Size), StorageClass: ptr.To(storageClass(o))}
	for a := range o.Checksums {
		obj.ChecksumAlgorithm = append(obj.ChecksumAlgorithm, a)
	}
	sort.Strings(obj.ChecksumAlgorithm)
	if withOwner {
		obj.Owner = owner(o.Owner)
	}
	return obj
}

func storageClass(o objectRecord) string {
	if o.StorageClass == "" {
		return "STANDARD"
	}
	return o.StorageClass
}

func (s *S3) ListObjects(ctx *request.Context, in *s3api.ListObjectsInput) (*s3api.ListObjectsOutput, error) {
	urlEnc, err := encodingType(in.EncodingType)
	if err != nil {
		return nil, err
	}
	maxKeys, err := maxKeysOf(in.MaxKeys)
	if err != nil {
		return nil, err
	}
	name, prefix, delim := ptr.Deref(in.Bucket), ptr.Deref(in.Prefix), ptr.Deref(in.Delimiter)
	var l listing
	err = s.store.View(func(tx storage.Tx) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		l, err = listKeys(tx, name, prefix, delim, ptr.Deref(in.Marker), maxKeys)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.ListObjectsOutput{
		// v1 leaves Prefix as sent under encoding-type=url (botocore, written
		// against S3, decodes Marker, NextMarker and Delimiter there but not
		// Prefix; v2 encodes it).
		Name: ptr.To(name), Prefix: ptr.To(prefix), Marker: encodeKey(ptr.Deref(in.Marker), urlEnc), MaxKeys: ptr.To(int32(maxKeys)),
		IsTruncated: ptr.To(l.truncated), EncodingType: in.EncodingType,
	}
	if delim != "" {
		out.Delimiter = encodeKey(delim, urlEnc)
		if l.truncated {
			out.NextMarker = encodeKey(l.next, urlEnc)
		}
	}
	for _, o := range l.contents {
		obj := toObject(o, urlEnc, true)
		obj.RestoreStatus = listedRestoreStatus(in.OptionalObjectAttributes, o, ctx.Now())
		out.Contents = append(out.Contents, obj)
	}
	for _, p := range l.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: encodeKey(p, urlEnc)})
	}
	return out, nil
}

func (s *S3) ListObjectsV2(ctx *request.Context, in *s3api.ListObjectsV2Input) (*s3api.ListObjectsV2Output, error) {
	urlEnc, err := encodingType(in.EncodingType)
	if err != nil {
		return nil, err
	}
	maxKeys, err := maxKeysOf(in.MaxKeys)
	if err != nil {
		return nil, err
	}
	name, prefix, delim := ptr.Deref(in.Bucket), ptr.Deref(in.Prefix), ptr.Deref(in.Delimiter)
	marker := ptr.Deref(in.StartAfter)
	// An empty continuation token is no token: S3 lists from the start
	// (and echoes it).
	if ptr.Deref(in.ContinuationToken) != "" {
		raw, err := base64.RawURLEncoding.DecodeString(*in.ContinuationToken)
		if err != nil || !strings.HasPrefix(string(raw), "1:") {
			return nil, errInvalidArgument.New("The continuation token provided is incorrect").With("ArgumentName", "continuation-token")
		}
		marker = string(raw[2:])
	}
	var l listing
	err = s.store.View(func(tx storage.Tx) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		l, err = listKeys(tx, name, prefix, delim, marker, maxKeys)
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &s3api.ListObjectsV2Output{
		Name: ptr.To(name), Prefix: encodeKey(prefix, urlEnc), MaxKeys: ptr.To(int32(maxKeys)), IsTruncated: ptr.To(l.truncated),
		EncodingType: in.EncodingType, KeyCount: ptr.To(int32(len(l.contents) + len(l.prefixes))),
		ContinuationToken: in.ContinuationToken,
	}
	if in.StartAfter != nil {
		out.StartAfter = encodeKey(*in.StartAfter, urlEnc)
	}
	if delim != "" {
		out.Delimiter = encodeKey(delim, urlEnc)
	}
	if l.truncated {
		out.NextContinuationToken = ptr.To(base64.RawURLEncoding.EncodeToString([]byte("1:" + l.next)))
	}
	for _, o := range l.contents {
		obj := toObject(o, urlEnc, ptr.Deref(in.FetchOwner))
		obj.RestoreStatus = listedRestoreStatus(in.OptionalObjectAttributes, o, ctx.Now())
		out.Contents = append(out.Contents, obj)
	}
	for _, p := range l.prefixes {
		out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: encodeKey(p, urlEnc)})
	}
	return out, nil
}

func (s *S3) ListObjectVersions(ctx *request.Context, in *s3api.ListObjectVersionsInput) (*s3api.ListObjectVersionsOutput, error) {
	urlEnc, err := encodingType(in.EncodingType)
	if err != nil {
		return nil, err
	}
	maxKeys, err := maxKeysOf(in.MaxKeys)
	if err != nil {
		return nil, err
	}
	name, prefix, delim := ptr.Deref(in.Bucket), ptr.Deref(in.Prefix), ptr.Deref(in.Delimiter)
	keyMarker, verMarker := ptr.Deref(in.KeyMarker), ptr.Deref(in.VersionIdMarker)
	// Every version of every key under the prefix, newest first per key:
	// the history table plus current objects written before versioning.
	var all []objectRecord
	latest := map[string]int64{}
	err = s.store.View(func(tx storage.Tx) error {
		if _, err := getBucket(tx, name); err != nil {
			return err
		}
		if err := versions.List(tx, globalScope(), []string{name}, storage.ListOptions{Partial: prefix}, func(_ []string, v objectRecord) bool {
			all = append(all, v)
			return true
		}); err != nil {
			return err
		}
		return objects.List(tx, globalScope(), []string{name}, storage.ListOptions{Partial: prefix}, func(_ []string, o objectRecord) bool {
			if o.VersionID == "" {
				o.VersionID = "null"
				all = append(all, o)
			}
			return true
		})
	})
	if err != nil {
		return nil, err
	}
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].Key != all[j].Key {
			return all[i].Key < all[j].Key
		}
		return all[i].Seq > all[j].Seq
	})
	for _, v := range all {
		if _, ok := latest[v.Key]; !ok {
			latest[v.Key] = v.Seq
		}
	}
	out := &s3api.ListObjectVersionsOutput{Name: ptr.To(name), Prefix: encodeKey(prefix, urlEnc), MaxKeys: ptr.To(int32(maxKeys)),
		KeyMarker: encodeKey(keyMarker, urlEnc), VersionIdMarker: in.VersionIdMarker, EncodingType: in.EncodingType}
	if delim != "" {
		out.Delimiter = encodeKey(delim, urlEnc)
	}
	skipping := verMarker != ""
	count := 0
	lastPrefix := ""
	truncated := false
	var nextKey, nextVer string
	for _, v := range all {
		if keyMarker != "" {
			if v.Key < keyMarker || (v.Key == keyMarker && verMarker == "") {
				continue
			}
			if v.Key == keyMarker && skipping {
				if v.VersionID == verMarker {
					skipping = false
				}
				continue
			}
		}
		if delim != "" {
			if i := strings.Index(v.Key[len(prefix):], delim); i >= 0 {
				cp := v.Key[:len(prefix)+i+len(delim)]
				if cp == lastPrefix {
					continue
				}
				if count == maxKeys {
					truncated = true
					break
				}
				lastPrefix = cp
				out.CommonPrefixes = append(out.CommonPrefixes, s3api.CommonPrefix{Prefix: encodeKey(cp, urlEnc)})
				nextKey, nextVer = cp, ""
				count++
				continue
			}
		}
		if count == maxKeys {
			truncated = true
			break
		}
		isLatest := latest[v.Key] == v.Seq
		if v.DeleteMarker {
			out.DeleteMarkers = append(out.DeleteMarkers, s3api.DeleteMarkerEntry{Owner: owner(v.Owner), Key: encodeKey(v.Key, urlEnc),
				VersionId: ptr.To(v.VersionID), IsLatest: ptr.To(isLatest), LastModified: ptr.To(v.LastModified)})
		} else {
			out.Versions = append(out.Versions, s3api.ObjectVersion{ETag: ptr.To(v.ETag), Size: ptr.To(v.Size), StorageClass: ptr.To(storageClass(v)),
				Key: encodeKey(v.Key, urlEnc), VersionId: ptr.To(v.VersionID), IsLatest: ptr.To(isLatest), LastModified: ptr.To(v.LastModified), Owner: owner(v.Owner),
				RestoreStatus: listedRestoreStatus(in.OptionalObjectAttributes, v, ctx.Now())})
		}
		nextKey, nextVer = v.Key, v.VersionID
		count++
	}
	out.IsTruncated = ptr.To(truncated)
	if truncated {
		out.NextKeyMarker = encodeKey(nextKey, urlEnc)
		if nextVer != "" {
			out.NextVersionIdMarker = ptr.To(nextVer)
		}
	}
	return out, nil
}
