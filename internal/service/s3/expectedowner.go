package s3

import (
	"context"
	"net/url"
	"strings"

	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// ExpectedOwner is a bucket an S3 request names together with the account
// the caller expects to own it (x-amz-expected-bucket-owner, or
// x-amz-source-expected-bucket-owner for a copy's source).
type ExpectedOwner struct {
	Bucket, Account string
}

// expectedOwners lists the expected bucket owners an S3 input (a
// pointer to its typed input shape) carries. S3 answers 403 AccessDenied
// when a bucket's owner differs, whoever the caller is.
func expectedOwners(input any) []ExpectedOwner {
	in, ok := kit.NewInput(input)
	if !ok {
		return nil
	}
	var out []ExpectedOwner
	if acct, b := in.Str("ExpectedBucketOwner"), in.Str("Bucket"); acct != "" && b != "" {
		out = append(out, ExpectedOwner{Bucket: b, Account: acct})
	}
	if acct, src := in.Str("ExpectedSourceBucketOwner"), in.Str("CopySource"); acct != "" && src != "" {
		if u, err := url.PathUnescape(src); err == nil {
			src = u
		}
		if b, _, ok := strings.Cut(strings.TrimPrefix(src, "/"), "/"); ok && b != "" {
			out = append(out, ExpectedOwner{Bucket: b, Account: acct})
		}
	}
	return out
}

// requestPayer is the x-amz-request-payer an S3 input carries ("" when
// none): a Requester Pays bucket serves other accounts only with it.
func requestPayer(input any) string {
	in, ok := kit.NewInput(input)
	if !ok {
		return ""
	}
	return in.Str("RequestPayer")
}

// inputBucket is the bucket an S3 input names ("" when none).
func inputBucket(input any) string {
	in, ok := kit.NewInput(input)
	if !ok {
		return ""
	}
	return in.Str("Bucket")
}

// precondition refuses, before IAM is asked and whoever the caller, a
// request naming a bucket owned by another account than the one it
// expects (x-amz-expected-bucket-owner, 403 AccessDenied), and a request
// to a Requester Pays bucket from another account (or anyone unsigned)
// that does not accept the charges (x-amz-request-payer).
func (s *S3) precondition(ctx *request.Context, input any) error {
	denied := func() error {
		return &awserr.Error{Code: awserr.Code{Code: "AccessDenied", Status: 403, Sender: true}, Message: "Access Denied"}
	}
	for _, e := range expectedOwners(input) {
		_, owner, found, err := s.ResourcePolicy(ctx, "arn:aws:s3:::"+e.Bucket)
		if err != nil {
			return err
		}
		if found && owner != e.Account {
			return denied()
		}
	}
	bucket := inputBucket(input)
	if bucket == "" {
		return nil
	}
	owner, requester, err := s.RequesterPays(context.Context(ctx), bucket)
	if err != nil || !requester {
		return err
	}
	if ctx.Caller.Anonymous || (ctx.Caller.Account != owner && !strings.EqualFold(requestPayer(input), "requester")) {
		return denied()
	}
	return nil
}
