package lambda

import (
	"context"
	"strings"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

const fnARN = "arn:aws:lambda:us-east-1:000000000000:function:"

func TestParseNameForms(t *testing.T) {
	f := newFixture(t)
	cases := []struct {
		raw, qualifier string
		name, qual     string
		code           string
	}{
		{raw: "fn", name: "fn"},
		{raw: "fn:1", name: "fn", qual: "1"},
		{raw: "fn:$LATEST", name: "fn", qual: "$LATEST"},
		{raw: "fn:live", name: "fn", qual: "live"},
		{raw: "000000000000:function:fn", name: "fn"},
		{raw: "000000000000:function:fn:3", name: "fn", qual: "3"},
		{raw: "000000000000:function:fn:live", name: "fn", qual: "live"},
		{raw: fnARN + "fn", name: "fn"},
		{raw: fnARN + "fn:$LATEST", name: "fn", qual: "$LATEST"},
		{raw: fnARN + "fn", qualifier: "2", name: "fn", qual: "2"},
		{raw: "000000000000:function:fn:2", qualifier: "2", name: "fn", qual: "2"},
		{raw: "000000000000:function:fn:2", qualifier: "3", code: "InvalidParameterValueException"},
		{raw: "111111111111:function:fn", code: "ResourceNotFoundException"},
		{raw: "arn:aws:lambda:eu-west-1:000000000000:function:fn", code: "ResourceNotFoundException"},
		{raw: "bad name", code: "InvalidParameterValueException"},
		{raw: "", code: "InvalidParameterValueException"},
	}
	for _, c := range cases {
		var q *string
		if c.qualifier != "" {
			q = ptr.To(c.qualifier)
		}
		name, qual, err := parseName(f.ctx(), c.raw, q)
		if code(err) != c.code || name != c.name || qual != c.qual {
			t.Errorf("parseName(%q, %q) = %q, %q, %v; want %q, %q, %s", c.raw, c.qualifier, name, qual, err, c.name, c.qual, c.code)
		}
	}
}

// A partial ARN works wherever FunctionName is taken.
func TestPartialARNAcrossOperations(t *testing.T) {
	f := newFixture(t)
	f.create(t, "part", "app.ok", nil)
	partial := ptr.To("000000000000:function:part")
	if _, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: partial}); err != nil {
		t.Fatal(err)
	}
	vs, err := f.l.ListVersionsByFunction(f.ctx(), &lambdaapi.ListVersionsByFunctionRequest{FunctionName: partial})
	if err != nil || len(vs.Versions) != 2 {
		t.Fatalf("list versions by partial ARN: %v %+v", err, vs)
	}
	cfg, err := f.l.GetFunctionConfiguration(f.ctx(), &lambdaapi.GetFunctionConfigurationRequest{FunctionName: ptr.To("000000000000:function:part:1")})
	if err != nil || *cfg.Version != "1" {
		t.Fatalf("get by qualified partial ARN: %v %+v", err, cfg)
	}
	if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: partial, Description: ptr.To("d")}); err != nil {
		t.Fatal(err)
	}
}

func TestListVersionsQualifiedARNsAndPaging(t *testing.T) {
	f := newFixture(t)
	f.create(t, "pv", "app.ok", nil)
	for i, d := range []string{"one", "two"} {
		if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("pv"), Description: ptr.To(d)}); err != nil {
			t.Fatal(err)
		}
		v, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("pv")})
		if err != nil || *v.Version != string(rune('1'+i)) {
			t.Fatalf("publish %d: %v %+v", i, err, v)
		}
	}
	var got []string
	var marker *string
	for page := 0; ; page++ {
		out, err := f.l.ListVersionsByFunction(f.ctx(), &lambdaapi.ListVersionsByFunctionRequest{FunctionName: ptr.To("pv"), MaxItems: ptr.To(int32(1)), Marker: marker})
		if err != nil || len(out.Versions) != 1 {
			t.Fatalf("page %d: %v %+v", page, err, out)
		}
		got = append(got, *out.Versions[0].Version+"="+*out.Versions[0].FunctionArn)
		if marker = out.NextMarker; marker == nil {
			break
		}
		if page > 3 {
			t.Fatal("paging does not end")
		}
	}
	want := []string{"$LATEST=" + fnARN + "pv:$LATEST", "1=" + fnARN + "pv:1", "2=" + fnARN + "pv:2"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("versions:\n got %v\nwant %v", got, want)
	}
	// The stored $LATEST keeps its unqualified ARN where AWS shows it so.
	cfg, _ := f.l.GetFunctionConfiguration(f.ctx(), &lambdaapi.GetFunctionConfigurationRequest{FunctionName: ptr.To("pv")})
	if *cfg.FunctionArn != fnARN+"pv" {
		t.Fatalf("unqualified get: %s", *cfg.FunctionArn)
	}
}

