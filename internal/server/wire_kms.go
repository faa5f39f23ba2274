package server

import (
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	"github.com/niwa-cloud/niwa/internal/authz"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/service/kms"
)

// wireKMS wires KMS. Its key policies (with grants folded in) are the
// resource policies the IAM engine requires for every use of a key, and
// its key tags answer aws:ResourceTag conditions.
func wireKMS(d *deps) (*wiring, error) {
	store, err := d.store("kms")
	if err != nil {
		return nil, err
	}
	if d.cfg.DataDir != "" {
		// Key material at rest is sealed under the installation's master
		// key (docs/kms.md).
		mk, err := kms.LoadMasterKey(d.cfg.DataDir)
		if err != nil {
			return nil, err
		}
		if store, err = kms.Sealed(store, mk); err != nil {
			return nil, err
		}
	}
	svc := kms.New(store, d.clock)
	return &wiring{impl: svc, policies: svc, namespace: "kms",
		tags: map[string]authz.ResourceTagger{"kms": kmsTags(svc)}}, nil
}

// kmsTags reads a key's tags through ListResourceTags (50 per key, one
// page).
func kmsTags(svc *kms.KMS) authz.ResourceTagger {
	return tagLookup(func(ctx *request.Context, arn string) (map[string]string, bool, error) {
		c, _, ok := arnScope(ctx, arn)
		if !ok {
			return nil, false, nil
		}
		out, err := svc.ListResourceTags(c, &kmsapi.ListResourceTagsInput{KeyId: &arn})
		if err != nil {
			return notFound(err)
		}
		tags := make(map[string]string, len(out.Tags))
		for _, t := range out.Tags {
			tags[*t.TagKey] = *t.TagValue
		}
		return tags, true, nil
	})
}
