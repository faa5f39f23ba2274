package catalog

// Reason is why niwa does not serve a model it knows only by name, ""
// when there is nothing to say beyond "not yet": a service AWS retired, or
// one whose local stand-in is another part of niwa.
func Reason(model string) string {
	switch model {
	case "waf", "waf-regional":
		return "AWS ended support for WAF Classic on September 30, 2025; niwa serves AWS WAF (wafv2), where web ACLs, rules, IP sets and their associations work"
	case "acm-pca":
		return "niwa has no private certificate authorities to manage; its own local CA (root at /_niwa/ca.pem) issues the certificates ACM hands out, and ACM imports certificates from any other CA"
	}
	return ""
}
