package iam

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base32"
	"encoding/base64"
	"encoding/csv"
	"encoding/pem"
	"math/big"
	"strings"
	"testing"
	"time"

	iamapi "github.com/niwa-cloud/niwa/internal/api/iam"
	"github.com/niwa-cloud/niwa/internal/ptr"
	"github.com/niwa-cloud/niwa/internal/request"
)

// TestTOTPVector pins the code generator to RFC 6238's SHA-1 test vector
// (seed "12345678901234567890", T=59 s: 94287082, six digits 287082).
func TestTOTPVector(t *testing.T) {
	seed := []byte("12345678901234567890")
	for _, c := range []struct {
		unix int64
		want string
	}{{59, "287082"}, {1111111109, "081804"}, {1234567890, "005924"}, {2000000000, "279037"}} {
		if got := totp(seed, timeStep(time.Unix(c.unix, 0))); got != c.want {
			t.Errorf("totp(T=%d) = %s, want %s", c.unix, got, c.want)
		}
	}
}

func TestPasswordPolicy(t *testing.T) {
	f := newFixture(t)
	wantErr(t, second(f.GetAccountPasswordPolicy(f.ctx, &iamapi.GetAccountPasswordPolicyInput{})), "NoSuchEntity", 404,
		"The Password Policy with domain name 123456789012 cannot be found.")
	wantErr(t, second(f.DeleteAccountPasswordPolicy(f.ctx, &iamapi.DeleteAccountPasswordPolicyInput{})), "NoSuchEntity", 404, "")
	wantErr(t, second(f.UpdateAccountPasswordPolicy(f.ctx, &iamapi.UpdateAccountPasswordPolicyInput{MinimumPasswordLength: ptr.To(int32(5))})), "ValidationError", 400,
		"1 validation error detected: Value '5' at 'minimumPasswordLength' failed to satisfy constraint: Member must have value greater than or equal to 6")
	must(f.UpdateAccountPasswordPolicy(f.ctx, &iamapi.UpdateAccountPasswordPolicyInput{
		MinimumPasswordLength: ptr.To(int32(12)), RequireNumbers: ptr.To(true), RequireSymbols: ptr.To(true),
		AllowUsersToChangePassword: ptr.To(true), MaxPasswordAge: ptr.To(int32(90)), PasswordReusePrevention: ptr.To(int32(2)),
	}))
	p := must(f.GetAccountPasswordPolicy(f.ctx, &iamapi.GetAccountPasswordPolicyInput{})).PasswordPolicy
	if *p.MinimumPasswordLength != 12 || !*p.RequireNumbers || !*p.RequireSymbols || *p.RequireUppercaseCharacters || !*p.ExpirePasswords ||
		*p.MaxPasswordAge != 90 || *p.PasswordReusePrevention != 2 || *p.HardExpiry || !*p.AllowUsersToChangePassword {
		t.Fatalf("policy = %+v", p)
	}
	u := f.createUser("dana")
	violation := "Password does not conform to the account password policy."
	for _, pw := range []string{"short1!", "longenoughbutnodigits!", "longenough12345nosym"} {
		wantErr(t, second(f.CreateLoginProfile(f.ctx, &iamapi.CreateLoginProfileInput{UserName: ptr.To("dana"), Password: ptr.To(pw)})), "PasswordPolicyViolation", 400, violation)
	}
	must(f.CreateLoginProfile(f.ctx, &iamapi.CreateLoginProfileInput{UserName: ptr.To("dana"), Password: ptr.To("first-password-1")}))

	// ChangePassword: only the user itself, with the right old password,
	// and not back to one of the last two.
	wantErr(t, second(f.ChangePassword(f.ctx, &iamapi.ChangePasswordInput{OldPassword: ptr.To("first-password-1"), NewPassword: ptr.To("second-password-2")})),
		"InvalidUserType", 400, "Only IAM Users can change their own password.")
	ctx := *f.ctx
	ctx.Caller = request.Caller{Account: testAccount, ARN: *u.Arn, UserID: *u.UserId}
	wantErr(t, second(f.ChangePassword(&ctx, &iamapi.ChangePasswordInput{OldPassword: ptr.To("wrong"), NewPassword: ptr.To("second-password-2")})), "AccessDenied", 403, "")
	wantErr(t, second(f.ChangePassword(&ctx, &iamapi.ChangePasswordInput{OldPassword: ptr.To("first-password-1"), NewPassword: ptr.To("weak")})), "PasswordPolicyViolation", 400, violation)
	must(f.ChangePassword(&ctx, &iamapi.ChangePasswordInput{OldPassword: ptr.To("first-password-1"), NewPassword: ptr.To("second-password-2")}))
	wantErr(t, second(f.ChangePassword(&ctx, &iamapi.ChangePasswordInput{OldPassword: ptr.To("second-password-2"), NewPassword: ptr.To("first-password-1")})),
		"PasswordPolicyViolation", 400, violation)
	must(f.ChangePassword(&ctx, &iamapi.ChangePasswordInput{OldPassword: ptr.To("second-password-2"), NewPassword: ptr.To("third-password-3")}))

	// Without a custom policy AWS's default applies (8+ characters, three
	// kinds).
	must(f.DeleteAccountPasswordPolicy(f.ctx, &iamapi.DeleteAccountPasswordPolicyInput{}))
	f.createUser("eve")
	wantErr(t, second(f.CreateLoginProfile(f.ctx, &iamapi.CreateLoginProfileInput{UserName: ptr.To("eve"), Password: ptr.To("alllowercase")})), "PasswordPolicyViolation", 400, violation)
	must(f.CreateLoginProfile(f.ctx, &iamapi.CreateLoginProfileInput{UserName: ptr.To("eve"), Password: ptr.To("Mixed-case1")}))
}