func TestPublishOnlyWhenChanged(t *testing.T) {
	f := newFixture(t)
	pub, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("lib"), Content: &lambdaapi.LayerVersionContentInput{ZipFile: zipOf(t, map[string]string{"python/x.py": "X=1"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	f.create(t, "pub", "app.ok", func(in *lambdaapi.CreateFunctionRequest) {
		in.Layers = []string{*pub.LayerVersionArn}
		in.Environment = &lambdaapi.Environment{Variables: map[string]string{"A": "1"}}
	})
	update := func(in lambdaapi.UpdateFunctionConfigurationRequest) {
		t.Helper()
		in.FunctionName = ptr.To("pub")
		if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &in); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name   string
		change func()
		want   string
	}{
		{"first", func() {}, "1"},
		{"unchanged", func() {}, "1"},
		{"same layers and environment set again", func() {
			update(lambdaapi.UpdateFunctionConfigurationRequest{Layers: []string{*pub.LayerVersionArn}, Environment: &lambdaapi.Environment{Variables: map[string]string{"A": "1"}}})
		}, "1"},
		{"description changed", func() { update(lambdaapi.UpdateFunctionConfigurationRequest{Description: ptr.To("new")}) }, "2"},
		{"environment changed", func() {
			update(lambdaapi.UpdateFunctionConfigurationRequest{Environment: &lambdaapi.Environment{Variables: map[string]string{"A": "2"}}})
		}, "3"},
		{"ephemeral storage changed", func() {
			update(lambdaapi.UpdateFunctionConfigurationRequest{EphemeralStorage: &lambdaapi.EphemeralStorage{Size: ptr.To(int32(1024))}})
		}, "4"},
		{"unchanged again", func() {}, "4"},
	}
	for _, s := range steps {
		s.change()
		v, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("pub"), Description: ptr.To("release " + s.name)})
		if err != nil || *v.Version != s.want {
			t.Fatalf("%s: %v version %s, want %s", s.name, err, ptr.Deref(v.Version), s.want)
		}
	}
}

func TestAliasRoutingValidation(t *testing.T) {
	f := newFixture(t)
	f.create(t, "route", "app.ok", nil)
	for _, d := range []string{"a", "b"} {
		if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("route"), Description: ptr.To(d)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("route")}); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name    string
		version string
		weights map[string]float64
		code    string
		msg     string
	}{
		{"weighted", "2", map[string]float64{"1": 0.3}, "", ""},
		{"weight 0 and 1 are in range", "2", map[string]float64{"1": 1}, "", ""},
		{"two additional versions", "2", map[string]float64{"1": 0.1, "3": 0.1}, "InvalidParameterValueException", "Number of items in AdditionalVersionWeights cannot be greater than 1"},
		{"weight above 1", "2", map[string]float64{"1": 1.5}, "ValidationException", "Value '{1=1.5}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0"},
		{"negative weight", "2", map[string]float64{"1": -1}, "ValidationException", "Value '{1=-1.0}'"},
		{"same as primary", "2", map[string]float64{"2": 0.5}, "InvalidParameterValueException", "Invalid function version 2. Function version 2 is already included in routing configuration."},
		{"primary $LATEST", "$LATEST", map[string]float64{"1": 0.5}, "InvalidParameterValueException", "$LATEST is not supported for an alias pointing to more than 1 version"},
		{"additional $LATEST", "2", map[string]float64{"$LATEST": 0.5}, "ValidationException", "Member must satisfy regular expression pattern: [0-9]+"},
		{"missing version", "2", map[string]float64{"9": 0.5}, "ResourceNotFoundException", "Function not found: " + fnARN + "route:9"},
	}
	for i, c := range cases {
		name := "a" + string(rune('a'+i))
		a, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("route"), Name: ptr.To(name), FunctionVersion: ptr.To(c.version),
			RoutingConfig: &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: c.weights}})
		if code(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.msg)) {
			t.Errorf("%s: create: %v", c.name, err)
			continue
		}
		if err == nil && len(a.RoutingConfig.AdditionalVersionWeights) != 1 {
			t.Errorf("%s: routing config not returned: %+v", c.name, a)
		}
		// UpdateAlias validates the same way.
		if _, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("route"), Name: ptr.To("u" + name), FunctionVersion: ptr.To("1")}); err != nil {
			t.Fatal(err)
		}
		_, err = f.l.UpdateAlias(f.ctx(), &lambdaapi.UpdateAliasRequest{FunctionName: ptr.To("route"), Name: ptr.To("u" + name), FunctionVersion: ptr.To(c.version),
			RoutingConfig: &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: c.weights}})
		if code(err) != c.code {
			t.Errorf("%s: update: %v", c.name, err)
		}
	}
}

