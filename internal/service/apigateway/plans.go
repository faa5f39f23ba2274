package apigateway

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Updates of API keys and usage plans, usage reports, key import and
// tags.

func errNoKey() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid API Key identifier specified")
}

func errNoPlan() error {
	return apigatewayapi.ErrNotFoundException.New("Invalid Usage Plan ID specified")
}

func loadPlan(tx storage.Tx, sc storage.Scope, id string) (usagePlan, error) {
	p, ok, err := plans.Get(tx, sc, id)
	if err == nil && !ok {
		err = errNoPlan()
	}
	return p, err
}

// UpdateApiKey patches /name, /description, /enabled, /customerId, and
// adds or removes a stage ("<restApiId>/<stage>") under /stages.
func (s *APIGateway) UpdateApiKey(ctx *request.Context, in *apigatewayapi.UpdateApiKeyRequest) (*apigatewayapi.ApiKey, error) {
	var out apigatewayapi.ApiKey
	err := s.store.Update(func(tx storage.Tx) error {
		k, ok, err := apiKeys.Get(tx, scope(ctx), ptr.Deref(in.ApiKey))
		if err != nil {
			return err
		}
		if !ok {
			return errNoKey()
		}
		err = applyPatch(&k, in.PatchOperations, patchPaths{"/name", "/description", "/enabled", "/customerId"},
			func(op, path string, value *string) (bool, error) {
				if path != "/stages" {
					return false, nil
				}
				v := ptr.Deref(value)
				api, stage, found := strings.Cut(v, "/")
				switch op {
				case "add":
					if !found {
						return true, apigatewayapi.ErrBadRequestException.New("Invalid stage key: %s", v)
					}
					a, err := s.load(tx, scope(ctx), api)
					if err != nil {
						return true, err
					}
					if _, ok := a.Stages[stage]; !ok {
						return true, errNoStage()
					}
					if !slices.Contains(k.StageKeys, v) {
						k.StageKeys = append(k.StageKeys, v)
					}
				case "remove":
					k.StageKeys = slices.DeleteFunc(k.StageKeys, func(x string) bool { return x == v })
				default:
					return true, errPatchPath(op, path)
				}
				return true, nil
			})
		if err != nil {
			return err
		}
		now := ctx.Now().UTC().Truncate(time.Second)
		k.LastUpdatedDate = &now
		out = k
		return apiKeys.Put(tx, scope(ctx), k, *k.Id)
	})
	if err != nil {
		return nil, err
	}
	out = hideValue(out, false)
	return &out, nil
}

// importedKey is one row of an ImportApiKeys CSV file.
type importedKey struct {
	name, value, description, plans string
	enabled                         bool
}

// maxImportedKeys bounds one import (AWS's default quota is 10,000 keys
// a region).
const maxImportedKeys = 10000

// parseKeyCSV reads the CSV format of ImportApiKeys: a header naming
// columns (case-insensitively) Name, Key, Description, Enabled and
// UsagePlanIds, then one key a row; Key is required.
func parseKeyCSV(body []byte) ([]importedKey, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	r.TrimLeadingSpace = true
	header, err := r.Read()
	if err != nil {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid CSV: a header row is required")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(h))] = i
	}
	if _, ok := col["key"]; !ok {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid CSV: the header must name a Key column")
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var out []importedKey
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, apigatewayapi.ErrBadRequestException.New("Invalid CSV: %v", err)
		}
		if len(out) == maxImportedKeys {
			return nil, apigatewayapi.ErrLimitExceededException.New("Too many API keys in one import (at most %d)", maxImportedKeys)
		}
		k := importedKey{name: field(rec, "name"), value: field(rec, "key"), description: field(rec, "description"),
			plans: field(rec, "usageplanids")}
		k.enabled, _ = strconv.ParseBool(field(rec, "enabled"))
		if len(k.value) < 20 {
			return nil, apigatewayapi.ErrBadRequestException.New("API Key value should be at least 20 characters")
		}
		out = append(out, k)
	}
}