func TestVirtualMFA(t *testing.T) {
	f := newFixture(t)
	f.createUser("mo")
	dev := must(f.CreateVirtualMFADevice(f.ctx, &iamapi.CreateVirtualMFADeviceInput{VirtualMFADeviceName: ptr.To("mo-phone"), Tags: []iamapi.Tag{{Key: ptr.To("k"), Value: ptr.To("v")}}})).VirtualMFADevice
	serial := *dev.SerialNumber
	if serial != "arn:aws:iam::123456789012:mfa/mo-phone" || !bytes.HasPrefix(dev.QRCodePNG, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("device = %s, png %d bytes", serial, len(dev.QRCodePNG))
	}
	seed, err := base32.StdEncoding.DecodeString(string(dev.Base32StringSeed))
	if err != nil || len(seed) != 20 {
		t.Fatalf("seed %q: %v", dev.Base32StringSeed, err)
	}
	wantErr(t, second(f.CreateVirtualMFADevice(f.ctx, &iamapi.CreateVirtualMFADeviceInput{VirtualMFADeviceName: ptr.To("mo-phone")})), "EntityAlreadyExists", 409, "")
	step := timeStep(f.clock.Now())
	enable := func(c1, c2 string) error {
		_, err := f.EnableMFADevice(f.ctx, &iamapi.EnableMFADeviceInput{UserName: ptr.To("mo"), SerialNumber: ptr.To(serial), AuthenticationCode1: ptr.To(c1), AuthenticationCode2: ptr.To(c2)})
		return err
	}
	wantErr(t, enable(totp(seed, step+1), totp(seed, step)), "InvalidAuthenticationCode", 403, "Authentication code for device is not valid.")
	wantErr(t, enable(totp(seed, step-20), totp(seed, step-19)), "InvalidAuthenticationCode", 403, "")
	if err := enable(totp(seed, step-1), totp(seed, step)); err != nil {
		t.Fatal(err)
	}
	wantErr(t, enable(totp(seed, step), totp(seed, step+1)), "EntityAlreadyExists", 409, "")
	list := must(f.ListMFADevices(f.ctx, &iamapi.ListMFADevicesInput{UserName: ptr.To("mo")})).MFADevices
	if len(list) != 1 || *list[0].SerialNumber != serial || *list[0].UserName != "mo" {
		t.Fatalf("ListMFADevices = %+v", list)
	}
	virt := must(f.ListVirtualMFADevices(f.ctx, &iamapi.ListVirtualMFADevicesInput{AssignmentStatus: ptr.To("Assigned")})).VirtualMFADevices
	if len(virt) != 1 || *virt[0].User.UserName != "mo" {
		t.Fatalf("ListVirtualMFADevices = %+v", virt)
	}
	// STS's check: a code of the current window works once.
	f.clock.Advance(totpStep)
	code := totp(seed, timeStep(f.clock.Now()))
	if user, ok, err := f.VerifyMFACode(testAccount, serial, code, f.clock.Now()); err != nil || !ok || user != "mo" {
		t.Fatalf("VerifyMFACode = %q %v %v", user, ok, err)
	}
	if _, ok, _ := f.VerifyMFACode(testAccount, serial, code, f.clock.Now()); ok {
		t.Fatal("a code was accepted twice")
	}
	if _, ok, _ := f.VerifyMFACode(testAccount, serial, "000000", f.clock.Now()); ok && totp(seed, timeStep(f.clock.Now())) != "000000" {
		t.Fatal("a wrong code was accepted")
	}
	wantErr(t, second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("mo")})), "DeleteConflict", 409, "Cannot delete entity, must delete MFA device first.")
	wantErr(t, second(f.DeleteVirtualMFADevice(f.ctx, &iamapi.DeleteVirtualMFADeviceInput{SerialNumber: ptr.To(serial)})), "DeleteConflict", 409, "MFA VirtualDevice in use. Must deactivate first.")
	must(f.CreateOpenIDConnectProvider(f.ctx, &iamapi.CreateOpenIDConnectProviderInput{Url: ptr.To("https://oidc.example.com"), ClientIDList: []string{"a"}}))
	sum := must(f.GetAccountSummary(f.ctx, &iamapi.GetAccountSummaryInput{})).SummaryMap
	if sum["MFADevices"] != 1 || sum["MFADevicesInUse"] != 1 || sum["Providers"] != 1 {
		t.Errorf("summary = %v", sum)
	}
	must(f.DeactivateMFADevice(f.ctx, &iamapi.DeactivateMFADeviceInput{UserName: ptr.To("mo"), SerialNumber: ptr.To(serial)}))
	if _, ok, _ := f.VerifyMFACode(testAccount, serial, totp(seed, timeStep(f.clock.Now())+1), f.clock.Now()); ok {
		t.Fatal("a deactivated device verified a code")
	}
	must(f.DeleteVirtualMFADevice(f.ctx, &iamapi.DeleteVirtualMFADeviceInput{SerialNumber: ptr.To(serial)}))
	must(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("mo")}))
	wantErr(t, second(f.GetMFADevice(f.ctx, &iamapi.GetMFADeviceInput{SerialNumber: ptr.To(serial)})), "NoSuchEntity", 404, "")
}

