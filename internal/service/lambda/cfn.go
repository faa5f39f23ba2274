package lambda

import (
	"archive/zip"
	"bytes"
	"embed"
	"encoding/json"
	"strconv"
	"strings"

	lambdaapi "github.com/niwa-cloud/niwa/internal/api/lambda"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnModules are the response modules CloudFormation puts beside inline
// code (cfnresponse for Python, cfn-response for Node.js), written for
// niwa with AWS's interfaces.
//
//go:embed cfnmodules/cfnresponse.py cfnmodules/cfn-response.js
var cfnModules embed.FS

// cfnResources are Lambda's CloudFormation resource types.
func (l *Lambda) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the function name; Fn::GetAtt Arn.
		"AWS::Lambda::Function": {Read: l.cfnReadFunction, Create: l.cfnCreateFunction, Update: l.cfnUpdateFunction, Delete: l.cfnDeleteFunction,
			Replace: []string{"FunctionName", "PackageType"}, Tags: true},
		// Ref is the statement id.
		"AWS::Lambda::Permission": {Create: l.cfnAddPermission, Delete: l.cfnRemovePermission},
		// Ref is the version ARN; Fn::GetAtt Version.
		"AWS::Lambda::Version": {Create: l.cfnPublishVersion, Delete: func(*request.Context, kit.ResourceRequest) error { return nil }},
		// Ref is the alias ARN.
		"AWS::Lambda::Alias": {Create: l.cfnCreateAlias, Update: l.cfnUpdateAlias, Delete: l.cfnDeleteAlias,
			Replace: []string{"FunctionName", "Name"}},
		// Ref is the mapping's UUID; Fn::GetAtt Id, EventSourceMappingArn.
		"AWS::Lambda::EventSourceMapping": {Create: l.cfnCreateMapping, Update: l.cfnUpdateMapping, Delete: l.cfnDeleteMapping,
			Replace: []string{"EventSourceArn", "StartingPosition", "StartingPositionTimestamp"}},
		// Ref is the function ARN; Fn::GetAtt FunctionArn, FunctionUrl.
		"AWS::Lambda::Url": {Create: l.cfnCreateURL, Update: l.cfnUpdateURL, Delete: l.cfnDeleteURL,
			Replace: []string{"TargetFunctionArn", "Qualifier"}},
		// Ref is FunctionName|Qualifier (the type's primary identifier).
		"AWS::Lambda::EventInvokeConfig": {Create: l.cfnPutInvokeConfig, Update: l.cfnPutInvokeConfig, Delete: l.cfnDeleteInvokeConfig,
			Replace: []string{"FunctionName", "Qualifier"}},
		// Ref is <layer version ARN>#<statement id>; every property replaces.
		"AWS::Lambda::LayerVersionPermission": {Create: l.cfnAddLayerPermission, Delete: l.cfnRemoveLayerPermission},
		// Ref is the configuration's ARN; Fn::GetAtt CodeSigningConfigArn, CodeSigningConfigId.
		"AWS::Lambda::CodeSigningConfig": {Create: l.cfnCreateCodeSigningConfig, Update: l.cfnUpdateCodeSigningConfig,
			Delete: l.cfnDeleteCodeSigningConfig},
		// Ref is the layer version ARN.
		"AWS::Lambda::LayerVersion": {Create: l.cfnPublishLayer, Delete: l.cfnDeleteLayer},
	}
}

func notFound(err error) error {
	if lambdaapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

func sp(s string) *string { return &s }

func int32Prop(props map[string]any, name string) *int32 {
	s := kit.PropStr(props, name)
	if s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil
	}
	v := int32(n)
	return &v
}

