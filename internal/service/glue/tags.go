package glue

import (
	"strings"

	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Tags are kept by resource ARN for the catalog's databases and tables
// (the resources of this package that take tags).
var tags = storage.NewTable[map[string]string]("tags")

// taggable checks that arn names an existing database or table of the
// caller's catalog and answers the ARN in the case Glue keeps.
func (g *Glue) taggable(ctx *request.Context, tx storage.Tx, arn string) (string, error) {
	prefix := "arn:aws:glue:" + ctx.Region + ":" + ctx.Account + ":"
	rest, ok := strings.CutPrefix(arn, prefix)
	notFound := glueapi.ErrEntityNotFoundException.New("Resource %s not found.", arn)
	if !ok {
		return "", notFound
	}
	sc := scope(ctx)
	kind, name, _ := strings.Cut(rest, "/")
	switch kind {
	case "database":
		if _, err := getDB(tx, sc, strings.ToLower(name)); err != nil {
			return "", err
		}
		return prefix + "database/" + strings.ToLower(name), nil
	case "table":
		db, t, ok := strings.Cut(name, "/")
		if !ok {
			return "", notFound
		}
		if _, err := getTable(tx, sc, strings.ToLower(db), strings.ToLower(t)); err != nil {
			return "", err
		}
		return prefix + "table/" + strings.ToLower(db) + "/" + strings.ToLower(t), nil
	}
	return "", notFound
}

// TagResource adds tags to a database or table.
func (g *Glue) TagResource(ctx *request.Context, in *glueapi.TagResourceInput) (*glueapi.TagResourceOutput, error) {
	sc := scope(ctx)
	err := g.store.Update(func(tx storage.Tx) error {
		arn, err := g.taggable(ctx, tx, ptr.Deref(in.ResourceArn))
		if err != nil {
			return err
		}
		m, _, err := tags.Get(tx, sc, arn)
		if err != nil {
			return err
		}
		if m == nil {
			m = map[string]string{}
		}
		for k, v := range in.TagsToAdd {
			m[k] = v
		}
		return tags.Put(tx, sc, m, arn)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.TagResourceOutput{}, nil
}

// UntagResource removes tags.
func (g *Glue) UntagResource(ctx *request.Context, in *glueapi.UntagResourceInput) (*glueapi.UntagResourceOutput, error) {
	sc := scope(ctx)
	err := g.store.Update(func(tx storage.Tx) error {
		arn, err := g.taggable(ctx, tx, ptr.Deref(in.ResourceArn))
		if err != nil {
			return err
		}
		m, _, err := tags.Get(tx, sc, arn)
		if err != nil {
			return err
		}
		for _, k := range in.TagsToRemove {
			delete(m, k)
		}
		return tags.Put(tx, sc, m, arn)
	})
	if err != nil {
		return nil, err
	}
	return &glueapi.UntagResourceOutput{}, nil
}

// GetTags answers a database's or table's tags.
func (g *Glue) GetTags(ctx *request.Context, in *glueapi.GetTagsInput) (*glueapi.GetTagsOutput, error) {
	var m map[string]string
	err := g.store.View(func(tx storage.Tx) error {
		arn, err := g.taggable(ctx, tx, ptr.Deref(in.ResourceArn))
		if err != nil {
			return err
		}
		m, _, err = tags.Get(tx, scope(ctx), arn)
		return err
	})
	if err != nil {
		return nil, err
	}
	if m == nil {
		m = map[string]string{}
	}
	return &glueapi.GetTagsOutput{Tags: m}, nil
}
