package sts

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"

	stsapi "github.com/niwa-cloud/niwa/internal/api/sts"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// SAMLProvider is an IAM SAML identity provider as STS needs it.
type SAMLProvider struct {
	ARN, Name, Account, EntityID string
	Certificates                 []*x509.Certificate
}

// Providers finds identity providers; the IAM service implements it.
type Providers interface {
	SAMLProviderByARN(arn string) (SAMLProvider, bool, error)
}

// Errors of the federation calls.
var (
	errInvalidIdentityToken = awserr.Code{Code: "InvalidIdentityToken", Status: 400, Sender: true}
	errExpiredToken         = awserr.Code{Code: "ExpiredTokenException", Status: 400, Sender: true}
	errIDPRejectedClaim     = awserr.Code{Code: "IDPRejectedClaim", Status: 403, Sender: true}
)

// Namespaces and attribute names of SAML 2.0 as AWS reads it.
const (
	nsAssertion    = "urn:oasis:names:tc:SAML:2.0:assertion"
	nsProtocol     = "urn:oasis:names:tc:SAML:2.0:protocol"
	samlAudience   = "https://signin.aws.amazon.com/saml"
	attrRole       = "https://aws.amazon.com/SAML/Attributes/Role"
	attrSession    = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
	attrDuration   = "https://aws.amazon.com/SAML/Attributes/SessionDuration"
	attrSourceID   = "https://aws.amazon.com/SAML/Attributes/SourceIdentity"
	attrTagPrefix  = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:"
	attrTransitive = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"
)

// samlClaims is what a verified assertion says.
type samlClaims struct {
	issuer, subject, subjectType string
	audiences                    []string
	roles                        [][2]string // (role ARN, provider ARN)
	sessionName, sourceIdentity  string
	duration                     int32
	tags                         map[string]string
	// transitive are the TransitiveTagKeys attribute's values.
	transitive []string
}

// AssumeRoleWithSAML issues role credentials for a SAML assertion signed
// by the key of the IAM SAML provider named in PrincipalArn. The
// assertion (or the response enveloping it) must carry a valid enveloped
// XML signature (exclusive c14n, RSA-SHA256 or RSA-SHA1) by one of the
// provider's certificates, be addressed to AWS
// (https://signin.aws.amazon.com/saml), be within its validity window on
// niwa's clock, and list the role with this provider in its Role
// attribute ("roleArn,providerArn" in either order). The role's trust
// policy must allow the provider (Principal Federated) to
// sts:AssumeRoleWithSAML.
func (s *STS) AssumeRoleWithSAML(ctx *request.Context, in *stsapi.AssumeRoleWithSAMLInput) (*stsapi.AssumeRoleWithSAMLOutput, error) {
	roleARN, providerARN := ptr.Deref(in.RoleArn), ptr.Deref(in.PrincipalArn)
	if s.roles == nil || s.providers == nil {
		return nil, awserr.NotImplemented.New("niwa has no IAM service wired for SAML federation")
	}
	raw, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(ptr.Deref(in.SAMLAssertion)), ""))
	if err != nil {
		return nil, errInvalidIdentityToken.New("Invalid base64 SAMLResponse (check that it is base64-encoded)")
	}
	provider, ok, err := s.providers.SAMLProviderByARN(providerARN)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errInvalidIdentityToken.New("Specified provider doesn't exist (Service: AWSOpenIdDiscoveryService; Status Code: 400; Error Code: AuthSamlManifestNotFoundException)")
	}
	claims, err := verifySAML(raw, provider, ctx.Now())
	if err != nil {
		return nil, err
	}
	if provider.EntityID != "" && claims.issuer != provider.EntityID {
		return nil, errInvalidIdentityToken.New("Issuer of the SAML assertion does not match the provider's entity id")
	}
	listed := false
	for _, r := range claims.roles {
		if r[0] == roleARN && r[1] == providerARN {
			listed = true
		}
	}
	if !listed {
		return nil, awserr.ValidationError.New("Role %s is not listed in the SAML assertion's Role attribute for provider %s", roleARN, providerARN)
	}
	role, ok, err := s.roles.RoleByARN(roleARN)
	if err != nil {
		return nil, err
	}
	notAuthorized := awserr.AccessDenied.New("Not authorized to perform sts:AssumeRoleWithSAML")
	if !ok {
		return nil, notAuthorized
	}
	session := claims.sessionName
	if !sessionNamePattern.MatchString(session) {
		return nil, awserr.ValidationError.New("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]*", session)
	}
	nameQualifier := samlNameQualifier(claims.issuer, provider)
	req := iam.Request{
		Principal: iam.Principal{Federated: providerARN, Account: provider.Account},
		Action:    "sts:AssumeRoleWithSAML", Resource: role.ARN, Context: iam.Context{},
	}
	c := req.Context
	c.Set("aws:CurrentTime", ctx.Now().UTC().Format("2006-01-02T15:04:05Z"))
	c.Set("aws:SourceIp", ctx.SourceIP)
	c.Set("saml:iss", claims.issuer)
	c.Set("saml:sub", claims.subject)
	c.Set("saml:sub_type", claims.subjectType)
	c.Set("saml:namequalifier", nameQualifier)
	c["saml:aud"] = []string{samlAudience}
	c.Set("sts:RoleSessionName", session)
	for k, v := range claims.tags {
		c["aws:requesttag/"+strings.ToLower(k)] = []string{v}
	}
	if !trusts(role, req) {
		return nil, notAuthorized
	}
	if len(claims.tags) > 0 && !trusts(role, withAction(req, "sts:TagSession")) {
		return nil, notAuthorized
	}
	dur := in.DurationSeconds
	if dur == nil && claims.duration > 0 {
		d := claims.duration
		dur = &d
	}
	d, err := roleDuration(role, dur)
	if err != nil {
		return nil, err
	}
	sess, err := sessionPolicies(in.Policy, in.PolicyArns)
	if err != nil {
		return nil, err
	}
	arn, userID := sessionIdentity(role, session)
	sess.Account, sess.RoleARN, sess.SessionName, sess.ARN, sess.UserID = role.Account, role.ARN, session, arn, userID
	sess.Tags, sess.SourceIdentity, sess.Federated = claims.tags, claims.sourceIdentity, providerARN
	if sess.TransitiveTagKeys, err = transitiveTags(claims.transitive, claims.tags); err != nil {
		return nil, err
	}
	cred, err := s.issue(ctx, d, sess)
	if err != nil {
		return nil, err
	}
	subjectType := claims.subjectType
	switch subjectType {
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent":
		subjectType = "persistent"
	case "urn:oasis:names:tc:SAML:2.0:nameid-format:transient":
		subjectType = "transient"
	}
	return &stsapi.AssumeRoleWithSAMLOutput{
		AssumedRoleUser:  &stsapi.AssumedRoleUser{Arn: ptr.To(arn), AssumedRoleId: ptr.To(userID)},
		Credentials:      credentials(cred),
		Audience:         ptr.To(samlAudience),
		Issuer:           ptr.To(claims.issuer),
		Subject:          ptr.To(claims.subject),
		SubjectType:      ptr.To(subjectType),
		NameQualifier:    ptr.To(nameQualifier),
		PackedPolicySize: packedSize(in.Policy, len(in.PolicyArns), len(claims.tags)),
		SourceIdentity:   strOrNil(claims.sourceIdentity),
	}, nil
}

