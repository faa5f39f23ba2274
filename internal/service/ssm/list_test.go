package ssm

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func names(ps []ssmapi.Parameter) string {
	var out []string
	for _, p := range ps {
		out = append(out, *p.Name)
	}
	return strings.Join(out, ",")
}

func TestGetParametersByPath(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"/a/x", "/a/y", "/a/b/z", "/a/b/c/w", "/ab", "/top"} {
		f.put(&ssmapi.PutParameterInput{Name: str(n), Value: str("v" + n), Type: str("String")})
	}
	f.put(&ssmapi.PutParameterInput{Name: str("/a/s"), Value: str("secret"), Type: str("SecureString"), Tags: []ssmapi.Tag{{Key: str("env"), Value: str("prod")}}})
	f.LabelParameterVersion(f.ctx(), &ssmapi.LabelParameterVersionInput{Name: str("/a/x"), Labels: []string{"live"}})
	cases := []struct {
		name string
		in   ssmapi.GetParametersByPathInput
		want string
		code string
	}{
		{"one level", ssmapi.GetParametersByPathInput{Path: str("/a")}, "/a/s,/a/x,/a/y", ""},
		{"trailing slash", ssmapi.GetParametersByPathInput{Path: str("/a/")}, "/a/s,/a/x,/a/y", ""},
		{"recursive", ssmapi.GetParametersByPathInput{Path: str("/a"), Recursive: ptr.To(true)}, "/a/b/c/w,/a/b/z,/a/s,/a/x,/a/y", ""},
		{"root", ssmapi.GetParametersByPathInput{Path: str("/")}, "/ab,/top", ""},
		{"type filter", ssmapi.GetParametersByPathInput{Path: str("/a"), ParameterFilters: []ssmapi.ParameterStringFilter{{Key: str("Type"), Values: []string{"SecureString"}}}}, "/a/s", ""},
		{"tag filter", ssmapi.GetParametersByPathInput{Path: str("/a"), ParameterFilters: []ssmapi.ParameterStringFilter{{Key: str("tag:env"), Values: []string{"prod"}}}}, "/a/s", ""},
		{"label filter", ssmapi.GetParametersByPathInput{Path: str("/a"), ParameterFilters: []ssmapi.ParameterStringFilter{{Key: str("Label"), Values: []string{"live"}}}}, "/a/x", ""},
		{"name filter refused", ssmapi.GetParametersByPathInput{Path: str("/a"), ParameterFilters: []ssmapi.ParameterStringFilter{{Key: str("Name"), Values: []string{"x"}}}}, "", "InvalidFilterKey"},
		{"bad option", ssmapi.GetParametersByPathInput{Path: str("/a"), ParameterFilters: []ssmapi.ParameterStringFilter{{Key: str("Type"), Option: str("BeginsWith"), Values: []string{"String"}}}}, "", "InvalidFilterOption"},
		{"bad type value", ssmapi.GetParametersByPathInput{Path: str("/a"), ParameterFilters: []ssmapi.ParameterStringFilter{{Key: str("Type"), Values: []string{"Int"}}}}, "", "InvalidFilterValue"},
		{"relative path", ssmapi.GetParametersByPathInput{Path: str("a")}, "", "ValidationException"},
		{"deep path", ssmapi.GetParametersByPathInput{Path: str(strings.Repeat("/p", 16))}, "", "HierarchyLevelLimitExceededException"},
		{"bad token", ssmapi.GetParametersByPathInput{Path: str("/a"), NextToken: str("!!")}, "", "InvalidNextToken"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.GetParametersByPath(f.ctx(), &c.in)
			if c.code != "" {
				wantCode(t, err, c.code, "")
				return
			}
			if err != nil || names(out.Parameters) != c.want || out.NextToken != nil {
				t.Fatalf("got %s %v (token %v), want %s", names(out.Parameters), err, out.NextToken, c.want)
			}
		})
	}
	// Paging: MaxResults 2 over 5 parameters, every one exactly once.
	var got []string
	var token *string
	pages := 0
	for {
		out, err := f.GetParametersByPath(f.ctx(), &ssmapi.GetParametersByPathInput{Path: str("/a"), Recursive: ptr.To(true), MaxResults: ptr.To(int32(2)), NextToken: token, WithDecryption: ptr.To(true)})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, p := range out.Parameters {
			got = append(got, *p.Name+"="+*p.Value)
		}
		if token = out.NextToken; token == nil {
			break
		}
	}
	if pages != 3 || strings.Join(got, ",") != "/a/b/c/w=v/a/b/c/w,/a/b/z=v/a/b/z,/a/s=secret,/a/x=v/a/x,/a/y=v/a/y" {
		t.Fatalf("%d pages: %v", pages, got)
	}
}

