package dynamodb

import (
	"bytes"
	"cmp"
	"context"
	"strings"
	"testing"
)

// FuzzTupleBytesOrder: the encoding of a multi-attribute key orders tuples
// as their values compare left to right, and a tuple's prefix encodes to a
// byte prefix, which Query's range scans rely on.
func FuzzTupleBytesOrder(f *testing.F) {
	f.Add("a", "b", "a", "c")
	f.Add("a\x00", "", "a", "\xff")
	f.Add("ab", "x", "a", "y")
	f.Add("", "", "\x00", "")
	f.Fuzz(func(t *testing.T, a1, a2, b1, b2 string) {
		if a1 == "" || a2 == "" || b1 == "" || b2 == "" {
			return // key values are never empty
		}
		ta, tb := tupleBytes([]AV{s(a1), s(a2)}), tupleBytes([]AV{s(b1), s(b2)})
		want := cmp.Compare(a1, b1)
		if want == 0 {
			want = cmp.Compare(a2, b2)
		}
		if got := strings.Compare(ta, tb); got != want {
			t.Fatalf("(%q,%q) vs (%q,%q): encoded order %d, want %d", a1, a2, b1, b2, got, want)
		}
		if !bytes.HasPrefix([]byte(ta), []byte(tupleBytes([]AV{s(a1)}))) {
			t.Fatalf("prefix of (%q,%q) is not a byte prefix", a1, a2)
		}
	})
}

// FuzzARNParsers: backup and resource-policy ARNs from requests never
// panic, whatever their shape.
func FuzzARNParsers(f *testing.F) {
	f.Add("arn:aws:dynamodb:us-east-1:123456789012:table/t/backup/0001-ab")
	f.Add("arn:aws:dynamodb:us-east-1:123456789012:table/t/index/i")
	f.Add("arn:aws:kinesis:us-east-1:123456789012:stream/s")
	f.Add("arn:::::")
	svc, _, ctx := newTestService(f)
	f.Fuzz(func(t *testing.T, arn string) {
		_, _ = backupID(ctx, arn)
		_ = checkKinesisARN(arn)
		if _, _, _, err := svc.ResourcePolicy(context.Background(), arn); err != nil {
			t.Fatalf("ResourcePolicy(%q): %v", arn, err)
		}
		_ = checkTableName(arn)
	})
}
