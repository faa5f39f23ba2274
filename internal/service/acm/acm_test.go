package acm

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	acmapi "github.com/niwa-cloud/niwa/internal/api/acm"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ca"
	"github.com/niwa-cloud/niwa/internal/mail"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

// fakeDNS is a set of CNAMEs, standing for Route53's public zones.
type fakeDNS struct {
	mu sync.Mutex
	m  map[string]string
}

func (f *fakeDNS) set(name, value string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[strings.ToLower(name)] = value
}

func (f *fakeDNS) lookup(name string) ([]string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if v, ok := f.m[strings.ToLower(name)]; ok {
		return []string{v}, nil
	}
	return nil, nil
}

func newACM(t *testing.T) (*ACM, *servicetest.Harness, *fakeDNS, *ca.CA) {
	t.Helper()
	h := servicetest.New(t, "acm")
	authority, err := ca.New(h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	d := &fakeDNS{m: map[string]string{}}
	return New(Options{Store: h.Store(), CA: authority, Clock: h.Clock, Lookup: d.lookup}), h, d, authority
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	e := awserr.As(err)
	if e == nil || e.Code.Code != code {
		t.Fatalf("error = %v, want %s", err, code)
	}
}

func describe(t *testing.T, a *ACM, h *servicetest.Harness, arn string) *acmapi.CertificateDetail {
	t.Helper()
	out, err := a.DescribeCertificate(h.Ctx(), &acmapi.DescribeCertificateRequest{CertificateArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	return out.Certificate
}

func TestDNSValidationIssuesWhenTheCNAMEExists(t *testing.T) {
	a, h, dns, authority := newACM(t)
	out, err := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("www.example.com"),
		SubjectAlternativeNames: []string{"*.example.com"}, KeyAlgorithm: ptr.To("EC_prime256v1")})
	if err != nil {
		t.Fatal(err)
	}
	arn := *out.CertificateArn
	if !strings.HasPrefix(arn, "arn:aws:acm:us-east-1:123456789012:certificate/") {
		t.Fatalf("arn = %s", arn)
	}
	d := describe(t, a, h, arn)
	if *d.Status != statusPending || len(d.DomainValidationOptions) != 2 {
		t.Fatalf("status %s, %d validations", *d.Status, len(d.DomainValidationOptions))
	}
	if _, err := a.GetCertificate(h.Ctx(), &acmapi.GetCertificateRequest{CertificateArn: &arn}); err == nil {
		t.Fatal("GetCertificate answered while pending")
	} else {
		wantCode(t, err, "RequestInProgressException")
	}
	for _, v := range d.DomainValidationOptions {
		rr := v.ResourceRecord
		if rr == nil || *rr.Type != "CNAME" || !strings.HasSuffix(*rr.Value, ".acm-validations.aws.") || !strings.HasPrefix(*rr.Name, "_") {
			t.Fatalf("resource record %+v", rr)
		}
	}
	// The wildcard validates with its base domain's record.
	if !strings.HasSuffix(*d.DomainValidationOptions[1].ResourceRecord.Name, ".example.com.") ||
		strings.Contains(*d.DomainValidationOptions[1].ResourceRecord.Name, "*") {
		t.Fatalf("wildcard record %s", *d.DomainValidationOptions[1].ResourceRecord.Name)
	}
	// One record of two: still pending.
	rr := d.DomainValidationOptions[0].ResourceRecord
	dns.set(*rr.Name, *rr.Value)
	h.Clock.Advance(time.Minute)
	if d := describe(t, a, h, arn); *d.Status != statusPending || *d.DomainValidationOptions[0].ValidationStatus != validationSuccess {
		t.Fatalf("after one record: %s / %s", *d.Status, *d.DomainValidationOptions[0].ValidationStatus)
	}
	// A wrong value does not validate.
	rr2 := d.DomainValidationOptions[1].ResourceRecord
	dns.set(*rr2.Name, "_wrong.acm-validations.aws.")
	if d := describe(t, a, h, arn); *d.Status != statusPending {
		t.Fatalf("wrong value validated: %s", *d.Status)
	}
	dns.set(*rr2.Name, *rr2.Value)
	h.Clock.Advance(time.Minute)
	d = describe(t, a, h, arn)
	if *d.Status != statusIssued || d.IssuedAt == nil || !d.IssuedAt.Equal(h.Clock.Now()) {
		t.Fatalf("status %s issued %v", *d.Status, d.IssuedAt)
	}
	if *d.KeyAlgorithm != "EC_prime256v1" || *d.SignatureAlgorithm != "SHA256WITHECDSA" || *d.Subject != "CN=www.example.com" || *d.Issuer != "niwa" {
		t.Fatalf("detail %s %s %s %s", *d.KeyAlgorithm, *d.SignatureAlgorithm, *d.Subject, *d.Issuer)
	}
	if got := d.NotAfter.Sub(*d.NotBefore); got != issuedValidity {
		t.Fatalf("validity %v", got)
	}
	g, err := a.GetCertificate(h.Ctx(), &acmapi.GetCertificateRequest{CertificateArn: &arn})
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := parseLeaf(*g.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	inter := x509.NewCertPool()
	inter.AppendCertsFromPEM([]byte(*g.CertificateChain))
	for _, name := range []string{"www.example.com", "api.example.com"} {
		if _, err := leaf.Verify(x509.VerifyOptions{DNSName: name, Roots: authority.Pool(), Intermediates: inter, CurrentTime: h.Clock.Now()}); err != nil {
			t.Fatalf("verify %s: %v", name, err)
		}
	}
}

func TestValidationTimesOutAfter72Hours(t *testing.T) {
	a, h, _, _ := newACM(t)
	out, err := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("example.org")})
	if err != nil {
		t.Fatal(err)
	}
	h.Clock.Advance(validationTimeout - time.Second)
	if d := describe(t, a, h, *out.CertificateArn); *d.Status != statusPending {
		t.Fatalf("before 72h: %s", *d.Status)
	}
	h.Clock.Advance(time.Second)
	d := describe(t, a, h, *out.CertificateArn)
	if *d.Status != statusTimedOut || *d.DomainValidationOptions[0].ValidationStatus != validationFailed {
		t.Fatalf("after 72h: %s / %s", *d.Status, *d.DomainValidationOptions[0].ValidationStatus)
	}
	list, err := a.ListCertificates(h.Ctx(), &acmapi.ListCertificatesRequest{CertificateStatuses: []string{statusTimedOut}})
	if err != nil || len(list.CertificateSummaryList) != 1 {
		t.Fatalf("list timed out: %v %+v", err, list)
	}
}

