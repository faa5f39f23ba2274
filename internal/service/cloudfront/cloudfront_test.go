package cloudfront

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"testing"
	"time"

	cfapi "github.com/niwa-cloud/niwa/internal/api/cloudfront"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/servicetest"
)

func newTest(t *testing.T) (*CloudFront, *servicetest.Harness) {
	t.Helper()
	h := servicetest.New(t, "cloudfront")
	return New(Options{Store: h.Store(), Clock: h.Clock}), h
}

// testKey is one RSA key for the package's tests (1024 bits: fast, and
// what parsePublicKey accepts at least).
func testKey(t testing.TB) (*rsa.PrivateKey, string) {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return k, string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der}))
}

func s3Origin(id, bucket, oac string) cfapi.Origin {
	return cfapi.Origin{Id: ptr.To(id), DomainName: ptr.To(bucket + ".s3.us-east-1.amazonaws.com"),
		S3OriginConfig: &cfapi.S3OriginConfig{OriginAccessIdentity: ptr.To("")}, OriginAccessControlId: ptr.To(oac)}
}

func config(ref string, origins ...cfapi.Origin) *cfapi.DistributionConfig {
	return &cfapi.DistributionConfig{CallerReference: ptr.To(ref), Comment: ptr.To(""), Enabled: ptr.To(true),
		Origins:              &cfapi.Origins{Quantity: ptr.To(int32(len(origins))), Items: origins},
		DefaultCacheBehavior: &cfapi.DefaultCacheBehavior{TargetOriginId: origins[0].Id, ViewerProtocolPolicy: ptr.To("allow-all")}}
}

func wantCode(t *testing.T, err error, code awserr.Code) {
	t.Helper()
	if !code.Is(err) {
		t.Fatalf("error %v, want %s", err, code.Code)
	}
}

func TestDistributionLifecycle(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	out, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: config("r1", s3Origin("o", "b", ""))})
	if err != nil {
		t.Fatal(err)
	}
	d := out.Distribution
	if ptr.Deref(d.Status) != "InProgress" || len(ptr.Deref(d.DomainName)) != len("d")+13+len(DomainSuffix) {
		t.Fatalf("created %s %s", ptr.Deref(d.Status), ptr.Deref(d.DomainName))
	}
	if ok, _ := s.OwnsName(ptr.Deref(d.DomainName) + "."); !ok {
		t.Fatal("the distribution's domain is not answered by niwa's DNS")
	}
	id := d.Id
	h.Clock.Advance(deployDelay)
	got, err := s.GetDistribution20200531(ctx, &cfapi.GetDistributionRequest{Id: id})
	if err != nil || ptr.Deref(got.Distribution.Status) != "Deployed" {
		t.Fatalf("after the deploy delay: %v %v", err, got)
	}
	// The same caller reference is another distribution's.
	_, err = s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: config("r1", s3Origin("o", "b", ""))})
	wantCode(t, err, cfapi.ErrDistributionAlreadyExists)

	disabled := config("r1", s3Origin("o", "b", ""))
	disabled.Enabled = ptr.To(false)
	cases := []struct {
		name    string
		ifMatch *string
		cfg     *cfapi.DistributionConfig
		want    awserr.Code
	}{
		{"no If-Match", nil, disabled, cfapi.ErrInvalidIfMatchVersion},
		{"stale If-Match", ptr.To("EOLD"), disabled, cfapi.ErrPreconditionFailed},
		{"caller reference changed", got.ETag, config("r2", s3Origin("o", "b", "")), cfapi.ErrIllegalUpdate},
	}
	for _, c := range cases {
		_, err := s.UpdateDistribution20200531(ctx, &cfapi.UpdateDistributionRequest{Id: id, IfMatch: c.ifMatch, DistributionConfig: c.cfg})
		wantCode(t, err, c.want)
	}
	// Enabled: not deletable.
	_, err = s.DeleteDistribution20200531(ctx, &cfapi.DeleteDistributionRequest{Id: id, IfMatch: got.ETag})
	wantCode(t, err, cfapi.ErrDistributionNotDisabled)
	up, err := s.UpdateDistribution20200531(ctx, &cfapi.UpdateDistributionRequest{Id: id, IfMatch: got.ETag, DistributionConfig: disabled})
	if err != nil {
		t.Fatal(err)
	}
	if ptr.Deref(up.ETag) == ptr.Deref(got.ETag) || ptr.Deref(up.Distribution.Status) != "InProgress" {
		t.Fatalf("update kept the ETag or the status: %v", up)
	}
	// Disabled but still deploying: not deletable yet.
	_, err = s.DeleteDistribution20200531(ctx, &cfapi.DeleteDistributionRequest{Id: id, IfMatch: up.ETag})
	wantCode(t, err, cfapi.ErrDistributionNotDisabled)
	h.Clock.Advance(deployDelay)
	_, err = s.DeleteDistribution20200531(ctx, &cfapi.DeleteDistributionRequest{Id: id, IfMatch: got.ETag})
	wantCode(t, err, cfapi.ErrPreconditionFailed)
	if _, err := s.DeleteDistribution20200531(ctx, &cfapi.DeleteDistributionRequest{Id: id, IfMatch: up.ETag}); err != nil {
		t.Fatal(err)
	}
	_, err = s.GetDistribution20200531(ctx, &cfapi.GetDistributionRequest{Id: id})
	wantCode(t, err, cfapi.ErrNoSuchDistribution)
	if ok, _ := s.OwnsName(ptr.Deref(d.DomainName)); ok {
		t.Fatal("a deleted distribution's domain is still answered")
	}
}

