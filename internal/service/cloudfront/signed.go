package cloudfront

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/iam"
)

// Signed URLs and cookies, as CloudFront checks them
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-signed-urls.html):
// a canned policy (Expires) or a custom one (Policy, base64 of a JSON
// statement) signed with RSA-SHA1 (PKCS #1 v1.5) by the private key of a
// public key in a trusted key group, named by Key-Pair-Id. Base64 values
// use CloudFront's URL-safe alphabet: '+' '=' '/' become '-' '_' '~'.

// maxPolicyLen bounds a custom policy (the URL carrying it is itself
// bounded by CloudFront's 8,192-byte request line).
const maxPolicyLen = 8192

// denial is why a signed request is refused: CloudFront's 403 document
// carries Code and Message.
type denial struct{ Code, Message string }

func (d *denial) Error() string { return d.Code + ": " + d.Message }

var (
	denyMissingKey = &denial{"MissingKey", "Missing Key-Pair-Id query parameter or cookie value"}
	denyUnknownKey = &denial{"InvalidKey", "Unknown Key"}
	denyMalformed  = &denial{"MalformedPolicy", "Malformed Policy"}
	denyAccess     = &denial{"AccessDenied", "Access denied"}
)

// signedParams are the signing values of a request: from the query
// string, else from CloudFront-* cookies.
type signedParams struct {
	Expires, Policy, Signature, KeyPairID string
	// FromQuery: the values came from the URL (they are then left out of
	// the resource the policy is checked against).
	FromQuery bool
}

func paramsOf(r *http.Request) signedParams {
	q := r.URL.Query()
	p := signedParams{Expires: q.Get("Expires"), Policy: q.Get("Policy"), Signature: q.Get("Signature"), KeyPairID: q.Get("Key-Pair-Id")}
	if p.Signature != "" || p.KeyPairID != "" || p.Policy != "" || p.Expires != "" {
		p.FromQuery = true
		return p
	}
	cookie := func(name string) string {
		c, err := r.Cookie(name)
		if err != nil {
			return ""
		}
		return c.Value
	}
	return signedParams{Expires: cookie("CloudFront-Expires"), Policy: cookie("CloudFront-Policy"),
		Signature: cookie("CloudFront-Signature"), KeyPairID: cookie("CloudFront-Key-Pair-Id")}
}

// safeBase64 decodes CloudFront's URL-safe base64.
func safeBase64(s string) ([]byte, error) {
	r := strings.NewReplacer("-", "+", "_", "=", "~", "/")
	return base64.StdEncoding.DecodeString(r.Replace(s))
}

// policy is a custom policy, as CloudFront reads it: one statement, a
// resource (optional, with * and ? wildcards) and conditions.
type policy struct {
	Resource        string
	HasResource     bool
	DateLessThan    time.Time
	DateGreaterThan time.Time
	SourceIP        *net.IPNet
}

// epoch is AWS:EpochTime: a number of seconds (strings are refused, as
// CloudFront refuses quoted values).
type epoch struct {
	T time.Time
}

func (e *epoch) UnmarshalJSON(b []byte) error {
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	v, err := strconv.ParseInt(n.String(), 10, 64)
	if err != nil || v < 0 {
		return errors.New("cloudfront: AWS:EpochTime is not a whole number of seconds")
	}
	e.T = time.Unix(v, 0)
	return nil
}

type policyDoc struct {
	Statement []struct {
		Resource  *string `json:"Resource"`
		Condition struct {
			DateLessThan *struct {
				Epoch *epoch `json:"AWS:EpochTime"`
			} `json:"DateLessThan"`
			DateGreaterThan *struct {
				Epoch *epoch `json:"AWS:EpochTime"`
			} `json:"DateGreaterThan"`
			IPAddress *struct {
				SourceIP *string `json:"AWS:SourceIp"`
			} `json:"IpAddress"`
		} `json:"Condition"`
	} `json:"Statement"`
}

// parsePolicy reads a custom policy's JSON. DateLessThan is required;
// exactly one statement.
func parsePolicy(b []byte) (policy, error) {
	var p policy
	if len(b) > maxPolicyLen {
		return p, errors.New("cloudfront: policy too long")
	}
	var doc policyDoc
	if err := json.Unmarshal(b, &doc); err != nil {
		return p, err
	}
	if len(doc.Statement) != 1 {
		return p, errors.New("cloudfront: a policy has exactly one statement")
	}
	st := doc.Statement[0]
	if st.Resource != nil {
		p.Resource, p.HasResource = *st.Resource, true
	}
	c := st.Condition
	if c.DateLessThan == nil || c.DateLessThan.Epoch == nil {
		return p, errors.New("cloudfront: DateLessThan is required")
	}
	p.DateLessThan = c.DateLessThan.Epoch.T
	if c.DateGreaterThan != nil && c.DateGreaterThan.Epoch != nil {
		p.DateGreaterThan = c.DateGreaterThan.Epoch.T
	}
	if c.IPAddress != nil && c.IPAddress.SourceIP != nil {
		ip := *c.IPAddress.SourceIP
		if !strings.Contains(ip, "/") {
			ip += "/32"
		}
		_, n, err := net.ParseCIDR(ip)
		if err != nil {
			return p, err
		}
		p.SourceIP = n
	}
	return p, nil
}