func TestCredentialReportAndAliases(t *testing.T) {
	f := newFixture(t)
	wantErr(t, second(f.GetCredentialReport(f.ctx, &iamapi.GetCredentialReportInput{})), "ReportNotPresent", 410, "")
	f.createUser("rita")
	must(f.CreateAccessKey(f.ctx, &iamapi.CreateAccessKeyInput{UserName: ptr.To("rita")}))
	if st := *must(f.GenerateCredentialReport(f.ctx, &iamapi.GenerateCredentialReportInput{})).State; st != "STARTED" {
		t.Fatalf("first state %s", st)
	}
	if st := *must(f.GenerateCredentialReport(f.ctx, &iamapi.GenerateCredentialReportInput{})).State; st != "COMPLETE" {
		t.Fatalf("second state %s", st)
	}
	r := must(f.GetCredentialReport(f.ctx, &iamapi.GetCredentialReportInput{}))
	rows, err := csv.NewReader(bytes.NewReader(r.Content)).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0], ",") != strings.Join(reportColumns, ",") || len(rows[0]) != 22 {
		t.Fatalf("report %q: %v", r.Content, err)
	}
	if rows[1][0] != "<root_account>" || rows[2][0] != "rita" || rows[2][8] != "true" || rows[2][13] != "false" || rows[2][3] != "false" {
		t.Fatalf("rows = %q", rows[1:])
	}
	f.clock.Advance(4 * time.Hour)
	wantErr(t, second(f.GetCredentialReport(f.ctx, &iamapi.GetCredentialReportInput{})), "ReportExpired", 410, "")

	wantErr(t, second(f.CreateAccountAlias(f.ctx, &iamapi.CreateAccountAliasInput{AccountAlias: ptr.To("Bad--Alias")})), "ValidationError", 400, "")
	must(f.CreateAccountAlias(f.ctx, &iamapi.CreateAccountAliasInput{AccountAlias: ptr.To("my-team")}))
	wantErr(t, second(f.CreateAccountAlias(f.ctx, &iamapi.CreateAccountAliasInput{AccountAlias: ptr.To("other")})), "LimitExceeded", 409, "Cannot exceed quota for AccountAliasesPerAccount: 1")
	other := *f.ctx
	other.Account = "210987654321"
	wantErr(t, second(f.CreateAccountAlias(&other, &iamapi.CreateAccountAliasInput{AccountAlias: ptr.To("my-team")})), "EntityAlreadyExists", 409, "The account alias my-team already exists.")
	if l := must(f.ListAccountAliases(f.ctx, &iamapi.ListAccountAliasesInput{})).AccountAliases; len(l) != 1 || l[0] != "my-team" {
		t.Fatalf("aliases = %v", l)
	}
	must(f.DeleteAccountAlias(f.ctx, &iamapi.DeleteAccountAliasInput{AccountAlias: ptr.To("my-team")}))
	must(f.CreateAccountAlias(&other, &iamapi.CreateAccountAliasInput{AccountAlias: ptr.To("my-team")}))
}

