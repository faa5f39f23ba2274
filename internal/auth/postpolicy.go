package auth

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"strings"
)

// VerifyPostPolicy authenticates an S3 POST Object (browser form upload):
// the signature is not over the request but over the base64 policy
// field, with SigV4 (x-amz-algorithm, x-amz-credential, x-amz-date,
// x-amz-signature) or SigV2 (AWSAccessKeyId, signature). field returns a
// form field by its lower-cased name ("" when absent). It answers the
// signer's credential, or anonymous=true when the form carries no
// signature at all. Conditions of the policy are the caller's (S3's) to
// check: only S3 knows the bucket, key and file.
func (v *Verifier) VerifyPostPolicy(field func(string) string) (cred Credential, anonymous bool, err error) {
	policy := field("policy")
	switch {
	case field("x-amz-signature") != "" || field("x-amz-credential") != "" || field("x-amz-algorithm") != "":
		if alg := field("x-amz-algorithm"); alg != "AWS4-HMAC-SHA256" {
			return Credential{}, false, fieldErr(errInvalidArgumentS3.New("Unsupported algorithm: %s", alg), "ArgumentName", "x-amz-algorithm", "ArgumentValue", alg)
		}
		sc, ok := parseCredential(field("x-amz-credential"))
		if !ok {
			c := field("x-amz-credential")
			return Credential{}, false, fieldErr(errInvalidArgumentS3.New("Invalid credential: %s", c), "ArgumentName", "x-amz-credential", "ArgumentValue", c)
		}
		if field("x-amz-date") == "" {
			return Credential{}, false, fieldErr(errInvalidArgumentS3.New("Bucket POST must contain a field named 'x-amz-date'.  If it is specified, please check the order of the fields."), "ArgumentName", "x-amz-date")
		}
		if policy == "" {
			return Credential{}, false, errInvalidArgumentS3.New("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.")
		}
		if field("x-amz-signature") == "" {
			// A form without its signature is malformed (400), not a
			// signature mismatch.
			return Credential{}, false, missingPostField("x-amz-signature")
		}
		cred, err := v.lookup(DialectS3, sc.accessKey)
		if err != nil {
			return Credential{}, false, err
		}
		if err := v.checkToken(DialectS3, cred, field("x-amz-security-token")); err != nil {
			return Credential{}, false, err
		}
		if v.SkipValidation {
			return cred, false, nil
		}
		want := hex.EncodeToString(hmacSHA256(signingKey(cred.SecretAccessKey, sc), policy))
		if subtle.ConstantTimeCompare([]byte(want), []byte(strings.ToLower(field("x-amz-signature")))) != 1 {
			return Credential{}, false, fail(DialectS3, failSignatureMismatch).With("AWSAccessKeyId", sc.accessKey).With("StringToSign", policy)
		}
		return cred, false, nil
	case field("awsaccesskeyid") != "" || field("signature") != "":
		if policy == "" {
			return Credential{}, false, errInvalidArgumentS3.New("Bucket POST must contain a field named 'policy'.  If it is specified, please check the order of the fields.")
		}
		for _, name := range []string{"awsaccesskeyid", "signature"} {
			if field(name) == "" {
				return Credential{}, false, missingPostField(map[string]string{"awsaccesskeyid": "AWSAccessKeyId", "signature": "signature"}[name])
			}
		}
		akid := field("awsaccesskeyid")
		cred, err := v.lookup(DialectS3, akid)
		if err != nil {
			return Credential{}, false, err
		}
		if err := v.checkToken(DialectS3, cred, field("x-amz-security-token")); err != nil {
			return Credential{}, false, err
		}
		if v.SkipValidation {
			return cred, false, nil
		}
		m := hmac.New(sha1.New, []byte(cred.SecretAccessKey))
		m.Write([]byte(policy))
		if !hmac.Equal([]byte(base64.StdEncoding.EncodeToString(m.Sum(nil))), []byte(field("signature"))) {
			return Credential{}, false, fail(DialectS3, failSignatureMismatch).With("AWSAccessKeyId", akid).With("StringToSign", policy)
		}
		return cred, false, nil
	}
	return Credential{}, true, nil
}

// errInvalidArgumentS3 is S3's InvalidArgument, which POST form
// problems answer.
var errInvalidArgumentS3 = awserr.Code{Code: "InvalidArgument", Status: 400, Sender: true}

// missingPostField is S3's 400 for a form without a field its signature
// needs.
func missingPostField(name string) error {
	return fieldErr(errInvalidArgumentS3.New("Bucket POST must contain a field named '%s'.  If it is specified, please check the order of the fields.", name), "ArgumentName", name)
}
