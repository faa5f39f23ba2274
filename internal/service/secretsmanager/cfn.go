package secretsmanager

import (
	"encoding/json"
	"strconv"

	smapi "github.com/niwa-cloud/niwa/internal/api/secretsmanager"
	"github.com/niwa-cloud/niwa/internal/awserr"
	"github.com/niwa-cloud/niwa/internal/kit"
	"github.com/niwa-cloud/niwa/internal/request"
)

// cfnResources are Secrets Manager's CloudFormation resource types.
func (s *SecretsManager) cfnResources() map[string]kit.ResourceProvider {
	return map[string]kit.ResourceProvider{
		// Ref is the secret ARN; Fn::GetAtt Id.
		"AWS::SecretsManager::Secret": {Create: s.cfnCreateSecret, Update: s.cfnUpdateSecret, Delete: s.cfnDeleteSecret,
			Replace: []string{"Name"}, Tags: true},
		// Ref is the secret ARN; Fn::GetAtt Id.
		"AWS::SecretsManager::ResourcePolicy": {Create: s.cfnPutPolicy, Update: s.cfnPutPolicy, Delete: s.cfnDeletePolicy,
			Replace: []string{"SecretId"}},
		// Ref is the secret ARN; Fn::GetAtt Id.
		"AWS::SecretsManager::RotationSchedule": {Create: s.cfnPutRotation, Update: s.cfnPutRotation, Delete: s.cfnDeleteRotation,
			Replace: []string{"SecretId"}},
		// Ref is the secret ARN: the database's connection fields are
		// added to the secret's JSON.
		"AWS::SecretsManager::SecretTargetAttachment": {Create: s.cfnAttachTarget, Update: s.cfnAttachTarget, Delete: s.cfnDetachTarget,
			Replace: []string{"SecretId"}},
	}
}