// inlineZip packages ZipFile code as CloudFormation does: index.py or
// index.js, with the runtime's response module beside it.
func inlineZip(runtime, code string) ([]byte, error) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	add := func(name string, body []byte) error {
		w, err := zw.Create(name)
		if err != nil {
			return err
		}
		_, err = w.Write(body)
		return err
	}
	var err error
	switch {
	case strings.HasPrefix(runtime, "python"):
		if err = add("index.py", []byte(code)); err == nil {
			var mod []byte
			if mod, err = cfnModules.ReadFile("cfnmodules/cfnresponse.py"); err == nil {
				err = add("cfnresponse.py", mod)
			}
		}
	case strings.HasPrefix(runtime, "nodejs"):
		if err = add("index.js", []byte(code)); err == nil {
			var mod []byte
			if mod, err = cfnModules.ReadFile("cfnmodules/cfn-response.js"); err == nil {
				err = add("cfn-response.js", mod)
			}
		}
	default:
		return nil, awserr.ValidationError.New("ZipFile can only be used when Runtime is set to either of nodejs, python")
	}
	if err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func cfnCode(r kit.ResourceRequest, props map[string]any) (*lambdaapi.FunctionCode, error) {
	c := kit.PropMap(props, "Code")
	if c == nil {
		return nil, awserr.ValidationError.New("Properties validation failed for resource %s with message: #: required key [Code] not found", r.LogicalID)
	}
	code := &lambdaapi.FunctionCode{}
	if z := kit.PropStr(c, "ZipFile"); z != "" {
		b, err := inlineZip(kit.PropStr(props, "Runtime"), z)
		if err != nil {
			return nil, err
		}
		code.ZipFile = b
		return code, nil
	}
	if b := kit.PropStr(c, "S3Bucket"); b != "" {
		code.S3Bucket, code.S3Key = sp(b), sp(kit.PropStr(c, "S3Key"))
		if v := kit.PropStr(c, "S3ObjectVersion"); v != "" {
			code.S3ObjectVersion = &v
		}
	}
	if u := kit.PropStr(c, "ImageUri"); u != "" {
		code.ImageUri = &u
	}
	return code, nil
}

func (l *Lambda) cfnCreateFunction(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("FunctionName")
	if name == "" {
		name = kit.PhysicalName(r, 64)
	}
	code, err := cfnCode(r, r.Properties)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &lambdaapi.CreateFunctionInput{FunctionName: &name, Code: code, Role: sp(r.Str("Role")),
		Timeout: int32Prop(r.Properties, "Timeout"), MemorySize: int32Prop(r.Properties, "MemorySize"),
		Layers: kit.PropList(r.Properties, "Layers"), Architectures: kit.PropList(r.Properties, "Architectures")}
	for _, p := range []struct {
		name string
		out  **string
	}{
		{"Runtime", &in.Runtime}, {"Handler", &in.Handler}, {"Description", &in.Description},
		{"PackageType", &in.PackageType}, {"KmsKeyArn", &in.KMSKeyArn},
	} {
		if v := r.Str(p.name); v != "" {
			*p.out = sp(v)
		}
	}
	if len(in.Layers) == 0 {
		in.Layers = nil
	}
	if len(in.Architectures) == 0 {
		in.Architectures = nil
	}
	for _, p := range []struct {
		name string
		out  any
	}{
		{"Environment", &in.Environment}, {"VpcConfig", &in.VpcConfig}, {"DeadLetterConfig", &in.DeadLetterConfig},
		{"TracingConfig", &in.TracingConfig}, {"EphemeralStorage", &in.EphemeralStorage}, {"LoggingConfig", &in.LoggingConfig},
		{"ImageConfig", &in.ImageConfig},
	} {
		if err := kit.DecodeProp(r.Properties, p.name, p.out); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/%s: %v", r.LogicalID, p.name, err)
		}
	}
	if tags := kit.PropTags(r.Properties); len(tags) > 0 {
		in.Tags = tags
	}
	out, err := l.CreateFunction(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if rc := int32Prop(r.Properties, "ReservedConcurrentExecutions"); rc != nil {
		if _, err := l.PutFunctionConcurrency(ctx, &lambdaapi.PutFunctionConcurrencyInput{FunctionName: &name, ReservedConcurrentExecutions: rc}); err != nil {
			_, _ = l.DeleteFunction(ctx, &lambdaapi.DeleteFunctionInput{FunctionName: &name})
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.FunctionArn}}, nil
}

