package server

import (
	"context"

	"github.com/niwa-cloud/niwa/internal/authz"
	"github.com/niwa-cloud/niwa/internal/gateway"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/request"
)

// objectExistence is S3's answer to whether a bucket's key has a current
// version (s3.S3.ObjectExists).
type objectExistence interface {
	ObjectExists(ctx context.Context, bucket, key string) (bool, error)
}

// s3MissingKey applies S3's rule for reads of a key that does not exist
// (GetObject, HeadObject): the caller learns "404 NoSuchKey" only if it
// may also s3:ListBucket the bucket — evaluated with s3:prefix set to the
// key, so a ListBucket allowed for a prefix answers for keys under it —
// and gets 403 AccessDenied otherwise (S3 API Reference, GetObject and
// HeadObject "Permissions"). The ListBucket decision is taken first (no
// storage read); the object is looked up only when it is refused.
func (a *authorizer) s3MissingKey(ctx *request.Context, svc *gateway.Service, s *subject, op string, input any) error {
	if op != "GetObject" && op != "HeadObject" || a.mode != EnforcementOn {
		return nil
	}
	bucket, key, version := authz.S3Object(input)
	src, ok := a.sources["s3"].(objectExistence)
	if !ok || bucket == "" || key == "" || version != "" {
		return nil
	}
	c := authz.Check{Action: "s3:ListBucket", Resource: "arn:aws:s3:::" + bucket, Context: iam.Context{"s3:prefix": {key}}}
	req := iam.Request{Principal: s.principal, Action: c.Action, Resource: c.Resource}
	pols := s.policies
	exists, err := a.resourcePolicy(ctx, &req, &pols)
	if err != nil || !exists {
		return err // no bucket: the handler answers NoSuchBucket
	}
	req.Context = a.context(ctx, s, c)
	if err := a.resourceTags(ctx, &req, pols); err != nil {
		return err
	}
	dec := iam.Evaluate(req, pols)
	if dec.Allowed() || (dec.Reason == iam.ImplicitDeny && dec.Layer == iam.LayerResource && a.aclAllows(ctx, &req, ctx.Caller)) {
		return nil
	}
	found, err := src.ObjectExists(ctx, bucket, key)
	if err != nil || found {
		return err
	}
	return denied(svc, req, dec)
}