func strOrNil(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// samlNameQualifier is AWS's NameQualifier: base64 of the SHA-1 of the
// issuer, the account id and "/" and the provider name.
func samlNameQualifier(issuer string, p SAMLProvider) string {
	h := sha1.Sum([]byte(issuer + p.Account + "/" + p.Name))
	return base64.StdEncoding.EncodeToString(h[:])
}

// verifySAML checks the signature and conditions of a SAML response (or
// a bare assertion) and reads its claims. Only the signed element's
// content is trusted: claims come from the element the signature library
// returns, which defeats signature-wrapping tricks.
func verifySAML(raw []byte, p SAMLProvider, now time.Time) (*samlClaims, error) {
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil || doc.Root() == nil {
		return nil, errInvalidIdentityToken.New("Invalid SAML response (the assertion is not well-formed XML)")
	}
	vc := dsig.NewDefaultValidationContext(&dsig.MemoryX509CertificateStore{Roots: p.Certificates})
	vc.Clock = dsig.NewFakeClockAt(now)
	root := doc.Root()
	var assertion *etree.Element
	switch {
	case root.Tag == "Response" && root.NamespaceURI() == nsProtocol:
		if sig := child(root, "Signature"); sig != nil {
			verified, err := vc.Validate(root)
			if err != nil {
				return nil, errInvalidIdentityToken.New("Response signature invalid")
			}
			assertion = child(verified, "Assertion")
			if assertion == nil {
				return nil, errInvalidIdentityToken.New("Response contains no assertion")
			}
			if child(assertion, "Signature") != nil {
				if _, err := vc.Validate(assertion); err != nil {
					return nil, errInvalidIdentityToken.New("Response signature invalid")
				}
			}
			break
		}
		a := child(root, "Assertion")
		if a == nil {
			return nil, errInvalidIdentityToken.New("Response contains no assertion")
		}
		verified, err := vc.Validate(a)
		if err != nil {
			return nil, errInvalidIdentityToken.New("Response signature invalid")
		}
		assertion = verified
	case root.Tag == "Assertion" && root.NamespaceURI() == nsAssertion:
		verified, err := vc.Validate(root)
		if err != nil {
			return nil, errInvalidIdentityToken.New("Response signature invalid")
		}
		assertion = verified
	default:
		return nil, errInvalidIdentityToken.New("Invalid SAML response (no Response or Assertion element)")
	}
	return readClaims(assertion, now)
}

// child returns el's first child element with this local name.
func child(el *etree.Element, tag string) *etree.Element {
	if el == nil {
		return nil
	}
	for _, c := range el.ChildElements() {
		if c.Tag == tag {
			return c
		}
	}
	return nil
}

func parseSAMLTime(s string) (time.Time, bool) {
	t, err := time.Parse(time.RFC3339Nano, s)
	return t, err == nil
}

func readClaims(a *etree.Element, now time.Time) (*samlClaims, error) {
	c := &samlClaims{tags: nil}
	if iss := child(a, "Issuer"); iss != nil {
		c.issuer = strings.TrimSpace(iss.Text())
	}
	subject := child(a, "Subject")
	if nameID := child(subject, "NameID"); nameID != nil {
		c.subject = strings.TrimSpace(nameID.Text())
		c.subjectType = nameID.SelectAttrValue("Format", "")
	}
	expired := errExpiredToken.New("Token must be redeemed within 5 minutes of issuance")
	if subject != nil {
		for _, sc := range subject.SelectElements("SubjectConfirmation") {
			if d := child(sc, "SubjectConfirmationData"); d != nil {
				if v := d.SelectAttrValue("NotOnOrAfter", ""); v != "" {
					t, ok := parseSAMLTime(v)
					if !ok || !now.Before(t) {
						return nil, expired
					}
				}
				if r := d.SelectAttrValue("Recipient", ""); r != "" && r != samlAudience {
					return nil, errInvalidIdentityToken.New("Invalid SAML response: Recipient %s is not %s", r, samlAudience)
				}
			}
		}
	}
	if cond := child(a, "Conditions"); cond != nil {
		if v := cond.SelectAttrValue("NotOnOrAfter", ""); v != "" {
			t, ok := parseSAMLTime(v)
			if !ok || !now.Before(t) {
				return nil, expired
			}
		}
		if v := cond.SelectAttrValue("NotBefore", ""); v != "" {
			// AWS tolerates a few minutes of clock skew.
			t, ok := parseSAMLTime(v)
			if !ok || now.Add(5*time.Minute).Before(t) {
				return nil, errInvalidIdentityToken.New("Response is not yet valid")
			}
		}
		for _, ar := range cond.SelectElements("AudienceRestriction") {
			for _, au := range ar.SelectElements("Audience") {
				c.audiences = append(c.audiences, strings.TrimSpace(au.Text()))
			}
		}
	}
	okAud := false
	for _, au := range c.audiences {
		if au == samlAudience || au == "urn:amazon:webservices" {
			okAud = true
		}
	}
	if !okAud {
		return nil, errInvalidIdentityToken.New("Invalid SAML response: the assertion's audience is not %s", samlAudience)
	}
	if st := child(a, "AttributeStatement"); st != nil {
		for _, attr := range st.SelectElements("Attribute") {
			name := attr.SelectAttrValue("Name", "")
			var vals []string
			for _, v := range attr.SelectElements("AttributeValue") {
				vals = append(vals, strings.TrimSpace(v.Text()))
			}
			switch {
			case name == attrRole:
				for _, v := range vals {
					a, b, ok := strings.Cut(v, ",")
					if !ok {
						continue
					}
					a, b = strings.TrimSpace(a), strings.TrimSpace(b)
					if strings.Contains(a, ":saml-provider/") {
						a, b = b, a
					}
					c.roles = append(c.roles, [2]string{a, b})
				}
			case name == attrSession && len(vals) > 0:
				c.sessionName = vals[0]
			case name == attrDuration && len(vals) > 0:
				if n, err := strconv.Atoi(vals[0]); err == nil {
					c.duration = int32(n)
				}
			case name == attrSourceID && len(vals) > 0:
				c.sourceIdentity = vals[0]
			case name == attrTransitive:
				c.transitive = append(c.transitive, vals...)
			case strings.HasPrefix(name, attrTagPrefix) && len(vals) > 0:
				if c.tags == nil {
					c.tags = map[string]string{}
				}
				c.tags[strings.TrimPrefix(name, attrTagPrefix)] = vals[0]
			}
		}
	}
	if len(c.roles) == 0 {
		return nil, errIDPRejectedClaim.New("The SAML assertion does not contain the Role attribute %s", attrRole)
	}
	if c.sessionName == "" {
		return nil, errInvalidIdentityToken.New("The SAML assertion does not contain the RoleSessionName attribute %s", attrSession)
	}
	return c, nil
}

// DecodeAuthorizationMessage decodes the encoded message of an EC2
// UnauthorizedOperation error into the JSON document AWS returns. The
// authorizer checks sts:DecodeAuthorizationMessage first.
func (s *STS) DecodeAuthorizationMessage(ctx *request.Context, in *stsapi.DecodeAuthorizationMessageInput) (*stsapi.DecodeAuthorizationMessageOutput, error) {
	doc, err := iam.DecodeAuthorizationMessage(ptr.Deref(in.EncodedMessage))
	if err != nil {
		return nil, awserr.Code{Code: "InvalidAuthorizationMessageException", Status: 400, Sender: true}.New("Invalid authorization message")
	}
	return &stsapi.DecodeAuthorizationMessageOutput{DecodedMessage: ptr.To(doc)}, nil
}
