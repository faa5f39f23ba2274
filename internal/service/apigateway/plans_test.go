package apigateway

import (
	"testing"
	"time"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestUsageAndPlans: a plan's quota counts invocations; GetUsage reports
// them by day, UpdateUsage grants more; plan, key and plan-key updates
// and deletions take effect on the data plane.
func TestUsageAndPlans(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, true)
	key := must[*apigatewayapi.ApiKey](t)(e.s.CreateApiKey(ctx, &apigatewayapi.CreateApiKeyRequest{Name: ptr.To("k"), Enabled: ptr.To(true), Value: ptr.To("abcdefghijklmnopqrstuvwxyz")}))
	plan := must[*apigatewayapi.UsagePlan](t)(e.s.CreateUsagePlan(ctx, &apigatewayapi.CreateUsagePlanRequest{Name: ptr.To("p"),
		Quota: &apigatewayapi.QuotaSettings{Limit: ptr.To(int32(2)), Period: ptr.To("DAY")}}))
	must[*apigatewayapi.UsagePlanKey](t)(e.s.CreateUsagePlanKey(ctx, &apigatewayapi.CreateUsagePlanKeyRequest{UsagePlanId: plan.Id, KeyId: key.Id, KeyType: ptr.To("API_KEY")}))
	url := "http://" + b.api + ".execute-api.localhost/test/items"
	hdr := map[string]string{"x-api-key": "abcdefghijklmnopqrstuvwxyz"}
	if s, _, _ := e.do("GET", url, "", hdr); s != 403 {
		t.Fatalf("plan without the stage: %d", s)
	}
	up := must[*apigatewayapi.UsagePlan](t)(e.s.UpdateUsagePlan(ctx, &apigatewayapi.UpdateUsagePlanRequest{UsagePlanId: plan.Id,
		PatchOperations: ops(patch("add", "/apiStages", b.api+":test"), patch("replace", "/name", "renamed"))}))
	if len(up.ApiStages) != 1 || *up.Name != "renamed" {
		t.Fatalf("plan %+v", up)
	}
	_, err := e.s.UpdateUsagePlan(ctx, &apigatewayapi.UpdateUsagePlanRequest{UsagePlanId: plan.Id,
		PatchOperations: ops(patch("replace", "/quota/period", "YEAR"))})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "quota period")
	for i, want := range []int{200, 200, 429} {
		if s, _, _ := e.do("GET", url, "", hdr); s != want {
			t.Fatalf("call %d: %d, want %d", i, s, want)
		}
	}
	day := today(e.h.Clock.Now())
	u := must[*apigatewayapi.Usage](t)(e.s.GetUsage(ctx, &apigatewayapi.GetUsageRequest{UsagePlanId: plan.Id, StartDate: &day, EndDate: &day}))
	if got := u.Items[*key.Id]; len(got) != 1 || got[0][0] != 2 || got[0][1] != 0 {
		t.Fatalf("usage %v", u.Items)
	}
	_, err = e.s.GetUsage(ctx, &apigatewayapi.GetUsageRequest{UsagePlanId: plan.Id, StartDate: ptr.To("2020-01-01"), EndDate: ptr.To("2021-01-01")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
	u = must[*apigatewayapi.Usage](t)(e.s.UpdateUsage(ctx, &apigatewayapi.UpdateUsageRequest{UsagePlanId: plan.Id, KeyId: key.Id,
		PatchOperations: ops(patch("replace", "/remaining", "1"))}))
	if got := u.Items[*key.Id]; got[0][1] != 1 {
		t.Fatalf("usage after update %v", u.Items)
	}
	if s, _, _ := e.do("GET", url, "", hdr); s != 200 {
		t.Fatalf("after granting one more: %d", s)
	}

	k := must[*apigatewayapi.ApiKey](t)(e.s.UpdateApiKey(ctx, &apigatewayapi.UpdateApiKeyRequest{ApiKey: key.Id, PatchOperations: ops(patch("replace", "/enabled", "false"), patch("replace", "/description", "off"))}))
	if ptr.Deref(k.Enabled) || ptr.Deref(k.Description) != "off" || k.Value != nil {
		t.Fatalf("key %+v", k)
	}
	must[*apigatewayapi.Usage](t)(e.s.UpdateUsage(ctx, &apigatewayapi.UpdateUsageRequest{UsagePlanId: plan.Id, KeyId: key.Id, PatchOperations: ops(patch("replace", "/remaining", "5"))}))
	if s, _, _ := e.do("GET", url, "", hdr); s != 403 {
		t.Fatalf("disabled key: %d", s)
	}
	must[*apigatewayapi.ApiKey](t)(e.s.UpdateApiKey(ctx, &apigatewayapi.UpdateApiKeyRequest{ApiKey: key.Id, PatchOperations: ops(patch("replace", "/enabled", "true"))}))
	must[*apigatewayapi.UsagePlanKey](t)(e.s.GetUsagePlanKey(ctx, &apigatewayapi.GetUsagePlanKeyRequest{UsagePlanId: plan.Id, KeyId: key.Id}))
	must[*apigatewayapi.DeleteUsagePlanKeyOutput](t)(e.s.DeleteUsagePlanKey(ctx, &apigatewayapi.DeleteUsagePlanKeyRequest{UsagePlanId: plan.Id, KeyId: key.Id}))
	_, err = e.s.GetUsagePlanKey(ctx, &apigatewayapi.GetUsagePlanKeyRequest{UsagePlanId: plan.Id, KeyId: key.Id})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid API Key identifier specified")
	if s, _, _ := e.do("GET", url, "", hdr); s != 403 {
		t.Fatalf("key out of the plan: %d", s)
	}
	must[*apigatewayapi.DeleteUsagePlanOutput](t)(e.s.DeleteUsagePlan(ctx, &apigatewayapi.DeleteUsagePlanRequest{UsagePlanId: plan.Id}))
	_, err = e.s.GetUsagePlan(ctx, &apigatewayapi.GetUsagePlanRequest{UsagePlanId: plan.Id})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "Invalid Usage Plan ID specified")
}