func (l *Lambda) cfnUpdateFunction(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.PhysicalID
	changed := func(p string) bool {
		a, _ := json.Marshal(r.Properties[p])
		b, _ := json.Marshal(r.OldProperties[p])
		return string(a) != string(b)
	}
	if changed("Code") || changed("Runtime") {
		code, err := cfnCode(r, r.Properties)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		in := &lambdaapi.UpdateFunctionCodeInput{FunctionName: &name, ZipFile: code.ZipFile, S3Bucket: code.S3Bucket,
			S3Key: code.S3Key, S3ObjectVersion: code.S3ObjectVersion, ImageUri: code.ImageUri}
		if _, err := l.UpdateFunctionCode(ctx, in); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	in := &lambdaapi.UpdateFunctionConfigurationInput{FunctionName: &name, Role: sp(r.Str("Role")),
		Timeout: int32Prop(r.Properties, "Timeout"), MemorySize: int32Prop(r.Properties, "MemorySize"),
		Layers: kit.PropList(r.Properties, "Layers"), Environment: &lambdaapi.Environment{Variables: map[string]string{}}}
	for _, p := range []struct {
		name string
		out  **string
	}{
		{"Runtime", &in.Runtime}, {"Handler", &in.Handler}, {"Description", &in.Description}, {"KmsKeyArn", &in.KMSKeyArn},
	} {
		if v := r.Str(p.name); v != "" {
			*p.out = sp(v)
		}
	}
	if in.Timeout == nil {
		in.Timeout = int32p(3)
	}
	if in.MemorySize == nil {
		in.MemorySize = int32p(128)
	}
	if err := kit.DecodeProp(r.Properties, "Environment", in.Environment); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/Environment: %v", r.LogicalID, err)
	}
	out, err := l.UpdateFunctionConfiguration(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	if changed("Tags") {
		if tags := kit.PropTags(r.Properties); len(tags) > 0 {
			if _, err := l.TagResource(ctx, &lambdaapi.TagResourceInput{Resource: out.FunctionArn, Tags: tags}); err != nil {
				return kit.ResourceResult{}, err
			}
		}
	}
	return kit.ResourceResult{PhysicalID: name, Attributes: map[string]any{"Arn": *out.FunctionArn}}, nil
}

func int32p(v int32) *int32 { return &v }

func (l *Lambda) cfnDeleteFunction(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteFunction(ctx, &lambdaapi.DeleteFunctionInput{FunctionName: &r.PhysicalID})
	return notFound(err)
}

func (l *Lambda) cfnAddPermission(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	id := kit.PhysicalName(r, 100)
	in := &lambdaapi.AddPermissionInput{FunctionName: sp(r.Str("FunctionName")), StatementId: &id, Action: sp(r.Str("Action")),
		Principal: sp(r.Str("Principal"))}
	for _, p := range []struct {
		name string
		out  **string
	}{
		{"SourceArn", &in.SourceArn}, {"SourceAccount", &in.SourceAccount}, {"EventSourceToken", &in.EventSourceToken},
		{"PrincipalOrgID", &in.PrincipalOrgID}, {"FunctionUrlAuthType", &in.FunctionUrlAuthType},
	} {
		if v := r.Str(p.name); v != "" {
			*p.out = sp(v)
		}
	}
	if _, err := l.AddPermission(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: id}, nil
}

func (l *Lambda) cfnRemovePermission(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.RemovePermission(ctx, &lambdaapi.RemovePermissionInput{FunctionName: sp(r.Str("FunctionName")), StatementId: &r.PhysicalID})
	return notFound(err)
}

func (l *Lambda) cfnPublishVersion(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &lambdaapi.PublishVersionInput{FunctionName: sp(r.Str("FunctionName"))}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	out, err := l.PublishVersion(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.FunctionArn, Attributes: map[string]any{"Version": *out.Version, "FunctionArn": *out.FunctionArn}}, nil
}

func (l *Lambda) cfnCreateAlias(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &lambdaapi.CreateAliasInput{FunctionName: sp(r.Str("FunctionName")), Name: sp(r.Str("Name")), FunctionVersion: sp(r.Str("FunctionVersion"))}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	out, err := l.CreateAlias(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.AliasArn, Attributes: map[string]any{"AliasArn": *out.AliasArn}}, nil
}

func (l *Lambda) cfnUpdateAlias(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &lambdaapi.UpdateAliasInput{FunctionName: sp(r.Str("FunctionName")), Name: sp(r.Str("Name")), FunctionVersion: sp(r.Str("FunctionVersion"))}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	out, err := l.UpdateAlias(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.AliasArn, Attributes: map[string]any{"AliasArn": *out.AliasArn}}, nil
}

func (l *Lambda) cfnDeleteAlias(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteAlias(ctx, &lambdaapi.DeleteAliasInput{FunctionName: sp(r.Str("FunctionName")), Name: sp(r.Str("Name"))})
	return notFound(err)
}

func (l *Lambda) cfnCreateMapping(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	var in lambdaapi.CreateEventSourceMappingInput
	b, err := json.Marshal(r.Properties)
	if err == nil {
		err = kit.DecodeProp(map[string]any{"p": json.RawMessage(b)}, "p", &in)
	}
	if err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: %v", r.LogicalID, err)
	}
	out, err := l.CreateEventSourceMapping(ctx, &in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.UUID, Attributes: map[string]any{"Id": *out.UUID,
		"EventSourceMappingArn": "arn:aws:lambda:" + ctx.Region + ":" + ctx.Account + ":event-source-mapping:" + *out.UUID}}, nil
}