func TestDistributionConfigChecks(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	badTarget := config("a", s3Origin("o", "b", ""))
	badTarget.DefaultCacheBehavior.TargetOriginId = ptr.To("nope")
	badQuantity := config("b", s3Origin("o", "b", ""))
	badQuantity.Origins.Quantity = ptr.To(int32(2))
	noGroup := config("c", s3Origin("o", "b", ""))
	noGroup.DefaultCacheBehavior.TrustedKeyGroups = &cfapi.TrustedKeyGroups{Enabled: ptr.To(true), Quantity: ptr.To(int32(1)), Items: []string{"missing"}}
	noOAC := config("d", s3Origin("o", "b", "EMISSING"))
	alias := config("e", s3Origin("o", "b", ""))
	alias.Aliases = &cfapi.Aliases{Quantity: ptr.To(int32(1)), Items: []string{"cdn.example.com"}}
	if _, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: alias}); err != nil {
		t.Fatal(err)
	}
	sameAlias := config("f", s3Origin("o", "b", ""))
	sameAlias.Aliases = alias.Aliases
	for _, c := range []struct {
		name string
		cfg  *cfapi.DistributionConfig
		want awserr.Code
	}{
		{"unknown target origin", badTarget, cfapi.ErrNoSuchOrigin},
		{"quantity mismatch", badQuantity, cfapi.ErrInconsistentQuantities},
		{"unknown key group", noGroup, cfapi.ErrTrustedKeyGroupDoesNotExist},
		{"unknown OAC", noOAC, cfapi.ErrNoSuchOriginAccessControl},
		{"alias of another distribution", sameAlias, cfapi.ErrCNAMEAlreadyExists},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: c.cfg})
			wantCode(t, err, c.want)
		})
	}
}

