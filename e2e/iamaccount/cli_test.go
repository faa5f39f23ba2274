package iamaccount

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	csvpkg "encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"

	"github.com/niwa-cloud/niwa/e2e/framework"
)

// totp is RFC 6238 (HMAC-SHA1, 30-second steps, 6 digits).
func totp(seed []byte, step int64) string {
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], uint64(step))
	m := hmac.New(sha1.New, seed)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[19] & 0xf
	return fmt.Sprintf("%06d", (binary.BigEndian.Uint32(sum[off:])&0x7fffffff)%1000000)
}

// TestAccountFeaturesCLI: the account flows through both aws CLI versions —
// a virtual MFA device bootstrapped to files (seed and QR code), enabled
// with two codes; an AWS managed policy attached; the password policy; the
// credential report read back as CSV.
func TestAccountFeaturesCLI(t *testing.T) {
	t.Parallel()
	n := framework.Start(t, framework.Binary)
	dir := t.TempDir()
	// Each CLI version bootstraps one device to a file (v1 the seed, v2
	// the QR code) and v1 enables it; both attach a managed policy.
	run := func(cli framework.CLI, args ...string) string {
		t.Helper()
		out, errOut, err := n.RunCLI(t, cli, nil, args...)
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", cli.Name, strings.Join(args, " "), err, errOut)
		}
		return out
	}
	v1, v2 := framework.CLIs[0], framework.CLIs[1]
	user := "cli-v1"
	userCfg := framework.IAMUser(t, n, user, `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole","Resource":"*"}]}`)
	userKey, err := userCfg.Credentials.Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := iam.NewFromConfig(framework.GoConfig(n, "test", "test", "")).CreateRole(context.Background(), &iam.CreateRoleInput{RoleName: aws.String("needs-mfa"),
		AssumeRolePolicyDocument: aws.String(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"000000000000"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`)}); err != nil {
		t.Fatal(err)
	}
	seedFile, pngFile := filepath.Join(dir, "seed"), filepath.Join(dir, "qr.png")
	run(v1, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", user, "--outfile", seedFile, "--bootstrap-method", "Base32StringSeed")
	run(v2, "iam", "create-virtual-mfa-device", "--virtual-mfa-device-name", "qr", "--outfile", pngFile, "--bootstrap-method", "QRCodePNG")
	if png, err := os.ReadFile(pngFile); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("QR code: %v %q", err, png[:min(len(png), 8)])
	}
	b, err := os.ReadFile(seedFile)
	if err != nil {
		t.Fatal(err)
	}
	seed, err := base32.StdEncoding.DecodeString(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("seed %q: %v", b, err)
	}
	serial := "arn:aws:iam::000000000000:mfa/" + user
	step := time.Now().Unix() / 30
	_, errOut, err := n.RunCLI(t, v2, nil, "iam", "enable-mfa-device", "--user-name", user, "--serial-number", serial,
		"--authentication-code1", totp(seed, step), "--authentication-code2", totp(seed, step+5))
	if err == nil || !strings.Contains(errOut, "(InvalidAuthenticationCode)") {
		t.Errorf("non-consecutive codes: %v %s", err, errOut)
	}
	run(v1, "iam", "enable-mfa-device", "--user-name", user, "--serial-number", serial,
		"--authentication-code1", totp(seed, step-1), "--authentication-code2", totp(seed, step))
	var devices struct {
		MFADevices []struct{ SerialNumber, UserName string }
	}
	framework.MustJSON(t, run(v2, "iam", "list-mfa-devices", "--user-name", user), &devices)
	if len(devices.MFADevices) != 1 || devices.MFADevices[0].SerialNumber != serial {
		t.Errorf("devices %+v", devices)
	}
	// The device in STS: assume-role needs a code when the trust policy
	// asks for MFA.
	asUser := []string{"AWS_ACCESS_KEY_ID=" + userKey.AccessKeyID, "AWS_SECRET_ACCESS_KEY=" + userKey.SecretAccessKey}
	roleArgs := []string{"sts", "assume-role", "--role-arn", "arn:aws:iam::000000000000:role/needs-mfa", "--role-session-name", "cli"}
	if _, errOut, err := n.RunCLI(t, v2, asUser, roleArgs...); err == nil || !strings.Contains(errOut, "(AccessDenied)") {
		t.Errorf("assume-role without MFA: %v %s", err, errOut)
	}
	if _, errOut, err := n.RunCLI(t, v2, asUser, append(roleArgs, "--serial-number", serial, "--token-code", totp(seed, step+1))...); err != nil {
		t.Errorf("assume-role with MFA: %v %s", err, errOut)
	}
	run(v2, "iam", "attach-user-policy", "--user-name", user, "--policy-arn", "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
	if out := run(v1, "iam", "list-attached-user-policies", "--user-name", user); !strings.Contains(out, "AWSLambdaBasicExecutionRole") {
		t.Errorf("attached: %s", out)
	}
	if _, errOut, err := n.RunCLI(t, framework.CLIs[1], nil, "iam", "update-account-password-policy", "--minimum-password-length", "14", "--require-symbols"); err != nil {
		t.Fatalf("update-account-password-policy: %v %s", err, errOut)
	}
	var pp struct {
		PasswordPolicy struct {
			MinimumPasswordLength           int
			RequireSymbols, ExpirePasswords bool
		}
	}
	framework.MustJSON(t, n.MustAWS(t, "iam", "get-account-password-policy"), &pp)
	if pp.PasswordPolicy.MinimumPasswordLength != 14 || !pp.PasswordPolicy.RequireSymbols || pp.PasswordPolicy.ExpirePasswords {
		t.Errorf("password policy %+v", pp)
	}
	_, errOut, err = n.RunCLI(t, framework.CLIs[1], nil, "iam", "create-login-profile", "--user-name", "cli-v1", "--password", "short!")
	if err == nil || !strings.Contains(errOut, "(PasswordPolicyViolation)") {
		t.Errorf("weak password: %v %s", err, errOut)
	}
	n.MustAWS(t, "iam", "generate-credential-report")
	content := strings.TrimSpace(n.MustAWS(t, "iam", "get-credential-report", "--query", "Content", "--output", "text"))
	report, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		t.Fatalf("report content %q: %v", content, err)
	}
	rows, err := csvpkg.NewReader(bytes.NewReader(report)).ReadAll()
	if err != nil || len(rows) != 3 || strings.Join(rows[0][:4], ",") != "user,arn,user_creation_time,password_enabled" || len(rows[0]) != 22 {
		t.Fatalf("report (%v):\n%s", err, report)
	}
	// cli-v1: no password, MFA active, one active access key.
	if u := rows[2]; u[0] != "cli-v1" || u[1] != "arn:aws:iam::000000000000:user/cli-v1" || u[3] != "false" || u[7] != "true" || u[8] != "true" || u[13] != "false" {
		t.Errorf("report row %q", u)
	}
}
