package lambda

import (
	"slices"
	"strings"
	"testing"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/ptr"
)

func (f *fixture) cfnFunction(t *testing.T, name string) {
	t.Helper()
	if _, err := f.l.CreateFunction(f.ctx(), &lambdaapi.CreateFunctionRequest{FunctionName: ptr.To(name), Runtime: ptr.To("python3.12"),
		Handler: ptr.To("app.ok"), Role: ptr.To(role), Code: &lambdaapi.FunctionCode{ZipFile: zipOf(t, map[string]string{"app.py": pyCode})}}); err != nil {
		t.Fatal(err)
	}
}

// TestCloudFormationEventInvokeConfig: the configuration is put on the
// function's qualifier, Ref is FunctionName|Qualifier, an update sets the
// whole configuration (a property taken out goes back to its default),
// and deletion removes it (twice is no error).
func TestCloudFormationEventInvokeConfig(t *testing.T) {
	f := newFixture(t)
	f.cfnFunction(t, "async")
	p := f.l.cfnResources()["AWS::Lambda::EventInvokeConfig"]
	props := map[string]any{"FunctionName": "async", "Qualifier": "$LATEST", "MaximumRetryAttempts": "1",
		"MaximumEventAgeInSeconds": 300, "DestinationConfig": map[string]any{"OnFailure": map[string]any{
			"Destination": "arn:aws:sqs:us-east-1:" + testAccount + ":dlq"}}}
	res, err := p.Create(f.ctx(), kit.ResourceRequest{LogicalID: "C", Properties: props})
	if err != nil || res.PhysicalID != "async|$LATEST" {
		t.Fatalf("create %+v %v", res, err)
	}
	get := func() (*lambdaapi.FunctionEventInvokeConfig, error) {
		return f.l.GetFunctionEventInvokeConfig(f.ctx(), &lambdaapi.GetFunctionEventInvokeConfigRequest{FunctionName: ptr.To("async"), Qualifier: ptr.To("$LATEST")})
	}
	c, err := get()
	if err != nil || *c.MaximumRetryAttempts != 1 || *c.MaximumEventAgeInSeconds != 300 || c.DestinationConfig == nil ||
		c.DestinationConfig.OnFailure == nil || !strings.HasSuffix(*c.DestinationConfig.OnFailure.Destination, ":dlq") {
		t.Fatalf("config %+v %v", c, err)
	}
	newProps := map[string]any{"FunctionName": "async", "Qualifier": "$LATEST", "MaximumRetryAttempts": 0}
	if _, err := p.Update(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps, OldProperties: props}); err != nil {
		t.Fatal(err)
	}
	c, err = get()
	if err != nil || *c.MaximumRetryAttempts != 0 || (c.MaximumEventAgeInSeconds != nil && *c.MaximumEventAgeInSeconds != 21600) ||
		(c.DestinationConfig != nil && c.DestinationConfig.OnFailure != nil && c.DestinationConfig.OnFailure.Destination != nil) {
		t.Fatalf("config after update %+v %v", c, err)
	}
	if !slices.Contains(p.Replace, "Qualifier") || !slices.Contains(p.Replace, "FunctionName") {
		t.Fatalf("replace %v", p.Replace)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := get(); code(err) != "ResourceNotFoundException" {
		t.Fatalf("after delete: %v", err)
	}
}

// TestCloudFormationLayerVersionPermission: the grant lands in the layer
// version's policy, Ref is <layer version ARN>#<statement id>, and
// deletion takes the statement out (twice is no error).
func TestCloudFormationLayerVersionPermission(t *testing.T) {
	f := newFixture(t)
	pub, err := f.l.PublishLayerVersion(f.ctx(), &lambdaapi.PublishLayerVersionRequest{
		LayerName: ptr.To("shared"), Content: &lambdaapi.LayerVersionContentInput{ZipFile: zipOf(t, map[string]string{"python/x.py": "X=1"})},
	})
	if err != nil {
		t.Fatal(err)
	}
	p := f.l.cfnResources()["AWS::Lambda::LayerVersionPermission"]
	if p.Update != nil {
		t.Fatal("every property of a layer version permission replaces it")
	}
	props := map[string]any{"LayerVersionArn": *pub.LayerVersionArn, "Action": "lambda:GetLayerVersion", "Principal": "111122223333"}
	res, err := p.Create(f.ctx(), kit.ResourceRequest{LogicalID: "Grant", StackName: "s", Properties: props})
	if err != nil || !strings.HasPrefix(res.PhysicalID, *pub.LayerVersionArn+"#s-Grant-") {
		t.Fatalf("create %+v %v", res, err)
	}
	pol, err := f.l.GetLayerVersionPolicy(f.ctx(), &lambdaapi.GetLayerVersionPolicyRequest{LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1))})
	if err != nil || !strings.Contains(*pol.Policy, "111122223333") {
		t.Fatalf("policy %+v %v", pol, err)
	}
	if _, err := p.Create(f.ctx(), kit.ResourceRequest{LogicalID: "Bad", StackName: "s", Properties: map[string]any{
		"LayerVersionArn": *pub.LayerVersionArn, "Action": "lambda:InvokeFunction", "Principal": "*"}}); code(err) != "InvalidParameterValueException" {
		t.Fatalf("wrong action: %v", err)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: props}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.l.GetLayerVersionPolicy(f.ctx(), &lambdaapi.GetLayerVersionPolicyRequest{LayerName: ptr.To("shared"), VersionNumber: ptr.To(int64(1))}); code(err) != "ResourceNotFoundException" {
		t.Fatalf("policy after delete: %v", err)
	}
}

