package apigateway

import (
	"maps"
	"strings"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Tags on rest APIs, stages, API keys and usage plans, named by ARN:
// arn:aws:apigateway:<region>::/restapis/<id>[/stages/<name>],
// arn:aws:apigateway:<region>::/apikeys/<id>, .../usageplans/<id>.

// maxTags is AWS's limit of tags on one resource.
const maxTags = 50

// withTags reads (and, when fn changes them, writes) the tags of the
// resource an ARN names.
func (s *APIGateway) withTags(ctx *request.Context, arn string, write bool, fn func(tags map[string]string) (map[string]string, error)) error {
	prefix := "arn:aws:apigateway:" + ctx.Region + "::/"
	rest, ok := strings.CutPrefix(arn, prefix)
	if !ok {
		return apigatewayapi.ErrBadRequestException.New("Invalid ARN specified in the request: %s", arn)
	}
	parts := strings.Split(rest, "/")
	do := func(tx storage.Tx) error {
		sc := scope(ctx)
		switch {
		case len(parts) == 2 && parts[0] == "restapis":
			a, err := s.load(tx, sc, parts[1])
			if err != nil {
				return err
			}
			if a.API.Tags, err = fn(a.API.Tags); err != nil {
				return err
			}
			if write {
				return apis.Put(tx, sc, a, parts[1])
			}
		case len(parts) == 4 && parts[0] == "restapis" && parts[2] == "stages":
			a, err := s.load(tx, sc, parts[1])
			if err != nil {
				return err
			}
			st, ok := a.Stages[parts[3]]
			if !ok {
				return errNoStage()
			}
			if st.Tags, err = fn(st.Tags); err != nil {
				return err
			}
			a.Stages[parts[3]] = st
			if write {
				return apis.Put(tx, sc, a, parts[1])
			}
		case len(parts) == 2 && parts[0] == "apikeys":
			k, ok, err := apiKeys.Get(tx, sc, parts[1])
			if err != nil {
				return err
			}
			if !ok {
				return errNoKey()
			}
			if k.Tags, err = fn(k.Tags); err != nil {
				return err
			}
			if write {
				return apiKeys.Put(tx, sc, k, parts[1])
			}
		case len(parts) == 2 && parts[0] == "usageplans":
			p, err := loadPlan(tx, sc, parts[1])
			if err != nil {
				return err
			}
			if p.Plan.Tags, err = fn(p.Plan.Tags); err != nil {
				return err
			}
			if write {
				return plans.Put(tx, sc, p, parts[1])
			}
		default:
			return apigatewayapi.ErrBadRequestException.New("Invalid ARN specified in the request: %s", arn)
		}
		return nil
	}
	if write {
		return s.store.Update(do)
	}
	return s.store.View(do)
}

func (s *APIGateway) TagResource(ctx *request.Context, in *apigatewayapi.TagResourceRequest) (*apigatewayapi.TagResourceOutput, error) {
	err := s.withTags(ctx, ptr.Deref(in.ResourceArn), true, func(tags map[string]string) (map[string]string, error) {
		if tags == nil {
			tags = map[string]string{}
		}
		maps.Copy(tags, in.Tags)
		if len(tags) > maxTags {
			return nil, apigatewayapi.ErrBadRequestException.New("Too many tags: a resource can have at most %d tags", maxTags)
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.TagResourceOutput{}, nil
}

func (s *APIGateway) UntagResource(ctx *request.Context, in *apigatewayapi.UntagResourceRequest) (*apigatewayapi.UntagResourceOutput, error) {
	err := s.withTags(ctx, ptr.Deref(in.ResourceArn), true, func(tags map[string]string) (map[string]string, error) {
		for _, k := range in.TagKeys {
			delete(tags, k)
		}
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.UntagResourceOutput{}, nil
}

func (s *APIGateway) GetTags(ctx *request.Context, in *apigatewayapi.GetTagsRequest) (*apigatewayapi.Tags, error) {
	out := &apigatewayapi.Tags{Tags: map[string]string{}}
	err := s.withTags(ctx, ptr.Deref(in.ResourceArn), false, func(tags map[string]string) (map[string]string, error) {
		maps.Copy(out.Tags, tags)
		return tags, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
