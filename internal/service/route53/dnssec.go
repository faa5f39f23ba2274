package route53

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"

	mdns "github.com/miekg/dns"

	route53api "github.com/niwa-cloud/niwa/internal/api/route53"
	"github.com/niwa-cloud/niwa/internal/lazyre"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// DNSSEC at API level: key-signing keys (KSKs) with their DNSKEY and DS
// records, and the zone's signing status. A KSK names a KMS key (an
// ECC_NIST_P256 key in us-east-1 on AWS); niwa cannot read that key's
// public half from here, so each KSK gets its own P-256 public key, from
// which the DNSKEY, key tag and DS record are computed as Route 53
// computes them (flag 257, algorithm 13 ECDSAP256SHA256, digest SHA-256).
// The DNS server does not sign answers.

type kskRec struct {
	Name      string
	KmsArn    string
	Status    string // ACTIVE or INACTIVE
	PublicKey string // base64, the DNSKEY's public key field
	Created   time.Time
	Modified  time.Time
}

var (
	kskNamePattern = lazyre.New(`^[a-zA-Z0-9._]{3,128}$`)
	kmsArnPattern  = lazyre.New(`^arn:aws[a-z-]*:kms:([a-z0-9-]+):\d{12}:(key/[0-9a-zA-Z-]+|alias/[a-zA-Z0-9/_-]+)$`)
)

// maxKSKs is Route 53's quota of key-signing keys per zone.
const maxKSKs = 2

func newKSKPublicKey() (string, error) {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return "", err
	}
	// RFC 6605: the public key is X and Y, 32 bytes each: the
	// uncompressed point without its 0x04 prefix.
	b, err := k.PublicKey.Bytes()
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b[1:]), nil
}

func kskOut(zone string, k kskRec) route53api.KeySigningKey {
	key := &mdns.DNSKEY{Hdr: mdns.RR_Header{Name: zone, Rrtype: mdns.TypeDNSKEY, Class: mdns.ClassINET, Ttl: 3600},
		Flags: 257, Protocol: 3, Algorithm: mdns.ECDSAP256SHA256, PublicKey: k.PublicKey}
	out := route53api.KeySigningKey{
		Name: ptr.To(k.Name), KmsArn: ptr.To(k.KmsArn), Flag: ptr.To(int32(257)),
		SigningAlgorithmMnemonic: ptr.To("ECDSAP256SHA256"), SigningAlgorithmType: ptr.To(int32(13)),
		DigestAlgorithmMnemonic: ptr.To("SHA-256"), DigestAlgorithmType: ptr.To(int32(2)),
		KeyTag: ptr.To(int32(key.KeyTag())), PublicKey: ptr.To(k.PublicKey),
		DNSKEYRecord: ptr.To("257 3 13 " + k.PublicKey),
		Status:       ptr.To(k.Status), CreatedDate: ptr.To(k.Created.UTC()), LastModifiedDate: ptr.To(k.Modified.UTC()),
	}
	if ds := key.ToDS(mdns.SHA256); ds != nil {
		out.DigestValue = ptr.To(strings.ToUpper(ds.Digest))
		out.DSRecord = ptr.To(strings.TrimPrefix(ds.String(), ds.Hdr.String()))
	}
	return out
}

// kskChange runs f on the zone (read for update) and records a change.
func (s *Route53) kskChange(ctx *request.Context, zoneID string, f func(z *zoneRec) error) (*route53api.ChangeInfo, error) {
	sc := scope(ctx)
	var ci *route53api.ChangeInfo
	err := s.store.Update(func(tx storage.Tx) error {
		z, err := getZone(tx, sc, zoneID)
		if err != nil {
			return err
		}
		if z.Private {
			return route53api.ErrDNSSECNotFound.New("DNSSEC is not supported for private hosted zones: %s", z.ID)
		}
		if err := f(&z); err != nil {
			return err
		}
		if err := zones.Put(tx, sc, z, z.ID); err != nil {
			return err
		}
		ci, err = s.newChange(ctx, tx, nil)
		return err
	})
	return ci, err
}