const arnCode = `def h(event, context):
    return {"version": context.function_version, "arn": context.invoked_function_arn}
`

// Invoking a weighted alias runs the version the draw picks, and
// ExecutedVersion says which; the function sees the ARN it was invoked
// with even in a warm environment another qualifier started.
func TestAliasRoutingInvoke(t *testing.T) {
	needPython(t)
	f := newFixture(t)
	var draw float64
	f.l.opt.Rand = func() float64 { return draw }
	f.create(t, "w", "app.h", func(in *lambdaapi.CreateFunctionRequest) {
		in.Code.ZipFile = zipOf(t, map[string]string{"app.py": arnCode})
	})
	for _, d := range []string{"a", "b"} {
		if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("w"), Description: ptr.To(d)}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("w")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("w"), Name: ptr.To("live"), FunctionVersion: ptr.To("2"),
		RoutingConfig: &lambdaapi.AliasRoutingConfiguration{AdditionalVersionWeights: map[string]float64{"1": 0.25}}}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		fn   string
		draw float64
		want string
	}{{"w:1", 0, "1"}, {"w:live", 0.1, "1"}, {"w:live", 0.24, "1"}, {"w:live", 0.25, "2"}, {"w:live", 0.9, "2"}, {"w:2", 0.1, "2"}} {
		draw = c.draw
		out, err := f.l.Invoke(f.ctx(), &lambdaapi.InvocationRequest{FunctionName: ptr.To(c.fn), Payload: []byte(`{}`)})
		if err != nil || ptr.Deref(out.ExecutedVersion) != c.want ||
			string(out.Payload) != `{"version": "`+c.want+`", "arn": "`+fnARN+c.fn+`"}` {
			t.Fatalf("%s draw %v: %v %s %s, want version %s", c.fn, c.draw, err, ptr.Deref(out.ExecutedVersion), out.Payload, c.want)
		}
	}
}

func TestFunctionARNQualification(t *testing.T) {
	f := newFixture(t)
	f.create(t, "q", "app.ok", nil)
	if _, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("q")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("q"), Name: ptr.To("live"), FunctionVersion: ptr.To("1")}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, qualifier  string
		wantARN, wantVer string
	}{
		{"q", "", fnARN + "q", "$LATEST"},
		{"q", "$LATEST", fnARN + "q:$LATEST", "$LATEST"},
		{"q:$LATEST", "", fnARN + "q:$LATEST", "$LATEST"},
		{"q", "1", fnARN + "q:1", "1"},
		{"q", "live", fnARN + "q:live", "1"},
		{fnARN + "q:live", "", fnARN + "q:live", "1"},
	} {
		var q *string
		if c.qualifier != "" {
			q = ptr.To(c.qualifier)
		}
		g, err := f.l.GetFunction(f.ctx(), &lambdaapi.GetFunctionRequest{FunctionName: ptr.To(c.name), Qualifier: q})
		if err != nil || *g.Configuration.FunctionArn != c.wantARN || *g.Configuration.Version != c.wantVer {
			t.Errorf("GetFunction %s %s: %v %s %s", c.name, c.qualifier, err, ptr.Deref(g.Configuration.FunctionArn), ptr.Deref(g.Configuration.Version))
		}
		cfg, err := f.l.GetFunctionConfiguration(f.ctx(), &lambdaapi.GetFunctionConfigurationRequest{FunctionName: ptr.To(c.name), Qualifier: q})
		if err != nil || *cfg.FunctionArn != c.wantARN || *cfg.Version != c.wantVer {
			t.Errorf("GetFunctionConfiguration %s %s: %v %+v", c.name, c.qualifier, err, cfg)
		}
	}
	list, err := f.l.ListFunctions(f.ctx(), &lambdaapi.ListFunctionsRequest{})
	if err != nil || len(list.Functions) != 1 || *list.Functions[0].FunctionArn != fnARN+"q" {
		t.Fatalf("ListFunctions: %v %+v", err, list)
	}
	all, err := f.l.ListFunctions(f.ctx(), &lambdaapi.ListFunctionsRequest{FunctionVersion: ptr.To("ALL")})
	if err != nil || len(all.Functions) != 2 || *all.Functions[0].FunctionArn != fnARN+"q:$LATEST" || *all.Functions[1].FunctionArn != fnARN+"q:1" {
		t.Fatalf("ListFunctions ALL: %v %+v", err, all)
	}
}

