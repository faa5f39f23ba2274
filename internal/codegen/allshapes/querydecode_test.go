package allshapes

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	cloudformationapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/query"
)

// querySpecs are the API packages served in the query protocol
// (CloudWatch as one of its protocols) and in ec2's.
func querySpecs() []api.Spec {
	return []api.Spec{cloudformationapi.Spec(), cloudwatchapi.Spec(), ec2api.Spec(), elbapi.Spec(), elbv2api.Spec(),
		iamapi.Spec(), rdsapi.Spec(), sesapi.Spec(), snsapi.Spec(), stsapi.Spec()}
}

// queryInput is one operation's input: its model, Go type and codec.
type queryInput struct {
	name  string
	svc   *model.Service
	op    *model.Operation
	typ   reflect.Type
	ec2   bool
	codec *query.Codec
}

func queryInputs(t testing.TB) []queryInput {
	all := All()
	qc, ec := query.New(), query.NewEC2()
	var ins []queryInput
	for _, spec := range querySpecs() {
		m, err := spec.Model()
		if err != nil {
			t.Fatal(err)
		}
		types := typesByName(all[spec.Name])
		ec2 := spec.Metadata.Protocol == "ec2"
		codec := qc
		if ec2 {
			codec = ec
		}
		for _, name := range spec.Operations {
			op := m.Operations[name]
			if op.Input == nil {
				continue
			}
			typ, ok := types[typeName(op.Input.Shape.Name)]
			if !ok {
				t.Fatalf("%s %s: no Go type for %s", spec.Name, name, op.Input.Shape.Name)
			}
			ins = append(ins, queryInput{spec.Name + "." + name, m, op, typ, ec2, codec})
		}
	}
	return ins
}

// formRequest is a POST of the form body with the URL query qs.
func formRequest(qs, body string) *protocol.Request {
	// Made by hand: the fuzzer's query strings need not be valid URLs.
	r := &http.Request{Method: http.MethodPost, URL: &url.URL{Path: "/", RawQuery: qs}, Header: http.Header{},
		Body: io.NopCloser(strings.NewReader(body)), ContentLength: int64(len(body))}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8")
	return protocol.NewRequest(r, nil)
}

// decodeBothQuery decodes a form the tree way (Decode, then the
// Converter) and the typed way, each on its own request, and checks
// Resolve against Request.Form's Action. It fails t if the typed decoder
// succeeded where the tree path did not, or built a different value, or
// a value whose tree form (what the gateway validates and records) is not
// the decoded tree. It reports whether each succeeded.
func decodeBothQuery(t testing.TB, in queryInput, qs, body string) (treeOK, typedOK bool) {
	t.Helper()
	// Resolve (which scans the form for Action) answers as it did when
	// it read Request.Form.
	rreq := formRequest(qs, body)
	op, rerr := in.codec.Resolve(in.svc, rreq)
	form, ferr := formRequest(qs, body).Form()
	switch {
	case ferr != nil:
		if e := awserr.As(rerr); e == nil || e.Code != awserr.MalformedQueryString || !strings.HasSuffix(e.Message, ferr.Error()) {
			t.Fatalf("%s: Resolve(%q, %q) = %v, %v; the form is malformed: %v", in.name, qs, body, op, rerr, ferr)
		}
	case form.Get("Action") == "":
		if e := awserr.As(rerr); e == nil || e.Code != awserr.MissingAction {
			t.Fatalf("%s: Resolve(%q, %q) = %v, %v; the form has no Action", in.name, qs, body, op, rerr)
		}
	case in.svc.Operations[form.Get("Action")] != op:
		t.Fatalf("%s: Resolve(%q, %q) = %v, %v; the form's Action is %q", in.name, qs, body, op, rerr, form.Get("Action"))
	}

	want := reflect.New(in.typ)
	tree, err := in.codec.Decode(in.op, formRequest(qs, body))
	var conv api.Converter
	if err == nil {
		err = conv.ToTyped(tree, want.Interface())
	}
	got := reflect.New(in.typ)
	gotErr := in.codec.DecodeTyped(in.op, formRequest(qs, body), got.Interface().(api.Typed))
	if gotErr != nil && !errors.Is(gotErr, protocol.ErrUseTree) {
		t.Fatalf("%s: DecodeTyped(%q, %q) = %v, not ErrUseTree", in.name, qs, body, gotErr)
	}
	if gotErr == nil {
		if err != nil {
			t.Fatalf("%s: DecodeTyped(%q, %q) succeeded, the tree path says %v", in.name, qs, body, err)
		}
		if !equalNaN(got, want) {
			t.Fatalf("%s: DecodeTyped(%q, %q) =\n%#v\nthe tree path gives\n%#v", in.name, qs, body, got.Elem().Interface(), want.Elem().Interface())
		}
		dyn := conv.ToDynamic(got.Interface())
		if !equalNaN(reflect.ValueOf(dyn), reflect.ValueOf(tree)) && !(len(dyn) == 0 && len(tree) == 0) {
			t.Fatalf("%s: DecodeTyped(%q, %q)'s tree form\n%#v\nis not the decoded tree\n%#v", in.name, qs, body, dyn, tree)
		}
	}
	return err == nil, gotErr == nil
}

