package authz

import (
	"reflect"
	"testing"
)

func TestS3ExpectedOwners(t *testing.T) {
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
		if got := S3ExpectedOwners(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%+v: got %v, want %v", c.in, got, c.want)
		}
	}
}
