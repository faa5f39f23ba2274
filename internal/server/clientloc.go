package server

import (
	"fmt"
	"net/netip"
	"strings"
)

// ClientLocations place clients in countries where AWS would look them
// up in its GeoIP data: WAF's GeoMatchStatement and CloudFront's geo
// restrictions read the same setting. niwa has no GeoIP database, so the
// countries are configured: Locations (first matching prefix wins), then
// Default for every other address ("": no country).
type ClientLocations struct {
	Locations []ClientLocation
	Default   string
}

// ClientLocation is one prefix's country (ISO 3166-1 alpha-2).
type ClientLocation struct {
	Prefix  netip.Prefix
	Country string
}

// Country is the country of address a ("" for none).
func (c ClientLocations) Country(a netip.Addr) string {
	a = a.Unmap()
	for _, l := range c.Locations {
		if l.Prefix.Contains(a) {
			return l.Country
		}
	}
	return c.Default
}

// maxClientLocations bounds the list a flag may give.
const maxClientLocations = 1000

// ParseCountry checks an ISO 3166-1 alpha-2 code ("JP"; lower case is
// taken as upper).
func ParseCountry(s string) (string, error) {
	c := strings.ToUpper(strings.TrimSpace(s))
	if len(c) != 2 || c[0] < 'A' || c[0] > 'Z' || c[1] < 'A' || c[1] > 'Z' {
		return "", fmt.Errorf("%q is not a two-letter ISO 3166-1 country code", s)
	}
	return c, nil
}

// ParseClientLocations reads "CIDR=CC,CIDR=CC,..." (an address alone is
// its /32 or /128), e.g. "10.0.0.0/8=JP,192.0.2.7=US".
func ParseClientLocations(s string) ([]ClientLocation, error) {
	var out []ClientLocation
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if len(out) == maxClientLocations {
			return nil, fmt.Errorf("more than %d locations", maxClientLocations)
		}
		where, cc, ok := strings.Cut(item, "=")
		if !ok {
			return nil, fmt.Errorf("%q: want CIDR=COUNTRY", item)
		}
		where = strings.TrimSpace(where)
		var p netip.Prefix
		var err error
		if strings.Contains(where, "/") {
			p, err = netip.ParsePrefix(where)
		} else {
			var a netip.Addr
			if a, err = netip.ParseAddr(where); err == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			}
		}
		if err != nil {
			return nil, fmt.Errorf("%q: %v", item, err)
		}
		country, err := ParseCountry(cc)
		if err != nil {
			return nil, fmt.Errorf("%q: %v", item, err)
		}
		out = append(out, ClientLocation{Prefix: p.Masked(), Country: country})
	}
	return out, nil
}
