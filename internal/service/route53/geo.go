package route53

import (
	_ "embed"
	"strconv"
	"strings"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// geolocationsTSV is the catalog GetGeoLocation and ListGeoLocations
// answer from: continents, countries, US states.
//
//go:embed geolocations.tsv
var geolocationsTSV string

// geoEntry is one location of the catalog.
type geoEntry struct {
	Continent, ContinentName     string
	Country, CountryName         string
	Subdivision, SubdivisionName string
}

func (g geoEntry) out() route53api.GeoLocationDetails {
	opt := func(s string) *string {
		if s == "" {
			return nil
		}
		return ptr.To(s)
	}
	return route53api.GeoLocationDetails{ContinentCode: opt(g.Continent), ContinentName: opt(g.ContinentName), CountryCode: opt(g.Country),
		CountryName: opt(g.CountryName), SubdivisionCode: opt(g.Subdivision), SubdivisionName: opt(g.SubdivisionName)}
}

// parseGeo reads the catalog in ListGeoLocations' order: continents,
// then countries ("*" first), each country followed by its subdivisions.
func parseGeo(tsv string) []geoEntry {
	var continents, countries []geoEntry
	subs := map[string][]geoEntry{}
	names := map[string]string{}
	for _, line := range strings.Split(tsv, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.SplitN(line, "\t", 3)
		if len(f) != 3 {
			continue
		}
		switch f[0] {
		case "continent":
			continents = append(continents, geoEntry{Continent: f[1], ContinentName: f[2]})
		case "country":
			countries = append(countries, geoEntry{Country: f[1], CountryName: f[2]})
			names[f[1]] = f[2]
		case "subdivision":
			country, code, _ := strings.Cut(f[1], "-")
			subs[country] = append(subs[country], geoEntry{Country: country, Subdivision: code, SubdivisionName: f[2]})
		}
	}
	out := continents
	for _, c := range countries {
		out = append(out, c)
		for _, s := range subs[c.Country] {
			s.CountryName = names[c.Country]
			out = append(out, s)
		}
	}
	return out
}

func noSuchGeo() error {
	return route53api.ErrNoSuchGeoLocation.New("The specified geo location doesn't exist.")
}

// geoIndex finds the entry with exactly these codes.
func (s *Route53) geoIndex(continent, country, sub string) int {
	for i, g := range s.geo() {
		if g.Continent == continent && g.Country == country && g.Subdivision == sub {
			return i
		}
	}
	return -1
}

// GetGeoLocation describes one continent, country or subdivision.
func (s *Route53) GetGeoLocation(_ *request.Context, in *route53api.GetGeoLocationInput) (*route53api.GetGeoLocationOutput, error) {
	continent, country, sub := ptr.Deref(in.ContinentCode), ptr.Deref(in.CountryCode), ptr.Deref(in.SubdivisionCode)
	if continent != "" && (country != "" || sub != "") {
		return nil, invalidInput("Invalid request: You can specify either ContinentCode or CountryCode, but not both.")
	}
	if sub != "" && country == "" {
		return nil, invalidInput("Invalid request: SubdivisionCode requires CountryCode.")
	}
	if continent == "" && country == "" {
		country = "*" // no codes: the default location
	}
	i := s.geoIndex(continent, country, sub)
	if i < 0 {
		return nil, noSuchGeo()
	}
	d := s.geo()[i].out()
	return &route53api.GetGeoLocationOutput{GeoLocationDetails: &d}, nil
}

// ListGeoLocations pages through the catalog.
func (s *Route53) ListGeoLocations(_ *request.Context, in *route53api.ListGeoLocationsInput) (*route53api.ListGeoLocationsOutput, error) {
	max, err := maxItems(in.MaxItems, 100)
	if err != nil {
		return nil, err
	}
	start := 0
	if in.StartContinentCode != nil || in.StartCountryCode != nil || in.StartSubdivisionCode != nil {
		if in.StartContinentCode != nil && in.StartCountryCode != nil {
			return nil, invalidInput("Invalid request: You can specify either StartContinentCode or StartCountryCode, but not both.")
		}
		if in.StartSubdivisionCode != nil && in.StartCountryCode == nil {
			return nil, invalidInput("Invalid request: StartSubdivisionCode requires StartCountryCode.")
		}
		if start = s.geoIndex(ptr.Deref(in.StartContinentCode), ptr.Deref(in.StartCountryCode), ptr.Deref(in.StartSubdivisionCode)); start < 0 {
			return nil, noSuchGeo()
		}
	}
	out := &route53api.ListGeoLocationsOutput{GeoLocationDetailsList: []route53api.GeoLocationDetails{}, MaxItems: ptr.To(strconv.Itoa(max)), IsTruncated: ptr.To(false)}
	geo := s.geo()
	for i := start; i < len(geo); i++ {
		g := geo[i]
		if len(out.GeoLocationDetailsList) == max {
			out.IsTruncated = ptr.To(true)
			if g.Continent != "" {
				out.NextContinentCode = ptr.To(g.Continent)
			} else {
				out.NextCountryCode = ptr.To(g.Country)
				if g.Subdivision != "" {
					out.NextSubdivisionCode = ptr.To(g.Subdivision)
				}
			}
			break
		}
		out.GeoLocationDetailsList = append(out.GeoLocationDetailsList, g.out())
	}
	return out, nil
}