func TestGetParametersInvalid(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/g/a"), Value: str("1"), Type: str("String")})
	out, err := f.GetParameters(f.ctx(), &ssmapi.GetParametersInput{Names: []string{"/g/a", "/g/missing", "/g/a:7", "/g/a:1", "/aws/service/global-infrastructure/regions/us-east-1/longName"}})
	if err != nil {
		t.Fatal(err)
	}
	if names(out.Parameters) != "/g/a,/g/a,/aws/service/global-infrastructure/regions/us-east-1/longName" || fmt.Sprint(out.InvalidParameters) != "[/g/missing /g/a:7]" {
		t.Fatalf("%s %v", names(out.Parameters), out.InvalidParameters)
	}
	if *out.Parameters[2].Value != "US East (N. Virginia)" {
		t.Fatalf("long name %q", *out.Parameters[2].Value)
	}
}

func TestDescribeParameters(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/d/one"), Value: str("1"), Type: str("String")})
	f.put(&ssmapi.PutParameterInput{Name: str("/d/two"), Value: str("2"), Type: str("StringList"), Tier: str("Advanced")})
	f.put(&ssmapi.PutParameterInput{Name: str("/d/sub/three"), Value: str("3"), Type: str("SecureString"), KeyId: str("alias/mine")})
	f.put(&ssmapi.PutParameterInput{Name: str("plain"), Value: str("4"), Type: str("String"), Tags: []ssmapi.Tag{{Key: str("team"), Value: str("x")}}})
	pf := func(k, opt string, v ...string) []ssmapi.ParameterStringFilter {
		f := ssmapi.ParameterStringFilter{Key: str(k), Values: v}
		if opt != "" {
			f.Option = str(opt)
		}
		return []ssmapi.ParameterStringFilter{f}
	}
	cases := []struct {
		name string
		in   ssmapi.DescribeParametersInput
		want string
		code string
	}{
		{"all", ssmapi.DescribeParametersInput{}, "/d/one,/d/sub/three,/d/two,plain", ""},
		{"name equals", ssmapi.DescribeParametersInput{ParameterFilters: pf("Name", "", "/d/one")}, "/d/one", ""},
		{"name begins", ssmapi.DescribeParametersInput{ParameterFilters: pf("Name", "BeginsWith", "/d/t")}, "/d/two", ""},
		{"name contains", ssmapi.DescribeParametersInput{ParameterFilters: pf("Name", "Contains", "o")}, "/d/one,/d/two", ""},
		{"path one level", ssmapi.DescribeParametersInput{ParameterFilters: pf("Path", "", "/d")}, "/d/one,/d/two", ""},
		{"path recursive", ssmapi.DescribeParametersInput{ParameterFilters: pf("Path", "Recursive", "/d")}, "/d/one,/d/sub/three,/d/two", ""},
		{"type", ssmapi.DescribeParametersInput{ParameterFilters: pf("Type", "Equals", "StringList")}, "/d/two", ""},
		{"key", ssmapi.DescribeParametersInput{ParameterFilters: pf("KeyId", "", "alias/mine")}, "/d/sub/three", ""},
		{"tier", ssmapi.DescribeParametersInput{ParameterFilters: pf("Tier", "", "Advanced")}, "/d/two", ""},
		{"tag", ssmapi.DescribeParametersInput{ParameterFilters: pf("tag:team", "", "x")}, "plain", ""},
		{"legacy name prefix", ssmapi.DescribeParametersInput{Filters: []ssmapi.ParametersFilter{{Key: str("Name"), Values: []string{"/d/"}}}}, "/d/one,/d/sub/three,/d/two", ""},
		{"both filters", ssmapi.DescribeParametersInput{Filters: []ssmapi.ParametersFilter{{Key: str("Type"), Values: []string{"String"}}}, ParameterFilters: pf("Type", "", "String")}, "", "ValidationException"},
		{"label refused", ssmapi.DescribeParametersInput{ParameterFilters: pf("Label", "", "x")}, "", "InvalidFilterKey"},
		{"shared", ssmapi.DescribeParametersInput{Shared: ptr.To(true)}, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := f.DescribeParameters(f.ctx(), &c.in)
			if c.code != "" {
				wantCode(t, err, c.code, "")
				return
			}
			var got []string
			for _, p := range out.Parameters {
				got = append(got, *p.Name)
			}
			if err != nil || strings.Join(got, ",") != c.want {
				t.Fatalf("got %v %v, want %s", got, err, c.want)
			}
		})
	}
	out, _ := f.DescribeParameters(f.ctx(), &ssmapi.DescribeParametersInput{MaxResults: ptr.To(int32(3))})
	if len(out.Parameters) != 3 || out.NextToken == nil {
		t.Fatalf("page 1: %d %v", len(out.Parameters), out.NextToken)
	}
	out, _ = f.DescribeParameters(f.ctx(), &ssmapi.DescribeParametersInput{MaxResults: ptr.To(int32(3)), NextToken: out.NextToken})
	if len(out.Parameters) != 1 || *out.Parameters[0].Name != "plain" || out.NextToken != nil {
		t.Fatalf("page 2: %+v", out)
	}
}

