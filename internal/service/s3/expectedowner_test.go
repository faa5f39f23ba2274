package s3

import (
	"reflect"
	"strings"
	"testing"
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