func TestTags(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	b := e.build(mockIntegration, false)
	for _, arn := range []string{
		"arn:aws:apigateway:" + ctx.Region + "::/restapis/" + b.api,
		"arn:aws:apigateway:" + ctx.Region + "::/restapis/" + b.api + "/stages/test",
	} {
		must[*apigatewayapi.TagResourceOutput](t)(e.s.TagResource(ctx, &apigatewayapi.TagResourceRequest{ResourceArn: &arn, Tags: map[string]string{"a": "1", "b": "2"}}))
		must[*apigatewayapi.UntagResourceOutput](t)(e.s.UntagResource(ctx, &apigatewayapi.UntagResourceRequest{ResourceArn: &arn, TagKeys: []string{"b"}}))
		got := must[*apigatewayapi.Tags](t)(e.s.GetTags(ctx, &apigatewayapi.GetTagsRequest{ResourceArn: &arn}))
		if len(got.Tags) != 1 || got.Tags["a"] != "1" {
			t.Fatalf("%s: tags %v", arn, got.Tags)
		}
	}
	api := must[*apigatewayapi.RestApi](t)(e.s.GetRestApi(ctx, &apigatewayapi.GetRestApiRequest{RestApiId: &b.api}))
	if api.Tags["a"] != "1" {
		t.Fatalf("GetRestApi tags %v", api.Tags)
	}
	_, err := e.s.GetTags(ctx, &apigatewayapi.GetTagsRequest{ResourceArn: ptr.To("arn:aws:s3:::bucket")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Invalid ARN")
	_, err = e.s.GetTags(ctx, &apigatewayapi.GetTagsRequest{ResourceArn: ptr.To("arn:aws:apigateway:" + ctx.Region + "::/restapis/zzzzzzzzzz")})
	wantCode(t, err, apigatewayapi.ErrNotFoundException, "")
	many := map[string]string{}
	for i := range 51 {
		many[string(rune('A'+i/26))+string(rune('a'+i%26))] = "v"
	}
	arn := "arn:aws:apigateway:" + ctx.Region + "::/restapis/" + b.api
	_, err = e.s.TagResource(ctx, &apigatewayapi.TagResourceRequest{ResourceArn: &arn, Tags: many})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "Too many tags")
}

func TestImportApiKeys(t *testing.T) {
	e := newEnv(t)
	ctx := e.h.Ctx()
	plan := must[*apigatewayapi.UsagePlan](t)(e.s.CreateUsagePlan(ctx, &apigatewayapi.CreateUsagePlanRequest{Name: ptr.To("p")}))
	csv := "Name,Key,Description,Enabled,UsagePlanIds\nalpha,aaaaaaaaaaaaaaaaaaaaaaaa,first,true," + *plan.Id + "\nbeta,bbbbbbbbbbbbbbbbbbbbbbbbb,,false,\n"
	ids := must[*apigatewayapi.ApiKeyIds](t)(e.s.ImportApiKeys(ctx, &apigatewayapi.ImportApiKeysRequest{Body: []byte(csv), Format: ptr.To("csv")}))
	if len(ids.Ids) != 2 {
		t.Fatalf("ids %v", ids.Ids)
	}
	k := must[*apigatewayapi.ApiKey](t)(e.s.GetApiKey(ctx, &apigatewayapi.GetApiKeyRequest{ApiKey: &ids.Ids[0], IncludeValue: ptr.To(true)}))
	if *k.Name != "alpha" || *k.Value != "aaaaaaaaaaaaaaaaaaaaaaaa" || !*k.Enabled || ptr.Deref(k.Description) != "first" {
		t.Fatalf("key %+v", k)
	}
	keys := must[*apigatewayapi.UsagePlanKeys](t)(e.s.GetUsagePlanKeys(ctx, &apigatewayapi.GetUsagePlanKeysRequest{UsagePlanId: plan.Id}))
	if len(keys.Items) != 1 || *keys.Items[0].Id != ids.Ids[0] {
		t.Fatalf("plan keys %+v", keys.Items)
	}
	for _, bad := range []string{"", "Name\nx\n", "Key\nshort\n", "Key\n\"unterminated\n"} {
		_, err := e.s.ImportApiKeys(ctx, &apigatewayapi.ImportApiKeysRequest{Body: []byte(bad), Format: ptr.To("csv")})
		wantCode(t, err, apigatewayapi.ErrBadRequestException, "")
	}
	_, err := e.s.ImportApiKeys(ctx, &apigatewayapi.ImportApiKeysRequest{Body: []byte(csv), Format: ptr.To("csv")})
	wantCode(t, err, apigatewayapi.ErrConflictException, "")
	_, err = e.s.ImportApiKeys(ctx, &apigatewayapi.ImportApiKeysRequest{Body: []byte(csv), Format: ptr.To("json")})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "format")
}