// TestCloudFormationCodeSigningConfig: Ref is the ARN, Fn::GetAtt gives
// the id, an update changes the policy in place, deletion removes it.
func TestCloudFormationCodeSigningConfig(t *testing.T) {
	f := newFixture(t)
	p := f.l.cfnResources()["AWS::Lambda::CodeSigningConfig"]
	profile := "arn:aws:signer:us-east-1:000000000000:/signing-profiles/p/abcdefghij"
	props := map[string]any{"Description": "d", "AllowedPublishers": map[string]any{"SigningProfileVersionArns": []any{profile}}}
	res, err := p.Create(f.ctx(), kit.ResourceRequest{LogicalID: "C", Properties: props})
	if err != nil || !strings.HasSuffix(res.PhysicalID, ":code-signing-config:"+res.Attributes["CodeSigningConfigId"].(string)) ||
		res.Attributes["CodeSigningConfigArn"] != res.PhysicalID {
		t.Fatalf("create %+v %v", res, err)
	}
	get := func() (*lambdaapi.GetCodeSigningConfigResponse, error) {
		return f.l.GetCodeSigningConfig(f.ctx(), &lambdaapi.GetCodeSigningConfigRequest{CodeSigningConfigArn: &res.PhysicalID})
	}
	c, err := get()
	if err != nil || *c.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment != "Warn" {
		t.Fatalf("config %+v %v", c, err)
	}
	newProps := map[string]any{"AllowedPublishers": props["AllowedPublishers"],
		"CodeSigningPolicies": map[string]any{"UntrustedArtifactOnDeployment": "Enforce"}}
	up, err := p.Update(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps, OldProperties: props})
	if err != nil || up.PhysicalID != res.PhysicalID {
		t.Fatalf("update %+v %v", up, err)
	}
	if c, err = get(); err != nil || *c.CodeSigningConfig.CodeSigningPolicies.UntrustedArtifactOnDeployment != "Enforce" ||
		(c.CodeSigningConfig.Description != nil && *c.CodeSigningConfig.Description != "") {
		t.Fatalf("config after update %+v %v", c, err)
	}
	for i := 0; i < 2; i++ {
		if err := p.Delete(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := get(); code(err) != "CodeSigningConfigNotFoundException" {
		t.Fatalf("after delete: %v", err)
	}
}

// TestCloudFormationURLUpdate: AuthType and Cors change in place.
func TestCloudFormationURLUpdate(t *testing.T) {
	f := newFixture(t)
	f.cfnFunction(t, "web")
	p := f.l.cfnResources()["AWS::Lambda::Url"]
	props := map[string]any{"TargetFunctionArn": "web", "AuthType": "AWS_IAM"}
	res, err := p.Create(f.ctx(), kit.ResourceRequest{LogicalID: "U", Properties: props})
	if err != nil {
		t.Fatal(err)
	}
	newProps := map[string]any{"TargetFunctionArn": "web", "AuthType": "NONE", "Cors": map[string]any{"AllowOrigins": []any{"https://example.com"}}}
	up, err := p.Update(f.ctx(), kit.ResourceRequest{PhysicalID: res.PhysicalID, Properties: newProps, OldProperties: props})
	if err != nil || up.Attributes["FunctionUrl"] != res.Attributes["FunctionUrl"] {
		t.Fatalf("update %+v %v", up, err)
	}
	c, err := f.l.GetFunctionUrlConfig(f.ctx(), &lambdaapi.GetFunctionUrlConfigRequest{FunctionName: ptr.To("web")})
	if err != nil || *c.AuthType != "NONE" || c.Cors == nil || len(c.Cors.AllowOrigins) != 1 {
		t.Fatalf("url %+v %v", c, err)
	}
	if !slices.Contains(p.Replace, "TargetFunctionArn") {
		t.Fatalf("replace %v", p.Replace)
	}
}