func TestKeysGroupsAndAccessControls(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	_, err := s.CreatePublicKey20200531(ctx, &cfapi.CreatePublicKeyRequest{PublicKeyConfig: &cfapi.PublicKeyConfig{
		CallerReference: ptr.To("x"), Name: ptr.To("bad"), EncodedKey: ptr.To("not a key")}})
	wantCode(t, err, cfapi.ErrInvalidArgument)
	_, pub := testKey(t)
	k, err := s.CreatePublicKey20200531(ctx, &cfapi.CreatePublicKeyRequest{PublicKeyConfig: &cfapi.PublicKeyConfig{
		CallerReference: ptr.To("r"), Name: ptr.To("k"), EncodedKey: ptr.To(pub)}})
	if err != nil {
		t.Fatal(err)
	}
	kid := k.PublicKey.Id
	_, err = s.CreateKeyGroup20200531(ctx, &cfapi.CreateKeyGroupRequest{KeyGroupConfig: &cfapi.KeyGroupConfig{Name: ptr.To("g"), Items: []string{"KNOPE"}}})
	wantCode(t, err, cfapi.ErrNoSuchPublicKey)
	g, err := s.CreateKeyGroup20200531(ctx, &cfapi.CreateKeyGroupRequest{KeyGroupConfig: &cfapi.KeyGroupConfig{Name: ptr.To("g"), Items: []string{*kid}}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.DeletePublicKey20200531(ctx, &cfapi.DeletePublicKeyRequest{Id: kid, IfMatch: k.ETag})
	wantCode(t, err, cfapi.ErrPublicKeyInUse)

	oac, err := s.CreateOriginAccessControl20200531(ctx, &cfapi.CreateOriginAccessControlRequest{OriginAccessControlConfig: &cfapi.OriginAccessControlConfig{
		Name: ptr.To("oac"), SigningProtocol: ptr.To("sigv4"), SigningBehavior: ptr.To("always"), OriginAccessControlOriginType: ptr.To("s3")}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config("r", s3Origin("o", "b", *oac.OriginAccessControl.Id))
	cfg.DefaultCacheBehavior.TrustedKeyGroups = &cfapi.TrustedKeyGroups{Enabled: ptr.To(true), Quantity: ptr.To(int32(1)), Items: []string{*g.KeyGroup.Id}}
	d, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if a := d.Distribution.ActiveTrustedKeyGroups; ptr.Deref(a.Quantity) != 1 || a.Items[0].KeyPairIds.Items[0] != *kid {
		t.Fatalf("ActiveTrustedKeyGroups %+v", a)
	}
	_, err = s.DeleteKeyGroup20200531(ctx, &cfapi.DeleteKeyGroupRequest{Id: g.KeyGroup.Id, IfMatch: g.ETag})
	wantCode(t, err, cfapi.ErrResourceInUse)
	_, err = s.DeleteOriginAccessControl20200531(ctx, &cfapi.DeleteOriginAccessControlRequest{Id: oac.OriginAccessControl.Id, IfMatch: oac.ETag})
	wantCode(t, err, cfapi.ErrOriginAccessControlInUse)

	oai, err := s.CreateCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.CreateCloudFrontOriginAccessIdentityRequest{
		CloudFrontOriginAccessIdentityConfig: &cfapi.CloudFrontOriginAccessIdentityConfig{CallerReference: ptr.To("i"), Comment: ptr.To("c")}})
	if err != nil {
		t.Fatal(err)
	}
	if len(ptr.Deref(oai.CloudFrontOriginAccessIdentity.S3CanonicalUserId)) != 96 {
		t.Fatalf("canonical user id %q", ptr.Deref(oai.CloudFrontOriginAccessIdentity.S3CanonicalUserId))
	}
	_, err = s.DeleteCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.DeleteCloudFrontOriginAccessIdentityRequest{Id: oai.CloudFrontOriginAccessIdentity.Id, IfMatch: ptr.To("E")})
	wantCode(t, err, cfapi.ErrPreconditionFailed)
	if _, err := s.DeleteCloudFrontOriginAccessIdentity20200531(ctx, &cfapi.DeleteCloudFrontOriginAccessIdentityRequest{Id: oai.CloudFrontOriginAccessIdentity.Id, IfMatch: oai.ETag}); err != nil {
		t.Fatal(err)
	}
}

func TestInvalidationsOnTheClock(t *testing.T) {
	s, h := newTest(t)
	ctx := h.Ctx()
	d, err := s.CreateDistribution20200531(ctx, &cfapi.CreateDistributionRequest{DistributionConfig: config("r", s3Origin("o", "b", ""))})
	if err != nil {
		t.Fatal(err)
	}
	batch := &cfapi.InvalidationBatch{CallerReference: ptr.To("c1"), Paths: &cfapi.Paths{Quantity: ptr.To(int32(1)), Items: []string{"/a/*"}}}
	inv, err := s.CreateInvalidation20200531(ctx, &cfapi.CreateInvalidationRequest{DistributionId: d.Distribution.Id, InvalidationBatch: batch})
	if err != nil || ptr.Deref(inv.Invalidation.Status) != "InProgress" {
		t.Fatalf("%v %v", err, inv)
	}
	again, err := s.CreateInvalidation20200531(ctx, &cfapi.CreateInvalidationRequest{DistributionId: d.Distribution.Id, InvalidationBatch: batch})
	if err != nil || *again.Invalidation.Id != *inv.Invalidation.Id {
		t.Fatalf("same caller reference: %v %v", err, again)
	}
	h.Clock.Advance(invalidationDelay + time.Second)
	got, err := s.GetInvalidation20200531(ctx, &cfapi.GetInvalidationRequest{DistributionId: d.Distribution.Id, Id: inv.Invalidation.Id})
	if err != nil || ptr.Deref(got.Invalidation.Status) != "Completed" {
		t.Fatalf("%v %v", err, got)
	}
	list, err := s.ListInvalidations20200531(ctx, &cfapi.ListInvalidationsRequest{DistributionId: d.Distribution.Id})
	if err != nil || ptr.Deref(list.InvalidationList.Quantity) != 1 {
		t.Fatalf("%v %v", err, list)
	}
	_, err = s.CreateInvalidation20200531(ctx, &cfapi.CreateInvalidationRequest{DistributionId: ptr.To("ENOPE"), InvalidationBatch: batch})
	wantCode(t, err, cfapi.ErrNoSuchDistribution)
}
