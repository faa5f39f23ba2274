package s3

import (
	"reflect"
	"strings"
	"sync"
	"testing"

	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	"github.com/niwa-cloud/niwa/internal/kit"
)

func TestExpectedOwners(t *testing.T) {
	type copyIn struct {
		Bucket, ExpectedBucketOwner, CopySource, ExpectedSourceBucketOwner *string
	}
	s := func(v string) *string { return &v }
	cases := []struct {
		in   any
		want []ExpectedOwner
	}{
		{&copyIn{Bucket: s("b")}, nil},
		{&copyIn{Bucket: s("b"), ExpectedBucketOwner: s("111111111111")}, []ExpectedOwner{{"b", "111111111111"}}},
		{&copyIn{Bucket: s("b"), CopySource: s("/src%2Dbucket/k?versionId=x"), ExpectedSourceBucketOwner: s("2")}, []ExpectedOwner{{"src-bucket", "2"}}},
		{&copyIn{Bucket: s("b"), CopySource: s("nokey"), ExpectedSourceBucketOwner: s("2")}, nil},
		{"not a struct", nil},
	}
	for _, c := range cases {
		if got := expectedOwners(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.in, got, c.want)
		}
	}
}

// FuzzExpectedOwners: any copy source parses without panicking, and a
// bucket it yields never carries the key separator.
func FuzzExpectedOwners(f *testing.F) {
	for _, s := range []string{"b/k", "/b/k?versionId=1", "%2Fb%2Fk", "", "/", "b", "%zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		type in struct{ CopySource, ExpectedSourceBucketOwner *string }
		owner := "111111111111"
		for _, e := range expectedOwners(&in{CopySource: &src, ExpectedSourceBucketOwner: &owner}) {
			if e.Bucket == "" || strings.Contains(e.Bucket, "/") || e.Account != owner {
				t.Fatalf("%q: %+v", src, e)
			}
		}
	})
}

// TestReadPrecondition: the cached field reading answers what
// kit.Input.Str does, for S3 inputs that have all, some or none of the
// members, set or not, and for a non-struct.
func TestReadPrecondition(t *testing.T) {
	s := func(v string) *string { return &v }
	var cache sync.Map
	inputs := []any{
		&s3api.PutObjectInput{Bucket: s("b"), Key: s("k"), ExpectedBucketOwner: s("111111111111"), RequestPayer: s("requester")},
		&s3api.PutObjectInput{Bucket: s("b2")},
		&s3api.CopyObjectInput{Bucket: s("b"), CopySource: s("/src/k"), ExpectedSourceBucketOwner: s("2"), ExpectedBucketOwner: s("3")},
		&s3api.ListBucketsInput{},
		&s3api.GetObjectInput{},
		"not a struct",
	}
	for round := 0; round < 2; round++ { // the second from the cache
		for _, in := range inputs {
			want := preconditionInput{}
			if k, ok := kit.NewInput(in); ok {
				want = preconditionInput{k.Str("Bucket"), k.Str("ExpectedBucketOwner"), k.Str("CopySource"), k.Str("ExpectedSourceBucketOwner"), k.Str("RequestPayer")}
			}
			if got := readPrecondition(&cache, in); got != want {
				t.Errorf("%T: %+v, want %+v", in, got, want)
			}
			if got := readPrecondition(nil, in); got != want {
				t.Errorf("%T uncached: %+v, want %+v", in, got, want)
			}
		}
	}
}
