package apigateway

import (
	"sort"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/awsid"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// API keys are stored by id; keyValues maps a key's value to its id so
// the data plane finds the key an x-api-key header names.

func (s *APIGateway) CreateApiKey(ctx *request.Context, in *apigatewayapi.CreateApiKeyRequest) (*apigatewayapi.ApiKey, error) {
	id := newID()
	value := ptr.Deref(in.Value)
	if value == "" {
		// 40 characters, as AWS generates them.
		value = awsid.String("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", 40)
	} else if len(value) < 20 {
		return nil, apigatewayapi.ErrBadRequestException.New("API Key value should be at least 20 characters")
	}
	now := ctx.Now().UTC().Truncate(time.Second)
	k := apigatewayapi.ApiKey{Id: &id, Value: &value, Name: in.Name, CustomerId: in.CustomerId,
		Description: in.Description, Enabled: ptr.To(ptr.Deref(in.Enabled)), CreatedDate: &now,
		LastUpdatedDate: &now, StageKeys: []string{}, Tags: in.Tags}
	for _, sk := range in.StageKeys {
		k.StageKeys = append(k.StageKeys, ptr.Deref(sk.RestApiId)+"/"+ptr.Deref(sk.StageName))
	}
	err := s.store.Update(func(tx storage.Tx) error {
		if _, ok, err := keyValues.Get(tx, scope(ctx), value); err != nil {
			return err
		} else if ok {
			return apigatewayapi.ErrConflictException.New("API Key already exists")
		}
		if err := keyValues.Put(tx, scope(ctx), id, value); err != nil {
			return err
		}
		return apiKeys.Put(tx, scope(ctx), k, id)
	})
	if err != nil {
		return nil, err
	}
	return &k, nil
}

// hideValue drops the value unless the caller asked for it (includeValue).
func hideValue(k apigatewayapi.ApiKey, include bool) apigatewayapi.ApiKey {
	if !include {
		k.Value = nil
	}
	return k
}

func (s *APIGateway) GetApiKey(ctx *request.Context, in *apigatewayapi.GetApiKeyRequest) (*apigatewayapi.ApiKey, error) {
	var k apigatewayapi.ApiKey
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		k, ok, err = apiKeys.Get(tx, scope(ctx), ptr.Deref(in.ApiKey))
		if err == nil && !ok {
			err = apigatewayapi.ErrNotFoundException.New("Invalid API Key identifier specified")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	k = hideValue(k, ptr.Deref(in.IncludeValue))
	return &k, nil
}

func (s *APIGateway) GetApiKeys(ctx *request.Context, in *apigatewayapi.GetApiKeysRequest) (*apigatewayapi.ApiKeys, error) {
	out := &apigatewayapi.ApiKeys{Items: []apigatewayapi.ApiKey{}}
	err := s.store.View(func(tx storage.Tx) error {
		return apiKeys.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, k apigatewayapi.ApiKey) bool {
			if q := ptr.Deref(in.NameQuery); q == "" || len(ptr.Deref(k.Name)) >= len(q) && ptr.Deref(k.Name)[:len(q)] == q {
				out.Items = append(out.Items, hideValue(k, ptr.Deref(in.IncludeValues)))
			}
			return true
		})
	})
	sort.Slice(out.Items, func(i, j int) bool { return out.Items[i].CreatedDate.Before(*out.Items[j].CreatedDate) })
	return out, err
}

var quotaPeriods = map[string]bool{"DAY": true, "WEEK": true, "MONTH": true}