// TestQueryDecodeTypedMatchesTree: for every operation of every query-
// and ec2-protocol service, seeded random forms — valid ones, and ones
// with a wrongly typed or out-of-range value, malformed escapes and
// separators, duplicate, unknown and escaped keys, list items out of
// order, sparse or repeated, both list and map layouts, empty lists,
// parameters in the URL query as well as the body — decode straight into
// the typed input (DecodeTyped) to the value the tree path (Decode, then
// Converter.ToTyped) builds, whose tree form is the decoded tree; or
// DecodeTyped leaves the form to the tree path (ErrUseTree), which words
// the error. A form with nothing the typed decoder leaves to the tree on
// purpose (float32s that are not the number sent) must decode typed
// exactly when the tree path succeeds. Resolve finds the Action
// Request.Form finds.
func TestQueryDecodeTypedMatchesTree(t *testing.T) {
	ins := queryInputs(t)
	if len(ins) < 300 {
		t.Fatalf("only %d query operations", len(ins))
	}
	var tally decodeTally
	for k, in := range ins {
		r := rand.New(rand.NewSource(int64(k) * 7907))
		for n := range 16 {
			g := &formGen{r: r, ec2: in.ec2, wrongRate: []float64{0, 0, 0.05, 0.2}[n%4], frills: n%3 != 0}
			qs, body := g.form(in.op)
			treeOK, ok := decodeBothQuery(t, in, qs, body)
			tally.add(t, ok, treeOK, g.lossy, fmt.Sprintf("%s: %q %q", in.name, qs, body))
		}
	}
	tally.check(t, len(ins), "forms", "float32s")
}

// formGen writes random forms for an operation's input.
type formGen struct {
	r         *rand.Rand
	ec2       bool
	wrongRate float64 // the chance of a wrongly typed value
	frills    bool    // duplicate, unknown and escaped keys, odd indexes, pairs in the URL
	lossy     bool    // wrote something the typed decoder leaves to the tree
	pairs     []string
}

func (g *formGen) form(op *model.Operation) (qs, body string) {
	g.pairs = g.pairs[:0]
	g.add("Action", op.Name)
	g.add("Version", "2010-05-08")
	g.structure("", op.Input.Shape, 0)
	if g.frills {
		if g.r.Intn(4) == 0 {
			g.add("NotAMember.member.1", "x")
		}
		if g.r.Intn(6) == 0 {
			g.pairs = append(g.pairs, "", "=", "novalue")
		}
		g.r.Shuffle(len(g.pairs), func(i, j int) { g.pairs[i], g.pairs[j] = g.pairs[j], g.pairs[i] })
	}
	split := len(g.pairs)
	if g.frills && g.r.Intn(4) == 0 {
		split = g.r.Intn(len(g.pairs) + 1)
	}
	qs, body = strings.Join(g.pairs[split:], "&"), strings.Join(g.pairs[:split], "&")
	switch g.r.Intn(40) {
	case 0:
		body += "&a=%zz" // a bad escape
	case 1:
		body += ";x=1" // a semicolon separator
	case 2:
		body += "&b=%4"
	case 3:
		qs += "&Action=Other" // Action twice: the first counts
	}
	return qs, body
}