func TestEventInvokeConfigQualifiersAndDestinations(t *testing.T) {
	f := newFixture(t)
	f.create(t, "ev", "app.ok", nil)
	if _, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To("ev")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.CreateAlias(f.ctx(), &lambdaapi.CreateAliasRequest{FunctionName: ptr.To("ev"), Name: ptr.To("live"), FunctionVersion: ptr.To("1")}); err != nil {
		t.Fatal(err)
	}
	queue := "arn:aws:sqs:us-east-1:000000000000:q"
	for _, c := range []struct {
		name, qualifier, arn string
	}{
		{"ev", "", fnARN + "ev:$LATEST"},
		{"ev", "1", fnARN + "ev:1"},
		{"ev:1", "", fnARN + "ev:1"},
		{"000000000000:function:ev:1", "", fnARN + "ev:1"},
		{fnARN + "ev:live", "", fnARN + "ev:live"},
		{fnARN + "ev", "live", fnARN + "ev:live"},
	} {
		var q *string
		if c.qualifier != "" {
			q = ptr.To(c.qualifier)
		}
		put, err := f.l.PutFunctionEventInvokeConfig(f.ctx(), &lambdaapi.PutFunctionEventInvokeConfigRequest{FunctionName: ptr.To(c.name), Qualifier: q, MaximumRetryAttempts: ptr.To(int32(1))})
		if err != nil || *put.FunctionArn != c.arn {
			t.Fatalf("put %s %s: %v %+v", c.name, c.qualifier, err, put)
		}
		upd, err := f.l.UpdateFunctionEventInvokeConfig(f.ctx(), &lambdaapi.UpdateFunctionEventInvokeConfigRequest{FunctionName: ptr.To(c.name), Qualifier: q,
			DestinationConfig: &lambdaapi.DestinationConfig{OnFailure: &lambdaapi.OnFailure{Destination: ptr.To(queue)}}})
		if err != nil || *upd.FunctionArn != c.arn || *upd.MaximumRetryAttempts != 1 || *upd.DestinationConfig.OnFailure.Destination != queue {
			t.Fatalf("update %s %s: %v %+v", c.name, c.qualifier, err, upd)
		}
		get, err := f.l.GetFunctionEventInvokeConfig(f.ctx(), &lambdaapi.GetFunctionEventInvokeConfigRequest{FunctionName: ptr.To(c.name), Qualifier: q})
		if err != nil || *get.FunctionArn != c.arn {
			t.Fatalf("get %s %s: %v %+v", c.name, c.qualifier, err, get)
		}
	}
	list, err := f.l.ListFunctionEventInvokeConfigs(f.ctx(), &lambdaapi.ListFunctionEventInvokeConfigsRequest{FunctionName: ptr.To("000000000000:function:ev")})
	if err != nil || len(list.FunctionEventInvokeConfigs) != 3 {
		t.Fatalf("list: %v %+v", err, list)
	}
	if _, err := f.l.DeleteFunctionEventInvokeConfig(f.ctx(), &lambdaapi.DeleteFunctionEventInvokeConfigRequest{FunctionName: ptr.To("000000000000:function:ev:1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.GetFunctionEventInvokeConfig(f.ctx(), &lambdaapi.GetFunctionEventInvokeConfigRequest{FunctionName: ptr.To("ev"), Qualifier: ptr.To("1")}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("deleted: %v", err)
	}

	for _, c := range []struct {
		name      string
		onSuccess string
		onFailure string
		code, msg string
	}{
		{"queue and topic", queue, "arn:aws:sns:us-east-1:000000000000:t", "", ""},
		{"bus and function", "arn:aws:events:us-east-1:000000000000:event-bus/default", fnARN + "other", "", ""},
		{"not an ARN", "queue", "", "ValidationException", "Value 'queue' at 'destinationConfig.onSuccess.destination' failed to satisfy constraint: Member must satisfy regular expression pattern"},
		{"unsupported service", "", "arn:aws:dynamodb:us-east-1:000000000000:table/t", "InvalidParameterValueException", "The destination ARN arn:aws:dynamodb:us-east-1:000000000000:table/t is invalid."},
		{"itself", fnARN + "ev", "", "InvalidParameterValueException", "You can't specify the function as a destination for itself."},
		{"s3 on success", "arn:aws:s3:::bucket", "", "InvalidParameterValueException", "The destination ARN arn:aws:s3:::bucket is invalid."},
	} {
		dc := &lambdaapi.DestinationConfig{}
		if c.onSuccess != "" {
			dc.OnSuccess = &lambdaapi.OnSuccess{Destination: ptr.To(c.onSuccess)}
		}
		if c.onFailure != "" {
			dc.OnFailure = &lambdaapi.OnFailure{Destination: ptr.To(c.onFailure)}
		}
		_, err := f.l.PutFunctionEventInvokeConfig(f.ctx(), &lambdaapi.PutFunctionEventInvokeConfigRequest{FunctionName: ptr.To("ev"), DestinationConfig: dc})
		if code(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.msg)) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// FuzzParseName: any FunctionName parses or is refused with an AWS error,
// and what parses names a function that parses back to itself.
func FuzzParseName(f *testing.F) {
	for _, s := range []string{"fn", "fn:1", "000000000000:function:fn:live", fnARN + "fn:$LATEST", "function:x", "a:b:c:d:e:f:g:h", "arn:aws:lambda:::function:"} {
		f.Add(s)
	}
	ctx := &request.Context{Context: context.Background(), Account: testAccount, Region: "us-east-1"}
	f.Fuzz(func(t *testing.T, raw string) {
		name, qual, err := parseName(ctx, raw, nil)
		if err != nil {
			if c := code(err); c != "InvalidParameterValueException" && c != "ResourceNotFoundException" {
				t.Fatalf("%q: %v", raw, err)
			}
			return
		}
		again := name
		if qual != "" {
			again += ":" + qual
		}
		n2, q2, err := parseName(ctx, fnARN+again, nil)
		if err != nil || n2 != name || q2 != qual {
			t.Fatalf("%q -> %q %q -> %q %q %v", raw, name, qual, n2, q2, err)
		}
	})
}

func TestReservedConcurrencyAccountWide(t *testing.T) {
	f := newFixture(t)
	for _, n := range []string{"ca", "cb", "cc"} {
		f.create(t, n, "app.ok", nil)
	}
	for _, c := range []struct {
		fn   string
		n    int32
		code string
	}{
		{"ca", 500, ""},
		{"cb", 400, ""},
		{"cc", 1, "InvalidParameterValueException"},
		{"ca", 500, ""}, // its own reservation is replaced, not added
		{"ca", 499, ""},
		{"cc", 1, ""},
		{"cc", -1, "InvalidParameterValueException"},
	} {
		_, err := f.l.PutFunctionConcurrency(f.ctx(), &lambdaapi.PutFunctionConcurrencyRequest{FunctionName: ptr.To(c.fn), ReservedConcurrentExecutions: ptr.To(c.n)})
		if code(err) != c.code {
			t.Fatalf("%s=%d: %v", c.fn, c.n, err)
		}
	}
	s, err := f.l.GetAccountSettings(f.ctx(), &lambdaapi.GetAccountSettingsRequest{})
	if err != nil || *s.AccountLimit.UnreservedConcurrentExecutions != 100 || *s.AccountLimit.ConcurrentExecutions != 1000 ||
		*s.AccountLimit.TotalCodeSize != 75*1024*1024*1024 || *s.AccountUsage.FunctionCount != 3 {
		t.Fatalf("account settings: %v %+v %+v", err, s.AccountLimit, s.AccountUsage)
	}
}

func TestSnapStartAndImages(t *testing.T) {
	f := newFixture(t)
	good := zipOf(t, map[string]string{"app.py": pyCode})
	for _, c := range []struct {
		name      string
		runtime   string
		apply     string
		code, msg string
	}{
		{"python3.12 published versions", "python3.12", "PublishedVersions", "", ""},
		{"none", "nodejs22.x", "None", "", ""},
		{"unsupported runtime", "nodejs22.x", "PublishedVersions", "InvalidParameterValueException", "nodejs22.x is not supported for SnapStart enabled functions."},
		{"bad value", "python3.12", "Always", "ValidationException", "Value 'Always' at 'snapStart.applyOn' failed to satisfy constraint"},
	} {
		fn := "snap-" + strings.ReplaceAll(c.name, " ", "-")
		fn = strings.ReplaceAll(fn, ".", "")
		out, err := f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{FunctionName: ptr.To(fn), Runtime: ptr.To(c.runtime), Handler: ptr.To("app.ok"), Role: ptr.To(role),
			Code: &lambdaapi.FunctionCode{ZipFile: good}, SnapStart: &lambdaapi.SnapStart{ApplyOn: ptr.To(c.apply)}})
		if code(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.msg)) {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if err != nil {
			continue
		}
		if *out.SnapStart.ApplyOn != c.apply || *out.SnapStart.OptimizationStatus != "Off" {
			t.Errorf("%s: $LATEST SnapStart %+v", c.name, out.SnapStart)
		}
		v, err := f.l.PublishVersion(f.ctx(), &lambdaapi.PublishVersionRequest{FunctionName: ptr.To(fn)})
		want := map[string]string{"PublishedVersions": "On", "None": "Off"}[c.apply]
		if err != nil || *v.SnapStart.OptimizationStatus != want {
			t.Errorf("%s: published SnapStart %v %+v", c.name, err, v.SnapStart)
		}
	}
	// Switching to a runtime SnapStart does not take is refused while it is on.
	f.create(t, "snapon", "app.ok", func(in *lambdaapi.CreateFunctionRequest) {
		in.SnapStart = &lambdaapi.SnapStart{ApplyOn: ptr.To("PublishedVersions")}
	})
	if _, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("snapon"), Runtime: ptr.To("nodejs22.x")}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("runtime change under SnapStart: %v", err)
	}
	if out, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("snapon"), SnapStart: &lambdaapi.SnapStart{ApplyOn: ptr.To("None")}}); err != nil || *out.SnapStart.ApplyOn != "None" {
		t.Fatalf("SnapStart off: %v", err)
	}

	// Container images: refused with the reason, wherever they come in.
	f.create(t, "zip", "app.ok", nil)
	for name, call := range map[string]func() error{
		"create image": func() error {
			_, err := f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("img"), PackageType: ptr.To("Image"), Role: ptr.To(role),
				Code: &lambdaapi.FunctionCode{ImageUri: ptr.To("000000000000.dkr.ecr.us-east-1.amazonaws.com/app:latest")}})
			return err
		},
		"update code to image": func() error {
			_, err := f.l.UpdateFunctionCode(f.ctx(), &lambdaapi.UpdateFunctionCodeRequest{FunctionName: ptr.To("zip"), ImageUri: ptr.To("000000000000.dkr.ecr.us-east-1.amazonaws.com/app:latest")})
			return err
		},
		"image config": func() error {
			_, err := f.l.UpdateFunctionConfiguration(f.ctx(), &lambdaapi.UpdateFunctionConfigurationRequest{FunctionName: ptr.To("zip"), ImageConfig: &lambdaapi.ImageConfig{Command: []string{"x"}}})
			return err
		},
	} {
		if err := call(); code(err) != "InvalidParameterValueException" || !strings.Contains(err.Error(), "has no container runtime") {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("pkg"), PackageType: ptr.To("Jar"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role),
		Code: &lambdaapi.FunctionCode{ZipFile: good}}); code(err) != "ValidationException" {
		t.Fatalf("package type: %v", err)
	}
}

