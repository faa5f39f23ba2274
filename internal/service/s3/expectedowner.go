package s3

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"sync"

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

// preconditionInput is what precondition reads of an S3 input: the
// members named like its fields, "" when the input has none or they are
// unset.
type preconditionInput struct {
	Bucket, ExpectedBucketOwner, CopySource, ExpectedSourceBucketOwner, RequestPayer string
}

// preconditionFields are the field indexes, in one input type, of the
// members preconditionInput holds, in its field order (nil for a member
// the type lacks).
type preconditionFields [5][]int

func fieldsOf(t reflect.Type) *preconditionFields {
	var f preconditionFields
	for i, name := range [len(f)]string{"Bucket", "ExpectedBucketOwner", "CopySource", "ExpectedSourceBucketOwner", "RequestPayer"} {
		if sf, ok := t.FieldByName(name); ok {
			f[i] = sf.Index
		}
	}
	return &f
}

// readPrecondition reads an S3 input (a pointer to its typed input
// shape) as kit.Input.Str would, finding the fields by name once per
// input type when cache is given: precondition runs on every S3
// request, and reflect's FieldByName scans the type's fields (fifty for
// PutObjectInput) for each name.
func readPrecondition(cache *sync.Map, input any) preconditionInput {
	v := reflect.ValueOf(input)
	for v.Kind() == reflect.Pointer && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct {
		return preconditionInput{}
	}
	var fields *preconditionFields
	if cache != nil {
		if f, ok := cache.Load(v.Type()); ok {
			fields = f.(*preconditionFields)
		} else {
			fields = fieldsOf(v.Type())
			cache.Store(v.Type(), fields)
		}
	} else {
		fields = fieldsOf(v.Type())
	}
	var vals [len(preconditionFields{})]string
	for i, idx := range fields {
		if idx != nil {
			vals[i] = kit.StrValue(v.FieldByIndex(idx))
		}
	}
	return preconditionInput{vals[0], vals[1], vals[2], vals[3], vals[4]}
}

// expectedOwners lists the expected bucket owners an S3 input (a
// pointer to its typed input shape) carries. S3 answers 403 AccessDenied
// when a bucket's owner differs, whoever the caller is.
func expectedOwners(input any) []ExpectedOwner {
	return readPrecondition(nil, input).owners()
}

func (in preconditionInput) owners() []ExpectedOwner {
	var out []ExpectedOwner
	if acct, b := in.ExpectedBucketOwner, in.Bucket; acct != "" && b != "" {
		out = append(out, ExpectedOwner{Bucket: b, Account: acct})
	}
	if acct, src := in.ExpectedSourceBucketOwner, in.CopySource; acct != "" && src != "" {
		if u, err := url.PathUnescape(src); err == nil {
			src = u
		}
		if b, _, ok := strings.Cut(strings.TrimPrefix(src, "/"), "/"); ok && b != "" {
			out = append(out, ExpectedOwner{Bucket: b, Account: acct})
		}
	}
	return out
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
	in := readPrecondition(&s.inputFields, input)
	for _, e := range in.owners() {
		_, owner, found, err := s.ResourcePolicy(ctx, "arn:aws:s3:::"+e.Bucket)
		if err != nil {
			return err
		}
		if found && owner != e.Account {
			return denied()
		}
	}
	if in.Bucket == "" {
		return nil
	}
	owner, requester, err := s.RequesterPays(context.Context(ctx), in.Bucket)
	if err != nil || !requester {
		return err
	}
	if ctx.Caller.Anonymous || (ctx.Caller.Account != owner && !strings.EqualFold(in.RequestPayer, "requester")) {
		return denied()
	}
	return nil
}