func (s *APIGateway) CreateUsagePlan(ctx *request.Context, in *apigatewayapi.CreateUsagePlanRequest) (*apigatewayapi.UsagePlan, error) {
	if q := in.Quota; q != nil {
		if !quotaPeriods[ptr.Deref(q.Period)] {
			return nil, apigatewayapi.ErrBadRequestException.New("Invalid quota period specified. Valid values are DAY, WEEK, MONTH")
		}
		if ptr.Deref(q.Limit) < 0 {
			return nil, apigatewayapi.ErrBadRequestException.New("Quota limit should be a non-negative integer")
		}
		if err := checkQuotaOffset(q); err != nil {
			return nil, err
		}
	}
	id := newID()
	p := apigatewayapi.UsagePlan{Id: &id, Name: in.Name, Description: in.Description, ApiStages: in.ApiStages,
		Throttle: in.Throttle, Quota: in.Quota, Tags: in.Tags}
	if p.ApiStages == nil {
		p.ApiStages = []apigatewayapi.ApiStage{}
	}
	err := s.store.Update(func(tx storage.Tx) error {
		for _, st := range p.ApiStages {
			a, err := s.load(tx, scope(ctx), ptr.Deref(st.ApiId))
			if err != nil {
				return err
			}
			if _, ok := a.Stages[ptr.Deref(st.Stage)]; !ok {
				return apigatewayapi.ErrNotFoundException.New("Invalid stage identifier specified")
			}
		}
		return plans.Put(tx, scope(ctx), usagePlan{Plan: p, QuotaStart: quotaStart(p.Quota, ctx.Now())}, id)
	})
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func (s *APIGateway) GetUsagePlan(ctx *request.Context, in *apigatewayapi.GetUsagePlanRequest) (*apigatewayapi.UsagePlan, error) {
	var p usagePlan
	err := s.store.View(func(tx storage.Tx) error {
		var ok bool
		var err error
		p, ok, err = plans.Get(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err == nil && !ok {
			err = apigatewayapi.ErrNotFoundException.New("Invalid Usage Plan ID specified")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return &p.Plan, nil
}

func (s *APIGateway) CreateUsagePlanKey(ctx *request.Context, in *apigatewayapi.CreateUsagePlanKeyRequest) (*apigatewayapi.UsagePlanKey, error) {
	if ptr.Deref(in.KeyType) != "API_KEY" {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid key type specified. Valid values are API_KEY")
	}
	var out apigatewayapi.UsagePlanKey
	err := s.store.Update(func(tx storage.Tx) error {
		p, ok, err := plans.Get(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		if !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid Usage Plan ID specified")
		}
		k, ok, err := apiKeys.Get(tx, scope(ctx), ptr.Deref(in.KeyId))
		if err != nil {
			return err
		}
		if !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid API Key identifier specified")
		}
		for _, id := range p.Keys {
			if id == *k.Id {
				return apigatewayapi.ErrConflictException.New("Usage Plan %s cannot be added because API Key %s cannot reference multiple Usage Plans with the same API Stage", *p.Plan.Id, *k.Id)
			}
		}
		p.Keys = append(p.Keys, *k.Id)
		out = apigatewayapi.UsagePlanKey{Id: k.Id, Type: ptr.To("API_KEY"), Value: k.Value, Name: k.Name}
		return plans.Put(tx, scope(ctx), p, *p.Plan.Id)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) GetUsagePlans(ctx *request.Context, in *apigatewayapi.GetUsagePlansRequest) (*apigatewayapi.UsagePlans, error) {
	out := &apigatewayapi.UsagePlans{Items: []apigatewayapi.UsagePlan{}}
	err := s.store.View(func(tx storage.Tx) error {
		return plans.List(tx, scope(ctx), nil, storage.ListOptions{}, func(_ []string, p usagePlan) bool {
			if k := ptr.Deref(in.KeyId); k != "" {
				found := false
				for _, id := range p.Keys {
					found = found || id == k
				}
				if !found {
					return true
				}
			}
			out.Items = append(out.Items, p.Plan)
			return true
		})
	})
	return out, err
}

func (s *APIGateway) GetUsagePlanKeys(ctx *request.Context, in *apigatewayapi.GetUsagePlanKeysRequest) (*apigatewayapi.UsagePlanKeys, error) {
	out := &apigatewayapi.UsagePlanKeys{Items: []apigatewayapi.UsagePlanKey{}}
	err := s.store.View(func(tx storage.Tx) error {
		p, ok, err := plans.Get(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		if !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid Usage Plan ID specified")
		}
		for _, id := range p.Keys {
			k, ok, err := apiKeys.Get(tx, scope(ctx), id)
			if err != nil {
				return err
			}
			if ok {
				out.Items = append(out.Items, apigatewayapi.UsagePlanKey{Id: k.Id, Type: ptr.To("API_KEY"), Value: k.Value, Name: k.Name})
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteApiKey deletes a key; the usage plans it was in no longer list it.
func (s *APIGateway) DeleteApiKey(ctx *request.Context, in *apigatewayapi.DeleteApiKeyRequest) (*apigatewayapi.DeleteApiKeyOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		k, ok, err := apiKeys.Get(tx, scope(ctx), ptr.Deref(in.ApiKey))
		if err != nil {
			return err
		}
		if !ok {
			return apigatewayapi.ErrNotFoundException.New("Invalid API Key identifier specified")
		}
		if err := apiKeys.Delete(tx, scope(ctx), *k.Id); err != nil {
			return err
		}
		return keyValues.Delete(tx, scope(ctx), ptr.Deref(k.Value))
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteApiKeyOutput{}, nil
}