func TestPublicParameters(t *testing.T) {
	f := newFixture(t)
	p, err := f.get("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64", false)
	if err != nil || *p.Value != "ami-00000000000000001" || *p.ARN != "arn:aws:ssm:us-east-1::parameter/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64" {
		t.Fatalf("newest AL2023 x86_64: %+v %v", p, err)
	}
	if p, _ := f.get("/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-6.1-arm64", false); *p.Value != "ami-00000000000000003" {
		t.Fatalf("arm64: %s", *p.Value)
	}
	out, err := f.GetParametersByPath(f.ctx(), &ssmapi.GetParametersByPathInput{Path: str("/aws/service/ami-amazon-linux-latest")})
	// The fake catalog feeds five AL parameters (AL2023 x86_64 and arm64
	// under their two names each, AL2); the Windows, Ubuntu and Debian
	// ones have no image behind them.
	if err != nil || len(out.Parameters) != 5 || out.NextToken != nil {
		t.Fatalf("by path: %s %v", names(out.Parameters), err)
	}
	regions, err := f.GetParametersByPath(f.ctx(), &ssmapi.GetParametersByPathInput{Path: str("/aws/service/global-infrastructure/regions"), MaxResults: ptr.To(int32(10))})
	if err != nil || len(regions.Parameters) != 10 || *regions.Parameters[0].Name != "/aws/service/global-infrastructure/regions/ap-northeast-1" {
		t.Fatalf("regions: %s %v", names(regions.Parameters), err)
	}
	if p, _ := f.get("/aws/service/global-infrastructure/services/ssm/longName", false); *p.Value != "AWS Systems Manager" {
		t.Fatalf("ssm long name %q", *p.Value)
	}
	_, err = f.get("/aws/service/nothing/here", false)
	wantCode(t, err, "ParameterNotFound", "")
	_, err = f.DeleteParameter(f.ctx(), &ssmapi.DeleteParameterInput{Name: str("/aws/service/global-infrastructure/current-region")})
	wantCode(t, err, "AccessDeniedException", "reserved")
	d, _ := f.DescribeParameters(f.ctx(), &ssmapi.DescribeParametersInput{})
	if len(d.Parameters) != 0 {
		t.Fatal("public parameters listed as the account's")
	}
}

