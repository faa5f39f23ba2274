package ec2

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/netip"

	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/service/ec2/route"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// Advertised routes: what the far side of a virtual private gateway
// announces over BGP. On AWS a customer's router learns and advertises
// routes over a dynamic Site-to-Site VPN connection or a Direct Connect
// virtual interface; nothing on the far side exists in niwa, so the
// internal endpoint /_niwa/ec2/bgp stands in for that router. A gateway
// propagates these routes into the route tables that enabled propagation
// from it, and the route evaluator ranks them (Direct Connect BGP, VPN
// static, VPN BGP).

// advertisedRoute is one announcement.
type advertisedRoute struct {
	Gateway string `json:"gateway"`
	CIDR    string `json:"cidr"`
	// Source is direct-connect or vpn-bgp; Via is the virtual interface
	// (dxvif-...) or the dynamic VPN connection (vpn-...).
	Source string `json:"source"`
	Via    string `json:"via"`
}

var advertised = storage.NewTable[advertisedRoute]("bgproute")

// BGPPath is the internal endpoint's path.
const BGPPath = "/_niwa/ec2/bgp"

var dxvifRE = lazyre.New(`^dxvif-[0-9a-z]{8,17}$`)

// advertisedPaths are the announced routes of a gateway.
func advertisedPaths(tx storage.Tx, sc storage.Scope, vgw string) []vgwPath {
	var out []vgwPath
	_ = advertised.List(tx, sc, []string{vgw}, storage.ListOptions{}, func(_ []string, a advertisedRoute) bool {
		src := route.DirectConnect
		if a.Source == "vpn-bgp" {
			// A dynamic VPN connection's routes last as long as it does.
			c, ok, err := vpns.table.Get(tx, sc, a.Via)
			if err != nil || !ok || ptr.Deref(c.State) == "deleted" || ptr.Deref(c.VpnGatewayId) != vgw {
				return true
			}
			src = route.VPNBGP
		}
		out = append(out, vgwPath{cidr: a.CIDR, via: a.Via, source: src})
		return true
	})
	return out
}

// BGPHandler serves /_niwa/ec2/bgp: POST announces a route
// (gateway=vgw-…&cidr=…&source=direct-connect|vpn-bgp&via=dxvif-…|vpn-…),
// DELETE withdraws it (same parameters), GET lists a gateway's
// announcements (gateway=vgw-…). region and account default to niwa's.
func (s *EC2) BGPHandler(defaultAccount, defaultRegion string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fail := func(status int, code, format string, a ...any) {
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "message": fmt.Sprintf(format, a...)})
		}
		q := r.URL.Query()
		sc := storage.Scope{Account: q.Get("account"), Region: q.Get("region")}
		if sc.Account == "" {
			sc.Account = defaultAccount
		}
		if sc.Region == "" {
			sc.Region = defaultRegion
		}
		gw := q.Get("gateway")
		if gw == "" {
			fail(http.StatusBadRequest, "MissingParameter", "gateway (a virtual private gateway id) is required")
			return
		}
		if r.Method == http.MethodGet {
			var list []advertisedRoute
			err := s.store.View(func(tx storage.Tx) error {
				return advertised.List(tx, sc, []string{gw}, storage.ListOptions{}, func(_ []string, a advertisedRoute) bool {
					list = append(list, a)
					return true
				})
			})
			if err != nil {
				fail(http.StatusInternalServerError, "InternalFailure", "%v", err)
				return
			}
			if list == nil {
				list = []advertisedRoute{}
			}
			_ = json.NewEncoder(w).Encode(map[string]any{"routes": list})
			return
		}
		if r.Method != http.MethodPost && r.Method != http.MethodDelete {
			w.Header().Set("Allow", "GET, POST, DELETE")
			fail(http.StatusMethodNotAllowed, "MethodNotAllowed", "use GET, POST or DELETE")
			return
		}
		p, err := netip.ParsePrefix(q.Get("cidr"))
		if err != nil || !p.Addr().Is4() {
			fail(http.StatusBadRequest, "InvalidParameterValue", "cidr %q is not an IPv4 CIDR block", q.Get("cidr"))
			return
		}
		a := advertisedRoute{Gateway: gw, CIDR: p.Masked().String(), Source: q.Get("source"), Via: q.Get("via")}
		status, code, msg := http.StatusOK, "", ""
		err = s.store.Update(func(tx storage.Tx) error {
			if _, ok, err := vgws.table.Get(tx, sc, gw); err != nil {
				return err
			} else if !ok {
				status, code, msg = http.StatusNotFound, errVGWNotFound.Code, fmt.Sprintf("The virtual private gateway ID '%s' does not exist", gw)
				return nil
			}
			switch a.Source {
			case "direct-connect":
				if !dxvifRE.MatchString(a.Via) {
					status, code, msg = http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("via %q is not a Direct Connect virtual interface id (dxvif-...)", a.Via)
					return nil
				}
			case "vpn-bgp":
				c, ok, err := vpns.table.Get(tx, sc, a.Via)
				if err != nil {
					return err
				}
				if !ok || ptr.Deref(c.State) == "deleted" || ptr.Deref(c.VpnGatewayId) != gw {
					status, code, msg = http.StatusNotFound, errVPNNotFound.Code, fmt.Sprintf("no live VPN connection %q on %s", a.Via, gw)
					return nil
				}
				if c.Options != nil && ptr.Deref(c.Options.StaticRoutesOnly) {
					status, code, msg = http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("%s uses static routing (StaticRoutesOnly): it learns no BGP routes", a.Via)
					return nil
				}
			default:
				status, code, msg = http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf("source %q must be direct-connect or vpn-bgp", a.Source)
				return nil
			}
			if r.Method == http.MethodDelete {
				found, err := advertised.DeleteExisting(tx, sc, gw, a.CIDR, a.Via)
				if err == nil && !found {
					status, code, msg = http.StatusNotFound, errRouteNotFound.Code, fmt.Sprintf("%s does not announce %s", a.Via, a.CIDR)
				}
				return err
			}
			return advertised.Put(tx, sc, a, gw, a.CIDR, a.Via)
		})
		switch {
		case err != nil:
			fail(http.StatusInternalServerError, "InternalFailure", "%v", err)
		case code != "":
			fail(status, code, "%s", msg)
		default:
			_ = json.NewEncoder(w).Encode(a)
		}
	})
}
