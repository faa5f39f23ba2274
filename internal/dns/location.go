package dns

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Client is where niwa considers a DNS client to be, for the routing
// policies that depend on it: latency (the AWS Region nearest the
// client), geolocation (continent, country, subdivision) and
// geoproximity (coordinates). A real resolver's address says this; on
// one machine every query comes from the host, so it is configured
// (--dns-client-region, --dns-client-location).
type Client struct {
	// Region is the AWS Region the client is nearest to in latency.
	Region string
	// Continent (AF, AN, AS, EU, OC, NA, SA), Country (ISO 3166-1
	// alpha-2) and Subdivision (US states...) of the client.
	Continent, Country, Subdivision string
	// Lat and Lon are the client's coordinates.
	Lat, Lon float64
}

// region is an AWS Region's place on the map.
type region struct {
	lat, lon                        float64
	continent, country, subdivision string
}

// regions places each AWS Region at its metro area, for latency and
// geoproximity routing and for the default client location.
var regions = map[string]region{
	"us-east-1":      {38.9, -77.4, "NA", "US", "VA"},
	"us-east-2":      {40.0, -83.0, "NA", "US", "OH"},
	"us-west-1":      {37.4, -121.9, "NA", "US", "CA"},
	"us-west-2":      {45.8, -119.7, "NA", "US", "OR"},
	"ca-central-1":   {45.5, -73.6, "NA", "CA", ""},
	"ca-west-1":      {51.0, -114.1, "NA", "CA", ""},
	"mx-central-1":   {20.6, -100.4, "NA", "MX", ""},
	"sa-east-1":      {-23.5, -46.6, "SA", "BR", ""},
	"eu-west-1":      {53.3, -6.3, "EU", "IE", ""},
	"eu-west-2":      {51.5, -0.1, "EU", "GB", ""},
	"eu-west-3":      {48.9, 2.4, "EU", "FR", ""},
	"eu-central-1":   {50.1, 8.7, "EU", "DE", ""},
	"eu-central-2":   {47.4, 8.5, "EU", "CH", ""},
	"eu-north-1":     {59.3, 18.1, "EU", "SE", ""},
	"eu-south-1":     {45.5, 9.2, "EU", "IT", ""},
	"eu-south-2":     {41.6, -0.9, "EU", "ES", ""},
	"me-south-1":     {26.1, 50.6, "AS", "BH", ""},
	"me-central-1":   {25.2, 55.3, "AS", "AE", ""},
	"il-central-1":   {32.1, 34.8, "AS", "IL", ""},
	"af-south-1":     {-33.9, 18.4, "AF", "ZA", ""},
	"ap-east-1":      {22.3, 114.2, "AS", "HK", ""},
	"ap-south-1":     {19.1, 72.9, "AS", "IN", ""},
	"ap-south-2":     {17.4, 78.5, "AS", "IN", ""},
	"ap-northeast-1": {35.7, 139.7, "AS", "JP", ""},
	"ap-northeast-2": {37.6, 127.0, "AS", "KR", ""},
	"ap-northeast-3": {34.7, 135.5, "AS", "JP", ""},
	"ap-southeast-1": {1.4, 103.8, "AS", "SG", ""},
	"ap-southeast-2": {-33.9, 151.2, "OC", "AU", ""},
	"ap-southeast-3": {-6.2, 106.8, "AS", "ID", ""},
	"ap-southeast-4": {-37.8, 145.0, "OC", "AU", ""},
	"ap-southeast-5": {3.1, 101.7, "AS", "MY", ""},
	"ap-southeast-7": {13.8, 100.5, "AS", "TH", ""},
	"cn-north-1":     {39.9, 116.4, "AS", "CN", ""},
	"cn-northwest-1": {37.5, 105.2, "AS", "CN", ""},
}

// DefaultClientRegion is where the client is by default.
const DefaultClientRegion = "us-east-1"

// ClientIn is a client at region's metro area.
func ClientIn(name string) (Client, error) {
	r, ok := regions[name]
	if !ok {
		return Client{}, fmt.Errorf("unknown AWS Region %q", name)
	}
	return Client{Region: name, Continent: r.continent, Country: r.country, Subdivision: r.subdivision, Lat: r.lat, Lon: r.lon}, nil
}

// ParseLocation reads "CONTINENT[/COUNTRY[/SUBDIVISION]][@LAT,LON]"
// ("EU/DE", "NA/US/WA@47.6,-122.3") into c's location, keeping c's
// region and, when the value names no coordinates, c's coordinates.
func ParseLocation(c Client, v string) (Client, error) {
	loc, coords, hasCoords := strings.Cut(strings.TrimSpace(v), "@")
	parts := strings.Split(loc, "/")
	if len(parts) > 3 || parts[0] == "" {
		return c, fmt.Errorf("%q: want CONTINENT[/COUNTRY[/SUBDIVISION]][@LAT,LON]", v)
	}
	c.Continent, c.Country, c.Subdivision = strings.ToUpper(parts[0]), "", ""
	if !validContinent(c.Continent) {
		return c, fmt.Errorf("%q: continent must be one of AF, AN, AS, EU, NA, OC, SA", v)
	}
	if len(parts) > 1 {
		c.Country = strings.ToUpper(parts[1])
		if len(c.Country) != 2 {
			return c, fmt.Errorf("%q: country must be a two-letter ISO 3166-1 code", v)
		}
	}
	if len(parts) > 2 {
		c.Subdivision = strings.ToUpper(parts[2])
		if c.Subdivision == "" || len(c.Subdivision) > 3 {
			return c, fmt.Errorf("%q: subdivision must be one to three characters", v)
		}
	}
	if hasCoords {
		lat, lon, ok := strings.Cut(coords, ",")
		la, err1 := strconv.ParseFloat(strings.TrimSpace(lat), 64)
		lo, err2 := strconv.ParseFloat(strings.TrimSpace(lon), 64)
		if !ok || err1 != nil || err2 != nil || la < -90 || la > 90 || lo < -180 || lo > 180 {
			return c, fmt.Errorf("%q: coordinates must be LAT,LON in degrees", v)
		}
		c.Lat, c.Lon = la, lo
	}
	return c, nil
}

func validContinent(c string) bool {
	switch c {
	case "AF", "AN", "AS", "EU", "NA", "OC", "SA":
		return true
	}
	return false
}

// distance is the great-circle distance in kilometres.
func distance(lat1, lon1, lat2, lon2 float64) float64 {
	const earth = 6371.0
	rad := math.Pi / 180
	dlat, dlon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlon/2)*math.Sin(dlon/2)
	return 2 * earth * math.Asin(math.Min(1, math.Sqrt(a)))
}