func TestDeleteAndTags(t *testing.T) {
	f := newFixture(t)
	f.put(&ssmapi.PutParameterInput{Name: str("/t/a"), Value: str("1"), Type: str("String"), Tags: []ssmapi.Tag{{Key: str("k1"), Value: str("v1")}}})
	f.put(&ssmapi.PutParameterInput{Name: str("/t/b"), Value: str("2"), Type: str("String")})
	res := func(id string) (*string, *string) { return str("Parameter"), str(id) }
	typ, id := res("/t/a")
	if _, err := f.AddTagsToResource(f.ctx(), &ssmapi.AddTagsToResourceInput{ResourceType: typ, ResourceId: id, Tags: []ssmapi.Tag{{Key: str("k2"), Value: str("v2")}, {Key: str("k1"), Value: str("new")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.RemoveTagsFromResource(f.ctx(), &ssmapi.RemoveTagsFromResourceInput{ResourceType: typ, ResourceId: id, TagKeys: []string{"k2"}}); err != nil {
		t.Fatal(err)
	}
	l, err := f.ListTagsForResource(f.ctx(), &ssmapi.ListTagsForResourceInput{ResourceType: typ, ResourceId: id})
	if err != nil || len(l.TagList) != 1 || *l.TagList[0].Value != "new" {
		t.Fatalf("tags %+v %v", l, err)
	}
	if tags, ok, err := f.ParameterTags("123456789012", "us-east-1", "t/a"); err != nil || !ok || tags["k1"] != "new" {
		t.Fatalf("ParameterTags: %v %v %v", tags, ok, err)
	}
	_, err = f.ListTagsForResource(f.ctx(), &ssmapi.ListTagsForResourceInput{ResourceType: typ, ResourceId: str("/t/none")})
	wantCode(t, err, "InvalidResourceId", "")
	_, err = f.AddTagsToResource(f.ctx(), &ssmapi.AddTagsToResourceInput{ResourceType: typ, ResourceId: id, Tags: []ssmapi.Tag{{Key: str("aws:x"), Value: str("v")}}})
	wantCode(t, err, "InvalidParameters", "")
	var many []ssmapi.Tag
	for i := 0; i < 50; i++ {
		many = append(many, ssmapi.Tag{Key: str(fmt.Sprint("t", i)), Value: str("v")})
	}
	_, err = f.AddTagsToResource(f.ctx(), &ssmapi.AddTagsToResourceInput{ResourceType: typ, ResourceId: id, Tags: many})
	wantCode(t, err, "TooManyTagsError", "")

	dp, err := f.DeleteParameters(f.ctx(), &ssmapi.DeleteParametersInput{Names: []string{"/t/a", "/t/none"}})
	if err != nil || fmt.Sprint(dp.DeletedParameters) != "[/t/a]" || fmt.Sprint(dp.InvalidParameters) != "[/t/none]" {
		t.Fatalf("delete parameters %+v %v", dp, err)
	}
	if _, err := f.DeleteParameter(f.ctx(), &ssmapi.DeleteParameterInput{Name: str("/t/b")}); err != nil {
		t.Fatal(err)
	}
	_, err = f.DeleteParameter(f.ctx(), &ssmapi.DeleteParameterInput{Name: str("/t/b")})
	wantCode(t, err, "ParameterNotFound", "")
	// Recreated, a parameter starts again at version 1 with no tags.
	if out := f.put(&ssmapi.PutParameterInput{Name: str("/t/a"), Value: str("again"), Type: str("String")}); *out.Version != 1 {
		t.Fatalf("recreated at version %d", *out.Version)
	}
	if l, _ := f.ListTagsForResource(f.ctx(), &ssmapi.ListTagsForResourceInput{ResourceType: typ, ResourceId: id}); len(l.TagList) != 0 {
		t.Fatal("tags survived deletion")
	}
}

func TestTiers(t *testing.T) {
	f := newFixture(t)
	big := strings.Repeat("b", 5000)
	if out := f.put(&ssmapi.PutParameterInput{Name: str("/it"), Value: &big, Type: str("String"), Tier: str("Intelligent-Tiering")}); *out.Tier != "Advanced" {
		t.Fatalf("intelligent tiering chose %s", *out.Tier)
	}
	if out := f.put(&ssmapi.PutParameterInput{Name: str("/it2"), Value: str("small"), Type: str("String"), Tier: str("Intelligent-Tiering")}); *out.Tier != "Standard" {
		t.Fatalf("intelligent tiering chose %s", *out.Tier)
	}
	_, err := f.PutParameter(f.ctx(), &ssmapi.PutParameterInput{Name: str("/it"), Value: str("x"), Tier: str("Standard"), Overwrite: ptr.To(true)})
	wantCode(t, err, "ValidationException", "You can't downgrade a parameter from the advanced-parameter tier")
	// The standard quota counts parameters, not versions.
	var c counts
	f.store.View(func(tx storageTx) error {
		c, _, _ = tally.Get(tx, scope(f.ctx()), "tiers")
		return nil
	})
	if c.Standard != 1 || c.Advanced != 1 {
		t.Fatalf("counts %+v", c)
	}
}

func TestStandardQuota(t *testing.T) {
	f := newFixture(t)
	f.store.Update(func(tx storageTx) error {
		return tally.Put(tx, scope(f.ctx()), counts{Standard: maxStandardParams}, "tiers")
	})
	_, err := f.PutParameter(f.ctx(), &ssmapi.PutParameterInput{Name: str("/over"), Value: str("v"), Type: str("String")})
	wantCode(t, err, "ParameterLimitExceeded", "")
	if out := f.put(&ssmapi.PutParameterInput{Name: str("/adv"), Value: str("v"), Type: str("String"), Tier: str("Advanced")}); *out.Tier != "Advanced" {
		t.Fatal("advanced refused")
	}
}

func TestPolicies(t *testing.T) {
	f := newFixture(t)
	now := f.h.Clock.Now()
	exp := now.Add(10 * 24 * time.Hour).Format(time.RFC3339)
	pol := fmt.Sprintf(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"%s"}},
		{"Type":"ExpirationNotification","Version":"1.0","Attributes":{"Before":"2","Unit":"Days"}},
		{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"36","Unit":"Hours"}}]`, exp)
	f.put(&ssmapi.PutParameterInput{Name: str("/pol/db"), Value: str("pw"), Type: str("String"), Tier: str("Advanced"), Policies: str(pol)})
	policyEvents := func() []string {
		var out []string
		for _, e := range f.bus.of("Parameter Store Policy Action") {
			var d map[string]string
			json.Unmarshal(e.Detail, &d)
			out = append(out, d["policy-type"]+":"+d["parameter-name"])
		}
		return out
	}
	advance := func(d time.Duration) {
		f.h.Clock.Advance(d)
		// The timer runs the sweep on its own goroutine: wait (on the
		// condition, generously) for the schedule to catch up.
		deadline := time.Now().Add(30 * time.Second)
		for time.Now().Before(deadline) {
			var next string
			f.store.View(func(tx storageTx) error {
				return dueTable.List(tx, scopeNone, nil, listFirst, func(k []string, _ due) bool { next = k[0]; return false })
			})
			if next == "" || next > fmt.Sprintf("%020d", f.h.Clock.Now().UnixNano()) {
				return
			}
			time.Sleep(time.Millisecond)
		}
		t.Fatal("policies due were not applied")
	}
	advance(35 * time.Hour)
	if got := policyEvents(); len(got) != 0 {
		t.Fatalf("early events %v", got)
	}
	advance(2 * time.Hour)
	if got := policyEvents(); fmt.Sprint(got) != "[NoChangeNotification:/pol/db]" {
		t.Fatalf("after 37h: %v", got)
	}
	d, _ := f.DescribeParameters(f.ctx(), &ssmapi.DescribeParametersInput{})
	if st := d.Parameters[0].Policies; len(st) != 3 || *st[2].PolicyStatus != "Finished" || *st[0].PolicyStatus != "Pending" {
		t.Fatalf("statuses %+v", st)
	}
	advance(8*24*time.Hour - 37*time.Hour + time.Hour)
	if got := policyEvents(); len(got) != 2 || got[1] != "ExpirationNotification:/pol/db" {
		t.Fatalf("after 8 days: %v", got)
	}
	if _, err := f.get("/pol/db", false); err != nil {
		t.Fatal("deleted before expiration")
	}
	advance(2 * 24 * time.Hour)
	if got := policyEvents(); len(got) != 3 || got[2] != "Expiration:/pol/db" {
		t.Fatalf("after expiration: %v", got)
	}
	_, err := f.get("/pol/db", false)
	wantCode(t, err, "ParameterNotFound", "")
}

func TestPoliciesKeptAndRemoved(t *testing.T) {
	f := newFixture(t)
	exp := f.h.Clock.Now().Add(48 * time.Hour).Format(time.RFC3339)
	f.put(&ssmapi.PutParameterInput{Name: str("/k"), Value: str("1"), Type: str("String"), Tier: str("Advanced"),
		Policies: str(`[{"Type":"Expiration","Version":"1.0","Attributes":{"Timestamp":"` + exp + `"}}]`)})
	f.put(&ssmapi.PutParameterInput{Name: str("/k"), Value: str("2"), Overwrite: ptr.To(true)})
	d, _ := f.DescribeParameters(f.ctx(), &ssmapi.DescribeParametersInput{})
	if len(d.Parameters[0].Policies) != 1 {
		t.Fatal("policies not kept by an update without Policies")
	}
	f.put(&ssmapi.PutParameterInput{Name: str("/k"), Value: str("3"), Overwrite: ptr.To(true), Policies: str("[{}]")})
	f.h.Clock.Advance(72 * time.Hour)
	f.RunPolicies()
	if _, err := f.get("/k", false); err != nil {
		t.Fatalf("removed policy still expired the parameter: %v", err)
	}
}

// TestPoliciesSurviveRestart: the schedule is stored, so a Parameter
// Store started again on the same data (--data-dir) arms it and acts.
func TestPoliciesSurviveRestart(t *testing.T) {
	h := servicetest.New(t, "ssm", servicetest.OnDisk(t.TempDir()))
	b := &bus{}
	s := New(h.Store(), h.Clock, Options{Keys: &fakeKeys{deny: map[string]bool{}}, Bus: b})
	ctx := h.Ctx()
	if _, err := s.PutParameter(ctx, &ssmapi.PutParameterInput{Name: str("/r"), Value: str("v"), Type: str("String"), Tier: str("Advanced"),
		Policies: str(`[{"Type":"NoChangeNotification","Version":"1.0","Attributes":{"After":"1","Unit":"Hours"}}]`)}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	h.Reopen()
	s = New(h.Store(), h.Clock, Options{Bus: b})
	defer s.Close()
	h.Clock.Advance(2 * time.Hour)
	deadline := time.Now().Add(30 * time.Second)
	for len(b.of("Parameter Store Policy Action")) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no policy action after the restart")
		}
		time.Sleep(time.Millisecond)
	}
}