func TestEmailValidationIsApproved(t *testing.T) {
	a, h, _, _ := newACM(t)
	out, err := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("api.example.net"),
		ValidationMethod: ptr.To("EMAIL"), DomainValidationOptions: []acmapi.DomainValidationOption{{DomainName: ptr.To("api.example.net"), ValidationDomain: ptr.To("example.net")}}})
	if err != nil {
		t.Fatal(err)
	}
	d := describe(t, a, h, *out.CertificateArn)
	v := d.DomainValidationOptions[0]
	if *d.Status != statusPending || v.ResourceRecord != nil || len(v.ValidationEmails) != 5 || v.ValidationEmails[0] != "admin@example.net" {
		t.Fatalf("email validation %+v", v)
	}
	if err := a.Approve(h.Ctx(), *out.CertificateArn); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, a, h, *out.CertificateArn); *d.Status != statusIssued {
		t.Fatalf("after approval: %s", *d.Status)
	}
	wantCode(t, a.Approve(h.Ctx(), *out.CertificateArn), "InvalidStateException")
}

func TestRequestRefusals(t *testing.T) {
	a, h, _, _ := newACM(t)
	many := make([]string, 101)
	for i := range many {
		many[i] = "n" + big.NewInt(int64(i)).String() + ".example.com"
	}
	tooManyTags := make([]acmapi.Tag, 51)
	for i := range tooManyTags {
		tooManyTags[i] = acmapi.Tag{Key: ptr.To("k" + big.NewInt(int64(i)).String())}
	}
	for _, tc := range []struct {
		name string
		in   acmapi.RequestCertificateRequest
		code string
	}{
		{"private CA", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), CertificateAuthorityArn: ptr.To("arn:aws:acm-pca:us-east-1:123456789012:certificate-authority/x")}, "NotImplemented"},
		{"bad domain", acmapi.RequestCertificateRequest{DomainName: ptr.To("-bad.example.com")}, "ValidationException"},
		{"single label", acmapi.RequestCertificateRequest{DomainName: ptr.To("localhost")}, "ValidationException"},
		{"101 SANs", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), SubjectAlternativeNames: many}, "LimitExceededException"},
		{"key algorithm", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), KeyAlgorithm: ptr.To("RSA_4096")}, "ValidationException"},
		{"method", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), ValidationMethod: ptr.To("HTTP")}, "ValidationException"},
		{"aws: tag", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), Tags: []acmapi.Tag{{Key: ptr.To("aws:x")}}}, "InvalidTagException"},
		{"51 tags", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), Tags: tooManyTags}, "TooManyTagsException"},
		{"validation domain", acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), ValidationMethod: ptr.To("EMAIL"),
			DomainValidationOptions: []acmapi.DomainValidationOption{{DomainName: ptr.To("a.example.com"), ValidationDomain: ptr.To("other.com")}}}, "InvalidDomainValidationOptionsException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.RequestCertificate(h.Ctx(), &tc.in)
			wantCode(t, err, tc.code)
		})
	}
	list, _ := a.ListCertificates(h.Ctx(), &acmapi.ListCertificatesRequest{})
	if len(list.CertificateSummaryList) != 0 {
		t.Fatalf("refused requests stored certificates: %d", len(list.CertificateSummaryList))
	}
}