// cannedPolicy is the statement a canned policy signs: exactly the bytes
// `aws cloudfront sign` and the SDKs sign (no whitespace).
func cannedPolicy(resource string, expires int64) string {
	return `{"Statement":[{"Resource":"` + resource + `","Condition":{"DateLessThan":{"AWS:EpochTime":` + strconv.FormatInt(expires, 10) + `}}}]}`
}

// signedResources are the URLs a signed request may have been signed for:
// CloudFront compares with https://<host>/<path>?<query> less the signing
// parameters. niwa serves on other ports and schemes than AWS's, so both
// schemes and the host with and without its port are accepted; the path
// and query (and so any tampering) must match exactly.
func signedResources(r *http.Request, fromQuery bool) []string {
	q := r.URL.RawQuery
	if fromQuery {
		var kept []string
		for _, part := range strings.Split(q, "&") {
			name, _, _ := strings.Cut(part, "=")
			switch name {
			case "Expires", "Policy", "Signature", "Key-Pair-Id":
				continue
			}
			if part != "" {
				kept = append(kept, part)
			}
		}
		q = strings.Join(kept, "&")
	}
	path := r.URL.EscapedPath()
	if q != "" {
		path += "?" + q
	}
	hostsTried := []string{r.Host}
	if h, _, err := net.SplitHostPort(r.Host); err == nil {
		hostsTried = append(hostsTried, h)
	}
	var out []string
	for _, scheme := range []string{"https://", "http://"} {
		for _, h := range hostsTried {
			out = append(out, scheme+h+path)
		}
	}
	return out
}

// keyFinder returns the public key a Key-Pair-Id names among the trusted
// key groups (nil: unknown).
type keyFinder func(id string) *rsa.PublicKey

// verifySigned decides a request to a behaviour that restricts viewer
// access. now is niwa's clock; ip the viewer's address.
func verifySigned(r *http.Request, now time.Time, ip net.IP, find keyFinder) *denial {
	p := paramsOf(r)
	if p.KeyPairID == "" {
		return denyMissingKey
	}
	if p.Signature == "" || (p.Policy == "" && p.Expires == "") {
		return denyAccess
	}
	key := find(p.KeyPairID)
	if key == nil {
		return denyUnknownKey
	}
	sig, err := safeBase64(p.Signature)
	if err != nil {
		return denyAccess
	}
	candidates := signedResources(r, p.FromQuery)
	if p.Policy == "" {
		expires, err := strconv.ParseInt(p.Expires, 10, 64)
		if err != nil || expires < 0 {
			return denyAccess
		}
		ok := false
		for _, res := range candidates {
			if verifyRSA(key, []byte(cannedPolicy(res, expires)), sig) {
				ok = true
				break
			}
		}
		if !ok {
			return denyAccess
		}
		if !now.Before(time.Unix(expires, 0)) {
			return denyAccess
		}
		return nil
	}
	raw, err := safeBase64(p.Policy)
	if err != nil {
		return denyMalformed
	}
	if !verifyRSA(key, raw, sig) {
		return denyAccess
	}
	pol, err := parsePolicy(raw)
	if err != nil {
		return denyMalformed
	}
	if pol.HasResource {
		ok := false
		for _, res := range candidates {
			if iam.Glob(pol.Resource, res) {
				ok = true
				break
			}
		}
		if !ok {
			return denyAccess
		}
	}
	if !now.Before(pol.DateLessThan) || (!pol.DateGreaterThan.IsZero() && now.Before(pol.DateGreaterThan)) {
		return denyAccess
	}
	if pol.SourceIP != nil && (ip == nil || !pol.SourceIP.Contains(ip)) {
		return denyAccess
	}
	return nil
}

// verifyRSA checks an RSA-SHA1 PKCS #1 v1.5 signature, the only one
// CloudFront uses for signed URLs.
func verifyRSA(k *rsa.PublicKey, msg, sig []byte) bool {
	h := sha1.Sum(msg)
	return rsa.VerifyPKCS1v15(k, crypto.SHA1, h[:], sig) == nil
}
