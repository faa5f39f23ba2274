package s3

import (
	"strings"

	"encoding/base64"
	"encoding/json"
	"github.com/niwa-cloud/niwa/internal/checksum"
	"net/http"
	"unicode/utf8"

	"github.com/niwa-cloud/niwa/internal/awserr"
	kmsseam "github.com/niwa-cloud/niwa/internal/kms"
	"github.com/niwa-cloud/niwa/internal/request"
	"github.com/niwa-cloud/niwa/internal/storage"
)

// SSE-KMS: an object written with x-amz-server-side-encryption aws:kms
// (or aws:kms:dsse, or under a bucket default that says so) is encrypted
// at rest with a data key KMS generates for the writer under the object's
// KMS key; the data key, encrypted, is kept with the object record. A
// reader must be allowed kms:Decrypt on the key to get the bytes back.
// KMS is used through Options.DataKeys as the caller, through S3
// (kms:ViaService s3.<region>.amazonaws.com), so key policies, identity
// policies and grants decide as they do on AWS.

// kmsSeal is what decrypts an SSE-KMS object: its data key encrypted
// under the KMS key, and the encryption context the data key is bound to
// (aws:s3:arn plus the writer's x-amz-server-side-encryption-context).
type kmsSeal struct {
	DataKey []byte            `json:"dataKey"`
	Context map[string]string `json:"context"`
}

// KMS errors S3 passes on under its own codes: "KMS." and KMS's code,
// with KMS's message.
var (
	errKMSNotFound     = awserr.Code{Code: "KMS.NotFoundException", Status: http.StatusBadRequest, Sender: true}
	errKMSDisabled     = awserr.Code{Code: "KMS.DisabledException", Status: http.StatusBadRequest, Sender: true}
	errKMSInvalidState = awserr.Code{Code: "KMS.KMSInvalidStateException", Status: http.StatusBadRequest, Sender: true}
	errKMSInvalidUsage = awserr.Code{Code: "KMS.InvalidKeyUsageException", Status: http.StatusBadRequest, Sender: true}
	errKMSUnavailable  = awserr.Code{Code: "KMS.KeyUnavailableException", Status: http.StatusInternalServerError}
	errKMSCiphertext   = awserr.Code{Code: "KMS.InvalidCiphertextException", Status: http.StatusBadRequest, Sender: true}
)

// kmsCodes maps KMS's error codes to S3's.
var kmsCodes = map[string]awserr.Code{
	kmsseam.NotFound: errKMSNotFound, kmsseam.Disabled: errKMSDisabled, kmsseam.InvalidState: errKMSInvalidState,
	kmsseam.InvalidKeyUsage: errKMSInvalidUsage, kmsseam.KeyUnavailable: errKMSUnavailable,
	kmsseam.InvalidCiphertext: errKMSCiphertext,
}

// errKMSReadDenied is S3's answer to a reader the key does not let
// decrypt (AWS words it as KMS does for Decrypt).
const errKMSReadDenied = "The ciphertext refers to a customer master key that does not exist, does not exist in this region, or you are not allowed to access."

// kmsError is S3's answer for a KMS failure while writing (GenerateDataKey)
// or reading (Decrypt) an object.
func kmsError(err error, reading bool) error {
	code := kmsseam.Code(err)
	if code == kmsseam.AccessDenied {
		if reading {
			return errAccessDenied.New(errKMSReadDenied)
		}
		return errAccessDenied.New("%s", kmsseam.Message(err))
	}
	if c, ok := kmsCodes[code]; ok {
		return c.New("%s", kmsseam.Message(err))
	}
	return err
}

func isKMS(alg string) bool { return alg == "aws:kms" || alg == "aws:kms:dsse" }

// parseEncryptionContext reads x-amz-server-side-encryption-context:
// base64 of a JSON object of strings.
func parseEncryptionContext(v string) (map[string]string, error) {
	bad := func() error {
		return errInvalidArgument.New("The header 'x-amz-server-side-encryption-context' shall be Base64-encoded UTF-8 string holding JSON which represents a string-string map").
			With("ArgumentName", "x-amz-server-side-encryption-context").With("ArgumentValue", v)
	}
	raw, err := base64.StdEncoding.DecodeString(v)
	if err != nil || !utf8.Valid(raw) {
		return nil, bad()
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, bad()
	}
	return m, nil
}

// encodeEncryptionContext is the x-amz-server-side-encryption-context
// response header.
func encodeEncryptionContext(m map[string]string) *string {
	b, err := json.Marshal(m)
	if err != nil {
		return nil
	}
	v := base64.StdEncoding.EncodeToString(b)
	return &v
}

