package iam

import (
	"encoding/base64"
	"encoding/pem"
	"slices"
	"strings"
	"testing"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

type cfnStack struct {
	t *testing.T
	f *fixture
	p map[string]kit.ResourceProvider
}

func (c *cfnStack) create(typ, logical string, props map[string]any) kit.ResourceRequest {
	c.t.Helper()
	p, ok := c.p[typ]
	if !ok || p.Capability != "CAPABILITY_IAM" {
		c.t.Fatalf("%s: no provider, or one that needs no IAM capability", typ)
	}
	r := kit.ResourceRequest{LogicalID: logical, StackName: "s", Properties: props}
	res, err := p.Create(c.f.ctx, r)
	if err != nil {
		c.t.Fatalf("create %s: %v", typ, err)
	}
	r.PhysicalID, r.Attributes = res.PhysicalID, res.Attributes
	return r
}

func (c *cfnStack) update(typ string, r *kit.ResourceRequest, props map[string]any) {
	c.t.Helper()
	for _, name := range c.p[typ].Replace {
		if kit.PropJSON(props, name) != kit.PropJSON(r.Properties, name) {
			c.t.Fatalf("%s: %s changes only by replacement", typ, name)
		}
	}
	r.OldProperties, r.Properties = r.Properties, props
	res, err := c.p[typ].Update(c.f.ctx, *r)
	if err != nil {
		c.t.Fatalf("update %s: %v", typ, err)
	}
	if res.PhysicalID != r.PhysicalID {
		c.t.Fatalf("update %s changed the physical id: %s", typ, res.PhysicalID)
	}
	r.Attributes = res.Attributes
}

func (c *cfnStack) remove(typ string, r kit.ResourceRequest) {
	c.t.Helper()
	for i := 0; i < 2; i++ {
		if err := c.p[typ].Delete(c.f.ctx, r); err != nil {
			c.t.Fatalf("delete %s (%d): %v", typ, i, err)
		}
	}
}

func (c *cfnStack) replaces(typ string, props ...string) {
	c.t.Helper()
	for _, p := range props {
		if !slices.Contains(c.p[typ].Replace, p) {
			c.t.Errorf("%s: a change of %s should replace it", typ, p)
		}
	}
}

func allow(action string) map[string]any {
	return map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Action": action, "Resource": "*"}}}
}

// TestCloudFormationGroups: a group with an inline policy, its path moved
// in place; users added to it (a user's own Groups too, and a
// UserToGroupAddition); the one-policy types on a group, a role and a
// user, edited in place; a managed policy attached to the group. Deleting
// the group empties it first.
func TestCloudFormationGroups(t *testing.T) {
	f := newFixture(t)
	c := &cfnStack{t: t, f: f, p: f.cfnResources()}
	c.replaces("AWS::IAM::Group", "GroupName")
	g := c.create("AWS::IAM::Group", "G", map[string]any{"GroupName": "devs", "Policies": []any{
		map[string]any{"PolicyName": "read", "PolicyDocument": allow("s3:GetObject")}}})
	if g.PhysicalID != "devs" || g.Attributes["Arn"] != "arn:aws:iam::"+testAccount+":group/devs" {
		t.Fatalf("group %+v", g)
	}
	c.update("AWS::IAM::Group", &g, map[string]any{"GroupName": "devs", "Path": "/eng/", "Policies": []any{
		map[string]any{"PolicyName": "write", "PolicyDocument": allow("s3:PutObject")}}})
	if g.Attributes["Arn"] != "arn:aws:iam::"+testAccount+":group/eng/devs" {
		t.Fatalf("group after path change %+v", g.Attributes)
	}
	if names := must(f.ListGroupPolicies(f.ctx, &iamapi.ListGroupPoliciesInput{GroupName: ptr.To("devs")})).PolicyNames; len(names) != 1 || names[0] != "write" {
		t.Fatalf("group policies %v", names)
	}

	u1 := c.create("AWS::IAM::User", "U1", map[string]any{"UserName": "ana", "Groups": []any{"devs"}})
	c.create("AWS::IAM::User", "U2", map[string]any{"UserName": "bo"})
	add := c.create("AWS::IAM::UserToGroupAddition", "Add", map[string]any{"GroupName": "devs", "Users": []any{"bo"}})
	members := func() []string {
		var out []string
		for _, u := range must(f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("devs")})).Users {
			out = append(out, *u.UserName)
		}
		slices.Sort(out)
		return out
	}
	if m := members(); !slices.Equal(m, []string{"ana", "bo"}) {
		t.Fatalf("members %v", m)
	}
	c.update("AWS::IAM::UserToGroupAddition", &add, map[string]any{"GroupName": "devs", "Users": []any{}})
	if m := members(); !slices.Equal(m, []string{"ana"}) {
		t.Fatalf("members after the addition dropped bo %v", m)
	}
	c.update("AWS::IAM::User", &u1, map[string]any{"UserName": "ana"})
	if m := members(); len(m) != 0 {
		t.Fatalf("members after ana left %v", m)
	}
	c.update("AWS::IAM::UserToGroupAddition", &add, map[string]any{"GroupName": "devs", "Users": []any{"bo", "ana"}})

	role := c.create("AWS::IAM::Role", "R", map[string]any{"RoleName": "app", "AssumeRolePolicyDocument": map[string]any{
		"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow", "Principal": map[string]any{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}}}})
	for _, tc := range []struct{ typ, principal, name string }{
		{"AWS::IAM::GroupPolicy", "GroupName", "devs"}, {"AWS::IAM::RolePolicy", "RoleName", role.PhysicalID}, {"AWS::IAM::UserPolicy", "UserName", "bo"},
	} {
		c.replaces(tc.typ, tc.principal, "PolicyName")
		p := c.create(tc.typ, "P", map[string]any{tc.principal: tc.name, "PolicyName": "inline", "PolicyDocument": allow("sqs:SendMessage")})
		c.update(tc.typ, &p, map[string]any{tc.principal: tc.name, "PolicyName": "inline", "PolicyDocument": allow("sqs:ReceiveMessage")})
		var doc string
		switch tc.principal {
		case "GroupName":
			doc = *must(f.GetGroupPolicy(f.ctx, &iamapi.GetGroupPolicyInput{GroupName: &tc.name, PolicyName: ptr.To("inline")})).PolicyDocument
		case "RoleName":
			doc = *must(f.GetRolePolicy(f.ctx, &iamapi.GetRolePolicyInput{RoleName: &tc.name, PolicyName: ptr.To("inline")})).PolicyDocument
		case "UserName":
			doc = *must(f.GetUserPolicy(f.ctx, &iamapi.GetUserPolicyInput{UserName: &tc.name, PolicyName: ptr.To("inline")})).PolicyDocument
		}
		if !strings.Contains(doc, "ReceiveMessage") {
			t.Fatalf("%s document after update %s", tc.typ, doc)
		}
		c.remove(tc.typ, p)
	}
	if _, err := c.p["AWS::IAM::RolePolicy"].Create(f.ctx, kit.ResourceRequest{LogicalID: "X", Properties: map[string]any{"RoleName": "app"}}); err == nil {
		t.Fatal("a RolePolicy without PolicyName was made")
	}

	mp := c.create("AWS::IAM::ManagedPolicy", "M", map[string]any{"PolicyDocument": allow("sns:Publish"), "Groups": []any{"devs"}})
	attached := must(f.ListAttachedGroupPolicies(f.ctx, &iamapi.ListAttachedGroupPoliciesInput{GroupName: ptr.To("devs")})).AttachedPolicies
	if len(attached) != 1 || *attached[0].PolicyArn != mp.PhysicalID {
		t.Fatalf("attached %+v", attached)
	}
	// The managed policy is detached by its own delete, as a stack
	// deletes it before the group it names.
	if err := c.p["AWS::IAM::ManagedPolicy"].Delete(f.ctx, mp); err != nil {
		t.Fatal(err)
	}
	c.remove("AWS::IAM::UserToGroupAddition", add)
	c.remove("AWS::IAM::Group", g)
	if _, err := f.GetGroup(f.ctx, &iamapi.GetGroupInput{GroupName: ptr.To("devs")}); err == nil {
		t.Fatal("the group survived its delete")
	}
}

