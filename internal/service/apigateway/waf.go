package apigateway

import (
	"net"
	"net/http"
	"net/netip"

	"github.com/niwa-cloud/niwa/internal/ptr"
)

// Firewall is AWS WAF as a stage sees it: InspectWithDefault evaluates
// the web ACL associated with the stage's ARN; a block with a custom
// response is answered by WAF (answered), a default block is left to
// the stage (its WAF_FILTERED gateway response). WebACLOf names the web
// ACL associated with a resource ("" for none), for the stage's
// webAclArn.
type Firewall interface {
	InspectWithDefault(w http.ResponseWriter, r *http.Request, account, region, resourceARN string, client netip.Addr) (blocked, answered bool)
	WebACLOf(account, region, resourceARN string) string
}

// errWAFFiltered is API Gateway's answer to a request its web ACL
// blocks without a custom response.
var errWAFFiltered = gatewayError{typ: "WAF_FILTERED", status: 403, kind: "ForbiddenException", message: "Forbidden"}

// stageARN is a stage's ARN as WAF associations name it.
func stageARN(region, api, stage string) string {
	return "arn:aws:apigateway:" + region + "::/restapis/" + api + "/stages/" + stage
}

// inspect runs the stage's web ACL before anything else checks the
// request (authorizers, keys): a blocked request is answered by WAF
// (403 with its body or the rule's custom response); ok false then.
func (s *APIGateway) inspect(w http.ResponseWriter, c *call) (gatewayError, bool) {
	if s.firewall == nil {
		return gatewayError{}, true
	}
	ip, err := netip.ParseAddr(sourceIP(c.r))
	if err != nil {
		if host, _, herr := net.SplitHostPort(c.r.RemoteAddr); herr == nil {
			ip, _ = netip.ParseAddr(host)
		}
	}
	blocked, answered := s.firewall.InspectWithDefault(w, c.r, c.loc.Account, c.loc.Region, stageARN(c.loc.Region, c.apiID, ptr.Deref(c.stage.StageName)), ip.Unmap())
	switch {
	case answered:
		c.errorMessage, c.errorType = "Forbidden", "WAF_FILTERED"
		return gatewayError{answered: true}, false
	case blocked:
		return errWAFFiltered, false
	}
	return gatewayError{}, true
}
