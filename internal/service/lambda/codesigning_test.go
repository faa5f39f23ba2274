package lambda

import (
	"strings"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

// TestCodeSigningConfigs covers the configuration API and what a linked
// configuration does to deployments of (necessarily unsigned) code.
func TestCodeSigningConfigs(t *testing.T) {
	f := newFixture(t)
	profiles := &lambdaapi.AllowedPublishers{SigningProfileVersionArns: []string{"arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abcdefghij"}}
	warn, err := f.l.CreateCodeSigningConfig(f.ctx(), &lambdaapi.CreateCodeSigningConfigRequest{AllowedPublishers: profiles})
	if err != nil {
		t.Fatal(err)
	}
	c := warn.CodeSigningConfig
	if !strings.HasPrefix(*c.CodeSigningConfigId, "csc-") || len(*c.CodeSigningConfigId) != 21 ||
		*c.CodeSigningConfigArn != "arn:aws:lambda:us-east-1:"+testAccount+":code-signing-config:"+*c.CodeSigningConfigId ||
		*c.CodeSigningPolicies.UntrustedArtifactOnDeployment != "Warn" {
		t.Fatalf("created %+v", c)
	}
	enforce, err := f.l.CreateCodeSigningConfig(f.ctx(), &lambdaapi.CreateCodeSigningConfigRequest{
		AllowedPublishers: profiles, CodeSigningPolicies: &lambdaapi.CodeSigningPolicies{UntrustedArtifactOnDeployment: ptr.To("Enforce")},
	})
	if err != nil {
		t.Fatal(err)
	}

	// Enforce blocks unsigned code at CreateFunction; Warn lets it through.
	_, err = f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{
		FunctionName: ptr.To("blocked"), Runtime: ptr.To("python3.12"), Handler: ptr.To("app.ok"), Role: ptr.To(role),
		Code:                 &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": pyCode})},
		CodeSigningConfigArn: enforce.CodeSigningConfig.CodeSigningConfigArn,
	})
	if code(err) != "CodeVerificationFailedException" {
		t.Fatalf("Enforce at create: %v", err)
	}
	f.create(t, "signed", "app.ok", func(in *lambdaapi.CreateFunctionRequest) { in.CodeSigningConfigArn = c.CodeSigningConfigArn })
	got, err := f.l.GetFunctionCodeSigningConfig(f.ctx(), &lambdaapi.GetFunctionCodeSigningConfigRequest{FunctionName: ptr.To("signed")})
	if err != nil || *got.CodeSigningConfigArn != *c.CodeSigningConfigArn {
		t.Fatalf("GetFunctionCodeSigningConfig: %v %+v", err, got)
	}
	list, err := f.l.ListFunctionsByCodeSigningConfig(f.ctx(), &lambdaapi.ListFunctionsByCodeSigningConfigRequest{CodeSigningConfigArn: c.CodeSigningConfigArn})
	if err != nil || len(list.FunctionArns) != 1 || !strings.HasSuffix(list.FunctionArns[0], ":function:signed") {
		t.Fatalf("ListFunctionsByCodeSigningConfig: %v %+v", err, list)
	}
	if _, err := f.l.DeleteCodeSigningConfig(f.ctx(), &lambdaapi.DeleteCodeSigningConfigRequest{CodeSigningConfigArn: c.CodeSigningConfigArn}); code(err) != "ResourceConflictException" {
		t.Fatalf("delete in use: %v", err)
	}

	// Switching the link to Enforce blocks the next code update.
	if _, err := f.l.PutFunctionCodeSigningConfig(f.ctx(), &lambdaapi.PutFunctionCodeSigningConfigRequest{FunctionName: ptr.To("signed"), CodeSigningConfigArn: enforce.CodeSigningConfig.CodeSigningConfigArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.UpdateFunctionCode(f.ctx(), &lambdaapi.UpdateFunctionCodeRequest{FunctionName: ptr.To("signed"), ZipFile: zipOf(t, map[string]string{"app.py": pyCode})}); code(err) != "CodeVerificationFailedException" {
		t.Fatalf("Enforce at update: %v", err)
	}
	if _, err := f.l.DeleteFunctionCodeSigningConfig(f.ctx(), &lambdaapi.DeleteFunctionCodeSigningConfigRequest{FunctionName: ptr.To("signed")}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.UpdateFunctionCode(f.ctx(), &lambdaapi.UpdateFunctionCodeRequest{FunctionName: ptr.To("signed"), ZipFile: zipOf(t, map[string]string{"app.py": pyCode})}); err != nil {
		t.Fatalf("unlinked update: %v", err)
	}
	got, err = f.l.GetFunctionCodeSigningConfig(f.ctx(), &lambdaapi.GetFunctionCodeSigningConfigRequest{FunctionName: ptr.To("signed")})
	if err != nil || *got.CodeSigningConfigArn != "" {
		t.Fatalf("after unlink: %v %+v", err, got)
	}

	// Paging, update, delete, not found.
	page, err := f.l.ListCodeSigningConfigs(f.ctx(), &lambdaapi.ListCodeSigningConfigsRequest{MaxItems: ptr.To(int32(1))})
	if err != nil || len(page.CodeSigningConfigs) != 1 || page.NextMarker == nil {
		t.Fatalf("page 1: %v %+v", err, page)
	}
	page, err = f.l.ListCodeSigningConfigs(f.ctx(), &lambdaapi.ListCodeSigningConfigsRequest{MaxItems: ptr.To(int32(1)), Marker: page.NextMarker})
	if err != nil || len(page.CodeSigningConfigs) != 1 || page.NextMarker != nil {
		t.Fatalf("page 2: %v %+v", err, page)
	}
	up, err := f.l.UpdateCodeSigningConfig(f.ctx(), &lambdaapi.UpdateCodeSigningConfigRequest{CodeSigningConfigArn: c.CodeSigningConfigArn, Description: ptr.To("d")})
	if err != nil || *up.CodeSigningConfig.Description != "d" || *up.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment != "Warn" {
		t.Fatalf("update: %v %+v", err, up)
	}
	if _, err := f.l.DeleteCodeSigningConfig(f.ctx(), &lambdaapi.DeleteCodeSigningConfigRequest{CodeSigningConfigArn: c.CodeSigningConfigArn}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.l.GetCodeSigningConfig(f.ctx(), &lambdaapi.GetCodeSigningConfigRequest{CodeSigningConfigArn: c.CodeSigningConfigArn}); code(err) != "CodeSigningConfigNotFoundException" {
		t.Fatalf("after delete: %v", err)
	}
}

// TestRuntimeManagementConfig: Auto by default, Manual needs a runtime
// version ARN, and only Manual takes one.
func TestRuntimeManagementConfig(t *testing.T) {
	f := newFixture(t)
	f.create(t, "rt", "app.ok", nil)
	get := func() *lambdaapi.GetRuntimeManagementConfigResponse {
		t.Helper()
		out, err := f.l.GetRuntimeManagementConfig(f.ctx(), &lambdaapi.GetRuntimeManagementConfigRequest{FunctionName: ptr.To("rt")})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	if g := get(); *g.UpdateRuntimeOn != "Auto" || g.RuntimeVersionArn != nil || !strings.HasSuffix(*g.FunctionArn, ":function:rt:$LATEST") {
		t.Fatalf("default %+v", g)
	}
	rv := "arn:aws:lambda:us-east-1::runtime:0123456789abcdef"
	for _, c := range []struct {
		on, arn, want string
	}{
		{"Manual", "", "InvalidParameterValueException"},
		{"Auto", rv, "InvalidParameterValueException"},
		{"Manual", "not-an-arn", "InvalidParameterValueException"},
		{"Manual", rv, ""},
	} {
		in := &lambdaapi.PutRuntimeManagementConfigRequest{FunctionName: ptr.To("rt"), UpdateRuntimeOn: ptr.To(c.on)}
		if c.arn != "" {
			in.RuntimeVersionArn = ptr.To(c.arn)
		}
		if _, err := f.l.PutRuntimeManagementConfig(f.ctx(), in); code(err) != c.want {
			t.Errorf("%s %q: %v, want %q", c.on, c.arn, err, c.want)
		}
	}
	if g := get(); *g.UpdateRuntimeOn != "Manual" || ptr.Deref(g.RuntimeVersionArn) != rv {
		t.Fatalf("after Manual %+v", g)
	}
	if _, err := f.l.GetRuntimeManagementConfig(f.ctx(), &lambdaapi.GetRuntimeManagementConfigRequest{FunctionName: ptr.To("nope")}); code(err) != "ResourceNotFoundException" {
		t.Errorf("missing function: %v", err)
	}
}