func TestIdempotencyToken(t *testing.T) {
	a, h, _, _ := newACM(t)
	req := &acmapi.RequestCertificateRequest{DomainName: ptr.To("a.example.com"), IdempotencyToken: ptr.To("tok")}
	first, _ := a.RequestCertificate(h.Ctx(), req)
	second, _ := a.RequestCertificate(h.Ctx(), req)
	if *first.CertificateArn != *second.CertificateArn {
		t.Fatal("same token within the hour made a second certificate")
	}
	h.Clock.Advance(time.Hour)
	third, _ := a.RequestCertificate(h.Ctx(), req)
	if *third.CertificateArn == *first.CertificateArn {
		t.Fatal("same token after an hour returned the old certificate")
	}
}

func TestListPagingAndFilters(t *testing.T) {
	a, h, _, _ := newACM(t)
	for i, alg := range []string{"RSA_2048", "RSA_2048", "EC_prime256v1"} {
		if _, err := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("n" + big.NewInt(int64(i)).String() + ".example.com"), KeyAlgorithm: ptr.To(alg)}); err != nil {
			t.Fatal(err)
		}
	}
	// Without Includes, only RSA_1024/RSA_2048 certificates are listed.
	all, _ := a.ListCertificates(h.Ctx(), &acmapi.ListCertificatesRequest{})
	if len(all.CertificateSummaryList) != 2 {
		t.Fatalf("default list has %d", len(all.CertificateSummaryList))
	}
	ec, _ := a.ListCertificates(h.Ctx(), &acmapi.ListCertificatesRequest{Includes: &acmapi.Filters{KeyTypes: []string{"EC_prime256v1"}}})
	if len(ec.CertificateSummaryList) != 1 || *ec.CertificateSummaryList[0].KeyAlgorithm != "EC_prime256v1" {
		t.Fatalf("EC filter: %+v", ec.CertificateSummaryList)
	}
	seen := map[string]bool{}
	req := &acmapi.ListCertificatesRequest{MaxItems: ptr.To(int32(1)), Includes: &acmapi.Filters{KeyTypes: []string{"RSA_2048", "EC_prime256v1"}}}
	for page := 0; ; page++ {
		out, err := a.ListCertificates(h.Ctx(), req)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range out.CertificateSummaryList {
			seen[*s.CertificateArn] = true
		}
		if out.NextToken == nil {
			break
		}
		if page > 5 {
			t.Fatal("paging does not end")
		}
		req.NextToken = out.NextToken
	}
	if len(seen) != 3 {
		t.Fatalf("paging saw %d", len(seen))
	}
	none, _ := a.ListCertificates(h.Ctx(), &acmapi.ListCertificatesRequest{CertificateStatuses: []string{"ISSUED"}})
	if len(none.CertificateSummaryList) != 0 {
		t.Fatal("status filter let pending certificates through")
	}
	_, err := a.ListCertificates(h.Ctx(), &acmapi.ListCertificatesRequest{NextToken: ptr.To("!!")})
	wantCode(t, err, "InvalidArgsException")
}