func (l *Lambda) cfnUpdateMapping(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &lambdaapi.UpdateEventSourceMappingInput{UUID: &r.PhysicalID, FunctionName: sp(r.Str("FunctionName")),
		BatchSize: int32Prop(r.Properties, "BatchSize"), MaximumBatchingWindowInSeconds: int32Prop(r.Properties, "MaximumBatchingWindowInSeconds")}
	enabled := r.Str("Enabled") != "false"
	in.Enabled = &enabled
	if _, err := l.UpdateEventSourceMapping(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: r.PhysicalID, Attributes: r.Attributes}, nil
}

func (l *Lambda) cfnDeleteMapping(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteEventSourceMapping(ctx, &lambdaapi.DeleteEventSourceMappingInput{UUID: &r.PhysicalID})
	return notFound(err)
}

func (l *Lambda) cfnCreateURL(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &lambdaapi.CreateFunctionUrlConfigInput{FunctionName: sp(r.Str("TargetFunctionArn")), AuthType: sp(r.Str("AuthType"))}
	if q := r.Str("Qualifier"); q != "" {
		in.Qualifier = &q
	}
	if m := r.Str("InvokeMode"); m != "" {
		in.InvokeMode = &m
	}
	if err := kit.DecodeProp(r.Properties, "Cors", &in.Cors); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/Cors: %v", r.LogicalID, err)
	}
	out, err := l.CreateFunctionUrlConfig(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.FunctionArn, Attributes: map[string]any{"FunctionArn": *out.FunctionArn, "FunctionUrl": *out.FunctionUrl}}, nil
}

func (l *Lambda) cfnDeleteURL(ctx *request.Context, r kit.ResourceRequest) error {
	in := &lambdaapi.DeleteFunctionUrlConfigInput{FunctionName: sp(r.Str("TargetFunctionArn"))}
	if q := r.Str("Qualifier"); q != "" {
		in.Qualifier = &q
	}
	_, err := l.DeleteFunctionUrlConfig(ctx, in)
	return notFound(err)
}

func (l *Lambda) cfnPublishLayer(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("LayerName")
	if name == "" {
		name = kit.PhysicalName(r, 64)
	}
	c := kit.PropMap(r.Properties, "Content")
	in := &lambdaapi.PublishLayerVersionInput{LayerName: &name, Content: &lambdaapi.LayerVersionContentInput{
		S3Bucket: sp(kit.PropStr(c, "S3Bucket")), S3Key: sp(kit.PropStr(c, "S3Key"))},
		CompatibleRuntimes: kit.PropList(r.Properties, "CompatibleRuntimes")}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	out, err := l.PublishLayerVersion(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.LayerVersionArn, Attributes: map[string]any{"LayerVersionArn": *out.LayerVersionArn}}, nil
}

func (l *Lambda) cfnDeleteLayer(ctx *request.Context, r kit.ResourceRequest) error {
	arn := r.PhysicalID
	i := strings.LastIndex(arn, ":")
	if i < 0 {
		return nil
	}
	v, err := strconv.ParseInt(arn[i+1:], 10, 64)
	if err != nil {
		return nil
	}
	name := arn[:i]
	name = name[strings.LastIndex(name, ":")+1:]
	_, err = l.DeleteLayerVersion(ctx, &lambdaapi.DeleteLayerVersionInput{LayerName: &name, VersionNumber: &v})
	return notFound(err)
}