// sealNew prepares o, whose encryption applyHeaders settled, to be
// written: for SSE-KMS it generates the data key as the caller under the
// requested key (o.KMSKeyID: key id, ARN or alias; "" for the AWS managed
// key alias/aws/s3), records the key's ARN and the sealed data key, and
// returns the blob store that encrypts the object's bytes. encCtx is the
// x-amz-server-side-encryption-context header. Other objects are written
// as they come.
func (s *S3) sealNew(ctx *request.Context, b bucketRecord, o *objectRecord, encCtx *string) (storage.BlobStore, error) {
	if encCtx != nil && !isKMS(o.SSE) {
		return nil, errInvalidArgument.New("Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms").
			With("ArgumentName", "x-amz-server-side-encryption-context")
	}
	if !isKMS(o.SSE) {
		return s.blobs, nil
	}
	if s.opts.DataKeys == nil {
		// No KMS (a unit test's S3): the key is recorded, not used.
		o.KMSKeyID = legacyKeyARN(b, o.KMSKeyID)
		return s.blobs, nil
	}
	ec := map[string]string{}
	if encCtx != nil {
		m, err := parseEncryptionContext(*encCtx)
		if err != nil {
			return nil, err
		}
		ec = m
	}
	// The context binds the data key to the object (to the bucket with a
	// bucket key), as AWS's default context does.
	if o.BucketKey {
		ec["aws:s3:arn"] = "arn:aws:s3:::" + b.Name
	} else {
		ec["aws:s3:arn"] = "arn:aws:s3:::" + b.Name + "/" + o.Key
	}
	if ctx.Caller.Anonymous {
		return nil, errAccessDenied.New("Access Denied")
	}
	dk, err := s.opts.DataKeys.GenerateDataKey(ctx, o.KMSKeyID, ec)
	if err != nil {
		return nil, kmsError(err, false)
	}
	blobs, err := newSealedBlobs(s.blobs, dk.Plaintext)
	if err != nil {
		return nil, err
	}
	o.KMSKeyID = dk.KeyARN
	o.Seal = &kmsSeal{DataKey: dk.Ciphertext, Context: ec}
	return blobs, nil
}

// legacyKeyARN names the key an SSE-KMS object records without KMS.
func legacyKeyARN(b bucketRecord, kid string) string {
	switch {
	case kid == "":
		return "arn:aws:kms:" + b.Region + ":" + b.Account + ":alias/aws/s3"
	case len(kid) > 4 && kid[:4] == "arn:":
		return kid
	case len(kid) > 6 && kid[:6] == "alias/":
		return "arn:aws:kms:" + b.Region + ":" + b.Account + ":" + kid
	}
	return "arn:aws:kms:" + b.Region + ":" + b.Account + ":key/" + kid
}

// blobsOf is the blob store that reads o's bytes: for an SSE-KMS object,
// one that decrypts with its data key, which KMS decrypts only for a
// caller allowed kms:Decrypt on the key.
func (s *S3) blobsOf(ctx *request.Context, o objectRecord) (storage.BlobStore, error) {
	if o.Seal == nil {
		return s.blobs, nil
	}
	if s.opts.DataKeys == nil {
		return nil, errKMSUnavailable.New("KMS is not available.")
	}
	if ctx.Caller.Anonymous {
		return nil, errAccessDenied.New("Access Denied")
	}
	if ctx.Service != "s3" {
		// Another service reading an object (Lambda code) does so
		// through S3.
		c := *ctx
		c.Service = "s3"
		ctx = &c
	}
	pt, _, err := s.opts.DataKeys.Decrypt(ctx, o.Seal.DataKey, o.Seal.Context)
	if err != nil {
		return nil, kmsError(err, true)
	}
	return newSealedBlobs(s.blobs, pt)
}

// sealContext is the encryption context header of a write's response.
func sealContext(o objectRecord) *string {
	if o.Seal == nil {
		return nil
	}
	return encodeEncryptionContext(o.Seal.Context)
}

// uploadBlobs is the blob store of a multipart upload's parts when its
// full-object checksum must read them (CRC64NVME), s.blobs otherwise or
// when the upload is gone (Complete answers NoSuchUpload).
func (s *S3) uploadBlobs(ctx *request.Context, bucket, key, id string) (storage.BlobStore, error) {
	var u uploadRecord
	var found bool
	if err := s.store.View(func(tx storage.Tx) error {
		var err error
		u, err = getUpload(tx, bucket, key, id)
		found = err == nil
		return nil
	}); err != nil {
		return nil, err
	}
	if !found || u.Template.Seal == nil || !strings.EqualFold(u.Algorithm, string(checksum.CRC64NVME)) {
		return s.blobs, nil
	}
	return s.blobsOf(ctx, u.Template)
}