// selfSigned makes a certificate and key as openssl req -x509 would.
func selfSigned(t testing.TB, key any, pub any, notBefore, notAfter time.Time) []byte {
	t.Helper()
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(7), Subject: pkix.Name{CommonName: "imported.example.com"},
		DNSNames: []string{"imported.example.com"}, NotBefore: notBefore, NotAfter: notAfter}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func keyPEM(t testing.TB, k any) []byte {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

func TestImport(t *testing.T) {
	a, h, _, _ := newACM(t)
	now := h.Clock.Now()
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	ecKey, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	_, edKey, _ := ed25519.GenerateKey(rand.Reader)
	good := selfSigned(t, rsaKey, &rsaKey.PublicKey, now.Add(-time.Hour), now.Add(24*time.Hour))
	for _, tc := range []struct {
		name      string
		cert, key []byte
		chain     []byte
		want      string
	}{
		{"garbage cert", []byte("hello"), keyPEM(t, rsaKey), nil, "ValidationException"},
		{"two certs", append(append([]byte{}, good...), good...), keyPEM(t, rsaKey), nil, "ValidationException"},
		{"key mismatch", good, keyPEM(t, ecKey), nil, "ValidationException"},
		{"other RSA key", good, keyPEM(t, mustRSA(t)), nil, "ValidationException"},
		{"ed25519", selfSigned(t, edKey, edKey.Public(), now.Add(-time.Hour), now.Add(time.Hour)), keyPEM(t, edKey), nil, "ValidationException"},
		{"expired", selfSigned(t, rsaKey, &rsaKey.PublicKey, now.Add(-48*time.Hour), now.Add(-time.Hour)), keyPEM(t, rsaKey), nil, "ValidationException"},
		{"bad chain", good, keyPEM(t, rsaKey), []byte("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"), "ValidationException"},
		{"encrypted key", good, []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"), nil, "ValidationException"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := a.ImportCertificate(h.Ctx(), &acmapi.ImportCertificateRequest{Certificate: tc.cert, PrivateKey: tc.key, CertificateChain: tc.chain})
			wantCode(t, err, tc.want)
		})
	}
	out, err := a.ImportCertificate(h.Ctx(), &acmapi.ImportCertificateRequest{Certificate: good, PrivateKey: keyPEM(t, rsaKey),
		Tags: []acmapi.Tag{{Key: ptr.To("env"), Value: ptr.To("dev")}}})
	if err != nil {
		t.Fatal(err)
	}
	d := describe(t, a, h, *out.CertificateArn)
	if *d.Type != typeImported || *d.Status != statusIssued || *d.DomainName != "imported.example.com" || *d.KeyAlgorithm != "RSA_2048" || d.ImportedAt == nil {
		t.Fatalf("imported: %s %s %s %s", *d.Type, *d.Status, *d.DomainName, *d.KeyAlgorithm)
	}
	// Re-import over the ARN with a new certificate (an EC one).
	ec := selfSigned(t, ecKey, &ecKey.PublicKey, now.Add(-time.Hour), now.Add(48*time.Hour))
	if _, err := a.ImportCertificate(h.Ctx(), &acmapi.ImportCertificateRequest{CertificateArn: out.CertificateArn, Certificate: ec, PrivateKey: keyPEM(t, ecKey)}); err != nil {
		t.Fatal(err)
	}
	d = describe(t, a, h, *out.CertificateArn)
	if *d.KeyAlgorithm != "EC_secp384r1" {
		t.Fatalf("re-import kept %s", *d.KeyAlgorithm)
	}
	tags, _ := a.ListTagsForCertificate(h.Ctx(), &acmapi.ListTagsForCertificateRequest{CertificateArn: out.CertificateArn})
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "env" {
		t.Fatalf("re-import lost tags: %+v", tags.Tags)
	}
	// Expired on the clock.
	h.Clock.Advance(49 * time.Hour)
	if d := describe(t, a, h, *out.CertificateArn); *d.Status != statusExpired {
		t.Fatalf("after NotAfter: %s", *d.Status)
	}
	// Re-import over an Amazon-issued certificate is refused.
	req, _ := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("b.example.com")})
	_, err = a.ImportCertificate(h.Ctx(), &acmapi.ImportCertificateRequest{CertificateArn: req.CertificateArn, Certificate: ec, PrivateKey: keyPEM(t, ecKey)})
	if err == nil {
		t.Fatal("re-import over a requested certificate")
	}
}

