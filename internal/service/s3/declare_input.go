package s3

import (
	"reflect"

	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
)

// member names an input member S3's authorization hooks read (resources,
// contextKeys, extraChecks, missingKey) on every request.
type member int

const (
	mBucket member = iota
	mKey
	mVersionID
	mACL
	mSSE
	mCopySource
	mStorageClass
	mSSECAlg
	mSSEKMSKeyID
	mBucketNamespace
	mTagging
	mPrefix
	mDelimiter
	mMaxKeys
	mBypassGovernance
	nMembers
)

// memberNames are the members' names in the input shapes.
var memberNames = [nMembers]string{"Bucket", "Key", "VersionId", "ACL", "ServerSideEncryption", "CopySource",
	"StorageClass", "SSECustomerAlgorithm", "SSEKMSKeyId", "BucketNamespace", "Tagging", "Prefix", "Delimiter",
	"MaxKeys", "BypassGovernanceRetention"}

// memberIndexes are one input type's field indexes of the members (nil
// for a member the type lacks).
type memberIndexes [nMembers][]int

// s3Input reads an input's members as kit.Input's Str and Bool do, by
// field indexes found once per input type (S3.memberIndexes): the hooks
// run on every request, and reflect's FieldByName scans the type's
// fields (fifty for PutObjectInput) for each name.
type s3Input struct {
	in  kit.Input
	idx *memberIndexes
}

func (s *S3) input(in kit.Input) s3Input {
	v := in.Value()
	if !v.IsValid() || v.Kind() != reflect.Struct {
		return s3Input{in: in}
	}
	t := v.Type()
	if idx, ok := s.memberIndexes.Load(t); ok {
		return s3Input{in, idx.(*memberIndexes)}
	}
	idx := new(memberIndexes)
	for i, name := range memberNames {
		if sf, ok := t.FieldByName(name); ok {
			idx[i] = sf.Index
		}
	}
	s.memberIndexes.Store(t, idx)
	return s3Input{in, idx}
}

func (x s3Input) field(m member) reflect.Value {
	if x.idx == nil || x.idx[m] == nil {
		return reflect.Value{}
	}
	return x.in.Value().FieldByIndex(x.idx[m])
}

// str is kit.Input.Str of the member.
func (x s3Input) str(m member) string { return kit.StrValue(x.field(m)) }

// bool is kit.Input.Bool of the member.
func (x s3Input) bool(m member) bool { return kit.BoolValue(x.field(m)) }

// setKey is iam.Context.Set on a context made at its first key, so that
// a request carrying none of the keys (a GET) makes no map.
func setKey(c *iam.Context, key, value string) {
	if value == "" {
		return
	}
	if *c == nil {
		*c = iam.Context{}
	}
	c.Set(key, value)
}
