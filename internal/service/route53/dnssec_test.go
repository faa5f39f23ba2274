package route53

import (
	"fmt"
	"strings"
	"testing"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestDNSSECAtAPILevel: KSKs with consistent DNSKEY/DS records, the
// status rules, and signing on and off.
func TestDNSSECAtAPILevel(t *testing.T) {
	f := newFixture(t)
	z := f.zone("example.com", nil)
	kms := "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9"
	create := func(name, arn, status string) (*route53api.CreateKeySigningKeyOutput, error) {
		return f.CreateKeySigningKey(f.ctx, &route53api.CreateKeySigningKeyInput{HostedZoneId: ptr.To(z), Name: ptr.To(name), KeyManagementServiceArn: ptr.To(arn), Status: ptr.To(status), CallerReference: ptr.To(name)})
	}
	_, err := f.EnableHostedZoneDNSSEC(f.ctx, &route53api.EnableHostedZoneDNSSECInput{HostedZoneId: ptr.To(z)})
	wantErr(t, err, "KeySigningKeyWithActiveStatusNotFound", "A key-signing key (KSK) with ACTIVE status wasn't found.")
	_, err = create("ksk1", "arn:aws:kms:eu-west-1:123456789012:key/abc", "ACTIVE")
	wantErr(t, err, "InvalidKMSArn", "The KeyManagementServiceArn that you specified isn't valid to use with DNSSEC signing. It must be an ECC_NIST_P256 customer managed key in us-east-1: arn:aws:kms:eu-west-1:123456789012:key/abc")
	_, err = create("k!", kms, "ACTIVE")
	wantErr(t, err, "InvalidKeySigningKeyName", "The key-signing key (KSK) name doesn't match the accepted format: k!")
	k, err := create("ksk1", kms, "ACTIVE")
	if err != nil {
		t.Fatal(err)
	}
	got := k.KeySigningKey
	// The DS record is the DNSKEY's: recompute it from the published key.
	rr, err := mdns.NewRR("example.com. 3600 IN DNSKEY " + *got.DNSKEYRecord)
	if err != nil {
		t.Fatal(err)
	}
	key := rr.(*mdns.DNSKEY)
	ds := key.ToDS(mdns.SHA256)
	if *got.KeyTag != int32(key.KeyTag()) || *got.DSRecord != fmt.Sprintf("%d 13 2 %s", key.KeyTag(), strings.ToUpper(ds.Digest)) || *got.Flag != 257 || *got.SigningAlgorithmType != 13 {
		t.Fatalf("ksk %+v", got)
	}
	_, err = create("ksk1", kms+"0", "ACTIVE")
	wantErr(t, err, "KeySigningKeyAlreadyExists", "You've already created a key-signing key (KSK) with this name or with the same customer managed key ARN: ksk1")
	if _, err := f.EnableHostedZoneDNSSEC(f.ctx, &route53api.EnableHostedZoneDNSSECInput{HostedZoneId: ptr.To(z)}); err != nil {
		t.Fatal(err)
	}
	_, err = f.DeactivateKeySigningKey(f.ctx, &route53api.DeactivateKeySigningKeyInput{HostedZoneId: ptr.To(z), Name: ptr.To("ksk1")})
	wantErr(t, err, "KeySigningKeyInUse", "The key-signing key (KSK) that you specified can't be deactivated because it's the only KSK for a currently-enabled DNSSEC. Disable DNSSEC signing, or add or enable another KSK.")
	_, err = f.DeleteKeySigningKey(f.ctx, &route53api.DeleteKeySigningKeyInput{HostedZoneId: ptr.To(z), Name: ptr.To("ksk1")})
	wantErr(t, err, "InvalidKeySigningKeyStatus", "The key-signing key (KSK) status isn't valid or another KSK has the status INTERNAL_FAILURE: deactivate the KSK before deleting it.")
	st, err := f.GetDNSSEC(f.ctx, &route53api.GetDNSSECInput{HostedZoneId: ptr.To(z)})
	if err != nil || *st.Status.ServeSignature != "SIGNING" || len(st.KeySigningKeys) != 1 || *st.KeySigningKeys[0].DSRecord != *got.DSRecord {
		t.Fatalf("GetDNSSEC %+v %v", st, err)
	}
	if _, err := create("ksk2", kms+"1", "INACTIVE"); err != nil {
		t.Fatal(err)
	}
	_, err = create("ksk3", kms+"2", "INACTIVE")
	wantErr(t, err, "TooManyKeySigningKeys", "You've reached the limit for the number of key-signing keys (KSKs). Remove at least one KSK, and then try again.")
	if _, err := f.DisableHostedZoneDNSSEC(f.ctx, &route53api.DisableHostedZoneDNSSECInput{HostedZoneId: ptr.To(z)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DeactivateKeySigningKey(f.ctx, &route53api.DeactivateKeySigningKeyInput{HostedZoneId: ptr.To(z), Name: ptr.To("ksk1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.DeleteKeySigningKey(f.ctx, &route53api.DeleteKeySigningKeyInput{HostedZoneId: ptr.To(z), Name: ptr.To("ksk1")}); err != nil {
		t.Fatal(err)
	}
	st, err = f.GetDNSSEC(f.ctx, &route53api.GetDNSSECInput{HostedZoneId: ptr.To(z)})
	if err != nil || *st.Status.ServeSignature != "NOT_SIGNING" || len(st.KeySigningKeys) != 1 || *st.KeySigningKeys[0].Name != "ksk2" {
		t.Fatalf("GetDNSSEC after %+v %v", st, err)
	}
	priv := f.zone("corp.internal", &route53api.VPC{VPCId: ptr.To("vpc-0a1b2c3d4e5f60718"), VPCRegion: ptr.To("us-east-1")})
	_, err = f.EnableHostedZoneDNSSEC(f.ctx, &route53api.EnableHostedZoneDNSSECInput{HostedZoneId: ptr.To(priv)})
	wantErr(t, err, "DNSSECNotFound", "DNSSEC is not supported for private hosted zones: "+bareID(priv))
}