// add appends key=value, escaped as clients escape them (and, with
// frills, now and then in other ways that unescape the same).
func (g *formGen) add(key, val string) {
	k := url.QueryEscape(key)
	if g.frills && g.r.Intn(25) == 0 {
		k = strings.Replace(k, ".", "%2E", 1)
	}
	v := url.QueryEscape(val)
	if g.frills && g.r.Intn(10) == 0 {
		v = strings.ReplaceAll(url.PathEscape(val), "+", "%2B") // spaces as %20
	}
	g.pairs = append(g.pairs, k+"="+v)
	if g.frills && g.r.Intn(40) == 0 {
		// A duplicate key: the first counts.
		g.pairs = append(g.pairs, k+"=dup")
	}
	if g.frills && g.r.Intn(20) == 0 {
		// A key below a scalar's, which names nothing.
		g.pairs = append(g.pairs, k+".x=junk")
	}
}

// memberKey names a member as the clients' serializers do.
func (g *formGen) memberKey(m *model.Ref) string {
	if g.ec2 {
		return g.ec2Name(m, m.Name)
	}
	if m.Shape.Type == model.List && m.IsFlattened() && m.Shape.Member.LocationName != "" {
		return m.Shape.Member.LocationName
	}
	return m.XMLName()
}

func (g *formGen) ec2Name(r *model.Ref, def string) string {
	if r.QueryName != "" {
		return r.QueryName
	}
	loc := r.LocationName
	if loc == "" {
		loc = r.Shape.LocationName
	}
	if loc == "" {
		return def
	}
	return strings.ToUpper(loc[:1]) + loc[1:]
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func (g *formGen) structure(prefix string, sh *model.Shape, depth int) {
	for _, m := range sh.Members {
		if g.r.Intn(3) == 0 || depth > 3 && aggregate(m.Shape) {
			continue
		}
		g.value(join(prefix, g.memberKey(m)), m, depth+1)
	}
}

// indexes returns n list indexes: 1..n, or (frills) out of order, with
// gaps, repeated, or non-canonical ones the decoders skip.
func (g *formGen) indexes(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i + 1)
	}
	if !g.frills {
		return out
	}
	switch g.r.Intn(6) {
	case 0:
		g.r.Shuffle(n, func(i, j int) { out[i], out[j] = out[j], out[i] })
	case 1:
		for i := range out {
			out[i] = fmt.Sprint(2*i + 3) // gaps
		}
	case 2:
		if n > 0 {
			out = append(out, out[0]) // an index given twice
		}
	case 3:
		out = append(out, []string{"0", "01", "x", "1e1", "1234567890", "1-x"}[g.r.Intn(6)])
	case 4:
		for i := range out {
			out[i] = fmt.Sprint(i + 9) // 9, 10, 11: numeric, not text, order
		}
	}
	return out
}

