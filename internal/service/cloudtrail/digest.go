package cloudtrail

import (
	"context"
	"crypto"
	"crypto/md5"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	cloudtrailapi "github.com/niwa-cloud/niwa/internal/api/cloudtrail"
	"github.com/niwa-cloud/niwa/internal/objects"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// signingKey is a region's digest signing key. AWS publishes each
// region's public keys through ListPublicKeys as PKCS #1 DER, and
// validate-logs looks them up by fingerprint (hex MD5 of that DER).
type signingKey struct {
	Private []byte    `json:"private"` // PKCS #1 DER
	Created time.Time `json:"created"`
}

// keyValidity is how long a signing key is published as valid.
const keyValidity = 365 * 24 * time.Hour

func (k signingKey) parse() (*rsa.PrivateKey, error) { return x509.ParsePKCS1PrivateKey(k.Private) }

func publicDER(pk *rsa.PrivateKey) []byte { return x509.MarshalPKCS1PublicKey(&pk.PublicKey) }

func fingerprint(der []byte) string {
	sum := md5.Sum(der) //nolint:gosec // the fingerprint AWS publishes is MD5, not a security boundary
	return hex.EncodeToString(sum[:])
}

// regionKey returns the region's signing key, made on first use.
func (c *CloudTrail) regionKey(region string, now time.Time) (signingKey, error) {
	sc := storage.Scope{Region: region}
	var k signingKey
	var ok bool
	if err := c.store.View(func(tx storage.Tx) error {
		var err error
		k, ok, err = keysTbl.Get(tx, sc, "current")
		return err
	}); err != nil || ok {
		return k, err
	}
	pk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return k, err
	}
	fresh := signingKey{Private: x509.MarshalPKCS1PrivateKey(pk), Created: now.UTC().Truncate(time.Second)}
	err = c.store.Update(func(tx storage.Tx) error {
		var err error
		k, ok, err = keysTbl.Get(tx, sc, "current")
		if err != nil || ok {
			return err // another caller made it first
		}
		k = fresh
		return keysTbl.Put(tx, sc, k, "current")
	})
	return k, err
}

// digestFile is a digest file, its members in AWS's order ("CloudTrail
// digest file structure"); the previous* members are null in a chain's
// first digest.
type digestFile struct {
	AWSAccountID                string    `json:"awsAccountId"`
	DigestStartTime             string    `json:"digestStartTime"`
	DigestEndTime               string    `json:"digestEndTime"`
	DigestS3Bucket              string    `json:"digestS3Bucket"`
	DigestS3Object              string    `json:"digestS3Object"`
	DigestPublicKeyFingerprint  string    `json:"digestPublicKeyFingerprint"`
	DigestSignatureAlgorithm    string    `json:"digestSignatureAlgorithm"`
	NewestEventTime             *string   `json:"newestEventTime"`
	OldestEventTime             *string   `json:"oldestEventTime"`
	PreviousDigestS3Bucket      *string   `json:"previousDigestS3Bucket"`
	PreviousDigestS3Object      *string   `json:"previousDigestS3Object"`
	PreviousDigestHashValue     *string   `json:"previousDigestHashValue"`
	PreviousDigestHashAlgorithm *string   `json:"previousDigestHashAlgorithm"`
	PreviousDigestSignature     *string   `json:"previousDigestSignature"`
	LogFiles                    []logFile `json:"logFiles"`
}

// digestKey is
// <prefix>/AWSLogs/<acct>/CloudTrail-Digest/<region>/YYYY/MM/DD/<acct>_CloudTrail-Digest_<region>_<trail>_<home>_<YYYYMMDDTHHMMSSZ>.json.gz.
func digestKey(t *trailRecord, region string, end time.Time) string {
	u := end.UTC()
	return fmt.Sprintf("%sCloudTrail-Digest/%s/%s/%s_CloudTrail-Digest_%s_%s_%s_%s.json.gz", logPrefix(t, t.Account), region,
		u.Format("2006/01/02"), t.Account, region, t.Name, t.HomeRegion, u.Format("20060102T150405Z"))
}

// stringToSign is what a digest's signature signs (what validate-logs
// checks): the end time, the digest's bucket/key, the SHA-256 of its
// uncompressed content, and the previous digest's signature ("null" for
// the first).
func stringToSign(d *digestFile, content []byte) []byte {
	prev := "null"
	if d.PreviousDigestSignature != nil {
		prev = *d.PreviousDigestSignature
	}
	sum := sha256.Sum256(content)
	return []byte(d.DigestEndTime + "\n" + d.DigestS3Bucket + "/" + d.DigestS3Object + "\n" + hex.EncodeToString(sum[:]) + "\n" + prev)
}