func selfSigned(t *testing.T) (certPEM, keyPEM string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "example.com"},
		NotBefore: t0.Add(-time.Hour), NotAfter: time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, _ := x509.MarshalECPrivateKey(k)
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})), string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}))
}

func TestUserCredentialsAndCertificates(t *testing.T) {
	f := newFixture(t)
	f.createUser("sam")
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	openssh := "ssh-rsa " + base64.StdEncoding.EncodeToString(rsaBlob(&rk.PublicKey)) + " sam@laptop"
	k := must(f.UploadSSHPublicKey(f.ctx, &iamapi.UploadSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyBody: ptr.To(openssh)})).SSHPublicKey
	if !strings.HasPrefix(*k.SSHPublicKeyId, "APKA") || len(strings.Split(*k.Fingerprint, ":")) != 16 || *k.Status != "Active" {
		t.Fatalf("key = %+v", k)
	}
	pemKey := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&rk.PublicKey))}))
	wantErr(t, second(f.UploadSSHPublicKey(f.ctx, &iamapi.UploadSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyBody: ptr.To(pemKey)})), "DuplicateSSHPublicKey", 400, "")
	wantErr(t, second(f.UploadSSHPublicKey(f.ctx, &iamapi.UploadSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyBody: ptr.To("ssh-rsa AAAAnotakey")})), "InvalidPublicKey", 400, "")
	wantErr(t, second(f.UploadSSHPublicKey(f.ctx, &iamapi.UploadSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyBody: ptr.To("ssh-dss AAAAB3NzaC1kc3M= x")})), "UnrecognizedPublicKeyEncoding", 400, "")
	got := must(f.GetSSHPublicKey(f.ctx, &iamapi.GetSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyId: k.SSHPublicKeyId, Encoding: ptr.To("PEM")})).SSHPublicKey
	if !strings.HasPrefix(*got.SSHPublicKeyBody, "-----BEGIN RSA PUBLIC KEY-----") {
		t.Fatalf("PEM body = %q", *got.SSHPublicKeyBody)
	}
	must(f.UpdateSSHPublicKey(f.ctx, &iamapi.UpdateSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyId: k.SSHPublicKeyId, Status: ptr.To("Inactive")}))
	if l := must(f.ListSSHPublicKeys(f.ctx, &iamapi.ListSSHPublicKeysInput{UserName: ptr.To("sam")})).SSHPublicKeys; len(l) != 1 || *l[0].Status != "Inactive" {
		t.Fatalf("list = %+v", l)
	}
	wantErr(t, second(f.DeleteUser(f.ctx, &iamapi.DeleteUserInput{UserName: ptr.To("sam")})), "DeleteConflict", 409, "")
	must(f.DeleteSSHPublicKey(f.ctx, &iamapi.DeleteSSHPublicKeyInput{UserName: ptr.To("sam"), SSHPublicKeyId: k.SSHPublicKeyId}))

	certPEM, keyPEM := selfSigned(t)
	_, otherKey := selfSigned(t)
	wantErr(t, second(f.UploadServerCertificate(f.ctx, &iamapi.UploadServerCertificateInput{ServerCertificateName: ptr.To("web"), CertificateBody: ptr.To("garbage"), PrivateKey: ptr.To(keyPEM)})), "MalformedCertificate", 400, "")
	wantErr(t, second(f.UploadServerCertificate(f.ctx, &iamapi.UploadServerCertificateInput{ServerCertificateName: ptr.To("web"), CertificateBody: ptr.To(certPEM), PrivateKey: ptr.To(otherKey)})), "KeyPairMismatch", 400, "")
	meta := must(f.UploadServerCertificate(f.ctx, &iamapi.UploadServerCertificateInput{ServerCertificateName: ptr.To("web"), Path: ptr.To("/cloudfront/"), CertificateBody: ptr.To(certPEM), PrivateKey: ptr.To(keyPEM)})).ServerCertificateMetadata
	if *meta.Arn != "arn:aws:iam::123456789012:server-certificate/cloudfront/web" || !meta.Expiration.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) || !strings.HasPrefix(*meta.ServerCertificateId, "ASCA") {
		t.Fatalf("meta = %+v", meta)
	}
	must(f.UpdateServerCertificate(f.ctx, &iamapi.UpdateServerCertificateInput{ServerCertificateName: ptr.To("web"), NewServerCertificateName: ptr.To("web2")}))
	if c := must(f.GetServerCertificate(f.ctx, &iamapi.GetServerCertificateInput{ServerCertificateName: ptr.To("web2")})).ServerCertificate; *c.CertificateBody != strings.TrimSpace(certPEM) {
		t.Fatal("body changed")
	}
	wantErr(t, second(f.GetServerCertificate(f.ctx, &iamapi.GetServerCertificateInput{ServerCertificateName: ptr.To("web")})), "NoSuchEntity", 404, "The Server Certificate with name web cannot be found.")
	must(f.DeleteServerCertificate(f.ctx, &iamapi.DeleteServerCertificateInput{ServerCertificateName: ptr.To("web2")}))

	sig := must(f.UploadSigningCertificate(f.ctx, &iamapi.UploadSigningCertificateInput{UserName: ptr.To("sam"), CertificateBody: ptr.To(certPEM)})).Certificate
	wantErr(t, second(f.UploadSigningCertificate(f.ctx, &iamapi.UploadSigningCertificateInput{UserName: ptr.To("sam"), CertificateBody: ptr.To(certPEM)})), "DuplicateCertificate", 409, "")
	must(f.DeleteSigningCertificate(f.ctx, &iamapi.DeleteSigningCertificateInput{UserName: ptr.To("sam"), CertificateId: sig.CertificateId}))

	wantErr(t, second(f.CreateServiceSpecificCredential(f.ctx, &iamapi.CreateServiceSpecificCredentialInput{UserName: ptr.To("sam"), ServiceName: ptr.To("s3.amazonaws.com")})), "NotSupportedService", 404, "")
	c := must(f.CreateServiceSpecificCredential(f.ctx, &iamapi.CreateServiceSpecificCredentialInput{UserName: ptr.To("sam"), ServiceName: ptr.To("codecommit.amazonaws.com")})).ServiceSpecificCredential
	if *c.ServiceUserName != "sam-at-123456789012" || *c.ServicePassword == "" {
		t.Fatalf("cred = %+v", c)
	}
	must(f.CreateServiceSpecificCredential(f.ctx, &iamapi.CreateServiceSpecificCredentialInput{UserName: ptr.To("sam"), ServiceName: ptr.To("codecommit.amazonaws.com")}))
	wantErr(t, second(f.CreateServiceSpecificCredential(f.ctx, &iamapi.CreateServiceSpecificCredentialInput{UserName: ptr.To("sam"), ServiceName: ptr.To("codecommit.amazonaws.com")})), "LimitExceeded", 409, "")
	reset := must(f.ResetServiceSpecificCredential(f.ctx, &iamapi.ResetServiceSpecificCredentialInput{UserName: ptr.To("sam"), ServiceSpecificCredentialId: c.ServiceSpecificCredentialId})).ServiceSpecificCredential
	if *reset.ServicePassword == *c.ServicePassword {
		t.Fatal("reset kept the password")
	}
}

