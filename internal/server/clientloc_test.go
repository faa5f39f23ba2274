package server

import (
	"net/netip"
	"strings"
	"testing"
)

func TestParseClientLocations(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string // "prefix=CC ..." or the error's text
		wantErr bool
	}{
		{"10.0.0.0/8=JP, 192.0.2.7=us", "10.0.0.0/8=JP 192.0.2.7/32=US", false},
		{"2001:db8::/32=DE,", "2001:db8::/32=DE", false},
		{"10.1.2.3/8=JP", "10.0.0.0/8=JP", false},
		{"", "", false},
		{"10.0.0.0/8", "want CIDR=COUNTRY", true},
		{"10.0.0.0/33=JP", "10.0.0.0/33", true},
		{"nowhere=JP", "nowhere", true},
		{"10.0.0.0/8=JPN", "two-letter", true},
		{"10.0.0.0/8=J1", "two-letter", true},
	} {
		got, err := ParseClientLocations(tc.in)
		if tc.wantErr {
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("%q: err %v, want %q", tc.in, err, tc.want)
			}
			continue
		}
		var parts []string
		for _, l := range got {
			parts = append(parts, l.Prefix.String()+"="+l.Country)
		}
		if err != nil || strings.Join(parts, " ") != tc.want {
			t.Fatalf("%q: %v %v, want %s", tc.in, parts, err, tc.want)
		}
	}
	many := strings.Repeat("10.0.0.1=JP,", maxClientLocations+1)
	if _, err := ParseClientLocations(many); err == nil {
		t.Fatal("an unbounded list was taken")
	}
	locs, _ := ParseClientLocations("10.0.0.0/8=JP,10.1.0.0/16=US")
	c := ClientLocations{Locations: locs, Default: "FR"}
	for addr, want := range map[string]string{"10.1.2.3": "JP", "::ffff:10.9.9.9": "JP", "192.0.2.1": "FR"} {
		if got := c.Country(netip.MustParseAddr(addr)); got != want {
			t.Fatalf("%s: %s, want %s (first match wins, then the default)", addr, got, want)
		}
	}
}

func FuzzParseClientLocations(f *testing.F) {
	for _, s := range []string{"10.0.0.0/8=JP,192.0.2.7=US", "::1=DE", "=", ",,,", "1.2.3.4/0=zz"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		locs, err := ParseClientLocations(s)
		if err != nil {
			return
		}
		for _, l := range locs {
			if !l.Prefix.IsValid() || len(l.Country) != 2 || l.Prefix != l.Prefix.Masked() {
				t.Fatalf("%q: bad location %+v", s, l)
			}
		}
	})
}