func findKSK(z *zoneRec, name string) (int, error) {
	for i, k := range z.KSKs {
		if k.Name == name {
			return i, nil
		}
	}
	return -1, route53api.ErrNoSuchKeySigningKey.New("The specified key-signing key (KSK) doesn't exist: %s", name)
}

func activeKSKs(z *zoneRec) int {
	n := 0
	for _, k := range z.KSKs {
		if k.Status == "ACTIVE" {
			n++
		}
	}
	return n
}

// CreateKeySigningKey adds a KSK to a public zone.
func (s *Route53) CreateKeySigningKey(ctx *request.Context, in *route53api.CreateKeySigningKeyInput) (*route53api.CreateKeySigningKeyOutput, error) {
	name := ptr.Deref(in.Name)
	if !kskNamePattern.MatchString(name) {
		return nil, route53api.ErrInvalidKeySigningKeyName.New("The key-signing key (KSK) name doesn't match the accepted format: %s", name)
	}
	arn := ptr.Deref(in.KeyManagementServiceArn)
	if m := kmsArnPattern.FindStringSubmatch(arn); m == nil || m[1] != "us-east-1" {
		return nil, route53api.ErrInvalidKMSArn.New("The KeyManagementServiceArn that you specified isn't valid to use with DNSSEC signing. It must be an ECC_NIST_P256 customer managed key in us-east-1: %s", arn)
	}
	status := ptr.Deref(in.Status)
	if status != "ACTIVE" && status != "INACTIVE" {
		return nil, route53api.ErrInvalidKeySigningKeyStatus.New("The key-signing key (KSK) status isn't valid or another KSK has the status INTERNAL_FAILURE: %s", status)
	}
	pub, err := newKSKPublicKey()
	if err != nil {
		return nil, err
	}
	now := ctx.Now()
	k := kskRec{Name: name, KmsArn: arn, Status: status, PublicKey: pub, Created: now, Modified: now}
	var zoneName string
	ci, err := s.kskChange(ctx, ptr.Deref(in.HostedZoneId), func(z *zoneRec) error {
		zoneName = z.Name
		if _, err := findKSK(z, name); err == nil {
			return route53api.ErrKeySigningKeyAlreadyExists.New("You've already created a key-signing key (KSK) with this name or with the same customer managed key ARN: %s", name)
		}
		for _, o := range z.KSKs {
			if o.KmsArn == arn {
				return route53api.ErrKeySigningKeyAlreadyExists.New("You've already created a key-signing key (KSK) with this name or with the same customer managed key ARN: %s", name)
			}
		}
		if len(z.KSKs) >= maxKSKs {
			return route53api.ErrTooManyKeySigningKeys.New("You've reached the limit for the number of key-signing keys (KSKs). Remove at least one KSK, and then try again.")
		}
		z.KSKs = append(z.KSKs, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := kskOut(zoneName, k)
	return &route53api.CreateKeySigningKeyOutput{ChangeInfo: ci, KeySigningKey: &out,
		Location: ptr.To("https://route53.amazonaws.com/2013-04-01/keysigningkey/" + bareID(ptr.Deref(in.HostedZoneId)) + "/" + name)}, nil
}

// setKSKStatus activates or deactivates a KSK; the last active KSK of a
// signing zone stays active.
func (s *Route53) setKSKStatus(ctx *request.Context, zoneID, name, status string) (*route53api.ChangeInfo, error) {
	return s.kskChange(ctx, zoneID, func(z *zoneRec) error {
		i, err := findKSK(z, name)
		if err != nil {
			return err
		}
		if status == "INACTIVE" && z.Signing && z.KSKs[i].Status == "ACTIVE" && activeKSKs(z) == 1 {
			return route53api.ErrKeySigningKeyInUse.New("The key-signing key (KSK) that you specified can't be deactivated because it's the only KSK for a currently-enabled DNSSEC. Disable DNSSEC signing, or add or enable another KSK.")
		}
		z.KSKs[i].Status, z.KSKs[i].Modified = status, ctx.Now()
		return nil
	})
}

// ActivateKeySigningKey activates a KSK.
func (s *Route53) ActivateKeySigningKey(ctx *request.Context, in *route53api.ActivateKeySigningKeyInput) (*route53api.ActivateKeySigningKeyOutput, error) {
	ci, err := s.setKSKStatus(ctx, ptr.Deref(in.HostedZoneId), ptr.Deref(in.Name), "ACTIVE")
	if err != nil {
		return nil, err
	}
	return &route53api.ActivateKeySigningKeyOutput{ChangeInfo: ci}, nil
}

// DeactivateKeySigningKey deactivates a KSK.
func (s *Route53) DeactivateKeySigningKey(ctx *request.Context, in *route53api.DeactivateKeySigningKeyInput) (*route53api.DeactivateKeySigningKeyOutput, error) {
	ci, err := s.setKSKStatus(ctx, ptr.Deref(in.HostedZoneId), ptr.Deref(in.Name), "INACTIVE")
	if err != nil {
		return nil, err
	}
	return &route53api.DeactivateKeySigningKeyOutput{ChangeInfo: ci}, nil
}

// DeleteKeySigningKey deletes an inactive KSK.
func (s *Route53) DeleteKeySigningKey(ctx *request.Context, in *route53api.DeleteKeySigningKeyInput) (*route53api.DeleteKeySigningKeyOutput, error) {
	ci, err := s.kskChange(ctx, ptr.Deref(in.HostedZoneId), func(z *zoneRec) error {
		i, err := findKSK(z, ptr.Deref(in.Name))
		if err != nil {
			return err
		}
		if z.KSKs[i].Status != "INACTIVE" {
			return route53api.ErrInvalidKeySigningKeyStatus.New("The key-signing key (KSK) status isn't valid or another KSK has the status INTERNAL_FAILURE: deactivate the KSK before deleting it.")
		}
		z.KSKs = append(z.KSKs[:i], z.KSKs[i+1:]...)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DeleteKeySigningKeyOutput{ChangeInfo: ci}, nil
}

// EnableHostedZoneDNSSEC starts signing; it needs an active KSK.
func (s *Route53) EnableHostedZoneDNSSEC(ctx *request.Context, in *route53api.EnableHostedZoneDNSSECInput) (*route53api.EnableHostedZoneDNSSECOutput, error) {
	ci, err := s.kskChange(ctx, ptr.Deref(in.HostedZoneId), func(z *zoneRec) error {
		if activeKSKs(z) == 0 {
			return route53api.ErrKeySigningKeyWithActiveStatusNotFound.New("A key-signing key (KSK) with ACTIVE status wasn't found.")
		}
		z.Signing = true
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &route53api.EnableHostedZoneDNSSECOutput{ChangeInfo: ci}, nil
}

// DisableHostedZoneDNSSEC stops signing.
func (s *Route53) DisableHostedZoneDNSSEC(ctx *request.Context, in *route53api.DisableHostedZoneDNSSECInput) (*route53api.DisableHostedZoneDNSSECOutput, error) {
	ci, err := s.kskChange(ctx, ptr.Deref(in.HostedZoneId), func(z *zoneRec) error {
		z.Signing = false
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &route53api.DisableHostedZoneDNSSECOutput{ChangeInfo: ci}, nil
}

// GetDNSSEC reports the signing status and the KSKs.
func (s *Route53) GetDNSSEC(ctx *request.Context, in *route53api.GetDNSSECInput) (*route53api.GetDNSSECOutput, error) {
	var z zoneRec
	err := s.store.View(func(tx storage.Tx) error {
		var err error
		z, err = getZone(tx, scope(ctx), ptr.Deref(in.HostedZoneId))
		return err
	})
	if err != nil {
		return nil, err
	}
	status := "NOT_SIGNING"
	if z.Signing {
		status = "SIGNING"
	}
	out := &route53api.GetDNSSECOutput{Status: &route53api.DNSSECStatus{ServeSignature: ptr.To(status)}, KeySigningKeys: []route53api.KeySigningKey{}}
	for _, k := range z.KSKs {
		out.KeySigningKeys = append(out.KeySigningKeys, kskOut(z.Name, k))
	}
	return out, nil
}