// cfnReadFunction reads a function's configuration back for drift
// detection.
func (l *Lambda) cfnReadFunction(ctx *request.Context, r kit.ResourceRequest) (map[string]any, error) {
	c, err := l.GetFunctionConfiguration(ctx, &lambdaapi.GetFunctionConfigurationRequest{FunctionName: &r.PhysicalID})
	if lambdaapi.ErrResourceNotFoundException.Is(err) {
		return nil, kit.ErrResourceGone
	}
	if err != nil {
		return nil, err
	}
	str := func(p *string) any {
		if p == nil || *p == "" {
			return nil
		}
		return *p
	}
	live := map[string]any{"FunctionName": str(c.FunctionName), "Handler": str(c.Handler), "Runtime": str(c.Runtime),
		"Role": str(c.Role), "Description": str(c.Description), "Environment": nil}
	if c.Timeout != nil {
		live["Timeout"] = float64(*c.Timeout)
	}
	if c.MemorySize != nil {
		live["MemorySize"] = float64(*c.MemorySize)
	}
	if c.Environment != nil && len(c.Environment.Variables) > 0 {
		vars := map[string]any{}
		for k, v := range c.Environment.Variables {
			vars[k] = v
		}
		live["Environment"] = map[string]any{"Variables": vars}
	}
	return live, nil
}

func (l *Lambda) cfnUpdateURL(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	in := &lambdaapi.UpdateFunctionUrlConfigRequest{FunctionName: sp(r.Str("TargetFunctionArn")), AuthType: sp(r.Str("AuthType"))}
	if q := r.Str("Qualifier"); q != "" {
		in.Qualifier = &q
	}
	// Properties taken out of the template go back to their defaults.
	m := r.Str("InvokeMode")
	if m == "" {
		m = "BUFFERED"
	}
	in.InvokeMode = &m
	in.Cors = &lambdaapi.Cors{}
	if err := kit.DecodeProp(r.Properties, "Cors", in.Cors); err != nil {
		return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/Cors: %v", r.LogicalID, err)
	}
	out, err := l.UpdateFunctionUrlConfig(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.FunctionArn, Attributes: map[string]any{"FunctionArn": *out.FunctionArn, "FunctionUrl": *out.FunctionUrl}}, nil
}

// cfnPutInvokeConfig sets the whole asynchronous invocation
// configuration (PutFunctionEventInvokeConfig replaces it, so properties
// taken out of the template go back to their defaults).
func (l *Lambda) cfnPutInvokeConfig(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	fn, q := r.Str("FunctionName"), r.Str("Qualifier")
	in := &lambdaapi.PutFunctionEventInvokeConfigRequest{FunctionName: &fn, Qualifier: &q,
		MaximumRetryAttempts: int32Prop(r.Properties, "MaximumRetryAttempts"), MaximumEventAgeInSeconds: int32Prop(r.Properties, "MaximumEventAgeInSeconds")}
	if dc := kit.PropMap(r.Properties, "DestinationConfig"); dc != nil {
		in.DestinationConfig = &lambdaapi.DestinationConfig{}
		if d := kit.PropStr(kit.PropMap(dc, "OnSuccess"), "Destination"); d != "" {
			in.DestinationConfig.OnSuccess = &lambdaapi.OnSuccess{Destination: &d}
		}
		if d := kit.PropStr(kit.PropMap(dc, "OnFailure"), "Destination"); d != "" {
			in.DestinationConfig.OnFailure = &lambdaapi.OnFailure{Destination: &d}
		}
	}
	if _, err := l.PutFunctionEventInvokeConfig(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: fn + "|" + q}, nil
}

func (l *Lambda) cfnDeleteInvokeConfig(ctx *request.Context, r kit.ResourceRequest) error {
	fn, q := r.Str("FunctionName"), r.Str("Qualifier")
	_, err := l.DeleteFunctionEventInvokeConfig(ctx, &lambdaapi.DeleteFunctionEventInvokeConfigRequest{FunctionName: &fn, Qualifier: &q})
	return notFound(err)
}