func (g *formGen) value(key string, ref *model.Ref, depth int) {
	if g.r.Float64() < g.wrongRate {
		g.add(key, []string{"wrong", "12", "true", "", "1.5", "-3e2", "2024-01-02T03:04:05Z"}[g.r.Intn(7)])
		return
	}
	sh := ref.Shape
	switch sh.Type {
	case model.Structure:
		g.structure(key, sh, depth)
	case model.List:
		n := g.r.Intn(4)
		if n == 0 && !g.ec2 {
			g.add(key, "") // the query empty list
			return
		}
		prefix := key
		if !g.ec2 {
			flat := ref.IsFlattened()
			if g.frills && g.r.Intn(8) == 0 {
				flat = !flat // the other layout, which Decode also takes
			}
			if !flat {
				name := sh.Member.LocationName
				if name == "" {
					name = "member"
				}
				prefix = join(key, name)
			}
		}
		for _, ix := range g.indexes(n) {
			g.value(join(prefix, ix), sh.Member, depth+1)
		}
	case model.Map:
		kname, vname := "key", "value"
		if g.ec2 {
			kname, vname = g.ec2Name(sh.Key, kname), g.ec2Name(sh.Value, vname)
		} else {
			if sh.Key.LocationName != "" {
				kname = sh.Key.LocationName
			}
			if sh.Value.LocationName != "" {
				vname = sh.Value.LocationName
			}
		}
		prefix := join(key, "entry")
		if ref.IsFlattened() != (g.frills && g.r.Intn(8) == 0) {
			prefix = key
		}
		keys := []string{"k1", "k2", "Name", "k é"}
		for _, ix := range g.indexes(g.r.Intn(4)) {
			e := join(prefix, ix)
			if !g.frills || g.r.Intn(12) != 0 { // now and then an entry without a key
				g.add(join(e, kname), keys[g.r.Intn(len(keys))])
			}
			g.lossy = true // keys repeat: the last counts, as in the tree; a float32 value may be lossy below
			g.value(join(e, vname), sh.Value, depth+1)
		}
	case model.String, model.Character:
		if len(sh.Enum) > 0 && g.r.Intn(2) == 0 {
			g.add(key, sh.Enum[g.r.Intn(len(sh.Enum))])
			return
		}
		g.add(key, []string{"abc", "", "a b+c/d=e&f", "été", "日本", "arn:aws:iam::000000000000:role/r", "%41", "  padded  "}[g.r.Intn(8)])
	case model.Integer, model.Long:
		g.add(key, []string{"0", "1", "-7", "42", "100", " 5 ", "2147483647", "2147483648", "-2147483649",
			"9223372036854775807", "9223372036854775808", "1.0", "+3", "0x10", "12345678901"}[g.r.Intn(15)])
	case model.Float, model.Double:
		v := []string{"0", "1.5", "0.1", "-2.25", "1e10", "3", "NaN", "Infinity", "-Infinity", "1e400", " 2 ",
			"0.123456789012345", "1e-50"}[g.r.Intn(13)]
		if sh.Type == model.Float && (v == "0.123456789012345" || v == "1e-50" || v == "1e400") {
			g.lossy = true // a float32 that is not the number sent (or overflows)
		}
		g.add(key, v)
	case model.Boolean:
		g.add(key, []string{"true", "false", "TRUE", "False", " true ", "yes"}[g.r.Intn(6)])
	case model.Timestamp:
		g.add(key, []string{"1700000000", "1700000000.5", "2024-01-02T03:04:05Z", "2024-01-02T03:04:05.5+01:00",
			"Tue, 02 Jan 2024 03:04:05 GMT", "yesterday", "-1"}[g.r.Intn(7)])
	case model.Blob:
		raw := make([]byte, g.r.Intn(7))
		g.r.Read(raw)
		switch g.r.Intn(5) {
		case 0:
			g.add(key, base64.RawStdEncoding.EncodeToString(raw))
		case 1:
			g.add(key, "!!notbase64")
		case 2:
			// '+' left unescaped: a space, which base64 decoding skips.
			g.pairs = append(g.pairs, url.QueryEscape(key)+"="+base64.StdEncoding.EncodeToString(raw))
		default:
			g.add(key, base64.StdEncoding.EncodeToString(raw))
		}
	default:
		g.add(key, "x")
	}
}