// writeDigest writes and signs the digest of region's period ending now,
// and starts the next period.
func (c *CloudTrail) writeDigest(ctx context.Context, t *trailRecord, region string, d *digestState, now time.Time) error {
	if c.opts.Objects == nil {
		return objects.ErrNoSuchBucket
	}
	key, err := c.regionKey(region, now)
	if err != nil {
		return err
	}
	pk, err := key.parse()
	if err != nil {
		return err
	}
	end := now.UTC().Truncate(time.Second)
	df := digestFile{AWSAccountID: t.Account, DigestStartTime: d.Start.UTC().Format(time.RFC3339),
		DigestEndTime: end.Format(time.RFC3339), DigestS3Bucket: t.S3BucketName, DigestS3Object: digestKey(t, region, end),
		DigestPublicKeyFingerprint: fingerprint(publicDER(pk)), DigestSignatureAlgorithm: "SHA256withRSA",
		LogFiles: d.Logs}
	if df.LogFiles == nil {
		df.LogFiles = []logFile{}
	}
	for _, l := range d.Logs {
		if df.NewestEventTime == nil || l.NewestEventTime > *df.NewestEventTime {
			df.NewestEventTime = ptr.To(l.NewestEventTime)
		}
		if df.OldestEventTime == nil || l.OldestEventTime < *df.OldestEventTime {
			df.OldestEventTime = ptr.To(l.OldestEventTime)
		}
	}
	if d.PrevKey != "" {
		df.PreviousDigestS3Bucket, df.PreviousDigestS3Object = ptr.To(d.PrevBucket), ptr.To(d.PrevKey)
		df.PreviousDigestHashValue, df.PreviousDigestHashAlgorithm = ptr.To(d.PrevHash), ptr.To("SHA-256")
		df.PreviousDigestSignature = ptr.To(d.PrevSignature)
	}
	content, err := json.Marshal(df)
	if err != nil {
		return err
	}
	h := sha256.Sum256(stringToSign(&df, content))
	sig, err := rsa.SignPKCS1v15(rand.Reader, pk, crypto.SHA256, h[:])
	if err != nil {
		return err
	}
	body, err := gzipped(content)
	if err != nil {
		return err
	}
	sigHex := hex.EncodeToString(sig)
	if err := c.opts.Objects.PutServiceObjectWith(ctx, t.S3BucketName, df.DigestS3Object, body, c.principal(t),
		objects.PutOptions{ContentType: "application/json", Metadata: map[string]string{
			"signature": sigHex, "signature-algorithm": "SHA256withRSA"}}); err != nil {
		return err
	}
	sum := sha256.Sum256(content)
	*d = digestState{Start: end, PrevBucket: t.S3BucketName, PrevKey: df.DigestS3Object, PrevSignature: sigHex,
		PrevHash: hex.EncodeToString(sum[:])}
	return nil
}

// ListPublicKeys returns the region's digest signing keys valid in the
// range (the current key without one).
func (c *CloudTrail) ListPublicKeys(ctx *request.Context, in *cloudtrailapi.ListPublicKeysInput) (*cloudtrailapi.ListPublicKeysOutput, error) {
	if in.StartTime != nil && in.EndTime != nil && in.StartTime.After(*in.EndTime) {
		return nil, cloudtrailapi.ErrInvalidTimeRangeException.New("Start time must be before end time.")
	}
	if in.NextToken != nil {
		return nil, cloudtrailapi.ErrInvalidTokenException.New("Invalid NextToken.")
	}
	k, err := c.regionKey(ctx.Region, ctx.Now())
	if err != nil {
		return nil, err
	}
	pk, err := k.parse()
	if err != nil {
		return nil, err
	}
	from, to := k.Created, k.Created.Add(keyValidity)
	out := &cloudtrailapi.ListPublicKeysOutput{PublicKeyList: []cloudtrailapi.PublicKey{}}
	if (in.EndTime != nil && in.EndTime.Before(from)) || (in.StartTime != nil && in.StartTime.After(to)) {
		return out, nil
	}
	der := publicDER(pk)
	out.PublicKeyList = append(out.PublicKeyList, cloudtrailapi.PublicKey{Value: der, ValidityStartTime: ptr.To(from),
		ValidityEndTime: ptr.To(to), Fingerprint: ptr.To(fingerprint(der))})
	return out, nil
}
