package instances

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/niwa-cloud/niwa/internal/awsid"
)

// IMDS, one listener per instance (127.0.0.1, a port of its own): the
// listener is the instance, so no header or address has to tell
// instances apart, and a process reaches only its own instance's
// metadata through AWS_EC2_METADATA_SERVICE_ENDPOINT.
//
// IMDSv2: PUT /latest/api/token with X-aws-ec2-metadata-token-ttl-seconds
// (1-21600) returns a token valid that long on the clock; a request
// carrying X-aws-ec2-metadata-token must carry a valid one (401
// otherwise); without a token the request is IMDSv1, refused with 401
// when HttpTokens is required. HttpEndpoint disabled answers 403 to
// everything. The PUT hop limit is recorded by EC2 but not enforced: the
// instance's processes are one hop away by construction.

const (
	tokenHeader    = "X-Aws-Ec2-Metadata-Token"
	tokenTTLHeader = "X-Aws-Ec2-Metadata-Token-Ttl-Seconds"
	maxTokenTTL    = 21600
	// maxTokens bounds the tokens an instance keeps: the oldest go.
	maxTokens = 1024
)

// leaf is a metadata value, computed when asked.
type leaf func() (string, bool, error)

func static(s string) leaf { return func() (string, bool, error) { return s, true, nil } }

func (v *vm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	in, ok, err := v.r.cfg.Source.Instance(v.account, v.region, v.id)
	if err != nil {
		plain(w, http.StatusInternalServerError)
		return
	}
	if !ok {
		plain(w, http.StatusNotFound)
		return
	}
	if in.HTTPEndpoint == "disabled" {
		plain(w, http.StatusForbidden)
		return
	}
	now := v.r.cfg.Clock.Now()
	if r.URL.Path == "/latest/api/token" {
		v.token(w, r, now)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD, PUT")
		plain(w, http.StatusMethodNotAllowed)
		return
	}
	if t := r.Header.Get(tokenHeader); t != "" {
		if !v.validToken(t, now) {
			plain(w, http.StatusUnauthorized)
			return
		}
	} else if in.HTTPTokens == "required" {
		plain(w, http.StatusUnauthorized)
		return
	}
	v.serve(w, r, in)
}

// token answers PUT /latest/api/token.
func (v *vm) token(w http.ResponseWriter, r *http.Request, now time.Time) {
	if r.Method != http.MethodPut {
		w.Header().Set("Allow", "PUT")
		plain(w, http.StatusMethodNotAllowed)
		return
	}
	// A token request relayed by a proxy is refused, as EC2 does.
	if r.Header.Get("X-Forwarded-For") != "" {
		plain(w, http.StatusForbidden)
		return
	}
	ttl, err := strconv.Atoi(r.Header.Get(tokenTTLHeader))
	if err != nil || ttl < 1 || ttl > maxTokenTTL {
		plain(w, http.StatusBadRequest)
		return
	}
	tok := awsid.Base64(42)
	v.mu.Lock()
	for t, exp := range v.tokens {
		if !now.Before(exp) {
			delete(v.tokens, t)
		}
	}
	if len(v.tokens) >= maxTokens {
		var oldest string
		for t, exp := range v.tokens {
			if oldest == "" || exp.Before(v.tokens[oldest]) {
				oldest = t
			}
		}
		delete(v.tokens, oldest)
	}
	v.tokens[tok] = now.Add(time.Duration(ttl) * time.Second)
	v.mu.Unlock()
	w.Header().Set(tokenTTLHeader, strconv.Itoa(ttl))
	w.Header().Set("Content-Type", "text/plain")
	_, _ = w.Write([]byte(tok))
}

func (v *vm) validToken(t string, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	exp, ok := v.tokens[t]
	return ok && now.Before(exp)
}