func mustRSA(t testing.TB) *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestTagsDeleteExportRenew(t *testing.T) {
	a, h, _, _ := newACM(t)
	out, _ := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("c.example.com")})
	arn := out.CertificateArn
	if _, err := a.AddTagsToCertificate(h.Ctx(), &acmapi.AddTagsToCertificateRequest{CertificateArn: arn, Tags: []acmapi.Tag{{Key: ptr.To("a"), Value: ptr.To("1")}, {Key: ptr.To("b")}}}); err != nil {
		t.Fatal(err)
	}
	_, err := a.AddTagsToCertificate(h.Ctx(), &acmapi.AddTagsToCertificateRequest{CertificateArn: arn, Tags: []acmapi.Tag{{Key: ptr.To("aws:x")}}})
	wantCode(t, err, "InvalidTagException")
	var many []acmapi.Tag
	for i := 0; i < 49; i++ {
		many = append(many, acmapi.Tag{Key: ptr.To("m" + big.NewInt(int64(i)).String())})
	}
	_, err = a.AddTagsToCertificate(h.Ctx(), &acmapi.AddTagsToCertificateRequest{CertificateArn: arn, Tags: many})
	wantCode(t, err, "TooManyTagsException")
	// A value that does not match keeps the tag.
	a.RemoveTagsFromCertificate(h.Ctx(), &acmapi.RemoveTagsFromCertificateRequest{CertificateArn: arn, Tags: []acmapi.Tag{{Key: ptr.To("a"), Value: ptr.To("2")}, {Key: ptr.To("b")}}})
	tags, _ := a.ListTagsForCertificate(h.Ctx(), &acmapi.ListTagsForCertificateRequest{CertificateArn: arn})
	if len(tags.Tags) != 1 || *tags.Tags[0].Key != "a" {
		t.Fatalf("tags %+v", tags.Tags)
	}
	_, err = a.ExportCertificate(h.Ctx(), &acmapi.ExportCertificateRequest{CertificateArn: arn, Passphrase: []byte("secret")})
	wantCode(t, err, "ValidationException")
	_, err = a.RenewCertificate(h.Ctx(), &acmapi.RenewCertificateRequest{CertificateArn: arn})
	wantCode(t, err, "ValidationException")
	if _, err := a.UpdateCertificateOptions(h.Ctx(), &acmapi.UpdateCertificateOptionsRequest{CertificateArn: arn, Options: &acmapi.CertificateOptions{CertificateTransparencyLoggingPreference: ptr.To("DISABLED")}}); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, a, h, *arn); *d.Options.CertificateTransparencyLoggingPreference != "DISABLED" {
		t.Fatal("options not updated")
	}
	if err := a.SetInUse(h.Ctx(), *arn, "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1", true); err != nil {
		t.Fatal(err)
	}
	if d := describe(t, a, h, *arn); len(d.InUseBy) != 1 {
		t.Fatalf("InUseBy %v", d.InUseBy)
	}
	_, err = a.DeleteCertificate(h.Ctx(), &acmapi.DeleteCertificateRequest{CertificateArn: arn})
	wantCode(t, err, "ResourceInUseException")
	a.SetInUse(h.Ctx(), *arn, "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/x/1", false)
	if _, err := a.DeleteCertificate(h.Ctx(), &acmapi.DeleteCertificateRequest{CertificateArn: arn}); err != nil {
		t.Fatal(err)
	}
	_, err = a.DescribeCertificate(h.Ctx(), &acmapi.DescribeCertificateRequest{CertificateArn: arn})
	wantCode(t, err, "ResourceNotFoundException")
	_, err = a.DescribeCertificate(h.Ctx(), &acmapi.DescribeCertificateRequest{CertificateArn: ptr.To("not-an-arn")})
	wantCode(t, err, "InvalidArnException")
	// Another region's ARN is not found here.
	_, err = a.DescribeCertificate(h.Ctx(), &acmapi.DescribeCertificateRequest{CertificateArn: ptr.To(strings.Replace(*arn, "us-east-1", "eu-west-1", 1))})
	wantCode(t, err, "ResourceNotFoundException")
}