func TestServiceLinkedRoles(t *testing.T) {
	f := newFixture(t)
	r := must(f.CreateServiceLinkedRole(f.ctx, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: ptr.To("autoscaling.amazonaws.com")})).Role
	if *r.RoleName != "AWSServiceRoleForAutoScaling" || *r.Path != "/aws-service-role/autoscaling.amazonaws.com/" ||
		*r.Arn != "arn:aws:iam::123456789012:role/aws-service-role/autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling" {
		t.Fatalf("role = %s %s %s", *r.RoleName, *r.Path, *r.Arn)
	}
	if r2 := must(f.CreateServiceLinkedRole(f.ctx, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: ptr.To("elasticbeanstalk.amazonaws.com"), CustomSuffix: ptr.To("x")})).Role; *r2.RoleName != "AWSServiceRoleForElasticbeanstalk_x" {
		t.Fatalf("name %s", *r2.RoleName)
	}
	wantErr(t, second(f.CreateServiceLinkedRole(f.ctx, &iamapi.CreateServiceLinkedRoleInput{AWSServiceName: ptr.To("autoscaling.amazonaws.com")})), "InvalidInput", 400,
		"Service role name AWSServiceRoleForAutoScaling has been taken in this account, please try a different suffix.")
	wantErr(t, second(f.DeleteRole(f.ctx, &iamapi.DeleteRoleInput{RoleName: r.RoleName})), "UnmodifiableEntity", 400, "")
	task := must(f.DeleteServiceLinkedRole(f.ctx, &iamapi.DeleteServiceLinkedRoleInput{RoleName: r.RoleName})).DeletionTaskId
	if st := must(f.GetServiceLinkedRoleDeletionStatus(f.ctx, &iamapi.GetServiceLinkedRoleDeletionStatusInput{DeletionTaskId: task})).Status; *st != "SUCCEEDED" {
		t.Fatalf("status %s", *st)
	}
	wantErr(t, second(f.GetRole(f.ctx, &iamapi.GetRoleInput{RoleName: r.RoleName})), "NoSuchEntity", 404, "")
	f.createRole("plain")
	wantErr(t, second(f.DeleteServiceLinkedRole(f.ctx, &iamapi.DeleteServiceLinkedRoleInput{RoleName: ptr.To("plain")})), "InvalidInput", 400, "")
}

