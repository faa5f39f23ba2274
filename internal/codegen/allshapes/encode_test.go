package allshapes

import (
	"bytes"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/niwa-cloud/niwa/internal/api"
	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	athenaapi "github.com/niwa-cloud/niwa/internal/api/athena"
	cloudformationapi "github.com/niwa-cloud/niwa/internal/api/cloudformation"
	cloudfrontapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	cloudwatchapi "github.com/niwa-cloud/niwa/internal/api/cloudwatch"
	dynamodbapi "github.com/niwa-cloud/niwa/internal/api/dynamodb"
	dynamodbstreamsapi "github.com/niwa-cloud/niwa/internal/api/dynamodbstreams"
	ec2api "github.com/niwa-cloud/niwa/internal/api/ec2"
	ecrapi "github.com/niwa-cloud/niwa/internal/api/ecr"
	elbapi "github.com/niwa-cloud/niwa/internal/api/elb"
	elbv2api "github.com/niwa-cloud/niwa/internal/api/elbv2"
	eventsapi "github.com/niwa-cloud/niwa/internal/api/events"
	glueapi "github.com/niwa-cloud/niwa/internal/api/glue"
	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	kmsapi "github.com/niwa-cloud/niwa/internal/api/kms"
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	logsapi "github.com/niwa-cloud/niwa/internal/api/logs"
	rdsapi "github.com/niwa-cloud/niwa/internal/api/rds"
	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	s3api "github.com/niwa-cloud/niwa/internal/api/s3"
	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	secretsmanagerapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	sesapi "github.com/niwa-cloud/niwa/internal/api/ses"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	snsapi "github.com/niwa-cloud/niwa/internal/api/sns"
	sqsapi "github.com/niwa-cloud/niwa/internal/api/sqs"
	ssmapi "github.com/niwa-cloud/niwa/internal/api/ssm"
	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	wafv2api "github.com/niwa-cloud/niwa/internal/api/wafv2"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/codecs"
)

// specs are every generated service API.
func specs() []api.Spec {
	return []api.Spec{
		acmapi.Spec(),
		apigatewayapi.Spec(),
		apigatewayv2api.Spec(),
		athenaapi.Spec(),
		cloudformationapi.Spec(),
		cloudfrontapi.Spec(),
		cloudtrailapi.Spec(),
		cloudwatchapi.Spec(),
		dynamodbapi.Spec(),
		dynamodbstreamsapi.Spec(),
		ec2api.Spec(),
		ecrapi.Spec(),
		elbapi.Spec(),
		elbv2api.Spec(),
		eventsapi.Spec(),
		glueapi.Spec(),
		iamapi.Spec(),
		kmsapi.Spec(),
		lambdaapi.Spec(),
		logsapi.Spec(),
		rdsapi.Spec(),
		rdsdataapi.Spec(),
		route53api.Spec(),
		s3api.Spec(),
		schedulerapi.Spec(),
		secretsmanagerapi.Spec(),
		sesapi.Spec(),
		sesv2api.Spec(),
		snsapi.Spec(),
		sqsapi.Spec(),
		ssmapi.Spec(),
		stsapi.Spec(),
		wafv2api.Spec(),
	}
}

// TestEncodeTypedMatchesDynamic: for every operation of every service, in
// every protocol of its model whose codec encodes typed outputs
// (protocol.TypedEncoder), seeded random outputs encode to the same
// status, headers and body (or the same error) through EncodeTyped as
// through Encode of their dynamic form, which is what the gateway wrote
// before; so does a nil output.
func TestEncodeTypedMatchesDynamic(t *testing.T) {
	all := All()
	cs := codecs.New()
	ops := map[string]int{}
	for _, spec := range specs() {
		byName := map[string]reflect.Type{}
		for _, s := range all[spec.Name] {
			typ := reflect.TypeOf(s).Elem()
			byName[typ.Name()] = typ
		}
		m, err := spec.Model()
		if err != nil {
			t.Fatal(err)
		}
		protocols := append([]string{spec.Metadata.Protocol}, spec.Metadata.Protocols...)
		done := map[string]bool{}
		for _, proto := range protocols {
			if done[proto] {
				continue
			}
			done[proto] = true
			codec, err := cs.For(proto)
			if err != nil {
				continue
			}
			te, ok := codec.(protocol.TypedEncoder)
			if !ok {
				continue
			}
			pm, _ := spec.Model()
			pm.Metadata.Protocol = proto
			r := rand.New(rand.NewSource(int64(len(spec.Name)) * 104729))
			for _, name := range m.OperationNames() {
				op := pm.Operations[name]
				if op.Output == nil {
					continue
				}
				typ := byName[goTypeName(op.Output.Shape.Name)]
				if typ == nil {
					t.Errorf("%s %s: no Go type for output shape %s", spec.Name, name, op.Output.Shape.Name)
					continue
				}
				ops[proto]++
				for i := range 8 {
					// Two equal outputs from one seed: a streaming
					// payload is read by the first encoding.
					seed, zero := r.Int63(), r.Intn(2) == 0
					output := func() api.Typed {
						v := reflect.New(typ)
						if i > 0 {
							g := &treeGen{r: rand.New(rand.NewSource(seed)), sparse: i >= 6}
							var c api.Converter
							if err := c.ToTyped(g.structure(typ, 0), v.Interface()); err != nil {
								t.Fatalf("%s %s: %v", spec.Name, name, err)
							}
						} else if zero {
							v = reflect.Zero(v.Type()) // a nil output
						}
						return v.Interface().(api.Typed)
					}
					want := httptest.NewRecorder()
					wantErr := codec.Encode(want, op, protocol.Dynamic(op, output()), protocol.Meta{RequestID: "req-1", HostID: "host-1"})
					got := httptest.NewRecorder()
					gotErr := te.EncodeTyped(got, op, output(), protocol.Meta{RequestID: "req-1", HostID: "host-1"})
					if (wantErr == nil) != (gotErr == nil) || wantErr != nil && wantErr.Error() != gotErr.Error() {
						t.Fatalf("%s %s (%s): EncodeTyped error %v, Encode %v", spec.Name, name, proto, gotErr, wantErr)
					}
					if wantErr != nil {
						continue
					}
					sameResponse(t, spec.Name+" "+name+" ("+proto+")", got, want)
				}
			}
		}
	}
	if ops["json"] < 100 {
		t.Fatalf("only %v operations compared", ops)
	}
	t.Logf("operations compared per protocol: %v", ops)
}