// TestCloudFormationIdentityProviders: OIDC and SAML providers, a
// service-linked role, a server certificate and a virtual MFA device,
// each created, changed in place where AWS allows, read by Ref/GetAtt and
// deleted.
func TestCloudFormationIdentityProviders(t *testing.T) {
	f := newFixture(t)
	c := &cfnStack{t: t, f: f, p: f.cfnResources()}

	c.replaces("AWS::IAM::OIDCProvider", "Url")
	thumb := "990f4193972f2becf12ddeda5237f9c952f20d9e"
	oidc := c.create("AWS::IAM::OIDCProvider", "O", map[string]any{"Url": "https://token.actions.githubusercontent.com",
		"ClientIdList": []any{"sts.amazonaws.com"}, "ThumbprintList": []any{thumb}})
	if oidc.PhysicalID != "arn:aws:iam::"+testAccount+":oidc-provider/token.actions.githubusercontent.com" || oidc.Attributes["Arn"] != oidc.PhysicalID {
		t.Fatalf("oidc %+v", oidc)
	}
	c.update("AWS::IAM::OIDCProvider", &oidc, map[string]any{"Url": "https://token.actions.githubusercontent.com",
		"ClientIdList": []any{"sts.amazonaws.com", "other"}, "ThumbprintList": []any{thumb},
		"Tags": []any{map[string]any{"Key": "team", "Value": "ci"}}})
	got := must(f.GetOpenIDConnectProvider(f.ctx, &iamapi.GetOpenIDConnectProviderInput{OpenIDConnectProviderArn: &oidc.PhysicalID}))
	if len(got.ClientIDList) != 2 || len(got.Tags) != 1 {
		t.Fatalf("oidc after update %+v", got)
	}
	c.remove("AWS::IAM::OIDCProvider", oidc)

	certPEM, keyPEM := selfSigned(t)
	b, _ := pem.Decode([]byte(certPEM))
	metadata := `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com"><IDPSSODescriptor><KeyDescriptor><KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><X509Data><X509Certificate>` +
		base64.StdEncoding.EncodeToString(b.Bytes) + `</X509Certificate></X509Data></KeyInfo></KeyDescriptor></IDPSSODescriptor></EntityDescriptor><!--` + strings.Repeat("x", 1000) + `-->`
	saml := c.create("AWS::IAM::SAMLProvider", "SP", map[string]any{"Name": "corp", "SamlMetadataDocument": metadata})
	if saml.PhysicalID != "arn:aws:iam::"+testAccount+":saml-provider/corp" || saml.Attributes["Arn"] != saml.PhysicalID {
		t.Fatalf("saml %+v", saml)
	}
	c.update("AWS::IAM::SAMLProvider", &saml, map[string]any{"Name": "corp", "SamlMetadataDocument": metadata,
		"Tags": []any{map[string]any{"Key": "k", "Value": "v"}}})
	if tags := must(f.ListSAMLProviderTags(f.ctx, &iamapi.ListSAMLProviderTagsInput{SAMLProviderArn: &saml.PhysicalID})).Tags; len(tags) != 1 {
		t.Fatalf("saml tags %+v", tags)
	}
	c.remove("AWS::IAM::SAMLProvider", saml)

	c.replaces("AWS::IAM::ServiceLinkedRole", "AWSServiceName", "CustomSuffix")
	slr := c.create("AWS::IAM::ServiceLinkedRole", "SLR", map[string]any{"AWSServiceName": "autoscaling.amazonaws.com", "CustomSuffix": "app"})
	if slr.PhysicalID != "AWSServiceRoleForAutoScaling_app" || slr.Attributes["RoleName"] != slr.PhysicalID {
		t.Fatalf("service-linked role %+v", slr)
	}
	c.update("AWS::IAM::ServiceLinkedRole", &slr, map[string]any{"AWSServiceName": "autoscaling.amazonaws.com", "CustomSuffix": "app", "Description": "scaling"})
	if d := must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: &slr.PhysicalID})).Role.Description; d == nil || *d != "scaling" {
		t.Fatalf("description %v", d)
	}
	if err := c.p["AWS::IAM::ServiceLinkedRole"].Delete(f.ctx, slr); err != nil {
		t.Fatal(err)
	}

	c.replaces("AWS::IAM::ServerCertificate", "ServerCertificateName", "CertificateBody", "PrivateKey")
	cert := c.create("AWS::IAM::ServerCertificate", "C", map[string]any{"ServerCertificateName": "web", "CertificateBody": certPEM, "PrivateKey": keyPEM})
	if cert.PhysicalID != "web" || cert.Attributes["Arn"] != "arn:aws:iam::"+testAccount+":server-certificate/web" {
		t.Fatalf("certificate %+v", cert)
	}
	c.update("AWS::IAM::ServerCertificate", &cert, map[string]any{"ServerCertificateName": "web", "CertificateBody": certPEM, "PrivateKey": keyPEM,
		"Path": "/cloudfront/"})
	if cert.Attributes["Arn"] != "arn:aws:iam::"+testAccount+":server-certificate/cloudfront/web" {
		t.Fatalf("certificate after path change %+v", cert.Attributes)
	}
	c.remove("AWS::IAM::ServerCertificate", cert)

	mfa := c.create("AWS::IAM::VirtualMFADevice", "MFA", map[string]any{"VirtualMfaDeviceName": "ops"})
	if mfa.PhysicalID != "arn:aws:iam::"+testAccount+":mfa/ops" || mfa.Attributes["SerialNumber"] != mfa.PhysicalID {
		t.Fatalf("mfa %+v", mfa)
	}
	c.remove("AWS::IAM::VirtualMFADevice", mfa)
	if _, err := c.p["AWS::IAM::VirtualMFADevice"].Create(f.ctx, kit.ResourceRequest{LogicalID: "M2", Properties: map[string]any{
		"VirtualMfaDeviceName": "x", "Users": []any{"ana"}}}); err == nil || !strings.Contains(err.Error(), "EnableMFADevice") {
		t.Fatalf("Users on a device: %v", err)
	}
}