func TestAccountConfiguration(t *testing.T) {
	a, h, _, _ := newACM(t)
	got, _ := a.GetAccountConfiguration(h.Ctx(), &acmapi.GetAccountConfigurationInput{})
	if *got.ExpiryEvents.DaysBeforeExpiry != 45 {
		t.Fatalf("default %d", *got.ExpiryEvents.DaysBeforeExpiry)
	}
	_, err := a.PutAccountConfiguration(h.Ctx(), &acmapi.PutAccountConfigurationRequest{IdempotencyToken: ptr.To("t"), ExpiryEvents: &acmapi.ExpiryEventsConfiguration{DaysBeforeExpiry: ptr.To(int32(46))}})
	wantCode(t, err, "ValidationException")
	if _, err := a.PutAccountConfiguration(h.Ctx(), &acmapi.PutAccountConfigurationRequest{IdempotencyToken: ptr.To("t"), ExpiryEvents: &acmapi.ExpiryEventsConfiguration{DaysBeforeExpiry: ptr.To(int32(10))}}); err != nil {
		t.Fatal(err)
	}
	got, _ = a.GetAccountConfiguration(h.Ctx(), &acmapi.GetAccountConfigurationInput{})
	if *got.ExpiryEvents.DaysBeforeExpiry != 10 {
		t.Fatalf("after put %d", *got.ExpiryEvents.DaysBeforeExpiry)
	}
}

// TestKeyPairServesTLS: an issued certificate's key pair loads into
// crypto/tls (as a distribution or load balancer would serve it); a
// pending one is refused.
func TestKeyPairServesTLS(t *testing.T) {
	a, h, _, _ := newACM(t)
	out, _ := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("tls.example.com"), ValidationMethod: ptr.To("EMAIL")})
	_, _, err := a.KeyPair(h.Ctx(), *out.CertificateArn)
	wantCode(t, err, "RequestInProgressException")
	if err := a.Approve(h.Ctx(), *out.CertificateArn); err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM, err := a.KeyPair(h.Ctx(), *out.CertificateArn)
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	if len(pair.Certificate) != 3 {
		t.Fatalf("chain of %d certificates, want leaf, intermediate, root", len(pair.Certificate))
	}
}

// sentMail records what ACM mails.
type sentMail struct {
	mu  sync.Mutex
	got []mail.Message
}

func (s *sentMail) SendMail(_ context.Context, m mail.Message) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, m)
	return "", nil
}

func (s *sentMail) all() []mail.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mail.Message{}, s.got...)
}

var approvalLink = regexp.MustCompile(`\((http://[^)\s]+` + regexp.QuoteMeta(ApprovalsPath) + `\?[^)\s]+)\)`)

