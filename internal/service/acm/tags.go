package acm

import (
	"strings"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// checkTags applies the Tag shape's rules and the aws: reservation.
func checkTags(tags []acmapi.Tag) error {
	if len(tags) > maxTags {
		return acmapi.ErrTooManyTagsException.New("the TagSet contains too many Tags: at most %d are allowed.", maxTags)
	}
	for _, t := range tags {
		k, v := ptr.Deref(t.Key), ptr.Deref(t.Value)
		if k == "" || len(k) > 128 || len(v) > 256 {
			return awserr.ValidationException.New("1 validation error detected: Value '%s' at 'tags.member.key' failed to satisfy constraint: Member must have length between 1 and 128 (values at most 256)", k)
		}
		if strings.HasPrefix(strings.ToLower(k), "aws:") {
			return acmapi.ErrInvalidTagException.New("Tag keys starting with 'aws:' are reserved for AWS use: %s", k)
		}
	}
	return nil
}

func setTags(c *cert, tags []acmapi.Tag) {
	for _, t := range tags {
		k := ptr.Deref(t.Key)
		if c.Tags == nil {
			c.Tags = map[string]string{}
		}
		if _, ok := c.Tags[k]; !ok {
			c.TagOrder = append(c.TagOrder, k)
		}
		c.Tags[k] = ptr.Deref(t.Value)
	}
}

// update applies fn to the certificate arn in one transaction.
func (a *ACM) update(ctx *request.Context, arn *string, fn func(c *cert) error) error {
	id, err := ids(ctx, arn)
	if err != nil {
		return err
	}
	return a.opt.Store.Update(func(tx storage.Tx) error {
		c, found, err := certs.Get(tx, scope(ctx), id)
		if err != nil {
			return err
		}
		if !found {
			return notFound(ptr.Deref(arn))
		}
		a.advance(ctx.Now(), &c)
		if err := fn(&c); err != nil {
			return err
		}
		return certs.Put(tx, scope(ctx), c, id)
	})
}

// AddTagsToCertificate adds or replaces tags (at most 50 on a certificate).
func (a *ACM) AddTagsToCertificate(ctx *request.Context, in *acmapi.AddTagsToCertificateRequest) (*acmapi.AddTagsToCertificateOutput, error) {
	if err := checkTags(in.Tags); err != nil {
		return nil, err
	}
	return &acmapi.AddTagsToCertificateOutput{}, a.update(ctx, in.CertificateArn, func(c *cert) error {
		n := len(c.Tags)
		for _, t := range in.Tags {
			if _, ok := c.Tags[ptr.Deref(t.Key)]; !ok {
				n++
			}
		}
		if n > maxTags {
			return acmapi.ErrTooManyTagsException.New("the TagSet contains too many Tags: a certificate can have at most %d.", maxTags)
		}
		setTags(c, in.Tags)
		return nil
	})
}

// RemoveTagsFromCertificate removes tags; a tag given with a value is
// removed only when the value matches.
func (a *ACM) RemoveTagsFromCertificate(ctx *request.Context, in *acmapi.RemoveTagsFromCertificateRequest) (*acmapi.RemoveTagsFromCertificateOutput, error) {
	for _, t := range in.Tags {
		if strings.HasPrefix(strings.ToLower(ptr.Deref(t.Key)), "aws:") {
			return nil, acmapi.ErrInvalidTagException.New("Tag keys starting with 'aws:' are reserved for AWS use: %s", ptr.Deref(t.Key))
		}
	}
	return &acmapi.RemoveTagsFromCertificateOutput{}, a.update(ctx, in.CertificateArn, func(c *cert) error {
		for _, t := range in.Tags {
			k := ptr.Deref(t.Key)
			if v, ok := c.Tags[k]; ok && (t.Value == nil || *t.Value == v) {
				delete(c.Tags, k)
			}
		}
		var order []string
		for _, k := range c.TagOrder {
			if _, ok := c.Tags[k]; ok {
				order = append(order, k)
			}
		}
		c.TagOrder = order
		return nil
	})
}

// ListTagsForCertificate lists a certificate's tags.
func (a *ACM) ListTagsForCertificate(ctx *request.Context, in *acmapi.ListTagsForCertificateRequest) (*acmapi.ListTagsForCertificateResponse, error) {
	c, err := a.load(ctx, in.CertificateArn)
	if err != nil {
		return nil, err
	}
	return &acmapi.ListTagsForCertificateResponse{Tags: c.sortedTags()}, nil
}

// Tags returns the tags of the certificate arn, for aws:ResourceTag.
func (a *ACM) Tags(ctx *request.Context, arn string) (map[string]string, bool, error) {
	c, err := a.load(ctx, &arn)
	if err != nil {
		if acmapi.ErrResourceNotFoundException.Is(err) || acmapi.ErrInvalidArnException.Is(err) {
			return nil, false, nil
		}
		return nil, false, err
	}
	return c.Tags, true, nil
}
