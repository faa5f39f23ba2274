package apigateway

import (
	"slices"
	"strings"
	"testing"

	apigatewayapi "github.com/niwa-cloud/niwa/internal/api/apigateway"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// TestNames: niwa's DNS answers a REST API's invoke host
// (<id>.execute-api.localhost, any case, with or without the trailing
// dot), not an unknown id's or another domain's; the hosts files list
// exactly those names, and a deleted API's is gone.
func TestNames(t *testing.T) {
	h := servicetest.New(t, "apigateway")
	s := New(Options{Store: h.Store(), Clock: h.Clock})
	create := func(name string) string {
		t.Helper()
		out, err := s.CreateRestApi(h.Ctx(), &apigatewayapi.CreateRestApiRequest{Name: ptr.To(name)})
		if err != nil {
			t.Fatal(err)
		}
		return *out.Id
	}
	a, b := create("a"), create("b")
	for name, want := range map[string]bool{
		a + ".execute-api.localhost":                   true,
		strings.ToUpper(a) + ".execute-api.localhost.": true,
		"zzzzzzzzzz.execute-api.localhost":             false,
		a + ".execute-api.example.com":                 false,
		"x." + a + ".execute-api.localhost":            false,
	} {
		if got, err := s.OwnsName(name); err != nil || got != want {
			t.Errorf("%s: %v %v, want %v", name, got, err, want)
		}
	}
	list := func() (all []string) {
		t.Helper()
		if err := s.EachName(func(n string) bool { all = append(all, n); return true }); err != nil {
			t.Fatal(err)
		}
		slices.Sort(all)
		return all
	}
	want := []string{a + ".execute-api.localhost", b + ".execute-api.localhost"}
	slices.Sort(want)
	if got := list(); !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if _, err := s.DeleteRestApi(h.Ctx(), &apigatewayapi.DeleteRestApiRequest{RestApiId: ptr.To(a)}); err != nil {
		t.Fatal(err)
	}
	if got := list(); !slices.Equal(got, []string{b + ".execute-api.localhost"}) {
		t.Fatalf("after deleting %s: %v", a, got)
	}
	if ok, _ := s.OwnsName(a + ".execute-api.localhost"); ok {
		t.Fatal("a deleted API's host is still answered")
	}
}