// goTypeName is the Go name codegen gives a shape (typeName): its name
// with the first letter upper-cased, "Shape" added to the names the
// package's own declarations take.
func goTypeName(shape string) string {
	if shape == "" {
		return ""
	}
	n := strings.ToUpper(shape[:1]) + shape[1:]
	switch n {
	case "Spec", "Bind", "Model", "Operations":
		return n + "Shape"
	}
	return n
}

func sameResponse(t *testing.T, what string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code {
		t.Fatalf("%s: status %d, want %d", what, got.Code, want.Code)
	}
	if !reflect.DeepEqual(got.Header(), want.Header()) {
		t.Fatalf("%s: headers %v, want %v", what, got.Header(), want.Header())
	}
	if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Fatalf("%s: body\n%s\nwant\n%s", what, got.Body.Bytes(), want.Body.Bytes())
	}
}

// BenchmarkEncodeOutput: a DynamoDB Query output of ten items (JSON) and
// an STS AssumeRole output (query XML), through the dynamic form
// (Converter.ToDynamic, then Encode: what the gateway did) and through
// EncodeTyped.
func BenchmarkEncodeOutput(b *testing.B) {
	items := make([]any, 10)
	for i := range items {
		items[i] = map[string]any{
			"pk":    map[string]any{"S": "user#" + strconv.Itoa(i)},
			"sk":    map[string]any{"N": strconv.Itoa(i)},
			"name":  map[string]any{"S": "name"},
			"tags":  map[string]any{"SS": []any{"a", "b"}},
			"attrs": map[string]any{"M": map[string]any{"x": map[string]any{"BOOL": true}, "y": map[string]any{"L": []any{map[string]any{"N": "1"}}}}},
		}
	}
	cs := codecs.New()
	for _, bc := range []struct {
		name, op string
		spec     api.Spec
		out      api.Typed
		tree     map[string]any
	}{
		{"DynamoDBQuery", "Query", dynamodbapi.Spec(), new(dynamodbapi.QueryOutput), map[string]any{"Items": items, "Count": int64(10), "ScannedCount": int64(10),
			"LastEvaluatedKey": map[string]any{"pk": map[string]any{"S": "user#9"}}}},
		{"STSAssumeRole", "AssumeRole", stsapi.Spec(), new(stsapi.AssumeRoleOutput), map[string]any{
			"Credentials":     map[string]any{"AccessKeyId": "ASIAEXAMPLE", "SecretAccessKey": "secret", "SessionToken": "token", "Expiration": time.Unix(1.7e9, 0)},
			"AssumedRoleUser": map[string]any{"AssumedRoleId": "AROAEXAMPLE:s", "Arn": "arn:aws:sts::000000000000:assumed-role/r/s"}, "PackedPolicySize": int64(6)}},
	} {
		var c api.Converter
		if err := c.ToTyped(bc.tree, bc.out); err != nil {
			b.Fatal(err)
		}
		m, err := bc.spec.Model()
		if err != nil {
			b.Fatal(err)
		}
		op := m.Operations[bc.op]
		codec, err := cs.For(bc.spec.Metadata.Protocol)
		if err != nil {
			b.Fatal(err)
		}
		w := &discard{h: http.Header{}}
		b.Run(bc.name+"/Dynamic", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if err := codec.Encode(w, op, c.ToDynamic(bc.out), protocol.Meta{RequestID: "req-1"}); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(bc.name+"/Typed", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				clear(w.h)
				if err := codec.(protocol.TypedEncoder).EncodeTyped(w, op, bc.out, protocol.Meta{RequestID: "req-1"}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// discard is a ResponseWriter that keeps its header map.
type discard struct{ h http.Header }

func (d *discard) Header() http.Header         { return d.h }
func (d *discard) Write(p []byte) (int, error) { return len(p), nil }
func (d *discard) WriteHeader(int)             {}
