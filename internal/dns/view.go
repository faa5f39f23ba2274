package dns

import (
	"fmt"
	"strings"
)

// AllVPCs is the vpc argument of Resolver.Answer and Source.Zone that
// makes every private zone visible, whatever VPCs it is associated with:
// the view of the host running niwa by default (see View).
const AllVPCs = "*"

// View is what a query that names no VPC (no VPCOption) sees: such a
// query comes from the host running niwa (dig, a browser, a test), not
// from code niwa runs inside a VPC, which says its VPC with VPCOption
// and always sees that VPC's view.
//
// The zero View is the one ViewAll returns.
type View struct {
	public bool
	vpc    string
}

// ViewAll sees public zones and every private zone of every account and
// VPC, as a client "in the account" would. Where several private zones
// of the same name are associated with different VPCs, the one created
// first answers (ties broken by zone id); where a private and a public
// zone have the same name, the private one answers, as it does inside a
// VPC associated with it.
func ViewAll() View { return View{} }

// ViewPublic sees public zones only: what AWS's public resolvers answer.
func ViewPublic() View { return View{public: true} }

// ViewVPC sees what a client inside vpc sees: the private zones
// associated with vpc, then public zones.
func ViewVPC(vpc string) View { return View{vpc: vpc} }

// ParseView reads a --dns-view value: "all", "public" or a VPC id
// ("vpc-" and 8 or 17 lower-case hex digits, as EC2 makes them).
func ParseView(s string) (View, error) {
	switch s {
	case "all":
		return ViewAll(), nil
	case "public":
		return ViewPublic(), nil
	}
	if id, ok := strings.CutPrefix(s, "vpc-"); ok && (len(id) == 8 || len(id) == 17) && isLowerHex(id) {
		return ViewVPC(s), nil
	}
	return View{}, fmt.Errorf("dns view %q: want all, public or a VPC id (vpc-0123456789abcdef0)", s)
}

func isLowerHex(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// String is the --dns-view spelling of v.
func (v View) String() string {
	switch {
	case v.public:
		return "public"
	case v.vpc != "":
		return v.vpc
	}
	return "all"
}

// asker is the vpc argument for Resolver.Answer of a query from the host.
func (v View) asker() string {
	switch {
	case v.public:
		return ""
	case v.vpc != "":
		return v.vpc
	}
	return AllVPCs
}