// ImportApiKeys creates the keys of a CSV file (format "csv"), each
// added to the usage plans its UsagePlanIds column names.
func (s *APIGateway) ImportApiKeys(ctx *request.Context, in *apigatewayapi.ImportApiKeysRequest) (*apigatewayapi.ApiKeyIds, error) {
	if ptr.Deref(in.Format) != "csv" {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid format specified. Valid values are csv")
	}
	keys, err := parseKeyCSV(in.Body)
	if err != nil {
		return nil, err
	}
	out := &apigatewayapi.ApiKeyIds{Ids: []string{}, Warnings: []string{}}
	now := ctx.Now().UTC().Truncate(time.Second)
	err = s.store.Update(func(tx storage.Tx) error {
		for _, ik := range keys {
			if _, ok, err := keyValues.Get(tx, scope(ctx), ik.value); err != nil {
				return err
			} else if ok {
				return apigatewayapi.ErrConflictException.New("API Key already exists")
			}
			id := newID()
			value := ik.value
			k := apigatewayapi.ApiKey{Id: &id, Value: &value, Name: ptr.To(ik.name), Enabled: ptr.To(ik.enabled),
				CreatedDate: &now, LastUpdatedDate: &now, StageKeys: []string{}}
			if k.Name == nil || *k.Name == "" {
				k.Name = &id
			}
			if ik.description != "" {
				k.Description = ptr.To(ik.description)
			}
			if err := keyValues.Put(tx, scope(ctx), id, value); err != nil {
				return err
			}
			if err := apiKeys.Put(tx, scope(ctx), k, id); err != nil {
				return err
			}
			for _, pid := range strings.FieldsFunc(ik.plans, func(r rune) bool { return r == ';' || r == ',' || r == ' ' }) {
				p, err := loadPlan(tx, scope(ctx), pid)
				if err != nil {
					return err
				}
				p.Keys = append(p.Keys, id)
				if err := plans.Put(tx, scope(ctx), p, pid); err != nil {
					return err
				}
			}
			out.Ids = append(out.Ids, id)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateUsagePlan patches the plan's name, description, throttle and
// quota, and adds or removes API stages ("<restApiId>:<stage>" under
// /apiStages).
func (s *APIGateway) UpdateUsagePlan(ctx *request.Context, in *apigatewayapi.UpdateUsagePlanRequest) (*apigatewayapi.UsagePlan, error) {
	var out apigatewayapi.UsagePlan
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := loadPlan(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		err = applyPatch(&p.Plan, in.PatchOperations, patchPaths{"/name", "/description", "/productCode",
			"/throttle/burstLimit", "/throttle/rateLimit", "/quota/limit", "/quota/period", "/quota/offset"},
			func(op, path string, value *string) (bool, error) {
				switch {
				case path == "/throttle" && op == "remove":
					p.Plan.Throttle = nil
				case path == "/quota" && op == "remove":
					p.Plan.Quota = nil
				case path == "/apiStages":
					v := ptr.Deref(value)
					api, stage, found := strings.Cut(v, ":")
					if !found {
						return true, apigatewayapi.ErrBadRequestException.New("Invalid API stage specified: %s. Must be <restApiId>:<stageName>", v)
					}
					same := func(st apigatewayapi.ApiStage) bool {
						return ptr.Deref(st.ApiId) == api && ptr.Deref(st.Stage) == stage
					}
					switch op {
					case "add":
						a, err := s.load(tx, scope(ctx), api)
						if err != nil {
							return true, err
						}
						if _, ok := a.Stages[stage]; !ok {
							return true, apigatewayapi.ErrNotFoundException.New("Invalid stage identifier specified")
						}
						if !slices.ContainsFunc(p.Plan.ApiStages, same) {
							p.Plan.ApiStages = append(p.Plan.ApiStages, apigatewayapi.ApiStage{ApiId: &api, Stage: &stage})
						}
					case "remove":
						if !slices.ContainsFunc(p.Plan.ApiStages, same) {
							return true, apigatewayapi.ErrNotFoundException.New("Invalid stage identifier specified")
						}
						p.Plan.ApiStages = slices.DeleteFunc(p.Plan.ApiStages, same)
					default:
						return true, errPatchPath(op, path)
					}
				default:
					return false, nil
				}
				return true, nil
			})
		if err != nil {
			return err
		}
		if q := p.Plan.Quota; q != nil {
			if !quotaPeriods[ptr.Deref(q.Period)] {
				return apigatewayapi.ErrBadRequestException.New("Invalid quota period specified. Valid values are DAY, WEEK, MONTH")
			}
			if ptr.Deref(q.Limit) < 0 {
				return apigatewayapi.ErrBadRequestException.New("Quota limit should be a non-negative integer")
			}
			if err := checkQuotaOffset(q); err != nil {
				return err
			}
		}
		for _, op := range in.PatchOperations {
			if strings.HasPrefix(ptr.Deref(op.Path), "/quota") {
				// A changed quota starts a new initial period for its offset.
				p.QuotaStart = quotaStart(p.Plan.Quota, ctx.Now())
			}
		}
		out = p.Plan
		return plans.Put(tx, scope(ctx), p, *p.Plan.Id)
	})
	if err != nil {
		return nil, err
	}
	s.forgetBuckets(*out.Id)
	return &out, nil
}

// forgetBuckets drops a plan's throttle buckets so a changed throttle
// applies from the next request.
func (s *APIGateway) forgetBuckets(planID string) {
	s.bmu.Lock()
	defer s.bmu.Unlock()
	for k := range s.buckets {
		if strings.HasPrefix(k, planID+"/") {
			delete(s.buckets, k)
		}
	}
}

func (s *APIGateway) DeleteUsagePlan(ctx *request.Context, in *apigatewayapi.DeleteUsagePlanRequest) (*apigatewayapi.DeleteUsagePlanOutput, error) {
	id := ptr.Deref(in.UsagePlanId)
	err := s.store.Update(func(tx storage.Tx) error {
		if _, err := loadPlan(tx, scope(ctx), id); err != nil {
			return err
		}
		if err := plans.Delete(tx, scope(ctx), id); err != nil {
			return err
		}
		if err := storage.DeletePrefix(tx, quotas.Key(scope(ctx), id)); err != nil {
			return err
		}
		return storage.DeletePrefix(tx, daily.Key(scope(ctx), id))
	})
	if err != nil {
		return nil, err
	}
	s.forgetBuckets(id)
	return &apigatewayapi.DeleteUsagePlanOutput{}, nil
}

func (s *APIGateway) GetUsagePlanKey(ctx *request.Context, in *apigatewayapi.GetUsagePlanKeyRequest) (*apigatewayapi.UsagePlanKey, error) {
	var out apigatewayapi.UsagePlanKey
	err := s.store.View(func(tx storage.Tx) error {
		p, err := loadPlan(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		if !slices.Contains(p.Keys, ptr.Deref(in.KeyId)) {
			return errNoKey()
		}
		k, ok, err := apiKeys.Get(tx, scope(ctx), ptr.Deref(in.KeyId))
		if err != nil {
			return err
		}
		if !ok {
			return errNoKey()
		}
		out = apigatewayapi.UsagePlanKey{Id: k.Id, Type: ptr.To("API_KEY"), Value: k.Value, Name: k.Name}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}

func (s *APIGateway) DeleteUsagePlanKey(ctx *request.Context, in *apigatewayapi.DeleteUsagePlanKeyRequest) (*apigatewayapi.DeleteUsagePlanKeyOutput, error) {
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := loadPlan(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		if !slices.Contains(p.Keys, ptr.Deref(in.KeyId)) {
			return errNoKey()
		}
		p.Keys = slices.DeleteFunc(p.Keys, func(k string) bool { return k == ptr.Deref(in.KeyId) })
		return plans.Put(tx, scope(ctx), p, *p.Plan.Id)
	})
	if err != nil {
		return nil, err
	}
	return &apigatewayapi.DeleteUsagePlanKeyOutput{}, nil
}

// maxUsageDays bounds a GetUsage range (AWS keeps 90 days of usage).
const maxUsageDays = 90

// usage reports, for each key of the plan (or the one asked for), one
// [used, remaining] pair a day from start to end; remaining is what the
// quota period holding that day has left (the limit when there is no
// quota... reported as 0 with no quota, as nothing limits it).
func (s *APIGateway) usage(tx storage.Tx, sc storage.Scope, p usagePlan, keyID, startDate, endDate string) (*apigatewayapi.Usage, error) {
	start, err1 := time.Parse("2006-01-02", startDate)
	end, err2 := time.Parse("2006-01-02", endDate)
	if err1 != nil || err2 != nil {
		return nil, apigatewayapi.ErrBadRequestException.New("Invalid date format. Dates must be in the format yyyy-MM-dd")
	}
	if end.Before(start) {
		return nil, apigatewayapi.ErrBadRequestException.New("The end date must not be before the start date")
	}
	if end.Sub(start) > maxUsageDays*24*time.Hour {
		return nil, apigatewayapi.ErrBadRequestException.New("The date range cannot exceed %d days", maxUsageDays)
	}
	keys := p.Keys
	if keyID != "" {
		if !slices.Contains(p.Keys, keyID) {
			return nil, errNoKey()
		}
		keys = []string{keyID}
	}
	out := &apigatewayapi.Usage{UsagePlanId: p.Plan.Id, StartDate: &startDate, EndDate: &endDate, Items: map[string][][]int64{}}
	for _, k := range keys {
		var rows [][]int64
		for d := start; !d.After(end); d = d.AddDate(0, 0, 1) {
			used, _, err := daily.Get(tx, sc, *p.Plan.Id, k, today(d))
			if err != nil {
				return nil, err
			}
			remaining := int64(0)
			if q := p.Plan.Quota; q != nil {
				n, _, err := quotas.Get(tx, sc, *p.Plan.Id, k, periodStart(ptr.Deref(q.Period), d).Format(time.RFC3339))
				if err != nil {
					return nil, err
				}
				remaining = max(0, int64(ptr.Deref(q.Limit))-n)
			}
			rows = append(rows, []int64{used, remaining})
		}
		out.Items[k] = rows
	}
	return out, nil
}

func (s *APIGateway) GetUsage(ctx *request.Context, in *apigatewayapi.GetUsageRequest) (*apigatewayapi.Usage, error) {
	var out *apigatewayapi.Usage
	err := s.store.View(func(tx storage.Tx) error {
		p, err := loadPlan(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		out, err = s.usage(tx, scope(ctx), p, ptr.Deref(in.KeyId), ptr.Deref(in.StartDate), ptr.Deref(in.EndDate))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// UpdateUsage grants a key more (or fewer) requests for the current
// quota period: "replace" on /remaining sets what is left.
func (s *APIGateway) UpdateUsage(ctx *request.Context, in *apigatewayapi.UpdateUsageRequest) (*apigatewayapi.Usage, error) {
	var out *apigatewayapi.Usage
	now := ctx.Now().UTC()
	err := s.store.Update(func(tx storage.Tx) error {
		p, err := loadPlan(tx, scope(ctx), ptr.Deref(in.UsagePlanId))
		if err != nil {
			return err
		}
		keyID := ptr.Deref(in.KeyId)
		if !slices.Contains(p.Keys, keyID) {
			return errNoKey()
		}
		q := p.Plan.Quota
		for _, op := range in.PatchOperations {
			if ptr.Deref(op.Op) != "replace" || ptr.Deref(op.Path) != "/remaining" {
				return errPatchPath(ptr.Deref(op.Op), ptr.Deref(op.Path))
			}
			if q == nil {
				return apigatewayapi.ErrBadRequestException.New("Usage plan %s has no quota", *p.Plan.Id)
			}
			left, err := strconv.ParseInt(ptr.Deref(op.Value), 10, 64)
			if err != nil || left < 0 {
				return apigatewayapi.ErrBadRequestException.New("Invalid remaining value: %s", ptr.Deref(op.Value))
			}
			start := periodStart(ptr.Deref(q.Period), now).Format(time.RFC3339)
			if err := quotas.Put(tx, scope(ctx), int64(ptr.Deref(q.Limit))-left, *p.Plan.Id, keyID, start); err != nil {
				return err
			}
		}
		out, err = s.usage(tx, scope(ctx), p, keyID, today(now), today(now))
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