// TestEmailValidationMail: an EMAIL request mails AWS's approval request
// to the five addresses of each validation domain; the link's page (GET)
// shows the request without approving it, POSTing it validates that
// domain, and the certificate is issued once every domain is; a link
// with a wrong context approves nothing; ResendValidationEmail mails the
// same link again.
func TestEmailValidationMail(t *testing.T) {
	h := servicetest.New(t, "acm")
	authority, err := ca.New(h.Clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	sent := &sentMail{}
	a := New(Options{Store: h.Store(), CA: authority, Clock: h.Clock, Mail: sent, Endpoint: func() string { return "http://niwa.test:4566" }})
	out, err := a.RequestCertificate(h.Ctx(), &acmapi.RequestCertificateRequest{DomainName: ptr.To("api.example.net"),
		SubjectAlternativeNames: []string{"www.example.net"}, ValidationMethod: ptr.To("EMAIL"),
		DomainValidationOptions: []acmapi.DomainValidationOption{{DomainName: ptr.To("api.example.net"), ValidationDomain: ptr.To("example.net")}}})
	if err != nil {
		t.Fatal(err)
	}
	arn := *out.CertificateArn
	msgs := sent.all()
	if len(msgs) != 10 {
		t.Fatalf("want 5 mails per domain, got %d", len(msgs))
	}
	links := map[string]string{}
	for _, m := range msgs {
		if len(m.To) != 1 || m.From != mailFrom || m.Region != h.Region || !strings.HasPrefix(m.Subject, "Certificate request for ") {
			t.Fatalf("mail %+v", m)
		}
		if !strings.Contains(m.Text, "We received a request to issue an SSL/TLS certificate for api.example.net.") ||
			!strings.Contains(m.Text, "Certificate Identifier: "+arn[strings.LastIndex(arn, "/")+1:]) ||
			!strings.Contains(m.Text, "AWS account ID: "+h.Account) {
			t.Fatalf("body %s", m.Text)
		}
		l := approvalLink.FindStringSubmatch(m.Text)
		if l == nil || !strings.HasPrefix(l[1], "http://niwa.test:4566/") {
			t.Fatalf("no approval link in %s", m.Text)
		}
		links[strings.TrimPrefix(m.Subject, "Certificate request for ")] = l[1]
	}
	if msgs[0].To[0] != "admin@example.net" || msgs[5].To[0] != "admin@www.example.net" || len(links) != 2 {
		t.Fatalf("recipients %v %v, links %v", msgs[0].To, msgs[5].To, links)
	}
	call := func(method, link string) (int, string) {
		u, err := url.Parse(link)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		a.HTTP().ServeHTTP(rec, httptest.NewRequest(method, u.RequestURI(), nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := call("GET", links["api.example.net"]); code != 200 || !strings.Contains(body, "I Approve") || !strings.Contains(body, "api.example.net") {
		t.Fatalf("approval page: %d %s", code, body)
	}
	if d := describe(t, a, h, arn); *d.Status != statusPending {
		t.Fatalf("GET approved: %s", *d.Status)
	}
	forged := strings.Replace(links["api.example.net"], "context=", "context=0", 1)
	if code, _ := call("POST", forged); code != 404 {
		t.Fatalf("forged context: %d", code)
	}
	if code, body := call("POST", links["api.example.net"]); code != 200 || !strings.Contains(body, "Success") {
		t.Fatalf("approve: %d %s", code, body)
	}
	d := describe(t, a, h, arn)
	if *d.Status != statusPending || *d.DomainValidationOptions[0].ValidationStatus != validationSuccess || *d.DomainValidationOptions[1].ValidationStatus != validationPending {
		t.Fatalf("after one domain: %s %+v", *d.Status, d.DomainValidationOptions)
	}
	if _, err := a.ResendValidationEmail(h.Ctx(), &acmapi.ResendValidationEmailRequest{CertificateArn: &arn,
		Domain: ptr.To("www.example.net"), ValidationDomain: ptr.To("www.example.net")}); err != nil {
		t.Fatal(err)
	}
	again := sent.all()[10:]
	if len(again) != 5 || approvalLink.FindStringSubmatch(again[0].Text)[1] != links["www.example.net"] {
		t.Fatalf("resent %+v", again)
	}
	_, err = a.ResendValidationEmail(h.Ctx(), &acmapi.ResendValidationEmailRequest{CertificateArn: &arn,
		Domain: ptr.To("www.example.net"), ValidationDomain: ptr.To("example.net")})
	wantCode(t, err, "InvalidDomainValidationOptionsException")
	_, err = a.ResendValidationEmail(h.Ctx(), &acmapi.ResendValidationEmailRequest{CertificateArn: &arn,
		Domain: ptr.To("api.example.net"), ValidationDomain: ptr.To("example.net")})
	wantCode(t, err, "InvalidStateException")
	if code, _ := call("POST", links["www.example.net"]); code != 200 {
		t.Fatalf("approve second: %d", code)
	}
	if d := describe(t, a, h, arn); *d.Status != statusIssued {
		t.Fatalf("after both: %s", *d.Status)
	}
	if code, _ := call("POST", links["www.example.net"]); code != 409 {
		t.Fatalf("approving an issued certificate: %d", code)
	}
}
