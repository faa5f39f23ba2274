package auth

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"net/http"
	"strings"
)

// SigV4a (AWS4-ECDSA-P256-SHA256): the same canonical request as SigV4,
// signed with an ECDSA P-256 key that client and server both derive from
// the secret access key, over a credential scope without a region
// (YYYYMMDD/service/aws4_request); the regions the signature is good for
// are in the signed X-Amz-Region-Set header. SDKs sign this way for
// multi-region endpoints (EventBridge global endpoints, S3 Multi-Region
// Access Points). niwa verifies header-signed requests; presigned SigV4a
// URLs and SigV4a-signed aws-chunked bodies stay unsupported.

// v4aKey derives the ECDSA key of an access key pair as AWS specifies it:
// NIST SP 800-108 KDF in counter mode with HMAC-SHA256 over the input key
// "AWS4A"+secret, label AWS4-ECDSA-P256-SHA256 and context access key id
// plus a one-byte external counter, retried with the next counter until
// the candidate is below n-2; the private key is candidate+1.
func v4aKey(accessKey, secret string) (*ecdsa.PrivateKey, bool) {
	curve := elliptic.P256()
	nMinus2 := new(big.Int).Sub(curve.Params().N, big.NewInt(2))
	input := []byte("AWS4A" + secret)
	for counter := 1; counter <= 0xff; counter++ {
		ctx := append([]byte(accessKey), byte(counter))
		// One HMAC block: the 256-bit output is a single iteration
		// (i = 1) of the KDF.
		msg := make([]byte, 0, 4+len(algorithmV4A)+1+len(ctx)+4)
		msg = binary.BigEndian.AppendUint32(msg, 1)
		msg = append(msg, algorithmV4A...)
		msg = append(msg, 0)
		msg = append(msg, ctx...)
		msg = binary.BigEndian.AppendUint32(msg, 256)
		mac := hmac.New(sha256.New, input)
		mac.Write(msg)
		c := new(big.Int).SetBytes(mac.Sum(nil))
		if c.Cmp(nMinus2) < 0 {
			d := c.Add(c, big.NewInt(1))
			k, err := ecdsa.ParseRawPrivateKey(curve, d.FillBytes(make([]byte, 32)))
			return k, err == nil
		}
	}
	return nil, false
}

// parseV4ACredential parses AKID/YYYYMMDD/service/aws4_request.
func parseV4ACredential(c string) (scope, bool) {
	parts := strings.Split(c, "/")
	if len(parts) != 4 || parts[0] == "" || len(parts[1]) != 8 || parts[2] == "" || parts[3] != terminator {
		return scope{}, false
	}
	return scope{accessKey: parts[0], date: parts[1], service: parts[2]}, true
}

// verifyV4AHeader verifies a header-signed SigV4a request.
func (v *Verifier) verifyV4AHeader(r *http.Request, d Dialect, q query, authz string) (*Result, error) {
	rest, _ := strings.CutPrefix(strings.TrimSpace(authz), algorithmV4A)
	h, ok := parseAuthorization(algorithmV4 + rest)
	if !ok || !h.hasCredential || !h.hasSignature || !h.hasSignedHeaders {
		return nil, fail(d, failMalformedHeader, missingParts(h.hasCredential, h.hasSignature, h.hasSignedHeaders, hasDate(r)), authz)
	}
	sc, ok := parseV4ACredential(h.credential)
	if !ok {
		return nil, fail(d, failMalformedCredential, h.credential)
	}
	t, raw, ok := requestTime(r)
	if !ok {
		return nil, fail(d, failMissingDate, "", authz)
	}
	req := v4Request{scope: sc, signedHeaders: parseSignedHeaders(h.signedHeaders), signature: h.signature,
		t: t.UTC(), rawDate: raw, expires: -1, token: r.Header.Get("X-Amz-Security-Token")}
	req.amzDate = req.t.Format(iso8601Basic)
	if sc.date != req.amzDate[:8] {
		return nil, fail(d, failCredentialDate, sc.date, req.amzDate[:8], raw)
	}
	if err := checkTime(d, req, v.signingNow()); err != nil {
		return nil, err
	}
	cred, err := v.lookup(d, sc.accessKey)
	if err != nil {
		return nil, err
	}
	if err := v.checkToken(d, cred, req.token); err != nil {
		return nil, err
	}
	sig, err := hex.DecodeString(h.signature)
	if err != nil {
		return nil, fail(d, failSignatureMismatch)
	}
	key, ok := v4aKey(sc.accessKey, cred.SecretAccessKey)
	if !ok {
		return nil, fail(d, failSignatureMismatch)
	}

	// The payload hash signed: declared, or the body's own.
	payload := r.Header.Get("X-Amz-Content-Sha256")
	var buffered *bufferedBody
	switch payload {
	case "":
		if buffered, err = v.bufferBody(r, d); err != nil {
			return nil, err
		}
		payload = string(buffered.sum[:])
	case streamingECDSA, streamingECDSATrailer:
		return nil, fail(d, failSigV4A)
	}
	path, _ := rawTarget(r)
	cq := canonicalQuery(q, "")
	ch := canonicalHeaders(r, req.signedHeaders)
	shs := strings.Join(req.signedHeaders, ";")
	scopeS := sc.date + "/" + sc.service + "/" + terminator
	matched := false
	for _, p := range canonicalPaths(path, d == DialectS3 || sc.service == "s3") {
		cr := appendCanonicalRequest(nil, r.Method, p, cq, ch, shs, payload)
		crHash := sha256.Sum256(cr)
		sts := algorithmV4A + "\n" + req.amzDate + "\n" + scopeS + "\n" + hex.EncodeToString(crHash[:])
		digest := sha256.Sum256([]byte(sts))
		if ecdsa.VerifyASN1(&key.PublicKey, digest[:], sig) {
			matched = true
			break
		}
	}
	if !matched {
		if buffered != nil {
			_ = buffered.Close()
		}
		return nil, fail(d, failSignatureMismatch)
	}
	// A request for one region acts there; a wildcard or several regions
	// leave the choice to the server's default region.
	res := &Result{Credential: cred, Service: sc.service, Scheme: SchemeSigV4}
	if rs := r.Header.Get("X-Amz-Region-Set"); rs != "" && !strings.ContainsAny(rs, ",*") {
		res.Region = strings.TrimSpace(rs)
	}
	if buffered != nil {
		res.Body, res.ContentLength = buffered, buffered.size
		return res, nil
	}
	if err := v.wrapBody(r, d, res, payload, nil, nil); err != nil {
		return nil, err
	}
	return res, nil
}