// serve answers a GET: a leaf's value, or a directory's listing (one
// name a line, subdirectories with a trailing slash).
func (v *vm) serve(w http.ResponseWriter, r *http.Request, in Instance) {
	tree := v.tree(r.Context(), in)
	p := strings.TrimPrefix(r.URL.Path, "/")
	if p == "" {
		text(w, "latest")
		return
	}
	if !strings.HasPrefix(p, "latest") {
		plain(w, http.StatusNotFound)
		return
	}
	p = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(p, "latest"), "/"), "/")
	if f, ok := tree[p]; ok && !strings.HasSuffix(r.URL.Path, "/") {
		s, ok, err := f()
		switch {
		case err != nil:
			v.r.cfg.Log.Warn("instances: metadata", "instance", v.id, "path", p, "err", err)
			plain(w, http.StatusInternalServerError)
		case !ok:
			plain(w, http.StatusNotFound)
		default:
			text(w, s)
		}
		return
	}
	prefix := p + "/"
	if p == "" {
		prefix = ""
	}
	seen := map[string]bool{}
	var names []string
	for k := range tree {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || rest == "" {
			continue
		}
		name := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			name = rest[:i+1]
		}
		if !seen[name] {
			seen[name] = true
			names = append(names, name)
		}
	}
	if len(names) == 0 {
		plain(w, http.StatusNotFound)
		return
	}
	sort.Strings(names)
	text(w, strings.Join(names, "\n"))
}

// tree is the instance's metadata: path (under /latest/) → value.
func (v *vm) tree(ctx context.Context, in Instance) map[string]leaf {
	t := map[string]leaf{}
	md := func(p string, val string) { t["meta-data/"+p] = static(val) }
	md("ami-id", in.ImageID)
	md("ami-launch-index", strconv.Itoa(in.LaunchIndex))
	md("ami-manifest-path", "(unknown)")
	md("block-device-mapping/ami", "/dev/xvda")
	md("block-device-mapping/root", "/dev/xvda")
	md("hostname", in.PrivateDNS)
	md("instance-action", "none")
	md("instance-id", in.ID)
	md("instance-life-cycle", "on-demand")
	md("instance-type", in.InstanceType)
	md("local-hostname", in.PrivateDNS)
	md("local-ipv4", in.PrivateIP)
	md("mac", in.MAC)
	md("placement/availability-zone", in.AZ)
	md("placement/availability-zone-id", in.AZID)
	md("placement/region", in.Region)
	md("reservation-id", in.ReservationID)
	md("services/domain", "amazonaws.com")
	md("services/partition", "aws")
	md("events/maintenance/history", "[]")
	md("events/maintenance/scheduled", "[]")
	if in.PublicIP != "" {
		md("public-ipv4", in.PublicIP)
		md("public-hostname", in.PublicDNS)
	}
	var names, ids []string
	for _, g := range in.SecurityGroups {
		names = append(names, g.Name)
		ids = append(ids, g.ID)
	}
	md("security-groups", strings.Join(names, "\n"))
	if in.MAC != "" {
		nic := "network/interfaces/macs/" + in.MAC + "/"
		md(nic+"device-number", "0")
		md(nic+"interface-id", in.ENI)
		md(nic+"local-hostname", in.PrivateDNS)
		md(nic+"local-ipv4s", in.PrivateIP)
		md(nic+"mac", in.MAC)
		md(nic+"owner-id", in.Account)
		md(nic+"security-group-ids", strings.Join(ids, "\n"))
		md(nic+"security-groups", strings.Join(names, "\n"))
		md(nic+"subnet-id", in.SubnetID)
		md(nic+"subnet-ipv4-cidr-block", in.SubnetCIDR)
		md(nic+"vpc-id", in.VpcID)
		md(nic+"vpc-ipv4-cidr-block", in.VpcCIDR)
		md(nic+"vpc-ipv4-cidr-blocks", in.VpcCIDR)
		if in.PublicIP != "" {
			md(nic+"public-hostname", in.PublicDNS)
			md(nic+"public-ipv4s", in.PublicIP)
			md(nic+"ipv4-associations/"+in.PublicIP, in.PrivateIP)
		}
	}
	if in.MetadataTags {
		keys := make([]string, 0, len(in.Tags))
		for k := range in.Tags {
			keys = append(keys, k)
		}
		for _, k := range keys {
			md("tags/instance/"+k, in.Tags[k])
		}
	}
	if in.ProfileARN != "" {
		t["meta-data/iam/info"] = func() (string, bool, error) {
			c, ok, err := v.credentials(ctx, in)
			if err != nil || !ok {
				return "", ok, err
			}
			if c.Code != "" {
				return jsonText(map[string]string{"Code": c.Code, "Message": c.Message, "LastUpdated": imdsTime(c.issued)})
			}
			return jsonText(map[string]string{"Code": "Success", "LastUpdated": imdsTime(c.issued),
				"InstanceProfileArn": in.ProfileARN, "InstanceProfileId": in.ProfileID})
		}
		if role, ok := v.roleName(ctx, in); ok {
			t["meta-data/iam/security-credentials/"+role] = func() (string, bool, error) {
				c, ok, err := v.credentials(ctx, in)
				if err != nil || !ok {
					return "", ok, err
				}
				if c.Code != "" {
					return jsonText(map[string]string{"Code": c.Code, "Message": c.Message, "LastUpdated": imdsTime(c.issued)})
				}
				return jsonText(map[string]string{"Code": "Success", "LastUpdated": imdsTime(c.issued), "Type": "AWS-HMAC",
					"AccessKeyId": c.AccessKeyID, "SecretAccessKey": c.SecretAccessKey, "Token": c.SessionToken,
					"Expiration": imdsTime(c.Expiration)})
			}
		}
	}
	if len(in.UserData) > 0 {
		t["user-data"] = static(string(in.UserData))
	}
	t["dynamic/instance-identity/document"] = func() (string, bool, error) {
		return string(identityDocument(in)), true, nil
	}
	t["dynamic/instance-identity/signature"] = func() (string, bool, error) {
		id, err := v.r.identity()
		if err != nil {
			return "", false, err
		}
		s, err := id.signature(identityDocument(in))
		return s, err == nil, err
	}
	for _, p := range []string{"pkcs7", "rsa2048"} {
		t["dynamic/instance-identity/"+p] = func() (string, bool, error) {
			id, err := v.r.identity()
			if err != nil {
				return "", false, err
			}
			s, err := id.pkcs7(identityDocument(in))
			return s, err == nil, err
		}
	}
	return t
}