// layerVersionOf splits a layer version ARN into the layer's name and
// its version number.
func layerVersionOf(arn string) (string, int64, bool) {
	i, j := strings.LastIndex(arn, ":"), strings.LastIndex(arn, ":layer:")
	if i < 0 || j < 0 || j+len(":layer:") > i {
		return "", 0, false
	}
	v, err := strconv.ParseInt(arn[i+1:], 10, 64)
	if err != nil {
		return "", 0, false
	}
	return arn[j+len(":layer:") : i], v, true
}

func (l *Lambda) cfnAddLayerPermission(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.Str("LayerVersionArn")
	layer, version, ok := layerVersionOf(arn)
	if !ok {
		return kit.ResourceResult{}, lambdaapi.ErrInvalidParameterValueException.New("Invalid LayerVersionArn: %s", arn)
	}
	sid := kit.PhysicalName(r, 100)
	in := &lambdaapi.AddLayerVersionPermissionRequest{LayerName: &layer, VersionNumber: &version, StatementId: &sid,
		Action: sp(r.Str("Action")), Principal: sp(r.Str("Principal"))}
	if o := r.Str("OrganizationId"); o != "" {
		in.OrganizationId = &o
	}
	if _, err := l.AddLayerVersionPermission(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: arn + "#" + sid}, nil
}

func (l *Lambda) cfnRemoveLayerPermission(ctx *request.Context, r kit.ResourceRequest) error {
	i := strings.LastIndex(r.PhysicalID, "#")
	if i < 0 {
		return nil
	}
	layer, version, ok := layerVersionOf(r.PhysicalID[:i])
	if !ok {
		return nil
	}
	sid := r.PhysicalID[i+1:]
	_, err := l.RemoveLayerVersionPermission(ctx, &lambdaapi.RemoveLayerVersionPermissionRequest{LayerName: &layer, VersionNumber: &version, StatementId: &sid})
	return notFound(err)
}

func cfnCodeSigning(props map[string]any) (*lambdaapi.AllowedPublishers, *lambdaapi.CodeSigningPolicies) {
	pub := &lambdaapi.AllowedPublishers{SigningProfileVersionArns: kit.PropList(kit.PropMap(props, "AllowedPublishers"), "SigningProfileVersionArns")}
	// Without CodeSigningPolicies AWS's default is Warn.
	u := kit.PropStr(kit.PropMap(props, "CodeSigningPolicies"), "UntrustedArtifactOnDeployment")
	if u == "" {
		u = "Warn"
	}
	return pub, &lambdaapi.CodeSigningPolicies{UntrustedArtifactOnDeployment: &u}
}

func codeSigningResult(c *lambdaapi.CodeSigningConfig) kit.ResourceResult {
	return kit.ResourceResult{PhysicalID: *c.CodeSigningConfigArn, Attributes: map[string]any{
		"CodeSigningConfigArn": *c.CodeSigningConfigArn, "CodeSigningConfigId": *c.CodeSigningConfigId}}
}

func (l *Lambda) cfnCreateCodeSigningConfig(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	pub, pol := cfnCodeSigning(r.Properties)
	in := &lambdaapi.CreateCodeSigningConfigRequest{AllowedPublishers: pub, CodeSigningPolicies: pol}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	out, err := l.CreateCodeSigningConfig(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return codeSigningResult(out.CodeSigningConfig), nil
}

func (l *Lambda) cfnUpdateCodeSigningConfig(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	pub, pol := cfnCodeSigning(r.Properties)
	d := r.Str("Description")
	out, err := l.UpdateCodeSigningConfig(ctx, &lambdaapi.UpdateCodeSigningConfigRequest{CodeSigningConfigArn: &r.PhysicalID,
		Description: &d, AllowedPublishers: pub, CodeSigningPolicies: pol})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return codeSigningResult(out.CodeSigningConfig), nil
}

func (l *Lambda) cfnDeleteCodeSigningConfig(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := l.DeleteCodeSigningConfig(ctx, &lambdaapi.DeleteCodeSigningConfigRequest{CodeSigningConfigArn: &r.PhysicalID})
	if lambdaapi.ErrCodeSigningConfigNotFoundException.Is(err) {
		return nil
	}
	return notFound(err)
}