// TestTrustPrincipalsMustExist: a trust policy naming a user or role of
// the account that does not exist is refused; one that exists, or another
// account's, is taken.
func TestTrustPrincipalsMustExist(t *testing.T) {
	f := newFixture(t)
	trust := func(p string) *string {
		return ptr.To(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":"sts:AssumeRole"}]}`)
	}
	wantErr(t, second(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("r"), AssumeRolePolicyDocument: trust("arn:aws:iam::123456789012:user/ghost")})),
		"MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:user/ghost"`)
	f.createUser("ghost")
	must(f.CreateRole(f.ctx, &iamapi.CreateRoleInput{RoleName: ptr.To("r"), AssumeRolePolicyDocument: trust("arn:aws:iam::123456789012:user/ghost")}))
	must(f.UpdateAssumeRolePolicy(f.ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: ptr.To("r"), PolicyDocument: trust("arn:aws:iam::210987654321:role/elsewhere")}))
	wantErr(t, second(f.UpdateAssumeRolePolicy(f.ctx, &iamapi.UpdateAssumeRolePolicyInput{RoleName: ptr.To("r"), PolicyDocument: trust("arn:aws:iam::123456789012:role/path/none")})),
		"MalformedPolicyDocument", 400, `Invalid principal in policy: "AWS":"arn:aws:iam::123456789012:role/path/none"`)
}

// FuzzSSHPublicKey: any key body gets a blob or an error, never a panic;
// a blob that is accepted renders back as PEM and fingerprints.
func FuzzSSHPublicKey(f *testing.F) {
	f.Add("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQC7 user@host")
	f.Add("ssh-rsa AAAA")
	f.Add("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----")
	f.Add("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIG x")
	f.Fuzz(func(t *testing.T, body string) {
		blob, _, err := sshKeyBlob(body)
		if err != nil {
			return
		}
		if _, err := blobRSA(blob); err != nil {
			t.Fatalf("accepted blob does not parse back: %v", err)
		}
		_ = sshFingerprint(blob)
		_ = sshOut("u", &sshKey{Body: body}, "PEM")
	})
}