// issuedCredentials are the instance's current role credentials and when
// they were issued.
type issuedCredentials struct {
	Credentials
	issued time.Time
}

// roleName is the role of the instance's profile, asking for
// credentials once (they are cached).
func (v *vm) roleName(ctx context.Context, in Instance) (string, bool) {
	c, ok, err := v.credentials(ctx, in)
	if err != nil || !ok {
		return "", false
	}
	return c.RoleName, true
}

// credentials returns the instance's role credentials, minting new ones
// when none are cached, the profile changed, or less than a fifth of
// their lifetime is left (EC2 makes new ones available well before the
// old expire).
func (v *vm) credentials(ctx context.Context, in Instance) (issuedCredentials, bool, error) {
	if v.r.cfg.Credentials == nil {
		return issuedCredentials{}, false, nil
	}
	now := v.r.cfg.Clock.Now()
	life := v.r.cfg.CredentialLifetime
	v.mu.Lock()
	cached, ok := v.creds, v.credsOK
	prof := v.credsProfile
	issued := v.credsIssued
	v.mu.Unlock()
	if ok && prof == in.ProfileARN && now.Before(cached.Expiration.Add(-life/5)) {
		return issuedCredentials{cached, issued}, true, nil
	}
	c, ok, err := v.r.cfg.Credentials(ctx, in, life)
	if err != nil || !ok {
		return issuedCredentials{}, ok, err
	}
	if c.Code != "" {
		// Not cached: a fixed trust policy applies at the next request.
		return issuedCredentials{c, now}, true, nil
	}
	if c.Expiration.IsZero() {
		c.Expiration = now.Add(life)
	}
	v.mu.Lock()
	v.creds, v.credsOK, v.credsProfile, v.credsIssued = c, true, in.ProfileARN, now
	v.mu.Unlock()
	return issuedCredentials{c, now}, true, nil
}

// imdsTime is IMDS's timestamp form (2024-05-01T12:00:00Z).
func imdsTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

func jsonText(v any) (string, bool, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return string(b), err == nil, err
}

func text(w http.ResponseWriter, s string) {
	w.Header().Set("Content-Type", "text/plain")
	w.Header().Set("Server", "EC2ws")
	_, _ = w.Write([]byte(s))
}

// plain answers an error status with the body IMDS gives (its status
// line as a small HTML page).
func plain(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/html")
	w.Header().Set("Server", "EC2ws")
	w.WriteHeader(status)
	st := fmt.Sprintf("%d - %s", status, http.StatusText(status))
	_, _ = fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?>\n<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0 Transitional//EN\"\n\t\"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd\">\n<html xmlns=\"http://www.w3.org/1999/xhtml\" xml:lang=\"en\" lang=\"en\">\n <head>\n  <title>%s</title>\n </head>\n <body>\n  <h1>%s</h1>\n </body>\n</html>\n", st, st)
}
