package sts

import (
	"slices"
	"testing"

	"github.com/beevik/etree"
)

// TestSAMLTransitiveTagKeys: the assertion's TransitiveTagKeys attribute
// (several values) is read with the PrincipalTag attributes, so a SAML
// session passes those tags on when it chains.
func TestSAMLTransitiveTagKeys(t *testing.T) {
	doc := etree.NewDocument()
	if err := doc.ReadFromString(`<saml2:Assertion xmlns:saml2="urn:oasis:names:tc:SAML:2.0:assertion">
  <saml2:Issuer>https://idp.example.com</saml2:Issuer>
  <saml2:Subject><saml2:NameID>alice</saml2:NameID></saml2:Subject>
  <saml2:Conditions><saml2:AudienceRestriction><saml2:Audience>https://signin.aws.amazon.com/saml</saml2:Audience></saml2:AudienceRestriction></saml2:Conditions>
  <saml2:AttributeStatement>
    <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role"><saml2:AttributeValue>arn:aws:iam::123456789012:role/r,arn:aws:iam::123456789012:saml-provider/idp</saml2:AttributeValue></saml2:Attribute>
    <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName"><saml2:AttributeValue>alice</saml2:AttributeValue></saml2:Attribute>
    <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:team"><saml2:AttributeValue>a</saml2:AttributeValue></saml2:Attribute>
    <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/PrincipalTag:cost"><saml2:AttributeValue>7</saml2:AttributeValue></saml2:Attribute>
    <saml2:Attribute Name="https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys"><saml2:AttributeValue>team</saml2:AttributeValue><saml2:AttributeValue>cost</saml2:AttributeValue></saml2:Attribute>
  </saml2:AttributeStatement>
</saml2:Assertion>`); err != nil {
		t.Fatal(err)
	}
	c, err := readClaims(doc.Root(), t0)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := transitiveTags(c.transitive, c.tags)
	if err != nil || len(keys) != 2 || !slices.Contains(keys, "team") || !slices.Contains(keys, "cost") {
		t.Fatalf("transitive %v (%v), tags %v", keys, err, c.tags)
	}
	if _, err := transitiveTags([]string{"nope"}, c.tags); err == nil {
		t.Fatal("a transitive key naming no tag was accepted")
	}
}
