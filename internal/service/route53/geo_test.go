package route53

import (
	"sync"
	"testing"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func TestGeoLocations(t *testing.T) {
	f := newFixture(t)
	for _, c := range []struct {
		in   route53api.GetGeoLocationInput
		want string
	}{
		{route53api.GetGeoLocationInput{ContinentCode: ptr.To("EU")}, "Europe"},
		{route53api.GetGeoLocationInput{CountryCode: ptr.To("JP")}, "Japan"},
		{route53api.GetGeoLocationInput{CountryCode: ptr.To("US"), SubdivisionCode: ptr.To("WA")}, "Washington"},
		{route53api.GetGeoLocationInput{CountryCode: ptr.To("*")}, "Default"},
	} {
		out, err := f.GetGeoLocation(f.ctx, &c.in)
		if err != nil {
			t.Fatal(err)
		}
		d := out.GeoLocationDetails
		got := ptr.Deref(d.ContinentName) + ptr.Deref(d.SubdivisionName)
		if d.SubdivisionName == nil && d.ContinentName == nil {
			got = ptr.Deref(d.CountryName)
		}
		if got != c.want {
			t.Fatalf("%+v: %+v", c.in, d)
		}
	}
	_, err := f.GetGeoLocation(f.ctx, &route53api.GetGeoLocationInput{CountryCode: ptr.To("ZZ")})
	wantErr(t, err, "NoSuchGeoLocation", "The specified geo location doesn't exist.")
	_, err = f.GetGeoLocation(f.ctx, &route53api.GetGeoLocationInput{ContinentCode: ptr.To("EU"), CountryCode: ptr.To("DE")})
	wantErr(t, err, "InvalidInput", "Invalid request: You can specify either ContinentCode or CountryCode, but not both.")
	// Page through everything: continents first, the US followed by its
	// states, no entry twice.
	seen := map[string]bool{}
	in := &route53api.ListGeoLocationsInput{MaxItems: ptr.To("40")}
	var order []string
	for {
		out, err := f.ListGeoLocations(f.ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range out.GeoLocationDetailsList {
			k := ptr.Deref(d.ContinentCode) + "/" + ptr.Deref(d.CountryCode) + "/" + ptr.Deref(d.SubdivisionCode)
			if seen[k] {
				t.Fatalf("%s twice", k)
			}
			seen[k] = true
			order = append(order, k)
		}
		if !*out.IsTruncated {
			break
		}
		in = &route53api.ListGeoLocationsInput{MaxItems: ptr.To("40"), StartContinentCode: out.NextContinentCode, StartCountryCode: out.NextCountryCode, StartSubdivisionCode: out.NextSubdivisionCode}
	}
	if order[0] != "AF//" || order[7] != "/*/" || !seen["/US/WA"] || !seen["/DE/"] || len(order) < 300 {
		t.Fatalf("catalog order %v (%d)", order[:9], len(order))
	}
}

// TestGeoLocationsConcurrentFirstUse: the catalog is parsed by its first
// use; concurrent first calls all see the whole of it.
func TestGeoLocationsConcurrentFirstUse(t *testing.T) {
	f := newFixture(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			out, err := f.GetGeoLocation(f.ctx, &route53api.GetGeoLocationInput{CountryCode: ptr.To("US"), SubdivisionCode: ptr.To("WA")})
			if err != nil || ptr.Deref(out.GeoLocationDetails.SubdivisionName) != "Washington" {
				t.Errorf("GetGeoLocation: %+v, %v", out, err)
			}
		}()
		go func() {
			defer wg.Done()
			out, err := f.ListGeoLocations(f.ctx, &route53api.ListGeoLocationsInput{})
			if err != nil || len(out.GeoLocationDetailsList) != 100 || ptr.Deref(out.GeoLocationDetailsList[0].ContinentCode) != "AF" {
				t.Errorf("ListGeoLocations: %d entries, %v", len(out.GeoLocationDetailsList), err)
			}
		}()
	}
	wg.Wait()
}