// cfnAttachTarget adds the database's connection fields (engine, host,
// port and its identifier) to the secret's JSON value: a new version,
// AWSCURRENT, as AWS's handler writes it.
func (s *SecretsManager) cfnAttachTarget(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn, err := s.cfnSecretARN(ctx, r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	typ, id := r.Str("TargetType"), r.Str("TargetId")
	dbs := s.databases()
	if dbs == nil {
		return kit.ResourceResult{}, awserr.NotImplemented.New("niwa does not implement SecretTargetAttachment without RDS")
	}
	fields, err := dbs.Connection(ctx, typ, id)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	cur, err := s.GetSecretValue(ctx, &smapi.GetSecretValueInput{SecretId: &arn})
	if err != nil {
		return kit.ResourceResult{}, err
	}
	value := map[string]any{}
	if cur.SecretString == nil || json.Unmarshal([]byte(*cur.SecretString), &value) != nil {
		return kit.ResourceResult{}, smapi.ErrInvalidRequestException.New("The secret %s must be a JSON object to be attached to %s.", arn, id)
	}
	for k := range value {
		if k == "dbInstanceIdentifier" || k == "dbClusterIdentifier" {
			delete(value, k)
		}
	}
	for k, v := range fields {
		value[k] = v
	}
	b, err := json.Marshal(value)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	str := string(b)
	if str != *cur.SecretString {
		if _, err := s.PutSecretValue(ctx, &smapi.PutSecretValueInput{SecretId: &arn, SecretString: &str}); err != nil {
			return kit.ResourceResult{}, err
		}
	}
	return kit.ResourceResult{PhysicalID: arn}, nil
}

// cfnDetachTarget leaves the secret as it is: the connection fields stay
// in its value, as they do on AWS.
func (s *SecretsManager) cfnDetachTarget(*request.Context, kit.ResourceRequest) error { return nil }

// cfnSecretARN is the ARN of the secret a SecretId property names (an
// ARN or a name).
func (s *SecretsManager) cfnSecretARN(ctx *request.Context, r kit.ResourceRequest) (string, error) {
	id := r.Str("SecretId")
	out, err := s.DescribeSecret(ctx, &smapi.DescribeSecretInput{SecretId: &id})
	if err != nil {
		return "", err
	}
	return *out.ARN, nil
}

func (s *SecretsManager) cfnPutPolicy(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn, err := s.cfnSecretARN(ctx, r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	doc := kit.PropJSON(r.Properties, "ResourcePolicy")
	in := &smapi.PutResourcePolicyInput{SecretId: &arn, ResourcePolicy: &doc}
	if kit.Has(r.Properties, "BlockPublicPolicy") {
		b := kit.PropBool(r.Properties, "BlockPublicPolicy")
		in.BlockPublicPolicy = &b
	}
	if _, err := s.PutResourcePolicy(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Id": arn}}, nil
}

func (s *SecretsManager) cfnDeletePolicy(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.DeleteResourcePolicy(ctx, &smapi.DeleteResourcePolicyInput{SecretId: &r.PhysicalID})
	if smapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}

// cfnPutRotation turns rotation on with the template's function and
// rules: RotateSecret, rotating at once unless RotateImmediatelyOnUpdate
// is false. HostedRotationLambda needs the AWS::SecretsManager
// transform, which deploys a rotation function from the Serverless
// Application Repository.
func (s *SecretsManager) cfnPutRotation(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	if kit.Has(r.Properties, "HostedRotationLambda") {
		return kit.ResourceResult{}, awserr.NotImplemented.New("niwa does not implement AWS::SecretsManager::RotationSchedule HostedRotationLambda: it deploys a rotation function from the Serverless Application Repository; give RotationLambdaARN instead")
	}
	arn, err := s.cfnSecretARN(ctx, r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &smapi.RotateSecretInput{SecretId: &arn}
	if fn := r.Str("RotationLambdaARN"); fn != "" {
		in.RotationLambdaARN = &fn
	}
	if kit.Has(r.Properties, "RotationRules") {
		in.RotationRules = &smapi.RotationRulesType{}
		if err := kit.DecodeProp(r.Properties, "RotationRules", in.RotationRules); err != nil {
			return kit.ResourceResult{}, awserr.ValidationError.New("Properties validation failed for resource %s with message: #/RotationRules: %v", r.LogicalID, err)
		}
	}
	immediately := !kit.Has(r.Properties, "RotateImmediatelyOnUpdate") || kit.PropBool(r.Properties, "RotateImmediatelyOnUpdate")
	in.RotateImmediately = &immediately
	if _, err := s.RotateSecret(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Id": arn}}, nil
}

// cfnDeleteRotation turns the secret's rotation off.
func (s *SecretsManager) cfnDeleteRotation(ctx *request.Context, r kit.ResourceRequest) error {
	_, err := s.CancelRotateSecret(ctx, &smapi.CancelRotateSecretInput{SecretId: &r.PhysicalID})
	if smapi.ErrResourceNotFoundException.Is(err) || smapi.ErrInvalidRequestException.Is(err) {
		return nil
	}
	return err
}

// cfnSecretString is the SecretString, or one generated as
// GenerateSecretString says.
func (s *SecretsManager) cfnSecretString(ctx *request.Context, r kit.ResourceRequest) (*string, error) {
	if kit.Has(r.Properties, "SecretString") {
		v := r.Str("SecretString")
		return &v, nil
	}
	g := kit.PropMap(r.Properties, "GenerateSecretString")
	if g == nil {
		return nil, nil
	}
	in := &smapi.GetRandomPasswordInput{}
	if n, err := strconv.ParseInt(kit.PropStr(g, "PasswordLength"), 10, 64); err == nil {
		in.PasswordLength = &n
	}
	if v := kit.PropStr(g, "ExcludeCharacters"); v != "" {
		in.ExcludeCharacters = &v
	}
	for _, b := range []struct {
		name string
		out  **bool
	}{{"ExcludeNumbers", &in.ExcludeNumbers}, {"ExcludePunctuation", &in.ExcludePunctuation}, {"ExcludeUppercase", &in.ExcludeUppercase},
		{"ExcludeLowercase", &in.ExcludeLowercase}, {"IncludeSpace", &in.IncludeSpace}, {"RequireEachIncludedType", &in.RequireEachIncludedType}} {
		if kit.Has(g, b.name) {
			v := kit.PropBool(g, b.name)
			*b.out = &v
		}
	}
	out, err := s.GetRandomPassword(ctx, in)
	if err != nil {
		return nil, err
	}
	pw := *out.RandomPassword
	tmpl, key := kit.PropStr(g, "SecretStringTemplate"), kit.PropStr(g, "GenerateStringKey")
	if tmpl == "" {
		return &pw, nil
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(tmpl), &m); err != nil || key == "" {
		return nil, awserr.ValidationError.New("GenerateSecretString: SecretStringTemplate must be a JSON object and GenerateStringKey set")
	}
	m[key] = pw
	b, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	v := string(b)
	return &v, nil
}

func (s *SecretsManager) cfnCreateSecret(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	name := r.Str("Name")
	if name == "" {
		name = kit.PhysicalName(kit.ResourceRequest{StackName: r.LogicalID}, 256) // <logical id>-<random>, as AWS names them
	}
	str, err := s.cfnSecretString(ctx, r)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	in := &smapi.CreateSecretInput{Name: &name, SecretString: str}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	if k := r.Str("KmsKeyId"); k != "" {
		in.KmsKeyId = &k
	}
	for k, v := range kit.PropTags(r.Properties) {
		key, val := k, v
		in.Tags = append(in.Tags, smapi.Tag{Key: &key, Value: &val})
	}
	out, err := s.CreateSecret(ctx, in)
	if err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: *out.ARN, Attributes: map[string]any{"Id": *out.ARN}}, nil
}

func (s *SecretsManager) cfnUpdateSecret(ctx *request.Context, r kit.ResourceRequest) (kit.ResourceResult, error) {
	arn := r.PhysicalID
	in := &smapi.UpdateSecretInput{SecretId: &arn}
	if d := r.Str("Description"); d != "" {
		in.Description = &d
	}
	if k := r.Str("KmsKeyId"); k != "" {
		in.KmsKeyId = &k
	}
	a, _ := json.Marshal([]any{r.Properties["SecretString"], r.Properties["GenerateSecretString"]})
	b, _ := json.Marshal([]any{r.OldProperties["SecretString"], r.OldProperties["GenerateSecretString"]})
	if string(a) != string(b) {
		str, err := s.cfnSecretString(ctx, r)
		if err != nil {
			return kit.ResourceResult{}, err
		}
		in.SecretString = str
	}
	if _, err := s.UpdateSecret(ctx, in); err != nil {
		return kit.ResourceResult{}, err
	}
	return kit.ResourceResult{PhysicalID: arn, Attributes: map[string]any{"Id": arn}}, nil
}

// cfnDeleteSecret deletes without a recovery window, so that a stack
// created again may use the same name.
func (s *SecretsManager) cfnDeleteSecret(ctx *request.Context, r kit.ResourceRequest) error {
	force := true
	_, err := s.DeleteSecret(ctx, &smapi.DeleteSecretInput{SecretId: &r.PhysicalID, ForceDeleteWithoutRecovery: &force})
	if smapi.ErrResourceNotFoundException.Is(err) {
		return nil
	}
	return err
}
