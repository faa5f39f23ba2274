package jsonschema4

import (
	"fmt"
	"net/mail"
	"net/netip"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// knownFormat reports whether name is one of the "format" attributes
// draft 4 defines, which API Gateway's validator asserts; a format of
// another name is ignored, as there.
func knownFormat(name string) bool {
	switch name {
	case "date-time", "email", "hostname", "ipv4", "ipv6", "uri", "regex":
		return true
	}
	return false
}

// checkFormat returns the message for a string s that is not of the
// format name, or "" for one that is.
func checkFormat(name, s string) string {
	ok := true
	var msg string
	switch name {
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		ok = err == nil
		msg = "string \"%s\" is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]"
	case "email":
		a, err := mail.ParseAddress(s)
		ok = err == nil && a.Address == s && a.Name == ""
		msg = "string \"%s\" is not a valid email address"
	case "hostname":
		ok = isHostname(s)
		msg = "string \"%s\" is not a valid hostname"
	case "ipv4":
		a, err := netip.ParseAddr(s)
		ok = err == nil && a.Is4()
		msg = "string \"%s\" is not a valid IPv4 address"
	case "ipv6":
		a, err := netip.ParseAddr(s)
		ok = err == nil && a.Is6() && a.Zone() == ""
		msg = "string \"%s\" is not a valid IPv6 address"
	case "uri":
		_, err := url.Parse(s)
		ok = err == nil && !strings.ContainsAny(s, " \t\n\"<>\\^`{|}")
		msg = "string \"%s\" is not a valid URI"
	case "regex":
		_, err := regexp.Compile(s)
		ok = err == nil
		msg = "ECMA 262 regex \"%s\" is invalid"
	}
	if ok {
		return ""
	}
	return fmt.Sprintf(msg, s)
}

// isHostname reports whether s is a DNS host name (RFC 1034 as RFC 1123
// relaxes it): dot-separated labels of 1–63 letters, digits and hyphens,
// neither starting nor ending with a hyphen, 255 characters at most.
func isHostname(s string) bool {
	if s == "" || len(s) > 255 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