// TestCloudFormationRoleAndUserDetails: a role's description, session
// length, permissions boundary and tags change in place (a tag the
// template drops goes); a user's console password (LoginProfile),
// boundary and tags likewise, and the user's delete removes its password
// first.
func TestCloudFormationRoleAndUserDetails(t *testing.T) {
	f := newFixture(t)
	c := &cfnStack{t: t, f: f, p: f.cfnResources()}
	boundary := c.create("AWS::IAM::ManagedPolicy", "B", map[string]any{"PolicyDocument": allow("s3:*")}).PhysicalID
	trust := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{"Effect": "Allow",
		"Principal": map[string]any{"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}}}
	role := c.create("AWS::IAM::Role", "R", map[string]any{"RoleName": "fn", "AssumeRolePolicyDocument": trust,
		"Tags": []any{map[string]any{"Key": "a", "Value": "1"}, map[string]any{"Key": "b", "Value": "2"}}})
	c.update("AWS::IAM::Role", &role, map[string]any{"RoleName": "fn", "AssumeRolePolicyDocument": trust, "Description": "worker",
		"MaxSessionDuration": 7200, "PermissionsBoundary": boundary, "Tags": []any{map[string]any{"Key": "a", "Value": "3"}}})
	got := must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("fn")})).Role
	if ptr.Deref(got.Description) != "worker" || ptr.Deref(got.MaxSessionDuration) != 7200 || got.PermissionsBoundary == nil ||
		ptr.Deref(got.PermissionsBoundary.PermissionsBoundaryArn) != boundary || len(got.Tags) != 1 || *got.Tags[0].Value != "3" {
		t.Fatalf("role after update %+v", got)
	}
	c.update("AWS::IAM::Role", &role, map[string]any{"RoleName": "fn", "AssumeRolePolicyDocument": trust})
	got = must(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: ptr.To("fn")})).Role
	if got.PermissionsBoundary != nil || ptr.Deref(got.MaxSessionDuration) != 3600 || len(got.Tags) != 0 {
		t.Fatalf("role after the properties went %+v", got)
	}

	user := c.create("AWS::IAM::User", "U", map[string]any{"UserName": "ana", "PermissionsBoundary": boundary,
		"LoginProfile": map[string]any{"Password": "Correct-Horse-9", "PasswordResetRequired": true}})
	if lp := must(f.GetLoginProfile(f.ctx, &iamapi.GetLoginProfileInput{UserName: ptr.To("ana")})).LoginProfile; !ptr.Deref(lp.PasswordResetRequired) {
		t.Fatalf("login profile %+v", lp)
	}
	c.update("AWS::IAM::User", &user, map[string]any{"UserName": "ana", "LoginProfile": map[string]any{"Password": "Correct-Horse-9"},
		"Tags": []any{map[string]any{"Key": "team", "Value": "x"}}})
	u := must(f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("ana")})).User
	if u.PermissionsBoundary != nil || len(u.Tags) != 1 {
		t.Fatalf("user after update %+v", u)
	}
	if lp := must(f.GetLoginProfile(f.ctx, &iamapi.GetLoginProfileInput{UserName: ptr.To("ana")})).LoginProfile; ptr.Deref(lp.PasswordResetRequired) {
		t.Fatalf("login profile after update %+v", lp)
	}
	c.remove("AWS::IAM::User", user)
	if _, err := f.GetUser(f.ctx, &iamapi.GetUserInput{UserName: ptr.To("ana")}); err == nil {
		t.Fatal("the user survived its delete")
	}
}