func TestTagsAndInvokeConfigRefusals(t *testing.T) {
	f := newFixture(t)
	f.create(t, "tg", "app.ok", nil)
	for _, c := range []struct {
		resource, code, msg string
	}{
		{fnARN + "tg", "", ""},
		{fnARN + "tg:1", "InvalidParameterValueException", "Tagging operations are permitted on Lambda functions only. Tags on aliases and versions are not supported."},
		{"tg", "ValidationException", "Value 'tg' at 'resource' failed to satisfy constraint"},
		{"arn:aws:lambda:us-east-1:111111111111:function:tg", "ResourceNotFoundException", ""},
		{fnARN + "nope", "ResourceNotFoundException", "Function not found: " + fnARN + "nope"},
	} {
		_, err := f.l.TagResource(f.ctx(), &lambdaapi.TagResourceRequest{Resource: ptr.To(c.resource), Tags: map[string]string{"k": "v"}})
		if code(err) != c.code || (err != nil && !strings.Contains(err.Error(), c.msg)) {
			t.Errorf("tag %s: %v", c.resource, err)
		}
	}
	if _, err := f.l.PutFunctionEventInvokeConfig(f.ctx(), &lambdaapi.PutFunctionEventInvokeConfigRequest{FunctionName: ptr.To("tg"), MaximumRetryAttempts: ptr.To(int32(0))}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.UpdateFunctionEventInvokeConfig(f.ctx(), &lambdaapi.UpdateFunctionEventInvokeConfigRequest{FunctionName: ptr.To("tg")}); code(err) != "InvalidParameterValueException" ||
		!strings.Contains(err.Error(), "You must specify at least one of error handling or destination setting.") {
		t.Fatalf("empty update: %v", err)
	}
}

func TestRecursionConfig(t *testing.T) {
	f := newFixture(t)
	f.create(t, "loop", "app.ok", nil)
	get := func(name string) (string, error) {
		out, err := f.l.GetFunctionRecursionConfig(f.ctx(), &lambdaapi.GetFunctionRecursionConfigRequest{FunctionName: ptr.To(name)})
		if err != nil {
			return "", err
		}
		return *out.RecursiveLoop, nil
	}
	if got, err := get("loop"); err != nil || got != "Terminate" {
		t.Fatalf("default: %q %v", got, err)
	}
	for _, c := range []struct{ name, loop, code string }{
		{"000000000000:function:loop", "Allow", ""},
		{"loop", "Sometimes", "ValidationException"},
		{"loop:1", "Allow", "ValidationException"},
		{"missing", "Allow", "ResourceNotFoundException"},
	} {
		_, err := f.l.PutFunctionRecursionConfig(f.ctx(), &lambdaapi.PutFunctionRecursionConfigRequest{FunctionName: ptr.To(c.name), RecursiveLoop: ptr.To(c.loop)})
		if code(err) != c.code {
			t.Errorf("put %s %s: %v", c.name, c.loop, err)
		}
	}
	if got, err := get(fnARN + "loop"); err != nil || got != "Allow" {
		t.Fatalf("after put: %q %v", got, err)
	}
	if _, err := get("missing"); code(err) != "ResourceNotFoundException" {
		t.Fatalf("missing: %v", err)
	}
}

func TestCodeStorageQuota(t *testing.T) {
	f := newFixture(t)
	first := f.create(t, "s1", "app.ok", nil)
	size := *first.CodeSize
	// Room for two packages of this size: the function's and one more.
	f.l.opt.CodeStorageLimit = 2*size + size/2
	f.create(t, "s2", "app.ok", nil)
	good := zipOf(t, map[string]string{"app.py": pyCode})
	_, err := f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{FunctionName: ptr.To("s3"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role),
		Code: &lambdaapi.FunctionCode{ZipFile: good}})
	if code(err) != "CodeStorageExceededException" || !strings.Contains(err.Error(), "Code storage limit exceeded.") {
		t.Fatalf("over quota: %v", err)
	}
	if _, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{LayerName: ptr.To("l"), Content: &lambdaapi.LayerVersionContentInput{ZipFile: good}}); code(err) != "CodeStorageExceededException" {
		t.Fatalf("layer over quota: %v", err)
	}
	if _, err := f.l.UpdateFunctionCode(f.ctx(), &lambdaapi.UpdateFunctionCodeRequest{FunctionName: ptr.To("s1"), ZipFile: good}); code(err) != "CodeStorageExceededException" {
		t.Fatalf("update over quota: %v", err)
	}
	if _, err := f.l.DeleteFunction(f.ctx(), &lambdaapi.DeleteFunctionRequest{FunctionName: ptr.To("s2")}); err != nil {
		t.Fatal(err)
	}
	f.create(t, "s3", "app.ok", nil)
}
