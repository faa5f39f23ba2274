package allshapes

import (
	"math/rand"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/niwa-cloud/niwa/internal/api"
	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	apigatewayv2api "github.com/niwa-cloud/niwa/internal/api/apigatewayv2"
	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	rdsdataapi "github.com/niwa-cloud/niwa/internal/api/rdsdata"
	schedulerapi "github.com/niwa-cloud/niwa/internal/api/scheduler"
	sesv2api "github.com/niwa-cloud/niwa/internal/api/sesv2"
	"github.com/niwa-cloud/niwa/internal/model"
	"github.com/niwa-cloud/niwa/internal/protocol"
	"github.com/niwa-cloud/niwa/internal/protocol/rest"
)

var uriLabel = regexp.MustCompile(`\{([^}+]+)(\+?)\}`)

// TestRestJSONDecodeTypedMatchesTree: for every rest-json operation whose
// body holds its body members, seeded random requests (bodies as in
// TestDecodeTypedMatchesTree; URI labels, query parameters and headers,
// some of the wrong type) decode through the codec's DecodeTyped to the
// value Decode and the Converter build, whose tree form is Decode's tree;
// or DecodeTyped leaves the request to Decode (ErrUseTree).
func TestRestJSONDecodeTypedMatchesTree(t *testing.T) {
	codec := rest.NewJSON()
	td := codec.(protocol.TypedDecoder)
	all := All()
	var conv api.Converter
	var typed, tree, failed int
	for _, spec := range []api.Spec{lambdaapi.Spec(), apigatewayapi.Spec(), apigatewayv2api.Spec(), schedulerapi.Spec(), sesv2api.Spec(), rdsdataapi.Spec()} {
		m, err := spec.Model()
		if err != nil {
			t.Fatal(err)
		}
		types := typesByName(all[spec.Name])
		for k, name := range spec.Operations {
			op := m.Operations[name]
			if op.Input == nil {
				continue
			}
			typ := types[typeName(op.Input.Shape.Name)]
			if typ == nil {
				t.Fatalf("%s %s: no Go type", spec.Name, name)
			}
			r := rand.New(rand.NewSource(int64(k)*31 + int64(len(spec.Name))))
			for n := range 12 {
				g := &bodyGen{r: r, wrongRate: []float64{0, 0.05, 0.2}[n%3], frills: n%2 == 0}
				body := g.body(op.Input.Shape)
				uri := uriLabel.ReplaceAllStringFunc(op.HTTP.RequestURI, func(s string) string {
					if strings.HasSuffix(s, "+}") {
						return "a/b%20c"
					}
					return []string{"lbl", "12", "x%2Fy"}[r.Intn(3)]
				})
				var q []string
				headers := map[string]string{}
				for _, mr := range op.Input.Shape.Members {
					if r.Intn(2) == 0 {
						continue
					}
					v := []string{"v", "7", "true", "2024-01-02T03:04:05Z", "1.5", "NaN"}[r.Intn(6)]
					switch mr.Location {
					case model.LocationQueryString:
						if mr.Shape.Type != model.Map {
							q = append(q, mr.LocationName+"="+v)
						}
					case model.LocationHeader:
						if mr.Shape.Type != model.Map {
							headers[mr.LocationName] = v
						}
					}
				}
				if len(q) > 0 {
					sep := "?"
					if strings.Contains(uri, "?") {
						sep = "&"
					}
					uri += sep + strings.Join(q, "&")
				}
				request := func() *protocol.Request {
					hr := httptest.NewRequest(op.HTTP.Method, uri, strings.NewReader(string(body)))
					for k, v := range headers {
						hr.Header.Set(k, v)
					}
					return protocol.NewRequest(hr, nil)
				}
				want := reflect.New(typ)
				dyn, err := codec.Decode(op, request())
				if err == nil {
					err = conv.ToTyped(dyn, want.Interface())
				}
				got := reflect.New(typ)
				gotErr := td.DecodeTyped(op, request(), got.Interface().(api.Typed))
				switch {
				case gotErr == nil && err != nil:
					t.Fatalf("%s.%s %s %s: DecodeTyped succeeded, the tree path says %v", spec.Name, name, uri, body, err)
				case gotErr == nil:
					if !equalNaN(got, want) {
						t.Fatalf("%s.%s %s %s: DecodeTyped =\n%#v\nthe tree path gives\n%#v", spec.Name, name, uri, body, got.Elem().Interface(), want.Elem().Interface())
					}
					if back := conv.ToDynamic(got.Interface()); !equalNaN(reflect.ValueOf(back), reflect.ValueOf(dyn)) && !(len(back) == 0 && len(dyn) == 0) {
						t.Fatalf("%s.%s %s %s: tree form\n%#v\nis not the decoded tree\n%#v", spec.Name, name, uri, body, back, dyn)
					}
					typed++
				case gotErr != protocol.ErrUseTree:
					t.Fatalf("%s.%s: DecodeTyped = %v, not ErrUseTree", spec.Name, name, gotErr)
				case err == nil:
					tree++
				default:
					failed++
				}
			}
		}
	}
	t.Logf("%d requests typed, %d left to the tree, %d refused", typed, tree, failed)
	if typed == 0 || failed == 0 {
		t.Fatal("the generator is broken")
	}
}