// FuzzQueryDecodeTyped: for any form (URL query and body), decoding into
// one of a few operations' typed inputs never panics, and succeeds only
// with the value (and tree form) the tree path gives; Resolve finds the
// Action Request.Form finds. The corpus is under testdata/fuzz.
func FuzzQueryDecodeTyped(f *testing.F) {
	names := []string{"iam.CreateUser", "iam.PutRolePolicy", "sts.AssumeRole", "sns.Publish", "sns.SetSubscriptionAttributes",
		"cloudwatch.PutMetricData", "ec2.RunInstances", "ec2.DescribeInstances", "cloudformation.CreateStack", "elbv2.CreateLoadBalancer"}
	var ins []queryInput
	for _, x := range queryInputs(f) {
		if slices.Contains(names, x.name) {
			ins = append(ins, x)
		}
	}
	if len(ins) != len(names) {
		f.Fatalf("found %d of %d operations", len(ins), len(names))
	}
	f.Add(uint8(0), "", "Action=CreateUser&Version=2010-05-08&UserName=u&Path=%2F&Tags.member.1.Key=k&Tags.member.1.Value=v")
	f.Add(uint8(2), "Action=AssumeRole", "RoleArn=arn&RoleSessionName=s&PolicyArns.member.2.arn=a&PolicyArns.member.1.arn=b&DurationSeconds=900")
	f.Add(uint8(3), "", "Action=Publish&Message=hi&MessageAttributes.entry.1.Name=a&MessageAttributes.entry.1.Value.DataType=String&MessageAttributes.entry.1.Value.StringValue=x")
	f.Add(uint8(5), "", "Action=PutMetricData&Namespace=n&MetricData.member.1.MetricName=m&MetricData.member.1.Value=1.5&MetricData.member.1.Dimensions.member.1.Name=d&MetricData.member.1.Dimensions.member.1.Value=v&MetricData.member.1.Timestamp=2024-01-02T03:04:05Z")
	f.Add(uint8(6), "", "Action=RunInstances&ImageId=ami-1&MinCount=1&MaxCount=2&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=k&TagSpecification.1.Tag.1.Value=v")
	f.Add(uint8(7), "", "Action=DescribeInstances&Filter.1.Name=a&Filter.1.Value.1=b&Filter.10.Name=c&InstanceId.2=i-2&InstanceId.1=i-1;x")
	f.Fuzz(func(t *testing.T, op uint8, qs, body string) {
		decodeBothQuery(t, ins[int(op)%len(ins)], qs, body)
	})
}

// BenchmarkDecodeQuery compares the tree path (Request.Form, Decode,
// then the Converter) with DecodeTyped on an IAM CreateUser form and an
// EC2 RunInstances form, each on a new request, Resolve included.
func BenchmarkDecodeQuery(b *testing.B) {
	for _, c := range []struct{ op, body string }{
		{"iam.CreateUser", "Action=CreateUser&Version=2010-05-08&UserName=bench-user-12&Path=%2Fdivision%2F&Tags.member.1.Key=team&Tags.member.1.Value=a&Tags.member.2.Key=env&Tags.member.2.Value=test"},
		{"ec2.RunInstances", "Action=RunInstances&Version=2016-11-15&ImageId=ami-12345678&InstanceType=t3.micro&MinCount=1&MaxCount=1&SubnetId=subnet-1&SecurityGroupId.1=sg-1" +
			"&TagSpecification.1.ResourceType=instance&TagSpecification.1.Tag.1.Key=Name&TagSpecification.1.Tag.1.Value=web"},
	} {
		var in queryInput
		for _, x := range queryInputs(b) {
			if x.name == c.op {
				in = x
			}
		}
		r := httptest.NewRequest(http.MethodPost, "/", nil)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req := func() *protocol.Request {
			r.ContentLength = int64(len(c.body))
			pr := protocol.NewRequest(r, strings.NewReader(c.body))
			if _, err := in.codec.Resolve(in.svc, pr); err != nil {
				b.Fatal(err)
			}
			return pr
		}
		b.Run(c.op+"/tree", func(b *testing.B) {
			var conv api.Converter
			b.ReportAllocs()
			for b.Loop() {
				tree, err := in.codec.Decode(in.op, req())
				if err != nil {
					b.Fatal(err)
				}
				if err := conv.ToTyped(tree, reflect.New(in.typ).Interface()); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.op+"/typed", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				v := reflect.New(in.typ)
				if err := in.codec.DecodeTyped(in.op, req(), v.Interface().(api.Typed)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
