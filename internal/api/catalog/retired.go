package catalog

// Retired is why niwa answers a model AWS itself no longer serves, "" for
// the others: their NotImplemented says niwa does not implement them
// "yet"; a retired one says why it never will.
func Retired(model string) string {
	switch model {
	case "waf", "waf-regional":
		return "AWS ended support for WAF Classic on September 30, 2025; niwa serves AWS WAF (wafv2), where web ACLs, rules, IP sets and their associations work"
	}
	return ""
}