func FuzzParseKeyCSV(f *testing.F) {
	f.Add([]byte("Name,Key\nx,aaaaaaaaaaaaaaaaaaaaaaaa\n"))
	f.Add([]byte("key,enabled,usageplanids\n\"a,b\",true,p1;p2\n"))
	f.Add([]byte("\"\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		keys, err := parseKeyCSV(b)
		if err == nil {
			for _, k := range keys {
				if len(k.value) < 20 {
					t.Fatalf("short key %q accepted", k.value)
				}
			}
		}
	})
}

// TestQuotaOffset: a quota's offset is subtracted from its limit in the
// initial period only.
func TestQuotaOffset(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.CreateUsagePlan(e.h.Ctx(), &apigatewayapi.CreateUsagePlanRequest{Name: ptr.To("bad"),
		Quota: &apigatewayapi.QuotaSettings{Limit: ptr.To(int32(3)), Offset: ptr.To(int32(3)), Period: ptr.To("DAY")}})
	wantCode(t, err, apigatewayapi.ErrBadRequestException, "offset")
	url, value, _ := e.keyed(nil, &apigatewayapi.QuotaSettings{Limit: ptr.To(int32(3)), Offset: ptr.To(int32(2)), Period: ptr.To("DAY")})
	h := map[string]string{"x-api-key": value}
	count := func() int {
		n := 0
		for range 5 {
			if s, _, _ := e.do("GET", url, "", h); s == 200 {
				n++
			}
		}
		return n
	}
	if n := count(); n != 1 {
		t.Fatalf("initial period allowed %d, want 3-2", n)
	}
	e.h.Clock.Advance(24 * time.Hour)
	if n := count(); n != 3 {
		t.Fatalf("next period allowed %d, want 3", n)
	}
}
